"""Counting: the one module that turns checked input into stored rows, log entries and an
announcement, for every channel. A phone's answer (over the websocket, alone or in a
batch, or the plain HTML form), a sheet typed in by tellers or read from a photo, a show
of hands, a vote imported from Polis, and a statement proposed on a phone or on paper are
all written here, so the rules of storage live once:

- one row builder (``response_row``) and one insert (``_insert``) for every answer, alone
  or many at a time; open text starts held for moderation, nothing else does;
- a participant's earlier answer to the same question (or statement) is kept as
  ``superseded``; an attendee card makes one person count once across phone and paper
  (the process's card rule: the latest wins, or the later one is held for review);
- every counted input is a log entry, and the screens are told after commit;
- a proposed statement gets the next position under a lock of its question, so two
  proposals never take the same place.

The callers check their input first (``participation`` a phone's client id, question and
answer; ``paper`` a sheet and its entries; ``hands`` a facilitator's counts) and call in
here inside their transaction; nothing here checks permissions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from sessions_app.answers import Answer
from sessions_app.bulk import insert_rows, update_where_pk_in
from sessions_app.exceptions import InputRejected
from sessions_app.identifiers import public_id_new, receipt_hash, receipt_new, sheet_receipt
from sessions_app.models import (
    CardRule,
    HandCount,
    JoinedVia,
    Moderation,
    Option,
    PaperSheet,
    Participant,
    Process,
    Question,
    QuestionKind,
    Response,
    ResponseItem,
    ResponseStatus,
    SheetEntry,
    Source,
    StatementOrigin,
    TextContent,
    TextKind,
)
from sessions_app.signals import question_changed, send_on_commit, session_changed

from . import texts
from .log import actor_for, log_append, log_append_many

# --- rows --------------------------------------------------------------------------------


def response_row(
    *,
    question: Question,
    participant_id: int,
    answer: Answer,
    source: str,
    created_at: datetime,
    client_id: str = "",
    status: str = ResponseStatus.COUNTED,
    supersedes: int | None = None,
    card_id: int | None = None,
    sheet_id: int | None = None,
    sheet_entry_id: int | None = None,
    teller_id: int | None = None,
    status_changed_at: datetime | None = None,
) -> dict:
    """The stored row of one answer (``Response``), as ``_insert`` writes it."""
    return {
        "question_id": question.pk,
        "participant_id": participant_id,
        "statement_id": answer.statement,
        "source": source,
        "number": answer.number,
        "text": answer.text,
        "client_id": client_id,
        "status": status,
        "supersedes_id": supersedes,
        "card_id": card_id,
        "sheet_id": sheet_id,
        "sheet_entry_id": sheet_entry_id,
        "teller_id": teller_id,
        # Open text is read by a facilitator before anyone sees it; no other kind is.
        "moderation": Moderation.PENDING if question.kind == QuestionKind.OPEN_TEXT else "",
        "created_at": created_at,
        "status_changed_at": status_changed_at,
    }


def _insert(
    rows: Sequence[dict], answers: Sequence[Answer], *, processes: Sequence[int] | None = None
) -> tuple[list[int], list[str | None]]:
    """Insert answers' rows and their items (chosen, ranked or budgeted options), inside
    the caller's transaction; returns the new rows' keys in order, and each written
    text's commitment (None for no text). The only place that writes ``Response`` rows.
    ``processes`` (each row's process): store each written text apart
    (``services.texts``), as a phone's answers need; a paper answer's text is its
    entry's, linked by the caller. Plain rows
    rather than model instances: at hundreds of answers a batch, Django's
    ``bulk_create`` was most of the batch's cost (``sessions_app.bulk``)."""
    created = insert_rows(Response, rows)
    commitments: list[str | None] = [None] * len(created)
    if processes is not None:
        made = []
        for i, (response, answer, process) in enumerate(
            zip(created, answers, processes, strict=True)
        ):
            if answer.text:
                item = texts.commit(process, answer.text, response_id=response)
                made.append(item)
                commitments[i] = item.commitment
        texts.insert(made)
    insert_rows(
        ResponseItem,
        (
            {"response_id": response, "option_id": option, "value": value}
            for response, answer in zip(created, answers, strict=True)
            for option, value in answer.items
        ),
        keys=False,
    )
    return created, commitments


def logged_answer(answer: Answer, kind: str, commitment: str | None) -> dict:
    """An answer as the log writes it: written text as its commitment."""
    shown = answer.as_json(kind)
    if "text" in shown:
        del shown["text"]
        shown["text_commitment"] = commitment
    return shown


@dataclass(frozen=True)
class Counted:
    """What became of one stored answer. ``held``: kept back for review because its
    attendee card already answered (rule *flag for review*)."""

    response_id: int
    held: bool = False
    #: The participant's own earlier answer, now superseded.
    superseded: int | None = None
    #: Another answer by the same attendee card: superseded (latest wins) or, under
    #: "flag for review", still counting while this one is held.
    card_conflict: int | None = None
    #: The commitment of the answer's written text, if it has one and it was stored here.
    commitment: str | None = None
    #: A phone's receipt code for this answer (given once; the log holds its hash).
    receipt: str = ""


def _store(
    *,
    question: Question,
    participant: Participant,
    answer: Answer,
    source: str,
    now: datetime,
    client_id: str = "",
    sheet_id: int | None = None,
    sheet_entry_id: int | None = None,
    teller_id: int | None = None,
    process_id: int | None = None,
) -> Counted:
    """Store one answer with the rules that need the database: the participant's counting
    answer is superseded, and an attendee card's answer from the other source is
    superseded or makes this one held. Inside the caller's transaction."""
    counting = Response.objects.select_for_update(no_key=True).filter(
        question=question, statement_id=answer.statement, status=ResponseStatus.COUNTED
    )
    previous = counting.filter(participant=participant).values_list("pk", flat=True).first()
    if previous is not None:
        Response.objects.filter(pk=previous).update(
            status=ResponseStatus.SUPERSEDED, status_changed_at=now
        )
    status = ResponseStatus.COUNTED
    card_conflict = None
    if participant.card_id:
        card_conflict = (
            counting.filter(card_id=participant.card_id)
            .exclude(participant=participant)
            .values_list("pk", flat=True)
            .first()
        )
        if card_conflict is not None:
            if question.session.process.card_rule == CardRule.LATEST_WINS:
                Response.objects.filter(pk=card_conflict).update(
                    status=ResponseStatus.SUPERSEDED, status_changed_at=now
                )
            else:
                status = ResponseStatus.HELD
    replaced = (
        card_conflict
        if card_conflict is not None and status == ResponseStatus.COUNTED
        else previous
    )
    [pk], [commitment] = _insert(
        [
            response_row(
                question=question,
                participant_id=participant.pk,
                answer=answer,
                source=source,
                created_at=now,
                client_id=client_id,
                status=status,
                supersedes=replaced,
                card_id=participant.card_id,
                sheet_id=sheet_id,
                sheet_entry_id=sheet_entry_id,
                teller_id=teller_id,
            )
        ],
        [answer],
        processes=[process_id] if process_id is not None else None,
    )
    return Counted(
        response_id=pk,
        held=status == ResponseStatus.HELD,
        superseded=previous,
        card_conflict=card_conflict,
        commitment=commitment,
    )


def _announce(
    question: Question | int, action: str, *, session_id: int = 0, process_id: int = 0
) -> None:
    if isinstance(question, Question):
        question_id = question.pk
        session_id = question.session_id
        process_id = process_id or question.session.process_id
    else:
        question_id = question
    send_on_commit(
        question_changed,
        process_id=process_id,
        session_id=session_id,
        question_id=question_id,
        action=action,
    )


# --- phones --------------------------------------------------------------------------------


def _online_log(
    question: Question,
    participant: Participant,
    response_id: int,
    answer: Answer,
    client_id: str,
    superseded: int | None,
    commitment: str | None,
    receipt: str,
) -> dict:
    data = {
        "question": question.pk,
        "response": response_id,
        "participant": participant.public_id,
        "source": Source.ONLINE,
        "via": participant.joined_via,
        "client_id": client_id,
        "answer": logged_answer(answer, question.kind, commitment),
        "receipt": receipt,
    }
    if superseded is not None:
        data["supersedes"] = superseded
    return data


def online_count(
    *, question: Question, participant: Participant, answer: Answer, client_id: str
) -> Counted:
    """Count one phone's answer to an open question, inside the caller's transaction
    (which holds the question's lock): stored, logged (``response.counted``, or
    ``response.held`` when its attendee card already answered and the rule is *flag for
    review*), announced after commit."""
    process = question.session.process
    stored = _store(
        question=question,
        participant=participant,
        answer=answer,
        source=Source.ONLINE,
        now=timezone.now(),
        client_id=client_id,
        process_id=process.pk,
    )
    receipt = receipt_new()
    data = _online_log(
        question,
        participant,
        stored.response_id,
        answer,
        client_id,
        stored.superseded,
        stored.commitment,
        receipt_hash(receipt),
    )
    if stored.card_conflict is not None:
        data["card"] = participant.card.code
        data["card_conflict"] = stored.card_conflict
    log_append(
        process=process,
        action="response.held" if stored.held else "response.counted",
        actor=f"participant:{participant.public_id}",
        data=data,
    )
    _announce(question, "response")
    return replace(stored, receipt=receipt)


@dataclass(frozen=True)
class OnlineAnswer:
    """One plain answer of a batch: no attendee card, one per person and question."""

    participant: Participant
    question: Question
    answer: Answer
    client_id: str
    #: The participant's counting answer that this one replaces, if any (read, locked).
    previous: int | None


def online_count_many(
    answers: Sequence[OnlineAnswer], processes: dict[int, Process]
) -> list[tuple[int, str]]:
    """Count many phones' plain answers at once, inside the caller's transaction (which
    holds their questions' locks): the same rows, log entries and announcements as
    ``online_count`` for each, with one insert of rows, one of items, one of log entries
    per process and one of receipts. ``processes``: each session's process. Returns the
    new rows' keys and their receipt codes, in order."""
    if not answers:
        return []
    now = timezone.now()
    update_where_pk_in(
        Response,
        [item.previous for item in answers if item.previous is not None],
        {"status": ResponseStatus.SUPERSEDED, "status_changed_at": now},
    )
    created, commitments = _insert(
        [
            response_row(
                question=item.question,
                participant_id=item.participant.pk,
                answer=item.answer,
                source=Source.ONLINE,
                created_at=now,
                client_id=item.client_id,
                supersedes=item.previous,
            )
            for item in answers
        ],
        [item.answer for item in answers],
        processes=[processes[item.question.session_id].pk for item in answers],
    )
    receipts = [receipt_new() for _item in answers]
    by_process: dict[int, tuple[Process, list]] = {}
    for response, item, commitment, receipt in zip(
        created, answers, commitments, receipts, strict=True
    ):
        process = processes[item.question.session_id]
        by_process.setdefault(process.pk, (process, []))[1].append(
            (
                "response.counted",
                f"participant:{item.participant.public_id}",
                _online_log(
                    item.question,
                    item.participant,
                    response,
                    item.answer,
                    item.client_id,
                    item.previous,
                    commitment,
                    receipt_hash(receipt),
                ),
            )
        )
    for process, entries in by_process.values():
        log_append_many(process=process, entries=entries, plain=True)
    for question in {item.question.pk: item.question for item in answers}.values():
        _announce(question, "response", process_id=processes[question.session_id].pk)
    return list(zip(created, receipts, strict=True))


# --- statements ----------------------------------------------------------------------------


def statement_add(
    *,
    question: Question,
    text: str,
    author: Participant,
    client_id: str = "",
    sheet: PaperSheet | None = None,
    entry: SheetEntry | None = None,
    cap: int | None = None,
    panel_member=None,
    display_name: str = "",
) -> Option:
    """Add a participant's statement to a statements question, held for moderation, at
    the next position, and log it (``statement.proposed``); announced after commit. The
    only place that inserts a proposed statement, from a phone or from a paper sheet
    (``sheet``, and the ``entry`` whose written proposal it is: the text is the entry's). The question's row is locked (PostgreSQL; SQLite takes its one write lock
    when the transaction begins), so two proposals at once get consecutive positions,
    and a ``cap`` (the most proposals the question takes: ``Question.max_proposals``) is
    never passed: raises ``InputRejected("proposals_full")`` at it. Runs in the caller's
    transaction, or its own.

    A question asked to the panel (a ``qna`` round) is added here too: addressed to
    ``panel_member``, with the asker's ``display_name`` (stored apart, erasable, as
    ``TextKind.NAME``), shown at once unless the round moderates first, and logged as
    ``qna.asked``."""
    with transaction.atomic():
        Question.objects.select_for_update(no_key=True).filter(pk=question.pk).exists()
        if cap is not None:
            proposed = Option.objects.filter(question=question, origin=StatementOrigin.PARTICIPANT)
            if proposed.count() >= cap:
                raise InputRejected("proposals_full")
        last = Option.objects.filter(question=question).order_by().aggregate(m=Max("position"))
        qna = question.kind == QuestionKind.QNA
        shown = qna and not question.qna_premoderate
        option = Option.objects.create(
            question=question,
            position=(last["m"] or 0) + 1,
            text=text,
            origin=StatementOrigin.PARTICIPANT,
            author=author,
            moderation=Moderation.APPROVED if shown else Moderation.PENDING,
            client_id=client_id,
            panel_member=panel_member,
            display_name=display_name,
            sheet=sheet if qna else None,
        )
        if shown:
            # Upvotes take it at once.
            Question.objects.filter(pk=question.pk).rules_changed()
        process = question.session.process
        if entry is not None:
            texts.entry_texts_share(entry.pk, question.pk, TextKind.PROPOSAL, option_id=option.pk)
            [commitment] = TextContent.objects.filter(
                entry_id=entry.pk, entry_question=question.pk, field=TextKind.PROPOSAL
            ).values_list("commitment", flat=True)
        else:
            commitment = texts.commit_one(process.pk, text, option_id=option.pk)
        if qna:
            data = {
                "question": question.pk,
                "asked": option.pk,
                "text_commitment": commitment,
                "panel_member": panel_member.pk if panel_member else None,
                "name_commitment": texts.commit_one(
                    process.pk, display_name, kind=TextKind.NAME, option_id=option.pk
                )
                if display_name
                else None,
                "shown": shown,
            }
        else:
            data = {"question": question.pk, "statement": option.pk, "text_commitment": commitment}
        if sheet is not None:
            data["sheet"] = sheet.code
        else:
            data["client_id"] = client_id
        log_append(
            process=process,
            action="qna.asked" if qna else "statement.proposed",
            actor=f"participant:{author.public_id}",
            data=data,
        )
    _announce(question, "qna_asked" if qna else "statement_proposed")
    return option


# --- paper ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetAnswers:
    """A sheet's checked answers, ready to count: per question, the answers (a statements
    question has one per vote) and a proposed statement's text."""

    question: Question
    answers: tuple[Answer, ...]
    proposal: str = ""
    #: A question to the panel written on paper: the panel member ticked beside it.
    panel_member: object = None


def sheet_count(
    *,
    sheet: PaperSheet,
    entry: SheetEntry,
    questions: Iterable[SheetAnswers],
    actor,
) -> Participant:
    """Count a sheet from its accepted ``entry``, inside the caller's transaction (which
    holds the sheet's lock): a participant stands for the sheet (with its attendee card),
    each answer becomes a paper response with the entry's teller, a proposed statement is
    added, and the log says so (``paper.counted``, with the answers held because the
    card already answered). ``actor``: who made it count (the confirming teller, the
    facilitator). Announced after commit. Returns the sheet's participant."""
    now = timezone.now()
    participant = Participant.objects.create(
        session=sheet.session,
        public_id=public_id_new(),
        joined_via=JoinedVia.PAPER,
        card=sheet.card,
    )
    PaperSheet.objects.filter(pk=sheet.pk).update(participant=participant)
    questions = list(questions)
    held = []
    paper = {"source": Source.PAPER, "sheet_id": sheet.pk, "sheet_entry_id": entry.pk}
    paper["teller_id"] = entry.teller_id
    pairs = [(item.question, answer) for item in questions for answer in item.answers]
    superseded = []
    if sheet.card_id is None:
        # A new participant has no earlier answer and no card to share: one insert.
        created, _none = _insert(
            [
                response_row(
                    question=q, participant_id=participant.pk, answer=a, created_at=now, **paper
                )
                for q, a in pairs
            ],
            [a for _q, a in pairs],
        )
    else:
        created = []
        for question, answer in pairs:
            stored = _store(
                question=question, participant=participant, answer=answer, now=now, **paper
            )
            created.append(stored.response_id)
            if stored.held:
                held.append(stored.response_id)
            elif stored.card_conflict is not None:
                superseded.append(stored.card_conflict)
    for (question, answer), response in zip(pairs, created, strict=True):
        if answer.text:  # the entry's written text is this answer's
            texts.entry_texts_share(entry.pk, question.pk, TextKind.TEXT, response_id=response)
    for item in questions:
        if item.proposal:
            statement_add(
                question=item.question,
                text=item.proposal,
                author=participant,
                sheet=sheet,
                entry=entry,
                panel_member=item.panel_member,
            )
    teller = entry.teller
    process = sheet.session.process
    receipt = receipt_hash(sheet_receipt(sheet.code))
    log_append(
        process=process,
        action="paper.counted",
        actor=actor_for(actor),
        data={
            "sheet": sheet.code,
            "entry": entry.pk,
            "teller": teller.get_username() if teller else None,
            "participant": participant.public_id,
            "card": sheet.card.code if sheet.card_id else None,
            "answers": texts.entry_logged(entry.pk, entry.answers),
            "responses": created,
            "held": held,
            "superseded": superseded,
            # The form's tear-off strip holds the code (``identifiers.sheet_receipt``).
            "receipt": receipt,
        },
    )

    for item in questions:
        _announce(item.question, "paper")
    if not questions:  # a blank form: the paper tally changes all the same
        send_on_commit(
            session_changed,
            process_id=sheet.session.process_id,
            session_id=sheet.session_id,
            action="paper",
        )
    return participant


# --- show of hands -------------------------------------------------------------------------


def hands_count(
    *, question: Question, counts: dict[int, int], field: str, user, client_id: str = ""
) -> list[HandCount]:
    """Record counted hands (``counts``: per option id or scale value, as ``field``
    names) in its own transaction: a changed count is a new row that replaces the latest
    one for its target; an unchanged count, or a first count of 0, adds nothing. Logged
    (``hands.counted``) and announced after commit when anything was added."""
    with transaction.atomic():
        Question.objects.select_for_update(no_key=True).filter(pk=question.pk).exists()
        latest = {}
        for row in HandCount.objects.filter(question=question).order_by("id"):
            latest[getattr(row, field)] = row
        created = []
        for target, number in sorted(counts.items()):
            before = latest.get(target)
            if before is not None and before.count == number:
                continue
            if before is None and number == 0:
                continue
            created.append(
                HandCount.objects.create(
                    question=question,
                    replaces=before,
                    entered_by=user,
                    client_id=client_id if not created else "",
                    **{field: target, "count": number},
                )
            )
        if created:
            log_append(
                process=question.session.process,
                action="hands.counted",
                actor=actor_for(user),
                data={
                    "question": question.pk,
                    "counts": {str(h.option_id or h.scale_value): h.count for h in created},
                    "corrects": [h.replaces_id for h in created if h.replaces_id],
                    "rows": [
                        {
                            "id": h.pk,
                            "option": h.option_id,
                            "value": h.scale_value,
                            "count": h.count,
                            "replaces": h.replaces_id,
                        }
                        for h in created
                    ],
                },
            )
            _announce(question, "hands")
    return created


# --- imported votes ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedVote:
    """A vote given elsewhere (a Polis conversation), with its own time; ``replaced_at``:
    when a later vote of the same person on the same statement replaced it."""

    participant_id: int
    statement_id: int
    vote: int
    at: datetime
    client_id: str
    replaced_at: datetime | None = None


def votes_import(*, question: Question, generations: Iterable[Sequence[ImportedVote]]) -> int:
    """Store imported votes on a statements question, inside the caller's transaction: a
    generation at a time (everyone's first vote on a statement, then second votes, ...),
    so that each later vote knows the key of the one it supersedes; only a person's last
    vote on a statement counts. The caller logs the import as one entry (the files and
    their hashes). Returns the number of votes stored."""
    last_of: dict[tuple[int, int], int] = {}
    stored = 0
    for generation in generations:
        answers = [Answer(statement=v.statement_id, number=v.vote) for v in generation]
        rows = [
            response_row(
                question=question,
                participant_id=vote.participant_id,
                answer=answer,
                source=Source.ONLINE,
                created_at=vote.at,
                client_id=vote.client_id,
                status=ResponseStatus.SUPERSEDED
                if vote.replaced_at is not None
                else ResponseStatus.COUNTED,
                supersedes=last_of.get((vote.participant_id, vote.statement_id)),
                status_changed_at=vote.replaced_at,
            )
            for vote, answer in zip(generation, answers, strict=True)
        ]
        for vote, pk in zip(generation, _insert(rows, answers)[0], strict=True):
            last_of[(vote.participant_id, vote.statement_id)] = pk
        stored += len(rows)
    return stored


# --- what a void or a card changes ---------------------------------------------------------


def restore_superseded(response_ids: list[int]) -> list[int]:
    """After answers were voided: give back the count to the answers they had replaced,
    unless something else counts for that person meanwhile. Returns the restored ids."""
    restored = []
    now = timezone.now()
    for voided in Response.objects.filter(
        pk__in=response_ids, supersedes__isnull=False
    ).select_related("supersedes"):
        earlier = voided.supersedes
        if earlier.status != ResponseStatus.SUPERSEDED:
            continue
        same_person = Response.objects.filter(
            question_id=earlier.question_id,
            statement_id=earlier.statement_id,
            status=ResponseStatus.COUNTED,
        )
        if earlier.card_id:
            same_person = same_person.filter(card_id=earlier.card_id)
        else:
            same_person = same_person.filter(participant_id=earlier.participant_id)
        if same_person.exists():
            continue
        Response.objects.filter(pk=earlier.pk).update(
            status=ResponseStatus.COUNTED, status_changed_at=now
        )
        restored.append(earlier.pk)
    return restored


def card_attach(participant: Participant, card_id: int) -> tuple[list[int], list[int]]:
    """A participant who already answered shows an attendee card: their counting answers
    now belong to the card too, and the card rule settles any answer the card gave
    elsewhere (the later one wins, or is held). Inside the caller's transaction; returns
    the ids of answers held and of answers superseded."""
    now = timezone.now()
    held, superseded = [], []
    rule = participant.session.process.card_rule
    for response in Response.objects.select_for_update(no_key=True).filter(
        participant=participant, status=ResponseStatus.COUNTED
    ):
        other = (
            Response.objects.select_for_update(no_key=True)
            .filter(
                question_id=response.question_id,
                statement_id=response.statement_id,
                card_id=card_id,
                status=ResponseStatus.COUNTED,
            )
            .exclude(participant=participant)
            .first()
        )
        updates = {"card_id": card_id}
        if other is not None:
            later, earlier = (
                (response, other) if response.created_at >= other.created_at else (other, response)
            )
            if rule == CardRule.LATEST_WINS:
                Response.objects.filter(pk=earlier.pk).update(
                    status=ResponseStatus.SUPERSEDED, status_changed_at=now
                )
                superseded.append(earlier.pk)
                if later is response:
                    updates["supersedes_id"] = other.pk
                else:
                    Response.objects.filter(pk=other.pk).update(supersedes_id=response.pk)
            else:
                updates.update(status=ResponseStatus.HELD, status_changed_at=now)
                held.append(response.pk)
        Response.objects.filter(pk=response.pk).update(**updates)
    return held, superseded
