"""Retention: what is kept only for a while, and its removal (``manage.py purge``, also
run once a day by the server).

- Form photos and scans: until paper counting of their session closed, plus the process's
  ``retention_photos_days`` (else ``RETENTION_PHOTOS_DAYS``). The files go; the rows
  that say what was read from them, and each file's SHA-256, stay.
- Written text (open answers, proposed statements, moderation reasons): until the process
  closed, plus ``retention_texts_months`` (else ``RETENTION_TEXTS_MONTHS``). Erased as
  ``services.texts.erase`` does, with the reason ``retention``: the counts stay.
- Phones' links: a participant's token older than ``RETENTION_PARTICIPANT_DAYS`` is
  replaced, so an old cookie or link no longer finds the participant.
- Following by e-mail: an address asked for and not confirmed within
  ``FOLLOW_CONFIRM_HOURS`` is deleted (``following.services.purge_expired``).

Each process's purge is one ``retention.purged`` log entry with counts, never content
(and a ``content.erased`` entry naming the commitments of the erased texts).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sessions_app import checkpoints
from sessions_app.models import (
    FormScan,
    LiveSession,
    PageReading,
    Participant,
    Process,
    ProcessState,
    TextContent,
)
from sessions_app.privacy import retention_defaults

from . import texts
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

    def any(self) -> bool:
        return bool(self.photos or self.pages or self.texts or self.links)

    def as_json(self) -> dict:
        return {
            "photos": self.photos,
            "pages": self.pages,
            "texts": self.texts,
            "links": self.links,
        }


def photos_until(process: Process, session: LiveSession) -> datetime | None:
    """When the session's form photos go (None while its paper counting is open)."""
    if session.paper_closed_at is None:
        return None
    days = process.retention_photos_days
    if days is None:
        days = retention_defaults().photos_days
    return session.paper_closed_at + timedelta(days=days)


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
    for session in process.sessions.all():
        until = photos_until(process, session)
        if until is not None and until <= now:
            photos, pages = _photos_remove(session)
            purged.photos += photos
            purged.pages += pages
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
        if purged.any():
            log_append(
                process=process, action="retention.purged", actor=SYSTEM, data=purged.as_json()
            )
    return purged


def _photos_remove(session: LiveSession) -> tuple[int, int]:
    """Delete the kept files of the session's scans and page images; the rows stay."""
    folder = readings_dir()
    scans = FormScan.objects.filter(session=session).exclude(file="")
    pages = PageReading.objects.filter(Q(scan__session=session)).exclude(image="")
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
