"""Print runs and attendee cards: issuing sheets with fresh codes for a run of printed
forms (drawn afterwards by ``printing``), a run that failed, and cards with personal
codes that tie one person's phone and paper together."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from sessions_app import permissions
from sessions_app.exceptions import InputRejected
from sessions_app.identifiers import random_code
from sessions_app.models import (
    AttendeeCard,
    FormLayout,
    LiveSession,
    PaperSheet,
    PrintBatch,
    ProcessState,
    SheetState,
)
from sessions_app.signals import send_on_commit, session_changed

from .log import actor_for, log_append

SHEET_CODE_LENGTH = 8
CARD_CODE_LENGTH = 8
#: The most sheets (or cards) in one run.
MAX_BATCH = 2000


def layout_store(*, session: LiveSession, data: dict) -> FormLayout:
    layout, _created = FormLayout.objects.get_or_create(
        session=session,
        version=data["version"],
        defaults={"data": data, "large_print": data["large_print"]},
    )
    return layout


def print_batch_create(
    *,
    user,
    session: LiveSession,
    count: int,
    layout: FormLayout,
    with_cards: bool = False,
    client_id: str = "",
) -> PrintBatch:
    """Issue ``count`` sheets with fresh codes (and attendee cards, one per sheet) for a
    print run; the PDF is made afterwards. A repeated ``client_id`` (a double click)
    returns the first run. Raises ``AccessDenied``, ``InputRejected("invalid_count")`` and
    ``("session_ended")``. ``user`` None is the ``print_forms`` command."""
    if user is not None:
        permissions.require(user, session.process, "facilitate")
    if client_id and user is not None:
        earlier = PrintBatch.objects.filter(created_by=user, client_id=client_id).first()
        if earlier is not None:
            return earlier
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_BATCH:
        raise InputRejected("invalid_count")
    if session.process.state == ProcessState.CLOSED:
        raise InputRejected("session_ended")
    try:
        return _print_batch_insert(user, session, count, layout, with_cards, client_id)
    except IntegrityError:
        # The same client id raced in from a second click: that run stands.
        earlier = PrintBatch.objects.filter(created_by=user, client_id=client_id).first()
        if earlier is None:
            raise
        return earlier


def _print_batch_insert(user, session, count, layout, with_cards, client_id) -> PrintBatch:
    with transaction.atomic():
        # One print run at a time per session, so serial numbers never collide.
        LiveSession.objects.select_for_update(no_key=True).filter(pk=session.pk).exists()
        batch = PrintBatch.objects.create(
            session=session,
            count=count,
            large_print=layout.large_print,
            with_cards=with_cards,
            created_by=user,
            client_id=client_id if user is not None else "",
        )
        first = (
            PaperSheet.objects.filter(session=session).aggregate(m=Max("serial"))["m"] or 0
        ) + 1
        cards = _issue_cards(session, count) if with_cards else [None] * count
        codes = _fresh_codes(PaperSheet, count, SHEET_CODE_LENGTH)
        PaperSheet.objects.bulk_create(
            PaperSheet(
                session=session,
                code=code,
                serial=first + index,
                layout_version=layout.version,
                large_print=layout.large_print,
                batch=batch,
                card=card,
            )
            for index, (code, card) in enumerate(zip(codes, cards, strict=True))
        )
        log_append(
            process=session.process,
            action="paper.printed",
            actor=actor_for(user),
            data={
                "session": session.pk,
                "batch": batch.pk,
                "count": count,
                "serials": [first, first + count - 1],
                "layout": layout.version,
                "large_print": layout.large_print,
                "cards": with_cards,
            },
        )
    # Printed forms make results provisional: screens should say so at once.
    send_on_commit(
        session_changed, process_id=session.process_id, session_id=session.pk, action="printed"
    )
    return batch


def print_batch_failed(batch: PrintBatch, error: str) -> None:
    """A print run could not be made: its sheets were never printed, so they are voided
    (and so out of the reconciliation's "not returned")."""
    with transaction.atomic():
        serials = list(batch.sheets.order_by("serial").values_list("serial", flat=True))
        batch.sheets.filter(state=SheetState.PRINTED).update(
            state=SheetState.VOIDED, void_reason="print run failed", state_changed_at=timezone.now()
        )
        PrintBatch.objects.filter(pk=batch.pk).update(
            state=PrintBatch.State.FAILED, error=error[:500], finished_at=timezone.now()
        )
        log_append(
            process=batch.session.process,
            action="paper.print_failed",
            actor="system",
            data={"batch": batch.pk, "serials": [serials[0], serials[-1]] if serials else []},
        )


def _fresh_codes(model, count: int, length: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {random_code(length) for _ in range(count - len(codes))}
        taken = set(model.objects.filter(code__in=wanted).values_list("code", flat=True))
        codes |= wanted - taken
    return sorted(codes)


def _issue_cards(session: LiveSession, count: int) -> list[AttendeeCard]:
    codes = _fresh_codes(AttendeeCard, count, CARD_CODE_LENGTH)
    return AttendeeCard.objects.bulk_create(
        AttendeeCard(session=session, code=code) for code in codes
    )


def cards_issue(*, user, session: LiveSession, count: int) -> list[AttendeeCard]:
    """Make ``count`` attendee cards with personal codes. Raises ``AccessDenied`` and
    ``InputRejected("invalid_count")``."""
    permissions.require(user, session.process, "facilitate")
    if not isinstance(count, int) or not 1 <= count <= MAX_BATCH:
        raise InputRejected("invalid_count")
    with transaction.atomic():
        cards = _issue_cards(session, count)
        log_append(
            process=session.process,
            action="cards.issued",
            actor=actor_for(user),
            data={"session": session.pk, "count": count},
        )
    return cards
