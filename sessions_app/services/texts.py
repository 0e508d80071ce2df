"""Free text that people wrote, kept apart from the evidence so that it can be erased.

Every open answer, proposed statement, paper entry's written text, moderation reason and
reason a paper form was voided is a ``TextContent`` row with a random salt; the log and
the exports name it by its commitment (``logchain.text_commitment``), never by the text.
A log entry's data writes a text field ``X`` as ``X_commitment``.

``erase`` empties a text and its salt, and every readable copy of it (the answer, the
statement, the paper entries, the voided sheet), and logs ``content.erased`` with the
reason: the chain still verifies, and the published counts do not change.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sessions_app.bulk import insert_rows
from sessions_app.exceptions import InputRejected
from sessions_app.logchain import SALT_BYTES, text_commitment
from sessions_app.models import (
    ErasureReason,
    LogEntry,
    Option,
    PaperSheet,
    Process,
    Response,
    SheetEntry,
    StatementOrigin,
    TextContent,
    TextKind,
)

from .log import log_append

#: The text an erased statement shows (its row keeps an empty text).
ERASED = ""

#: What a voided sheet keeps as its reason once the reason is erased (a voided sheet
#: always has one; this is no one's text).
VOID_REASON_ERASED = "erased"


@dataclass(frozen=True)
class Committed:
    """A text ready to insert: its row and its commitment."""

    row: dict
    commitment: str


def commit(process_id: int, text: str, *, kind: str = TextKind.TEXT, now=None, **refs) -> Committed:
    """A new ``TextContent`` row for ``text`` (not yet inserted) and its commitment.
    ``refs``: the rows that show it (``response_id``, ``option_id``, ``entry_id`` with
    ``entry_question``)."""
    salt = secrets.token_hex(SALT_BYTES)
    digest = text_commitment(salt, text)
    return Committed(
        {
            "process_id": process_id,
            "field": kind,
            "commitment": digest,
            "salt": salt,
            "text": text,
            "created_at": now or timezone.now(),
            **refs,
        },
        digest,
    )


def insert(committed: Iterable[Committed]) -> None:
    insert_rows(TextContent, (c.row for c in committed), keys=False)


def commit_one(process_id: int, text: str, **kwargs) -> str:
    """Store one text now (inside the caller's transaction) and return its commitment."""
    made = commit(process_id, text, **kwargs)
    insert([made])
    return made.commitment


# --- paper entries -------------------------------------------------------------------------

#: The written fields of a paper entry's answer to one question.
ENTRY_FIELDS = (TextKind.TEXT, TextKind.PROPOSAL)


def entry_texts(process_id: int, entry_id: int, answers: dict) -> dict:
    """Store the texts written on a paper entry (``answers`` as stored: question id ->
    answer) and return the answers as the log writes them: each non-empty ``text`` or
    ``proposal`` as ``text_commitment`` / ``proposal_commitment``."""
    made, logged = [], {}
    now = timezone.now()
    for key, answer in answers.items():
        shown = dict(answer)
        for name in ENTRY_FIELDS:
            value = answer.get(name) if isinstance(answer, dict) else None
            if isinstance(value, str) and value:
                item = commit(
                    process_id,
                    value,
                    kind=name,
                    now=now,
                    entry_id=entry_id,
                    entry_question=int(key),
                )
                made.append(item)
                del shown[name]
                shown[f"{name}_commitment"] = item.commitment
        logged[key] = shown
    insert(made)
    return logged


def entry_logged(entry_id: int, answers: dict) -> dict:
    """A stored entry's answers as the log wrote them, from its texts' commitments."""
    found = {
        (question, kind): commitment
        for question, kind, commitment in TextContent.objects.filter(entry_id=entry_id).values_list(
            "entry_question", "field", "commitment"
        )
    }
    logged = {}
    for key, answer in answers.items():
        shown = dict(answer)
        for name in ENTRY_FIELDS:
            commitment = found.get((int(key), name))
            if commitment is not None:
                shown.pop(name, None)
                shown[f"{name}_commitment"] = commitment
        logged[key] = shown
    return logged


def entry_texts_share(entry_id: int, question_id: int, kind: str, **refs) -> None:
    """A paper entry's text now shows on another row too (the answer it counted as, the
    statement it proposed)."""
    TextContent.objects.filter(entry_id=entry_id, entry_question=question_id, field=kind).update(
        **refs
    )


# --- erasure -------------------------------------------------------------------------------


def erase(*, process: Process, commitments: Iterable[str], reason: str, actor: str) -> list[str]:
    """Erase texts of ``process`` named by their commitments: the text and salt become
    empty, and so does every copy (an answer's text, a statement's text, a paper entry's
    written field, a voided sheet's reason). A paper text goes from every entry of its
    sheet (under double entry each teller typed it: the entry set aside keeps a copy too),
    also when the named text was erased before. An answer's or statement's moderation
    reason goes with it, and so does the reason its paper form was voided. Logs one
    ``content.erased`` entry with the commitments and the reason; the counts stay as they
    are. Texts already erased are left out; returns the commitments erased now.

    Raises ``InputRejected`` with ``invalid_reason`` or ``unknown_text``."""
    if reason not in ErasureReason.values:
        raise InputRejected("invalid_reason")
    wanted = sorted(set(commitments))
    with transaction.atomic():
        named = list(
            TextContent.objects.select_for_update().filter(process=process, commitment__in=wanted)
        )
        if len(named) != len(wanted):
            raise InputRejected("unknown_text")
        found = [c for c in named + _entry_copies(process, named) if not c.erased]
        # A moderation reason speaks about the text, and an asker's display name belongs
        # to it: they go too.
        responses = {c.response_id for c in found if c.response_id and c.field == TextKind.TEXT}
        options = {
            c.option_id
            for c in found
            if c.option_id and c.field in (TextKind.TEXT, TextKind.PROPOSAL)
        }
        if responses or options:
            found += list(
                TextContent.objects.select_for_update()
                .filter(
                    process=process,
                    field__in=[TextKind.REASON, TextKind.NAME],
                    erased_at__isnull=True,
                )
                .filter(Q(response_id__in=responses) | Q(option_id__in=options))
                .exclude(pk__in=[c.pk for c in found])
            )
        # So does the reason a paper form was voided, which may speak about its writer.
        found += _void_reasons(process, named + found)
        if not found:
            return []
        _erase_copies(found)
        TextContent.objects.filter(pk__in=[c.pk for c in found]).update(
            text="", salt="", erased_at=timezone.now(), erased_reason=reason
        )
        erased = sorted(c.commitment for c in found)
        log_append(
            process=process,
            action="content.erased",
            actor=actor,
            data={"commitments": erased, "reason": reason},
        )
    return erased


def _entry_copies(process: Process, named: list[TextContent]) -> list[TextContent]:
    """The texts of every other entry of the same sheets, questions and fields as the
    paper texts among ``named`` (locked)."""
    keys = {(c.entry_id, c.entry_question, c.field) for c in named if c.entry_id}
    if not keys:
        return []
    sheet_of = dict(
        SheetEntry.objects.filter(pk__in={e for e, _q, _f in keys}).values_list("pk", "sheet_id")
    )
    wanted = {(sheet_of[e], q, f) for e, q, f in keys}
    entries = dict(
        SheetEntry.objects.filter(sheet_id__in={s for s, _q, _f in wanted}).values_list(
            "pk", "sheet_id"
        )
    )
    known = {c.pk for c in named}
    return [
        c
        for c in TextContent.objects.select_for_update().filter(
            process=process, entry_id__in=list(entries)
        )
        if c.pk not in known and (entries[c.entry_id], c.entry_question, c.field) in wanted
    ]


def _void_reasons(process: Process, found: list[TextContent]) -> list[TextContent]:
    """The kept reasons the sheets of the paper texts in ``found`` were voided with
    (``paper.voided`` holds each as ``reason_commitment``; older entries hold the reason
    itself, which has no row to erase), locked."""
    entries = {c.entry_id for c in found if c.entry_id}
    if not entries:
        return []
    codes = list(
        PaperSheet.objects.filter(entries__pk__in=entries).values_list("code", flat=True).distinct()
    )
    reasons = [
        commitment
        for commitment in LogEntry.objects.filter(
            process=process, action="paper.voided", data__sheet__in=codes
        ).values_list("data__reason_commitment", flat=True)
        if commitment
    ]
    known = {c.pk for c in found}
    return [
        c
        for c in TextContent.objects.select_for_update().filter(
            process=process, commitment__in=reasons, erased_at__isnull=True
        )
        if c.pk not in known
    ]


def _erase_copies(found: list[TextContent]) -> None:
    for content in found:
        if content.field == TextKind.NAME:
            Option.objects.filter(pk=content.option_id).update(display_name="")
            continue
        if content.field == TextKind.REASON:
            if content.response_id:
                Response.objects.filter(pk=content.response_id).update(moderation_reason="")
            if content.option_id:
                Option.objects.filter(pk=content.option_id).update(moderation_reason="")
            if not content.response_id and not content.option_id:
                _void_reason_erase(content)
            continue
        if content.response_id:
            Response.objects.filter(pk=content.response_id).update(text="")
        if content.option_id:
            Option.objects.filter(
                pk=content.option_id,
                origin__in=[StatementOrigin.PARTICIPANT, StatementOrigin.IMPORT],
            ).update(text=ERASED)
        if content.entry_id:
            entry = SheetEntry.objects.select_for_update().get(pk=content.entry_id)
            key = str(content.entry_question)
            answer = dict(entry.answers.get(key) or {})
            if content.field in answer:
                answer[content.field] = ""
                SheetEntry.objects.filter(pk=entry.pk).update(
                    answers={**entry.answers, key: answer}
                )


def _void_reason_erase(content: TextContent) -> None:
    """The copies of a sheet's void reason: on the sheet, and as the moderation reason of
    the statements the void hid (``reconciliation.sheet_void``)."""
    codes = list(
        LogEntry.objects.filter(
            process_id=content.process_id,
            action="paper.voided",
            data__reason_commitment=content.commitment,
        ).values_list("data__sheet", flat=True)
    )
    if not codes:
        return
    sheets = PaperSheet.objects.filter(session__process_id=content.process_id, code__in=codes)
    authors = [a for a in sheets.values_list("participant_id", flat=True) if a]
    if authors and content.text:
        Option.objects.filter(author_id__in=authors, moderation_reason=content.text).update(
            moderation_reason=""
        )
    sheets.update(void_reason=VOID_REASON_ERASED)
