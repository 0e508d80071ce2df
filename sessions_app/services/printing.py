"""Making the PDF of a print run. It runs in a separate, lower-priority process
(``manage.py render_print_batch``) so that drawing hundreds of pages never holds up the
live session's websockets in the server process; progress is saved as it goes so the
facilitator can follow it. The file lands in MEDIA_ROOT/print/."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from printables import paper_form
from printables.layout import build
from printables.strings import form_strings
from sessions_app.exceptions import InputRejected
from sessions_app.identifiers import sheet_receipt
from sessions_app.models import FormLayout, LiveSession, PaperSheet, PrintBatch
from sessions_app.selectors import form_rows

from . import background
from .paper import sheet_token
from .print_runs import layout_store, print_batch_create, print_batch_failed

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 10
#: A run still "being made" after this long was lost (a restart, a crash).
STALE_AFTER = timezone.timedelta(minutes=15)


def form_layout(
    *, session: LiveSession, large_print: bool, with_cards: bool = False, qna_cards: bool = False
) -> FormLayout:
    """The layout of the session's form as it is now (stored, so that sheets printed
    with it keep it even if questions change later). ``qna_cards``: the question card of
    the session's Q&A round instead (a writing area and the panel to tick; signed and
    entered like a form)."""
    with translation.override(session.process.language):
        rows = form_rows(session=session, qna_cards=qna_cards)
        data = build(
            {**rows, "strings": form_strings(), "privacy": privacy_line(), "dossier": True},
            large_print=large_print,
            with_cards=with_cards,
        )
    return layout_store(session=session, data=data)


def privacy_line() -> str:
    """The form's line saying where the privacy statement is, or "" when the site's public
    address (``SITE_URL``) is not set: the layout is stored per session and made without a
    request, so only the configured address can go on it."""
    if not settings.SITE_URL:
        return ""
    url = settings.SITE_URL + reverse("public:privacy")
    return gettext("Privacy statement: {url}").replace("{url}", url)


def sheet_url(base_url: str, sheet: PaperSheet) -> str:
    """What the sheet's QR code opens: the teller's entry page of this sheet."""
    return base_url.rstrip("/") + reverse("paper:entry", args=[sheet_token(sheet)])


def dossier_url(base_url: str, process) -> str:
    """What the form's small dossier QR code opens: the public page's dossier."""
    return base_url.rstrip("/") + reverse("public:process", args=[process.slug]) + "#dossier"


def card_url(base_url: str, sheet: PaperSheet) -> str:
    """What the sheet's attendee card's QR code opens: joining the session with the card."""
    path = reverse("participate:join", args=[sheet.session.join_code])
    return f"{base_url.rstrip('/')}{path}?{urlencode({'card': sheet.card.code})}"


def batch_path(batch: PrintBatch) -> Path:
    return Path(settings.MEDIA_ROOT) / "print" / f"batch-{batch.pk}.pdf"


def is_stale(batch: PrintBatch) -> bool:
    """Waiting or being made long after it was asked for, and neither queued nor running
    here (``services.background``): lost to a restart or a crash."""
    return (
        batch.state in (PrintBatch.State.PENDING, PrintBatch.State.RUNNING)
        and timezone.now() - batch.created_at > STALE_AFTER
        and not background.active(*_command(batch, ""))
    )


def render_batch(batch_id: int, base_url: str) -> PrintBatch:
    """Draw the batch's sheets into a PDF, saving progress; mark it done, or failed (its
    sheets are then voided: they were never printed). Only a waiting run is drawn, and
    only once: a second start finds it claimed and leaves it alone."""
    batch = PrintBatch.objects.select_related("session__process").get(pk=batch_id)
    claimed = PrintBatch.objects.filter(pk=batch.pk, state=PrintBatch.State.PENDING).update(
        state=PrintBatch.State.RUNNING
    )
    if not claimed:
        return batch
    try:
        sheets = list(batch.sheets.select_related("card", "session").order_by("serial"))
        layout = FormLayout.objects.get(session=batch.session, version=sheets[0].layout_version)
        check_url = base_url.rstrip("/") + reverse(
            "public:check", args=[batch.session.process.slug]
        )
        background = dossier_url(base_url, batch.session.process)
        rows = [
            paper_form.SheetRow(
                s.code,
                sheet_url(base_url, s),
                serial=s.serial,
                card=s.card.code if s.card_id else "",
                card_url=card_url(base_url, s) if s.card_id else "",
                receipt=sheet_receipt(s.code),
                check_url=check_url,
                dossier_url=background,
            )
            for s in sheets
        ]

        def progress(done: int) -> None:
            if done % PROGRESS_EVERY == 0 or done == len(rows):
                PrintBatch.objects.filter(pk=batch.pk).update(progress=done)

        path = batch_path(batch)
        path.parent.mkdir(parents=True, exist_ok=True)
        with translation.override(batch.session.process.language):
            paper_form.render_to(
                path,
                layout.data,
                rows,
                form_strings(),
                title=batch.session.title,
                on_progress=progress,
            )
        PrintBatch.objects.filter(pk=batch.pk).update(
            state=PrintBatch.State.DONE,
            file=path.name,
            progress=len(rows),
            finished_at=timezone.now(),
        )
    except Exception as exc:
        logger.exception("print batch %s failed", batch_id)
        print_batch_failed(batch, str(exc))
    batch.refresh_from_db()
    return batch


def retry(*, user, batch: PrintBatch) -> PrintBatch:
    """A run that failed or was lost (still "being made" long after it started) is given
    up, its sheets voided, and a new run of the same kind is issued. Raises
    ``InputRejected("print_not_retryable")`` for a run that is fine."""
    if not (batch.state == PrintBatch.State.FAILED or is_stale(batch)):
        raise InputRejected("print_not_retryable")
    if batch.state != PrintBatch.State.FAILED:
        print_batch_failed(batch, "lost")
    first = batch.sheets.order_by("serial").first()
    layout = FormLayout.objects.get(session=batch.session, version=first.layout_version)
    return print_batch_create(
        user=user,
        session=batch.session,
        count=batch.count,
        layout=layout,
        with_cards=batch.with_cards,
        client_id=f"retry-{batch.pk}",
    )


def _command(batch: PrintBatch, base_url: str) -> tuple[str, ...]:
    return ("render_print_batch", str(batch.pk), "--base-url", base_url)


def start_rendering(batch: PrintBatch, base_url: str) -> None:
    """Render in a separate process, at a lower priority than the live session, when one
    of the background slots is free (``services.background``). Call it after the batch
    is committed (the other process reads it from the database)."""
    background.start_command(*_command(batch, base_url))
