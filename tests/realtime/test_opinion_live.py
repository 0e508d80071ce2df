"""The live opinion map: votes on a statements question make a new map on the opinion
tick, computed in a worker process and stored; the presenter gets the dots and the
groups, the phones only the groups; labels stay when more votes come."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from realtime import opinion as live_opinion
from realtime.broadcaster import Broadcaster
from sessions_app.models import OpinionMapState
from sessions_app.services.facilitation import question_open, question_reveal, session_show
from sessions_app.services.participation import participant_join
from sessions_app.workers import worker_pool_reset
from tests.statement_votes import vote_all

from .test_broadcast import Recorder

pytestmark = pytest.mark.django_db(transaction=True)


async def two_camps_on_screen(room, organiser, monkeypatch, *, revealed: bool):
    """The statements question open and on screen (its results shown or not), voted on
    by two camps of three; the opinion tick made fast."""
    monkeypatch.setattr(live_opinion, "OPINION_TICK", 0.1)
    session, questions = room
    statements = questions["statements"]
    await sync_to_async(question_open)(user=organiser, question=statements)
    await sync_to_async(session_show)(user=organiser, session=session, question=statements)
    if revealed:
        await sync_to_async(question_reveal)(user=organiser, question=statements, revealed=True)
    await sync_to_async(vote_all)(session, statements, [(3, "agree"), (3, "disagree")])
    return session, statements


async def until(condition, timeout: float = 60):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


def with_groups(recorder, count):
    def found():
        for message in reversed(recorder.sent):
            shown = [message["question"]] if message.get("question") else []
            for question in shown + message.get("questions", []):
                opinion = question.get("opinion")
                if opinion and len(opinion["groups"]) == count:
                    return message
        return None

    return found


async def test_votes_make_a_live_map_for_presenter_and_phones(room, organiser, monkeypatch):
    session, statements = await two_camps_on_screen(room, organiser, monkeypatch, revealed=True)

    broadcaster = Broadcaster(asyncio.get_running_loop())
    presenter, phone = Recorder(), Recorder()
    await broadcaster.join(session.pk, "presenter", presenter)
    await broadcaster.join(session.pk, "phone", phone, via="room")
    try:
        await until(with_groups(presenter, 2))
        await until(with_groups(phone, 2), timeout=10)
        shown = with_groups(presenter, 2)()["question"]["opinion"]
        assert shown["placed"] == 6 and len(shown["dots"]) == 6
        assert sorted(g["size"] for g in shown["groups"]) == [3, 3]
        assert {g["name"] for g in shown["groups"]} == {"A", "B"}
        assert {s["text"] for s in shown["divisive"]} == {"Auto's eruit.", "Meer bomen."}
        assert shown["consensus"] == []  # the camps agree on nothing
        # Each phone is told its own place, and only its own.
        placed, newcomer = Recorder(), Recorder()
        placed.participant = await sync_to_async(
            lambda: statements.responses.filter(status="counted").first().participant
        )()
        newcomer.participant = await sync_to_async(participant_join)(session=session, via="room")
        for recorder in (placed, newcomer):
            await broadcaster.join(session.pk, "phone", recorder, via="room")
        places = lambda recorder: [m for m in recorder.sent if m["type"] == "you"]  # noqa: E731
        await until(lambda: places(placed) and places(newcomer), timeout=10)
        mine = places(placed)[-1]
        assert mine["question"] == statements.pk and mine["group"] in {0, 1}
        assert len(mine["position"]) == 2
        assert places(newcomer)[-1]["position"] is None and places(newcomer)[-1]["group"] is None
        on_phone = next(
            q["opinion"] for q in with_groups(phone, 2)()["questions"] if q.get("opinion")
        )
        assert "dots" not in on_phone and on_phone["groups"] == shown["groups"]
        stored = await sync_to_async(OpinionMapState.objects.get)(question=statements)
        first = dict(stored.data["positions"])

        # More people join the first camp: a new map, and everyone keeps their group.
        await sync_to_async(vote_all)(session, statements, [(2, "agree")])
        broadcaster.mark_dirty(session.pk, statements.pk)  # as the receivers do after commit
        await until(with_groups(presenter, 2))
        await until(
            lambda: with_groups(presenter, 2)()["question"]["opinion"]["placed"] == 8, timeout=60
        )
        stored = await sync_to_async(OpinionMapState.objects.get)(question=statements)
        again = stored.data["positions"]
        assert all(again[p][2] == first[p][2] for p in first)
        assert stored.seconds > 0
    finally:
        for task in (broadcaster.task, broadcaster.opinion_task):
            task.cancel()
        worker_pool_reset()


async def test_hidden_results_carry_no_map(room, organiser, monkeypatch):
    session, statements = await two_camps_on_screen(room, organiser, monkeypatch, revealed=False)
    broadcaster = Broadcaster(asyncio.get_running_loop())
    presenter = Recorder()
    await broadcaster.join(session.pk, "presenter", presenter)
    try:
        # The map is made (the facilitator sees it) but the projector shows none of it.
        exists = sync_to_async(OpinionMapState.objects.filter(question=statements).exists)
        for _ in range(600):
            if await exists():
                break
            await asyncio.sleep(0.1)
        assert await exists()
        await asyncio.sleep(0.5)
        assert all("opinion" not in (m["question"] or {}) for m in presenter.sent)
    finally:
        for task in (broadcaster.task, broadcaster.opinion_task):
            task.cancel()
        worker_pool_reset()
