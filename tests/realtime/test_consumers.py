"""The phone, presenter and facilitator sockets: acks after commit, duplicates, and every
kind of bad input refused with a code while nothing changes."""

import asyncio
import json
import re

import pytest
from asgiref.sync import sync_to_async

from realtime import protocol
from realtime.broadcaster import get_broadcaster
from realtime.protocol import MAX_MESSAGE_BYTES
from sessions_app.models import LogEntry, Option, Response, ResponseStatus
from sessions_app.services.facilitation import question_close, question_open
from sessions_app.services.participation import participant_join

from .conftest import ORIGIN, Client, phone_headers

pytestmark = pytest.mark.django_db(transaction=True)


def answer(question, value, client_id="client-000001"):
    return {"type": "answer", "client_id": client_id, "question": question.pk, "answer": value}


@sync_to_async
def counted(question):
    return list(
        Response.objects.filter(question=question, status=ResponseStatus.COUNTED).values_list(
            "participant_id", flat=True
        )
    )


@sync_to_async
def row_counts():
    return Response.objects.count(), LogEntry.objects.count(), Option.objects.count()


async def test_hello_gets_a_full_snapshot_and_the_phones_own_answers(room, make_phone):
    session, questions = room
    phone = await make_phone()
    await phone.send({"type": "hello", "last_version": None})
    snapshot = await phone.receive_type("snapshot")
    assert snapshot["audience"] == "phone"
    assert snapshot["session"]["code"] == session.join_code
    assert [q["id"] for q in snapshot["questions"]] == [questions["choice"].pk]
    assert "results" not in snapshot["questions"][0]  # hidden until revealed
    mine = await phone.receive_type("mine")
    assert mine["answers"] == {}
    await phone.close()


async def test_answer_is_acknowledged_after_commit_and_counted_once(room, make_phone):
    _session, questions = room
    choice = questions["choice"]
    option = await sync_to_async(lambda: choice.options.first().pk)()
    phone = await make_phone()
    await phone.send(answer(choice, {"option": option}))
    ack = await phone.receive_type("ack")
    receipt = ack.pop("receipt")
    assert ack == {
        "type": "ack",
        "client_id": "client-000001",
        "question": choice.pk,
        "status": "counted",
        "counted": True,
    }
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", receipt)
    # When the ack arrives, the answer is already in the database.
    assert await counted(choice) == [phone.participant.pk]
    before = await row_counts()
    await phone.send(answer(choice, {"option": option}))  # a replay: same client id
    replay = await phone.receive_type("ack")
    assert (replay["status"], replay["counted"]) == ("duplicate", True)
    assert "receipt" not in replay  # given once
    assert await row_counts() == before
    await phone.close()


async def test_changing_an_answer_keeps_one_counting(room, make_phone):
    _session, questions = room
    choice = questions["choice"]
    first, second = await sync_to_async(
        lambda: list(choice.options.values_list("pk", flat=True)[:2])
    )()
    phone = await make_phone()
    await phone.send(answer(choice, {"option": first}, "client-000001"))
    await phone.receive_type("ack")
    await phone.send(answer(choice, {"option": second}, "client-000002"))
    assert (await phone.receive_type("ack"))["status"] == "counted"
    statuses = await sync_to_async(
        lambda: sorted(Response.objects.filter(question=choice).values_list("status", flat=True))
    )()
    assert statuses == ["counted", "superseded"]
    await phone.close()


async def test_the_phone_sees_a_question_open_within_a_second(room, make_phone, organiser):
    _session, questions = room
    phone = await make_phone()
    await phone.send({"type": "hello", "last_version": None})
    first = await phone.receive_type("snapshot")
    await sync_to_async(question_open)(user=organiser, question=questions["scale"])
    opened = await phone.receive_type("snapshot", timeout=2)
    assert opened["version"] > first["version"]
    assert questions["scale"].pk in [q["id"] for q in opened["questions"]]
    await phone.close()


def bad_cases(questions, options):
    """(message, expected code). Each must change nothing."""
    choice, multiple, scale, budget, text = (
        questions["choice"],
        questions["multiple"],
        questions["scale"],
        questions["budget"],
        questions["text"],
    )
    return [
        (answer(choice, {"option": 999999}), "invalid_option"),
        (answer(choice, {}), "no_choice"),
        (answer(multiple, {"options": options["multiple"]}), "too_many_choices"),
        (answer(budget, {"allocation": {str(options["budget"][0]): 60}}), "budget_not_total"),
        (answer(scale, {"value": 9}), "out_of_range"),
        (answer(text, {"text": "x" * 21}), "text_too_long"),
        (answer(choice, {"option": options["choice"][0]}, client_id="no"), "invalid_client_id"),
        (
            {
                "type": "answer",
                "client_id": "client-000009",
                "question": 999999,
                "answer": {"option": 1},
            },
            "unknown_question",
        ),
    ]


async def test_bad_answers_are_rejected_with_a_code_and_change_nothing(room, make_phone, organiser):
    _session, questions = room
    for key in ("multiple", "scale", "budget", "text"):
        await sync_to_async(question_open)(user=organiser, question=questions[key])
    options = await sync_to_async(
        lambda: {key: list(q.options.values_list("pk", flat=True)) for key, q in questions.items()}
    )()
    phone = await make_phone()
    before = await row_counts()
    for message, code in bad_cases(questions, options):
        await phone.send(message, valid=code not in {"invalid_client_id", "no_choice"})
        ack = await phone.receive_type("ack")
        assert (ack["status"], ack["code"], ack["counted"]) == ("rejected", code, False), message
        assert ack["message"]
    assert await row_counts() == before
    await phone.close()


async def test_closed_and_unopened_questions_refuse_answers(room, make_phone, organiser):
    _session, questions = room
    phone = await make_phone()
    option = await sync_to_async(lambda: questions["choice"].options.first().pk)()
    await sync_to_async(question_close)(user=organiser, question=questions["choice"])
    before = await row_counts()
    await phone.send(answer(questions["choice"], {"option": option}, "client-000003"))
    assert (await phone.receive_type("ack"))["code"] == "question_closed"
    scale_value = {"value": 3}
    await phone.send(answer(questions["scale"], scale_value, "client-000004"))
    assert (await phone.receive_type("ack"))["code"] == "question_not_open"
    assert await row_counts() == before
    await phone.close()


async def test_a_question_of_another_session_is_refused(
    room, make_phone, organiser, process, make_question
):
    from sessions_app.services.live_sessions import live_session_create
    from tests.conftest import session_spec

    other_session = await sync_to_async(live_session_create)(
        user=organiser, process=process, spec=session_spec(title="Tweede avond")
    )
    other = await sync_to_async(make_question)("single_choice", session=other_session)
    await sync_to_async(question_open)(user=organiser, question=other)
    option = await sync_to_async(lambda: other.options.first().pk)()
    phone = await make_phone()
    await phone.send(answer(other, {"option": option}))
    assert (await phone.receive_type("ack"))["code"] == "wrong_session"
    assert await counted(other) == []
    await phone.close()


async def test_malformed_unknown_oversized_and_binary_messages(room, make_phone):
    phone = await make_phone()
    before = await row_counts()
    await phone.send_text("{not json")
    assert (await phone.receive_type("error"))["code"] == "malformed"
    await phone.send_text(json.dumps(["a", "list"]))
    assert (await phone.receive_type("error"))["code"] == "malformed"
    await phone.send({"type": "dance"}, valid=False)
    assert (await phone.receive_type("error"))["code"] == "unknown_type"
    await phone.send_text(json.dumps({"type": "answer", "pad": "x" * MAX_MESSAGE_BYTES}))
    assert (await phone.receive_type("error"))["code"] == "message_too_large"
    await phone.communicator.send_to(bytes_data=b"\x00\x01")
    assert (await phone.receive_type("error"))["code"] == "malformed"
    assert await row_counts() == before
    await phone.close()


async def test_a_participant_cannot_send_facilitator_commands(room, make_phone):
    _session, questions = room
    phone = await make_phone()
    before = await row_counts()
    await phone.send(
        {"type": "command", "id": "c1", "command": "close", "question": questions["choice"].pk}
    )
    assert (await phone.receive_type("error"))["code"] == "not_allowed"
    state = await sync_to_async(
        lambda: type(questions["choice"]).objects.get(pk=questions["choice"].pk).state
    )()
    assert state == "open"
    assert await row_counts() == before
    await phone.close()


async def test_rate_limit(room, frozen_clock, make_phone):
    phone = await make_phone()
    for _ in range(30):
        await phone.send({"type": "dance"}, valid=False)
    codes = [(await phone.receive_type("error"))["code"] for _ in range(30)]
    assert codes.count("unknown_type") == 20
    assert codes.count("rate_limited") == 10
    await phone.close()


async def test_a_statement_proposal_is_held_and_a_replay_is_a_duplicate(
    room, make_phone, organiser
):
    _session, questions = room
    statements = questions["statements"]
    await sync_to_async(question_open)(user=organiser, question=statements)
    phone = await make_phone()
    message = {
        "type": "propose",
        "client_id": "client-000007",
        "question": statements.pk,
        "text": "Meer bankjes.",
    }
    await phone.send(message)
    assert (await phone.receive_type("ack"))["status"] == "held"
    await phone.send(message)
    assert (await phone.receive_type("ack"))["status"] == "duplicate"
    pending = await sync_to_async(
        lambda: list(statements.options.filter(moderation="pending").values_list("text", flat=True))
    )()
    assert pending == ["Meer bankjes."]
    await phone.close()


async def test_a_phone_without_a_cookie_or_with_a_forged_one_is_refused(room):
    session, _questions = room
    for headers in (
        [ORIGIN],
        [ORIGIN, (b"cookie", f"inspraak_p{session.pk}=forged:1:abc".encode())],
    ):
        client = Client(f"/ws/s/{session.join_code}/", headers)
        assert (await client.connect())[0]
        assert (await client.receive())["code"] == "not_joined"
        assert (await client.communicator.receive_output(timeout=2))["code"] == 4401
        await client.close()


async def test_a_cookie_of_another_session_does_not_open_this_one(room, live_session, organiser):
    from sessions_app.services.live_sessions import live_session_create
    from tests.conftest import session_spec

    session, _questions = room
    other = await sync_to_async(
        lambda: live_session_create(
            user=organiser, process=session.process, spec=session_spec(title="Tweede avond")
        )
    )()
    elsewhere = await sync_to_async(participant_join)(session=other, via="room")
    # Its genuine cookie, and the same token signed under this session's name: neither
    # is a participant of this session.
    headers = phone_headers(other, elsewhere)
    forged_name = [
        (b"cookie", headers[1][1].replace(f"p{other.pk}=".encode(), f"p{session.pk}=".encode()))
    ]
    for cookie in (headers[1:], forged_name):
        client = Client(f"/ws/s/{session.join_code}/", [ORIGIN, *cookie])
        assert (await client.connect())[0]
        assert (await client.receive())["code"] == "not_joined"
        await client.close()


async def test_unknown_session_code(room):
    client = Client("/ws/present/NOPE42/", [ORIGIN])
    await client.connect()
    assert (await client.receive())["code"] == "unknown_session"
    assert (await client.communicator.receive_output(timeout=2))["code"] == 4404
    await client.close()


async def test_an_unknown_session_is_refused_in_the_language_the_visitor_chose(room, settings):
    """No process, so no process language: the language switch's cookie, else the
    site's (Dutch)."""
    settings.LANGUAGE_CODE = "nl"
    cookie = (b"cookie", f"{settings.LANGUAGE_COOKIE_NAME}=en".encode())
    for headers, words in (([ORIGIN, cookie], "There is no session"), ([ORIGIN], "Er is geen")):
        client = Client("/ws/s/NOPE42/", headers)
        await client.connect()
        refused = await client.receive()
        assert refused["code"] == "unknown_session"
        assert refused["message"].startswith(words), refused["message"]
        await client.close()


async def test_cross_origin_sockets_are_refused(room):
    session, _questions = room
    for path in (
        f"/ws/s/{session.join_code}/",
        f"/ws/present/{session.join_code}/",
        f"/ws/facilitate/{session.join_code}/",
    ):
        client = Client(path, [(b"origin", b"https://evil.example")])
        connected, _code = await client.connect()
        assert connected is False
        await client.close()


async def test_presenter_hides_results_until_revealed(room, make_phone, organiser):
    from sessions_app.services.facilitation import question_reveal

    session, questions = room
    presenter = Client(f"/ws/present/{session.join_code}/", [ORIGIN])
    await presenter.connect()
    await presenter.receive_type("welcome")
    await presenter.send({"type": "hello", "last_version": None})
    snapshot = await presenter.receive_type("snapshot")
    assert snapshot["question"]["id"] == questions["choice"].pk
    assert "results" not in snapshot["question"] and snapshot["question"]["respondents"] == 0
    phone = await make_phone()
    option = await sync_to_async(lambda: questions["choice"].options.first().pk)()
    await phone.send(answer(questions["choice"], {"option": option}))
    await phone.receive_type("ack")
    counted_snapshot = await presenter.receive_type(
        "snapshot", where=lambda m: m["question"]["respondents"] == 1
    )
    assert "results" not in counted_snapshot["question"]
    await sync_to_async(question_reveal)(
        user=organiser, question=questions["choice"], revealed=True
    )
    revealed = await presenter.receive_type("snapshot", where=lambda m: "results" in m["question"])
    first = revealed["question"]["results"]["options"][0]
    assert (first["counts"]["room"], first["counts"]["total"], first["percent"]) == (1, 1, 100.0)
    await presenter.close()
    await phone.close()


async def test_facilitator_socket_needs_the_facilitator_role(
    room, facilitator_headers, make_user, grant
):
    session, questions = room
    anonymous = Client(f"/ws/facilitate/{session.join_code}/", [ORIGIN])
    await anonymous.connect()
    assert (await anonymous.receive())["code"] == "not_allowed"
    assert (await anonymous.communicator.receive_output(timeout=2))["code"] == 4403
    await anonymous.close()

    console = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
    await console.connect()
    assert (await console.receive_type("welcome"))["audience"] == "facilitator"
    await console.send({"type": "hello", "last_version": None})
    snapshot = await console.receive_type("snapshot")
    assert [q["id"] for q in snapshot["agenda"]] == [q.pk for q in questions.values()]
    assert all("results" in q for q in snapshot["agenda"])  # the console always sees counts
    await console.send(
        {"type": "command", "id": "c-1", "command": "open", "question": questions["scale"].pk}
    )
    assert await console.receive_type("result") == {"type": "result", "id": "c-1", "ok": True}
    opened = await console.receive_type(
        "snapshot", where=lambda m: m["session"]["current_question"] == questions["scale"].pk
    )
    assert next(q for q in opened["agenda"] if q["id"] == questions["scale"].pk)["state"] == "open"
    await console.send(
        {"type": "command", "id": "c-2", "command": "close", "question": questions["budget"].pk}
    )
    failed = await console.receive_type("result")
    assert (failed["ok"], failed["code"]) == (False, "question_state")
    await console.close()


async def test_teller_cannot_use_the_facilitator_socket(room, client, make_user, grant):
    from sessions_app.models import Role

    session, _questions = room

    @sync_to_async
    def log_in_a_teller():
        teller = make_user("tom")
        grant(session.process, teller, Role.TELLER)
        client.force_login(teller)

    await log_in_a_teller()
    headers = [ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    console = Client(f"/ws/facilitate/{session.join_code}/", headers)
    await console.connect()
    assert (await console.receive())["code"] == "not_allowed"
    await console.close()


async def test_phone_count_reaches_the_console(room, facilitator_headers, make_phone):
    session, _questions = room
    console = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
    await console.connect()
    await console.send({"type": "hello", "last_version": None})
    await console.receive_type("snapshot")
    phones = [await make_phone("room"), await make_phone("remote")]
    snapshot = await console.receive_type("snapshot", where=lambda m: m["connected"]["phones"] == 2)
    assert (snapshot["connected"]["room"], snapshot["connected"]["remote"]) == (1, 1)
    for phone in phones:
        await phone.close()
    await console.close()


async def test_many_votes_make_few_snapshots(room, make_phone):
    """Coalescing: twenty answers within a tick reach the presenter as one or two
    snapshots, and the last one has the exact total."""
    session, questions = room
    presenter = Client(f"/ws/present/{session.join_code}/", [ORIGIN])
    await presenter.connect()
    await presenter.send({"type": "hello", "last_version": None})
    await presenter.receive_type("snapshot")
    option = await sync_to_async(lambda: questions["choice"].options.first().pk)()
    phones = [await make_phone() for _ in range(20)]
    await asyncio.gather(
        *(
            p.send(answer(questions["choice"], {"option": option}, f"client-{i:06d}"))
            for i, p in enumerate(phones)
        )
    )
    for phone in phones:
        assert (await phone.receive_type("ack"))["status"] == "counted"
    snapshots = []
    while True:
        snapshot = await presenter.receive_type("snapshot", timeout=3)
        snapshots.append(snapshot)
        if snapshot["question"]["respondents"] == 20:
            break
    assert len(snapshots) <= 5
    assert await presenter.nothing(timeout=0.6)  # nothing more once nothing changes
    for phone in phones:
        await phone.close()
    await presenter.close()


async def test_a_reconnecting_phone_resends_with_the_same_id_and_counts_once(room, make_phone):
    session, questions = room
    option = await sync_to_async(lambda: questions["choice"].options.first().pk)()
    phone = await make_phone()
    message = answer(questions["choice"], {"option": option}, "client-offline1")
    await phone.send(message)
    await phone.receive_type("ack")
    await phone.close()
    again = Client(f"/ws/s/{session.join_code}/", phone_headers(session, phone.participant))
    await again.connect()
    await again.send({"type": "hello", "last_version": 3})
    await again.receive_type("snapshot")
    mine = await again.receive_type("mine")
    assert mine["answers"] == {str(questions["choice"].pk): {"option": option}}
    await again.send(message)
    assert (await again.receive_type("ack"))["status"] == "duplicate"
    assert await counted(questions["choice"]) == [phone.participant.pk]
    await again.close()


async def test_ping_is_answered(room, make_phone):
    phone = await make_phone()
    await phone.send({"type": "ping"})
    assert await phone.receive_type("pong") == {"type": "pong"}
    await phone.close()


@sync_to_async(thread_sensitive=False)
def counted_elsewhere(question):
    """Read on another thread, so another database connection: only committed rows."""
    from django.db import connection

    try:
        return Response.objects.filter(question=question, status=ResponseStatus.COUNTED).count()
    finally:
        connection.close()


async def test_the_ack_comes_after_the_commit(room, make_phone):
    _session, questions = room
    option = await sync_to_async(lambda: questions["choice"].options.first().pk)()
    phone = await make_phone()
    await phone.send(answer(questions["choice"], {"option": option}))
    assert (await phone.receive_type("ack"))["status"] == "counted"
    assert await counted_elsewhere(questions["choice"]) == 1


async def test_rate_limited_answers_come_back_with_their_client_id(room, frozen_clock, make_phone):
    _session, questions = room
    option = await sync_to_async(lambda: questions["choice"].options.first().pk)()
    phone = await make_phone()
    for i in range(25):
        await phone.send(answer(questions["choice"], {"option": option}, f"client-{i:06d}"))
    acks = [await phone.receive_type("ack") for _ in range(25)]
    limited = [a for a in acks if a["status"] == "rejected"]
    assert len(limited) == 5
    assert all(
        a["code"] == "rate_limited" and a["client_id"].startswith("client-") for a in limited
    )


async def test_one_participant_shares_one_budget_over_two_sockets(room, frozen_clock, make_phone):
    session, _questions = room
    first = await make_phone()
    second = Client(f"/ws/s/{session.join_code}/", phone_headers(session, first.participant))
    await second.connect()
    await second.receive_type("welcome")
    for client in (first, second):
        for _ in range(15):
            await client.send({"type": "dance"}, valid=False)
    codes = [(await first.receive_type("error"))["code"] for _ in range(15)]
    codes += [(await second.receive_type("error"))["code"] for _ in range(15)]
    assert codes.count("rate_limited") == 10
    await first.close()
    await second.close()


async def test_a_failing_handler_answers_internal_and_the_socket_lives_on(room, make_phone):
    from unittest import mock

    _session, questions = room
    phone = await make_phone()
    option = await sync_to_async(lambda: questions["choice"].options.first().pk)()
    with mock.patch(
        "sessions_app.services.participation._count_many", side_effect=RuntimeError("disk full")
    ):
        await phone.send(answer(questions["choice"], {"option": option}))
        ack = await phone.receive_type("ack")
    assert (ack["status"], ack["code"], ack["client_id"]) == (
        "rejected",
        "internal",
        "client-000001",
    )
    await phone.send({"type": "ping"})
    assert (await phone.receive_type("pong"))["type"] == "pong"
    await phone.send(answer(questions["choice"], {"option": option}))  # the same id, now it counts
    assert (await phone.receive_type("ack"))["status"] == "counted"
    await phone.close()


async def test_messages_follow_the_visitors_language(room):
    session, _questions = room
    participant = await sync_to_async(participant_join)(session=session, via="room")
    headers = phone_headers(session, participant)
    headers[1] = (b"cookie", headers[1][1] + b"; django_language=en")
    phone = Client(f"/ws/s/{session.join_code}/", headers)
    await phone.connect()
    await phone.send({"type": "dance"}, valid=False)
    assert (await phone.receive_type("error"))["message"] == "This kind of message is not known."
    await phone.close()


async def test_closing_reaches_the_phones(room, make_phone, organiser):
    _session, questions = room
    phone = await make_phone()
    await phone.send({"type": "hello", "last_version": None})
    await phone.receive_type("snapshot")
    await sync_to_async(question_close)(user=organiser, question=questions["choice"])
    closed = await phone.receive_type(
        "snapshot",
        timeout=3,
        where=lambda m: m["questions"] and m["questions"][0]["state"] == "closed",
    )
    assert closed["questions"][0]["id"] == questions["choice"].pk
    await phone.close()


async def test_console_commands_of_the_wrong_shape_and_moderation(
    room, facilitator_headers, make_phone, organiser
):
    session, questions = room
    console = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
    await console.connect()
    await console.send({"type": "command", "id": "x1", "command": ["open"]}, valid=False)
    assert (await console.receive_type("result"))["code"] == "unknown_type"
    await console.send(
        {"type": "command", "id": "x2", "command": "moderate", "response": 1, "decision": ["hide"]},
        valid=False,
    )
    assert (await console.receive_type("result"))["code"] == "invalid_answer"
    # A text answer, approved from the console, reaches the wall.
    await sync_to_async(question_open)(user=organiser, question=questions["text"])
    phone = await make_phone()
    await phone.send(answer(questions["text"], {"text": "Meer bomen"}, "client-text01"))
    await phone.receive_type("ack")
    response_id = await sync_to_async(lambda: Response.objects.get(question=questions["text"]).pk)()
    await console.send(
        {
            "type": "command",
            "id": "x3",
            "command": "moderate",
            "response": response_id,
            "decision": "hide",
        }
    )
    assert (await console.receive_type("result"))["code"] == "reason_required"
    await console.send(
        {
            "type": "command",
            "id": "x4",
            "command": "moderate",
            "response": response_id,
            "decision": "approve",
        }
    )
    assert (await console.receive_type("result"))["ok"] is True
    await console.send(
        {"type": "command", "id": "x5", "command": "reveal", "question": questions["text"].pk}
    )
    await console.receive_type("result")
    snapshot = await console.receive_type(
        "snapshot",
        where=lambda m: any(
            q["id"] == questions["text"].pk and q["results"]["approved"] for q in m["agenda"]
        ),
    )
    text = next(q for q in snapshot["agenda"] if q["id"] == questions["text"].pk)
    assert [t["text"] for t in text["results"]["approved"]] == ["Meer bomen"]
    await phone.close()
    await console.close()


async def test_a_role_taken_away_counts_from_the_next_command(
    room, facilitator_headers, organiser, monkeypatch
):
    """A command sent before the console has closed (here it is never asked to look at
    its account again) is still run as the account is now: refused."""
    from realtime import consumers, receivers
    from sessions_app.models import StaffRole
    from sessions_app.services.staff import staff_revoke

    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 3600)
    monkeypatch.setattr(receivers, "recheck_consoles", lambda *args: None)
    session, questions = room
    console = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
    await console.connect()
    await console.receive_type("welcome")
    role = await sync_to_async(
        lambda: StaffRole.objects.select_related("process", "user").get(user__username="fenna")
    )()
    await sync_to_async(staff_revoke)(user=organiser, staff_role=role)
    await console.send(
        {"type": "command", "id": "r1", "command": "close", "question": questions["choice"].pk}
    )
    result = await console.receive_type("result")
    assert (result["ok"], result["code"]) == (False, "not_staff")
    await console.close()


async def test_an_open_console_is_closed_once_its_account_may_no_longer_use_it(
    room, facilitator_headers, organiser, client, monkeypatch
):
    """The snapshots carry the moderation queue and unrevealed results: a console whose
    role is taken away, or whose login ends, is closed within ``RECHECK_SECONDS`` and
    leaves the room, not only refused its next command."""
    from realtime import consumers
    from sessions_app.models import StaffRole
    from sessions_app.services.staff import staff_revoke

    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0.1)
    session, _questions = room
    broadcaster = get_broadcaster()
    console = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
    await console.connect()
    await console.receive_type("welcome")
    assert len(broadcaster.rooms[session.pk].members["facilitator"]) == 1
    role = await sync_to_async(
        lambda: StaffRole.objects.select_related("process", "user").get(user__username="fenna")
    )()
    await sync_to_async(staff_revoke)(user=organiser, staff_role=role)
    refused = await console.receive_type("error")
    assert refused["code"] == "not_allowed"
    closed = await console.communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": protocol.CLOSE_FORBIDDEN}
    assert (
        session.pk not in broadcaster.rooms
        or not broadcaster.rooms[session.pk].members["facilitator"]
    )
    await console.close()
    # Logged out in the browser: the console it left open closes too.
    await sync_to_async(
        lambda: StaffRole.objects.create(process=role.process, user=role.user, role=role.role)
    )()
    again = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
    await again.connect()
    await again.receive_type("welcome")
    await sync_to_async(client.logout)()
    assert (await again.receive_type("error"))["code"] == "not_allowed"
    await again.close()


async def test_a_console_closes_at_once_when_its_account_loses_the_right(
    room, facilitator_headers, organiser, client, make_user, grant, monkeypatch
):
    """A console does not wait for its next look at the account (``RECHECK_SECONDS``,
    an hour here): its role taken away, a logout, the password changed, the account
    deactivated in the admin, and it closes at once. Another account's console stays."""
    from django.contrib.auth import get_user_model
    from django.test import Client as PageClient
    from django.urls import reverse

    from realtime import consumers
    from sessions_app.models import Role, StaffRole
    from sessions_app.services.staff import staff_revoke

    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 3600)
    session, _questions = room

    def headers_of(page_client):
        return [ORIGIN, (b"cookie", f"sessionid={page_client.cookies['sessionid'].value}".encode())]

    @sync_to_async
    def log_in(username, role=None):
        user = get_user_model().objects.get_or_create(username=username)[0]
        if role:
            grant(session.process, user, role)
        page_client = PageClient()
        page_client.force_login(user)
        return page_client

    async def console_of(headers):
        console = Client(f"/ws/facilitate/{session.join_code}/", headers)
        await console.connect()
        await console.receive_type("welcome")
        return console

    async def closes(console):
        assert (await console.receive_type("error", timeout=3))["code"] == "not_allowed"
        closed = await console.communicator.receive_output(timeout=3)
        assert closed == {"type": "websocket.close", "code": protocol.CLOSE_FORBIDDEN}
        await console.close()

    other = await console_of(headers_of(await log_in("floor", Role.FACILITATOR)))

    # The role taken away.
    console = await console_of(facilitator_headers)
    role = await sync_to_async(
        lambda: StaffRole.objects.select_related("process", "user").get(user__username="fenna")
    )()
    await sync_to_async(staff_revoke)(user=organiser, staff_role=role)
    await closes(console)
    await sync_to_async(grant)(session.process, role.user, Role.FACILITATOR)

    # Logged out on the site.
    console = await console_of(facilitator_headers)
    await sync_to_async(client.post)(reverse("logout"))
    await closes(console)

    # The password changed (here by the account itself, elsewhere).
    page_client = await log_in("fenna")
    console = await console_of(headers_of(page_client))

    @sync_to_async
    def change_password():
        user = get_user_model().objects.get(username="fenna")
        user.set_password("een-heel-ander-wachtwoord-2026")
        user.save()

    await change_password()
    await closes(console)

    # Deactivated in the admin.
    console = await console_of(headers_of(await log_in("fenna")))

    @sync_to_async
    def deactivate():
        admin = get_user_model().objects.create_superuser("beheer", "beheer@example.org", "x")
        admin_client = PageClient()
        admin_client.force_login(admin)
        fenna = get_user_model().objects.get(username="fenna")
        admin_client.post(
            reverse("admin:sessions_app_user_changelist"),
            {"action": "deactivate", "_selected_action": [fenna.pk]},
        )

    await deactivate()
    await closes(console)

    # Floor's console was asked nothing and is still open.
    await other.send({"type": "ping"})
    assert (await other.receive_type("pong"))["type"] == "pong"
    await other.close()


async def test_a_console_is_refused_while_its_login_owes_a_second_factor(
    room, facilitator_headers, settings
):
    """As the console's page, the console's socket asks for the second factor a
    two-factor account owes (here: an account with an authenticator that logged in
    without its code)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sessions_app.models import User

    session, _questions = room
    await sync_to_async(
        lambda: TOTPDevice.objects.create(user=User.objects.get(username="fenna"), confirmed=True)
    )()
    console = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
    await console.connect()
    assert (await console.receive())["code"] == "not_allowed"
    await console.close()


async def test_staff_of_another_process_cannot_use_the_console_socket(
    room, client, make_process, make_user
):
    session, _questions = room

    @sync_to_async
    def log_in_other_organiser():
        other = make_user("otto")
        make_process(user=other, title="Ander proces")
        client.force_login(other)
        return [ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]

    console = Client(f"/ws/facilitate/{session.join_code}/", await log_in_other_organiser())
    await console.connect()
    assert (await console.receive())["code"] == "not_allowed"
    await console.close()


async def test_hands_typed_in_the_console_reach_the_results_split_by_source(
    room, facilitator_headers, make_phone
):
    session, questions = room
    choice = questions["choice"]
    first, second = await sync_to_async(
        lambda: list(choice.options.order_by("position").values_list("pk", flat=True)[:2])
    )()
    phone = await make_phone("room")
    await phone.send(answer(choice, {"option": first}, "client-hands1"))
    await phone.receive_type("ack")
    console = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
    await console.connect()
    await console.send({"type": "hello", "last_version": None})
    await console.receive_type("snapshot")
    await console.send(
        {
            "type": "command",
            "id": "h1",
            "command": "hands",
            "question": choice.pk,
            "counts": {str(first): 12, str(second): 30},
        }
    )
    assert (await console.receive_type("result"))["ok"] is True

    def hands_of(message):
        found = next(q for q in message["agenda"] if q["id"] == choice.pk)
        return found["results"]["respondents"]

    snapshot = await console.receive_type("snapshot", where=lambda m: hands_of(m)["hands"] == 42)
    assert (hands_of(snapshot)["room"], hands_of(snapshot)["total"]) == (1, 43)
    # A negative count is refused and changes nothing.
    await console.send(
        {
            "type": "command",
            "id": "h2",
            "command": "hands",
            "question": choice.pk,
            "counts": {str(first): -3},
        },
        valid=False,
    )
    refused = await console.receive_type("result")
    assert refused["ok"] is False and refused["code"] == "hands_invalid"
    assert refused["message"].startswith("A count of hands is a whole number")
    from sessions_app.models import HandCount

    assert await sync_to_async(HandCount.objects.count)() == 2
    await phone.close()
    await console.close()


async def test_answers_arriving_together_are_written_in_one_batch(room, make_phone):
    from realtime.batcher import get_batcher

    _session, questions = room
    choice = questions["choice"]
    first = await sync_to_async(lambda: choice.options.first().pk)()
    phones = [await make_phone() for _ in range(12)]
    batcher = get_batcher()
    batcher.sizes.clear()
    for index, phone in enumerate(phones):
        await phone.send(answer(choice, {"option": first}, f"together-{index:03d}"))
    acks = [await phone.receive_type("ack") for phone in phones]
    assert {ack["status"] for ack in acks} == {"counted"}
    assert sum(batcher.sizes) == 12 and max(batcher.sizes) > 1
    assert len(await counted(choice)) == 12
    for phone in phones:
        await phone.close()
