"""The Django admin: accounts (deactivate, reset, organiser permission, two-factor,
lockout), process roles through the logged services, and domain data read-only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from sessions_app import mfa
from sessions_app.models import LogEntry, Role, StaffRole
from tests.conftest import PASSWORD

User = get_user_model()


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("beheer", "beheer@voorbeeldstad.nl", PASSWORD)


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def act(client, action: str, *accounts, model="user"):
    return client.post(
        reverse(f"admin:sessions_app_{model}_changelist"),
        {"action": action, "_selected_action": [a.pk for a in accounts]},
        follow=True,
    )


def test_the_admin_logs_in_through_our_login(client, admin_user):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    login = client.get(response.url)
    assert login.url == reverse("login") + "?next=%2F" + reverse("admin:index").strip("/") + "%2F"
    response = client.post(
        reverse("login"),
        {"username": "beheer", "password": PASSWORD, "next": reverse("admin:index")},
    )
    assert response.url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_login_never_sends_away_from_the_site(admin_client):
    """A signed-in admin following a crafted admin login link stays on the site."""
    url = reverse("admin:login")
    away = admin_client.get(url, {"next": "https://evil.example/phish"})
    assert away.status_code == 302 and away.url == reverse("admin:index")
    here = admin_client.get(url, {"next": reverse("admin:sessions_app_user_changelist")})
    assert here.url == reverse("admin:sessions_app_user_changelist")


def test_accounts_list_and_search(admin_client, make_user):
    make_user("frits")
    make_user("greet")
    page = admin_client.get(reverse("admin:sessions_app_user_changelist"), {"q": "fri"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "frits" in html and "greet" not in html


def test_deactivate_ends_login_and_sessions(admin_client, make_user):
    frits = make_user("frits")
    elsewhere = Client()
    elsewhere.force_login(frits)
    assert elsewhere.get(reverse("designer:process_list")).status_code == 200

    act(admin_client, "deactivate", frits)
    frits.refresh_from_db()
    assert not frits.is_active
    # The session that was open is no longer signed in,
    assert elsewhere.get(reverse("designer:process_list")).status_code == 302
    # and the password no longer logs in.
    response = Client().post(reverse("login"), {"username": "frits", "password": PASSWORD})
    assert response.status_code == 200

    act(admin_client, "activate", frits)
    frits.refresh_from_db()
    assert frits.is_active


def test_an_admin_cannot_deactivate_themselves(admin_client, admin_user):
    act(admin_client, "deactivate", admin_user)
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_grant_and_revoke_the_organiser_permission(admin_client, make_user):
    frits = make_user("frits")
    act(admin_client, "grant_organiser", frits)
    assert User.objects.get(pk=frits.pk).has_perm("sessions_app.organise")
    listing = admin_client.get(reverse("admin:sessions_app_user_changelist")).content.decode()
    row = re.search(r"<tr>(?:(?!</tr>).)*>frits</a>.*?</tr>", listing, re.S).group(0)
    assert re.search(r'class="field-organiser"><img [^>]*alt="True"', row)
    act(admin_client, "revoke_organiser", frits)
    assert not User.objects.get(pk=frits.pk).has_perm("sessions_app.organise")


def test_send_a_password_reset(admin_client, make_user):
    frits = make_user("frits")
    frits.email = "frits@voorbeeldstad.nl"
    frits.save()
    greet = make_user("greet")  # no address
    page = act(admin_client, "send_password_reset", frits, greet).content.decode()
    [message] = mail.outbox
    assert message.to == ["frits@voorbeeldstad.nl"]
    assert "/accounts/password/reset/" in message.body
    assert "No e-mail for greet" in page


def test_a_reset_goes_to_an_account_made_without_a_password(admin_client, make_user):
    """How a new account gets its first password: made without one, sent a reset."""
    new = User.objects.create_user("nieuw", "nieuw@voorbeeldstad.nl")  # no password
    assert not new.has_usable_password()
    page = act(admin_client, "send_password_reset", new).content.decode()
    [message] = mail.outbox
    assert message.to == ["nieuw@voorbeeldstad.nl"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)
    assert "A reset e-mail went to 1 account." in page

    # The link lets the new colleague choose a password, and it logs in.
    visitor = Client()
    form_url = visitor.get(link).url
    password = "a-first-passphrase-for-nieuw-42"
    done = visitor.post(form_url, {"new_password1": password, "new_password2": password})
    assert done.url == reverse("password_reset_complete")
    new.refresh_from_db()
    assert new.check_password(password)


def test_the_reset_count_is_the_accounts_mailed(admin_client, make_user):
    frits = User.objects.create_user("frits", "frits@voorbeeldstad.nl", PASSWORD)
    nieuw = User.objects.create_user("nieuw", "nieuw@voorbeeldstad.nl")
    weg = User.objects.create_user("weg", "weg@voorbeeldstad.nl", PASSWORD, is_active=False)
    greet = make_user("greet")  # no address
    page = act(admin_client, "send_password_reset", frits, nieuw, weg, greet).content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "frits@voorbeeldstad.nl",
        "nieuw@voorbeeldstad.nl",
    ]
    assert "A reset e-mail went to 2 accounts." in page
    assert "No e-mail for" in page and "weg" in page and "greet" in page


def test_set_is_staff_on_the_change_form(admin_client, make_user):
    frits = make_user("frits")
    url = reverse("admin:sessions_app_user_change", args=[frits.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="is_staff"' in page
    assert 'name="user_permissions"' not in page  # the organiser permission has its actions
    response = admin_client.post(
        url,
        {
            "username": "frits",
            "email": "",
            "first_name": "",
            "last_name": "",
            "is_active": "on",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302
    frits.refresh_from_db()
    assert frits.is_staff


def test_remove_two_factor_and_lift_a_lockout(admin_client, make_user):
    frits = make_user("frits")
    TOTPDevice.objects.create(user=frits, confirmed=True)
    act(admin_client, "remove_two_factor", frits)
    assert not mfa.has_device(frits)

    stranger = Client()
    for _ in range(5):
        stranger.post(reverse("login"), {"username": "frits", "password": "wrong"})
    assert (
        stranger.post(reverse("login"), {"username": "frits", "password": PASSWORD}).status_code
        == 429
    )
    act(admin_client, "unlock_login", frits)
    assert (
        stranger.post(reverse("login"), {"username": "frits", "password": PASSWORD}).status_code
        == 302
    )


def test_grant_a_role_through_the_logged_service(admin_client, process, make_user):
    frits = make_user("frits")
    response = admin_client.post(
        reverse("admin:sessions_app_staffrole_add"),
        {"process": process.pk, "user": frits.pk, "role": Role.FACILITATOR},
    )
    assert response.status_code == 302
    role = StaffRole.objects.get(process=process, user=frits)
    assert role.role == Role.FACILITATOR
    entry = LogEntry.objects.filter(process=process).last()
    assert entry.action == "staff.granted"
    assert entry.actor == "staff:beheer"
    assert entry.data == {"user": "frits", "role": "facilitator"}


def test_revoke_roles_through_the_logged_service(
    admin_client, process, organiser, make_user, grant
):
    frits = make_user("frits")
    role = grant(process, frits, Role.TELLER)
    act(admin_client, "revoke", role, model="staffrole")
    assert not StaffRole.objects.filter(pk=role.pk).exists()
    entry = LogEntry.objects.filter(process=process).last()
    assert (entry.action, entry.actor) == ("staff.revoked", "staff:beheer")

    # The last organiser of a process stays: the service refuses, the admin says why.
    last = StaffRole.objects.get(process=process, user=organiser, role=Role.ORGANISER)
    page = act(admin_client, "revoke", last, model="staffrole").content.decode()
    assert StaffRole.objects.filter(pk=last.pk).exists()
    assert re.search(r'<li class="error">[^<]*a process needs at least one organiser', page)


def test_roles_are_never_edited_in_place(admin_client, process, organiser):
    role = StaffRole.objects.get(process=process, user=organiser)
    page = admin_client.get(reverse("admin:sessions_app_staffrole_change", args=[role.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (
        admin_client.get(reverse("admin:sessions_app_staffrole_delete", args=[role.pk])).status_code
        == 403
    )


def test_domain_data_is_read_only(admin_client, process):
    assert admin_client.get(reverse("admin:sessions_app_process_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:sessions_app_process_add")).status_code == 403
    change = admin_client.get(reverse("admin:sessions_app_process_change", args=[process.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    before = process.title
    admin_client.post(
        reverse("admin:sessions_app_process_change", args=[process.pk]), {"title": "Anders"}
    )
    process.refresh_from_db()
    assert process.title == before
    # The log is not in the admin at all.
    assert admin_client.get("/admin/sessions_app/logentry/").status_code == 404


def test_people_without_staff_status_get_no_admin(client, make_user):
    client.force_login(make_user("frits"))
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 403


def test_the_admin_requires_two_factor_when_set(admin_client, settings):
    settings.MFA_REQUIRED_FOR_ORGANISERS = True
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor"))
