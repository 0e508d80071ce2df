"""Accepting a staff invitation: log in, or create an account, then take the role."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from sessions_app.exceptions import DesignError
from sessions_app.forms import SignupForm
from sessions_app.models import Invitation
from sessions_app.services import staff


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
