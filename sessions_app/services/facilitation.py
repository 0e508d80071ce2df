"""Running a live session: the facilitator opens and closes questions, moves through the
agenda, reveals results and moderates open answers and proposed statements."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sessions_app import permissions
from sessions_app.exceptions import FacilitationError, InputRejected
from sessions_app.models import (
    LiveSession,
    Moderation,
    Option,
    ProcessState,
    Question,
    QuestionKind,
    QuestionState,
    Response,
    SessionState,
    SheetState,
    StatementOrigin,
    TextKind,
)
from sessions_app.signals import question_changed, send_on_commit, session_changed

from . import texts
from .hands import hand_count_record
from .log import actor_for, log_append
from .reconciliation import paper_close

Q = QuestionState


def _announce_question(question: Question, action: str) -> None:
    send_on_commit(
        question_changed,
        process_id=question.session.process_id,
        session_id=question.session_id,
        question_id=question.pk,
        action=action,
    )


def _announce_session(session: LiveSession, action: str) -> None:
    send_on_commit(
        session_changed, process_id=session.process_id, session_id=session.pk, action=action
    )


def _runnable(user, session: LiveSession) -> None:
    permissions.require(user, session.process, "facilitate")
    if session.state == SessionState.ENDED or session.process.state == ProcessState.CLOSED:
        raise FacilitationError("session_ended")


def _move(user, question: Question, *, allowed_from: set[str], to: str, action: str) -> Question:
    session = question.session
    _runnable(user, session)
    with transaction.atomic():
        question = (
            Question.objects.select_for_update(no_key=True)
            .select_related("session__process")
            .get(pk=question.pk)
        )
        if question.state not in allowed_from:
            raise FacilitationError(
                "question_state",
                # Lazy labels: the message is rendered later, in the reader's language.
                params={"from": QuestionState(question.state).label, "to": QuestionState(to).label},
            )
        now = timezone.now()
        # Opened again: phones must not see the earlier results before they vote again.
        hide_results = to == Q.OPEN and question.state == Q.CLOSED and question.results_revealed
        question.state = to
        if hide_results:
            question.results_revealed = False
        if to == Q.OPEN:
            question.opened_at = question.opened_at or now
            question.closed_at = None
        else:
            question.closed_at = now
        question.save(
            update_fields=["state", "opened_at", "closed_at", "results_revealed", "updated_at"]
        )
        session_fields = []
        if to == Q.OPEN:
            session.current_question = question
            session_fields.append("current_question")
            if session.state == SessionState.PLANNED:
                session.state = SessionState.LIVE
                session_fields.append("state")
            LiveSession.objects.filter(pk=session.pk).update(
                **{name: getattr(session, name) for name in session_fields}
            )
        log_append(
            process=session.process,
            action=action,
            actor=actor_for(user),
            data={"session": session.pk, "question": question.pk},
        )
        if hide_results:
            log_append(
                process=session.process,
                action="results.hidden",
                actor=actor_for(user),
                data={"session": session.pk, "question": question.pk},
            )
    _announce_question(question, action.split(".")[1])
    return question


def question_open(*, user, question: Question) -> Question:
    """Open a question for answers (a closed one may be reopened) and show it. Reopening
    hides results that were shown (logged as ``results.hidden``), so nobody sees them
    before voting again. Raises ``AccessDenied``, ``FacilitationError("question_state")``,
    ``("session_ended")``."""
    reopening = question.state == Q.CLOSED
    return _move(
        user,
        question,
        allowed_from={Q.DRAFT, Q.CLOSED},
        to=Q.OPEN,
        action="question.reopened" if reopening else "question.opened",
    )


def question_close(*, user, question: Question) -> Question:
    """Stop counting answers to an open question. Raises ``AccessDenied`` and
    ``FacilitationError("question_state")``."""
    return _move(user, question, allowed_from={Q.OPEN}, to=Q.CLOSED, action="question.closed")


def question_reveal(*, user, question: Question, revealed: bool) -> Question:
    """Show or hide the results of a question on the presenter and phones."""
    session = question.session
    _runnable(user, session)
    if question.results_revealed == revealed:
        return question
    with transaction.atomic():
        Question.objects.filter(pk=question.pk).update(results_revealed=revealed)
        question.results_revealed = revealed
        log_append(
            process=session.process,
            action="results.revealed" if revealed else "results.hidden",
            actor=actor_for(user),
            data={"session": session.pk, "question": question.pk},
        )
    _announce_question(question, "revealed" if revealed else "hidden")
    return question


def session_show(*, user, session: LiveSession, question: Question | None) -> LiveSession:
    """Put a question of the agenda on the presenter screen (without opening it).
    Raises ``AccessDenied``, ``FacilitationError("no_such_question")``."""
    _runnable(user, session)
    if question is not None and question.session_id != session.pk:
        raise FacilitationError("no_such_question")
    if session.current_question_id == (question.pk if question else None):
        return session
    with transaction.atomic():
        LiveSession.objects.filter(pk=session.pk).update(current_question=question)
        session.current_question = question
        log_append(
            process=session.process,
            action="session.shown",
            actor=actor_for(user),
            data={"session": session.pk, "question": question.pk if question else None},
        )
    _announce_session(session, "shown")
    return session


def session_step(*, user, session: LiveSession, offset: int) -> LiveSession:
    """Show the next (``+1``) or previous (``-1``) question of the agenda."""
    agenda = list(session.questions.order_by("position", "id").values_list("pk", flat=True))
    if not agenda:
        raise FacilitationError("no_such_question")
    if session.current_question_id in agenda:
        index = agenda.index(session.current_question_id) + offset
    else:
        index = 0 if offset > 0 else len(agenda) - 1
    index = max(0, min(index, len(agenda) - 1))
    return session_show(
        user=user, session=session, question=session.questions.get(pk=agenda[index])
    )


def session_end(*, user, session: LiveSession) -> LiveSession:
    """End a session: open questions close, the join code stops admitting people."""
    _runnable(user, session)
    with transaction.atomic():
        for question in session.questions.filter(state=Q.OPEN):
            question_close(user=user, question=question)
        ended_at = timezone.now()
        LiveSession.objects.filter(pk=session.pk).update(
            state=SessionState.ENDED, ended_at=ended_at
        )
        session.state, session.ended_at = SessionState.ENDED, ended_at
        log_append(
            process=session.process,
            action="session.ended",
            actor=actor_for(user),
            data={"session": session.pk},
        )
    _announce_session(session, "ended")
    return session


def session_reopen_until(session: LiveSession) -> datetime | None:
    """Until when the ended ``session`` may be reopened (``SESSION_REOPEN_MINUTES`` after
    it ended), or None when it has not ended (or ended before the time was kept)."""
    if session.state != SessionState.ENDED or session.ended_at is None:
        return None
    return session.ended_at + timedelta(minutes=settings.SESSION_REOPEN_MINUTES)


def session_reopenable(session: LiveSession) -> bool:
    until = session_reopen_until(session)
    return (
        until is not None
        and timezone.now() <= until
        and session.process.state != ProcessState.CLOSED
    )


def session_reopen(*, user, session: LiveSession) -> LiveSession:
    """Undo "End session" within the grace period: the session is live again and admits
    people; its questions stay closed until the facilitator opens one. Logged as
    ``session.reopened``. Raises ``AccessDenied``, ``FacilitationError("session_not_ended")``,
    ``("reopen_expired")`` and ``("session_ended")`` (its process has closed)."""
    permissions.require(user, session.process, "facilitate")
    with transaction.atomic():
        session = (
            LiveSession.objects.select_for_update(no_key=True)
            .select_related("process")
            .get(pk=session.pk)
        )
        if session.process.state == ProcessState.CLOSED:
            raise FacilitationError("session_ended")
        if session.state != SessionState.ENDED:
            raise FacilitationError("session_not_ended")
        if not session_reopenable(session):
            raise FacilitationError(
                "reopen_expired", params={"minutes": settings.SESSION_REOPEN_MINUTES}
            )
        started = session.questions.exclude(state=Q.DRAFT).exists()
        state = SessionState.LIVE if started else SessionState.PLANNED
        LiveSession.objects.filter(pk=session.pk).update(state=state, ended_at=None)
        session.state, session.ended_at = state, None
        log_append(
            process=session.process,
            action="session.reopened",
            actor=actor_for(user),
            data={"session": session.pk},
        )
    _announce_session(session, "reopened")
    return session


def paper_counting_close(*, user, session: LiveSession, confirmed: bool = False) -> LiveSession:
    """Close paper counting from the console. Forms entered once that still wait for
    their blind second entry would never count: unless ``confirmed``, refuse with
    ``FacilitationError("paper_waiting", params={"n": …})`` so the facilitator can decide.
    Raises as ``reconciliation.paper_close`` besides."""
    permissions.require(user, session.process, "facilitate")
    waiting = session.sheets.filter(state=SheetState.ENTERED).count()
    if waiting and not confirmed and session.paper_closed_at is None:
        raise FacilitationError("paper_waiting", params={"n": waiting})
    return paper_close(user=user, session=session)


def _decision(decision: str, reason: str) -> tuple[str, str]:
    reason = reason.strip()
    if decision == "approve":
        return Moderation.APPROVED, ""
    if decision != "hide":
        raise InputRejected("invalid_answer")
    if not reason:
        raise FacilitationError("reason_required")
    return Moderation.HIDDEN, reason[:500]


def _reason_logged(process, reason: str, **refs) -> dict:
    """A moderation reason as the log writes it: stored apart, as its commitment (it
    speaks about a person's text, and is erased with it)."""
    if not reason:
        return {"reason_commitment": None}
    return {"reason_commitment": texts.commit_one(process.pk, reason, kind=TextKind.REASON, **refs)}


def response_moderate(*, user, response: Response, decision: str, reason: str = "") -> Response:
    """Approve an open answer for the screen, or hide it with a reason (logged).
    Raises ``AccessDenied``, ``FacilitationError("reason_required")``, ``("not_moderated")``."""
    question = response.question
    permissions.require(user, question.session.process, "facilitate")
    if question.kind != QuestionKind.OPEN_TEXT:
        raise FacilitationError("not_moderated")
    state, reason = _decision(decision, reason)
    with transaction.atomic():
        Response.objects.filter(pk=response.pk).update(
            moderation=state,
            moderation_reason=reason,
            moderated_by=user,
            moderated_at=timezone.now(),
        )
        response.moderation, response.moderation_reason = state, reason
        process = question.session.process
        log_append(
            process=process,
            action=f"moderation.{'approved' if state == Moderation.APPROVED else 'hidden'}",
            actor=actor_for(user),
            data={
                "question": question.pk,
                "response": response.pk,
                **_reason_logged(process, reason, response_id=response.pk),
            },
        )
    _announce_question(question, "moderated")
    return response


def statement_moderate(*, user, option: Option, decision: str, reason: str = "") -> Option:
    """Approve a proposed statement (participants then vote on it) or hide it with a reason.
    Organiser statements may be hidden too. Raises like ``response_moderate``."""
    question = option.question
    permissions.require(user, question.session.process, "facilitate")
    if question.kind not in (QuestionKind.STATEMENTS, QuestionKind.QNA):
        raise FacilitationError("not_moderated")
    state, reason = _decision(decision, reason)
    with transaction.atomic():
        Option.objects.filter(pk=option.pk).update(moderation=state, moderation_reason=reason)
        Question.objects.filter(pk=question.pk).rules_changed()
        option.moderation, option.moderation_reason = state, reason
        process = question.session.process
        log_append(
            process=process,
            action=f"moderation.{'approved' if state == Moderation.APPROVED else 'hidden'}",
            actor=actor_for(user),
            data={
                "question": question.pk,
                "statement": option.pk,
                "proposed": option.origin == StatementOrigin.PARTICIPANT,
                **_reason_logged(process, reason, option_id=option.pk),
            },
        )
    _announce_question(question, "moderated")
    return option


COMMANDS = frozenset(
    {
        "open",
        "close",
        "reveal",
        "hide",
        "show",
        "next",
        "previous",
        "end",
        "reopen",
        "paper_close",
        "moderate",
        "hands",
        "qna_merge",
        "qna_pin",
        "qna_answer",
    }
)


def _agenda_question(session: LiveSession, question_id) -> Question:
    if isinstance(question_id, bool) or not isinstance(question_id, int):
        raise FacilitationError("no_such_question")
    question = (
        Question.objects.select_related("session__process")
        .filter(pk=question_id, session=session)
        .first()
    )
    if question is None:
        raise FacilitationError("no_such_question")
    return question


def console_command(*, user, session_id: int, message: dict) -> str | None:
    """Carry out one console command, as sent by the console's websocket or its plain
    form: ``{"command": "open" | "close" | "reveal" | "hide" | "show" | "next" |
    "previous" | "end" | "reopen" | "paper_close" | "moderate" | "hands", "question": id,
    ...}``; ``moderate`` takes ``response`` or ``statement``, ``decision`` (``approve`` or
    ``hide``) and ``reason``; ``hands`` takes ``counts``, hands per option id or scale
    value, and ``confirm`` (true: record a count refused as ``hands_unlikely``);
    ``paper_close`` takes ``confirm`` (true: close although forms wait for their
    second entry); ``qna_merge``, ``qna_pin`` and ``qna_answer`` act on a Q&A round
    (``services.qna``).

    Returns a notice for the facilitator, or None: ``results_hidden`` (a question opened
    again had its results shown; they are hidden now). Raises
    ``InputRejected("unknown_type")`` and the errors of the services it calls.
    """
    command = message.get("command")
    if not isinstance(command, str) or command not in COMMANDS:
        raise InputRejected("unknown_type")
    session = LiveSession.objects.select_related("process").get(pk=session_id)
    if command in {"next", "previous"}:
        session_step(user=user, session=session, offset=1 if command == "next" else -1)
    elif command == "end":
        session_end(user=user, session=session)
    elif command == "reopen":
        session_reopen(user=user, session=session)
    elif command == "paper_close":
        paper_counting_close(user=user, session=session, confirmed=message.get("confirm") is True)
    elif command == "moderate":
        _moderate(user, session, message)
    elif command.startswith("qna_"):
        _qna_command(user, session, command, message)
    else:
        question = _agenda_question(session, message.get("question"))
        if command == "open":
            was_shown = question.state == Q.CLOSED and question.results_revealed
            question = question_open(user=user, question=question)
            if was_shown and not question.results_revealed:
                return "results_hidden"
        elif command == "close":
            question_close(user=user, question=question)
        elif command in {"reveal", "hide"}:
            question_reveal(user=user, question=question, revealed=command == "reveal")
        elif command == "hands":
            hand_count_record(
                user=user,
                question=question,
                counts=message.get("counts") if isinstance(message.get("counts"), dict) else {},
                client_id=message.get("id") if isinstance(message.get("id"), str) else "",
                confirmed=message.get("confirm") is True,
            )
        else:
            session_show(user=user, session=session, question=question)
    return None


def _qna_command(user, session: LiveSession, command: str, message: dict) -> None:
    """``qna_merge`` (``asked`` into ``into``), ``qna_pin`` (``asked``, or null to
    unpin) and ``qna_answer`` (``asked``, ``mode``, ``text``, ``due``) for the Q&A round
    ``question``."""
    from . import qna

    question = _agenda_question(session, message.get("question"))
    _runnable(user, session)
    if command == "qna_pin":
        asked = message.get("asked")
        qna.qna_pin(
            user=user,
            question=question,
            asked=None if asked in (None, "") else qna.asked_of(question, asked),
        )
    elif command == "qna_merge":
        qna.qna_merge(
            user=user,
            asked=qna.asked_of(question, message.get("asked")),
            into=qna.asked_of(question, message.get("into")),
        )
    else:
        qna.qna_answer(
            user=user,
            asked=qna.asked_of(question, message.get("asked")),
            mode=message.get("mode"),
            text=message.get("text") if isinstance(message.get("text"), str) else "",
            due=message.get("due"),
            client_id=message.get("id") if isinstance(message.get("id"), str) else "",
        )


def _moderate(user, session: LiveSession, message: dict) -> None:
    decision = message.get("decision")
    reason = message.get("reason") if isinstance(message.get("reason"), str) else ""
    if not isinstance(decision, str) or decision not in {"approve", "hide"}:
        raise InputRejected("invalid_answer")
    response_id, statement_id = message.get("response"), message.get("statement")
    if isinstance(response_id, int) and not isinstance(response_id, bool):
        response = (
            Response.objects.select_related("question__session__process")
            .filter(pk=response_id, question__session=session)
            .first()
        )
        if response is None:
            raise FacilitationError("no_such_question")
        response_moderate(user=user, response=response, decision=decision, reason=reason)
    elif isinstance(statement_id, int) and not isinstance(statement_id, bool):
        option = (
            Option.objects.select_related("question__session__process")
            .filter(pk=statement_id, question__session=session)
            .first()
        )
        if option is None:
            raise FacilitationError("no_such_question")
        statement_moderate(user=user, option=option, decision=decision, reason=reason)
    else:
        raise InputRejected("invalid_answer")
