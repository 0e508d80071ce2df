"""Following a published process by e-mail, without an account (``docs/following.md``).

Double opt-in: ``follow_request`` stores the address unconfirmed and has a confirmation
mail sent (``following.mail``, in the background); the link in it confirms
(``confirm``); the unsubscribe link in every mail deletes the row (``unsubscribe``).
Unconfirmed rows go after ``FOLLOW_CONFIRM_HOURS`` (``purge_expired``, run by
``manage.py purge``). The address is used for these mails only; the transparency log
holds the number of followers (``followers.changed``), never an address.

The answer to a request is the same whether the address is new, waiting or following,
and a confirmation mail goes to one address for one process at most once an hour.

Error codes (``FollowError``): ``following_off``, ``process_not_public``,
``invalid_email``, ``too_many_requests``, ``too_many_pending``, ``unknown_token``, ``expired_token``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from sessions_app.exceptions import InspraakError
from sessions_app.models import Process, ProcessState
from sessions_app.rate_limits import count_allowed
from sessions_app.services.log import SYSTEM, log_append

from .models import Follower, Token
from .wake import wake

EMAIL_MAX = 254
#: A confirmation mail to one address for one process at most this often.
CONFIRM_EVERY = timedelta(hours=1)
LOG_ACTION = "followers.changed"

FOLLOW_CODES = {
    "following_off": _("Following by e-mail is not available on this site."),
    "process_not_public": _("This process has not been published."),
    "invalid_email": _("Give a valid e-mail address, such as name@example.nl."),
    "too_many_requests": _(
        "Too many requests to follow came from your network in the last hour. Try again "
        "later, or follow the Atom feed."
    ),
    "too_many_pending": _(
        "Too many requests to follow this process are waiting for confirmation. Try again "
        "tomorrow, or follow the Atom feed."
    ),
    "unknown_token": _(
        "This link does not work (any more). The address may have been removed already, "
        "or the link was copied incompletely."
    ),
    "expired_token": _(
        "This confirmation link has expired. Ask again on the process's page to follow it."
    ),
}

#: The answer to a mail program's one-click unsubscribe.
UNSUBSCRIBED = _("Unsubscribed: the address is deleted.")


class FollowError(InspraakError):
    """A request about following by e-mail was refused and nothing changed; ``code`` is
    one of ``FOLLOW_CODES``."""

    default_code = "invalid_email"

    @property
    def message(self) -> str:
        return str(FOLLOW_CODES.get(self.code, self.code))


#: Mail backends with which no mail reaches anyone.
NO_MAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    }
)


def enabled() -> bool:
    """Whether following by e-mail is on: ``FOLLOW_BY_EMAIL``, and mail actually goes out
    (outside ``DEBUG``: without a mail server the site sends nothing, and the console
    backend would print addresses into the log)."""
    if not settings.FOLLOW_BY_EMAIL:
        return False
    return settings.DEBUG or settings.EMAIL_BACKEND not in NO_MAIL_BACKENDS


def address_clean(value) -> str:
    """The address as it is stored and mailed (its domain in lower case). Raises
    ``invalid_email``."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > EMAIL_MAX:
        raise FollowError("invalid_email")
    try:
        EmailValidator()(text)
    except ValidationError:
        raise FollowError("invalid_email") from None
    local, _at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def address_digest(address: str) -> str:
    """The HMAC (Django's ``salted_hmac``, SHA-256, from ``SECRET_KEY``) the uniqueness
    of an address per process is checked by; case does not make another address."""
    return salted_hmac(
        "inspraak.following.address", address.lower(), algorithm="sha256"
    ).hexdigest()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def followers_count(process: Process) -> int:
    return Follower.objects.filter(process=process, confirmed_at__isnull=False).count()


#: Requests to follow from one network address in an hour (``follow_request``'s
#: ``network``): a script cannot fill a process's ``FOLLOW_PENDING_MAX`` and lock the
#: form for everyone else, while a household, or a room sharing the venue's Wi-Fi,
#: follows freely.
REQUESTS_PER_HOUR = 30


def follow_request(
    *, process: Process, email, base_url: str, now: datetime | None = None, network: str = ""
) -> None:
    """Ask to follow ``process`` at ``email``. The outcome is the same for an unknown, a
    waiting and a following address: a confirmation mail is sent (in the background) when
    the address waits for one and none went in the last hour. ``network``: the request's
    network address, counted (``REQUESTS_PER_HOUR``) once the address is valid. Raises
    ``FollowError``."""
    if not enabled():
        raise FollowError("following_off")
    if process.state == ProcessState.DRAFT:
        raise FollowError("process_not_public")
    address = address_clean(email)
    if network and not count_allowed("follow", network, REQUESTS_PER_HOUR, 3600):
        raise FollowError("too_many_requests")
    digest = address_digest(address)
    now = now or timezone.now()
    expires = now + timedelta(hours=settings.FOLLOW_CONFIRM_HOURS)
    with transaction.atomic():
        # Counted before the address is looked up, so that a full process answers alike
        # whether the address is known or not.
        pending = Follower.objects.filter(
            process=process, confirmed_at__isnull=True, expires_at__gt=now
        ).count()
        if pending >= settings.FOLLOW_PENDING_MAX:
            raise FollowError("too_many_pending")
        row = Follower.objects.select_for_update().filter(process=process, digest=digest).first()
        if row is not None and row.confirmed_at is None and row.expires_at <= now:
            row.delete()  # expired and not yet purged: as if it were new
            row = None
        if row is None:
            try:
                with transaction.atomic():
                    Follower.objects.create(
                        process=process,
                        email=address,
                        digest=digest,
                        base_url=base_url,
                        requested_at=now,
                        expires_at=expires,
                        sent_seq=0,
                    )
            except IntegrityError:
                return  # asked at the same moment elsewhere: that request has the mail sent
        elif row.confirmed_at is not None or _mailed_within(row, CONFIRM_EVERY, now):
            return  # following already, or a confirmation mail went less than an hour ago
        else:
            Follower.objects.filter(pk=row.pk).update(
                requested_at=now, expires_at=expires, base_url=base_url
            )
        transaction.on_commit(wake)


def _mailed_within(row: Follower, period: timedelta, now: datetime) -> bool:
    return row.confirm_sent_at is not None and now - row.confirm_sent_at < period


def _by_token(token, purpose: str) -> Follower:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise FollowError("unknown_token")
    found = (
        Token.objects.select_related("follower__process")
        .filter(digest=token_digest(token), purpose=purpose)
        .first()
    )
    if found is None:
        raise FollowError("unknown_token")
    return found.follower


def confirmable(token, *, now: datetime | None = None) -> Follower:
    """The follower a confirm link is for (confirmed already, or waiting and not
    expired). Raises ``unknown_token``, ``expired_token``."""
    follower = _by_token(token, Token.CONFIRM)
    if follower.confirmed_at is None and follower.expires_at <= (now or timezone.now()):
        raise FollowError("expired_token", params={"process": follower.process})
    return follower


def confirm(token, *, now: datetime | None = None) -> Follower:
    """Confirm the address (the second opt-in). From now on the follower gets the news
    logged after this moment. Confirming twice is harmless. Logs the new number of
    followers (``followers.changed``). Raises ``unknown_token``, ``expired_token``."""
    now = now or timezone.now()
    follower = confirmable(token, now=now)
    if follower.confirmed_at is not None:
        return follower
    process = follower.process
    with transaction.atomic():
        seq = Process.objects.filter(pk=process.pk).values_list("log_seq", flat=True).get()
        done = Follower.objects.filter(pk=follower.pk, confirmed_at__isnull=True).update(
            confirmed_at=now, expires_at=None, sent_seq=seq
        )
        if done:
            _log_count(process)
    follower.refresh_from_db()
    return follower


def stoppable(token) -> Follower:
    """The follower an unsubscribe link is for. Raises ``unknown_token``."""
    return _by_token(token, Token.STOP)


def unsubscribe(token) -> Process:
    """Delete the address (with its links): no more mail, nothing kept. Logs the new
    number of followers when a confirmed one left. Raises ``unknown_token``."""
    follower = stoppable(token)
    process = follower.process
    with transaction.atomic():
        deleted, _kinds = Follower.objects.filter(pk=follower.pk).delete()
        if deleted and follower.confirmed_at is not None:
            _log_count(process)
    return process


def _log_count(process: Process) -> None:
    log_append(
        process=process,
        action=LOG_ACTION,
        actor=SYSTEM,
        data={"followers": followers_count(process)},
    )


def purge_expired(now: datetime | None = None) -> int:
    """Delete the unconfirmed addresses whose time is up; their number (``manage.py
    purge`` runs this daily)."""
    now = now or timezone.now()
    _total, kinds = Follower.objects.filter(confirmed_at__isnull=True, expires_at__lte=now).delete()
    return kinds.get(Follower._meta.label, 0)
