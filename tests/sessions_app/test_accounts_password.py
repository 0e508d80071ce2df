"""Password reset by e-mail and password change."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD

NEW = "a-brand-new-passphrase-77"


@pytest.fixture
def staff(make_user):
    user = make_user("frits")
    user.email = "frits@voorbeeldstad.nl"
    user.save()
    return user


def without_tokens(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def can_log_in(client, password) -> bool:
    response = client.post(reverse("login"), {"username": "frits", "password": password})
    ok = response.status_code == 302
    client.logout()
    return ok


def test_the_login_page_links_to_the_reset(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page
    assert 'autocomplete="username"' in page and 'autocomplete="current-password"' in page


def test_reset_by_e_mail(client, staff):
    form = client.get(reverse("password_reset")).content.decode()
    assert 'autocomplete="email"' in form
    response = client.post(reverse("password_reset"), {"email": "Frits@Voorbeeldstad.nl"})
    assert response.url == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.to == ["frits@voorbeeldstad.nl"]
    assert message.subject == "Choose a new password for Inspraak"
    assert "Your user name: frits" in message.body
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)

    # Django swaps the token in the link for one in the session, then shows the form.
    form_url = client.get(link).url
    page = client.get(form_url)
    assert page.status_code == 200
    assert 'autocomplete="new-password"' in page.content.decode()
    done = client.post(form_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.url == reverse("password_reset_complete")
    assert client.get(done.url).status_code == 200

    assert can_log_in(client, NEW)
    assert not can_log_in(client, PASSWORD)
    # The link works once.
    again = client.get(link, follow=True)
    assert "does not work" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer(client, staff):
    known = client.post(reverse("password_reset"), {"email": "frits@voorbeeldstad.nl"}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert without_tokens(known) == without_tokens(unknown)
    assert len(mail.outbox) == 1  # only to the real account


def test_the_public_form_mails_active_accounts_with_a_password_only(
    client, staff, django_user_model
):
    """An inactive account, or one made without a password (it gets its first through the
    admin's action), gets no mail from the public form, and the page answers the same."""
    django_user_model.objects.create_user("nieuw", "nieuw@voorbeeldstad.nl")
    django_user_model.objects.create_user("weg", "weg@voorbeeldstad.nl", PASSWORD, is_active=False)
    for address in ("nieuw@voorbeeldstad.nl", "weg@voorbeeldstad.nl"):
        response = client.post(reverse("password_reset"), {"email": address})
        assert response.url == reverse("password_reset_done")
    assert mail.outbox == []
    client.post(reverse("password_reset"), {"email": "frits@voorbeeldstad.nl"})
    assert [m.to for m in mail.outbox] == [["frits@voorbeeldstad.nl"]]


def test_a_reset_lifts_a_lockout(client, staff):
    for _ in range(5):
        client.post(reverse("login"), {"username": "frits", "password": "wrong"})
    assert (
        client.post(reverse("login"), {"username": "frits", "password": PASSWORD}).status_code
        == 429
    )
    client.post(reverse("password_reset"), {"email": "frits@voorbeeldstad.nl"})
    link = re.search(
        r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body
    ).group(1)
    form_url = client.get(link).url
    client.post(form_url, {"new_password1": NEW, "new_password2": NEW})
    assert can_log_in(client, NEW)


def test_change_password(client, staff):
    client.force_login(staff)
    account = client.get(reverse("account")).content.decode()
    assert f'href="{reverse("password_change")}"' in account
    header = client.get(reverse("designer:process_list")).content.decode()
    assert f'href="{reverse("account")}"' in header

    page = client.get(reverse("password_change")).content.decode()
    assert 'autocomplete="current-password"' in page and 'autocomplete="new-password"' in page
    wrong = client.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": NEW, "new_password2": NEW},
    )
    assert wrong.status_code == 200
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.url == reverse("password_change_done")
    assert client.get(reverse("account")).status_code == 200  # still signed in here
    client.logout()
    assert can_log_in(client, NEW)
    assert not can_log_in(client, PASSWORD)


def test_change_needs_a_login(client):
    response = client.get(reverse("password_change"))
    assert response.url.startswith(reverse("login"))


def test_reset_mails_to_one_address_are_limited_per_hour(client, staff, settings, caplog):
    """The form cannot flood a colleague's mailbox: after PASSWORD_RESET_PER_HOUR mails
    to one address, the page answers the same and no mail goes out; an hour later again."""
    from freezegun import freeze_time

    settings.PASSWORD_RESET_PER_HOUR = 2
    with freeze_time("2026-12-03 20:00:00") as clock:
        answers = [
            client.post(reverse("password_reset"), {"email": "frits@voorbeeldstad.nl"})
            for _ in range(4)
        ]
        assert [a.url for a in answers] == [reverse("password_reset_done")] * 4
        assert len(mail.outbox) == 2
        assert "password.reset_throttled" in caplog.text
        assert "frits" not in caplog.text  # the log says whose only by a hash
        # Another address is not held up by this one.
        client.post(reverse("password_reset"), {"email": "someone@voorbeeldstad.nl"})
        clock.tick(3601)
        client.post(reverse("password_reset"), {"email": "Frits@voorbeeldstad.nl"})
    assert len(mail.outbox) == 3
