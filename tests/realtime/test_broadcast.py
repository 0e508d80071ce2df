"""Receivers turn domain signals into dirty marks; the broadcaster turns dirty marks into
coalesced snapshots. The broadcast is replaced by a recorder and its payload asserted."""

import asyncio
import itertools
import json
from unittest import mock

import pytest
from asgiref.sync import sync_to_async

from realtime import broadcaster as broadcasting
from realtime.broadcaster import PHONE_INTERVAL, Broadcaster
from sessions_app.services.facilitation import question_reveal, session_show
from sessions_app.services.participation import participant_join, response_submit

from .conftest import check


class Recorder:
    """Stands in for a websocket consumer and keeps what it was sent."""

    def __init__(self):
        self.sent = []

    async def send(self, text_data):
        self.sent.append(check(json.loads(text_data)))


def test_an_answer_marks_its_question_dirty_after_commit(room, django_capture_on_commit_callbacks):
    session, questions = room
    participant = participant_join(session=session, via="room")
    option = questions["choice"].options.first().pk
    with mock.patch("realtime.receivers.notify") as notify:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response_submit(
                participant=participant,
                question_id=questions["choice"].pk,
                answer={"option": option},
                client_id="client-0001",
            )
        notify.assert_not_called()  # nothing before the commit
        for callback in callbacks:
            callback()
    # An answer changes only its question's counts.
    notify.assert_called_once_with(session.pk, questions["choice"].pk, counts_only=True)


def test_session_and_process_changes_mark_whole_sessions(
    room, organiser, django_capture_on_commit_callbacks
):
    session, questions = room
    with (
        mock.patch("realtime.receivers.notify") as notify,
        django_capture_on_commit_callbacks(execute=True),
    ):
        session_show(user=organiser, session=session, question=questions["scale"])
    notify.assert_called_once_with(session.pk, None)
    from sessions_app.services.processes import process_update
    from tests.conftest import full_process_spec

    with (
        mock.patch("realtime.receivers.notify") as notify,
        django_capture_on_commit_callbacks(execute=True),
    ):
        process_update(
            user=organiser, process=session.process, spec=full_process_spec(title="Nieuwe titel")
        )
    notify.assert_called_once_with(session.pk, None)


@pytest.fixture
def recorders():
    return {"phone": Recorder(), "presenter": Recorder(), "facilitator": Recorder()}


async def join_all(broadcaster, session, recorders):
    room = None
    for audience, recorder in recorders.items():
        room = await broadcaster.join(
            session.pk, audience, recorder, via="room" if audience == "phone" else None
        )
    broadcaster.task.cancel()  # these tests drive the ticks themselves
    return room


@pytest.mark.django_db(transaction=True)
async def test_each_audience_gets_its_own_payload(room, recorders, organiser):
    session, questions = room
    broadcaster = Broadcaster(asyncio.get_running_loop())
    room_state = await join_all(broadcaster, session, recorders)
    await broadcaster._tick(room_state)
    presenter = recorders["presenter"].sent[-1]
    assert presenter["question"]["id"] == questions["choice"].pk
    assert presenter["question"]["respondents"] == 0 and "results" not in presenter["question"]
    phone = recorders["phone"].sent[-1]
    assert [q["id"] for q in phone["questions"]] == [questions["choice"].pk]
    facilitator = recorders["facilitator"].sent[-1]
    assert facilitator["connected"] == {
        "phones": 1,
        "room": 1,
        "remote": 0,
        "presenters": 1,
        "facilitators": 1,
    }
    assert facilitator["agenda"][0]["results"]["respondents"]["total"] == 0

    await sync_to_async(question_reveal)(
        user=organiser, question=questions["choice"], revealed=True
    )
    broadcaster.mark_dirty(session.pk, questions["choice"].pk)
    await broadcaster._tick(room_state)
    assert "results" in recorders["presenter"].sent[-1]["question"]


@pytest.mark.django_db(transaction=True)
async def test_many_changes_make_one_snapshot_and_phones_wait_a_second(room, recorders, organiser):
    session, questions = room
    broadcaster = Broadcaster(asyncio.get_running_loop())
    room_state = await join_all(broadcaster, session, recorders)
    await broadcaster._tick(room_state)
    sent_before = {audience: len(r.sent) for audience, r in recorders.items()}
    participant = await sync_to_async(participant_join)(session=session, via="remote")
    option = await sync_to_async(lambda: questions["choice"].options.first().pk)()
    await sync_to_async(response_submit)(
        participant=participant,
        question_id=questions["choice"].pk,
        answer={"option": option},
        client_id="client-0002",
    )
    with mock.patch.object(broadcasting, "build_view", wraps=broadcasting.build_view) as build:
        for _ in range(100):
            broadcaster.mark_dirty(session.pk, questions["choice"].pk)
        await broadcaster._tick(room_state)
    assert build.call_count == 1
    assert len(recorders["presenter"].sent) == sent_before["presenter"] + 1
    assert recorders["presenter"].sent[-1]["question"]["respondents"] == 1
    # The phone snapshot did not change (results are hidden), so phones get nothing.
    assert len(recorders["phone"].sent) == sent_before["phone"]

    # A change phones do see waits for the phone interval.
    room_state.last_phone_send = broadcasting.time.monotonic()
    await sync_to_async(question_reveal)(
        user=organiser, question=questions["choice"], revealed=True
    )
    broadcaster.mark_dirty(session.pk, questions["choice"].pk)
    await broadcaster._tick(room_state)
    assert room_state.phone_pending and len(recorders["phone"].sent) == sent_before["phone"]
    room_state.last_phone_send -= PHONE_INTERVAL
    await broadcaster._tick(room_state)
    assert not room_state.phone_pending and len(recorders["phone"].sent) == sent_before["phone"] + 1
    assert "results" in recorders["phone"].sent[-1]["questions"][0]


async def two_processes(session):
    """Two server processes, stood in for by two broadcasters on one in-memory layer, each
    with a presenter of ``session`` and its first tick done; their loops are stopped so
    the test drives the ticks."""
    from channels.layers import InMemoryChannelLayer

    layer = InMemoryChannelLayer()
    pairs = []
    for _ in range(2):
        broadcaster = Broadcaster(asyncio.get_running_loop())
        broadcaster.layer, broadcaster.shared = layer, True
        pairs.append((broadcaster, await broadcaster.join(session.pk, "presenter", Recorder())))
    for broadcaster, _joined in pairs:
        broadcaster.task.cancel()
    for broadcaster, joined in pairs:
        await broadcaster._tick(joined)
    return layer, pairs[0], pairs[1]


@pytest.mark.django_db(transaction=True)
async def test_another_process_hears_which_questions_changed(room):
    """Two server processes, stood in for by two broadcasters on one layer: a change in
    one marks exactly its question stale in the other, with one message per tick."""
    session, questions = room
    layer, (here, room_here), (there, room_there) = await two_processes(session)
    sent = []
    original = layer.group_send

    async def counting(group, message):
        sent.append(message)
        await original(group, message)

    layer.group_send = counting
    for _ in range(10):
        here.mark_dirty(session.pk, questions["choice"].pk)
    await here._tick(room_here)
    assert [m.get("questions") for m in sent] == [[questions["choice"].pk]], sent
    for _ in range(50):
        if room_there.dirty:
            break
        await asyncio.sleep(0.02)
    assert room_there.dirty and room_there.stale == {questions["choice"].pk}
    for broadcaster in (here, there):
        broadcaster.listener.cancel()


@pytest.mark.django_db(transaction=True)
async def test_a_layer_restart_loses_no_change_and_the_groups_are_joined_again(room):
    """Redis restarts: a change that could not be told is told on a later tick, and the
    listener joins its groups again (a restarted Redis has forgotten them)."""
    from realtime.groups import session_changes

    session, questions = room
    layer, (here, room_here), (there, room_there) = await two_processes(session)

    original_send, original_receive = layer.group_send, layer.receive
    down = {"send": True, "receive": True}

    async def send(group, message):
        if down["send"]:
            raise ConnectionError("Redis is restarting")
        await original_send(group, message)

    async def receive(channel):
        if down["receive"]:
            down["receive"] = False
            layer.groups.clear()  # what a restarted Redis remembers of the groups
            raise ConnectionError("Redis is restarting")
        return await original_receive(channel)

    layer.group_send, layer.receive = send, receive
    there.listener.cancel()
    there.listener = asyncio.get_running_loop().create_task(there._listen())
    here.mark_dirty(session.pk, questions["choice"].pk)
    await here._tick(room_here)  # no error: this process's own connections are served
    assert room_here.publish == {questions["choice"].pk}  # kept for later
    assert not room_here.dirty and room_here.view is not None
    room_there.dirty, room_there.stale = False, set()
    for _ in range(100):  # the listener fails once, waits a second, joins again …
        if room_there.dirty:
            break
        await asyncio.sleep(0.02)
    assert there.channel in layer.groups.get(session_changes(session.pk), {})
    assert room_there.stale is None  # … and rebuilds everything: it may have missed some
    room_there.dirty, room_there.stale = False, set()
    down["send"] = False
    await here._tick(room_here)
    for _ in range(50):
        if room_there.dirty:
            break
        await asyncio.sleep(0.02)
    assert room_there.dirty and room_there.stale == {questions["choice"].pk}
    for broadcaster in (here, there):
        broadcaster.listener.cancel()


@pytest.mark.django_db(transaction=True)
async def test_a_tick_of_counts_reads_the_counts_and_not_the_agenda(room, recorders, organiser):
    """Answers mark their question's counts changed: the tick reads those results again
    (and the log's number) but keeps the session and its questions; anything else (a
    question shown, revealed) makes it read them all again."""
    session, questions = room
    broadcaster = Broadcaster(asyncio.get_running_loop())
    room_state = await join_all(broadcaster, session, recorders)
    await broadcaster._tick(room_state)
    participant = await sync_to_async(participant_join)(session=session, via="room")
    option = await sync_to_async(lambda: questions["choice"].options.first().pk)()
    await sync_to_async(response_submit)(
        participant=participant,
        question_id=questions["choice"].pk,
        answer={"option": option},
        client_id="client-0003",
    )

    broadcaster.mark_dirty(session.pk, questions["choice"].pk, counts_only=True)
    with mock.patch.object(broadcasting, "build_view", wraps=broadcasting.build_view) as build:
        await broadcaster._tick(room_state)
    assert build.call_args.kwargs["structure"] is False
    presenter = recorders["presenter"].sent[-1]
    assert presenter["question"]["respondents"] == 1
    assert (
        presenter["version"]
        == await sync_to_async(
            lambda: type(session.process).objects.get(pk=session.process_id).log_seq
        )()
    )
    await sync_to_async(session_show)(user=organiser, session=session, question=questions["scale"])
    broadcaster.mark_dirty(session.pk, None)
    with mock.patch.object(broadcasting, "build_view", wraps=broadcasting.build_view) as build:
        await broadcaster._tick(room_state)
    assert build.call_args.kwargs["structure"] is True
    assert recorders["presenter"].sent[-1]["question"]["id"] == questions["scale"].pk


@pytest.mark.django_db(transaction=True)
async def test_an_open_answer_reaches_the_moderation_queue_on_a_tick_of_counts(
    room, recorders, organiser
):
    from sessions_app.services.facilitation import question_open

    session, questions = room
    await sync_to_async(question_open)(user=organiser, question=questions["text"])
    broadcaster = Broadcaster(asyncio.get_running_loop())
    room_state = await join_all(broadcaster, session, recorders)
    await broadcaster._tick(room_state)
    assert recorders["facilitator"].sent[-1]["moderation"]["texts"] == []
    participant = await sync_to_async(participant_join)(session=session, via="room")
    await sync_to_async(response_submit)(
        participant=participant,
        question_id=questions["text"].pk,
        answer={"text": "Meer bankjes"},
        client_id="client-0004",
    )
    broadcaster.mark_dirty(session.pk, questions["text"].pk, counts_only=True)
    await broadcaster._tick(room_state)
    [waiting] = recorders["facilitator"].sent[-1]["moderation"]["texts"]
    assert waiting["text"] == "Meer bankjes"


@pytest.mark.django_db(transaction=True)
async def test_the_console_counts_the_phones_of_every_process(room):
    """Phones on one process, the facilitator's console on another: the console counts
    them all, follows them leaving, and stops counting a process that fell silent."""
    from realtime.broadcaster import PRESENCE_TTL

    session, _questions = room
    _layer, (here, room_here), (there, room_there) = await two_processes(session)
    phones = [Recorder(), Recorder(), Recorder()]
    for phone, via in zip(phones, ("room", "room", "remote"), strict=True):
        await here.join(session.pk, "phone", phone, via=via)
    console = Recorder()
    await there.join(session.pk, "facilitator", console)
    for broadcaster in (here, there):
        broadcaster.task.cancel()

    async def console_sees(phones: int, room: int, remote: int):
        for _ in range(100):
            await there._tick(room_there)
            shown = [m["connected"] for m in console.sent if "connected" in m]
            if shown and (shown[-1]["phones"], shown[-1]["room"], shown[-1]["remote"]) == (
                phones,
                room,
                remote,
            ):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"the console shows {shown[-1] if shown else None}")

    await here._tick(room_here)
    await console_sees(3, 2, 1)
    assert room_here.presence()["phones"] == 3  # the phones' own process counts itself once

    await here.leave(session.pk, "phone", phones[0], via="room")
    await here._tick(room_here)
    await console_sees(2, 1, 1)

    # The phones' process ends without a word: after PRESENCE_TTL its phones no longer count.
    counts, heard = room_there.others[here.origin]
    room_there.others[here.origin] = (counts, heard - PRESENCE_TTL - 1)
    await console_sees(0, 0, 0)
    for broadcaster in (here, there):
        broadcaster.listener.cancel()


class Console(Recorder):
    """Stands in for a facilitator's console of account ``user_id`` on ``process_id``."""

    def __init__(self, user_id, process_id):
        super().__init__()
        self.user = mock.Mock(pk=user_id)
        self.session = mock.Mock(process_id=process_id)
        self.asked = 0

    def recheck_now(self):
        self.asked += 1


@pytest.mark.django_db(transaction=True)
async def test_a_role_taken_away_on_one_process_rechecks_its_consoles_on_the_other(room):
    """The account's consoles on another server process are asked to look at it again at
    once, through the layer; other accounts' consoles, and that account's consoles on
    another participation process, are not."""
    from realtime.groups import console_checks

    session, _questions = room
    layer, (here, _room_here), (there, _room_there) = await two_processes(session)
    process_id = session.process_id
    fenna, floor = Console(7, process_id), Console(8, process_id)
    elsewhere = Console(7, process_id + 1)
    for console in (fenna, floor, elsewhere):
        await there.join(session.pk, "facilitator", console)
    there.task.cancel()
    assert there.channel in layer.groups[console_checks()]

    here.recheck_consoles(7, process_id)
    for _ in range(100):
        if fenna.asked:
            break
        await asyncio.sleep(0.02)
    assert (fenna.asked, floor.asked, elsewhere.asked) == (1, 0, 0)

    here.recheck_consoles(7)  # every process: a logout, the account deactivated
    for _ in range(100):
        if elsewhere.asked:
            break
        await asyncio.sleep(0.02)
    assert (fenna.asked, floor.asked, elsewhere.asked) == (2, 0, 1)

    for console in (fenna, floor, elsewhere):
        await there.leave(session.pk, "facilitator", console)
    await there.leave(session.pk, "presenter", next(iter(_room_there.members["presenter"])))
    assert there.channel not in layer.groups.get(console_checks(), {})
    for broadcaster in (here, there):
        broadcaster.listener.cancel()


def test_a_snapshot_is_encoded_once_and_sent_with_its_own_version():
    from realtime.broadcaster import Room, _unversioned, _versioned

    payload = {
        "type": "snapshot",
        "audience": "facilitator",
        "version": 41,
        "session": {"title": 'a "version":0, in a text'},
        "agenda": [{"id": 1, "version": 7}],
    }
    key = _unversioned(payload)
    assert json.loads(key) == {**payload, "version": 0}
    # The same content at another version compares equal; the text sent carries 41.
    assert key == _unversioned({**payload, "version": 42})
    assert json.loads(_versioned(key, 41)) == payload
    with pytest.raises(ValueError):
        _versioned('{"type":"snapshot","session":{"t":"\\"version\\":0,"}}', 3)
    room = Room(1)
    room.texts["facilitator"] = _versioned(key, 41)
    room.members["phone"] = {object(), object()}
    room.via.update({"qr": 2})
    sent = json.loads(room.facilitator_text())
    assert sent == {**payload, "connected": room.presence()}
    assert sent["connected"] != {}


async def test_a_large_rooms_new_counts_are_spread_out_and_a_new_question_is_not():
    """Phones of a room of thousands get a Q&A round's new counts in slices with a pause
    between them (the acknowledgements arriving meanwhile go first); a question opened
    goes at once, also when it comes while counts are being sent."""
    broadcaster = Broadcaster(asyncio.get_running_loop())
    room = broadcasting.Room(1)
    room.members["phone"] = {object() for _ in range(6 * broadcasting.PHONE_SLICE)}  # > SEND_SLICE
    room.texts["phone"] = '{"type":"snapshot","version":1}'
    sent, pauses = [], []
    opened_at = [None]  # after this many sends a question opens

    async def send_one(_room, consumer, _text):
        sent.append(consumer)
        if len(sent) == opened_at[0]:
            room.phone_structure = True  # as a rebuild does when the outline changed

    async def sleep(seconds):
        pauses.append(seconds)

    async def rebuild(_room):
        return {"phone"}

    broadcaster._rebuild = rebuild

    async def send(interval, *, structure=False):
        sent.clear(), pauses.clear()
        room.phone_interval, room.phone_structure = interval, structure
        room.dirty, room.last_phone_send = True, 0.0
        await broadcaster._tick(room)
        await room.phone_task
        return list(pauses)

    with (
        mock.patch.object(Broadcaster, "_send_one", staticmethod(send_one)),
        mock.patch.object(broadcasting.asyncio, "sleep", sleep),
    ):
        pause = broadcasting.PHONE_PAUSE
        assert pause > 0
        assert await send(5.0) == [pause] * 6  # new counts at a Q&A round's pace
        assert len(sent) == 6 * broadcasting.PHONE_SLICE
        assert await send(5.0, structure=True) == [0] * 6  # a question opened
        assert await send(broadcasting.PHONE_INTERVAL) == [0] * 6  # no round open
        # All pauses together stay within a third of the interval.
        with mock.patch.object(broadcasting, "PHONE_PAUSE", 1.0):
            assert await send(1.2) == [pytest.approx(1.2 / 3 / 6)] * 6
        opened_at[0] = broadcasting.PHONE_SLICE + 1
        assert await send(5.0) == [pause, 0, 0, 0, 0, 0]  # opened while counts were sent
    # What counts as more than counts: the questions shown, their states, their results.
    outline = broadcasting._phone_outline
    phone = {"session": {"id": 1, "state": "live"}, "questions": [{"id": 7, "state": "open"}]}
    more_votes = {**phone, "questions": [{"id": 7, "state": "open", "asked": [{"id": 1}]}]}
    assert outline(phone) == outline(more_votes)
    assert outline(phone) != outline({**phone, "questions": [{"id": 7, "state": "closed"}]})
    assert outline(phone) != outline(
        {**phone, "questions": [{"id": 7, "state": "open", "results": {}}]}
    )
    assert outline(phone) != outline({**phone, "session": {"id": 1, "state": "ended"}})


async def test_a_qna_round_with_no_phones_here_still_ticks():
    """A room at a Q&A round's pace with no phone connected to this process (they are on
    another one, or none came yet): the tick goes through and the console gets its
    snapshot (it once divided by the number of slices of no phones)."""
    broadcaster = Broadcaster(asyncio.get_running_loop())
    room = broadcasting.Room(1)
    room.texts["phone"] = '{"type":"snapshot","version":1}'
    room.phone_interval, room.phone_structure = 5.0, False
    room.dirty, room.last_phone_send = True, 0.0
    sent = []

    async def send_one(_room, consumer, text):
        sent.append(consumer)

    async def rebuild(_room):
        return {"phone", "presenter"}

    broadcaster._rebuild = rebuild
    room.texts["presenter"] = '{"type":"snapshot","version":1}'
    room.members["presenter"] = {"projector"}
    with mock.patch.object(Broadcaster, "_send_one", staticmethod(send_one)):
        await broadcaster._tick(room)
    assert sent == ["projector"]
    assert room.phone_pending is False and room.last_phone_send > 0


async def test_a_stream_of_changes_keeps_the_pace_and_a_settled_change_goes_at_once():
    """The loop on a clock of its own: while changes keep coming (every 20 ms, as a burst's
    batches do) the room is ticked every ``TICK``; once they stop, the last one goes out
    ``SETTLE`` after it, never within ``TICK_MIN`` of the tick before; a room left dirty
    by a failed tick waits for its regular tick."""
    from realtime.broadcaster import SLACK, TICK, TICK_MIN, Room, _due

    broadcaster = Broadcaster(asyncio.get_running_loop())
    room = broadcaster.rooms[1] = Room(1)
    room.dirty = False
    clock = [100.0]
    changes = [round(100.31 + 0.02 * n, 2) for n in range(30)]  # 100.31 ... 100.89
    changes.append(101.42)  # and one alone
    ticks = []

    async def sleep(seconds):
        assert seconds > 0
        end = clock[0] + seconds
        while changes and changes[0] <= end + 1e-9:
            clock[0] = changes.pop(0)
            broadcaster.mark_dirty(1, 5, counts_only=True)
        clock[0] = end
        if clock[0] > 101.7:
            broadcaster.rooms.clear()

    async def tick(ticked):
        ticks.append((round(clock[0], 3), ticked.dirty))
        ticked.dirty = False

    with (
        mock.patch.object(broadcasting.time, "monotonic", lambda: clock[0]),
        mock.patch.object(broadcasting.asyncio, "sleep", sleep),
        mock.patch.object(broadcaster, "_tick", tick),
    ):
        await broadcaster._run()
    # (Within the loop's shortest sleep, ``SLACK``: the clock's sums are not exact.)
    built = [at for at, dirty in ticks if dirty]
    assert built == pytest.approx([100.45, 100.65, 100.85, 100.95, 101.47], abs=SLACK)
    # The regular pace went on meanwhile, and no two ticks came closer than TICK_MIN.
    assert [at for at, _dirty in ticks][:3] == pytest.approx([100.05, 100.25, 100.45], abs=SLACK)
    gaps = [b - a for (a, _x), (b, _y) in itertools.pairwise(ticks)]
    assert min(gaps) >= TICK_MIN - 1e-9 and max(gaps) <= TICK + SLACK
    # A tick failed: the room stays dirty, its change older than the tick; no hurry.
    failed = Room(2)
    failed.ticked_at, failed.changed_at, failed.dirty = 50.0, 49.9, True
    assert _due(failed) == pytest.approx(50.0 + TICK)
    failed.changed_at = 50.01  # a change after the tick started: settled at 50.06, but
    assert _due(failed) == pytest.approx(50.0 + TICK_MIN)  # the tick was at 50.0


async def test_two_busy_rooms_each_keep_the_pace_and_another_process_s_change_goes_at_once():
    """Two rooms under a stream of changes, each tick taking 60 ms: each is still ticked
    every ``TICK`` (a room that fell due while the other was ticked waits for no rest).
    A change told by another process was coalesced there already: due at once (after
    ``TICK_MIN``), not after ``SETTLE`` more."""
    from realtime.broadcaster import SLACK, TICK, TICK_MIN, Room, _due

    broadcaster = Broadcaster(asyncio.get_running_loop())
    for session_id in (1, 2):
        broadcaster.rooms[session_id] = Room(session_id)
    clock = [100.0]
    ticks = {1: [], 2: []}

    def elapse(seconds):
        """Time passes, with a change to both rooms every 20 ms (a stream)."""
        end = clock[0] + seconds
        while clock[0] + 0.02 <= end:
            clock[0] += 0.02
            for session_id in (1, 2):
                broadcaster.mark_dirty(session_id, 5, counts_only=True)
        clock[0] = end

    async def sleep(seconds):
        elapse(seconds)
        if clock[0] > 103:
            broadcaster.rooms.clear()

    async def tick(room):
        ticks[room.session_id].append(clock[0])
        elapse(0.06)  # building and sending take time

    with (
        mock.patch.object(broadcasting.time, "monotonic", lambda: clock[0]),
        mock.patch.object(broadcasting.asyncio, "sleep", sleep),
        mock.patch.object(broadcaster, "_tick", tick),
    ):
        await broadcaster._run()
    for times in ticks.values():
        gaps = [b - a for a, b in itertools.pairwise(times)][1:]
        assert len(gaps) > 10
        assert max(gaps) <= TICK + SLACK and min(gaps) >= TICK_MIN

    room = Room(3)
    room.ticked_at, room.dirty = 50.18, False  # its regular tick: 50.38
    with mock.patch.object(broadcasting.time, "monotonic", lambda: 50.3):
        broadcaster.rooms[3] = room
        broadcaster.mark_dirty(3, 5, local=False, counts_only=True)
        assert _due(room) == pytest.approx(50.3)
        broadcaster.mark_dirty(3, 5, counts_only=True)  # a change of this process's own
        assert _due(room) == pytest.approx(50.35)
    room.ticked_at, room.dirty = 50.28, False
    with mock.patch.object(broadcasting.time, "monotonic", lambda: 50.31):
        broadcaster.mark_dirty(3, 5, local=False, counts_only=True)  # just after a tick
        assert _due(room) == pytest.approx(50.28 + TICK_MIN)


async def test_a_connection_gone_mid_send_leaves_its_room_with_one_short_log_line(caplog):
    """A phone that goes away while a snapshot is sent is dropped, and the others still get
    it; the log says so in a line, without a traceback at INFO (a busy evening has many)."""

    class Gone:
        async def send(self, text_data):
            raise ConnectionResetError("the phone went away")

    class Here:
        sent: list = []

        async def send(self, text_data):
            self.sent.append(text_data)

    room = broadcasting.Room(1)
    gone, here = Gone(), Here()
    room.members["phone"].update({gone, here})
    with caplog.at_level("INFO", logger="realtime.broadcaster"):
        await Broadcaster._send(room, "phone", "{}")
    assert room.members["phone"] == {here} and here.sent == ["{}"]
    [line] = [r for r in caplog.records if "left its room" in r.getMessage()]
    assert line.levelname == "INFO" and "ConnectionResetError" in line.getMessage()
    assert line.exc_info is None
