"""The coalescing broadcaster: one per server process.

Writes never broadcast. A committed change marks its session *dirty*; on a tick the
broadcaster reads one snapshot per audience (``snapshots.build_view``) and sends it to
the connections of this process that need it, only if it changed:

* presenter and facilitator: every ``TICK`` (0.2 s) while changes come less than
  ``SETTLE`` (0.05 s) apart; a change followed by that much quiet at once, but ticks
  start ``TICK_MIN`` (0.1 s) apart at the least (so up to about 10 a second when changes
  come further apart): the last vote of a round reaches the projector about 0.05 s
  after its write, not up to a tick later;
* phones: at most every ``PHONE_INTERVAL`` (1 s); every ``PHONE_QNA_INTERVAL`` (2 s)
  while they list an open Q&A round.

So a vote costs one dirty mark, never a message per connected phone. Between server
processes (Redis layer) only one small ``session.changed`` message per session per tick
travels, to a group whose members are the broadcasters themselves; and, when an account
may have lost its rights (a role taken away, a logout), one ``console.recheck`` message,
so that its consoles on every process look at it again at once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
import uuid
import weakref
from collections import Counter

from channels import DEFAULT_CHANNEL_LAYER
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, channel_layers, get_channel_layer

from . import groups, opinion
from .protocol import dumps
from .snapshots import build_view

logger = logging.getLogger(__name__)

#: Seconds from one tick's start to the next: the time a tick's own work takes (building
#: the snapshots) is part of it, not added to it, so a change waits a tick at most; but
#: the loop rests ``TICK_REST`` at least between ticks, whatever the work took.
TICK = 0.2
TICK_REST = 0.05
#: A room whose last change was ``SETTLE`` seconds ago is ticked then, without waiting
#: for its next regular tick, if its last tick is ``TICK_MIN`` seconds ago or more. During
#: a burst the changes come closer together than that (a batch of answers every 25 ms or
#: so) and the regular pace holds.
SETTLE = 0.05
TICK_MIN = 0.1
#: The loop's shortest sleep; a room due within it is ticked now.
SLACK = 0.005
PHONE_INTERVAL = 1.0
#: Phones' pace while they list an open Q&A round (its votes change all the time): every
#: ``PHONE_QNA_INTERVAL`` seconds, or slower in a large room, so that this process sends
#: its phones at most ``PHONE_QNA_FRAMES`` snapshots a second (5,000 phones: one every
#: 5 s). The upvotes' acknowledgements wait behind that sending otherwise.
PHONE_QNA_INTERVAL = 2.0
PHONE_QNA_FRAMES = 1000
#: Sockets sent a snapshot before the loop lets other work through (see ``_send``).
SEND_SLICE = 250
#: The same for a large room's phones, sent beside the ticks: short slices, so that an
#: acknowledgement waits for few sends; and, while a Q&A round sets their pace and only
#: counts or asked questions changed, a pause of ``PHONE_PAUSE`` seconds after each
#: slice (5,000 phones: about 1.5 s for the whole room, of the 5 s between its
#: snapshots; all pauses together take a third of that interval at most).
PHONE_SLICE = 50
PHONE_PAUSE = 0.01
#: Seconds between joining the change groups again (the layer forgets them on a restart,
#: and expires them after a day).
RESUBSCRIBE_EVERY = 30
#: Seconds between telling the other processes how many connections this one has to a
#: session (also told at once when it changes), and after which a process that stopped
#: telling (it ended) no longer counts.
PRESENCE_EVERY = 5
PRESENCE_TTL = 3 * PRESENCE_EVERY
AUDIENCES = ("phone", "presenter", "facilitator")


class Room:
    """The connections of this process to one live session, and its latest snapshots."""

    def __init__(self, session_id: int):
        self.session_id = session_id
        self.members: dict[str, set] = {audience: set() for audience in AUDIENCES}
        self.via: Counter = Counter()
        self.cache: dict[int, dict] = {}
        self.view = None
        self.stale: set[int] | None = None  # None: everything
        self.dirty = True
        #: Something besides counts changed (a question opened, a moderation, the agenda):
        #: the next rebuild reads the session's questions again, not only their results.
        self.structure = True
        #: Local changes not yet told to other processes: question ids, or None for all;
        #: and whether any of them was more than counts.
        self.publish: set[int] | None = set()
        self.publish_structure = False
        self.presence_changed = False
        #: This process's connections changed since the other processes were last told;
        #: when they were; and what each other process last told (counts, when heard).
        self.presence_publish = True
        self.presence_told = 0.0
        self.others: dict[str, tuple[dict[str, int], float]] = {}
        self.compare: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        self.phone_pending = False
        self.last_phone_send = 0.0
        #: ``PHONE_INTERVAL``, or ``PHONE_QNA_INTERVAL`` while phones list a Q&A round.
        self.phone_interval = PHONE_INTERVAL
        #: The phones' snapshot being sent beside the ticks (a large room), or None.
        self.phone_task: asyncio.Future | None = None
        #: Whether the phones' next snapshot shows them more than new counts and asked
        #: questions (a question opened or closed, results shown: ``_phone_outline``),
        #: and that outline as the phones were last sent it.
        self.phone_structure = True
        self.phone_outline: tuple | None = None
        self.lock = asyncio.Lock()
        #: When this room's last tick started and when it last changed (monotonic), and
        #: how long that change must stay the last before the room is ticked early.
        self.ticked_at = 0.0
        self.changed_at = 0.0
        self.settle = SETTLE
        #: Questions whose opinion map may be out of date (None: every statements question).
        self.opinion_due: set[int] | None = None
        #: The view's ``waiting`` the phones were last compared with (``_send_waiting``).
        self.waiting_seen: dict | None = None

    @property
    def empty(self) -> bool:
        return not any(self.members.values())

    def local_presence(self) -> dict[str, int]:
        """The connections of this process to the session."""
        return {
            "phones": len(self.members["phone"]),
            "room": self.via["room"],
            "remote": self.via["remote"],
            "presenters": len(self.members["presenter"]),
            "facilitators": len(self.members["facilitator"]),
        }

    def presence(self) -> dict[str, int]:
        """The connections of every server process to the session: this one's, and what
        the others told within ``PRESENCE_TTL``."""
        total = self.local_presence()
        for counts, _heard in self.others.values():
            for key in total:
                value = counts.get(key, 0)
                total[key] += value if isinstance(value, int) else 0
        return total

    def changed_presence(self) -> None:
        self.presence_changed = self.presence_publish = True

    def forget_silent(self, now: float) -> None:
        """Drop the counts of processes that stopped telling (they ended)."""
        silent = [o for o, (_counts, heard) in self.others.items() if now - heard > PRESENCE_TTL]
        for origin in silent:
            del self.others[origin]
        if silent:
            self.presence_changed = True

    def facilitator_text(self) -> str:
        # The console's snapshot as encoded at the last rebuild, with who is connected
        # now added as its last member (presence changes between rebuilds).
        return f'{self.texts["facilitator"][:-1]},"connected":{dumps(self.presence())}}}'

    def drop(self, consumer) -> None:
        """Take out a connection that could not be sent to (it closed meanwhile); its own
        ``leave`` then finds it gone."""
        for members in self.members.values():
            if consumer in members:
                members.discard(consumer)
                via = getattr(consumer, "via", None)
                if via:
                    self.via[via] -= 1
                self.changed_presence()
                return


class Broadcaster:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.rooms: dict[int, Room] = {}
        self.task: asyncio.Task | None = None
        self.opinion_task: asyncio.Task | None = None
        self.listener: asyncio.Task | None = None
        # A layer instance of its own: the global one may not be shared between event loops.
        self.layer = (
            channel_layers.make_backend(DEFAULT_CHANNEL_LAYER) if get_channel_layer() else None
        )
        self.shared = self.layer is not None and not isinstance(self.layer, InMemoryChannelLayer)
        self.channel: str | None = None
        self.origin = uuid.uuid4().hex
        #: Set when joining a change group failed (Redis away); retried every second.
        self.needs_subscribing = False

    # --- membership ---------------------------------------------------------------

    async def join(self, session_id: int, audience: str, consumer, via: str | None = None) -> Room:
        room = self.rooms.get(session_id)
        if room is None:
            room = self.rooms[session_id] = Room(session_id)
            if self.shared:
                try:
                    await self._subscribe(session_id)
                except Exception:
                    # Redis is away: serve this process's connections anyway and join the
                    # group as soon as it is back.
                    logger.warning("joining the change group failed; retrying", exc_info=True)
                    self.needs_subscribing = True
        room.members[audience].add(consumer)
        if via:
            room.via[via] += 1
        room.changed_presence()
        self._ensure_running()
        return room

    async def leave(self, session_id: int, audience: str, consumer, via: str | None = None) -> None:
        room = self.rooms.get(session_id)
        if room is None:
            return
        if consumer in room.members[audience]:
            room.members[audience].discard(consumer)
            if via:
                room.via[via] -= 1
            room.changed_presence()
        if room.empty:
            del self.rooms[session_id]
            if self.shared and self.channel:
                try:
                    await self._publish_presence(room)  # the others stop counting ours
                except Exception:
                    logger.info("telling the others this process left failed", exc_info=True)
                await self.layer.group_discard(groups.session_changes(session_id), self.channel)
                if not self.rooms:
                    await self.layer.group_discard(groups.console_checks(), self.channel)

    # --- changes ------------------------------------------------------------------

    def mark_dirty(
        self,
        session_id: int,
        question_id: int | None = None,
        *,
        local: bool = True,
        counts_only: bool = False,
    ) -> None:
        """Note a committed change; called on this process's event loop. ``counts_only``:
        only the results of ``question_id`` changed (an answer, a paper form, hands)."""
        counts_only = counts_only and question_id is not None
        room = self.rooms.get(session_id)
        if room is None:
            if local and self.shared:
                self.loop.create_task(
                    self._publish(
                        session_id,
                        None if question_id is None else [question_id],
                        structure=not counts_only,
                    )
                )
            return
        room.dirty = True
        room.changed_at = time.monotonic()
        # Another process tells a change once its own tick coalesced it: no need to wait
        # for it to settle here too.
        room.settle = SETTLE if local else 0.0
        if not counts_only:
            room.structure = True
        if question_id is None:
            room.stale = None
            room.opinion_due = None
        else:
            if room.stale is not None:
                room.stale.add(question_id)
            if room.opinion_due is not None:
                room.opinion_due.add(question_id)
        if local and self.shared:
            room.publish_structure = room.publish_structure or not counts_only
            if question_id is None:
                room.publish = None
            elif room.publish is not None:
                room.publish.add(question_id)

    def recheck_consoles(
        self, user_id: int, process_id: int | None = None, *, publish: bool = True
    ) -> None:
        """Ask each open console of account ``user_id`` here (on ``process_id``'s sessions,
        or on any) to look at its account again now; called on this process's event loop.
        With ``publish``, the other processes are told to do the same with theirs."""
        for room in self.rooms.values():
            for consumer in list(room.members["facilitator"]):
                user = getattr(consumer, "user", None)
                session = getattr(consumer, "session", None)
                if user is None or user.pk != user_id:
                    continue
                if process_id is not None and getattr(session, "process_id", None) != process_id:
                    continue
                consumer.recheck_now()
        if publish and self.shared:
            self.loop.create_task(self._publish_recheck(user_id, process_id))

    async def snapshot_text(self, room: Room, audience: str) -> str:
        """The latest snapshot for ``audience``, reading it first if there is none yet."""
        if room.view is None:
            await self._rebuild(room)
        return room.facilitator_text() if audience == "facilitator" else room.texts[audience]

    # --- the tick -----------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run())
        if opinion.OPINION_TICK > 0 and (self.opinion_task is None or self.opinion_task.done()):
            self.opinion_task = self.loop.create_task(self._run_opinions())

    async def _run_opinions(self) -> None:
        """New opinion maps for the statements questions whose votes changed, every
        ``OPINION_TICK``; a slow map never holds up the snapshots' tick."""
        while self.rooms:
            await asyncio.sleep(opinion.OPINION_TICK)
            for room in list(self.rooms.values()):
                if room.view is None:
                    continue
                due, room.opinion_due = room.opinion_due, set()
                wanted = room.view.statement_ids if due is None else due & room.view.statement_ids
                if not wanted:
                    continue
                try:
                    for question_id in await opinion.refresh(wanted):
                        self.mark_dirty(room.session_id, question_id)
                except Exception:
                    room.opinion_due = None  # try them all again on the next tick
                    logger.exception("opinion map for session %s failed", room.session_id)

    async def _run(self) -> None:
        """Tick each room when it is due (``_due``): the loop sleeps until the first room
        is, ``SETTLE`` at most (a change may come meanwhile), and rests ``TICK_REST`` at
        least after a round in which a room was ticked, whatever the work took."""
        last_subscribed = time.monotonic()
        rest = TICK_REST
        while self.rooms:
            now = time.monotonic()
            first = min(_due(room) for room in self.rooms.values())
            await asyncio.sleep(max(rest, min(first - now, SETTLE), SLACK))
            since = time.monotonic() - last_subscribed
            if self.shared and (
                since > RESUBSCRIBE_EVERY or (self.needs_subscribing and since > 1)
            ):
                last_subscribed = time.monotonic()
                self.needs_subscribing = not await self._resubscribe()
            rest = 0.0
            for room in list(self.rooms.values()):
                # (The clock read again for each room: one that fell due while another
                # was ticked is ticked in this round, not after the next rest.)
                now = time.monotonic()
                if _due(room) > now + SLACK or now - room.ticked_at < TICK_MIN:
                    continue
                rest = TICK_REST
                room.ticked_at = time.monotonic()
                try:
                    await self._tick(room)
                except Exception:
                    # One session's failure (a database hiccup) must not stop the others;
                    # the room stays dirty and is tried again on the next tick.
                    room.dirty = True
                    logger.exception("snapshot for session %s failed", room.session_id)

    async def _tick(self, room: Room) -> None:
        if room.publish is None or room.publish:
            questions, room.publish = room.publish, set()
            structure, room.publish_structure = room.publish_structure, False
            try:
                await self._publish(
                    room.session_id,
                    None if questions is None else sorted(questions),
                    structure=structure,
                )
            except Exception:
                # The layer's server is away (a Redis restart): keep them for a later tick,
                # and serve this process's own connections meanwhile.
                if questions is None or room.publish is None:
                    room.publish = None
                else:
                    room.publish |= questions
                room.publish_structure = room.publish_structure or structure
                logger.warning(
                    "telling the other processes of session %s's change failed; kept",
                    room.session_id,
                    exc_info=True,
                )
        if self.shared:
            moment = time.monotonic()
            room.forget_silent(moment)
            if room.presence_publish or moment - room.presence_told >= PRESENCE_EVERY:
                try:
                    await self._publish_presence(room)
                except Exception:
                    logger.warning("telling the other processes our connections failed")
        changed: set[str] = set()
        if room.dirty:
            changed = await self._rebuild(room)
        if "presenter" in changed:
            await self._send(room, "presenter", room.texts["presenter"])
        if room.view is not None and ("facilitator" in changed or room.presence_changed):
            # (No view yet: a console joined before the room's first snapshot was built;
            # that snapshot carries the presence.)
            room.presence_changed = False
            if room.members["facilitator"]:
                await self._send(room, "facilitator", room.facilitator_text())
        if "phone" in changed:
            room.phone_pending = True
        now = time.monotonic()
        if (
            room.phone_pending
            and now - room.last_phone_send >= room.phone_interval
            and room.phone_task is None
        ):
            room.phone_pending = False
            room.last_phone_send = now
            # New counts of a Q&A round are sent with a pause between slices: spread over
            # a second or so, they no longer hold up the acknowledgements arriving
            # meanwhile; a question opened or closed goes out at once.
            # (At least one: a room whose phones are all elsewhere, or gone, has none.)
            slices = max(1, math.ceil(len(room.members["phone"]) / PHONE_SLICE))
            pause = (
                min(PHONE_PAUSE, room.phone_interval / 3 / slices)
                if room.phone_interval > PHONE_INTERVAL and not room.phone_structure
                else 0.0
            )
            room.phone_structure = False
            if len(room.members["phone"]) > SEND_SLICE:
                # A room of thousands is sent to beside the ticks (one send at a time, so
                # every phone gets the snapshots in order): the presenter's and the
                # console's next snapshots never wait for the whole room.
                room.phone_task = asyncio.ensure_future(
                    self._send_phones(room, room.texts["phone"], pause)
                )
            else:
                await self._send(room, "phone", room.texts["phone"])
        if room.view is not None and room.view.positions is not None and room.phone_task is None:
            await self._send_places(room)
        if room.view is not None and room.view.waiting is not room.waiting_seen:
            room.waiting_seen = room.view.waiting
            await self._send_waiting(room)

    @staticmethod
    async def _send_waiting(room: Room) -> None:
        """A phone whose own questions to the panel waiting for a facilitator are no longer
        those it was told (one was approved or hidden) gets its ``mine`` again. Looked at
        only when a rebuild read the waiting questions anew."""
        waiting = room.view.waiting or {}
        for consumer in list(room.members["phone"]):
            participant = getattr(consumer, "participant", None)
            told = getattr(consumer, "last_waiting", None)
            if participant is None or told is None:
                continue  # no ``hello`` yet: its ``mine`` will be read then
            if tuple(sorted(waiting.get(participant.pk, ()))) != told:
                try:
                    await consumer.send_mine()
                except Exception:  # one phone's failure (gone meanwhile) is its own
                    logger.warning("sending a phone its answers failed", exc_info=True)

    async def _send_phones(self, room: Room, text: str, pause: float) -> None:
        try:
            # No pause once something more than counts waits for the phones.
            await self._send(
                room,
                "phone",
                text,
                slice_=PHONE_SLICE,
                pause=lambda: 0.0 if room.phone_structure else pause,
            )
        except Exception:
            logger.exception("sending session %s's phones their snapshot failed", room.session_id)
        finally:
            room.phone_task = None

    async def _rebuild(self, room: Room) -> set[str]:
        async with room.lock:
            if not room.dirty and room.view is not None:
                return set()
            stale, room.stale, room.dirty = room.stale, set(), False
            structure, room.structure = room.structure, False
            try:
                view = await database_sync_to_async(build_view)(
                    room.session_id, stale=stale, cache=room.cache, structure=structure
                )
            except Exception:
                room.dirty, room.stale, room.structure = True, None, True
                raise
            # An open question round lists its questions on every phone, and their votes
            # change with every upvote: the phones get it at a slower pace.
            room.phone_interval = (
                max(PHONE_QNA_INTERVAL, len(room.members["phone"]) / PHONE_QNA_FRAMES)
                if any(q["kind"] == "qna" and q["state"] == "open" for q in view.phone["questions"])
                else PHONE_INTERVAL
            )
            # Everything is encoded before anything is kept: a failure keeps the last view.
            keys = {audience: _unversioned(getattr(view, audience)) for audience in AUDIENCES}
            texts = {
                audience: _versioned(key, getattr(view, audience)["version"])
                for audience, key in keys.items()
            }
            room.view = view
            changed = {
                audience for audience in AUDIENCES if room.compare.get(audience) != keys[audience]
            }
            room.compare.update(keys)
            room.texts.update(texts)
            outline = _phone_outline(view.phone)
            if outline != room.phone_outline:
                room.phone_outline, room.phone_structure = outline, True
            return changed

    @staticmethod
    async def _send_places(room: Room) -> None:
        """Each phone's own place on the opinion map of the question on screen (when its
        results are shown), sent when it changed or the phone is new: the snapshot every
        phone gets holds the groups, not who is where. A tick compares, it seldom sends."""
        question, positions = room.view.positions
        for consumer in list(room.members["phone"]):
            participant = getattr(consumer, "participant", None)
            if participant is None:
                continue
            entry = positions.get(str(participant.pk))
            place = (question, entry)
            if getattr(consumer, "last_place", None) == place:
                continue
            consumer.last_place = place
            text = dumps(
                {
                    "type": "you",
                    "question": question,
                    "position": entry[:2] if entry else None,
                    "group": entry[2] if entry else None,
                }
            )
            await Broadcaster._send_one(room, consumer, text)

    @staticmethod
    async def _send(
        room: Room, audience: str, text: str, *, slice_: int = SEND_SLICE, pause=None
    ) -> None:
        """Send ``text`` to the room's ``audience``; after every ``slice_`` sockets let
        through what arrived meanwhile, resting ``pause()`` seconds if given."""
        for number, consumer in enumerate(list(room.members[audience]), start=1):
            await Broadcaster._send_one(room, consumer, text)
            if number % slice_ == 0:
                # A send does not suspend: let the answers and acks that arrived meanwhile
                # through before the next slice of a room of thousands.
                await asyncio.sleep(pause() if pause else 0)

    @staticmethod
    async def _send_one(room: Room, consumer, text: str) -> None:
        """One send; a connection that fails it (closed meanwhile) leaves the room, and
        the tick goes on with the others."""
        try:
            await consumer.send(text_data=text)
        except Exception as error:
            # Expected whenever a phone goes away mid-send: its kind at INFO, the
            # traceback only at DEBUG (it would fill the log on a busy evening).
            logger.info("a connection failed a send and left its room (%s)", type(error).__name__)
            logger.debug("the failed send", exc_info=True)
            room.drop(consumer)

    # --- between server processes -------------------------------------------------

    async def _subscribe(self, session_id: int) -> None:
        if self.channel is None:
            self.channel = await self.layer.new_channel()
        await self.layer.group_add(groups.session_changes(session_id), self.channel)
        await self.layer.group_add(groups.console_checks(), self.channel)
        if self.listener is None or self.listener.done():
            self.listener = self.loop.create_task(self._listen())

    async def _resubscribe(self) -> bool:
        """Join every room's group again: after a Redis restart, and now and then against
        the layer's group expiry. Returns whether it worked."""
        try:
            if self.channel is None:
                self.channel = await self.layer.new_channel()
            if self.listener is None or self.listener.done():
                self.listener = self.loop.create_task(self._listen())
            for session_id in list(self.rooms):
                await self.layer.group_add(groups.session_changes(session_id), self.channel)
            if self.rooms:
                await self.layer.group_add(groups.console_checks(), self.channel)
        except Exception:  # still away; the next try comes
            logger.warning("joining the change groups failed; retrying later", exc_info=True)
            return False
        return True

    async def _publish(
        self, session_id: int, questions: list[int] | None, *, structure: bool = True
    ) -> None:
        """Tell the other processes which questions of a session changed (None: all), and
        whether anything besides their counts did (``structure``)."""
        await self.layer.group_send(
            groups.session_changes(session_id),
            {
                "type": "session.changed",
                "session": session_id,
                "questions": questions,
                "structure": structure,
                "origin": self.origin,
            },
        )

    async def _publish_recheck(self, user_id: int, process_id: int | None) -> None:
        """Tell the other processes to recheck ``user_id``'s consoles. If the layer is
        away the message is lost: their consoles still look again within
        ``RECHECK_SECONDS``."""
        try:
            await self.layer.group_send(
                groups.console_checks(), _recheck_message(user_id, process_id, self.origin)
            )
        except Exception:
            logger.warning("telling the others to recheck a console failed", exc_info=True)

    async def _publish_presence(self, room: Room) -> None:
        """Tell the other processes this one's connections to the session."""
        room.presence_publish = False
        room.presence_told = time.monotonic()
        try:
            await self.layer.group_send(
                groups.session_changes(room.session_id),
                {
                    "type": "session.presence",
                    "session": room.session_id,
                    "counts": room.local_presence(),
                    "origin": self.origin,
                },
            )
        except Exception:
            room.presence_publish = True  # tell them on a later tick
            raise

    def _heard_presence(self, message: dict) -> None:
        room = self.rooms.get(message.get("session"))
        counts = message.get("counts")
        if room is None or not isinstance(counts, dict):
            return
        if any(counts.values()):
            room.others[message["origin"]] = (counts, time.monotonic())
        else:
            room.others.pop(message["origin"], None)
        room.presence_changed = True

    async def _listen(self) -> None:
        while self.rooms:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The layer's server went away (a Redis restart, which forgets the groups):
                # wait, join the groups again, and rebuild everything, since changes from
                # other processes may have been missed meanwhile.
                logger.warning("channel layer receive failed; retrying", exc_info=True)
                await asyncio.sleep(1)
                self.needs_subscribing = not await self._resubscribe()
                for room in self.rooms.values():
                    room.dirty, room.stale = True, None
                continue
            if message.get("origin") == self.origin:
                continue
            if message.get("type") == "session.presence":
                self._heard_presence(message)
                continue
            if message.get("type") == "console.recheck":
                if isinstance(message.get("user"), int):
                    process_id = message.get("process")
                    self.recheck_consoles(
                        message["user"],
                        process_id if isinstance(process_id, int) else None,
                        publish=False,
                    )
                continue
            questions = message.get("questions")
            counts_only = message.get("structure") is False
            if questions is None:
                self.mark_dirty(message["session"], None, local=False)
            for question_id in questions or ():
                self.mark_dirty(
                    message["session"], question_id, local=False, counts_only=counts_only
                )


_broadcasters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


#: How a snapshot's encoding begins: its type, audience and version come first (see
#: ``realtime.snapshots.build_view``), so the version is found before any text of a person.
_VERSION_MARK = '"version":0,'


def _due(room: Room) -> float:
    """When ``room`` is next ticked (monotonic): ``TICK`` after its last tick, or sooner
    once a change that came after that tick started has settled (nothing new for
    ``SETTLE``; a change told by another process at once), but ``TICK_MIN`` after its
    last tick at the soonest. (A room left dirty by a failed tick is tried again at the
    regular pace.)"""
    regular = room.ticked_at + TICK
    if not room.dirty or room.changed_at <= room.ticked_at:
        return regular
    return min(regular, max(room.changed_at + room.settle, room.ticked_at + TICK_MIN))


def _phone_outline(phone: dict) -> tuple:
    """What the phones' snapshot shows besides counts and asked questions: the session's
    header, and which questions it holds, in which state, with results or not."""
    return (
        tuple(phone["session"].items()),
        tuple((q["id"], q["state"], "results" in q) for q in phone["questions"]),
    )


def _unversioned(payload: dict) -> str:
    """A snapshot encoded once, with version 0: what is compared between ticks (a new
    version alone changes nothing a screen shows)."""
    return dumps({**payload, "version": 0})


def _versioned(key: str, version: int) -> str:
    """The snapshot as sent: ``key`` with its version put back, without encoding it again
    (for a Q&A round of 200 questions the encoding is most of a tick's work on the loop)."""
    head, mark, rest = key.partition(_VERSION_MARK)
    if not mark or len(head) > 64:
        raise ValueError("a snapshot must begin with its type, audience and version")
    return f'{head}"version":{version},{rest}'


def get_broadcaster() -> Broadcaster:
    """This process's broadcaster for the running event loop."""
    loop = asyncio.get_running_loop()
    broadcaster = _broadcasters.get(loop)
    if broadcaster is None:
        broadcaster = _broadcasters[loop] = Broadcaster(loop)
    return broadcaster


def notify(session_id: int, question_id: int | None, *, counts_only: bool = False) -> None:
    """Called from any thread after a commit: mark the session dirty in every running
    broadcaster of this process; if none runs here, tell the other processes directly.
    ``counts_only``: only the results of ``question_id`` changed."""
    delivered = False
    for loop, broadcaster in list(_broadcasters.items()):
        if loop.is_running() and not loop.is_closed():
            loop.call_soon_threadsafe(
                functools.partial(
                    broadcaster.mark_dirty, session_id, question_id, counts_only=counts_only
                )
            )
            delivered = True
    if not delivered:
        layer = get_channel_layer()
        if layer is not None and not isinstance(layer, InMemoryChannelLayer):
            from asgiref.sync import async_to_sync

            async_to_sync(layer.group_send)(
                groups.session_changes(session_id),
                {
                    "type": "session.changed",
                    "session": session_id,
                    "questions": None if question_id is None else [question_id],
                    "structure": not counts_only,
                    "origin": "http",
                },
            )


def _recheck_message(user_id: int, process_id: int | None, origin: str) -> dict:
    return {"type": "console.recheck", "user": user_id, "process": process_id, "origin": origin}


def recheck_consoles(user_id: int, process_id: int | None = None) -> None:
    """Called from any thread once a change that may take rights away from account
    ``user_id`` (on ``process_id``, or on any process) has committed: each open console
    of that account, in this process and in the others, looks at its account again at
    once (``FacilitatorConsumer.recheck_now``) rather than within ``RECHECK_SECONDS``."""
    told_others = False
    for loop, broadcaster in list(_broadcasters.items()):
        if loop.is_running() and not loop.is_closed():
            loop.call_soon_threadsafe(
                functools.partial(broadcaster.recheck_consoles, user_id, process_id)
            )
            told_others = told_others or broadcaster.shared
    if told_others:
        return
    layer = get_channel_layer()
    if layer is not None and not isinstance(layer, InMemoryChannelLayer):
        from asgiref.sync import async_to_sync

        try:
            async_to_sync(layer.group_send)(
                groups.console_checks(), _recheck_message(user_id, process_id, "http")
            )
        except Exception:  # Redis away: the consoles still look again within seconds
            logger.warning("telling the servers to recheck a console failed", exc_info=True)
