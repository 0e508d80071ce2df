"""Login throttling (django-axes): lockout per account and network, its page, its logged
event, the cool-off and the purge of old attempts."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from sessions_app.services.retention import purge
from tests.conftest import PASSWORD

WRONG = "not-the-password"


def attempt(client, username, password, address="127.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def staff(make_user):
    return make_user("frits")


def test_wrong_passwords_lock_the_account_from_that_network(client, staff, settings, caplog):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = attempt(client, "frits", WRONG)
        assert response.status_code == 200
        assert "Please enter a correct" in response.content.decode()
    with caplog.at_level(logging.INFO, logger="inspraak.security"):
        response = attempt(client, "frits", WRONG)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Logging in is paused" in page
    # The login page itself, with the time to try again (15 minutes on).
    ends = timezone.localtime(timezone.now() + timedelta(minutes=15))
    assert f"Try again after {ends:%H:%M}" in page or (
        f"Try again after {ends - timedelta(minutes=1):%H:%M}" in page
    )
    assert 'name="password"' in page
    assert reverse("password_reset") in page

    [event] = [r for r in caplog.records if "login.locked_out" in r.getMessage()]
    assert event.levelno == logging.WARNING
    message = event.getMessage()
    assert "account=" in message and "network=" in message and "failures=5" in message
    assert "frits" not in message and "127.0.0.1" not in message and WRONG not in message


def test_a_failed_login_keeps_no_description_of_the_browser(client, staff):
    """What the lockout needs only: the user name tried and a coded network address."""
    client.post(
        reverse("login"),
        {"username": "frits", "password": WRONG},
        REMOTE_ADDR="127.0.0.1",
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Jan-de-Vries-iPhone",
    )
    [kept] = AccessAttempt.objects.all()
    assert kept.user_agent == "" and "Jan" not in kept.get_data
    assert "127.0.0.1" not in kept.ip_address


def test_the_right_password_is_refused_while_locked(client, staff):
    for _ in range(5):
        attempt(client, "frits", WRONG)
    response = attempt(client, "frits", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)


def test_a_colleague_elsewhere_is_not_locked_out(client, staff, make_user):
    for _ in range(5):
        attempt(client, "frits", WRONG, address="203.0.113.9")
    # The same account from the office's own network still logs in,
    response = attempt(client, "frits", PASSWORD, address="192.0.2.10")
    assert response.status_code == 302
    assert logged_in(client)
    # and so does another account from the stranger's network.
    make_user("greet")
    client.logout()
    assert attempt(client, "greet", PASSWORD, address="203.0.113.9").status_code == 302


def test_after_the_cool_off_the_right_password_works(client, staff, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    with freeze_time(timezone.now()) as frozen:
        for _ in range(5):
            attempt(client, "frits", WRONG)
        frozen.tick(timedelta(minutes=14))
        assert attempt(client, "frits", PASSWORD).status_code == 429
        frozen.tick(timedelta(minutes=2))
        response = attempt(client, "frits", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_a_successful_login_forgets_earlier_failures(client, staff):
    for _ in range(4):
        attempt(client, "frits", WRONG)
    assert attempt(client, "frits", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "frits", WRONG).status_code == 200


def test_no_ip_address_is_stored(client, staff):
    attempt(client, "frits", WRONG, address="198.51.100.23")
    [stored] = AccessAttempt.objects.all()
    assert stored.ip_address != "198.51.100.23"
    assert "198.51.100.23" not in stored.post_data + stored.get_data
    assert WRONG not in stored.post_data


def test_purge_removes_attempts_after_the_cool_off(client, staff):
    with freeze_time(timezone.now()) as frozen:
        attempt(client, "frits", WRONG)
        purge()
        assert AccessAttempt.objects.count() == 1
        frozen.tick(timedelta(minutes=16))
        purge()
    assert AccessAttempt.objects.count() == 0
