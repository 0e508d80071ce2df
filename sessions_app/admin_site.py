"""The Django admin, as this site runs it: one login for everything.

The admin's own login form would bypass the two-step login with a code
(``sessions_app.mfa``), so the admin sends people to ``/accounts/login/`` instead. Its
pages are for active staff accounts (``is_staff``) which, when two-factor is required for
them, verified this session with it. No model is imported here: this module is loaded
while the app registry is still being filled (``INSTALLED_APPS``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache


class InspraakAdminSite(admin.AdminSite):
    site_header = _("Inspraak administration")
    site_title = _("Inspraak administration")
    index_title = _("Accounts and roles")
    # The "View site" link goes to the public start page.
    site_url = "/"

    def has_permission(self, request):
        from sessions_app import mfa

        if not super().has_permission(request):
            return False
        return not mfa.second_factor_missing(request)

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        """Our login page (password, then a code), and back here after."""
        index = reverse("admin:index", current_app=self.name)
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or index
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = index  # never away from the site
        user = request.user
        if user.is_authenticated:
            if self.has_permission(request):
                return HttpResponseRedirect(next_url)
            if user.is_active and user.is_staff:
                # Only a second factor is missing: the gate says where to get it.
                from sessions_app.mfa import second_factor_redirect

                return second_factor_redirect(request)
            raise PermissionDenied
        query = urlencode({REDIRECT_FIELD_NAME: next_url})
        return HttpResponseRedirect(f"{reverse('login')}?{query}")


class AdminConfig(DjangoAdminConfig):
    """``django.contrib.admin`` with ``InspraakAdminSite`` as ``admin.site``."""

    default_site = "sessions_app.admin_site.InspraakAdminSite"
