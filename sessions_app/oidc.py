"""Single sign-on by OpenID Connect (mozilla-django-oidc), on when ``OIDC_*`` is set.

The municipality's identity provider vouches for an e-mail address; Inspraak logs in the
one existing, active account with that address (case-insensitive) and nothing else: it
creates no account and changes no account, role or permission. Every refusal sends the
person back to the login page with a message that says why, and is logged on
``inspraak.security`` with a keyed fingerprint of the address, never the address.

Endpoints come from the provider's discovery document (``OIDC_OP_DISCOVERY_URL``,
fetched on the first login and kept for an hour) or from the explicit ``OIDC_OP_*``
settings, which win. Nothing here reaches the network except a login in progress: Django
builds the backend for every request of a signed-in member of staff.

The URLs (``/oidc/authenticate/`` and ``/oidc/callback/``) are always mounted and answer
404 while single sign-on is off.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from sessions_app.security import short_hash

security_log = logging.getLogger("inspraak.security")

WELL_KNOWN = "/.well-known/openid-configuration"
DISCOVERY_SECONDS = 3600
#: The session key the two-factor gate reads: this login's second factor was the
#: provider's (it counts as one when ``OIDC_SATISFIES_MFA`` is on).
MFA_SESSION_KEY = "mfa_via"
BACKEND = "sessions_app.oidc.OIDCBackend"


class DiscoveryError(Exception):
    """The provider's discovery document could not be fetched or is not valid."""


class Refused(Exception):
    """A login the provider vouched for that Inspraak refuses; ``reason`` is a key of
    ``_reason_messages()``."""

    def __init__(self, reason: str, email: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.email = email


def _reason_messages() -> dict[str, str]:
    label = label_text()
    return {
        "unknown_account": _(
            "There is no Inspraak account with the e-mail address that %(label)s gave. "
            "Logging in with %(label)s never creates an account: ask an organiser to invite you."
        )
        % {"label": label},
        "inactive": _(
            "Your Inspraak account has been deactivated. Ask the application manager if you need it again."
        ),
        "ambiguous": _(
            "More than one Inspraak account has the e-mail address that %(label)s gave, so "
            "we cannot tell which one is yours. Ask the application manager to correct this, "
            "or log in with your username and password."
        )
        % {"label": label},
        "unverified": _(
            "%(label)s has not confirmed that your e-mail address is verified, so it cannot "
            "be used to log in here."
        )
        % {"label": label},
        "no_email": _(
            "%(label)s did not send an e-mail address, which Inspraak needs to find your account."
        )
        % {"label": label},
        "unavailable": _(
            "%(label)s cannot be reached at the moment. Please try again later, or log in "
            "with your username and password."
        )
        % {"label": label},
        "failed": _(
            "Logging in with %(label)s did not succeed. Please try again, or log in with "
            "your username and password."
        )
        % {"label": label},
    }


def label_text() -> str:
    """What the provider is called on the login page ("Log in with …")."""
    return str(settings.OIDC_LABEL)


def fingerprint(email: str) -> str:
    """The address as the logs name it: a short keyed hash (``security.short_hash``), so
    that events about one person can be matched without the log holding the address."""
    return short_hash(email.strip().lower()) if email else "-"


def context(request) -> dict:
    """Template context: whether to offer single sign-on, and under which name."""
    if not settings.OIDC_ENABLED:
        return {"oidc_enabled": False}
    return {"oidc_enabled": True, "oidc_label": label_text()}


# --- The provider's endpoints -----------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    authorization: str
    token: str
    userinfo: str
    jwks: str


_discovered: dict[str, tuple[float, dict]] = {}
_discovery_lock = threading.Lock()


def _discovery_document(url: str) -> dict:
    if not url.rstrip("/").endswith(WELL_KNOWN):
        url = url.rstrip("/") + WELL_KNOWN
    now = time.monotonic()
    with _discovery_lock:
        cached = _discovered.get(url)
        if cached and now - cached[0] < DISCOVERY_SECONDS:
            return cached[1]
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise DiscoveryError(f"{url}: {error}") from error
    issuer = document.get("issuer", "")
    # OpenID Connect Discovery 4.3: the document is the issuer's own.
    if not isinstance(issuer, str) or issuer.rstrip("/") + WELL_KNOWN != url.rstrip("/"):
        raise DiscoveryError(f"{url}: the issuer {issuer!r} does not match the document's URL")
    with _discovery_lock:
        _discovered[url] = (now, document)
    return document


def endpoints() -> Endpoints:
    """The provider's endpoints: explicit settings first, then the discovery document.
    Raises ``DiscoveryError`` when the document is needed and cannot be had."""
    document = {}
    if settings.OIDC_OP_DISCOVERY_URL:
        document = _discovery_document(settings.OIDC_OP_DISCOVERY_URL)
    found = Endpoints(
        issuer=settings.OIDC_OP_ISSUER or document.get("issuer", ""),
        authorization=settings.OIDC_OP_AUTHORIZATION_ENDPOINT
        or document.get("authorization_endpoint", ""),
        token=settings.OIDC_OP_TOKEN_ENDPOINT or document.get("token_endpoint", ""),
        userinfo=settings.OIDC_OP_USER_ENDPOINT or document.get("userinfo_endpoint", ""),
        jwks=settings.OIDC_OP_JWKS_ENDPOINT or document.get("jwks_uri", ""),
    )
    if not (found.authorization and found.token and found.userinfo):
        raise DiscoveryError("the provider names no authorization, token or userinfo endpoint")
    return found


# --- The backend -------------------------------------------------------------------------


class OIDCBackend(OIDCAuthenticationBackend):
    """Authenticates the code from the provider's redirect; matches, never creates.

    It grants nothing of its own: permissions are read as by ``ModelBackend``, from the
    account's groups and permissions, which are only changed inside Inspraak."""

    def __init__(self, *args, **kwargs):
        # The library reads the endpoints here; Django builds a backend for every request
        # of a signed-in user, which must not wait for the provider's discovery document.
        self.UserModel = get_user_model()

    def _configure(self) -> None:
        found = endpoints()
        self.issuer = found.issuer
        self.OIDC_OP_TOKEN_ENDPOINT = found.token
        self.OIDC_OP_USER_ENDPOINT = found.userinfo
        self.OIDC_OP_JWKS_ENDPOINT = found.jwks or None
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        if self.OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")) and not self.OIDC_OP_JWKS_ENDPOINT:
            raise DiscoveryError(f"{self.OIDC_RP_SIGN_ALGO} needs the provider's JWKS endpoint")

    def authenticate(self, request, **kwargs):
        """Nothing: only ``CallbackView`` logs in by single sign-on, through
        ``account_from_code``. Django's ``authenticate()`` would report every refusal as a
        failed login to axes, so that a colleague without an account trying a few times
        would lock single sign-on for everyone behind the town hall's address."""
        return None

    def account_from_code(self, request, *, nonce: str, code_verifier: str | None):
        """Exchange the provider's code for tokens, verify the ID token (signature,
        nonce, audience, issuer) and return the account it names. Raises ``Refused``,
        ``SuspiciousOperation``, ``DiscoveryError`` or ``requests.RequestException``."""
        self._configure()
        self.request = request
        payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": request.GET["code"],
            # As the authorisation request said it (the library's view builds it alike).
            "redirect_uri": request.build_absolute_uri(reverse("oidc_authentication_callback")),
        }
        if code_verifier:
            payload["code_verifier"] = code_verifier
        tokens = self.get_token(payload)
        id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
        if not (id_token and access_token):
            raise SuspiciousOperation("the token response has no ID token or access token")
        claims = self.verify_token(id_token, nonce=nonce)
        return self.get_or_create_user(access_token, id_token, claims)

    def get_or_create_user(self, access_token, id_token, payload):
        """The one existing, active account with the verified e-mail address; raises
        ``Refused`` otherwise. ``payload`` is the ID token, its signature and nonce
        already checked."""
        self._check_id_token(payload)
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if str(userinfo.get("sub", "")) != str(payload.get("sub", "")):
            # OpenID Connect Core 5.3.2: otherwise the answer may be another person's.
            raise SuspiciousOperation("the userinfo subject differs from the ID token's")
        return account_for_claims({**payload, **userinfo})

    def _check_id_token(self, payload: dict) -> None:
        # The library does not check the audience or the issuer.
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("the ID token is not meant for this client")
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("the ID token's authorised party is another client")
        if self.issuer and str(payload.get("iss", "")).rstrip("/") != self.issuer.rstrip("/"):
            raise SuspiciousOperation("the ID token comes from another issuer")

    def create_user(self, claims):
        raise Refused("unknown_account", claims.get("email", ""))

    def update_user(self, user, claims):
        return user

    def get_user(self, user_id):
        # ModelBackend's, which refuses an account deactivated after it logged in.
        return ModelBackend.get_user(self, user_id)


def _is_true(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return None


def account_for_claims(claims: dict):
    """The account the provider's claims name, by the rules in docs/sso.md; raises
    ``Refused`` with the reason."""
    email = claims.get("email")
    email = email.strip() if isinstance(email, str) else ""
    if not email:
        raise Refused("no_email")
    verified = _is_true(claims.get("email_verified"))
    if verified is False or (verified is None and settings.OIDC_REQUIRE_EMAIL_VERIFIED):
        raise Refused("unverified", email)
    matches = list(get_user_model().objects.filter(email__iexact=email).order_by("pk")[:2])
    if not matches:
        raise Refused("unknown_account", email)
    if len(matches) > 1:
        raise Refused("ambiguous", email)
    user = matches[0]
    if not user.is_active:
        raise Refused("inactive", email)
    return user


# --- The views ---------------------------------------------------------------------------


def _refuse(request, reason: str, *, email: str = "", detail: str = "") -> HttpResponseRedirect:
    security_log.warning(
        "oidc.login_refused reason=%s who=%s%s",
        reason,
        fingerprint(email),
        f" detail={detail}" if detail else "",
        extra={"event": "oidc.login_refused", "reason": reason, "who": fingerprint(email)},
    )
    messages.error(request, _reason_messages()[reason])
    return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))


class AuthenticateView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and PKCE kept in the session."""

    def __init__(self, **kwargs):
        # The library reads the endpoint here, before ``get`` can answer a failure.
        View.__init__(self, **kwargs)

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = endpoints().authorization
        except DiscoveryError as error:
            return _refuse(request, "unavailable", detail=type(error).__name__)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class CallbackView(View):
    """Where the provider sends the browser back: log in, or say why not."""

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404
        # The state names this browser's attempt; each is used once (replay).
        states = request.session.get("oidc_states") or {}
        attempt = states.pop(request.GET.get("state", ""), None)
        if attempt is not None:
            request.session["oidc_states"] = states
        if request.GET.get("error"):
            # Refused or cancelled at the provider: only its error code, safe characters.
            error = re.sub(r"[^A-Za-z0-9_.-]", "", request.GET["error"])[:40]
            return _refuse(request, "failed", detail=f"provider:{error}")
        if attempt is None or not request.GET.get("code"):
            return _refuse(request, "failed", detail="state")
        try:
            user = OIDCBackend().account_from_code(
                request, nonce=attempt["nonce"], code_verifier=attempt.get("code_verifier")
            )
        except Refused as refusal:
            return _refuse(request, refusal.reason, email=refusal.email)
        except DiscoveryError as error:
            return _refuse(request, "unavailable", detail=type(error).__name__)
        except (SuspiciousOperation, requests.RequestException, jwt.PyJWTError) as error:
            # A token the provider would not give, or one that does not verify.
            return _refuse(request, "failed", detail=type(error).__name__)
        login(request, user, backend=BACKEND)
        request.session[MFA_SESSION_KEY] = "oidc"
        security_log.info(
            "oidc.login user=%s", user.pk, extra={"event": "oidc.login", "user_id": user.pk}
        )
        from sessions_app.views.accounts import login_landing

        return HttpResponseRedirect(
            login_landing(user, request.session.pop("oidc_login_next", None) or "")
        )


urlpatterns = [
    path("authenticate/", AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("callback/", CallbackView.as_view(), name="oidc_authentication_callback"),
]
