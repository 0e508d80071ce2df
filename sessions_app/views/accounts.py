"""Staff accounts: accepting an invitation; the login in two steps (password, then a code
with two-factor) and its lockout page; password reset; the account page and two-factor
setup."""

from __future__ import annotations

import math
from base64 import b32encode
from urllib.parse import urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from sessions_app import mfa, selectors
from sessions_app.account_forms import CodeForm, ConfirmCodeForm
from sessions_app.exceptions import DesignError
from sessions_app.forms import SignupForm
from sessions_app.models import Invitation
from sessions_app.security import lockout_ends, security_log, short_hash
from sessions_app.services import staff
from sessions_app.signals import account_changed

#: Session key of backup codes waiting to be shown (once).
NEW_CODES_KEY = "mfa_new_codes"


def invitation(request, token):
    invite = get_object_or_404(Invitation.objects.select_related("process"), token=token)
    try:
        staff.invitation_check(invite)
    except DesignError as error:
        return render(
            request,
            "accounts/invitation.html",
            {"invite": invite, "error": error.message},
            status=410,
        )
    form = None
    if request.method == "POST":
        if request.user.is_authenticated:
            return _accept(request, token)
        form = SignupForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    user = form.save()
                    staff.invitation_accept(token=token, user=user)
            except DesignError as error:
                # Someone used the link meanwhile; no account is left behind.
                return render(
                    request,
                    "accounts/invitation.html",
                    {"invite": invite, "error": error.message},
                    status=410,
                )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("designer:process_detail", slug=invite.process.slug)
    elif not request.user.is_authenticated:
        form = SignupForm()
    return render(request, "accounts/invitation.html", {"invite": invite, "form": form})


def _accept(request, token):
    try:
        role = staff.invitation_accept(token=token, user=request.user)
    except DesignError as error:
        messages.error(request, error.message)
        return redirect("designer:process_list")
    messages.success(
        request, _("You now have the role “%(role)s”.") % {"role": role.get_role_display()}
    )
    return redirect("designer:process_detail", slug=role.process.slug)


# --- Login: password, then a code when the account has two-factor ----------------------


def login_landing(user, next_url: str = "") -> str:
    """Where a finished login goes, whichever way it finished (the password, the password
    and a code, single sign-on): ``next_url`` (a checked ``next`` address) when there is
    one; for a teller and nothing else, the teller page of the one session they count
    for now or next (``selectors.teller_landing_session``); else ``LOGIN_REDIRECT_URL``
    ("My processes")."""
    if next_url:
        return next_url
    session = selectors.teller_landing_session(user=user)
    if session is not None:
        return reverse("paper:teller_session", args=[session.pk])
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    """Django's login, in two steps for an account with two-factor: the right password
    leaves a pending login that ``login_code`` completes. Either lands on
    ``login_landing``."""

    def form_valid(self, form):
        user = form.get_user()
        if mfa.has_device(user):
            # Only a ``next`` that was given: the landing is chosen once the code is in.
            mfa.pending_start(self.request, user, next_url=self.get_redirect_url())
            return redirect("login_code")
        return super().form_valid(form)

    def get_default_redirect_url(self):
        # Called once the account is logged in (``form_valid``), without a ``next``.
        return login_landing(self.request.user)


def login_code(request):
    """The second step: a code from the authenticator app or a backup code. Serves a
    pending login, and a signed-in account asked for a code again (after a single sign-on
    that does not count as two-factor, for example)."""
    pending = None
    if request.user.is_authenticated and mfa.has_device(request.user):
        user = request.user
        if mfa.satisfied(request):
            return redirect(login_landing(user, _next_url(request)))
    else:
        pending = mfa.pending_get(request)
        if pending is None:
            messages.info(request, _("Log in again: the time to give a code ran out."))
            return redirect("login")
        user = pending.user
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        # Locked out meanwhile (axes counts wrong codes as failed logins).
        mfa.pending_clear(request)
        return locked_out(request, credentials=credentials)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = mfa.code_verify(user, form.cleaned_data["code"])
        if result:
            return _login_complete(request, user, result.device, pending)
        if result.throttled:
            form.add_error("code", _("Too many wrong codes in a row: wait a few seconds."))
        else:
            form.add_error("code", _("This code is not right. Try the next one the app shows."))
        security_log.info(
            "login.code_wrong account=%s",
            short_hash(user.get_username()),
            extra={"event": "login.code_wrong"},
        )
        # Counted by axes towards the lockout of this account from this network.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if pending is not None and not mfa.pending_failed(request):
            messages.error(request, _("Too many wrong codes. Log in again."))
            return redirect("login")
    return render(request, "registration/login_code.html", {"form": form, "pending": pending})


def _login_complete(request, user, device, pending):
    if pending is not None:
        mfa.pending_clear(request)
        login(request, user, backend=pending.backend)
        next_url = pending.next_url
    else:
        next_url = _next_url(request)
    mfa.session_verified(request, device)
    request.session[mfa.VIA_KEY] = "otp"
    return redirect(login_landing(user, next_url))


def _next_url(request) -> str:
    """A ``next`` address on this site, or ''."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def locked_out(request, original_response=None, credentials=None):
    """Axes' lockout response: the login page with the reason and the time to try again,
    as HTTP 429."""
    if isinstance(original_response, dict) and credentials is None:
        credentials = original_response  # axes' asynchronous path passes it second
    AxesProxyHandler.update_request(request)
    ends = lockout_ends(request, credentials)
    minutes = None
    if ends is not None:
        minutes = max(1, math.ceil((ends - timezone.now()).total_seconds() / 60))
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "locked": True,
        "locked_until": ends,
        "locked_minutes": minutes,
        "next": _next_url(request),
    }
    return render(request, "registration/login.html", context, status=429)


class LogoutView(auth_views.LogoutView):
    """Django's logout; then the consoles this account left open elsewhere look at it
    again at once (the one of this login closes: its session is gone)."""

    def post(self, request, *args, **kwargs):
        user_id = request.user.pk if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        if user_id is not None:
            account_changed.send(sender=None, user_id=user_id, process_id=None)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, with at most ``PASSWORD_RESET_PER_HOUR`` mails to one
    address an hour (so the form cannot flood a colleague's mailbox). Over the limit the
    page answers as always, so it still tells nobody whether the address has an account;
    counted per server process (in its cache)."""

    def form_valid(self, form):
        address = form.cleaned_data["email"].strip().lower()
        key = f"password-reset:{short_hash(address)}"
        cache.add(key, 0, timeout=3600)
        try:
            sent = cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.add(key, 1, timeout=3600)
            sent = 1
        if sent > settings.PASSWORD_RESET_PER_HOUR:
            security_log.warning(
                "password.reset_throttled who=%s",
                short_hash(address),
                extra={"event": "password.reset_throttled"},
            )
            return redirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password from the mailed link also lifts a lockout of the account:
    whoever has the mailbox has shown who they are."""

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=self.user.get_username())
        security_log.info(
            "password.reset account=%s",
            short_hash(self.user.get_username()),
            extra={"event": "password.reset"},
        )
        return response


# --- The staff member's own account -----------------------------------------------------


@login_required
def account(request):
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "two_factor": mfa.has_device(user),
            "backup_left": mfa.backup_codes_left(user),
            "required": mfa.required_for(user),
        },
    )


@login_required
def two_factor(request):
    """Set up two-factor (QR code, then a first code), or, when it is on, make new
    backup codes or turn it off (each with a code)."""
    user = request.user
    next_url = _next_url(request)
    if not mfa.has_device(user):
        device = mfa.totp_device_unconfirmed(user)
        form = ConfirmCodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            codes = mfa.totp_confirm(user, device, form.cleaned_data["code"])
            if codes is not None:
                confirmed = TOTPDevice.objects.get(pk=device.pk)
                mfa.session_verified(request, confirmed)
                request.session[NEW_CODES_KEY] = codes
                security_log.info(
                    "mfa.enabled account=%s",
                    short_hash(user.get_username()),
                    extra={"event": "mfa.enabled"},
                )
                return _redirect_with_next("two_factor_codes", next_url)
            allowed, _why = TOTPDevice.objects.get(pk=device.pk).verify_is_allowed()
            form.add_error(
                "code",
                _("This code is not right. Check the time on your phone, and try the next code.")
                if allowed
                else _("Too many wrong codes in a row: wait a few seconds."),
            )
        secret = b32encode(device.bin_key).decode()
        return render(
            request,
            "accounts/two_factor_setup.html",
            {
                "form": form,
                "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
                "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
                "next": next_url,
            },
        )
    form = CodeForm(request.POST or None)
    action = request.POST.get("action")
    if request.method == "POST" and action in {"disable", "renew"} and form.is_valid():
        if action == "disable" and mfa.required_for(user):
            messages.error(request, _("Your account must keep two-factor authentication on."))
            return redirect("two_factor")
        result = mfa.code_verify(user, form.cleaned_data["code"])
        if result and action == "renew":
            request.session[NEW_CODES_KEY] = mfa.backup_codes_renew(user)
            return redirect("two_factor_codes")
        if result:
            mfa.devices_remove(user)
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            security_log.info(
                "mfa.disabled account=%s",
                short_hash(user.get_username()),
                extra={"event": "mfa.disabled"},
            )
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("account")
        form.add_error(
            "code",
            _("Too many wrong codes in a row: wait a few seconds.")
            if result.throttled
            else _("This code is not right."),
        )
    return render(
        request,
        "accounts/two_factor.html",
        {
            "form": form,
            "action": action,
            "backup_left": mfa.backup_codes_left(user),
            "required": mfa.required_for(user),
        },
    )


@login_required
def two_factor_codes(request):
    """The new backup codes, shown once: they leave the session as they are shown."""
    codes = request.session.pop(NEW_CODES_KEY, None)
    if not codes:
        return redirect("two_factor")
    return render(
        request, "accounts/two_factor_codes.html", {"codes": codes, "next": _next_url(request)}
    )


def _redirect_with_next(name: str, next_url: str):
    url = reverse(name)
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return redirect(url)
