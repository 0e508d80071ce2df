"""The writer of its own: phones' answers are committed on a thread and connection of their
own, so nothing slow elsewhere in the server holds up an acknowledgement: not a
synchronous view (a page, an export, the rendering of a teller's form; Django runs each
request's on a thread of that request), and not the sockets' own reads (a phone
connecting, its answers on ``hello``, the snapshots), which Channels runs on one thread
shared by all."""

import asyncio
import threading
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator

from config.asgi import application
from sessions_app import writer
from sessions_app.models import Response, ResponseStatus

pytestmark = pytest.mark.django_db(transaction=True)


def answer(question, option: int, client_id: str) -> dict:
    return {
        "type": "answer",
        "client_id": client_id,
        "question": question.pk,
        "answer": {"option": option},
    }


def slow_page(started: threading.Event, release: threading.Event):
    """A synchronous view's work that does not end until the test says so."""

    def render(*args, **kwargs):
        started.set()
        assert release.wait(timeout=30), "the test never released the view"
        from django.shortcuts import render as real_render

        return real_render(*args, **kwargs)

    return render


async def test_an_answer_is_acknowledged_while_a_slow_synchronous_view_runs(room, make_phone):
    _session, questions = room
    choice = questions["choice"]
    phone = await make_phone()
    option = await sync_to_async(lambda: choice.options.first().pk)()
    started, release = threading.Event(), threading.Event()
    page = HttpCommunicator(application, "GET", "/j/", headers=[(b"host", b"testserver")])
    with mock.patch(
        "sessions_app.views.participate.render", side_effect=slow_page(started, release)
    ):
        # A real request through Django's ASGI handler, which runs the synchronous view
        # on the one thread it shares with every other synchronous view.
        request = asyncio.create_task(page.get_response(timeout=30))
        assert await asyncio.to_thread(started.wait, 10), "the view never started"
        try:
            await phone.send(answer(choice, option, "while-a-page-loads"))
            # The view is still blocked: if the answer waited for it, no ack would come.
            ack = await phone.receive_type("ack", timeout=10)
            view_still_running = not request.done()
        finally:
            release.set()
        response = await request
    assert (ack["status"], ack["counted"]) == ("counted", True)
    assert view_still_running
    assert response["status"] == 200
    # The ack came after the commit: the answer is stored, and it counts.
    stored = await sync_to_async(
        lambda: list(
            Response.objects.filter(client_id="while-a-page-loads").values_list("status", flat=True)
        )
    )()
    assert stored == [ResponseStatus.COUNTED]
    await phone.close()


def blocking(started: threading.Event, release: threading.Event, then):
    def wait(*args, **kwargs):
        started.set()
        assert release.wait(timeout=30), "the test never released it"
        return then(*args, **kwargs)

    return wait


async def test_an_answer_is_acknowledged_while_channels_shared_thread_is_busy(room, make_phone):
    """Channels runs the sockets' synchronous work (a phone's connect, its own answers on
    ``hello``, the snapshots) on one thread shared by all of them, where the answers used
    to be committed too: one slow read there held up every acknowledgement."""
    from realtime import consumers

    _session, questions = room
    choice = questions["choice"]
    phone, other = await make_phone(), await make_phone()
    option = await sync_to_async(lambda: choice.options.first().pk)()
    started, release = threading.Event(), threading.Event()
    with mock.patch.object(
        consumers,
        "participant_answers",
        side_effect=blocking(started, release, consumers.participant_answers),
    ):
        await other.send({"type": "hello", "last_version": None})
        assert await asyncio.to_thread(started.wait, 10), "the read never started"
        try:
            await phone.send(answer(choice, option, "while-a-read-runs"))
            ack = await phone.receive_type("ack", timeout=10)
            still_reading = not release.is_set()
        finally:
            release.set()
        mine = await other.receive_type("mine", timeout=10)
    assert (ack["status"], ack["counted"]) == ("counted", True)
    assert still_reading
    assert mine["answers"] == {}
    await phone.close()
    await other.close()


async def test_the_writer_runs_on_a_thread_of_its_own_and_survives_a_failing_job():
    def where():
        return threading.current_thread().name

    def fail():
        raise RuntimeError("a failing job")

    name = await writer.run(where)
    assert name.startswith("inspraak-writer")
    assert name != await sync_to_async(where)()
    with pytest.raises(RuntimeError, match="a failing job"):
        await writer.run(fail)
    assert await writer.run(where) == name  # the same thread goes on with the next job


async def test_on_sqlite_the_writer_leaves_checkpoints_to_a_thread_of_its_own():
    """SQLite copies its write-ahead log back every 1,000 pages in whichever connection
    commits then; a batch that met it took 20-30 ms instead of 5. The writer's connection
    never does; a thread of this process does, every second."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("a SQLite setting")

    def autocheckpoint():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            return cursor.fetchone()[0]

    assert await writer.run(autocheckpoint) == 0
    assert await sync_to_async(autocheckpoint)() == 1000  # other connections as SQLite has it
    names = [thread.name for thread in threading.enumerate() if thread.is_alive()]
    assert "inspraak-writer-checkpoints" in names
