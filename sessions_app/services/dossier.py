"""A process's dossier: the background residents can follow (plan drawings, the council
proposal, earlier decisions, the budget) as documents with a plain-language summary, and
links to council documents elsewhere.

A document's file is checked by its content (a PDF, PNG or JPEG, at most
``DOCUMENT_MAX_BYTES``), kept under its SHA-256 (``MEDIA_ROOT/dossier/``) and the log
holds that hash, so anyone can see that a downloaded document is the one that was
published, and a changed document shows as a new entry. Removing a document or link
takes it out of the dossier (logged); the file stays as evidence.

Error codes (``InputRejected``): ``document_too_large``, ``not_document``, ``summary_required``,
``summary_too_long``, ``alt_text_required``, ``title_required``, ``invalid_date``,
``invalid_kind``, ``invalid_url``, ``unknown_document``.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sessions_app import permissions
from sessions_app.answers import clean_text
from sessions_app.exceptions import DesignError, InputRejected
from sessions_app.models import DocumentKind, DossierDocument, DossierLink, Process, ProcessState
from sessions_app.signals import process_changed, send_on_commit

from .log import actor_for, log_append

DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
SUMMARY_MAX = 1000
#: Content type → file ending, told by the file's first bytes (not by its name).
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


def document_path(document: DossierDocument) -> Path:
    ending = next((end for _magic, kind, end in SIGNATURES if kind == document.content_type), "")
    return Path(settings.MEDIA_ROOT) / "dossier" / f"{document.sha256}{ending}"


def _text(value, *, code: str, limit: int) -> str:
    text = clean_text(value) if isinstance(value, str) else ""
    if not text:
        raise InputRejected(code)
    if len(text) > limit:
        raise InputRejected("summary_too_long" if code == "summary_required" else code)
    return text


def _date(value) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InputRejected("invalid_date") from None


def _editable(user, process: Process) -> None:
    permissions.require(user, process, "design")
    if process.state == ProcessState.CLOSED:
        raise DesignError("process_state", params={"state": process.get_state_display()})


def document_add(
    *, user, process: Process, content: bytes, title, kind, day, summary, alt_text=""
) -> DossierDocument:
    """Add a document to the dossier. Logged (``dossier.document_added``) with its SHA-256,
    size and content type."""
    _editable(user, process)
    if len(content) > DOCUMENT_MAX_BYTES:
        raise InputRejected("document_too_large")
    found = next(
        ((kind_, end) for magic, kind_, end in SIGNATURES if content.startswith(magic)), None
    )
    if found is None:
        raise InputRejected("not_document")
    content_type, _ending = found
    title = _text(title, code="title_required", limit=200)
    summary = _text(summary, code="summary_required", limit=SUMMARY_MAX)
    if kind not in DocumentKind.values:
        raise InputRejected("invalid_kind")
    alt = clean_text(alt_text) if isinstance(alt_text, str) else ""
    if content_type.startswith("image/") and not alt:
        raise InputRejected("alt_text_required")
    if len(alt) > 500:
        raise InputRejected("summary_too_long")
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        document = DossierDocument.objects.create(
            process=process,
            title=title,
            kind=kind,
            date=_date(day),
            summary=summary,
            alt_text=alt,
            sha256=digest,
            content_type=content_type,
            size=len(content),
            added_by=user,
        )
        path = document_path(document)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(content)
        log_append(
            process=process,
            action="dossier.document_added",
            actor=actor_for(user),
            data={
                "document": document.pk,
                "title": title,
                "kind": kind,
                "date": document.date.isoformat(),
                "sha256": digest,
                "size": len(content),
                "content_type": content_type,
                "summary": summary,
            },
        )
    send_on_commit(process_changed, process_id=process.pk, action="dossier")
    return document


def link_add(*, user, process: Process, title, url, day, summary) -> DossierLink:
    """Add a link to a council document elsewhere. Logged (``dossier.link_added``)."""
    _editable(user, process)
    title = _text(title, code="title_required", limit=200)
    summary = _text(summary, code="summary_required", limit=SUMMARY_MAX)
    url = url.strip() if isinstance(url, str) else ""
    if not url.startswith(("https://", "http://")) or len(url) > 500 or " " in url:
        raise InputRejected("invalid_url")
    with transaction.atomic():
        link = DossierLink.objects.create(
            process=process, title=title, url=url, date=_date(day), summary=summary
        )
        log_append(
            process=process,
            action="dossier.link_added",
            actor=actor_for(user),
            data={
                "link": link.pk,
                "title": title,
                "url": url,
                "date": link.date.isoformat(),
                "summary": summary,
            },
        )
    send_on_commit(process_changed, process_id=process.pk, action="dossier")
    return link


def item_remove(*, user, process: Process, document_id=None, link_id=None) -> None:
    """Take a document or link out of the dossier (``dossier.removed``); the file and the
    row stay as evidence of what was shown."""
    _editable(user, process)
    model, key = (DossierDocument, "document") if document_id else (DossierLink, "link")
    pk = document_id or link_id
    with transaction.atomic():
        found = model.objects.filter(process=process, pk=pk, removed_at__isnull=True).update(
            removed_at=timezone.now()
        )
        if not found:
            raise InputRejected("unknown_document")
        log_append(process=process, action="dossier.removed", actor=actor_for(user), data={key: pk})
    send_on_commit(process_changed, process_id=process.pk, action="dossier")
