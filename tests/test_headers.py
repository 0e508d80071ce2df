"""Headers every response carries: a strict Content-Security-Policy, and no copies of
what staff see in any cache."""

import pytest
from django.urls import reverse

from sessions_app.services.processes import process_publish
from tests.conftest import PASSWORD


@pytest.fixture
def published(live_session, make_question, organiser):
    make_question("single_choice")
    process_publish(user=organiser, process=live_session.process)
    return live_session.process


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in header.split(";")
        if part.strip()
    }


def test_every_page_has_a_strict_content_security_policy(client, published):
    response = client.get(reverse("public:process", args=[published.slug]))
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]


def test_what_staff_are_sent_is_never_stored(client, process, organiser):
    client.login(username=organiser.username, password=PASSWORD)
    for url in (
        reverse("designer:process_detail", args=[process.slug]),
        reverse("designer:process_export", args=[process.slug]),  # the design file
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url


def test_public_pages_may_be_cached(client, published):
    response = client.get(reverse("public:process", args=[published.slug]))
    assert "no-store" not in response.get("Cache-Control", "")
