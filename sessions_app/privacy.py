"""What the privacy statement (``/privacy/``) says, read from settings: who is responsible
for the personal data, how to reach them, and how long what is kept. Code that erases data
when its time is up reads the same figures through ``retention_defaults``, so the page and
the practice cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Retention:
    """How long personal data is kept, as the privacy statement promises.

    * ``photos_days``: photos and scans of paper forms, counted from the close of paper
      counting of their session;
    * ``texts_months``: open-text answers and the text of proposed statements, counted from
      the close of the process (the counted choices stay);
    * ``participant_days``: how long a phone's participant cookie stays valid;
    * ``follow_unconfirmed_hours``: an e-mail address given to follow a process and not
      confirmed (a confirmed one stays until its owner unsubscribes).
    """

    photos_days: int
    texts_months: int
    participant_days: int
    follow_unconfirmed_hours: int = 48


def retention_defaults() -> Retention:
    """The retention periods of this installation (``RETENTION_*`` settings)."""
    return Retention(
        photos_days=settings.RETENTION_PHOTOS_DAYS,
        texts_months=settings.RETENTION_TEXTS_MONTHS,
        participant_days=settings.RETENTION_PARTICIPANT_DAYS,
        follow_unconfirmed_hours=settings.FOLLOW_CONFIRM_HOURS,
    )


def statement_context() -> dict:
    """What the privacy page needs: ``controller``, ``contact`` and ``dpo`` (each may be
    empty: not filled in by the organisation running this installation), ``retention``
    (a ``Retention``), ``backup_days`` and ``following`` (whether processes can be
    followed by e-mail)."""
    return {
        "controller": settings.PRIVACY_CONTROLLER,
        "contact": settings.PRIVACY_CONTACT,
        "dpo": settings.PRIVACY_DPO,
        "retention": retention_defaults(),
        "backup_days": settings.BACKUP_KEEP_DAYS,
        "following": settings.FOLLOW_BY_EMAIL,
    }
