"""Reconciling paper: the facilitator settles a sheet whose two entries differ, voids a
sheet (with a reason), settles an answer held because its attendee card already
answered, and closes paper counting once nothing awaits review."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sessions_app import permissions
from sessions_app.answers import clean_text
from sessions_app.exceptions import InputRejected
from sessions_app.models import (
    EntryMethod,
    EntryState,
    LiveSession,
    Moderation,
    Option,
    PaperSheet,
    ProcessState,
    Response,
    ResponseStatus,
    SheetEntry,
    SheetReading,
    SheetState,
    TextKind,
)
from sessions_app.signals import question_changed, send_on_commit, session_changed

from . import counting, paper, texts
from .log import actor_for, log_append


def sheet_conflict_resolve(
    *, user, sheet: PaperSheet, entry_id: int | None = None, answers=None
) -> paper.EntryOutcome:
    """Settle a sheet in conflict: accept one of its entries, or the facilitator's own
    reading (``answers``). The other entries are discarded. Raises ``AccessDenied`` and
    ``InputRejected("sheet_not_in_review")`` and the answer codes."""
    permissions.require(user, sheet.session.process, "facilitate")
    with transaction.atomic():
        sheet = paper.lock_sheet(sheet)
        if sheet.state != SheetState.CONFLICT:
            raise InputRejected("sheet_not_in_review")
        entries = list(sheet.entries.filter(state=EntryState.CONFLICT))
        if answers is not None:
            chosen, logged = paper.entry_create(
                sheet,
                paper.parse_sheet_answers(sheet, answers),
                teller=user,
                method=EntryMethod.RESOLUTION,
            )
        else:
            chosen = next((e for e in entries if e.pk == entry_id), None)
            if chosen is None:
                raise InputRejected("sheet_not_in_review")
        SheetEntry.objects.filter(pk__in=[e.pk for e in entries if e.pk != chosen.pk]).update(
            state=EntryState.DISCARDED
        )
        paper.sheet_state_set(sheet, SheetState.VERIFIED, verified=True)
        log_append(
            process=sheet.session.process,
            action="paper.resolved",
            actor=actor_for(user),
            data={
                "sheet": sheet.code,
                "entry": chosen.pk,
                "method": chosen.method,
                **({"answers": logged} if answers is not None else {}),
            },
        )
        paper.count_entry(sheet, chosen, actor=user)
    return paper.EntryOutcome("counted", chosen.pk, sheet.state)


def sheet_void(*, user, sheet: PaperSheet, reason: str) -> PaperSheet:
    """Take a sheet out of the count, with a reason (a spoiled form, a duplicate). Its
    answers, if it had counted, become ``voided``; answers of the same attendee card that
    it had replaced count again; a statement it proposed is hidden. The reason may speak
    about a person, so the log holds its commitment (``reason_commitment``), like a
    moderation reason's: it is kept apart and can be erased (``texts.erase``). Raises
    ``AccessDenied`` and ``InputRejected("reason_required")`` / ``("sheet_voided")``."""
    permissions.require(user, sheet.session.process, "facilitate")
    reason = clean_text(reason or "")[:500]
    if not reason:
        raise InputRejected("reason_required")
    with transaction.atomic():
        sheet = paper.lock_sheet(sheet)
        if sheet.state == SheetState.VOIDED:
            raise InputRejected("sheet_voided")
        active = list(
            Response.objects.filter(
                sheet=sheet, status__in=[ResponseStatus.COUNTED, ResponseStatus.HELD]
            ).values_list("pk", "question_id")
        )
        Response.objects.filter(sheet=sheet).exclude(status=ResponseStatus.VOIDED).update(
            status=ResponseStatus.VOIDED, status_changed_at=timezone.now()
        )
        restored = counting.restore_superseded([pk for pk, _question in active])
        if sheet.participant_id:
            Option.objects.filter(
                author_id=sheet.participant_id, moderation=Moderation.PENDING
            ).update(moderation=Moderation.HIDDEN, moderation_reason=reason)
        PaperSheet.objects.filter(pk=sheet.pk).update(void_reason=reason)
        sheet.void_reason = reason
        paper.sheet_state_set(sheet, SheetState.VOIDED)
        paper.sheet_readings_follow(sheet)
        process = sheet.session.process
        log_append(
            process=process,
            action="paper.voided",
            actor=actor_for(user),
            data={
                "sheet": sheet.code,
                "reason_commitment": texts.commit_one(process.pk, reason, kind=TextKind.REASON),
                "answers_voided": len(active),
                "restored": restored,
            },
        )
        _announce_void(sheet, sorted({question for _pk, question in active}))
    return sheet


def _announce_void(sheet: PaperSheet, question_ids: list[int]) -> None:
    session = sheet.session
    if not question_ids:
        send_on_commit(
            session_changed, process_id=session.process_id, session_id=session.pk, action="paper"
        )
    for question_id in question_ids:
        send_on_commit(
            question_changed,
            process_id=session.process_id,
            session_id=session.pk,
            question_id=question_id,
            action="voided",
        )


def paper_close(*, user, session: LiveSession, reopen: bool = False) -> LiveSession:
    """Close (or reopen) paper counting for a session; while open, results are marked
    provisional. Closing waits until no form or card answer awaits review. Raises
    ``AccessDenied``, ``InputRejected("paper_review_pending")`` and ``("paper_closed")``
    (closing or reopening on a closed process: its results are final, and nothing more
    is logged; ``process_close`` closes paper counting before the process closes)."""
    permissions.require(user, session.process, "facilitate")
    closed_at = None if reopen else timezone.now()
    if session.process.state == ProcessState.CLOSED:
        raise InputRejected("paper_closed")
    if (session.paper_closed_at is None) == (closed_at is None):
        return session
    if not reopen and (
        session.sheets.filter(state=SheetState.CONFLICT).exists()
        or SheetReading.objects.filter(
            sheet__session=session, status=SheetReading.Status.REVIEW
        ).exists()
        or Response.objects.filter(question__session=session, status=ResponseStatus.HELD).exists()
    ):
        raise InputRejected("paper_review_pending")
    with transaction.atomic():
        LiveSession.objects.filter(pk=session.pk).update(paper_closed_at=closed_at)
        session.paper_closed_at = closed_at
        log_append(
            process=session.process,
            action="paper.reopened" if reopen else "paper.closed",
            actor=actor_for(user),
            data={"session": session.pk},
        )
    send_on_commit(
        session_changed, process_id=session.process_id, session_id=session.pk, action="paper"
    )
    return session


def card_conflict_resolve(*, user, response: Response, keep_new: bool) -> Response:
    """Settle an answer held because the same attendee card already answered: count the
    held one (the other is superseded) or reject it. Either way the person counts once.
    Raises ``AccessDenied`` and ``InputRejected("not_held")``."""
    question = response.question
    permissions.require(user, question.session.process, "facilitate")
    with transaction.atomic():
        response = Response.objects.select_for_update(no_key=True).get(pk=response.pk)
        if response.status != ResponseStatus.HELD:
            raise InputRejected("not_held")
        now = timezone.now()
        other = Response.objects.filter(
            question=question,
            card_id=response.card_id,
            statement_id=response.statement_id,
            status=ResponseStatus.COUNTED,
        )
        superseded = []
        if keep_new:
            earlier = other.values_list("pk", flat=True).first()
            superseded = list(other.values_list("pk", flat=True))
            other.update(status=ResponseStatus.SUPERSEDED, status_changed_at=now)
            Response.objects.filter(pk=response.pk).update(
                status=ResponseStatus.COUNTED, status_changed_at=now, supersedes_id=earlier
            )
        else:
            Response.objects.filter(pk=response.pk).update(
                status=ResponseStatus.REJECTED, reject_code="card_duplicate", status_changed_at=now
            )
        log_append(
            process=question.session.process,
            action="card.resolved",
            actor=actor_for(user),
            data={
                "question": question.pk,
                "response": response.pk,
                "counted": keep_new,
                "superseded": superseded,
            },
        )
    send_on_commit(
        question_changed,
        process_id=question.session.process_id,
        session_id=question.session_id,
        question_id=question.pk,
        action="card",
    )
    response.refresh_from_db()
    return response
