"""A process's dossier: the background residents can follow (plan drawings, the council
proposal, earlier decisions, the budget) as documents with a plain-language summary, and
links to council documents elsewhere.

A document's file is checked by its content (a PDF, PNG or JPEG, at most
``DOCUMENT_MAX_BYTES``), kept under its SHA-256 (``MEDIA_ROOT/dossier/``) and the log
holds that hash, so anyone can see that a downloaded document is the one that was
published, and a changed document shows as a new entry. Removing a document or link
takes it out of the dossier (logged); the file stays as evidence.

The council's decision (``decision_record``) is part of the dossier too: logged as
``process.decided`` with its date, summary and link, and shown on the timeline as the
process's step of kind decision (``decision_timeline``), and on the public page and in the
feed from the log.

A dossier holds each file once: the same file (the same SHA-256) added again while it
is in the dossier is refused (``document_already_added``, naming the document that has
it); once taken out, it can be added again.

Error codes (``InputRejected``): ``document_required``, ``document_too_large``,
``not_document``, ``document_already_added``, ``summary_required``,
``summary_too_long``, ``alt_text_required``, ``title_required``, ``invalid_date``,
``invalid_kind``, ``invalid_url``, ``unknown_document``, ``decision_in_future``.
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
from sessions_app.design import timeline_to_list
from sessions_app.exceptions import DesignError, InputRejected
from sessions_app.models import (
    DocumentKind,
    DossierDocument,
    DossierLink,
    Milestone,
    MilestoneKind,
    Process,
    ProcessState,
)
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
    return kept_path(document.sha256, document.content_type)


def kept_path(sha256: str, content_type: str) -> Path:
    """Where a document's file with this SHA-256 is kept: ``MEDIA_ROOT/dossier/<sha256><ext>``."""
    ending = next((end for _magic, kind, end in SIGNATURES if kind == content_type), "")
    return Path(settings.MEDIA_ROOT) / "dossier" / f"{sha256}{ending}"


def kept_file(sha256: str, content_type: str, *, user=None) -> bytes | None:
    """The bytes of a file this installation keeps under ``sha256``, or None when there is
    none or it no longer matches its hash. With ``user`` (a design file's import): only a
    file ``user`` may see already, shown in the dossier of a published or closed process,
    or of one they have a role on. Files stay kept after they are taken out of a dossier,
    and every file's hash is in its process's public log, so a hash alone must not bring
    back a file that was taken out, or one of a draft the importer cannot see."""
    if not isinstance(sha256, str) or len(sha256) != 64 or set(sha256) - set("0123456789abcdef"):
        return None  # never a path from anything but a hash
    if user is not None and not _visible_to(user, sha256, content_type):
        return None
    path = kept_path(sha256, content_type)
    if not path.is_file():
        return None
    content = path.read_bytes()
    return content if hashlib.sha256(content).hexdigest() == sha256 else None


#: At most this many dossier rows are looked at for one file's visibility (a file shown in
#: more dossiers than this is in a published one long before).
VISIBLE_ROWS = 50


def _visible_to(user, sha256: str, content_type: str) -> bool:
    """Whether ``user`` may see a file shown in some dossier (not taken out)."""
    shown = DossierDocument.objects.filter(
        sha256=sha256, content_type=content_type, removed_at__isnull=True
    ).select_related("process")[:VISIBLE_ROWS]
    return any(
        document.process.state != ProcessState.DRAFT
        or permissions.has_capability(user, document.process, "view")
        for document in shown
    )


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
    """Organisers only (``user`` None: an operator's command, such as an import)."""
    if user is not None:
        permissions.require(user, process, "design")
    if process.state == ProcessState.CLOSED:
        raise DesignError("process_state", params={"state": process.get_state_display()})


def _url(value) -> str:
    url = value.strip() if isinstance(value, str) else ""
    if not url.startswith(("https://", "http://")) or len(url) > 500 or " " in url:
        raise InputRejected("invalid_url")
    return url


def document_fields(*, title, kind, day, summary, alt_text, content_type) -> dict:
    """A document's fields, cleaned, or ``InputRejected`` naming the first problem: the
    checks of ``document_add``, also run on a design file's dossier (``design_io``)."""
    title = _text(title, code="title_required", limit=200)
    summary = _text(summary, code="summary_required", limit=SUMMARY_MAX)
    if kind not in DocumentKind.values:
        raise InputRejected("invalid_kind")
    alt = clean_text(alt_text) if isinstance(alt_text, str) else ""
    if content_type.startswith("image/") and not alt:
        raise InputRejected("alt_text_required")
    if len(alt) > 500:
        raise InputRejected("summary_too_long")
    return {"title": title, "kind": kind, "date": _date(day), "summary": summary, "alt_text": alt}


def link_fields(*, title, url, day, summary) -> dict:
    """A link's fields, cleaned, or ``InputRejected`` (as ``link_add``)."""
    title = _text(title, code="title_required", limit=200)
    summary = _text(summary, code="summary_required", limit=SUMMARY_MAX)
    return {"title": title, "url": _url(url), "date": _date(day), "summary": summary}


def document_add(
    *, user, process: Process, content: bytes, title, kind, day, summary, alt_text=""
) -> DossierDocument:
    """Add a document to the dossier. Logged (``dossier.document_added``) with its SHA-256,
    size and content type. A file the dossier shows already (the same SHA-256, not taken
    out) is refused with ``document_already_added``, naming that document's title."""
    _editable(user, process)
    if not content:
        raise InputRejected("document_required")
    if len(content) > DOCUMENT_MAX_BYTES:
        raise InputRejected("document_too_large")
    found = next(
        ((kind_, end) for magic, kind_, end in SIGNATURES if content.startswith(magic)), None
    )
    if found is None:
        raise InputRejected("not_document")
    content_type, _ending = found
    fields = document_fields(
        title=title,
        kind=kind,
        day=day,
        summary=summary,
        alt_text=alt_text,
        content_type=content_type,
    )
    title, summary = fields["title"], fields["summary"]
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        # The process row locked before the check: two uploads of the same file at once
        # are checked one after the other, so the second finds the first.
        Process.objects.select_for_update(no_key=True).get(pk=process.pk)
        shown = (
            DossierDocument.objects.filter(process=process, sha256=digest, removed_at__isnull=True)
            .order_by("pk")
            .first()
        )
        if shown is not None:
            raise InputRejected("document_already_added", params={"title": shown.title})
        document = DossierDocument.objects.create(
            process=process,
            **fields,
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
    fields = link_fields(title=title, url=url, day=day, summary=summary)
    title, url, summary = fields["title"], fields["url"], fields["summary"]
    with transaction.atomic():
        link = DossierLink.objects.create(process=process, **fields)
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


#: The longest label of a timeline step (``Milestone.label``).
LABEL_MAX = 200


def decision_label(summary: str) -> str:
    """The timeline's short form of a decision's summary: its first line, cut at a word
    before ``LABEL_MAX`` characters with an ellipsis. The evidence check replays this from
    the log (``binding``), so it must never change."""
    line = summary.strip().splitlines()[0].strip() if summary.strip() else ""
    if len(line) <= LABEL_MAX:
        return line
    cut = line[: LABEL_MAX - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def decision_timeline(timeline: list[dict], *, day: str, summary: str) -> list[dict]:
    """The timeline (as ``design.timeline_to_list``) after a decision of ``day``
    (``YYYY-MM-DD``): the first step of kind decision takes its date and the short form of
    its summary, or, without one, such a step is added at the end. Pure: the service
    applies it, and the evidence check replays it from the log."""
    step = {"date": day, "label": decision_label(summary), "kind": MilestoneKind.DECISION}
    steps = [dict(item) for item in timeline]
    for index, item in enumerate(steps):
        if item.get("kind") == MilestoneKind.DECISION:
            steps[index] = step
            return steps
    return [*steps, step]


def decision_record(*, user, process: Process, date, summary, url="") -> Milestone:
    """Record what the council decided: its date (not in the future), a summary in plain
    language and, optionally, a link to the decision. Logged (``process.decided``, with
    ``date``, ``summary`` and ``url``); the timeline's decision step shows it as reached
    (``decision_timeline``), the public page's dossier shows the latest decision, and the
    feed announces it. Recorded again, it corrects the step. Any state of the process: a
    council often decides after the participation closed.

    Raises ``AccessDenied`` (organisers only) and ``InputRejected`` (``summary_required``,
    ``summary_too_long``, ``invalid_date``, ``decision_in_future``, ``invalid_url``);
    nothing is stored then."""
    if user is not None:
        permissions.require(user, process, "design")
    summary = _text(summary, code="summary_required", limit=SUMMARY_MAX)
    day = _date(date)
    if day > timezone.localdate():
        raise InputRejected("decision_in_future")
    url = _url(url) if isinstance(url, str) and url.strip() else ""
    with transaction.atomic():
        steps = decision_timeline(timeline_to_list(process), day=day.isoformat(), summary=summary)
        wanted = next(s for s in steps if s["kind"] == MilestoneKind.DECISION)
        milestone = (
            process.milestones.filter(kind=MilestoneKind.DECISION)
            .order_by("position", "id")
            .first()
        )
        if milestone is None:
            last = process.milestones.order_by("-position").values_list("position", flat=True)
            milestone = Milestone(process=process, position=(last.first() or 0) + 1)
        milestone.date, milestone.label, milestone.kind = day, wanted["label"], wanted["kind"]
        milestone.save()
        log_append(
            process=process,
            action="process.decided",
            actor=actor_for(user),
            data={"date": day.isoformat(), "summary": summary, "url": url},
        )
    send_on_commit(process_changed, process_id=process.pk, action="decided")
    return milestone
