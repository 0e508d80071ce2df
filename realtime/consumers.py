"""Websocket consumers. They authenticate, join this process's broadcaster, translate
messages into service calls and answer with acks or errors that carry a code. The rules
live in the services, not here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from types import SimpleNamespace

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation

from sessions_app import permissions, writer
from sessions_app.cookies import read_tokens
from sessions_app.exceptions import AccessDenied, FacilitationError, InputRejected
from sessions_app.identifiers import normalise_code, receipt_shown
from sessions_app.models import LiveSession, Moderation, Participant, ProcessState
from sessions_app.selectors import participant_answers
from sessions_app.services import facilitation, participation, qna
from sessions_app.services.participation import Submission, session_accepts_people

from . import protocol
from .batcher import get_batcher
from .broadcaster import get_broadcaster
from .ratelimit import TokenBucket

logger = logging.getLogger(__name__)

#: One bucket per participant in this process, shared by all their connections.
_participant_buckets: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _session_by_code(code: str) -> LiveSession | None:
    return (
        LiveSession.objects.select_related("process").filter(join_code=normalise_code(code)).first()
    )


class BaseConsumer(AsyncWebsocketConsumer):
    audience = ""
    #: Consumers take no messages from the channel layer: snapshots reach them from this
    #: process's broadcaster, so thousands of phones cost the layer nothing.
    channel_layer_alias = "inspraak.none"
    #: Message types this audience may send, mapped to handler method names.
    handlers: dict[str, str] = {}

    async def connect(self):
        self.session = None
        self.room = None
        self.via = None
        # Before the session is known, the visitor's choice or the site's language.
        self.language = self.chosen_language(settings.LANGUAGE_CODE)
        self.bucket = TokenBucket(rate=5, burst=20)
        self.over_limit = 0
        session = await database_sync_to_async(self.load)(self.scope["url_route"]["kwargs"]["code"])
        await self.accept()
        if session is None:
            await self.refuse("unknown_session", protocol.CLOSE_UNKNOWN_SESSION)
            return
        self.language = self.chosen_language(session.process.language)
        if not await self.authorize(session):
            return
        self.session = session
        self.room = await get_broadcaster().join(session.pk, self.audience, self, via=self.via)
        await self.send_json(
            {
                "type": "welcome",
                "protocol": protocol.PROTOCOL,
                "audience": self.audience,
                **self.welcome_extra(),
            }
        )

    async def dispatch(self, message):
        # As Channels' own, without its ``aclose_old_connections()`` before every message:
        # that is a thread hop per frame, and every database call here already runs
        # through ``database_sync_to_async``, which closes stale connections itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def chosen_language(self, default: str) -> str:
        """The visitor's choice from the language switch, as on the pages; else the
        process's language."""
        chosen = self.scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME)
        return chosen if chosen in dict(settings.LANGUAGES) else default

    def load(self, code: str) -> LiveSession | None:
        """Read what the connection needs, in one trip to the database (sync)."""
        return _session_by_code(code)

    async def authorize(self, session: LiveSession) -> bool:
        return True

    def welcome_extra(self) -> dict:
        return {}

    async def disconnect(self, code):
        await self.leave_room()

    async def leave_room(self):
        if self.room is not None:
            self.room = None
            await get_broadcaster().leave(self.session.pk, self.audience, self, via=self.via)

    async def refuse(self, code: str, close_code: int):
        await self.send_json(protocol.error(code, self.language))
        await self.close(code=close_code)

    async def send_json(self, message: dict):
        await self.send(text_data=protocol.dumps(message))

    async def send_error(self, code: str, **extra):
        await self.send_json({**protocol.error(code, self.language), **extra})

    async def __call__(self, scope, receive, send):
        # However the connection ends (closed, dropped, cancelled by the server, or a
        # failure in a handler, which closes it with 1011), it leaves the broadcaster's
        # room: the console's count of phones, presenters and consoles stays true.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.leave_room()

    async def receive(self, text_data=None, bytes_data=None):
        if self.room is None:
            return
        try:
            await self.handle_frame(text_data, bytes_data)
        except Exception:
            # A failure (a database timeout, a bug) fails this message alone: the socket
            # stays open and in the room. The services changed nothing: their
            # transaction rolled back.
            logger.exception("handling a %s message failed", self.audience)
            with contextlib.suppress(Exception):
                await self.send_error("internal")

    async def handle_frame(self, text_data, bytes_data):
        """Every frame is answered: with what it asked for, or with an error code."""
        try:
            message = protocol.parse(text_data, bytes_data)
        except ValueError as exc:
            message, code = None, str(exc)
        else:
            code = None
        if not self.bucket.take():
            self.over_limit += 1
            if self.over_limit > protocol.MAX_OVER_LIMIT:
                # A client that goes on sending far over its budget is closed; what it
                # sent after that is not read.
                await self.close(code=protocol.CLOSE_POLICY)
                await self.leave_room()
                return
            await (
                self.refuse_message(message, "rate_limited")
                if message
                else self.send_error("rate_limited")
            )
            return
        self.over_limit = 0
        if code is not None:
            await self.send_error(code)
            return
        kind = message["type"]
        handler = self.handlers.get(kind)
        if handler is None:
            code = "not_allowed" if kind in protocol.FACILITATOR_TYPES else "unknown_type"
            await self.send_error(code)
            return
        # The documented schema of the message type, before anything else sees it.
        code = protocol.check(message)
        if code is not None:
            await self.refuse_message(message, code)
            return
        try:
            await getattr(self, handler)(message)
        except Exception:
            logger.exception("handling %s failed", kind)
            await self.refuse_message(message, "internal")

    async def refuse_message(self, message: dict, code: str):
        """An error for a message; answers get it as a rejected ack with their client id,
        so the phone keeps them and tries again."""
        await self.send_error(code)

    async def on_hello(self, message):
        text = await get_broadcaster().snapshot_text(self.room, self.audience)
        await self.send(text_data=text)

    async def on_ping(self, message):
        await self.send_json({"type": "pong"})


class PresenterConsumer(BaseConsumer):
    """The projector: public, read-only; results only when revealed. Before its process
    is published, only for its staff (a rehearsal)."""

    audience = "presenter"
    handlers = {"hello": "on_hello", "ping": "on_ping"}

    async def authorize(self, session):
        if session.process.state == ProcessState.DRAFT:
            allowed = await database_sync_to_async(draft_presenter_allowed)(
                self.scope.get("user"), self.scope.get("session"), session.process
            )
            if not allowed:
                await self.refuse("not_allowed", protocol.CLOSE_FORBIDDEN)
                return False
        return True


class ParticipantConsumer(BaseConsumer):
    """A phone, identified by the signed cookie it got when joining."""

    audience = "phone"
    handlers = {
        "hello": "on_hello",
        "ping": "on_ping",
        "answer": "on_answer",
        "propose": "on_propose",
        "ask": "on_ask",
    }

    def load(self, code: str) -> LiveSession | None:
        # The participant and their session in one query, by the tokens of the signed
        # cookies this phone holds (one per session it joined); the session alone when
        # none fits.
        self.participant = None
        tokens = read_tokens(self.scope.get("cookies", {}))
        if tokens:
            self.participant = (
                Participant.objects.select_related("session__process")
                .filter(token__in=tokens, session__join_code=normalise_code(code))
                .first()
            )
        if self.participant is not None:
            return self.participant.session
        return _session_by_code(code)

    async def authorize(self, session):
        participant = self.participant
        if participant is None:
            await self.refuse("not_joined", protocol.CLOSE_NOT_JOINED)
            return False
        if session.process.state == ProcessState.DRAFT:
            # Nobody takes part before the process is published.
            await self.refuse("unknown_session", protocol.CLOSE_UNKNOWN_SESSION)
            return False
        if not session_accepts_people(session):
            await self.refuse("session_ended", protocol.CLOSE_UNKNOWN_SESSION)
            return False
        self.participant = participant
        self.via = participant.joined_via
        bucket = _participant_buckets.get(participant.pk)
        if bucket is None:
            bucket = _participant_buckets[participant.pk] = TokenBucket(rate=5, burst=20)
        self.bucket = bucket  # several sockets of one participant share one budget
        return True

    def welcome_extra(self):
        return {"participant": self.participant.public_id}

    async def on_hello(self, message):
        await super().on_hello(message)
        await self.send_mine()

    async def send_mine(self):
        """The participant's own answers (``mine``): on ``hello``, and again when their
        questions to the panel waiting for a facilitator change (the broadcaster compares
        ``last_waiting`` with each snapshot's ``waiting``)."""
        answers = await database_sync_to_async(participant_answers)(self.participant)
        self.last_waiting = tuple(
            sorted(
                item["id"]
                for entry in answers.values()
                if isinstance(entry, dict)
                for item in entry.get("waiting", ())
            )
        )
        await self.send_json({"type": "mine", "answers": answers})

    async def refuse_message(self, message: dict, code: str):
        if message.get("type") in {"answer", "propose", "ask"}:
            await self.send_json(self._rejection(self._client_id(message), message, code))
        else:
            await self.send_error(code)

    def _client_id(self, message):
        client_id = message.get("client_id")
        return client_id if isinstance(client_id, str) and len(client_id) <= 64 else None

    async def on_answer(self, message):
        client_id = self._client_id(message)
        try:
            result = await get_batcher().submit(
                Submission(
                    participant=self.participant,
                    question_id=message.get("question"),
                    answer=message.get("answer"),
                    client_id=client_id,
                )
            )
        except InputRejected as rejected:
            await self.send_json(self._rejection(client_id, message, rejected.code))
            return
        ack = {
            "type": "ack",
            "client_id": client_id,
            "question": result.question_id,
            "status": result.status,
            "counted": result.counted,
        }
        if result.receipt:
            # Given once: the server keeps only its hash (in the log).
            ack["receipt"] = receipt_shown(result.receipt)
        await self.send_json(ack)

    async def on_propose(self, message):
        client_id = self._client_id(message)
        try:
            option, created = await writer.run(
                participation.statement_propose,
                participant=self.participant,
                question_id=message.get("question"),
                text=message.get("text"),
                client_id=client_id,
            )
        except InputRejected as rejected:
            await self.send_json(self._rejection(client_id, message, rejected.code))
            return
        await self.send_json(
            {
                "type": "ack",
                "client_id": client_id,
                "question": option.question_id,
                "status": "held" if created else "duplicate",
                "counted": False,
            }
        )

    async def on_ask(self, message):
        client_id = self._client_id(message)
        try:
            asked, created = await writer.run(
                qna.qna_ask,
                participant=self.participant,
                question_id=message.get("question"),
                text=message.get("text"),
                panel_member=message.get("panel_member"),
                display_name=message.get("display_name") or "",
                client_id=client_id,
            )
        except InputRejected as rejected:
            await self.send_json(self._rejection(client_id, message, rejected.code))
            return
        if not created:
            status = "duplicate"
        else:
            status = "held" if asked.moderation == Moderation.PENDING else "shown"
        await self.send_json(
            {
                "type": "ack",
                "client_id": client_id,
                "question": asked.question_id,
                "status": status,
                "counted": False,
                "asked": asked.pk,
            }
        )

    def _rejection(self, client_id, message, code):
        question = message.get("question")
        return {
            "type": "ack",
            "client_id": client_id,
            "question": question
            if isinstance(question, int) and not isinstance(question, bool)
            else None,
            "status": "rejected",
            "counted": False,
            "code": code,
            "message": protocol.message_for(code, self.language),
        }


class FacilitatorConsumer(BaseConsumer):
    """The facilitator's console: staff with the facilitator role on this process."""

    audience = "facilitator"
    handlers = {"hello": "on_hello", "ping": "on_ping", "command": "on_command"}

    def chosen_language(self, default: str) -> str:
        """The console page's own language (a staff page: the language switch, else the
        browser's languages, else the site's), so that a refusal reads in the language
        of the page around it rather than the process's."""
        headers = dict(self.scope.get("headers") or [])
        request = SimpleNamespace(
            COOKIES=self.scope.get("cookies", {}),
            META={"HTTP_ACCEPT_LANGUAGE": headers.get(b"accept-language", b"").decode("latin-1")},
            path_info="/",
        )
        return translation.get_language_from_request(request)

    async def authorize(self, session):
        user = self.scope.get("user")
        check = database_sync_to_async(console_allowed)
        if not await check(user, self.scope.get("session"), session.process):
            await self.refuse("not_allowed", protocol.CLOSE_FORBIDDEN)
            return False
        self.user = user
        self.recheck_wanted = asyncio.Event()
        self.recheck = asyncio.ensure_future(self._recheck(session.process))
        return True

    def recheck_now(self) -> None:
        """Look at the account again now (the broadcaster asks, once a role was taken
        away, the account deactivated or changed, or a login ended)."""
        wanted = getattr(self, "recheck_wanted", None)
        if wanted is not None:
            wanted.set()

    async def _recheck(self, process) -> None:
        """The account looked at again at once when asked (``recheck_now``), and every
        ``RECHECK_SECONDS`` besides while the console stays open: a role taken away, an
        account deactivated, its password changed or its login ended, or a second factor
        now owed, and the console is closed (``not_allowed``, 4403) and leaves the room,
        so its snapshots (the moderation queue, unrevealed results) stop."""
        check = database_sync_to_async(console_allowed)
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.recheck_wanted.wait(), RECHECK_SECONDS)
                self.recheck_wanted.clear()
                try:
                    allowed = await check(self.user, self.scope.get("session"), process)
                except Exception:  # the database away: look again next time
                    logger.warning("looking at a console's account again failed", exc_info=True)
                    continue
                if not allowed:
                    await self.leave_room()
                    await self.refuse("not_allowed", protocol.CLOSE_FORBIDDEN)
                    return
        except asyncio.CancelledError:
            pass

    async def disconnect(self, code):
        recheck = getattr(self, "recheck", None)
        if recheck is not None:
            recheck.cancel()
        await super().disconnect(code)

    async def refuse_message(self, message: dict, code: str):
        """A refused command gets its ``result``, so the console can tell which."""
        if message.get("type") != "command":
            await self.send_error(code)
            return
        command_id = message.get("id")
        await self.send_json(
            {
                "type": "result",
                "id": command_id if isinstance(command_id, str) and len(command_id) <= 64 else None,
                "ok": False,
                "code": code,
                "message": protocol.message_for(code, self.language),
            }
        )

    async def on_command(self, message):
        command_id = message.get("id") if isinstance(message.get("id"), str) else None
        try:
            # On the writer thread: a command takes its turn with the answers, never
            # behind the phones' connects on Channels' shared thread.
            notice = await writer.run(run_command, self.user.pk, self.session.pk, message)
        except (FacilitationError, AccessDenied, InputRejected) as error:
            await self.send_json(
                {
                    "type": "result",
                    "id": command_id,
                    "ok": False,
                    "code": error.code,
                    "message": protocol.message_for(error.code, self.language, error.params),
                }
            )
            return
        result = {"type": "result", "id": command_id, "ok": True}
        if notice:
            result["notice"] = notice
        await self.send_json(result)


def draft_presenter_allowed(user, session, process) -> bool:
    """A draft's presenter (a rehearsal): for its staff, with no second factor owed."""
    from sessions_app import mfa

    return bool(permissions.user_roles(user, process)) and not (
        mfa.session_second_factor_missing(user, session)
    )


#: How often an open console's account is looked at again (seconds).
RECHECK_SECONDS = 5.0


def console_allowed(user, session, process) -> bool:
    """Whether ``user``'s login (``session``, the socket's Django session) may run the
    console of ``process`` now: the account active and still facilitating it, the login
    not ended (logged out), and no second factor owed (``mfa.socket_second_factor_missing``,
    as the console's page asks)."""
    from django.contrib.auth import get_user_model

    from sessions_app import mfa

    if user is None or not user.is_authenticated:
        return False
    current = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    if current is None or not permissions.has_capability(current, process, "facilitate"):
        return False
    if session is not None and session.session_key:
        if not session.exists(session.session_key):
            return False  # logged out meanwhile
        if not _session_hash_holds(current, session):
            return False  # the password changed meanwhile: this login no longer counts
    return not mfa.session_second_factor_missing(current, session)


def _session_hash_holds(user, session) -> bool:
    """Whether the login's stored password hash still matches the account's, as Django
    checks it on every page (with the secret key's fallbacks)."""
    from django.contrib.auth import HASH_SESSION_KEY
    from django.utils.crypto import constant_time_compare

    stored = session.get(HASH_SESSION_KEY)
    if not stored:
        return False
    if constant_time_compare(stored, user.get_session_auth_hash()):
        return True
    return any(
        constant_time_compare(stored, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    )


def run_command(user_id: int, session_id: int, message: dict) -> str | None:
    """Run a console command as the account as it is now: a role taken away or an account
    deactivated while the console stays connected counts from the next command on."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise AccessDenied("not_staff")
    return facilitation.console_command(user=user, session_id=session_id, message=message)
