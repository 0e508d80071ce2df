"""Staff accounts in real Chromium against a real Daphne: the lockout page, setting up
two-factor and logging in with a code, and the admin's pages and actions under the
site's Content-Security-Policy (the browser fixture fails on anything it blocked)."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.async_api import expect

from tests.conftest import PASSWORD

from .helpers import no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIME = re.compile(r"Try again after \d{2}:\d{2}")


@pytest.fixture
async def english(browser):
    """English pages: these texts are read before the Dutch catalogue has them."""
    context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = await context.new_page()
    yield page
    await context.close()


@sync_to_async
def account(username: str, *, superuser: bool = False, email: str = ""):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, email=email)
    if superuser:
        user.is_staff = user.is_superuser = True
        user.save()
    return user


@sync_to_async
def device_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


@sync_to_async
def is_active(username: str) -> bool:
    return get_user_model().objects.get(username=username).is_active


def totp_code(key: bytes) -> str:
    totp = TOTP(key, 30, 0, 6, 0)
    totp.time = time.time()
    return f"{totp.token():06d}"


async def submit_login(page, username: str, password: str):
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    async with page.expect_navigation() as navigation:
        await page.get_by_role("button", name="Log in").click()
    return await navigation.value


async def test_lockout_message_on_the_login_page(english, daphne_url):
    await account("frits")
    page = english
    await page.goto(f"{daphne_url}/accounts/login/")
    for _ in range(4):
        response = await submit_login(page, "frits", "wrong password")
        assert response.status == 200
    response = await submit_login(page, "frits", "wrong password")
    assert response.status == 429
    lockout = page.locator("#lockout")
    await expect(lockout).to_be_visible()
    await expect(lockout).to_have_attribute("role", "alert")
    await expect(lockout).to_contain_text(TIME)
    await no_axe_violations(page)
    # The right password now is refused too, with the same message.
    response = await submit_login(page, "frits", PASSWORD)
    assert response.status == 429
    await expect(page.locator("#lockout")).to_contain_text(TIME)
    await expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()


async def test_set_up_two_factor_and_log_in_with_codes(english, daphne_url):
    await account("greet")
    page = english
    await page.goto(f"{daphne_url}/accounts/login/")
    await submit_login(page, "greet", PASSWORD)
    await page.get_by_role("link", name="Account").click()
    await page.get_by_role("link", name="Set up two-factor authentication").click()

    # The QR code is an inline image the policy allows, and it is drawn.
    qr = page.locator("#totp-qr")
    await expect(qr).to_be_visible()
    assert await qr.evaluate("img => img.complete && img.naturalWidth > 0")
    await no_axe_violations(page)
    secret = (await page.locator("#totp-secret").text_content()).replace(" ", "")
    key = b32decode(secret)
    await page.get_by_label("Code from the app").fill(totp_code(key))
    await page.get_by_role("button", name="Turn on").click()
    codes = await page.locator("#backup-codes code").all_text_contents()
    assert len(codes) == 10
    await page.get_by_role("link", name="I have kept them: continue").click()
    await expect(page.get_by_role("heading", name="Your account")).to_be_visible()

    # Logging in again asks for a code after the password; a backup code does.
    await page.get_by_role("button", name=re.compile("Log out")).click()
    await page.goto(f"{daphne_url}/accounts/login/?next=/accounts/")
    await submit_login(page, "greet", PASSWORD)
    await expect(page.get_by_role("heading", name="Two-factor code")).to_be_visible()
    await no_axe_violations(page)
    await page.get_by_label("Code").fill("000000")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.locator(".field-errors, .errorlist")).to_contain_text("not right")
    # (The app's code waits a second after a wrong one; a backup code need not.)
    await page.get_by_label("Code").fill(codes[0])
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    await expect(page.locator("body")).to_contain_text("9 backup codes left")


async def test_log_in_with_the_authenticator_code(english, daphne_url):
    user = await account("henk")
    device = await device_for(user)
    page = english
    await page.goto(f"{daphne_url}/accounts/login/?next=/accounts/")
    await submit_login(page, "henk", PASSWORD)
    await page.get_by_label("Code").fill(totp_code(device.bin_key))
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Your account")).to_be_visible()


async def test_the_admin_works_under_the_content_security_policy(english, daphne_url, process):
    await account("beheer", superuser=True)
    await account("frits", email="frits@voorbeeldstad.nl")
    page = english
    await page.goto(f"{daphne_url}/admin/")
    # The admin sends us through the site's own login, and back.
    await expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    await submit_login(page, "beheer", PASSWORD)
    await expect(page).to_have_url(re.compile(r"/admin/$"))
    await expect(page.locator("#site-name")).to_contain_text("Inspraak administration")

    # A role, granted through the logged service.
    await page.goto(f"{daphne_url}/admin/sessions_app/staffrole/add/")
    await page.select_option("select[name=process]", str(process.pk))
    await page.select_option("select[name=user]", label="frits")
    await page.select_option("select[name=role]", "teller")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    # Accounts: search, then an action.
    await page.goto(f"{daphne_url}/admin/")
    await page.get_by_role("link", name="Staff accounts").first.click()
    await page.locator("#searchbar").fill("frits")
    await page.locator("#changelist-search input[type=submit]").click()
    await page.locator("input.action-select").first.check()
    await page.select_option("select[name=action]", "deactivate")
    await page.locator("button[name=index]").click()
    await expect(page.locator(".messagelist")).to_contain_text("1 account deactivated")
    assert not await is_active("frits")

    # A change form, with the admin's own scripts.
    await page.get_by_role("link", name="frits", exact=True).click()
    await expect(page.locator("input[name=is_staff]")).to_be_visible()
