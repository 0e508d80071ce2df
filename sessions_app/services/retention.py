"""Retention: what is kept only for a while, and its removal (``manage.py purge``, also
run once a day by the server).

- Form photos and scans, with the straightened page images read from them: until paper
  counting of their session closed (or, when it never closed, e.g. a session without
  sheets of its own, until the process closed), plus the process's
  ``retention_photos_days`` (else ``RETENTION_PHOTOS_DAYS``). A scan given without a
  session (``read_forms`` without ``--session``) goes with the sessions of the sheets its
  pages name, once every one of them is due; one that names no sheet goes
  ``RETENTION_PHOTOS_DAYS`` after it was given. The files go; the rows that say what was
  read from them, and each file's SHA-256, stay.
- Written text (open answers, proposed statements, moderation reasons): until the process
  closed, plus ``retention_texts_months`` (else ``RETENTION_TEXTS_MONTHS``). Erased as
  ``services.texts.erase`` does, with the reason ``retention``: the counts stay.
- Phones' links: a participant's token older than ``RETENTION_PARTICIPANT_DAYS`` is
  replaced, so an old cookie or link no longer finds the participant.
- Following by e-mail: an address asked for and not confirmed within
  ``FOLLOW_CONFIRM_HOURS`` is deleted (``following.services.purge_expired``).
- Council outputs (``services.exports``): a file older than ``exports.KEEP_FOR``, or made
  before a text of its process was erased, is deleted with its job (``exports.prune``).

Each process's purge is one ``retention.purged`` log entry with counts, never content
(and a ``content.erased`` entry naming the commitments of the erased texts). Scans that
name no sheet belong to no process: ``purge`` reports them under the slug ``""``, and
nothing is logged for them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from sessions_app import checkpoints
from sessions_app.models import (
    FacilitatorNote,
    FormScan,
    LiveSession,
    PageReading,
    Participant,
    Process,
    ProcessState,
    TextContent,
)
from sessions_app.privacy import retention_defaults

from . import exports, texts
from .log import SYSTEM, log_append
from .reading import readings_dir

DAYS_PER_MONTH = 30.44
#: A replaced token starts with this (``:`` never occurs in an issued one).
EXPIRED = "expired:"


@dataclass
class Purged:
    photos: int = 0
    pages: int = 0
    texts: int = 0
    links: int = 0
    notes: int = 0

    def any(self) -> bool:
        return bool(self.photos or self.pages or self.texts or self.links or self.notes)

    def as_json(self) -> dict:
        found = {
            "photos": self.photos,
            "pages": self.pages,
            "texts": self.texts,
            "links": self.links,
        }
        # (Entries logged before notes were purged have no such key.)
        return {**found, "notes": self.notes} if self.notes else found


def photos_until(process: Process, session: LiveSession) -> datetime | None:
    """When the session's form photos go: counted from the close of its paper counting,
    or from the close of the process when its paper counting never closed (a session
    without sheets of its own, whose counting ``process_close`` leaves alone). None while
    both are open."""
    closed = session.paper_closed_at
    if closed is None and process.state == ProcessState.CLOSED:
        closed = process.closed_at
    if closed is None:
        return None
    days = process.retention_photos_days
    if days is None:
        days = retention_defaults().photos_days
    return closed + timedelta(days=days)


def loose_photos_until(scan: FormScan) -> datetime:
    """When a scan given without a session that names no sheet goes: counted from when it
    was given (it belongs to no process, so ``RETENTION_PHOTOS_DAYS``)."""
    return scan.created_at + timedelta(days=retention_defaults().photos_days)


def texts_until(process: Process) -> datetime | None:
    """When the process's written text goes (None while the process is open)."""
    if process.state != ProcessState.CLOSED or process.closed_at is None:
        return None
    months = process.retention_texts_months
    if months is None:
        months = retention_defaults().texts_months
    return process.closed_at + timedelta(days=round(months * DAYS_PER_MONTH))


def purge(now: datetime | None = None) -> dict[str, Purged]:
    """Apply the retention rules to every process; returns what went, per process slug
    (only those where something went)."""
    now = now or timezone.now()
    done = {}
    for process in Process.objects.order_by("pk"):
        purged = process_purge(process, now)
        if purged.any():
            done[process.slug] = purged
    loose = loose_purge(now)
    if loose.any():
        done[""] = loose
    # Council outputs past their day, or made before an erasure (they may hold the text).
    exports.prune(now)
    # The heads of logs that grew (the daily tick signs them too).
    checkpoints.heads_sign_all()
    # Staff accounts' failed logins (django-axes), kept no longer than their cool-off.
    from sessions_app.security import login_attempts_purge

    login_attempts_purge(now)
    # Following by e-mail: addresses asked for and never confirmed (no log entry: the
    # number of followers did not change).
    from following.services import purge_expired

    purge_expired(now)
    return done


def process_purge(process: Process, now: datetime) -> Purged:
    purged = Purged()
    purged.photos, purged.pages = _photos_remove(_scans_due(process, now))
    until = texts_until(process)
    erased = []
    if until is not None and until <= now:
        erased = list(
            TextContent.objects.filter(process=process, erased_at__isnull=True).values_list(
                "commitment", flat=True
            )
        )
    links_before = now - timedelta(days=retention_defaults().participant_days)
    with transaction.atomic():
        if erased:
            purged.texts = len(
                texts.erase(process=process, commitments=erased, reason="retention", actor=SYSTEM)
            )
        stale = list(
            Participant.objects.filter(
                session__process=process, token__isnull=False, created_at__lt=links_before
            )
            .exclude(token__startswith=EXPIRED)
            .values_list("pk", flat=True)
        )
        for pk in stale:
            # Not None (a phone participant always has a token): a secret nobody holds,
            # marked so that it is not replaced again.
            Participant.objects.filter(pk=pk).update(token=EXPIRED + secrets.token_urlsafe(32))
        purged.links = len(stale)
        if until is not None and until <= now:
            # The facilitators' notes are free text too (about a meeting, and sometimes
            # about someone in it): they go with the written text.
            purged.notes, _kinds = FacilitatorNote.objects.filter(session__process=process).delete()
        if purged.any():
            log_append(
                process=process, action="retention.purged", actor=SYSTEM, data=purged.as_json()
            )
    return purged


def _due(until: datetime | None, now: datetime) -> bool:
    return until is not None and until <= now


def _kept() -> Q:
    """Scans with a file or a page image still kept."""
    images = PageReading.objects.filter(scan=OuterRef("pk")).exclude(image="")
    return ~Q(file="") | Q(Exists(images))


def _scans_due(process: Process, now: datetime) -> list[int]:
    """The process's scans whose files are due: those given for a session that is due, and
    those given without a session whose pages name sheets of this process, once every
    session they name is due (one that names sessions of several processes goes with the
    first of them)."""
    due = [s.pk for s in process.sessions.all() if _due(photos_until(process, s), now)]
    scans = set(FormScan.objects.filter(_kept(), session_id__in=due).values_list("pk", flat=True))
    loose = FormScan.objects.filter(
        _kept(), session__isnull=True, page_readings__sheet__session__process=process
    ).distinct()
    for scan in loose:
        named = list(
            LiveSession.objects.filter(sheets__page_readings__scan=scan)
            .select_related("process")
            .distinct()
        )
        if min(s.process_id for s in named) == process.pk and all(
            _due(photos_until(s.process, s), now) for s in named
        ):
            scans.add(scan.pk)
    return sorted(scans)


def loose_purge(now: datetime) -> Purged:
    """Scans given without a session whose pages name no sheet (``read_forms`` without
    ``--session``, nothing read): their files go ``RETENTION_PHOTOS_DAYS`` after they were
    given. Nothing is logged: they belong to no process."""
    scans = FormScan.objects.filter(_kept(), session__isnull=True).exclude(
        page_readings__sheet__isnull=False
    )
    due = [scan.pk for scan in scans if _due(loose_photos_until(scan), now)]
    purged = Purged()
    purged.photos, purged.pages = _photos_remove(due)
    return purged


def _photos_remove(scan_ids: list[int]) -> tuple[int, int]:
    """Delete the kept files of these scans and their straightened page images; the rows
    stay."""
    folder = readings_dir()
    scans = FormScan.objects.filter(pk__in=scan_ids).exclude(file="")
    pages = PageReading.objects.filter(scan_id__in=scan_ids).exclude(image="")
    photos = 0
    for scan in scans:
        (folder / scan.file).unlink(missing_ok=True)
        photos += 1
    images = 0
    for page in pages:
        (folder / page.image).unlink(missing_ok=True)
        images += 1
    scans.update(file="")
    pages.update(image="")
    return photos, images
