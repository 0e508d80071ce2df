"""Facilitation: opening and closing questions, moving through the agenda, revealing
results, ending a session, moderating, and the console's commands."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from sessions_app.exceptions import AccessDenied, FacilitationError, InputRejected
from sessions_app.models import (
    LogEntry,
    Moderation,
    QuestionState,
    Response,
    Role,
    SessionState,
)
from sessions_app.services import facilitation, participation
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.questions import question_move
from tests.conftest import session_spec
from tests.texts import commitment_of

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 1, 15, 18, 45, tzinfo=UTC)


def entries(process) -> list[tuple[str, dict]]:
    return [(e.action, e.data) for e in LogEntry.objects.filter(process=process).order_by("seq")]


def log_size(process) -> int:
    return LogEntry.objects.filter(process=process).count()


def new_entries(process, since: int) -> list[tuple[str, dict]]:
    return entries(process)[since:]


def stored(obj):
    return type(obj).objects.get(pk=obj.pk)


def facilitation_error(code: str, call, **kwargs) -> FacilitationError:
    with pytest.raises(FacilitationError) as caught:
        call(**kwargs)
    assert caught.value.code == code
    return caught.value


@pytest.fixture
def other_session(process, organiser):
    return live_session_create(
        user=organiser, process=process, spec=session_spec(title="Tweede avond")
    )


@pytest.fixture
def agenda(make_question):
    return [make_question("single_choice"), make_question("scale"), make_question("open_text")]


@pytest.fixture
def text_answer(make_question, organiser, live_session):
    """A counted open answer, waiting for moderation."""
    question = make_question("open_text")
    facilitation.question_open(user=organiser, question=question)
    phone = participation.participant_join(session=live_session, via="room")
    result = participation.response_submit(
        participant=phone,
        question_id=question.pk,
        answer={"text": "Meer bomen"},
        client_id="a-1234567",
    )
    return Response.objects.get(pk=result.response_id)


@pytest.fixture
def proposal(make_question, organiser, live_session):
    """A statement proposed by a participant, waiting for moderation."""
    question = make_question("statements", participants_may_add=True)
    facilitation.question_open(user=organiser, question=question)
    phone = participation.participant_join(session=live_session, via="remote")
    option, _created = participation.statement_propose(
        participant=phone, question_id=question.pk, text="Meer licht.", client_id="p-1234567"
    )
    return option


# Opening and closing


def test_question_open_starts_the_session_and_shows_the_question(
    make_question, organiser, live_session, process
):
    question = make_question("scale")
    assert live_session.state == SessionState.PLANNED
    before = log_size(process)

    with freeze_time(T0):
        facilitation.question_open(user=organiser, question=question)

    question = stored(question)
    assert question.state == QuestionState.OPEN
    assert question.opened_at == T0
    assert question.closed_at is None
    session = stored(live_session)
    assert session.state == SessionState.LIVE
    assert session.current_question == question
    assert new_entries(process, before) == [
        ("question.opened", {"session": live_session.pk, "question": question.pk})
    ]
    assert LogEntry.objects.filter(process=process).last().actor == "staff:olga"


def test_opening_in_a_live_session_keeps_it_live_and_shows_the_latest(
    agenda, organiser, live_session
):
    first, second, _third = agenda
    facilitation.question_open(user=organiser, question=first)
    facilitation.question_open(user=organiser, question=second)
    session = stored(live_session)
    assert session.state == SessionState.LIVE
    assert session.current_question == second
    assert stored(first).state == QuestionState.OPEN


def test_question_close_and_reopen(make_question, organiser, process):
    question = make_question("scale")
    with freeze_time(T0):
        facilitation.question_open(user=organiser, question=question)
    before = log_size(process)
    with freeze_time(T0 + timedelta(minutes=5)):
        facilitation.question_close(user=organiser, question=question)
    closed = stored(question)
    assert closed.state == QuestionState.CLOSED
    assert closed.closed_at == T0 + timedelta(minutes=5)

    with freeze_time(T0 + timedelta(minutes=9)):
        facilitation.question_open(user=organiser, question=closed)
    reopened = stored(question)
    assert reopened.state == QuestionState.OPEN
    assert reopened.opened_at == T0  # first opened, kept
    assert reopened.closed_at is None
    data = {"session": question.session_id, "question": question.pk}
    assert new_entries(process, before) == [("question.closed", data), ("question.reopened", data)]


def test_moves_that_the_state_does_not_allow(make_question, organiser, process):
    question = make_question("scale")
    before = log_size(process)
    error = facilitation_error(
        "question_state", facilitation.question_close, user=organiser, question=question
    )
    assert error.params == {"from": "not yet opened", "to": "closed"}
    assert stored(question).state == QuestionState.DRAFT

    facilitation.question_open(user=organiser, question=question)
    error = facilitation_error(
        "question_state", facilitation.question_open, user=organiser, question=question
    )
    assert error.params == {"from": "open", "to": "open"}
    facilitation.question_close(user=organiser, question=question)
    facilitation_error(
        "question_state", facilitation.question_close, user=organiser, question=question
    )
    assert [action for action, _data in new_entries(process, before)] == [
        "question.opened",
        "question.closed",
    ]


# Revealing


def test_question_reveal_logs_only_changes(make_question, organiser, process):
    question = make_question("single_choice")
    before = log_size(process)
    data = {"session": question.session_id, "question": question.pk}

    facilitation.question_reveal(user=organiser, question=question, revealed=False)
    assert log_size(process) == before

    facilitation.question_reveal(user=organiser, question=question, revealed=True)
    assert stored(question).results_revealed is True
    facilitation.question_reveal(user=organiser, question=stored(question), revealed=True)
    facilitation.question_reveal(user=organiser, question=stored(question), revealed=False)
    assert stored(question).results_revealed is False

    assert new_entries(process, before) == [
        ("results.revealed", data),
        ("results.hidden", data),
    ]


# Moving through the agenda


def test_session_step_walks_the_agenda_and_stops_at_the_ends(
    agenda, organiser, live_session, process
):
    first, second, third = agenda
    before = log_size(process)

    def step(offset):
        session = facilitation.session_step(
            user=organiser, session=stored(live_session), offset=offset
        )
        assert stored(live_session).current_question_id == session.current_question_id
        return session.current_question_id

    assert stored(live_session).current_question is None
    assert [step(+1), step(+1), step(+1), step(+1)] == [first.pk, second.pk, third.pk, third.pk]
    assert [step(-1), step(-1), step(-1)] == [second.pk, first.pk, first.pk]

    shown = [data["question"] for action, data in new_entries(process, before)]
    assert {action for action, _ in new_entries(process, before)} == {"session.shown"}
    # Standing still at either end is not a change and is not logged.
    assert shown == [first.pk, second.pk, third.pk, second.pk, first.pk]


def test_previous_with_nothing_shown_starts_at_the_end(agenda, organiser, live_session):
    session = facilitation.session_step(user=organiser, session=live_session, offset=-1)
    assert session.current_question == agenda[2]


def test_session_step_follows_the_agenda_order(make_question, organiser, live_session):
    first, second = make_question("scale"), make_question("single_choice")
    question_move(user=organiser, question=second, offset=-1)
    session = facilitation.session_step(user=organiser, session=live_session, offset=1)
    assert session.current_question == second
    session = facilitation.session_step(user=organiser, session=stored(live_session), offset=1)
    assert session.current_question == first


def test_session_step_on_an_empty_agenda(organiser, other_session):
    facilitation_error(
        "no_such_question",
        facilitation.session_step,
        user=organiser,
        session=other_session,
        offset=1,
    )


def test_session_show(agenda, organiser, live_session, other_session, make_question, process):
    elsewhere = make_question("scale", session=other_session)
    before = log_size(process)
    facilitation_error(
        "no_such_question",
        facilitation.session_show,
        user=organiser,
        session=live_session,
        question=elsewhere,
    )
    assert stored(live_session).current_question is None

    facilitation.session_show(user=organiser, session=live_session, question=agenda[1])
    assert stored(live_session).current_question == agenda[1]
    assert stored(agenda[1]).state == QuestionState.DRAFT  # shown, not opened
    facilitation.session_show(user=organiser, session=live_session, question=agenda[1])
    facilitation.session_show(user=organiser, session=live_session, question=None)
    assert stored(live_session).current_question is None
    assert new_entries(process, before) == [
        ("session.shown", {"session": live_session.pk, "question": agenda[1].pk}),
        ("session.shown", {"session": live_session.pk, "question": None}),
    ]


# Ending


def test_session_end_closes_open_questions_and_stops_everything(
    agenda, organiser, live_session, process
):
    first, second, third = agenda
    facilitation.question_open(user=organiser, question=first)
    facilitation.question_open(user=organiser, question=second)
    facilitation.question_close(user=organiser, question=stored(first))
    facilitation.question_open(user=organiser, question=stored(first))
    before = log_size(process)

    facilitation.session_end(user=organiser, session=stored(live_session))

    assert stored(live_session).state == SessionState.ENDED
    assert [stored(q).state for q in agenda] == [
        QuestionState.CLOSED,
        QuestionState.CLOSED,
        QuestionState.DRAFT,
    ]
    assert all(stored(q).closed_at is not None for q in (first, second))
    assert sorted(
        (action, data["question"]) for action, data in new_entries(process, before)[:-1]
    ) == sorted([("question.closed", first.pk), ("question.closed", second.pk)])
    assert new_entries(process, before)[-1] == ("session.ended", {"session": live_session.pk})

    ended = stored(live_session)
    after = log_size(process)
    for call, kwargs in [
        (facilitation.question_open, {"question": stored(third)}),
        (facilitation.question_open, {"question": stored(first)}),
        (facilitation.question_reveal, {"question": stored(first), "revealed": True}),
        (facilitation.session_show, {"session": ended, "question": stored(third)}),
        (facilitation.session_step, {"session": ended, "offset": 1}),
        (facilitation.session_end, {"session": ended}),
    ]:
        facilitation_error("session_ended", call, user=organiser, **kwargs)
    assert log_size(process) == after
    assert stored(third).state == QuestionState.DRAFT


# Moderation


def test_approve_an_open_answer(text_answer, organiser, process):
    with freeze_time(T0):
        facilitation.response_moderate(user=organiser, response=text_answer, decision="approve")
    response = stored(text_answer)
    assert response.moderation == Moderation.APPROVED
    assert response.moderation_reason == ""
    assert response.moderated_by == organiser
    assert response.moderated_at == T0
    assert entries(process)[-1] == (
        "moderation.approved",
        {"question": response.question_id, "response": response.pk, "reason_commitment": None},
    )


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_hiding_needs_a_reason(text_answer, organiser, process, reason):
    before = log_size(process)
    facilitation_error(
        "reason_required",
        facilitation.response_moderate,
        user=organiser,
        response=text_answer,
        decision="hide",
        reason=reason,
    )
    assert stored(text_answer).moderation == Moderation.PENDING
    assert log_size(process) == before


def test_hide_with_a_reason(text_answer, organiser, process):
    facilitation.response_moderate(
        user=organiser, response=text_answer, decision="hide", reason="  Persoonlijke gegevens "
    )
    response = stored(text_answer)
    assert response.moderation == Moderation.HIDDEN
    assert response.moderation_reason == "Persoonlijke gegevens"
    assert response.moderated_by == organiser
    assert entries(process)[-1] == (
        "moderation.hidden",
        {
            "question": response.question_id,
            "response": response.pk,
            "reason_commitment": commitment_of("Persoonlijke gegevens", "reason"),
        },
    )
    assert "Persoonlijke" not in str(entries(process))


def test_a_long_reason_is_cut_at_500_characters(text_answer, organiser):
    facilitation.response_moderate(
        user=organiser, response=text_answer, decision="hide", reason="x" * 600
    )
    assert stored(text_answer).moderation_reason == "x" * 500


def test_an_approved_answer_can_be_hidden_later(text_answer, organiser):
    facilitation.response_moderate(user=organiser, response=text_answer, decision="approve")
    facilitation.response_moderate(
        user=organiser, response=stored(text_answer), decision="hide", reason="Beledigend"
    )
    assert stored(text_answer).moderation == Moderation.HIDDEN


def test_only_open_answers_are_moderated(make_question, organiser, live_session, process):
    question = make_question("single_choice")
    facilitation.question_open(user=organiser, question=question)
    phone = participation.participant_join(session=live_session, via="room")
    result = participation.response_submit(
        participant=phone,
        question_id=question.pk,
        answer={"option": question.options.first().pk},
        client_id="a-1234567",
    )
    response = Response.objects.get(pk=result.response_id)
    before = log_size(process)
    facilitation_error(
        "not_moderated",
        facilitation.response_moderate,
        user=organiser,
        response=response,
        decision="approve",
    )
    facilitation_error(
        "not_moderated",
        facilitation.statement_moderate,
        user=organiser,
        option=question.options.first(),
        decision="hide",
        reason="Dubbel",
    )
    assert stored(response).moderation == ""
    assert log_size(process) == before


def test_statement_moderation(proposal, organiser, process):
    facilitation.statement_moderate(user=organiser, option=proposal, decision="approve")
    assert stored(proposal).moderation == Moderation.APPROVED
    assert entries(process)[-1] == (
        "moderation.approved",
        {
            "question": proposal.question_id,
            "statement": proposal.pk,
            "proposed": True,
            "reason_commitment": None,
        },
    )
    designed = proposal.question.options.exclude(pk=proposal.pk).first()
    facilitation.statement_moderate(
        user=organiser, option=designed, decision="hide", reason="Achterhaald"
    )
    assert (stored(designed).moderation, stored(designed).moderation_reason) == (
        Moderation.HIDDEN,
        "Achterhaald",
    )
    assert entries(process)[-1] == (
        "moderation.hidden",
        {
            "question": proposal.question_id,
            "statement": designed.pk,
            "proposed": False,
            "reason_commitment": commitment_of("Achterhaald", "reason"),
        },
    )
    facilitation_error(
        "reason_required",
        facilitation.statement_moderate,
        user=organiser,
        option=stored(proposal),
        decision="hide",
    )


# Who may


def test_a_facilitator_may_run_the_session(make_question, make_user, grant, process):
    facilitator = make_user("fenna")
    grant(process, facilitator, Role.FACILITATOR)
    question = make_question("scale")
    facilitation.question_open(user=facilitator, question=question)
    assert stored(question).state == QuestionState.OPEN
    assert LogEntry.objects.filter(process=process).last().actor == "staff:fenna"


def test_a_teller_may_not_facilitate(make_question, make_user, grant, process, text_answer):
    teller = make_user("teun")
    grant(process, teller, Role.TELLER)
    question = make_question("scale")
    session = question.session
    before = log_size(process)
    for call, kwargs in [
        (facilitation.question_open, {"question": question}),
        (facilitation.question_reveal, {"question": question, "revealed": True}),
        (facilitation.session_show, {"session": session, "question": question}),
        (facilitation.session_end, {"session": session}),
        (facilitation.response_moderate, {"response": text_answer, "decision": "approve"}),
    ]:
        with pytest.raises(AccessDenied) as caught:
            call(user=teller, **kwargs)
        assert caught.value.code == "role_required"
    assert log_size(process) == before
    assert stored(question).state == QuestionState.DRAFT
    assert stored(text_answer).moderation == Moderation.PENDING


def test_staff_of_another_process_is_not_staff_here(
    make_question, make_user, make_process, process, text_answer, proposal
):
    stranger = make_user("stijn")
    make_process(user=stranger, title="Ander proces")
    question = make_question("scale")
    before = log_size(process)
    for call, kwargs in [
        (facilitation.question_open, {"question": question}),
        (facilitation.session_end, {"session": question.session}),
        (facilitation.response_moderate, {"response": text_answer, "decision": "approve"}),
        (facilitation.statement_moderate, {"option": proposal, "decision": "approve"}),
    ]:
        with pytest.raises(AccessDenied) as caught:
            call(user=stranger, **kwargs)
        assert caught.value.code == "not_staff"
    assert log_size(process) == before
    assert stored(question).state == QuestionState.DRAFT
    assert stored(question.session).state == SessionState.LIVE
    assert stored(text_answer).moderation == Moderation.PENDING


# The console


def command(user, session, **message):
    facilitation.console_command(user=user, session_id=session.pk, message=message)


def test_console_commands(agenda, organiser, live_session, process):
    first, second, third = agenda
    before = log_size(process)

    command(organiser, live_session, command="open", question=first.pk)
    assert stored(first).state == QuestionState.OPEN
    command(organiser, live_session, command="reveal", question=first.pk)
    assert stored(first).results_revealed is True
    command(organiser, live_session, command="hide", question=first.pk)
    assert stored(first).results_revealed is False
    command(organiser, live_session, command="close", question=first.pk)
    assert stored(first).state == QuestionState.CLOSED
    command(organiser, live_session, command="show", question=third.pk)
    assert stored(live_session).current_question == third
    command(organiser, live_session, command="previous")
    assert stored(live_session).current_question == second
    command(organiser, live_session, command="next")
    assert stored(live_session).current_question == third
    command(organiser, live_session, command="open", question=second.pk)
    command(organiser, live_session, command="end")
    assert stored(live_session).state == SessionState.ENDED
    assert stored(second).state == QuestionState.CLOSED

    assert [action for action, _data in new_entries(process, before)] == [
        "question.opened",
        "results.revealed",
        "results.hidden",
        "question.closed",
        "session.shown",
        "session.shown",
        "session.shown",
        "question.opened",
        "question.closed",
        "session.ended",
    ]


def test_console_moderates_answers_and_statements(text_answer, proposal, organiser, live_session):
    command(
        organiser, live_session, command="moderate", response=text_answer.pk, decision="approve"
    )
    assert stored(text_answer).moderation == Moderation.APPROVED
    command(
        organiser,
        live_session,
        command="moderate",
        statement=proposal.pk,
        decision="hide",
        reason="Dubbel",
    )
    assert (stored(proposal).moderation, stored(proposal).moderation_reason) == (
        Moderation.HIDDEN,
        "Dubbel",
    )
    with pytest.raises(FacilitationError) as caught:
        command(
            organiser, live_session, command="moderate", response=text_answer.pk, decision="hide"
        )
    assert caught.value.code == "reason_required"
    # A reason that is not text counts as no reason.
    with pytest.raises(FacilitationError) as caught:
        command(
            organiser,
            live_session,
            command="moderate",
            response=text_answer.pk,
            decision="hide",
            reason=["Dubbel"],
        )
    assert caught.value.code == "reason_required"
    assert stored(text_answer).moderation == Moderation.APPROVED


@pytest.mark.parametrize(
    "message",
    [
        {"command": "moderate", "decision": "approve"},
        {"command": "moderate", "response": "1", "decision": "approve"},
        {"command": "moderate", "response": True, "decision": "approve"},
        {"command": "moderate", "decision": "reject", "reason": "Nee"},
        {"command": "moderate"},
    ],
)
def test_console_refuses_malformed_moderation(
    text_answer, organiser, live_session, process, message
):
    before = log_size(process)
    with pytest.raises(InputRejected) as caught:
        facilitation.console_command(user=organiser, session_id=live_session.pk, message=message)
    assert caught.value.code == "invalid_answer"
    assert log_size(process) == before
    assert stored(text_answer).moderation == Moderation.PENDING


@pytest.mark.parametrize(
    "message", [{"command": "explode"}, {}, {"command": None}, {"command": "OPEN"}]
)
def test_console_refuses_unknown_commands(agenda, organiser, live_session, process, message):
    before = log_size(process)
    with pytest.raises(InputRejected) as caught:
        facilitation.console_command(user=organiser, session_id=live_session.pk, message=message)
    assert caught.value.code == "unknown_type"
    assert log_size(process) == before


def test_console_refuses_questions_and_answers_of_another_session(
    make_question, organiser, live_session, other_session, process, text_answer, proposal
):
    elsewhere = make_question("scale", session=other_session)
    before = log_size(process)
    for session, message in [
        (live_session, {"command": "open", "question": elsewhere.pk}),
        (live_session, {"command": "close", "question": elsewhere.pk}),
        (live_session, {"command": "show", "question": elsewhere.pk}),
        (live_session, {"command": "reveal", "question": elsewhere.pk}),
        (live_session, {"command": "open", "question": 999_999}),
        (live_session, {"command": "open", "question": None}),
        (live_session, {"command": "open", "question": True}),
        (other_session, {"command": "open", "question": str(elsewhere.pk)}),
        (other_session, {"command": "moderate", "response": text_answer.pk, "decision": "approve"}),
        (other_session, {"command": "moderate", "statement": proposal.pk, "decision": "approve"}),
    ]:
        with pytest.raises(FacilitationError) as caught:
            facilitation.console_command(user=organiser, session_id=session.pk, message=message)
        assert caught.value.code == "no_such_question", message
    assert log_size(process) == before
    assert stored(elsewhere).state == QuestionState.DRAFT
    assert stored(text_answer).moderation == Moderation.PENDING
    assert stored(proposal).moderation == Moderation.PENDING


def test_console_checks_the_role(agenda, make_user, grant, process, live_session):
    teller = make_user("teun")
    grant(process, teller, Role.TELLER)
    with pytest.raises(AccessDenied) as caught:
        command(teller, live_session, command="open", question=agenda[0].pk)
    assert caught.value.code == "role_required"
    with pytest.raises(AccessDenied) as caught:
        command(teller, live_session, command="next")
    assert caught.value.code == "role_required"
    assert stored(agenda[0]).state == QuestionState.DRAFT
    assert stored(live_session).current_question is None
