"""Two-factor authentication (django-otp): an authenticator app's six-digit codes (TOTP)
and single-use backup codes.

Login is in two steps when the account has a confirmed device: the password alone does
not log in; it leaves a *pending* login in the session, for a few minutes, which a code
completes (``sessions_app.views.accounts.login_code``). So nothing that trusts Django's
login alone (pages, websockets) ever sees a half-verified staff member.

``MFA_REQUIRED_FOR_ORGANISERS`` makes two-factor compulsory for organisers (superusers,
holders of ``sessions_app.organise``) and admin users before any ``/manage/`` or admin
page: ``MfaGateMiddleware`` sends them to set it up, or to give a code. A single sign-on
login (``session["mfa_via"] == "oidc"``) counts as two-factor while
``OIDC_SATISFIES_MFA`` is on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

#: Session key of a login that passed its password and waits for a code.
PENDING_KEY = "mfa_pending"
#: How long a pending login waits for its code.
PENDING_SECONDS = 300
#: Wrong codes a pending login may take before it must start again with the password
#: (axes counts them too, towards the lockout of the account from that network).
PENDING_TRIES = 5
#: Backup codes made at a time.
BACKUP_CODES = 10
#: Session key the single sign-on sets to say how the login was verified.
VIA_KEY = "mfa_via"


# --- Who must, and who has --------------------------------------------------------------


def is_organiser(user) -> bool:
    """Organisers in the sense of the setting: superusers, holders of the site's
    ``organise`` permission, and anyone who may use the admin."""
    return bool(
        user.is_active
        and (user.is_superuser or user.is_staff or user.has_perm("sessions_app.organise"))
    )


def required_for(user) -> bool:
    return bool(
        settings.MFA_REQUIRED_FOR_ORGANISERS
        and user is not None
        and user.is_authenticated
        and is_organiser(user)
    )


def has_device(user) -> bool:
    """Whether two-factor is on for ``user``: a confirmed authenticator (backup codes
    only come with one)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def satisfied(request) -> bool:
    """Whether this session's login was verified by a second factor."""
    user = request.user
    if getattr(user, "is_verified", None) is not None and user.is_verified():
        return True
    return _oidc_counts(request.session)


def _oidc_counts(session) -> bool:
    """Whether the login of ``session`` was made by single sign-on that counts as two-factor."""
    return bool(
        settings.OIDC_SATISFIES_MFA and session is not None and session.get(VIA_KEY) == "oidc"
    )


def owes_second_factor(user) -> bool:
    """Whether ``user``'s logins must be verified by a second factor: two-factor is on for
    the account, or it must use it."""
    return required_for(user) or has_device(user)


#: Staff pages besides ``/manage/`` and the admin: the tellers' (``/t/``) and the
#: presenter (staff only before its process is published).
GATED_PREFIXES = ("/manage/", "/t/", "/present/")


def gated_path(path: str) -> bool:
    return path.startswith(GATED_PREFIXES) or path.startswith("/" + settings.ADMIN_PATH)


class MfaGateMiddleware:
    """Before ``/manage/``, the tellers' pages, the presenter and the admin, a session not
    verified by a second factor is sent to give a code (when the account has two-factor
    on: it logged in some other way than with its code, by single sign-on that does not
    count for it) or to set it up (when the account must use it), and back after."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if gated_path(request.path_info) and second_factor_missing(request):
            return second_factor_redirect(request)
        return self.get_response(request)


def second_factor_missing(request) -> bool:
    """Whether this signed-in session still owes a second factor: its account has
    two-factor on or must have it, and the session was not verified with it."""
    user = request.user
    return bool(user.is_authenticated and not satisfied(request) and owes_second_factor(user))


def session_second_factor_missing(user, session) -> bool:
    """``second_factor_missing`` for a websocket (the console's): ``session`` is the
    socket's Django session, in which django-otp keeps the device that verified the login
    (``otp_device_id``) and the login keeps how it was made."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    if user is None or not user.is_authenticated or not owes_second_factor(user):
        return False
    stored = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(stored) if stored else None
    verified = device is not None and device.user_id == user.pk
    return not (verified or _oidc_counts(session))


def second_factor_redirect(request):
    query = "?" + urlencode({"next": request.get_full_path()})
    if has_device(request.user):
        messages.info(request, _("Give a code from your authenticator app to continue."))
        return redirect(reverse("login_code") + query)
    messages.warning(
        request,
        _(
            "Your account must use two-factor authentication before it can design "
            "processes or administer the site. Set it up now: it takes a minute."
        ),
    )
    return redirect(reverse("two_factor") + query)


# --- The pending login --------------------------------------------------------------


@dataclass
class Pending:
    user: object
    backend: str
    next_url: str


def pending_start(request, user, *, next_url: str) -> None:
    """Remember that ``user`` gave the right password; a code must follow."""
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "since": time.time(),
        "next": next_url,
        "tries": 0,
    }


def pending_get(request) -> Pending | None:
    data = request.session.get(PENDING_KEY)
    if not data:
        return None
    if time.time() - data.get("since", 0) > PENDING_SECONDS:
        pending_clear(request)
        return None
    user = get_user_model().objects.filter(pk=data["user"], is_active=True).first()
    if user is None:
        pending_clear(request)
        return None
    return Pending(user=user, backend=data["backend"], next_url=data.get("next") or "")


def pending_failed(request) -> bool:
    """Count a wrong code; returns False when the pending login is used up."""
    data = request.session.get(PENDING_KEY)
    if not data:
        return False
    data["tries"] = data.get("tries", 0) + 1
    if data["tries"] >= PENDING_TRIES:
        pending_clear(request)
        return False
    request.session[PENDING_KEY] = data
    return True


def pending_clear(request) -> None:
    request.session.pop(PENDING_KEY, None)


# --- Codes --------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


class CodeResult:
    """The outcome of checking a code: the device that took it, or why none did."""

    def __init__(self, device=None, throttled: bool = False):
        self.device = device
        self.throttled = throttled

    def __bool__(self) -> bool:
        return self.device is not None


def code_verify(user, code: str, *, confirmed: bool | None = True) -> CodeResult:
    """Check ``code`` against ``user``'s devices: six digits go to the authenticator app,
    anything else to the backup codes (each works once). Each device slows down after
    wrong codes (django-otp's throttling: 1, 2, 4 … seconds)."""
    code = normalise_code(code)
    if not code:
        return CodeResult()
    # Backup codes are eight characters, so never taken for an app's six digits.
    kind = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    throttled = False
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=confirmed, for_verify=True):
            if not isinstance(device, kind):
                continue
            allowed, _why = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            if device.verify_token(code):
                return CodeResult(device)
    return CodeResult(throttled=throttled)


def totp_device_unconfirmed(user) -> TOTPDevice:
    """The authenticator device being set up (made once, so a reload shows the same QR
    code the person may already have scanned)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def totp_confirm(user, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device being set up with its first code; returns fresh backup codes,
    or None if the code was wrong."""
    code = normalise_code(code)
    if not code.isdigit():
        return None
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if not device.verify_token(code):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Only one authenticator: an older one (from an earlier setup) goes.
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        return backup_codes_renew(user)


def backup_codes_renew(user) -> list[str]:
    """Replace the backup codes by ``BACKUP_CODES`` new ones; returns them (they are
    shown once and never again)."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def devices_remove(user) -> None:
    """Turn two-factor off for ``user``: every device goes."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def session_verified(request, device) -> None:
    """Mark this session as verified by ``device`` (django-otp's session key)."""
    request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    request.user.otp_device = device
