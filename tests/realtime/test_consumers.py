"""The phone, presenter and facilitator sockets: acks after commit, duplicates, and every
kind of bad input refused with a code while nothing changes."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from realtime.protocol import MAX_MESSAGE_BYTES
from sessions_app.models import LogEntry, Option, Response, ResponseStatus
from sessions_app.services.facilitation import question_close, question_open

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
    assert ack == {
        "type": "ack",
        "client_id": "client-000001",
        "question": choice.pk,
        "status": "counted",
        "counted": True,
    }
    # When the ack arrives, the answer is already in the database.
    assert await counted(choice) == [phone.participant.pk]
    before = await row_counts()
    await phone.send(answer(choice, {"option": option}))  # a replay: same client id
    replay = await phone.receive_type("ack")
    assert (replay["status"], replay["counted"]) == ("duplicate", True)
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


async def test_rate_limit(room, make_phone):
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


async def test_unknown_session_code(room):
    client = Client("/ws/present/NOPE42/", [ORIGIN])
    await client.connect()
    assert (await client.receive())["code"] == "unknown_session"
    assert (await client.communicator.receive_output(timeout=2))["code"] == 4404
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
