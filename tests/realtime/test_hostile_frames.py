"""One phone's bad frames never fail another phone's answer, never close a socket with
1011 and never leave a count behind: the schema at the edge, a failed batch written again
answer by answer, the presence counts, and a fuzz of every message type and role."""

import asyncio
import json
import logging
import random
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from realtime import protocol
from realtime.broadcaster import get_broadcaster
from sessions_app.models import HandCount, LogEntry, Option, Response
from sessions_app.services.facilitation import question_close

from .conftest import SCHEMA, Client

pytestmark = pytest.mark.django_db(transaction=True)

CODES = set(SCHEMA["$defs"]["error_code"]["enum"])


@pytest.fixture
def generous_limits(monkeypatch):
    """A budget no test here exhausts, so that what is tested is the checking."""
    from realtime import consumers
    from realtime.ratelimit import TokenBucket

    monkeypatch.setattr(
        consumers, "TokenBucket", lambda rate, burst: TokenBucket(1000, 100_000, clock=lambda: 0.0)
    )


def answer(question_id, value, client_id):
    return {"type": "answer", "client_id": client_id, "question": question_id, "answer": value}


@sync_to_async
def counts():
    return (
        Response.objects.count(),
        LogEntry.objects.count(),
        Option.objects.count(),
        HandCount.objects.count(),
    )


async def test_one_bad_answer_in_a_batch_fails_alone(room, make_phone, monkeypatch):
    """Sixteen answers arrive together; one of them makes the batch's transaction fail
    (a fault inside the database write). The other fifteen are counted."""
    from realtime import batcher as batcher_module

    _session, questions = room
    option = await sync_to_async(lambda: questions["choice"].options.first().pk)()
    real = batcher_module.responses_submit

    def failing_when_poisoned(submissions):
        if any(item.client_id == "poisoned-00000" for item in submissions):
            raise RuntimeError("a fault in the batch")
        return real(submissions)

    monkeypatch.setattr(batcher_module, "responses_submit", failing_when_poisoned)
    phones = [await make_phone() for _ in range(16)]
    ids = [f"innocent-{n:05d}" for n in range(15)] + ["poisoned-00000"]
    for phone, client_id in zip(phones, ids, strict=True):
        await phone.send(answer(questions["choice"].pk, {"option": option}, client_id))
    acks = [await phone.receive_type("ack") for phone in phones]
    assert [a["status"] for a in acks[:15]] == ["counted"] * 15
    assert acks[15]["status"] == "rejected"
    assert acks[15]["code"] == "internal"
    assert acks[15]["client_id"] == "poisoned-00000"
    stored = await sync_to_async(
        lambda: sorted(Response.objects.values_list("client_id", flat=True))
    )()
    assert stored == sorted(ids[:15])
    for phone in phones:
        await phone.close()


async def test_bad_fields_are_refused_at_the_edge_and_never_reach_a_batch(room, make_phone):
    """The triggers once seen failing whole batches, sent with fifteen valid answers."""
    _session, questions = room
    option = await sync_to_async(lambda: questions["choice"].options.first().pk)()
    choice = questions["choice"].pk
    bad = {
        "huge-question-0": (answer(2**63, {"option": option}, "huge-question-0"), "malformed"),
        "string-question": (
            answer(str(choice), {"option": option}, "string-question"),
            "malformed",
        ),
        "string-option-0": (
            answer(choice, {"option": str(option)}, "string-option-0"),
            "invalid_answer",
        ),
        "float-option-00": (
            answer(choice, {"option": option + 0.5}, "float-option-00"),
            "invalid_answer",
        ),
        "extra-field-000": (
            {**answer(choice, {"option": option}, "extra-field-000"), "x": 1},
            "malformed",
        ),
        "extra-in-answer": (
            answer(choice, {"option": option, "x": 1}, "extra-in-answer"),
            "invalid_answer",
        ),
    }
    phones = [await make_phone() for _ in range(15 + len(bad) + 1)]
    sends = [
        phone.send(answer(choice, {"option": option}, f"innocent-{n:05d}"))
        for n, phone in enumerate(phones[:15])
    ]
    for phone, (message, _code) in zip(phones[15:], bad.values(), strict=False):
        sends.append(phone.send(message, valid=False))
    # Open text with a lone surrogate: valid JSON, but no text can hold it.
    surrogate = phones[-1]
    sends.append(
        surrogate.send_text(
            '{"type": "answer", "client_id": "surrogate-00000", "question": '
            f'{questions["text"].pk}, "answer": {{"text": "a\\ud800b"}}}}'
        )
    )
    await asyncio.gather(*sends)
    for phone in phones[:15]:
        assert (await phone.receive_type("ack"))["status"] == "counted"
    for phone, (client_id, (_message, code)) in zip(phones[15:], bad.items(), strict=False):
        ack = await phone.receive_type("ack")
        assert (ack["client_id"], ack["status"], ack["code"]) == (client_id, "rejected", code)
    assert (await surrogate.receive_type("error"))["code"] == "malformed"
    assert await sync_to_async(Response.objects.count)() == 15
    for phone in phones:
        await phone.close()


async def test_hello_with_the_wrong_type_gets_no_snapshot(room, make_phone):
    phone = await make_phone()
    await phone.send({"type": "hello", "last_version": "3"}, valid=False)
    assert (await phone.receive())["code"] == "malformed"
    await phone.send({"type": "ping", "extra": True}, valid=False)
    assert (await phone.receive())["code"] == "malformed"
    await phone.send({"type": "hello", "last_version": None})
    assert (await phone.receive())["type"] == "snapshot"
    await phone.close()


@pytest.mark.parametrize(
    "frame",
    [
        "[" * 5000 + "]" * 5000,  # nested deeper than the decoder goes, under 16 KB
        '{"type": "ping", "a": ' + "[" * 3000 + "]" * 3000 + "}",
        '{"type": "answer", "client_id": "\\udc00\\udc00abcdef", "question": 1, "answer": {}}',
        '{"type": "ping", "x": NaN}',
    ],
)
async def test_frames_that_once_crashed_the_socket_are_malformed(room, make_phone, frame, caplog):
    phone = await make_phone()
    await phone.send_text(frame)
    assert (await phone.receive())["code"] == "malformed"
    await phone.send({"type": "ping"})
    assert (await phone.receive())["type"] == "pong"  # still open
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await phone.close()


async def test_every_frame_over_the_limit_is_answered_and_a_flood_is_closed(
    room, frozen_clock, make_phone
):
    phone = await make_phone()
    for _ in range(60):
        await phone.send_text("this is not json")
    # Only the answers to the frames: a snapshot or presence may come between them.
    codes = [(await phone.receive_type("error"))["code"] for _ in range(60)]
    assert codes.count("malformed") == 20
    assert codes.count("rate_limited") == 40
    # Going on far over the budget: closed with "policy violation", no error first.
    for _ in range(protocol.MAX_OVER_LIMIT + 10):
        await phone.send_text("x")
    for _ in range(protocol.MAX_OVER_LIMIT - 40):
        assert (await phone.receive_type("error"))["code"] == "rate_limited"
    while (closed := await phone.communicator.receive_output(timeout=5))[
        "type"
    ] == "websocket.send":
        assert json.loads(closed["text"])["type"] != "error"  # no error before the close
    assert closed == {"type": "websocket.close", "code": protocol.CLOSE_POLICY}
    await phone.close()  # the consumer's task ends here, not when it is collected


async def test_a_socket_that_fails_leaves_the_presence_count(room, make_phone, monkeypatch):
    session, _questions = room
    broadcaster = get_broadcaster()
    phone = await make_phone()
    assert len(broadcaster.rooms[session.pk].members["phone"]) == 1
    # A failure while connecting, after the room was joined: the consumer dies (1011).
    from realtime import consumers

    from .conftest import phone_headers

    def broken(self):
        raise RuntimeError("broken after joining")

    monkeypatch.setattr(consumers.ParticipantConsumer, "welcome_extra", broken)
    second = Client(f"/ws/s/{session.join_code}/", phone_headers(session, phone.participant))
    assert (await second.connect())[0]
    with pytest.raises(RuntimeError):
        await second.communicator.receive_from(timeout=2)
    room_ = broadcaster.rooms[session.pk]
    assert len(room_.members["phone"]) == 1
    assert room_.presence()["room"] == 1
    await phone.close()
    assert session.pk not in broadcaster.rooms


async def test_a_send_that_fails_does_not_stop_the_tick_for_the_others(room, make_phone):
    session, _questions = room
    broadcaster = get_broadcaster()
    presenter = Client(f"/ws/present/{session.join_code}/", [(b"origin", b"http://testserver")])
    assert (await presenter.connect())[0]
    await presenter.receive_type("welcome")
    phone = await make_phone()

    class Gone:
        """A connection that closed between the tick's start and its send."""

        def __init__(self, via=None):
            self.via = via

        async def send(self, text_data):
            raise ConnectionResetError("closed meanwhile")

    gone_presenter, gone_phone = Gone(), Gone("remote")
    await broadcaster.join(session.pk, "presenter", gone_presenter)
    await broadcaster.join(session.pk, "phone", gone_phone, via="remote")
    room_ = broadcaster.rooms[session.pk]
    assert room_.presence()["remote"] == 1
    room_.compare.clear()  # every audience's snapshot counts as changed
    broadcaster.mark_dirty(session.pk)
    snapshot = await presenter.receive_type("snapshot", timeout=5)
    assert snapshot["audience"] == "presenter"
    await phone.receive_type("snapshot", timeout=5)  # after the failed send to the other
    assert room_.presence() == {
        "phones": 1,
        "room": 1,
        "remote": 0,
        "presenters": 1,
        "facilitators": 0,
    }
    await presenter.close()
    await phone.close()


# --- the fuzz ------------------------------------------------------------------------

JUNK = [
    None,
    True,
    -1,
    0,
    2**63,
    -(2**63) - 1,
    10**30,
    3.5,
    1e308,
    "",
    "12",
    "x" * 600,
    "\u202e\u0000",
    [],
    [[[[[]]]]],
    {},
    {"option": "1"},
    {"nested": {"deeper": [1, {"x": None}]}},
]
RAW_JUNK = [
    " ",
    "null",
    "[]",
    "42",
    '"text"',
    "{",
    '{"type": 7}',
    '{"type": "answer"',
    "\u0000",
    '{"type": "ping", "x": "\\ud800"}',
    "[" * 2000 + "]" * 2000,
    '{"type": "hello", "last_version": 1e400}',
]


def mutate(base: dict, rng: random.Random) -> str:
    """One hostile frame made from a valid message: a field changed to junk, removed, or
    added; a value nested junk; the type swapped; or a raw broken frame."""
    roll = rng.random()
    if roll < 0.1:
        return rng.choice(RAW_JUNK)
    message = json.loads(json.dumps(base))
    keys = list(message)
    action = rng.randrange(5)
    if action == 0 and keys:
        message[rng.choice(keys)] = rng.choice(JUNK)
    elif action == 1 and keys:
        message.pop(rng.choice(keys))
    elif action == 2:
        message[rng.choice(["extra", "question", "answer", "text", "counts"])] = rng.choice(JUNK)
    elif action == 3:
        inner = message.get("answer") or message.get("counts")
        if isinstance(inner, dict) and inner:
            inner[rng.choice(list(inner))] = rng.choice(JUNK)
        else:
            message["answer"] = rng.choice(JUNK)
    else:
        message["type"] = rng.choice(
            ["answer", "propose", "command", "hello", "ping", "dance", "ANSWER", ""]
        )
    return json.dumps(message, ensure_ascii=False)


def answered_alone(frame: str) -> str | None:
    """What a frame is answered with besides an error: "pong" for a valid ping, "hello"
    for a valid hello; None when an error, ack or result is due."""
    try:
        message = json.loads(frame)
    except (ValueError, RecursionError):
        return None
    if message == {"type": "ping"}:
        return "pong"
    if (
        isinstance(message, dict)
        and message.get("type") == "hello"
        and set(message) <= {"type", "last_version"}
        and (
            message.get("last_version") is None
            or (type(message["last_version"]) is int and 0 <= message["last_version"] < 2**63)
        )
    ):
        return "hello"
    return None


async def fuzz(client: Client, audience: str, bases: list[dict], rounds: int, seed: int):
    rng = random.Random(seed)  # noqa: S311 - a repeatable fuzz, not a secret
    answered = 0
    for _ in range(rounds):
        frame = mutate(rng.choice(bases), rng)
        expected = answered_alone(frame)
        await client.send_text(frame)
        await client.send({"type": "ping"})
        replies = []
        while True:
            message = json.loads(await client.communicator.receive_from(timeout=10))
            if message["type"] == "pong":
                if expected == "pong":
                    expected = "done"
                    continue
                break
            if message["type"] in {"snapshot", "mine", "you"}:
                if expected == "hello" and message["type"] == "snapshot":
                    expected = "done"
                continue  # a push of the broadcaster, or the hello's answer
            replies.append(message)
        if expected is None:
            assert len(replies) == 1, (frame, replies)
            reply = replies[0]
            assert reply["type"] in {"error", "ack", "result"}, (frame, reply)
            assert reply.get("code") in CODES, (frame, reply)
            if reply["type"] == "ack":
                assert reply["status"] == "rejected", (frame, reply)
            if reply["type"] == "result":
                assert reply["ok"] is False, (frame, reply)
        else:
            assert replies == [] and expected == "done", (frame, replies)
        answered += 1
    return answered


async def test_fuzz_every_message_type_and_role(
    room, make_phone, facilitator_headers, organiser, make_process, generous_limits, caplog
):
    """A few thousand mutated messages over phones, presenters and consoles: no
    traceback, no socket closed, every frame answered with a documented code, and not one
    count changed (every question is closed; commands aim at another process's question)."""
    session, questions = room
    await sync_to_async(question_close)(user=organiser, question=questions["choice"])
    other = await sync_to_async(make_process)(title="Elders")
    foreign = 10**9  # no question, response or statement has this key
    option = await sync_to_async(lambda: questions["choice"].options.first().pk)()
    phone_bases = [
        answer(questions["choice"].pk, {"option": option}, "fuzz-choice-0001"),
        answer(questions["multiple"].pk, {"options": [option]}, "fuzz-multi-0001"),
        answer(questions["scale"].pk, {"value": 3}, "fuzz-scale-0001"),
        answer(questions["budget"].pk, {"allocation": {str(option): 10}}, "fuzz-budget-001"),
        answer(questions["text"].pk, {"text": "hallo"}, "fuzz-text-00001"),
        answer(questions["statements"].pk, {"statement": option, "vote": "agree"}, "fuzz-vote-001"),
        {
            "type": "propose",
            "client_id": "fuzz-propose-01",
            "question": questions["statements"].pk,
            "text": "Meer groen",
        },
        {"type": "hello", "last_version": 3},
        {"type": "ping"},
        {"type": "command", "id": "c1", "command": "open", "question": questions["choice"].pk},
    ]
    console_bases = [
        {"type": "command", "id": "c1", "command": "open", "question": foreign},
        {"type": "command", "id": "c2", "command": "reveal", "question": foreign},
        {
            "type": "command",
            "id": "c3",
            "command": "hands",
            "question": foreign,
            "counts": {"1": 3},
        },
        {
            "type": "command",
            "id": "c4",
            "command": "moderate",
            "response": foreign,
            "decision": "hide",
            "reason": "x",
        },
        {
            "type": "command",
            "id": "c5",
            "command": "moderate",
            "statement": foreign,
            "decision": "approve",
        },
        {"type": "hello", "last_version": None},
        {"type": "ping"},
    ]
    presenter_bases = [{"type": "hello", "last_version": None}, {"type": "ping"}, phone_bases[0]]
    assert other.pk  # a second process exists, so "foreign" keys are not just "none yet"

    sockets = []
    for _ in range(28):
        sockets.append(("phone", await make_phone(), phone_bases))
    for _ in range(6):
        presenter = Client(f"/ws/present/{session.join_code}/", [(b"origin", b"http://testserver")])
        assert (await presenter.connect())[0]
        await presenter.receive_type("welcome")
        sockets.append(("presenter", presenter, presenter_bases))
    for _ in range(6):
        console = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
        assert (await console.connect())[0]
        await console.receive_type("welcome")
        sockets.append(("facilitator", console, console_bases))

    before = await counts()  # with the phones joined
    rounds = 75  # 40 sockets: 3,000 frames
    done = await asyncio.gather(
        *(
            fuzz(client, audience, bases, rounds, seed)
            for seed, (audience, client, bases) in enumerate(sockets)
        )
    )
    assert sum(done) == 40 * rounds
    assert await counts() == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    presence = get_broadcaster().rooms[session.pk].presence()
    assert (presence["phones"], presence["presenters"], presence["facilitators"]) == (28, 6, 6)
    for _audience, client, _bases in sockets:
        await client.close()
    assert session.pk not in get_broadcaster().rooms


def test_schema_refusals_name_the_code_the_protocol_table_gives():
    """A field over its length or out of its set is refused at the edge with the code the
    protocol's table names for it, not a generic one: an asker's name over 60
    characters, a panel's answer over 2000 or in an unknown mode."""
    check = protocol.check
    asking = {"type": "ask", "client_id": "ask-00000001", "question": 1, "text": "Vraag?"}
    assert check({**asking, "display_name": "K" * 61}) == "name_too_long"
    assert check({**asking, "text": "x" * 2001}) == "text_too_long"
    answering = {"type": "command", "id": "a1", "command": "qna_answer", "asked": 1}
    assert check({**answering, "mode": "maybe"}) == "answer_mode"
    assert check({**answering, "mode": "summary", "text": "x" * 2001}) == "answer_text"
    assert check({**answering, "mode": "summary", "text": "Goed idee."}) is None
    hiding = {"type": "command", "id": "h1", "command": "moderate", "response": 1}
    assert check({**hiding, "decision": "hide", "reason": "r" * 501}) == "text_too_long"


def test_schema_refusals_of_a_long_open_text_a_count_and_a_due_date():
    """An open text over the schema's 10,000 characters is ``text_too_long`` (the answer
    shapes are alternatives, so it fails them all); a count of hands that is not a whole
    number is ``hands_invalid`` (a key that is not a number ``invalid_option``); a panel's
    answer with a ``due`` that is not a date is ``answer_due``; a command without its
    ``command`` is ``unknown_type``."""
    check = protocol.check
    texting = {"type": "answer", "client_id": "text-0000001", "question": 1}
    assert protocol.OPEN_TEXT_MAX == 10_000
    assert check({**texting, "answer": {"text": "x" * 10_000}}) is None
    assert check({**texting, "answer": {"text": "x" * 10_001}}) == "text_too_long"
    assert check({**texting, "answer": {"text": "x" * 10_001, "y": 1}}) == "invalid_answer"
    assert check({**texting, "answer": {"text": 5}}) == "invalid_answer"
    assert check({**texting, "answer": {}}) == "no_choice"
    hands = {"type": "command", "id": "h1", "command": "hands", "question": 1}
    assert check({**hands, "counts": {"1": 3}}) is None
    for count in (Decimal("1.5"), "3", True, 3_000_000_000, None, [3]):
        assert check({**hands, "counts": {"1": count}}) == "hands_invalid", count
    assert check({**hands, "counts": [3]}) == "hands_invalid"
    assert check({**hands, "counts": {str(n): 1 for n in range(1, 102)}}) == "hands_invalid"
    assert check({**hands, "counts": {"veel": 3}}) == "invalid_option"
    answering = {
        "type": "command",
        "id": "a1",
        "command": "qna_answer",
        "question": 1,
        "asked": 2,
        "mode": "in_writing",
    }
    assert check({**answering, "due": "2027-02-28"}) is None
    for due in ("", "2027-02-30", "2027-2-3", "morgen", 20270203, None):
        assert check({**answering, "due": due}) == "answer_due", due
    assert check({"type": "command", "id": "c1"}) == "unknown_type"
    assert check({"type": "command", "id": "c1", "command": "dance"}) == "unknown_type"


async def test_a_long_open_text_bad_hands_and_a_bad_due_date_over_the_sockets(
    room, make_phone, facilitator_headers
):
    session, questions = room
    phone = await make_phone()
    await phone.send(
        answer(questions["text"].pk, {"text": "x" * 10_001}, "long-text-0001"), valid=False
    )
    ack = await phone.receive_type("ack")
    assert (ack["client_id"], ack["status"], ack["code"]) == (
        "long-text-0001",
        "rejected",
        "text_too_long",
    )
    console = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
    assert (await console.connect())[0]
    await console.receive_type("welcome")
    choice = questions["choice"]
    first = await sync_to_async(lambda: choice.options.first().pk)()
    for n, raw in enumerate(("1.5", '"3"', "true", "3000000000")):
        await console.send_text(
            f'{{"type": "command", "id": "h{n}", "command": "hands", "question": {choice.pk}, '
            f'"counts": {{"{first}": {raw}}}}}'
        )
        result = await console.receive_type("result")
        assert (result["id"], result["ok"], result["code"]) == (f"h{n}", False, "hands_invalid")
        assert result["message"].startswith("A count of hands is a whole number")
    for n, due in enumerate(("", "2027-02-30", "2027-2-3")):
        await console.send(
            {
                "type": "command",
                "id": f"d{n}",
                "command": "qna_answer",
                "question": choice.pk,
                "asked": 1,
                "mode": "in_writing",
                "due": due,
            },
            valid=False,
        )
        result = await console.receive_type("result")
        assert (result["id"], result["ok"], result["code"]) == (f"d{n}", False, "answer_due")
    await console.send({"type": "command", "id": "n1"}, valid=False)
    result = await console.receive_type("result")
    assert (result["id"], result["ok"], result["code"]) == ("n1", False, "unknown_type")
    assert await sync_to_async(HandCount.objects.count)() == 0
    await phone.close()
    await console.close()
