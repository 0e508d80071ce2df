"""Participants and their answers: joining a session, a phone's answers (alone, or many
at once for the websocket's group commit) and its proposed statements. What arrives is
checked here (client id, replay, the question, the answer); ``counting`` stores it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from sessions_app.answers import (
    STATEMENT_MAX,
    Answer,
    QuestionRules,
    clean_text,
    parse_answer,
    voter_check,
)
from sessions_app.bulk import select_by_pk, select_where
from sessions_app.exceptions import InputRejected
from sessions_app.identifiers import client_id_check, normalise_code, public_id_new
from sessions_app.models import (
    AttendeeCard,
    JoinedVia,
    LiveSession,
    Moderation,
    Option,
    Participant,
    Process,
    ProcessState,
    Question,
    QuestionKind,
    QuestionState,
    Response,
    ResponseStatus,
    SessionState,
)
from sessions_app.signals import send_on_commit, session_changed

from . import counting
from .log import log_append


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
        code = normalise_code(card_code)
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
            held, superseded = counting.card_attach(existing, card.pk)
            log_append(
                process=session.process,
                action="participant.card",
                actor=f"participant:{existing.public_id}",
                data={
                    "participant": existing.public_id,
                    "card": card.code,
                    "held": held,
                    "superseded": superseded,
                },
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
            public_id=public_id_new(),
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
    #: The receipt code of a newly counted answer (never stored; empty for a replay).
    receipt: str = ""


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
    return _answerable(question, participant)


def _answerable(question: Question, participant: Participant, state: str = "") -> Question:
    """``question`` if ``participant`` may answer it in its state (``state``: as just read,
    else the question's own)."""
    state = state or question.state
    if question.session_id != participant.session_id:
        raise InputRejected("wrong_session")
    if state == QuestionState.DRAFT:
        raise InputRejected("question_not_open")
    if state == QuestionState.CLOSED:
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
    client_id = client_id_check(client_id)
    replay = _replay(participant, client_id)
    if replay is not None:
        return replay
    question = load_open_question(participant, question_id)
    if rules is None or rules.id != question.pk:
        rules = QuestionRules.of(question)
    parsed = parse_answer(rules, answer)
    voter_check(rules, parsed, participant.pk)
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
            Question.objects.select_for_update(no_key=True)
            .filter(pk=question.pk)
            .values_list("state", flat=True)
            .get()
        )
        if state != QuestionState.OPEN:
            raise InputRejected("question_closed")
        stored = counting.online_count(
            question=question, participant=participant, answer=answer, client_id=client_id
        )
    return SubmitResult(
        status="held" if stored.held else "counted",
        response_id=stored.response_id,
        question_id=question.pk,
        counted=not stored.held,
        superseded_id=stored.superseded,
        receipt=stored.receipt,
    )


@dataclass(frozen=True)
class Submission:
    """One online answer as it arrived: the fields of a realtime ``answer`` message."""

    participant: Participant
    question_id: object
    answer: object
    client_id: object


def responses_submit(submissions: list[Submission]) -> list[SubmitResult | InputRejected]:
    """Count many online answers at once, in one transaction: the same rules, outcomes
    and log entries as ``response_submit`` for each, in order, at a fraction of the cost
    (a few queries per batch rather than a dozen per answer). Returns, per submission, its
    result or the ``InputRejected`` it earned; nothing of a refused one is stored.

    The realtime layer gathers the answers that arrive while the previous batch is being
    written (group commit), so a quiet room still gets its ack at once.

    Answers the batch cannot settle on its own (an attendee card, a second answer of one
    person to one question in the same batch) and any batch that meets a race in the
    database go through ``response_submit`` one by one.
    """
    results: list[SubmitResult | InputRejected | None] = [None] * len(submissions)
    ready: list[tuple[int, Submission, str]] = []
    for index, item in enumerate(submissions):
        try:
            ready.append((index, item, client_id_check(item.client_id)))
        except InputRejected as error:
            results[index] = error
    slow: list[int] = []
    try:
        with transaction.atomic():
            for index, result in _write_batch(ready, slow):
                results[index] = result
    except IntegrityError:
        # A race with another writer (a second server, paper): nothing of the batch was
        # stored; settle each answer on its own.
        slow = [index for index, *_rest in ready]
    for index in sorted(slow):
        item = submissions[index]
        try:
            results[index] = response_submit(
                participant=item.participant,
                question_id=item.question_id,
                answer=item.answer,
                client_id=item.client_id,
            )
        except InputRejected as error:
            results[index] = error
    return results


def _write_batch(ready, slow: list[int]) -> list[tuple[int, SubmitResult | InputRejected]]:
    """Inside the batch's transaction: read what the answers need in two queries (the
    questions' states and revisions, locked, as the close of a question locks them; the
    participants' counting answers and replayed client ids; each question's rules and
    each session's process come from caches), check every answer, and write the plain
    ones together. Answers for the single path go to ``slow``."""
    outcome: list[tuple[int, SubmitResult | InputRejected]] = []
    wanted = {item.question_id for _i, item, _c in ready if _is_key(item.question_id)}
    questions = _batch_questions(wanted)
    processes = _processes_of({q.session_id for q, _rules, _state in questions.values()})
    replays, previous = _earlier(ready, wanted)
    fast: list[tuple[int, Submission, str, Question, Answer]] = []
    taken: set[tuple] = set()
    for index, item, client_id in ready:
        participant = item.participant
        replay = replays.get((participant.pk, client_id))
        if replay is not None:
            outcome.append((index, replay))
            continue
        if not _is_key(item.question_id):
            # Not a plain number: the single path reads it (as the plain form does) or
            # refuses it.
            slow.append(index)
            continue
        try:
            found = questions.get(item.question_id)
            if found is None:
                raise InputRejected("unknown_question")
            question, rules, state = found
            _answerable(question, participant, state)
            answer = parse_answer(rules, item.answer)
            voter_check(rules, answer, participant.pk)
        except InputRejected as error:
            outcome.append((index, error))
            continue
        key = (participant.pk, question.pk, answer.statement)
        if participant.card_id or key in taken or (participant.pk, client_id) in taken:
            slow.append(index)
            continue
        taken.update((key, (participant.pk, client_id)))
        fast.append((index, item, client_id, question, answer))
    return outcome + _count_many(fast, previous, processes)


def caches_clear() -> None:
    """Forget the kept rules and processes (see ``services.caches_clear``)."""
    _RULES.clear()
    _SESSION_PROCESS.clear()


def _is_key(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: question id -> (revision, question, rules): what each question accepted when it was
#: last read, per server process. A batch reads every question's revision (with its lock)
#: and reads the question and its approved options again only when it moved on.
_RULES: dict[int, tuple[int, Question, QuestionRules]] = {}


def _batch_questions(wanted: set[int]) -> dict[int, tuple[Question, QuestionRules, str]]:
    """The batch's questions, locked as the close of a question locks them (plain SQL, as
    it runs for every batch): each as read for its rules, its rules, and its state now."""
    rows = select_by_pk(Question, wanted, ("revision", "state"), lock=True)
    stale = [pk for pk, revision, _state in rows if _RULES.get(pk, (None,))[0] != revision]
    if stale:
        if len(_RULES) > 10_000:
            _RULES.clear()
        read = list(Question.objects.filter(pk__in=stale))
        approved: dict[int, set[int]] = {q.pk: set() for q in read}
        askers: dict[int, dict[int, int]] = {q.pk: {} for q in read}
        for question_id, option_id, author_id in (
            Option.objects.filter(
                question__in=stale, moderation=Moderation.APPROVED, merged_into__isnull=True
            )
            .order_by()
            .values_list("question_id", "pk", "author_id")
        ):
            approved[question_id].add(option_id)
            if author_id is not None:
                askers[question_id][option_id] = author_id
        for question in read:
            rules = QuestionRules.of(
                question, options=frozenset(approved[question.pk]), askers=askers[question.pk]
            )
            _RULES[question.pk] = (question.revision, question, rules)
    found = {}
    for pk, _revision, state in rows:
        _revision, question, rules = _RULES[pk]
        found[pk] = (question, rules, state)
    return found


#: session id -> (process id, process slug): neither ever changes (the slug is part of
#: every log hash), so each server process reads them once.
_SESSION_PROCESS: dict[int, tuple[int, str]] = {}


def _processes_of(session_ids: set[int]) -> dict[int, Process]:
    """The process of each session, for the log and the announcements, as an instance
    that carries only its key and slug (the batch's log entries need no more)."""
    missing = session_ids - _SESSION_PROCESS.keys()
    if missing:
        if len(_SESSION_PROCESS) > 10_000:
            _SESSION_PROCESS.clear()
        for session_id, process_id, slug in LiveSession.objects.filter(pk__in=missing).values_list(
            "pk", "process_id", "process__slug"
        ):
            _SESSION_PROCESS[session_id] = (process_id, slug)
    found = {}
    for session_id in session_ids:
        process_id, slug = _SESSION_PROCESS[session_id]
        found[session_id] = Process(pk=process_id, slug=slug)
    return found


def _earlier(ready, questions: set[int]) -> tuple[dict, dict]:
    """The batch's participants' earlier answers, in one query: those whose client id
    comes again (replays, by participant and client id) and those counting now on the
    batch's ``questions`` (by question, statement and participant), locked, to be
    superseded."""
    if not ready:
        return {}, {}
    participants = {item.participant.pk for _i, item, _c in ready}
    rows = select_where(
        Response,
        ("participant_id", "client_id", "question_id", "statement_id", "status"),
        [
            {
                "participant_id": participants,
                "question_id": questions,
                "status": ResponseStatus.COUNTED,
            },
            {
                "participant_id": participants,
                "client_id": {client_id for _i, _item, client_id in ready},
            },
        ],
        lock=True,
    )
    replays: dict[tuple[int, str], SubmitResult] = {}
    previous: dict[tuple, int] = {}
    for pk, participant, client_id, question, statement, status in rows:
        if client_id:
            replays[(participant, client_id)] = SubmitResult(
                status="duplicate",
                response_id=pk,
                question_id=question,
                counted=status == ResponseStatus.COUNTED,
            )
        if status == ResponseStatus.COUNTED:
            previous[(question, statement, participant)] = pk
    return replays, previous


def _count_many(fast, previous: dict, processes: dict) -> list[tuple[int, SubmitResult]]:
    """Count the batch's plain answers (no cards, one per person and question) inside the
    batch's transaction; ``previous`` holds the counting answers they replace and
    ``processes`` each session's process."""
    plain = [
        counting.OnlineAnswer(
            participant=item.participant,
            question=question,
            answer=answer,
            client_id=client_id,
            previous=previous.get((question.pk, answer.statement, item.participant.pk)),
        )
        for _index, item, client_id, question, answer in fast
    ]
    created = counting.online_count_many(plain, processes)
    return [
        (
            index,
            SubmitResult(
                status="counted",
                response_id=response,
                question_id=counted.question.pk,
                counted=True,
                superseded_id=counted.previous,
                receipt=receipt,
            ),
        )
        for (index, *_rest), counted, (response, receipt) in zip(fast, plain, created, strict=True)
    ]


def statement_propose(
    *, participant: Participant, question_id, text, client_id
) -> tuple[Option, bool]:
    """Propose a new statement; it waits for moderation. Returns (option, created); a
    repeated ``client_id`` returns the first proposal with ``created`` false.

    Raises ``InputRejected``: the codes of ``load_open_question``, ``adding_not_allowed``,
    ``empty_text``, ``text_too_long``, ``invalid_client_id``, ``proposals_full`` (the
    question has ``max_proposals`` proposals already: a moderation setting).
    """
    client_id = client_id_check(client_id)
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
        option = counting.statement_add(
            question=question,
            text=text,
            author=participant,
            client_id=client_id,
            cap=question.max_proposals,
        )
    except IntegrityError:
        return Option.objects.get(author=participant, client_id=client_id), False
    return option, True
