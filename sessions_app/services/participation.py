"""Participants and their answers: the one write path for every online input."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from sessions_app.answers import STATEMENT_MAX, Answer, QuestionRules, clean_text, parse_answer
from sessions_app.exceptions import InputRejected
from sessions_app.models import (
    AttendeeCard,
    JoinedVia,
    LiveSession,
    Moderation,
    Option,
    Participant,
    ProcessState,
    Question,
    QuestionKind,
    QuestionState,
    Response,
    ResponseStatus,
    SessionState,
    Source,
    StatementOrigin,
)
from sessions_app.signals import question_changed, send_on_commit, session_changed

from .log import log_append
from .responses import card_attach, store_response

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _public_id() -> str:
    return "p-" + secrets.token_hex(5)


def session_accepts_people(session: LiveSession) -> bool:
    return session.state != SessionState.ENDED and session.process.state != ProcessState.CLOSED


def participant_join(
    *, session: LiveSession, via: str, token: str | None = None, card_code: str = ""
) -> Participant:
    """The participant behind ``token`` in this session, or a new pseudonymous one.

    ``via`` is ``room`` or ``remote`` (which link was used). ``card_code`` ties the phone
    to an attendee card (the same person's paper sheet carries it), so that person counts
    once. Nothing personal is stored. Raises ``InputRejected("session_ended")`` and
    ``("unknown_card")``.
    """
    card = None
    if card_code:
        code = "".join(ch for ch in card_code.upper() if ch.isalnum())
        card = AttendeeCard.objects.filter(session=session, code=code).first()
        if card is None:
            raise InputRejected("unknown_card")
    existing = Participant.objects.filter(session=session, token=token).first() if token else None
    if existing is not None and (card is None or existing.card_id == card.pk):
        return existing
    if not session_accepts_people(session):
        raise InputRejected("session_ended")
    if existing is not None:
        with transaction.atomic():
            Participant.objects.filter(pk=existing.pk).update(card=card)
            existing.card = card
            held = card_attach(existing, card.pk)
            log_append(
                process=session.process,
                action="participant.card",
                actor=f"participant:{existing.public_id}",
                data={"participant": existing.public_id, "card": card.code, "held": held},
            )
        send_on_commit(
            session_changed, process_id=session.process_id, session_id=session.pk, action="card"
        )
        return existing
    if via not in (JoinedVia.ROOM, JoinedVia.REMOTE):
        raise InputRejected("invalid_answer")
    with transaction.atomic():
        participant = Participant.objects.create(
            session=session,
            token=secrets.token_urlsafe(32),
            public_id=_public_id(),
            joined_via=via,
            card=card,
        )
        data = {"session": session.pk, "participant": participant.public_id, "via": via}
        if card is not None:
            data["card"] = card.code
        log_append(
            process=session.process,
            action="participant.joined",
            actor=f"participant:{participant.public_id}",
            data=data,
        )
    return participant


@dataclass(frozen=True)
class SubmitResult:
    """``status`` is ``counted`` or ``duplicate`` (a replay: the first outcome is returned)."""

    status: str
    response_id: int
    question_id: int
    counted: bool
    superseded_id: int | None = None


def _check_client_id(client_id) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise InputRejected("invalid_client_id")
    return client_id


def _replay(participant: Participant, client_id: str) -> SubmitResult | None:
    original = (
        Response.objects.filter(participant=participant, client_id=client_id)
        .values("pk", "question_id", "status")
        .first()
    )
    if original is None:
        return None
    return SubmitResult(
        status="duplicate",
        response_id=original["pk"],
        question_id=original["question_id"],
        counted=original["status"] == ResponseStatus.COUNTED,
    )


def load_open_question(participant: Participant, question_id) -> Question:
    """The question, if the participant may answer it now. Raises ``unknown_question``,
    ``wrong_session``, ``question_not_open``, ``question_closed``."""
    if isinstance(question_id, bool) or not isinstance(question_id, int | str):
        raise InputRejected("unknown_question")
    try:
        question = Question.objects.select_related("session__process").get(pk=int(question_id))
    except (Question.DoesNotExist, ValueError):
        raise InputRejected("unknown_question") from None
    if question.session_id != participant.session_id:
        raise InputRejected("wrong_session")
    if question.state == QuestionState.DRAFT:
        raise InputRejected("question_not_open")
    if question.state == QuestionState.CLOSED:
        raise InputRejected("question_closed")
    return question


def response_submit(
    *, participant: Participant, question_id, answer, client_id, rules: QuestionRules | None = None
) -> SubmitResult:
    """Count an online answer. The participant's earlier answer to the same question (or
    statement) is kept as ``superseded``; the log records both. Returns after commit.

    A repeated ``client_id`` returns the first outcome as ``duplicate`` and changes
    nothing. Raises ``InputRejected`` with the codes of ``load_open_question`` and
    ``answers.parse_answer``, and ``invalid_client_id``.
    """
    client_id = _check_client_id(client_id)
    replay = _replay(participant, client_id)
    if replay is not None:
        return replay
    question = load_open_question(participant, question_id)
    if rules is None or rules.id != question.pk:
        rules = QuestionRules.of(question)
    parsed = parse_answer(rules, answer)
    try:
        return _count(participant, question, parsed, client_id)
    except IntegrityError:
        # Two submissions raced: the same client id (a replay) or two counting answers.
        replay = _replay(participant, client_id)
        if replay is not None:
            return replay
        return _count(participant, question, parsed, client_id)


def _count(
    participant: Participant, question: Question, answer: Answer, client_id: str
) -> SubmitResult:
    with transaction.atomic():
        # Lock the question row and re-read its state: a close that is committing now
        # either finished first (and this answer is refused) or waits for this one.
        state = (
            Question.objects.select_for_update()
            .filter(pk=question.pk)
            .values_list("state", flat=True)
            .get()
        )
        if state != QuestionState.OPEN:
            raise InputRejected("question_closed")
        stored = store_response(
            question=question,
            participant=participant,
            answer=answer,
            source=Source.ONLINE,
            client_id=client_id,
        )
        response, previous = stored.response, stored.superseded
        data = {
            "question": question.pk,
            "response": response.pk,
            "participant": participant.public_id,
            "source": Source.ONLINE,
            "via": participant.joined_via,
            "client_id": client_id,
            "answer": answer.as_json(question.kind),
        }
        if previous is not None:
            data["supersedes"] = previous
        if stored.card_conflict is not None:
            data["card"] = participant.card.code
            data["card_conflict"] = stored.card_conflict
        log_append(
            process=question.session.process,
            action="response.held" if stored.held else "response.counted",
            actor=f"participant:{participant.public_id}",
            data=data,
        )
    send_on_commit(
        question_changed,
        process_id=question.session.process_id,
        session_id=question.session_id,
        question_id=question.pk,
        action="response",
    )
    return SubmitResult(
        status="held" if stored.held else "counted",
        response_id=response.pk,
        question_id=question.pk,
        counted=not stored.held,
        superseded_id=previous,
    )


def statement_propose(
    *, participant: Participant, question_id, text, client_id
) -> tuple[Option, bool]:
    """Propose a new statement; it waits for moderation. Returns (option, created); a
    repeated ``client_id`` returns the first proposal with ``created`` false.

    Raises ``InputRejected``: the codes of ``load_open_question``, ``adding_not_allowed``,
    ``empty_text``, ``text_too_long``, ``invalid_client_id``.
    """
    client_id = _check_client_id(client_id)
    existing = Option.objects.filter(author=participant, client_id=client_id).first()
    if existing is not None:
        return existing, False
    question = load_open_question(participant, question_id)
    if question.kind != QuestionKind.STATEMENTS or not question.participants_may_add:
        raise InputRejected("adding_not_allowed")
    if not isinstance(text, str):
        raise InputRejected("invalid_answer")
    text = clean_text(text)
    if not text:
        raise InputRejected("empty_text")
    if len(text) > STATEMENT_MAX:
        raise InputRejected("text_too_long")
    try:
        with transaction.atomic():
            position = question.options.count() + 1
            option = Option.objects.create(
                question=question,
                position=position,
                text=text,
                origin=StatementOrigin.PARTICIPANT,
                author=participant,
                moderation=Moderation.PENDING,
                client_id=client_id,
            )
            log_append(
                process=question.session.process,
                action="statement.proposed",
                actor=f"participant:{participant.public_id}",
                data={
                    "question": question.pk,
                    "statement": option.pk,
                    "text": text,
                    "client_id": client_id,
                },
            )
    except IntegrityError:
        return Option.objects.get(author=participant, client_id=client_id), False
    send_on_commit(
        question_changed,
        process_id=question.session.process_id,
        session_id=question.session_id,
        question_id=question.pk,
        action="statement_proposed",
    )
    return option, True
