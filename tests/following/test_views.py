"""The pages of following by e-mail: the form on the public page, "check your mailbox",
confirm and unsubscribe with one button each, and RFC 8058's one-click POST (issue 22)."""

import pytest
from django.core import mail as outbox
from django.test import Client
from django.urls import reverse

from following import mail
from following.models import Follower
from sessions_app.models import LogEntry

from .conftest import links

pytestmark = pytest.mark.django_db

ADDRESS = "bewoner@example.nl"


def follow(client, process, address=ADDRESS):
    return client.post(reverse("following:follow", args=[process.slug]), {"email": address})


def mailed_links(address=ADDRESS) -> dict[str, str]:
    mail.run()
    [message] = [m for m in outbox.outbox if m.to == [address]]
    return links(message.body)


def path(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_the_public_page_has_the_form(client, published):
    page = client.get(published.get_absolute_url()).content.decode()
    action = reverse("following:follow", args=[published.slug])
    assert f'action="{action}"' in page
    assert 'type="email"' in page and 'name="email"' in page
    assert 'for="follow-email"' in page and 'id="follow-email"' in page
    assert f"{reverse('public:privacy')}#following" in page


def test_no_form_when_following_is_off(client, published, settings):
    settings.FOLLOW_BY_EMAIL = False
    page = client.get(published.get_absolute_url()).content.decode()
    assert "follow-email" not in page
    assert follow(client, published).status_code == 404


def test_the_same_answer_whether_the_address_is_known_or_not(client, published):
    first = follow(client, published)
    sent = reverse("following:sent", args=[published.slug])
    assert (first.status_code, first.url) == (302, sent)
    again = follow(client, published)
    assert (again.status_code, again.url) == (302, sent)
    other = follow(client, published, "ander@example.nl")
    assert (other.status_code, other.url) == (302, sent)
    page = client.get(sent)
    assert page.status_code == 200
    assert "48" in page.content.decode()
    # The form (with a typed address) and its answer are neither cached nor indexed.
    form = client.get(reverse("following:follow", args=[published.slug]))
    for shown in (page, form, follow(client, published, "geen adres")):
        assert "no-store" in shown["Cache-Control"] and shown["X-Robots-Tag"] == "noindex"
    assert Follower.objects.count() == 2


def test_a_bad_address_is_said_and_nothing_stored(client, published):
    response = follow(client, published, "geen adres")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'aria-invalid="true"' in page and 'role="alert"' in page
    assert 'value="geen adres"' in page
    assert not Follower.objects.exists()


def test_a_draft_process_has_no_follow_pages(client, process):
    assert follow(client, process).status_code == 404
    assert client.get(reverse("following:sent", args=[process.slug])).status_code == 404


def test_confirm_needs_the_button(client, published):
    follow(client, published)
    confirm = path(mailed_links()["confirm"])
    page = client.get(confirm)  # a link scanner: nothing happens
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Robots-Tag"] == "noindex"
    assert '<form method="post">' in page.content.decode()
    assert Follower.objects.get().confirmed_at is None
    done = client.post(confirm)
    assert done.status_code == 200
    assert Follower.objects.get().confirmed_at is not None
    assert LogEntry.objects.filter(action="followers.changed").count() == 1
    assert client.get(confirm).status_code == 200  # a second visit: confirmed already


def test_unknown_and_expired_links(client, published, settings):
    assert client.get("/follow/" + "x" * 43 + "/confirm/").status_code == 404
    assert client.post("/follow/" + "x" * 43 + "/stop/").status_code == 404
    follow(client, published)
    confirm = path(mailed_links()["confirm"])
    Follower.objects.update(expires_at="2000-01-01T00:00:00Z")
    response = client.get(confirm)
    assert response.status_code == 410
    assert published.get_absolute_url() in response.content.decode()


def test_unsubscribe_needs_the_button_and_deletes(client, published):
    follow(client, published)
    found = mailed_links()
    client.post(path(found["confirm"]))
    stop = path(found["stop"])
    page = client.get(stop)
    assert page.status_code == 200
    assert Follower.objects.exists()
    done = client.post(stop, {"csrfmiddlewaretoken": "irrelevant"})
    assert done.status_code == 200
    assert not Follower.objects.exists()
    assert LogEntry.objects.filter(action="followers.changed").latest("seq").data == {
        "followers": 0
    }
    assert client.post(stop).status_code == 404


def test_one_click_unsubscribe_of_a_mail_program(published):
    client = Client(enforce_csrf_checks=True)
    follow(Client(), published)
    found = mailed_links()
    Client().post(path(found["confirm"]))
    assert Follower.objects.get().confirmed_at is not None
    response = client.post(
        path(found["stop"]),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert not Follower.objects.exists()


def test_the_confirm_page_keeps_its_csrf_check(published):
    follow(Client(), published)
    confirm = path(mailed_links()["confirm"])
    assert Client(enforce_csrf_checks=True).post(confirm).status_code == 403
    assert Follower.objects.get().confirmed_at is None


def test_the_privacy_statement_names_following(client, settings):
    page = client.get(reverse("public:privacy")).content.decode()
    assert 'id="following"' in page and "48" in page
    settings.FOLLOW_BY_EMAIL = False
    assert 'id="following"' not in client.get(reverse("public:privacy")).content.decode()
