"""Login throttling with django-axes, kept small in what it stores and says.

- Axes locks a user name *from one network* (``AXES_LOCKOUT_PARAMETERS``), so a stranger
  elsewhere cannot lock a colleague out by typing wrong passwords for her.
- It never stores an IP address: ``network_pseudonym`` gives it a keyed hash of the
  address, written as an IPv6 address because axes' column (PostgreSQL ``inet``) takes
  nothing else. Without ``SECRET_KEY`` nobody can tell which address it was.
- A lockout is one warning on the ``inspraak.security`` logger, naming the account and
  the network only by short keyed hashes (``AxesHandler``).
- Attempts older than the cool-off are deleted by ``manage.py purge``
  (``login_attempts_purge``), besides axes' own clean-up on each login.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.utils import timezone

security_log = logging.getLogger("inspraak.security")


def _keyed(purpose: str, value: str) -> bytes:
    key = f"inspraak.security.{purpose}:{settings.SECRET_KEY}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).digest()


def short_hash(value: str | None) -> str:
    """A 12-character keyed hash for logs: the same value gives the same hash, so events
    about one account can be followed, but the log does not say whose."""
    return _keyed("log", value or "").hex()[:12]


def network_pseudonym(request) -> str:
    """Axes' stand-in for the client's IP address: a keyed hash in IPv6 form."""
    address = request.META.get("REMOTE_ADDR") or ""
    return str(ipaddress.IPv6Address(_keyed("network", address)[:16]))


def lockout_ends(request, credentials: dict | None = None) -> datetime | None:
    """When the lockout of this request's user name from its network ends (None if no
    attempt is on record)."""
    from axes.models import AccessAttempt
    from django.db.models import Max

    username = get_client_username(request, credentials)
    latest = AccessAttempt.objects.filter(
        username=username, ip_address=getattr(request, "axes_ip_address", None)
    ).aggregate(latest=Max("attempt_time"))["latest"]
    if latest is None:
        return None
    return latest + get_cool_off(request)


class AxesHandler(AxesDatabaseHandler):
    """Axes' database handler, without the browser's description, plus one logged event
    when an account gets locked."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        already = bool(getattr(request, "axes_locked_out", False))
        if request is not None:
            # Kept no more than the lockout needs: the browser's description (which can
            # name a person's device) is not stored with the failed attempt.
            request.axes_user_agent = ""
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        if request.axes_locked_out and not already:
            ends = lockout_ends(request, credentials)
            security_log.warning(
                "login.locked_out account=%s network=%s failures=%s until=%s",
                short_hash(get_client_username(request, credentials)),
                short_hash(request.axes_ip_address),
                request.axes_failures_since_start,
                ends.isoformat(timespec="seconds") if ends else "",
                extra={"event": "login.locked_out"},
            )
        elif already:
            security_log.info(
                "login.refused_locked account=%s network=%s",
                short_hash(get_client_username(request, credentials)),
                short_hash(request.axes_ip_address),
                extra={"event": "login.refused_locked"},
            )


def login_attempts_purge(now: datetime | None = None) -> int:
    """Delete failed-login records older than the cool-off (and any access logs, which
    are off here); returns how many went. Called by ``manage.py purge``."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    now = now or timezone.now()
    before = now - settings.AXES_COOLOFF_TIME
    removed = AccessAttempt.objects.filter(attempt_time__lt=before).delete()[0]
    removed += AccessFailureLog.objects.filter(attempt_time__lt=before).delete()[0]
    removed += AccessLog.objects.filter(attempt_time__lt=before).delete()[0]
    if removed:
        security_log.info("login.attempts_purged count=%d", removed)
    return removed
