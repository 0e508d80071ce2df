"""The server's daily tick: purge and the mail job, waiting while a session is live."""

from __future__ import annotations

import pytest

from sessions_app import daily
from sessions_app.models import LiveSession
from sessions_app.models.choices import SessionState


@pytest.fixture
def tick(monkeypatch):
    """The tick's jobs and timer, recorded instead of started."""
    seen = {"commands": [], "woken": 0, "scheduled": []}
    monkeypatch.setattr(
        "sessions_app.services.background.start_command",
        lambda name, *args, **kwargs: seen["commands"].append(name),
    )

    def wake():
        seen["woken"] += 1

    monkeypatch.setattr("following.wake.wake", wake)
    monkeypatch.setattr(
        daily, "_schedule", lambda delay, deferred=0.0: seen["scheduled"].append((delay, deferred))
    )
    return seen


@pytest.mark.django_db
def test_with_no_session_live_the_jobs_run_and_the_next_tick_is_a_day_later(tick, live_session):
    daily._run()
    assert tick["commands"] == ["purge"]
    assert tick["woken"] == 1
    assert tick["scheduled"] == [(daily.EVERY, 0.0)]


@pytest.mark.django_db
def test_while_a_session_is_live_the_jobs_wait_and_look_again(tick, live_session):
    LiveSession.objects.filter(pk=live_session.pk).update(state=SessionState.LIVE)
    daily._run()
    assert tick["commands"] == [] and tick["woken"] == 0
    assert tick["scheduled"] == [(daily.DEFER_EVERY, daily.DEFER_EVERY)]
    # The next look, with the session still live, waits on, counting what it waited.
    daily._run(daily.DEFER_EVERY)
    assert tick["scheduled"][-1] == (daily.DEFER_EVERY, 2 * daily.DEFER_EVERY)
    assert tick["commands"] == []


@pytest.mark.django_db
def test_a_session_left_live_holds_the_jobs_back_at_most_six_hours(tick, live_session):
    LiveSession.objects.filter(pk=live_session.pk).update(state=SessionState.LIVE)
    daily._run(daily.DEFER_AT_MOST)
    assert daily.DEFER_AT_MOST == 6 * 60 * 60
    assert tick["commands"] == ["purge"]
    assert tick["woken"] == 1
    assert tick["scheduled"] == [(daily.EVERY, 0.0)]


@pytest.mark.django_db
def test_the_jobs_run_when_the_database_cannot_say(tick, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(LiveSession.objects, "filter", broken)
    daily._run()
    assert tick["commands"] == ["purge"]
