import re

import pytest

from sessions_app.services.processes import process_publish

from .smtp import smtp_server, use_smtp

LINK = re.compile(r"https?://\S+/follow/[A-Za-z0-9_-]+/(?:confirm|stop)/")


@pytest.fixture
def published(process, organiser, live_session, make_question):
    make_question("single_choice")
    process_publish(user=organiser, process=process)
    process.refresh_from_db()
    return process


@pytest.fixture
def inbox(settings):
    """A real SMTP server; Django's mail goes to it."""
    with smtp_server() as server:
        use_smtp(settings, server)
        yield server


@pytest.fixture(autouse=True)
def _no_background(monkeypatch):
    """The mail job runs in the test's own process (``mail.run``): waking it starts
    nothing, and the calls are counted."""
    calls = []
    monkeypatch.setattr("following.services.wake", lambda: calls.append("now"))
    monkeypatch.setattr("following.hooks.wake_later", lambda: calls.append("later"))
    return calls


def links(body: str) -> dict[str, str]:
    """The confirm and unsubscribe links of a mail's body, by kind."""
    return {url.rstrip("/").rsplit("/", 1)[1]: url for url in LINK.findall(body)}


def token_of(url: str) -> str:
    return url.rstrip("/").split("/")[-2]
