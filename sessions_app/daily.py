"""The server's daily tick: ``manage.py purge`` (retention, and fresh signed heads) in a
separate, niced process, a minute after the server starts and then every 24 hours; and
the mail job of following by e-mail (``manage.py send_notifications``), for what was left
unsent.

While a session is live the jobs wait (``DEFER_EVERY``, checked again each time), so
that a deploy in the middle of an evening does not start them beside the room's phones;
but never longer than ``DEFER_AT_MOST`` in a row, so that a session left live by mistake
does not hold retention back."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

FIRST_AFTER = 60.0
EVERY = 24 * 60 * 60.0
DEFER_EVERY = 15 * 60.0
DEFER_AT_MOST = 6 * 60 * 60.0
_started = threading.Event()


def _live() -> bool:
    """Whether a session is live now. When the database cannot say, the jobs run."""
    from sessions_app.models import LiveSession
    from sessions_app.models.choices import SessionState

    try:
        return LiveSession.objects.filter(state=SessionState.LIVE).exists()
    except Exception:  # the tick must not die with the database away
        logger.exception("the daily tick could not look for a live session")
        return False


def _run(deferred: float = 0.0) -> None:
    if deferred < DEFER_AT_MOST and _live():
        _schedule(DEFER_EVERY, deferred + DEFER_EVERY)
        return
    from sessions_app.services.background import start_command

    try:
        start_command("purge")
    except OSError:
        logger.exception("the daily purge did not start")
    # Following by e-mail: whatever a stopped server or mail server left unsent.
    from following.wake import wake

    try:
        wake()
    except Exception:  # the next tick tries again
        logger.exception("the mail job did not start")
    _schedule(EVERY)


def _tick(deferred: float) -> None:
    """One tick in the timer's own thread, whose database connection ends with it."""
    try:
        _run(deferred)
    finally:
        connections.close_all()


def _schedule(delay: float, deferred: float = 0.0) -> None:
    timer = threading.Timer(delay, _tick, args=(deferred,))
    timer.daemon = True
    timer.start()


def start() -> None:
    """Start the tick once per server process, unless ``DAILY_TICK`` is off."""
    if not getattr(settings, "DAILY_TICK", True) or _started.is_set():
        return
    _started.set()
    _schedule(FIRST_AFTER)
