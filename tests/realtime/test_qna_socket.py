"""Questions to the panel over the sockets (issue 21): asking with moderation, upvotes
acknowledged after commit and never counted twice, withdrawals, merged duplicates, and a
presenter that gets coalesced snapshots, not a frame per vote. Every message is checked
against the protocol schema (``conftest.Client``)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from sessions_app.models import Option, Response, ResponseStatus
from sessions_app.services.facilitation import question_open, session_show, statement_moderate
from sessions_app.services.processes import panel_replace
from sessions_app.specs import PanelMemberSpec

from .conftest import Client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def qna_round(room, organiser, make_question):
    session, _questions = room
    panel_replace(
        user=organiser, process=session.process, panel=[PanelMemberSpec("Wethouder", "verkeer")]
    )
    question = make_question("qna", max_length=200, panel=["Wethouder"])
    question_open(user=organiser, question=question)
    session_show(user=organiser, session=session, question=question)
    return session, question


def ask(question, text, client_id, **extra):
    return {"type": "ask", "client_id": client_id, "question": question.pk, "text": text, **extra}


def upvote(question, asked_id, client_id, vote="up"):
    return {
        "type": "answer",
        "client_id": client_id,
        "question": question.pk,
        "answer": {"statement": asked_id, "vote": vote},
    }


@sync_to_async
def ups(asked_id):
    return Response.objects.filter(
        statement_id=asked_id, status=ResponseStatus.COUNTED, number=1
    ).count()


def listed(snapshot, question):
    [mine] = [q for q in snapshot["questions"] if q["id"] == question.pk]
    return {item["id"]: item for item in mine["asked"]}


async def test_ask_moderate_upvote_replay_and_withdraw(qna_round, make_phone, facilitator_headers):
    session, question = qna_round
    asker, voter = await make_phone(), await make_phone("remote")
    member = await sync_to_async(lambda: question.panel.get().pk)()
    await asker.send(ask(question, "Komt er een zebrapad?", "ask-00000001", panel_member=member))
    ack = await asker.receive_type("ack")
    assert (ack["status"], ack["counted"]) == ("held", False)
    asked_id = ack["asked"]
    # Waiting for a facilitator: nobody can upvote it yet.
    await voter.send(upvote(question, asked_id, "vote-0000001"))
    refused = await voter.receive_type("ack")
    assert (refused["status"], refused["code"]) == ("rejected", "invalid_statement")

    console = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
    assert (await console.connect())[0]
    await console.receive_type("welcome")
    await console.send({"type": "hello", "last_version": None})
    # (The snapshot built before the question was asked may come first: the tick after
    # the change follows within 0.1 s.)
    snapshot = await console.receive_type("snapshot", where=lambda m: m["moderation"]["statements"])
    assert [s["id"] for s in snapshot["moderation"]["statements"]] == [asked_id]
    await console.send(
        {
            "type": "command",
            "id": "m1",
            "command": "moderate",
            "statement": asked_id,
            "decision": "approve",
        }
    )
    assert (await console.receive_type("result"))["ok"] is True

    await voter.send({"type": "hello", "last_version": None})
    shown = await voter.receive_type("snapshot", where=lambda m: asked_id in listed(m, question))
    assert listed(shown, question)[asked_id]["panel_member"] == member

    await voter.send(upvote(question, asked_id, "vote-0000002"))
    ack = await voter.receive_type("ack")
    assert (ack["status"], ack["counted"]) == ("counted", True)
    assert await ups(asked_id) == 1  # stored before the ack
    await voter.send(upvote(question, asked_id, "vote-0000002"))  # replayed
    assert (await voter.receive_type("ack"))["status"] == "duplicate"
    await voter.send(upvote(question, asked_id, "vote-0000003"))  # tapped again
    await voter.receive_type("ack")
    assert await ups(asked_id) == 1
    await voter.receive_type(
        "snapshot", where=lambda m: listed(m, question).get(asked_id, {}).get("votes") == 1
    )
    # The asker cannot upvote their own question.
    await asker.send(upvote(question, asked_id, "vote-0000004"))
    own = await asker.receive_type("ack")
    assert (own["status"], own["code"]) == ("rejected", "own_question")
    # Withdrawn: the count goes down, on the phones' list too.
    await voter.send(upvote(question, asked_id, "vote-0000005", vote="withdrawn"))
    await voter.receive_type("ack")
    assert await ups(asked_id) == 0
    later = await voter.receive_type(
        "snapshot", where=lambda m: listed(m, question).get(asked_id, {}).get("votes") == 0
    )
    assert later["questions"]
    mine = await sync_to_async(lambda: Option.objects.get(pk=asked_id).author_id)()
    assert mine == asker.participant.pk
    for client in (asker, voter, console):
        await client.close()


async def test_the_presenter_gets_coalesced_totals_and_the_pinned_question(
    qna_round, make_phone, facilitator_headers, organiser
):
    session, question = qna_round
    asker = await make_phone()
    await asker.send(ask(question, "Wanneer begint de bouw?", "ask-00000001"))
    asked_id = (await asker.receive_type("ack"))["asked"]
    await sync_to_async(
        lambda: statement_moderate(
            user=organiser, option=Option.objects.get(pk=asked_id), decision="approve"
        )
    )()
    console = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
    assert (await console.connect())[0]
    await console.receive_type("welcome")
    await console.send(
        {
            "type": "command",
            "id": "p1",
            "command": "qna_pin",
            "question": question.pk,
            "asked": asked_id,
        }
    )
    assert (await console.receive_type("result"))["ok"] is True

    presenter = Client(f"/ws/present/{session.join_code}/", [(b"origin", b"http://testserver")])
    assert (await presenter.connect())[0]
    await presenter.receive_type("welcome")
    await presenter.send({"type": "hello", "last_version": None})
    # (The snapshot built before the pin may come first: the tick after it follows
    # within 0.1 s.)
    first = await presenter.receive_type(
        "snapshot", where=lambda m: ((m["question"] or {}).get("qna") or {}).get("pinned")
    )
    assert first["question"]["qna"]["pinned"]["id"] == asked_id

    phones = [await make_phone("room" if i % 2 else "remote") for i in range(24)]
    await asyncio.gather(
        *(p.send(upvote(question, asked_id, f"vote-{i:08d}")) for i, p in enumerate(phones))
    )
    acks = await asyncio.gather(*(p.receive_type("ack") for p in phones))
    assert all(a["status"] == "counted" for a in acks)
    frames = []
    while True:
        snapshot = await presenter.receive_type("snapshot", timeout=3)
        frames.append(snapshot)
        pinned = snapshot["question"]["qna"]["pinned"]
        if pinned["votes"]["total"] == 24:
            break
    assert pinned["votes"] == {"room": 12, "remote": 12, "paper": 0, "hands": 0, "total": 24}
    assert snapshot["question"]["qna"]["votes"] == 24  # the whole round, added up
    assert "results" not in snapshot["question"]  # the list itself is the console's
    assert len(frames) < 24  # coalesced: never a frame per vote
    for client in (asker, console, presenter, *phones):
        await client.close()


async def test_the_asker_is_told_when_a_waiting_question_is_approved_or_hidden(
    qna_round, make_phone, organiser
):
    """A question waiting for a facilitator shows on its asker's phone (``mine``'s
    ``waiting``); approved or hidden, the phone is sent its ``mine`` again without it
    (others' phones are not)."""
    _session, question = qna_round
    asker, other = await make_phone(), await make_phone("remote")
    for phone in (asker, other):
        await phone.send({"type": "hello", "last_version": None})
        await phone.receive_type("mine")
    first, second = [], []
    for text, client_id, kept in (
        ("Waarom zo laat?", "ask-00000011", first),
        ("Wie betaalt dat?", "ask-00000012", second),
    ):
        await asker.send(ask(question, text, client_id))
        kept.append((await asker.receive_type("ack"))["asked"])
    [first], [second] = first, second
    waiting = await asker.receive_type(
        "mine", where=lambda m: len(m["answers"][str(question.pk)].get("waiting", ())) == 2
    )
    assert [item["text"] for item in waiting["answers"][str(question.pk)]["waiting"]] == [
        "Waarom zo laat?",
        "Wie betaalt dat?",
    ]

    asked = await sync_to_async(Option.objects.get)(pk=first)
    await sync_to_async(statement_moderate)(user=organiser, option=asked, decision="approve")
    told = await asker.receive_type("mine")
    assert told["answers"][str(question.pk)]["waiting"] == [
        {"id": second, "text": "Wie betaalt dat?"}
    ]
    hidden = await sync_to_async(Option.objects.get)(pk=second)
    await sync_to_async(statement_moderate)(
        user=organiser, option=hidden, decision="hide", reason="Dubbel."
    )
    told = await asker.receive_type("mine")
    assert "waiting" not in told["answers"][str(question.pk)]
    assert sorted(told["answers"][str(question.pk)]["own"]) == sorted([first, second])
    # The other phone had nothing waiting: it is not sent its answers again (everything
    # it got until the answer to a ping, sent after the asker was told).
    await other.send({"type": "ping"})
    heard = []
    while not heard or heard[-1] != "pong":
        heard.append((await other.receive())["type"])
    assert "mine" not in heard
    for phone in (asker, other):
        await phone.close()
