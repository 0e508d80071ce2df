"""The mails to followers, and the job that sends them (``manage.py send_notifications``,
run in the background; ``docs/following.md``).

One run sends what is due, in this order, at most ``MAIL_PER_RUN`` messages:

1. confirmation mails (an address asked to follow, and no mail went since);
2. news: per process, the log's news entries (``following.news``) after each confirmed
   follower's ``sent_seq``, all of them in one message; then ``sent_seq`` moves to the
   log's head as it was read, so each entry is sent once.

Messages go ``MAIL_BATCH`` to an SMTP connection, at most ``MAIL_RATE`` a minute. Each
message is marked sent right after the mail server accepted it, in its own transaction,
so a run that stops (a crash, a mail server that goes away) resumes where it was; only a
stop between the server's acceptance and that mark can send one message twice. A run with
work left queues the job again (``wake.requeue``). Addresses never reach the log lines:
errors are told by their kind, never by their text (an SMTP refusal quotes the address).

Every message is plain text in the process's language, with the unsubscribe link in its
footer and in the ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers (RFC 8058).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import smtplib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sessions_app.feeds import asked_shown, entry_subjects, news_words
from sessions_app.models import LogEntry, Process

from .models import Follower, Token
from .news import NEWS_ACTIONS, is_news
from .services import enabled, token_digest

logger = logging.getLogger("inspraak.following")

#: The most news items one message lists (the newest); older ones are counted.
ITEMS_MAX = 30


@dataclass
class Outcome:
    confirmations: int = 0
    news: int = 0
    refused: int = 0
    deferred: int = 0
    more: bool = False

    @property
    def sent(self) -> int:
        return self.confirmations + self.news


class MailServerError(Exception):
    """The mail server could not be reached or refused the connection; the run stops.
    Its text names the error's kind only."""


_held: int | None = None


def hold_sender_lock() -> None:
    """Wait for, then hold until this process ends, the lock that lets one run send at a
    time (``wake`` explains why until the end: it is let go by the exit, or by the exec
    into the next background job, after the queue let go of this job's name). A file lock
    under ``MEDIA_ROOT/.background/``, which backups leave out."""
    global _held
    if _held is not None:
        return
    folder = Path(settings.MEDIA_ROOT) / ".background"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "send_notifications.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    _held = fd


# --- Links ------------------------------------------------------------------------------


def _link(follower: Follower, purpose: str) -> str:
    """A new link for ``follower``: its token is stored as a SHA-256 only."""
    token = secrets.token_urlsafe(32)
    Token.objects.create(follower=follower, purpose=purpose, digest=token_digest(token))
    name = "following:confirm" if purpose == Token.CONFIRM else "following:unsubscribe"
    return follower.base_url.rstrip("/") + reverse(name, args=[token])


def _page(follower: Follower, process: Process, anchor: str = "") -> str:
    url = follower.base_url.rstrip("/") + process.get_absolute_url()
    return f"{url}#{anchor}" if anchor else url


def _message(follower: Follower, subject: str, body: str, stop_url: str) -> EmailMessage:
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[follower.email],
        headers={
            "List-Unsubscribe": f"<{stop_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


# --- Messages ---------------------------------------------------------------------------


def confirmation_message(follower: Follower) -> EmailMessage:
    """The mail with the confirm link (and, as every mail, an unsubscribe link: here it
    deletes the address at once)."""
    process = follower.process
    with translation.override(process.language):
        confirm_url = _link(follower, Token.CONFIRM)
        stop_url = _link(follower, Token.STOP)
        context = {
            "process": process,
            "page_url": _page(follower, process),
            "confirm_url": confirm_url,
            "stop_url": stop_url,
            "hours": settings.FOLLOW_CONFIRM_HOURS,
        }
        subject = _("Please confirm: news of “%(title)s” by e-mail") % {"title": process.title}
        body = render_to_string("following/mail/confirm.txt", context).strip() + "\n"
    return _message(follower, subject, body, stop_url)


@dataclass(frozen=True)
class Item:
    """One news item of a message: a line saying what happened, and where to read it."""

    seq: int
    title: str
    url: str
    detail: str = ""


def _when(value) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        return ""
    return date_format(timezone.localtime(moment), "j F Y, H:i")


def _day(value) -> str:
    day = parse_date(value) if isinstance(value, str) else None
    return date_format(day, "j F Y") if day else ""


def news_items(process: Process, entries: list[LogEntry], follower: Follower) -> list[Item]:
    """The message's items for ``entries`` (news of ``process``, oldest first), worded as
    in the Atom feed where it has words for them (``feeds.news_words``): results, a
    follow-up and a written answer name their question in the line, and the meeting that
    asked it in the detail. Call inside the process's language."""
    subjects = entry_subjects(process, entries)
    shown = asked_shown(entries)  # an answered question's text only once approved
    items, seen = [], set()
    for entry in entries:
        data = entry.data or {}
        if entry.action == "session.created":
            title = _("A meeting was planned: %(title)s") % {"title": data.get("title", "")}
            detail = ", ".join(
                part for part in (_when(data.get("starts_at")), data.get("venue", "")) if part
            )
            items.append(
                Item(entry.seq, title, _page(follower, process, "sessions-heading"), detail)
            )
        elif entry.action == "results.revealed":
            key = ("results", data.get("question"))
            if key in seen:  # shown, hidden and shown again: once
                continue
            seen.add(key)
            title, detail = news_words(entry, *subjects[entry.seq], shown)
            items.append(Item(entry.seq, title, _page(follower, process, "results"), detail))
        elif entry.action in ("follow_up.recorded", "qna.answered"):
            title, detail = news_words(entry, *subjects[entry.seq], shown)
            items.append(Item(entry.seq, title, _page(follower, process, "follow-up"), detail))
        elif entry.action == "process.decided":
            title = _("The council decided (%(date)s)") % {"date": _day(data.get("date"))}
            detail = data.get("summary", "")
            url = data.get("url") or ""
            if url.startswith(("https://", "http://")):
                detail = f"{detail}\n{url}" if detail else url
            items.append(Item(entry.seq, title, _page(follower, process, "dossier"), detail))
    return items


def _shorten(text: str, limit: int = 600) -> str:
    """At most ``limit`` characters, each line indented under its item."""
    text = text.strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return "\n  ".join(line.strip() for line in text.splitlines() if line.strip())


def news_message(follower: Follower, items: list[Item]) -> EmailMessage:
    """One message with every news item since the follower's last mail."""
    process = follower.process
    with translation.override(process.language):
        shown = items[-ITEMS_MAX:]
        stop_url = _link(follower, Token.STOP)
        context = {
            "process": process,
            "items": [
                {"title": i.title, "url": i.url, "detail": _shorten(i.detail)} for i in shown
            ],
            "earlier": len(items) - len(shown),
            "page_url": _page(follower, process),
            "stop_url": stop_url,
        }
        subject = _("News of “%(title)s”") % {"title": process.title}
        body = render_to_string("following/mail/news.txt", context).strip() + "\n"
    return _message(follower, subject, body, stop_url)


# --- Sending ----------------------------------------------------------------------------


class Sender:
    """Sends messages ``batch`` to an SMTP connection, at most ``rate`` a minute."""

    def __init__(self, *, batch: int, rate: int, sleep: Callable[[float], None] = time.sleep):
        self.batch, self.interval, self.sleep = batch, 60.0 / rate, sleep
        self.connection = None
        self.in_connection = 0
        self.last: float | None = None

    def _pace(self) -> None:
        if self.last is not None:
            wait = self.last + self.interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
        self.last = time.monotonic()

    def send(self, message: EmailMessage) -> str:
        """``sent``, ``refused`` (refused for good: not tried again) or ``deferred``
        (refused for now: tried again next run). Raises ``MailServerError``."""
        self._pace()
        for attempt in (1, 2):
            try:
                if self.connection is None:
                    self.connection = get_connection(fail_silently=False)
                    self.connection.open()
                    self.in_connection = 0
                self.connection.send_messages([message])
            except smtplib.SMTPServerDisconnected:
                # A server that closes idle or long connections: once more, on a new one.
                self.close()
                if attempt == 2:
                    raise MailServerError("SMTPServerDisconnected") from None
                continue
            except smtplib.SMTPRecipientsRefused as refusal:
                self._count()
                codes = [code for code, _text in refusal.recipients.values()]
                return "refused" if codes and all(code >= 500 for code in codes) else "deferred"
            except smtplib.SMTPDataError as refusal:  # this message, not the server
                self._count()
                return "refused" if refusal.smtp_code >= 500 else "deferred"
            except (smtplib.SMTPException, OSError) as error:
                self.close()
                raise MailServerError(type(error).__name__) from None
            self._count()
            return "sent"
        raise AssertionError("unreachable")

    def _count(self) -> None:
        self.in_connection += 1
        if self.in_connection >= self.batch:
            self.close()

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None


def _confirmations_due(now, limit: int) -> list[Follower]:
    due = (
        Follower.objects.filter(confirmed_at__isnull=True, expires_at__gt=now)
        .filter(Q(confirm_sent_at__isnull=True) | Q(confirm_sent_at__lt=F("requested_at")))
        .select_related("process")
        .order_by("requested_at", "pk")
    )
    return list(due[:limit])


def _news_entries(process_id: int, after: int, upto: int) -> list[LogEntry]:
    entries = LogEntry.objects.filter(
        process_id=process_id, seq__gt=after, seq__lte=upto, action__in=NEWS_ACTIONS
    ).order_by("seq")
    return [e for e in entries if is_news(e.action, e.data)]


def _news_due(limit: int) -> Iterator[tuple[Follower, list[LogEntry], int]]:
    """Per confirmed follower with news: the follower, its news entries and the log head
    they were read up to. Followers already up to date are moved to the head at once."""
    processes = (
        Follower.objects.filter(confirmed_at__isnull=False, sent_seq__lt=F("process__log_seq"))
        .values_list("process_id", flat=True)
        .distinct()
        .order_by("process_id")
    )
    for process_id in list(processes):
        process = Process.objects.get(pk=process_id)
        upto = process.log_seq  # every entry up to here is committed
        waiting = Follower.objects.filter(
            process=process, confirmed_at__isnull=False, sent_seq__lt=upto
        ).order_by("pk")
        low = waiting.order_by("sent_seq").values_list("sent_seq", flat=True).first()
        if low is None:
            continue
        news = _news_entries(process.pk, low, upto)
        if not news:
            waiting.update(sent_seq=upto)
            continue
        quiet = Follower.objects.filter(
            process=process, confirmed_at__isnull=False, sent_seq__gte=news[-1].seq
        )
        quiet.filter(sent_seq__lt=upto).update(sent_seq=upto)
        for follower in waiting.filter(sent_seq__lt=news[-1].seq)[: limit + 1]:
            follower.process = process
            yield follower, [e for e in news if e.seq > follower.sent_seq], upto


def run(
    *,
    limit: int | None = None,
    batch: int | None = None,
    rate: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Send what is due, at most ``limit`` (``MAIL_PER_RUN``) messages; ``more`` says that
    work was left for the next run."""
    outcome = Outcome()
    if not enabled():
        return outcome
    limit = limit or settings.MAIL_PER_RUN
    sender = Sender(
        batch=batch or settings.MAIL_BATCH, rate=rate or settings.MAIL_RATE, sleep=sleep
    )
    now = timezone.now()
    try:
        for follower in _confirmations_due(now, limit + 1):
            if outcome.sent + outcome.refused >= limit:
                outcome.more = True
                return outcome
            result = sender.send(confirmation_message(follower))
            if result == "deferred":
                outcome.deferred += 1
                continue
            Follower.objects.filter(pk=follower.pk).update(confirm_sent_at=timezone.now())
            if result == "refused":
                outcome.refused += 1
            else:
                outcome.confirmations += 1
        for follower, entries, upto in _news_due(limit):
            if outcome.sent + outcome.refused >= limit:
                outcome.more = True
                return outcome
            with translation.override(follower.process.language):
                items = news_items(follower.process, entries, follower)
            if items:
                result = sender.send(news_message(follower, items))
                if result == "deferred":
                    outcome.deferred += 1
                    continue
                outcome.refused += result == "refused"
                outcome.news += result == "sent"
            # Only if no other run moved it meanwhile (runs hold the sender's lock, so
            # this is a second guard).
            Follower.objects.filter(pk=follower.pk, sent_seq=follower.sent_seq).update(
                sent_seq=upto
            )
    finally:
        sender.close()
    return outcome
