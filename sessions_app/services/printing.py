"""Making the PDF of a print batch, in the background: progress is saved as it goes so the
facilitator can follow it; the file lands in MEDIA_ROOT/print/."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone, translation

from printables import paper_form
from printables.layout import build
from printables.strings import form_strings
from sessions_app.models import FormLayout, LiveSession, PaperSheet, PrintBatch
from sessions_app.selectors import form_rows

from .paper import layout_store, sheet_token

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 10


def form_layout(*, session: LiveSession, large_print: bool) -> FormLayout:
    """The layout of the session's form as it is now (stored, so that sheets printed
    with it keep it even if questions change later)."""
    with translation.override(session.process.language):
        data = build(
            {**form_rows(session=session), "strings": form_strings()}, large_print=large_print
        )
    return layout_store(session=session, data=data)


def sheet_url(base_url: str, sheet: PaperSheet) -> str:
    return f"{base_url.rstrip('/')}/t/{sheet_token(sheet)}/"


def batch_path(batch: PrintBatch) -> Path:
    return Path(settings.MEDIA_ROOT) / "print" / f"batch-{batch.pk}.pdf"


def render_batch(batch_id: int, base_url: str) -> PrintBatch:
    """Draw the batch's sheets into a PDF, saving progress; mark it done or failed."""
    batch = PrintBatch.objects.select_related("session__process").get(pk=batch_id)
    PrintBatch.objects.filter(pk=batch.pk).update(state=PrintBatch.State.RUNNING)
    try:
        sheets = list(batch.sheets.select_related("card").order_by("serial"))
        layout = FormLayout.objects.get(session=batch.session, version=sheets[0].layout_version)
        rows = [
            paper_form.SheetRow(s.code, sheet_url(base_url, s), s.card.code if s.card_id else "")
            for s in sheets
        ]

        def progress(done: int) -> None:
            if done % PROGRESS_EVERY == 0 or done == len(rows):
                PrintBatch.objects.filter(pk=batch.pk).update(progress=done)

        with translation.override(batch.session.process.language):
            pdf = paper_form.render(
                layout.data, rows, form_strings(), title=batch.session.title, on_progress=progress
            )
        path = batch_path(batch)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
        PrintBatch.objects.filter(pk=batch.pk).update(
            state=PrintBatch.State.DONE,
            file=path.name,
            progress=len(rows),
            finished_at=timezone.now(),
        )
    except Exception as exc:
        logger.exception("print batch %s failed", batch_id)
        PrintBatch.objects.filter(pk=batch.pk).update(
            state=PrintBatch.State.FAILED, error=str(exc)[:500], finished_at=timezone.now()
        )
    batch.refresh_from_db()
    return batch


def start_rendering(batch: PrintBatch, base_url: str) -> None:
    """Render in a background thread, so a batch of 500 sheets does not hold a request."""

    def run():
        close_old_connections()
        try:
            render_batch(batch.pk, base_url)
        finally:
            connection.close()

    threading.Thread(target=run, name=f"print-batch-{batch.pk}", daemon=True).start()
