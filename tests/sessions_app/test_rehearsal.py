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


def test_a_session_given_input_in_the_draft_keeps_its_state_whole(
    process, organiser, live_session, make_question
):
    """Hands typed in a rehearsal count: their session stays as it is, every question of
    it too (one set back in a session left ended could never be asked); another session
    rehearsed without input is set back."""
    counted, beside = make_question("single_choice"), make_question("single_choice")
    for question in (counted, beside):
        facilitation.question_open(user=organiser, question=question)
    option = counted.options.order_by("position").first()
    hands.hand_count_record(user=organiser, question=counted, counts={str(option.pk): 12})
    facilitation.session_end(user=organiser, session=LiveSession.objects.get(pk=live_session.pk))
    other = live_session_create(
        user=organiser, process=process, spec=session_spec(title="Tweede avond")
    )
    later = question_create(user=organiser, session=other, spec=question_spec())
    facilitation.question_open(user=organiser, question=later)
    process_publish(user=organiser, process=process)
    for question in (counted, beside, later):
        question.refresh_from_db()
    live_session.refresh_from_db(), other.refresh_from_db()
    assert live_session.state == "ended" and beside.opened_at is not None
    assert counted.state == beside.state == "closed"  # closed by the session's end
    assert (other.state, later.state, later.opened_at) == ("planned", "draft", None)
    published = LogEntry.objects.get(action="process.published")
    assert published.data == {"rehearsal_reset": {"sessions": [other.pk], "questions": [later.pk]}}


def test_a_paper_form_waiting_for_its_second_entry_is_input(
    process, organiser, live_session, make_question, make_user, grant
):
    """A teller's first entry of a form under double entry holds no answer yet, but it is
    input: its session is not set back, so its questions keep their wording bound."""
    from sessions_app.models import Role
    from sessions_app.services.paper import sheet_entry_record
    from sessions_app.services.print_runs import print_batch_create
    from sessions_app.services.printing import form_layout

    Process = type(process)
    Process.objects.filter(pk=process.pk).update(entry_mode="double")
    process.refresh_from_db()
    choice = make_question("single_choice")
    facilitation.question_open(user=organiser, question=choice)
    layout = form_layout(session=live_session, large_print=False)
    [sheet] = print_batch_create(
        user=organiser, session=live_session, count=1, layout=layout
    ).sheets.all()
    teller = make_user("tom")
    grant(process, teller, Role.TELLER)
    option = choice.options.order_by("position").first()
    sheet_entry_record(
        user=teller,
        sheet=sheet,
        answers={str(choice.pk): {"option": option.pk}},
        client_id="entry-00000001",
    )
    assert not choice.responses.exists()  # waiting for the second entry
    process_publish(user=organiser, process=process)
    choice.refresh_from_db()
    assert choice.state == "open" and choice.opened_at is not None
    assert LogEntry.objects.get(action="process.published").data == {}


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
    assert "A rehearsal ran 1 session" not in page  # the one session holds input
    assert (
        "1 session holds answers, hands, proposals or paper forms given before publication: "
        "it stays as it is" in page
    )
    other = live_session_create(
        user=organiser, process=process, spec=session_spec(title="Tweede avond")
    )
    question_create(user=organiser, session=other, spec=question_spec())
    facilitation.session_end(user=organiser, session=other)  # ended without a question asked
    page = client.get(reverse("designer:process_publish", args=[process.slug])).content.decode()
    assert (
        "A rehearsal ran 1 session: it goes back to planned and its questions to not asked" in page
    )


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
