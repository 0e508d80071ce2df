"""Single sign-on by OpenID Connect against a real provider (django-oauth-toolkit, started
in its own process by ``tests/oidc_provider``): Inspraak's side runs in the test client,
the person's browser at the provider is a ``requests`` session."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse

from sessions_app import oidc
from sessions_app.models import Role
from sessions_app.staff_permissions import organise_grant
from tests.oidc_provider.fixtures import PEOPLE, PROVIDER_PASSWORD, TEST_CLIENT_CALLBACK

ROOT = Path(__file__).resolve().parents[2]
LABEL = "Voorbeeldstad-account"
User = get_user_model()


@pytest.fixture
def sso(settings, oidc_provider, db):
    """Single sign-on on, against the test provider; call again to change the settings."""

    def configure(*, discovery: bool = True, **overrides):
        for name in (
            "OIDC_OP_DISCOVERY_URL",
            "OIDC_OP_ISSUER",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        ):
            setattr(settings, name, "")
        values = {**oidc_provider.rp_settings(discovery=discovery), **overrides}
        for name, value in values.items():
            setattr(settings, name, value)
        settings.OIDC_ENABLED = True
        settings.OIDC_LABEL = LABEL
        if oidc.BACKEND not in settings.AUTHENTICATION_BACKENDS:
            settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, oidc.BACKEND]

    configure()
    return configure


@pytest.fixture
def security_log():
    """What ``inspraak.security`` logs, whatever the logging configuration propagates."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger("inspraak.security")
    handler, level = Keep(level=logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


def staff(username: str, email: str, **fields):
    return User.objects.create_user(username=username, email=email, password="x" * 20, **fields)


def at_provider(client, provider, username: str, *, start: str = "/oidc/authenticate/"):
    """Start single sign-on on our side, log in at the provider as ``username`` and
    return the URL the provider sends the browser back to (our callback)."""
    response = client.get(start)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{provider.issuer}/authorize/?")
    browser = requests.Session()
    form = browser.get(response["Location"], timeout=10)
    assert form.status_code == 200 and urlsplit(form.url).path == "/login/"
    answer = browser.post(
        form.url,
        data={
            "username": username,
            "password": PROVIDER_PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["op_csrftoken"],
        },
        allow_redirects=False,
        timeout=10,
    )
    location = answer.headers.get("Location", "")
    for _ in range(5):  # the provider's login, then its authorisation endpoint
        if location.startswith(TEST_CLIENT_CALLBACK):
            return location.removeprefix("http://testserver")
        hop = browser.get(urljoin(provider.url, location), allow_redirects=False, timeout=10)
        assert hop.status_code == 302, hop.text[:400]
        location = hop.headers["Location"]
    raise AssertionError(f"the provider did not send the browser back: {location}")


def sso_login(client, provider, username: str, **kwargs):
    return client.get(at_provider(client, provider, username, **kwargs))


def login_page_after(client, response) -> str:
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    return client.get(response["Location"]).content.decode()


def signed_in(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def account_state(user) -> dict:
    user.refresh_from_db()
    return {
        "fields": {
            name: getattr(user, name)
            for name in ("username", "email", "is_active", "is_staff", "is_superuser", "password")
        },
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
        "roles": sorted(user.staff_roles.values_list("process_id", "role")),
    }


# --- The login page ----------------------------------------------------------------------


def test_without_oidc_settings_there_is_no_button_and_no_endpoint(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "/oidc/authenticate/" not in page
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_the_login_page_offers_the_provider_by_its_label(client, sso):
    page = client.get(reverse("login") + "?next=/manage/").content.decode()
    assert f"Log in with {LABEL}" in page
    assert 'href="/oidc/authenticate/?next=/manage/"' in page


# --- Logging in ----------------------------------------------------------------------------


def test_the_existing_account_with_that_email_is_logged_in_and_nothing_changes(
    client, sso, oidc_provider, process, grant, security_log
):
    # The address differs in case from the provider's "anna.devries@voorbeeldstad.nl".
    anna = staff("anna", "Anna.deVries@Voorbeeldstad.NL")
    organise_grant(anna)
    grant(process, anna, Role.FACILITATOR)
    staff("bert", "bert@voorbeeldstad.nl")
    before, accounts = account_state(anna), User.objects.count()

    response = sso_login(client, oidc_provider, "anna")

    assert response.status_code == 302
    assert response["Location"] == reverse("designer:process_list")
    assert signed_in(client) == anna.pk
    assert client.session["_auth_user_backend"] == oidc.BACKEND
    assert client.session[oidc.MFA_SESSION_KEY] == "oidc"
    assert account_state(anna) == before
    assert User.objects.count() == accounts
    # Her role, granted inside Inspraak, is what shows her the process.
    page = client.get(reverse("designer:process_list"))
    assert page.status_code == 200
    assert process.title in page.content.decode()
    assert [r.getMessage() for r in security_log if r.getMessage().startswith("oidc.")] == [
        f"oidc.login user={anna.pk}"
    ]


def test_explicit_endpoints_work_without_discovery(client, sso, oidc_provider, db):
    sso(discovery=False)
    anna = staff("anna", PEOPLE["anna"].email)
    response = sso_login(client, oidc_provider, "anna", start="/oidc/authenticate/?next=/manage/")
    assert response["Location"] == "/manage/"
    assert signed_in(client) == anna.pk


def test_a_foreign_next_url_is_ignored(client, sso, oidc_provider, db):
    staff("anna", PEOPLE["anna"].email)
    response = sso_login(
        client, oidc_provider, "anna", start="/oidc/authenticate/?next=https://evil.example/"
    )
    assert response["Location"] == reverse("designer:process_list")


def test_a_teller_lands_on_the_teller_page_as_with_a_password(
    client, sso, oidc_provider, live_session, make_question, organiser, grant
):
    """The landing of ``tests/sessions_app/test_login_landing.py``: a teller and nothing
    else goes to the session running now; a ``next`` address still wins."""
    from sessions_app.services import facilitation

    anna = staff("anna", PEOPLE["anna"].email)
    grant(live_session.process, anna, Role.TELLER)
    facilitation.question_open(user=organiser, question=make_question("single_choice"))
    teller_page = reverse("paper:teller_session", args=[live_session.pk])
    assert sso_login(client, oidc_provider, "anna")["Location"] == teller_page
    assert client.get(teller_page).status_code == 200
    client.logout()
    response = sso_login(client, oidc_provider, "anna", start="/oidc/authenticate/?next=/manage/")
    assert response["Location"] == "/manage/"


def test_logout_ends_the_local_session(client, sso, oidc_provider, db):
    staff("anna", PEOPLE["anna"].email)
    sso_login(client, oidc_provider, "anna")
    assert signed_in(client)
    client.post(reverse("logout"))
    assert signed_in(client) is None
    assert oidc.MFA_SESSION_KEY not in client.session
    response = client.get(reverse("designer:process_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_account_deactivated_after_logging_in_is_logged_out(client, sso, oidc_provider, db):
    anna = staff("anna", PEOPLE["anna"].email)
    sso_login(client, oidc_provider, "anna")
    User.objects.filter(pk=anna.pk).update(is_active=False)
    response = client.get(reverse("designer:process_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- Refusals ------------------------------------------------------------------------------


def _inactive(person):
    staff("former", person.email, is_active=False)


def _two_accounts(person):
    staff("team1", person.email)
    staff("team2", person.email.upper())


def _matching(person):
    staff(person.username, person.email)


@pytest.mark.parametrize(
    ("username", "prepare", "reason", "message"),
    [
        (
            "stranger",
            None,
            "unknown_account",
            f"There is no Inspraak account with the e-mail address that {LABEL} gave.",
        ),
        ("former", _inactive, "inactive", "Your Inspraak account has been deactivated."),
        (
            "unverified",
            _matching,
            "unverified",
            f"{LABEL} has not confirmed that your e-mail address is verified",
        ),
        (
            "shared",
            _two_accounts,
            "ambiguous",
            "More than one Inspraak account has the e-mail address",
        ),
    ],
)
def test_refused_logins_say_why_and_log_no_address(
    client, sso, oidc_provider, security_log, username, prepare, reason, message
):
    person = PEOPLE[username]
    if prepare:
        prepare(person)
    accounts = User.objects.count()

    response = sso_login(client, oidc_provider, username)

    page = login_page_after(client, response)
    assert message in page
    assert 'role="alert"' in page
    assert signed_in(client) is None
    assert User.objects.count() == accounts
    # Not a failed password: axes counts nothing towards a lockout of the network.
    assert not AccessAttempt.objects.exists()
    assert [(r.levelname, r.getMessage()) for r in security_log] == [
        ("WARNING", f"oidc.login_refused reason={reason} who={oidc.fingerprint(person.email)}")
    ]
    assert security_log[0].reason == reason
    # Neither the address nor its local part is in the log.
    assert person.email.split("@")[0] not in repr(security_log[0].__dict__)


def test_the_unverified_address_is_refused_even_when_the_claim_is_optional(
    client, sso, oidc_provider
):
    """OIDC_REQUIRE_EMAIL_VERIFIED off allows a missing claim, never an explicit false."""
    sso(OIDC_REQUIRE_EMAIL_VERIFIED=False)
    person = PEOPLE["unverified"]
    staff("u", person.email)
    page = login_page_after(client, sso_login(client, oidc_provider, "unverified"))
    assert "has not confirmed that your e-mail address is verified" in page
    assert signed_in(client) is None


def test_a_callback_is_used_once(client, sso, oidc_provider, db, security_log):
    staff("anna", PEOPLE["anna"].email)
    callback = at_provider(client, oidc_provider, "anna")
    assert client.get(callback)["Location"] == reverse("designer:process_list")
    client.post(reverse("logout"))

    page = login_page_after(client, client.get(callback))
    assert f"Logging in with {LABEL} did not succeed" in page
    assert signed_in(client) is None
    assert security_log[-1].getMessage() == "oidc.login_refused reason=failed who=- detail=state"


def test_a_callback_from_another_browser_is_refused(client, sso, oidc_provider, db):
    from django.test import Client

    staff("anna", PEOPLE["anna"].email)
    callback = at_provider(client, oidc_provider, "anna")
    other = Client()
    login_page_after(other, other.get(callback))
    assert signed_in(other) is None


def test_the_providers_error_is_a_message_not_a_server_error(
    client, sso, oidc_provider, security_log
):
    start = client.get("/oidc/authenticate/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get(f"/oidc/callback/?error=access_denied%0Aforged&state={state}")
    assert f"Logging in with {LABEL} did not succeed" in login_page_after(client, response)
    assert security_log[-1].getMessage().endswith("detail=provider:access_deniedforged")
    # The state is spent.
    assert state not in client.session.get("oidc_states", {})


def test_a_wrong_client_secret_is_a_message_not_a_server_error(
    client, sso, oidc_provider, security_log
):
    staff("anna", PEOPLE["anna"].email)
    sso(OIDC_RP_CLIENT_SECRET="not-the-secret")
    page = login_page_after(client, sso_login(client, oidc_provider, "anna"))
    assert f"Logging in with {LABEL} did not succeed" in page
    assert signed_in(client) is None
    assert security_log[-1].getMessage().endswith("detail=HTTPError")


def test_an_unreachable_provider_is_a_message(client, sso, security_log):
    sso(OIDC_OP_DISCOVERY_URL="http://127.0.0.1:9/o")
    page = login_page_after(client, client.get("/oidc/authenticate/"))
    assert f"{LABEL} cannot be reached at the moment" in page
    assert security_log[-1].reason == "unavailable"


def test_an_id_token_for_another_client_or_issuer_is_refused(settings):
    backend = oidc.OIDCBackend()
    backend.OIDC_RP_CLIENT_ID, backend.issuer = "inspraak", "https://idp.example/realm"
    good = {"aud": "inspraak", "iss": "https://idp.example/realm", "sub": "1"}
    backend._check_id_token(good)
    backend._check_id_token({**good, "aud": ["inspraak", "other"], "azp": "inspraak"})
    for bad in (
        {**good, "aud": "other"},
        {**good, "aud": ["inspraak", "other"], "azp": "other"},
        {**good, "iss": "https://evil.example/realm"},
    ):
        with pytest.raises(SuspiciousOperation):
            backend._check_id_token(bad)


# --- The mapping rules, claim by claim ---------------------------------------------------


def test_mapping_rules(settings, db):
    anna = staff("anna", "anna@voorbeeldstad.nl")
    claims = {"email": " ANNA@voorbeeldstad.nl ", "email_verified": True}
    assert oidc.account_for_claims(claims) == anna
    assert oidc.account_for_claims({**claims, "email_verified": "true"}) == anna

    def reason(claims):
        with pytest.raises(oidc.Refused) as refused:
            oidc.account_for_claims(claims)
        return refused.value.reason

    assert reason({"email_verified": True}) == "no_email"
    assert reason({**claims, "email_verified": False}) == "unverified"
    assert reason({**claims, "email_verified": "false"}) == "unverified"
    assert reason({"email": claims["email"]}) == "unverified"
    settings.OIDC_REQUIRE_EMAIL_VERIFIED = False
    assert oidc.account_for_claims({"email": claims["email"]}) == anna
    assert reason({**claims, "email_verified": False}) == "unverified"
    # Never by a partial match.
    assert reason({"email": "nna@voorbeeldstad.nl", "email_verified": True}) == "unknown_account"
    assert reason({"email": "anna@voorbeeldstad.n_", "email_verified": True}) == "unknown_account"


# --- Settings ----------------------------------------------------------------------------


def _settings_of(env: dict, expression: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OIDC_")}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, json; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
            "import django; django.setup(); from django.conf import settings;"
            f"print(json.dumps({expression}, default=str))",
        ],
        cwd=ROOT,
        env={**clean, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_turn_single_sign_on_on_and_refuse_half_a_configuration():
    expression = (
        "[settings.OIDC_ENABLED, settings.AUTHENTICATION_BACKENDS[-1], str(settings.OIDC_LABEL)]"
    )
    off = _settings_of({}, expression)
    assert json.loads(off.stdout)[0] is False
    assert oidc.BACKEND not in off.stdout

    client = {"OIDC_RP_CLIENT_ID": "inspraak", "OIDC_RP_CLIENT_SECRET": "s3cret"}
    on = _settings_of(
        {
            **client,
            "OIDC_OP_DISCOVERY_URL": "https://idp.example/realm",
            "OIDC_LABEL": "Mijn Gemeente",
        },
        expression,
    )
    assert json.loads(on.stdout) == [True, oidc.BACKEND, "Mijn Gemeente"]

    half = _settings_of({**client, "OIDC_OP_TOKEN_ENDPOINT": "https://idp.example/token"}, "1")
    assert half.returncode != 0 and "OIDC_OP_DISCOVERY_URL" in half.stderr
    assert "OIDC_OP_AUTHORIZATION_ENDPOINT" in half.stderr
    # The provider without the client is half a configuration too, not single sign-on off.
    no_client = _settings_of({"OIDC_OP_DISCOVERY_URL": "https://idp.example/realm"}, "1")
    assert no_client.returncode != 0
    assert "missing: OIDC_RP_CLIENT_ID, OIDC_RP_CLIENT_SECRET." in no_client.stderr
    no_keys = _settings_of(
        {
            **client,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://idp.example/auth",
            "OIDC_OP_TOKEN_ENDPOINT": "https://idp.example/token",
            "OIDC_OP_USER_ENDPOINT": "https://idp.example/userinfo",
        },
        "1",
    )
    assert no_keys.returncode != 0 and "OIDC_OP_JWKS_ENDPOINT" in no_keys.stderr
