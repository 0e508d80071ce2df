"""Single sign-on in real Chromium: Inspraak on a Daphne of its own with the OIDC_*
variables set, the identity provider (django-oauth-toolkit) in another process."""

from __future__ import annotations

import socket

import pytest
from asgiref.sync import sync_to_async
from axe_playwright_python.async_playwright import Axe
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from playwright.async_api import expect

from bench.stack import launch_daphne, stop_daphne
from sessions_app.models import Role
from tests.e2e.conftest import server_env
from tests.oidc_provider.fixtures import PEOPLE, PROVIDER_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LABEL = "Voorbeeldstad-account"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def sso_daphne_url(django_db_setup, django_db_blocker, static_root, oidc_provider):
    """Inspraak with single sign-on on, against the test provider (by discovery), on
    the test database."""
    port = _free_port()
    oidc_provider.allow_redirect(f"http://127.0.0.1:{port}/oidc/callback/")
    env = {**server_env(static_root), **oidc_provider.rp_settings(), "OIDC_LABEL": LABEL}
    server = launch_daphne(env=env, directory=static_root.parent, port=port)
    yield f"http://{server.url}"
    stop_daphne(server)


@pytest.fixture
async def english(browser):
    """A page that asks for English (the messages the tests read are the msgids)."""
    context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = await context.new_page()
    yield page
    await context.close()


async def through_the_provider(
    page, base_url: str, provider, username: str, *, start="/accounts/login/"
):
    await page.goto(f"{base_url}{start}")
    await page.get_by_role("link", name=f"Log in with {LABEL}").click()
    await expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    assert page.url.startswith(f"{provider.url}/login/")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PROVIDER_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()


async def session_of(page) -> dict:
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    key = cookies.get("sessionid")
    return await sync_to_async(lambda: dict(SessionStore(key).load()) if key else {})()


@sync_to_async
def make_staff(username: str, email: str, **fields):
    return get_user_model().objects.create_user(
        username=username, email=email, password="local-password-1", **fields
    )


@sync_to_async
def rights_of(user) -> dict:
    user.refresh_from_db()
    return {
        "flags": (user.is_active, user.is_staff, user.is_superuser),
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
        "roles": sorted(user.staff_roles.values_list("process_id", "role")),
    }


account_count = sync_to_async(lambda: get_user_model().objects.count())


async def test_staff_log_in_through_the_provider_as_their_existing_account(
    english, sso_daphne_url, oidc_provider, process, grant
):
    page = english
    anna = await make_staff("anna", PEOPLE["anna"].email.upper())
    await sync_to_async(grant)(process, anna, Role.FACILITATOR)
    before, accounts = await rights_of(anna), await account_count()

    await page.goto(f"{sso_daphne_url}/accounts/login/?next=/manage/")
    results = await Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    await through_the_provider(
        page, sso_daphne_url, oidc_provider, "anna", start="/accounts/login/?next=/manage/"
    )

    await expect(page.get_by_role("heading", name="My processes")).to_be_visible()
    assert page.url == f"{sso_daphne_url}/manage/"
    await expect(page.get_by_role("button", name="Log out (anna)")).to_be_visible()
    await expect(page.get_by_role("link", name=process.title)).to_be_visible()
    session = await session_of(page)
    assert session["_auth_user_id"] == str(anna.pk)
    assert session["_auth_user_backend"] == "sessions_app.oidc.OIDCBackend"
    assert session["mfa_via"] == "oidc"
    assert await rights_of(anna) == before
    assert await account_count() == accounts

    # Logging out of Inspraak ends the local session.
    await page.get_by_role("button", name="Log out (anna)").click()
    await page.goto(f"{sso_daphne_url}/manage/")
    await expect(page.get_by_role("heading", name="Staff login")).to_be_visible()
    assert "_auth_user_id" not in await session_of(page)


async def _inactive(person):
    await make_staff("former", person.email, is_active=False)


async def _same_email(person):
    await make_staff("nog-niet", person.email)


@pytest.mark.parametrize(
    ("username", "prepare", "message"),
    [
        (
            "stranger",
            None,
            f"There is no Inspraak account with the e-mail address that {LABEL} gave.",
        ),
        ("former", _inactive, "Your Inspraak account has been deactivated."),
        (
            "unverified",
            _same_email,
            f"{LABEL} has not confirmed that your e-mail address is verified",
        ),
    ],
)
async def test_a_refused_login_says_why_on_the_login_page(
    english, sso_daphne_url, oidc_provider, username, prepare, message
):
    page = english
    if prepare:
        await prepare(PEOPLE[username])
    accounts = await account_count()

    await through_the_provider(page, sso_daphne_url, oidc_provider, username)

    await expect(page.get_by_role("heading", name="Staff login")).to_be_visible()
    assert page.url == f"{sso_daphne_url}/accounts/login/"
    await expect(page.get_by_role("alert")).to_contain_text(message)
    assert "_auth_user_id" not in await session_of(page)
    assert await account_count() == accounts
    results = await Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
