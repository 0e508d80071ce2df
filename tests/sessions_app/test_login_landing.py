"""Where a login lands: a teller and nothing else goes straight to the teller page of the
one session they count for now (or next); everyone else, and a teller with no single
such session, lands on "My processes"; a ``next`` address always wins. The same rule for
the password, the password and a code, and single sign-on (``tests/sessions_app/
test_oidc.py``)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from sessions_app import selectors
from sessions_app.models import LiveSession, Role
from sessions_app.services import facilitation
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.processes import process_close, process_publish
from sessions_app.services.questions import question_create
from sessions_app.services.staff import staff_grant
from sessions_app.staff_permissions import organise_grant
from tests.conftest import PASSWORD, question_spec, session_spec

pytestmark = pytest.mark.django_db

MY_PROCESSES = reverse("designer:process_list")


def teller_page(session) -> str:
    return reverse("paper:teller_session", args=[session.pk])


def log_in(client, username: str, next_url: str = ""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


@pytest.fixture
def teller(make_user):
    return make_user("teun")


@pytest.fixture
def planned(organiser):
    """A session of ``process`` with a question, planned ``hours`` from now (negative: in
    the past)."""

    def make(process, hours: float, title: str = "Bewonersavond") -> LiveSession:
        starts = timezone.now() + timedelta(hours=hours)
        spec = session_spec(title=title, starts_at=starts, ends_at=starts + timedelta(hours=2))
        session = live_session_create(user=organiser, process=process, spec=spec)
        question_create(user=organiser, session=session, spec=question_spec("single_choice"))
        return session

    return make


@pytest.fixture
def live(organiser):
    """``session`` running: its question opened (its process published first)."""

    def start(session: LiveSession) -> LiveSession:
        if session.process.state == "draft":
            process_publish(user=organiser, process=session.process)
        facilitation.question_open(user=organiser, question=session.questions.get())
        session.refresh_from_db()
        assert session.state == "live"
        return session

    return start


@pytest.fixture
def evening(process, planned, live, grant, teller):
    """Tonight's session is running; the teller counts for its process."""
    grant(process, teller, Role.TELLER)
    return live(planned(process, -1))


# --- The password ------------------------------------------------------------------------


def test_a_teller_lands_on_the_teller_page_of_the_session_running_now(client, teller, evening):
    response = log_in(client, "teun")
    assert response.status_code == 302
    assert response.url == teller_page(evening)
    page = client.get(response.url)
    assert page.status_code == 200 and evening.title in page.content.decode()


def test_a_next_address_still_wins(client, teller, evening):
    elsewhere = reverse("paper:teller_home")
    assert log_in(client, "teun", next_url=elsewhere).url == elsewhere
    client.logout()
    # A next address of another site is not one: the teller page, as without it.
    assert log_in(client, "teun", next_url="https://evil.example/").url == teller_page(evening)


def test_without_a_session_at_hand_a_teller_lands_on_my_processes(
    client, process, teller, grant, planned
):
    grant(process, teller, Role.TELLER)
    assert log_in(client, "teun").url == MY_PROCESSES  # no session at all
    client.logout()
    planned(process, -30)  # planned yesterday and never held: not coming any more
    assert log_in(client, "teun").url == MY_PROCESSES


def test_other_roles_anywhere_keep_my_processes(client, make_process, evening, teller, make_user):
    for role in (Role.FACILITATOR, Role.ORGANISER, Role.REVIEWER):
        owner = make_user(f"eigenaar-{role}")
        other = make_process(user=owner, title=f"Ander traject {role}")
        added = staff_grant(user=owner, process=other, target=teller, role=role)
        assert log_in(client, "teun").url == MY_PROCESSES, role
        client.logout()
        added.delete()
    # A teller who may start processes has them to start on "My processes".
    organise_grant(teller)
    assert log_in(client, "teun").url == MY_PROCESSES
    client.logout()
    teller.user_permissions.clear()
    assert log_in(client, "teun").url == teller_page(evening)


def test_two_sessions_running_at_once_keep_my_processes(
    client, make_process, evening, teller, planned, live, organiser
):
    other = make_process(title="Tweede traject")
    staff_grant(user=organiser, process=other, target=teller, role=Role.TELLER)
    second = live(planned(other, -1))
    assert log_in(client, "teun").url == MY_PROCESSES
    client.logout()
    facilitation.session_end(user=organiser, session=second)
    facilitation.paper_counting_close(user=organiser, session=second)
    assert log_in(client, "teun").url == teller_page(evening)


def test_with_none_running_the_next_coming_session(
    client, process, teller, grant, planned, organiser
):
    grant(process, teller, Role.TELLER)
    later = planned(process, 24 * 7, "Tweede avond")
    sooner = planned(process, 3, "Eerste avond")
    assert log_in(client, "teun").url == teller_page(sooner)
    client.logout()
    # Its planned start passed a little while ago, and it has not started: still it.
    LiveSession.objects.filter(pk=sooner.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    assert log_in(client, "teun").url == teller_page(sooner)
    client.logout()
    # Two coming at the same time: no single one.
    LiveSession.objects.filter(pk=later.pk).update(
        starts_at=LiveSession.objects.get(pk=sooner.pk).starts_at
    )
    assert log_in(client, "teun").url == MY_PROCESSES


def test_after_the_meeting_the_session_whose_paper_counting_is_open(
    client, process, evening, teller, planned, organiser
):
    tomorrow = planned(process, 24, "Tweede avond")
    facilitation.session_end(user=organiser, session=evening)
    # Ended, its paper still being counted: before the next session.
    assert log_in(client, "teun").url == teller_page(evening)
    client.logout()
    facilitation.paper_counting_close(user=organiser, session=evening)
    assert log_in(client, "teun").url == teller_page(tomorrow)
    client.logout()
    # A closed process has nothing left to count or hold.
    process_close(user=organiser, process=process)
    assert log_in(client, "teun").url == MY_PROCESSES


def test_an_ended_session_left_open_for_paper_counts_for_a_day(teller, evening, organiser):
    facilitation.session_end(user=organiser, session=evening)
    now = timezone.now()
    assert selectors.teller_landing_session(user=teller, now=now) == evening
    later = now + selectors.TELLER_LANDING_WINDOW + timedelta(minutes=1)
    assert selectors.teller_landing_session(user=teller, now=later) is None


# --- The password and a code -------------------------------------------------------------


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def test_with_two_factor_the_landing_follows_the_code(client, teller, evening, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = TOTPDevice.objects.create(user=teller, name="app", confirmed=True)
    response = log_in(client, "teun")
    assert response.url == reverse("login_code")
    response = client.post(reverse("login_code"), {"code": code_for(device)})
    assert response.url == teller_page(evening)
    # The teller page (behind the second factor) opens.
    assert client.get(response.url).status_code == 200
    client.logout()
    elsewhere = reverse("paper:teller_home")
    assert log_in(client, "teun", next_url=elsewhere).url == reverse("login_code")
    device.refresh_from_db()
    device.last_t = -1  # the same time step's code again
    device.save()
    response = client.post(reverse("login_code"), {"code": code_for(device)})
    assert response.url == elsewhere


# --- A session left running --------------------------------------------------------------


def _days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def test_a_session_left_running_last_week_does_not_beat_tonights(
    client, process, teller, grant, planned, live
):
    """Running (live) counts as open now only when it started within the window or one of
    its questions was opened or closed within it: last week's forgotten session is not
    tonight's."""
    grant(process, teller, Role.TELLER)
    forgotten = live(planned(process, -24 * 7, "Vorige week"))
    forgotten.questions.update(opened_at=_days_ago(7))
    tonight = planned(process, -0.5, "Vanavond")  # planned half an hour ago, not started
    assert selectors.teller_landing_session(user=teller) == tonight
    assert log_in(client, "teun").url == teller_page(tonight)
    client.logout()
    # With nothing else at hand (tonight's never held, planned two days ago), the
    # forgotten session is no landing either.
    LiveSession.objects.filter(pk=tonight.pk).update(starts_at=_days_ago(2))
    assert selectors.teller_landing_session(user=teller) is None
    assert log_in(client, "teun").url == MY_PROCESSES


def test_a_running_session_counts_while_its_questions_move(teller, process, grant, planned, live):
    """A running session planned long ago is open now when a question of it was opened or
    closed within the window, and stops being so a window after the last of these."""
    grant(process, teller, Role.TELLER)
    session = live(planned(process, -24 * 3, "Uitgelopen"))
    now = timezone.now()
    # Its question opened just now: open now (its planned start is three days ago).
    assert selectors.teller_landing_session(user=teller, now=now) == session
    # Opened three days ago and closed an hour ago: still at work on it.
    question = session.questions.get()
    type(question).objects.filter(pk=question.pk).update(
        opened_at=_days_ago(3), closed_at=now - timedelta(hours=1)
    )
    assert selectors.teller_landing_session(user=teller, now=now) == session
    # A window after its last move (and long after its start): no longer.
    later = now + selectors.TELLER_LANDING_WINDOW
    assert selectors.teller_landing_session(user=teller, now=later) is None
    # Planned to start within the window, it is open now without a recent move.
    starts = later - timedelta(hours=2)
    LiveSession.objects.filter(pk=session.pk).update(
        starts_at=starts, ends_at=starts + timedelta(hours=2)
    )
    assert selectors.teller_landing_session(user=teller, now=later) == session


def test_a_running_session_where_the_teller_has_no_role_is_never_chosen(
    client, make_process, process, teller, grant, planned, live, make_user, organiser
):
    grant(process, teller, Role.TELLER)
    other = make_process(title="Ander traject")
    # Another process, with a teller of its own: its session runs tonight.
    staff_grant(user=organiser, process=other, target=make_user("tina"), role=Role.TELLER)
    elsewhere = live(planned(other, -1, "Elders"))
    assert selectors.teller_landing_session(user=teller) is None
    assert log_in(client, "teun").url == MY_PROCESSES
    client.logout()
    # The teller's own session coming tonight is the one, the other still running.
    own = planned(process, 2, "Eigen avond")
    assert selectors.teller_landing_session(user=teller) == own
    assert log_in(client, "teun").url == teller_page(own)
    assert LiveSession.objects.get(pk=elsewhere.pk).state == "live"
