"""Starting the mail job (``manage.py send_notifications``) in the background.

The background queue (``sessions_app.services.background``) keeps one entry per job name
while the job waits *or runs*, so asking again while it runs does nothing: news committed
just after the running job last looked would wait for the next wake. The job therefore
has two names, ``send_notifications`` and ``send_notifications 1``, and runs under a lock
held until its process ends (``mail.sender_lock``): when the first name is taken the
second is asked for, and of two taken names at most one has finished looking, so the
other looks after it.

News waits ``MAIL_NEWS_DELAY`` seconds in the server process (one timer, however much
news), so that the results of an evening go out in one message rather than one per
question. A server that stops before its timer fires leaves the news to the next wake or
the daily tick.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings

logger = logging.getLogger(__name__)

COMMAND = "send_notifications"
#: The job's two names in the queue (``background.job_key``): plain, and with ``1``.
NAMES = ((COMMAND,), (COMMAND, "1"))

_timer_lock = threading.Lock()
_timer: threading.Timer | None = None


def wake() -> None:
    """Start the mail job now (queued, if all background slots are taken)."""
    from sessions_app.services import background

    try:
        if background.active(*NAMES[0]):
            background.start_command(*NAMES[1])
        else:
            background.start_command(*NAMES[0])
    except OSError:
        logger.exception("the mail job did not start")


def requeue(current: tuple[str, ...]) -> None:
    """From inside a run: start the job under its other name (this run's is taken)."""
    from sessions_app.services import background

    other = NAMES[1] if tuple(current) == NAMES[0] else NAMES[0]
    background.start_command(*other)


def _fire() -> None:
    global _timer
    with _timer_lock:
        _timer = None
    wake()


def wake_later() -> None:
    """Start the mail job after ``MAIL_NEWS_DELAY`` seconds; one timer per server process
    (news arriving meanwhile goes with it)."""
    global _timer
    delay = settings.MAIL_NEWS_DELAY
    if delay <= 0:
        wake()
        return
    with _timer_lock:
        if _timer is not None:
            return
        _timer = threading.Timer(delay, _fire)
        _timer.daemon = True
        _timer.start()
