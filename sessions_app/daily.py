"""The server's daily tick: ``manage.py purge`` (retention, and fresh signed heads) in a
separate, niced process, a minute after the server starts and then every 24 hours; and
the mail job of following by e-mail (``manage.py send_notifications``), for what was left
unsent."""

from __future__ import annotations

import logging
import threading

from django.conf import settings

logger = logging.getLogger(__name__)

FIRST_AFTER = 60.0
EVERY = 24 * 60 * 60.0
_started = threading.Event()


def _run() -> None:
    from sessions_app.services.background import start_command

    try:
        start_command("purge")
    except OSError:
        logger.exception("the daily purge did not start")
    # Following by e-mail: whatever a stopped server or mail server left unsent.
    from following.wake import wake

    wake()
    _schedule(EVERY)


def _schedule(delay: float) -> None:
    timer = threading.Timer(delay, _run)
    timer.daemon = True
    timer.start()


def start() -> None:
    """Start the tick once per server process, unless ``DAILY_TICK`` is off."""
    if not getattr(settings, "DAILY_TICK", True) or _started.is_set():
        return
    _started.set()
    _schedule(FIRST_AFTER)
