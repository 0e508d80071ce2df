"""Joins per network address: a room behind one Wi-Fi gets in, a joining script is
stopped at a room's worth, nothing personal is kept, and the console is told."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from sessions_app import join_limits
from sessions_app.models import Participant
from sessions_app.services.processes import process_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(live_session, make_question, organiser):
    make_question("single_choice")
    process_publish(user=organiser, process=live_session.process)
    return live_session


def joined(session, count: int, seconds: float, address: str = "203.0.113.7") -> int:
    start = 1_800_000_000.0
    return sum(
        join_limits.join_allowed(address, session, now=start + seconds * n / count)
        for n in range(count)
    )


def test_a_room_of_a_thousand_phones_on_one_wifi_gets_in_within_two_minutes(published):
    assert joined(published, 1000, 120) == 1000


def test_a_script_joining_a_thousand_times_in_a_minute_is_stopped_at_a_rooms_worth(published):
    allowed = joined(published, 1000, 50)
    assert allowed == join_limits.PER_MINUTE == 600


def test_other_addresses_are_not_held_up(published):
    joined(published, 1000, 30, address="203.0.113.7")
    assert joined(published, 10, 1, address="198.51.100.9") == 10


def test_no_address_is_kept(published):
    joined(published, 5, 1, address="203.0.113.7")
    keys = list(cache._cache.keys())  # the local-memory cache of this process
    assert keys and not any("203.0.113.7" in key for key in keys)


def test_the_join_page_refuses_clearly_and_the_console_is_told(client, published, monkeypatch):
    monkeypatch.setattr(join_limits, "PER_MINUTE", 3)
    monkeypatch.setattr(join_limits, "SPIKE", 2)
    client.cookies["django_language"] = "en"
    url = reverse("participate:join", args=[published.join_code])
    for _ in range(3):
        client.cookies.pop(f"inspraak_p{published.pk}", None)
        assert client.post(url).status_code == 302
        client.cookies.clear()
        client.cookies["django_language"] = "en"
    refused = client.post(url)
    assert refused.status_code == 429
    assert "Very many phones joined from this network" in refused.content.decode()
    assert Participant.objects.filter(session=published).count() == 3
    assert join_limits.busiest_network(published.pk) >= 2
