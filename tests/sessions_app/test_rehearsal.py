"""A rehearsal before publication (facilitators rehearse with the console and the
presenter in a draft) is set back when the process is published
(``processes.rehearsal_reset``): its questions are not asked yet, its sessions planned,
and the first opening at the evening dates them. What holds input keeps its state."""

import datetime

import pytest
from django.urls import reverse
from freezegun import freeze_time

from sessions_app import selectors
from sessions_app.models import LiveSession, LogEntry, Question
from sessions_app.services import facilitation, hands
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.processes import process_publish
from sessions_app.services.questions import question_create
from tests.conftest import AMS, question_spec, session_spec

pytestmark = pytest.mark.django_db

PLANNED = datetime.datetime(2026, 3, 12, 19, 30, tzinfo=AMS)


@pytest.fixture
def rehearsed(process, organiser):
    """A draft with a session planned for 12 March and two questions, both opened and
    closed in a rehearsal on 10 March; published on 11 March."""
    session = live_session_create(
        user=organiser, process=process, spec=session_spec(title="Avond", starts_at=PLANNED)
    )
    first, second = (
        question_create(user=organiser, session=session, spec=question_spec()) for _ in range(2)
    )
    with freeze_time("2026-03-10 15:00:00"):
        for question in (first, second):
            facilitation.question_open(user=organiser, question=question)
            facilitation.question_close(user=organiser, question=question)
        facilitation.question_reveal(user=organiser, question=second, revealed=True)
        facilitation.session_end(user=organiser, session=LiveSession.objects.get(pk=session.pk))
    with freeze_time("2026-03-11 09:00:00"):
        process_publish(user=organiser, process=process)
    return session, first, second


def test_publication_sets_the_rehearsal_back_and_the_log_names_it(rehearsed):
    session, first, second = rehearsed
    session.refresh_from_db()
    assert (session.state, session.ended_at, session.current_question_id) == ("planned", None, None)
    for question in Question.objects.filter(pk__in=[first.pk, second.pk]):
        assert (question.state, question.opened_at, question.closed_at) == ("draft", None, None)
        assert not question.results_revealed
    published = LogEntry.objects.get(action="process.published")
    assert published.data == {
        "rehearsal_reset": {"sessions": [session.pk], "questions": sorted([first.pk, second.pk])}
    }
    # The log keeps the rehearsal itself.
    assert LogEntry.objects.filter(action="question.opened", seq__lt=published.seq).count() == 2


def test_a_question_given_input_in_the_draft_keeps_its_state(
    process, organiser, live_session, make_question, make_user, grant
):
    """Hands typed in a rehearsal count: that question, and its session, stay as they
    are; a question beside it without input is set back."""
    counted, plain = make_question("single_choice"), make_question("single_choice")
    for question in (counted, plain):
        facilitation.question_open(user=organiser, question=question)
    option = counted.options.order_by("position").first()
    hands.hand_count_record(user=organiser, question=counted, counts={str(option.pk): 12})
    process_publish(user=organiser, process=process)
    counted.refresh_from_db(), plain.refresh_from_db(), live_session.refresh_from_db()
    assert counted.state == "open" and counted.opened_at is not None
    assert plain.state == "draft" and plain.opened_at is None
    assert live_session.state == "live"
    published = LogEntry.objects.get(action="process.published")
    assert published.data == {"rehearsal_reset": {"sessions": [], "questions": [plain.pk]}}


def test_a_draft_never_rehearsed_is_published_as_before(
    process, organiser, live_session, make_question
):
    make_question("single_choice")
    process_publish(user=organiser, process=process)
    assert LogEntry.objects.get(action="process.published").data == {}


def test_the_publish_page_says_what_a_rehearsal_left(
    client, process, organiser, live_session, make_question
):
    counted, plain = make_question("single_choice"), make_question("scale")
    for question in (counted, plain):
        facilitation.question_open(user=organiser, question=question)
    option = counted.options.order_by("position").first()
    hands.hand_count_record(user=organiser, question=counted, counts={str(option.pk): 12})
    client.force_login(organiser)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("designer:process_publish", args=[process.slug])).content.decode()
    assert (
        "A rehearsal opened 1 question: it goes back to not asked, and its session to planned"
        in page
    )
    assert "1 question holds answers, hands or proposals given before publication." in page


def test_the_first_opening_after_publication_dates_the_question(rehearsed, organiser):
    _session, first, _second = rehearsed
    with freeze_time("2026-03-12 18:45:00"):
        facilitation.question_open(user=organiser, question=Question.objects.get(pk=first.pk))
    first.refresh_from_db()
    assert first.opened_at == datetime.datetime(2026, 3, 12, 18, 45, tzinfo=datetime.UTC)
    # Opened again the same evening, it keeps that first opening.
    with freeze_time("2026-03-12 19:10:00"):
        facilitation.question_close(user=organiser, question=first)
        facilitation.question_open(user=organiser, question=Question.objects.get(pk=first.pk))
    first.refresh_from_db()
    assert first.opened_at == datetime.datetime(2026, 3, 12, 18, 45, tzinfo=datetime.UTC)


def test_a_session_held_as_planned_after_a_rehearsal_is_not_moved(rehearsed, organiser):
    session, first, _second = rehearsed
    # The evening asks only the first question; the second was opened in the rehearsal only.
    with freeze_time("2026-03-12 18:45:00"):
        facilitation.question_open(user=organiser, question=Question.objects.get(pk=first.pk))
    [day] = selectors.session_days(sessions=[LiveSession.objects.get(pk=session.pk)]).values()
    assert (day.planned, day.held, day.moved) == (
        datetime.date(2026, 3, 12),
        datetime.date(2026, 3, 12),
        False,
    )


def test_a_rehearsed_session_not_yet_held_has_no_day_held(rehearsed):
    session, _first, _second = rehearsed
    [day] = selectors.session_days(sessions=[LiveSession.objects.get(pk=session.pk)]).values()
    assert day.held is None and not day.moved
