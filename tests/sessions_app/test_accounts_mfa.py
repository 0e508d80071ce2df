"""Two-factor authentication: setup with a QR code, login with a code or a backup code,
wrong codes, turning it off, and the requirement for organisers."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from sessions_app import mfa
from tests.conftest import PASSWORD


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset
    return f"{totp.token():0{device.digits}d}"


def with_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    mfa.backup_codes_renew(user)
    return device


def log_in(client, username, password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def staff(make_user):
    return make_user("frits")


@pytest.fixture
def no_otp_throttle(settings):
    """django-otp waits 1, 2, 4 … s after a wrong code; these tests type fast."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def test_setup_shows_a_qr_code_then_backup_codes_once(client, staff, no_otp_throttle):
    client.force_login(staff)
    page = client.get(reverse("two_factor"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html  # the QR code, inline: no external request
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    assert len(secret.replace(" ", "")) == 32
    # Reloading keeps the same key (the person may have scanned it already).
    client.get(reverse("two_factor"))
    assert TOTPDevice.objects.filter(user=staff).count() == 1

    wrong = client.post(reverse("two_factor"), {"code": "000000"})
    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    assert not mfa.has_device(staff)

    response = client.post(reverse("two_factor"), {"code": code_for(device)})
    assert response.url == reverse("two_factor_codes")
    assert mfa.has_device(staff)
    codes_page = client.get(reverse("two_factor_codes")).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", codes_page)
    assert len(codes) == 10
    assert set(codes) == set(
        StaticToken.objects.filter(device__user=staff).values_list("token", flat=True)
    )
    # Shown once only.
    assert client.get(reverse("two_factor_codes")).url == reverse("two_factor")


def test_login_asks_for_the_code_after_the_password(client, staff, no_otp_throttle):
    device = with_device(staff)
    response = log_in(client, "frits", next_url=reverse("account"))
    assert response.url == reverse("login_code")
    assert not logged_in(client)  # the password alone does not log in
    assert client.get(reverse("account")).status_code == 302

    wrong = client.post(reverse("login_code"), {"code": "123456"})
    assert wrong.status_code == 200
    assert "not right" in wrong.content.decode()
    assert not logged_in(client)

    response = client.post(reverse("login_code"), {"code": code_for(device)})
    assert response.url == reverse("account")
    assert logged_in(client)
    assert client.session.get(mfa.VIA_KEY) == "otp"
    assert client.get(reverse("account")).status_code == 200


def test_a_code_cannot_be_used_twice(client, staff, no_otp_throttle):
    device = with_device(staff)
    code = code_for(device)
    log_in(client, "frits")
    assert client.post(reverse("login_code"), {"code": code}).status_code == 302
    client.logout()
    log_in(client, "frits")
    assert client.post(reverse("login_code"), {"code": code}).status_code == 200
    assert not logged_in(client)


def test_a_backup_code_logs_in_once(client, staff, no_otp_throttle):
    with_device(staff)
    backup = StaticToken.objects.filter(device__user=staff).first().token
    log_in(client, "frits")
    assert client.post(reverse("login_code"), {"code": backup.upper()}).status_code == 302
    assert logged_in(client)
    assert mfa.backup_codes_left(staff) == 9
    client.logout()
    log_in(client, "frits")
    assert client.post(reverse("login_code"), {"code": backup}).status_code == 200
    assert not logged_in(client)


def test_wrong_codes_are_throttled_and_count_towards_the_lockout(client, staff):
    device = with_device(staff)
    log_in(client, "frits")
    first = client.post(reverse("login_code"), {"code": "000000"})
    assert "not right" in first.content.decode()
    # django-otp's own back-off: straight after a wrong code even the right one waits.
    second = client.post(reverse("login_code"), {"code": code_for(device)})
    assert "wait a few seconds" in second.content.decode()
    assert not logged_in(client)
    for _ in range(3):
        response = client.post(reverse("login_code"), {"code": "000000"})
    # Five failures (wrong codes) for this account from this network: locked out.
    assert response.status_code == 429
    assert "Logging in is paused" in response.content.decode()
    assert log_in(client, "frits").status_code == 429


def test_the_pending_login_expires(client, staff, no_otp_throttle):
    device = with_device(staff)
    with freeze_time(timezone.now()) as frozen:
        log_in(client, "frits")
        frozen.tick(timedelta(seconds=mfa.PENDING_SECONDS + 1))
        response = client.post(reverse("login_code"), {"code": code_for(device)})
    assert response.url == reverse("login")
    assert not logged_in(client)


def test_turning_it_off_takes_a_code(client, staff, no_otp_throttle):
    device = with_device(staff)
    client.force_login(staff)
    page = client.post(reverse("two_factor"), {"action": "disable", "code": "000000"})
    assert page.status_code == 200 and mfa.has_device(staff)
    response = client.post(reverse("two_factor"), {"action": "disable", "code": code_for(device)})
    assert response.url == reverse("account")
    assert not mfa.has_device(staff)
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert log_in(client, "frits").status_code == 302  # password only again
    assert logged_in(client)


def test_new_backup_codes_replace_the_old(client, staff, no_otp_throttle):
    device = with_device(staff)
    old = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    client.force_login(staff)
    response = client.post(reverse("two_factor"), {"action": "renew", "code": code_for(device)})
    assert response.url == reverse("two_factor_codes")
    new = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    assert len(new) == 10 and not old & new


# --- The requirement for organisers ---------------------------------------------------


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_FOR_ORGANISERS = True


def test_organisers_are_led_to_the_setup_first(client, organiser, required):
    client.force_login(organiser)
    response = client.get(reverse("designer:process_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor") + "?next=")
    # Their account page and the setup itself stay open.
    assert client.get(reverse("account")).status_code == 200
    assert client.get(reverse("two_factor")).status_code == 200


def test_an_organiser_who_set_it_up_passes(client, organiser, required):
    client.force_login(organiser)
    client.get(reverse("two_factor"))
    device = TOTPDevice.objects.get(user=organiser)
    response = client.post(
        reverse("two_factor"),
        {"code": code_for(device), "next": reverse("designer:process_list")},
    )
    assert response.status_code == 302
    # Setting it up verified this session.
    assert client.get(reverse("designer:process_list")).status_code == 200
    codes = client.get(response.url).content.decode()
    assert f'href="{reverse("designer:process_list")}"' in codes


def test_an_organiser_logs_in_with_password_and_code(client, organiser, required, no_otp_throttle):
    device = with_device(organiser)
    log_in(client, organiser.username)
    response = client.post(reverse("login_code"), {"code": code_for(device)})
    assert response.url == reverse("designer:process_list")
    assert client.get(reverse("designer:process_list")).status_code == 200


def test_others_are_not_asked(client, make_user, required):
    teller = make_user("tom")
    client.force_login(teller)
    assert client.get(reverse("designer:process_list")).status_code == 200


def test_a_single_sign_on_counts_as_second_factor(client, organiser, required, settings):
    client.force_login(organiser)
    session = client.session
    session[mfa.VIA_KEY] = "oidc"
    session.save()
    assert client.get(reverse("designer:process_list")).status_code == 200
    settings.OIDC_SATISFIES_MFA = False
    assert client.get(reverse("designer:process_list")).status_code == 302


def test_a_signed_in_organiser_with_a_device_gives_a_code(
    client, organiser, required, no_otp_throttle
):
    """Signed in without a code (single sign-on not trusted for it): asked for one."""
    device = with_device(organiser)
    client.force_login(organiser)
    response = client.get(reverse("designer:process_list"))
    assert response.url.startswith(reverse("login_code"))
    response = client.post(response.url, {"code": code_for(device)})
    assert response.url == reverse("designer:process_list")
    assert client.get(reverse("designer:process_list")).status_code == 200


def test_a_required_second_factor_cannot_be_turned_off(
    client, organiser, required, no_otp_throttle
):
    device = with_device(organiser)
    log_in(client, organiser.username)
    client.post(reverse("login_code"), {"code": code_for(device)})
    client.post(reverse("two_factor"), {"action": "disable", "code": code_for(device, 30)})
    assert mfa.has_device(organiser)


def owing_a_code(client, staff, settings) -> None:
    """``staff`` (two-factor on) logged in by a single sign-on the site does not trust
    for it: the session owes the account's own code."""
    with_device(staff)
    client.force_login(staff)
    session = client.session
    session[mfa.VIA_KEY] = "oidc"
    session.save()
    settings.OIDC_SATISFIES_MFA = False


def test_an_account_with_two_factor_on_owes_a_code_even_when_not_required(client, staff, settings):
    """A session that did not give a code (a single sign-on not trusted for it) is asked
    for one before /manage/, also where the site does not require two-factor."""
    assert not settings.MFA_REQUIRED_FOR_ORGANISERS
    owing_a_code(client, staff, settings)
    response = client.get(reverse("designer:process_list"))
    assert response.url.startswith(reverse("login_code"))
    settings.OIDC_SATISFIES_MFA = True
    assert client.get(reverse("designer:process_list")).status_code == 200


def test_the_tellers_pages_ask_for_the_second_factor_too(client, staff, settings):
    """Not only /manage/: the tellers' pages (photos of forms, typed entries) ask a login
    that owes its second factor for it as well."""
    owing_a_code(client, staff, settings)
    response = client.get(reverse("paper:teller_home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login_code"))
    assert mfa.gated_path("/present/ABC123/") and not mfa.gated_path("/p/plein/")
    settings.OIDC_SATISFIES_MFA = True
    assert client.get(reverse("paper:teller_home")).status_code == 200
