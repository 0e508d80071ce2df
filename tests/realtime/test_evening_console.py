"""Issue 18, the console's socket: refusals in the console page's language (never "Not
done" in English around a Dutch reason), reopening an ended session, a notice when a
question opened again has its results hidden, and closing paper with a confirmation."""

import pytest
from asgiref.sync import sync_to_async

from sessions_app.models import LiveSession
from sessions_app.services.facilitation import question_close, question_reveal

from .conftest import Client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def console(session, headers, language: str) -> Client:
    client = Client(
        f"/ws/facilitate/{session.join_code}/", [*headers, (b"accept-language", language.encode())]
    )
    await client.connect()
    await client.receive_type("welcome")
    await client.send({"type": "hello", "last_version": None})
    await client.receive_type("snapshot")
    return client


async def command(client: Client, id_: str, **fields) -> dict:
    await client.send({"type": "command", "id": id_, **fields})
    return await client.receive_type("result", where=lambda m: m["id"] == id_)


async def test_refusals_speak_the_console_pages_language(room, facilitator_headers):
    session, _questions = room
    assert session.process.language == "nl"
    english = await console(session, facilitator_headers, "en-GB,en;q=0.9")
    dutch = await console(session, facilitator_headers, "nl-NL,nl;q=0.9")
    ended = await command(english, "c-end", command="end")
    assert ended == {"type": "result", "id": "c-end", "ok": True}
    refused = await command(english, "c-next", command="next")
    assert (refused["ok"], refused["code"]) == (False, "session_ended")
    assert refused["message"] == "This session has ended."
    assert (await command(dutch, "c-next", command="next"))["message"] == (
        "Deze bijeenkomst is afgelopen."
    )
    # Reopened from the console, within the grace period.
    assert (await command(english, "c-again", command="reopen"))["ok"] is True
    state = await sync_to_async(lambda: LiveSession.objects.get(pk=session.pk).state)()
    assert state == "live"
    refused = await command(english, "c-again2", command="reopen")
    assert refused["code"] == "session_not_ended"
    await english.close()
    await dutch.close()


async def test_opening_again_comes_back_with_a_notice(room, facilitator_headers, organiser):
    session, questions = room
    choice = questions["choice"]
    await sync_to_async(question_close)(user=organiser, question=choice)
    await sync_to_async(question_reveal)(user=organiser, question=choice, revealed=True)
    client = await console(session, facilitator_headers, "en")
    result = await command(client, "c-open", command="open", question=choice.pk)
    assert result == {"type": "result", "id": "c-open", "ok": True, "notice": "results_hidden"}
    snapshot = await client.receive_type(
        "snapshot",
        where=lambda m: next(q for q in m["agenda"] if q["id"] == choice.pk)["state"] == "open",
    )
    assert next(q for q in snapshot["agenda"] if q["id"] == choice.pk)["revealed"] is False
    await client.close()


async def test_paper_close_by_socket(room, facilitator_headers):
    session, _questions = room
    client = await console(session, facilitator_headers, "en")
    result = await command(client, "c-paper", command="paper_close", confirm=True)
    assert result["ok"] is True
    closed = await sync_to_async(lambda: LiveSession.objects.get(pk=session.pk).paper_closed_at)()
    assert closed is not None
    await client.close()


async def test_a_connected_phone_is_told_the_session_ended(room, make_phone, organiser):
    """Ending the session reaches the phones still connected: their next snapshot says
    ``ended`` (the phone page then says the meeting is over, instead of "live")."""
    from sessions_app.services.facilitation import session_end

    session, _questions = room
    phone = await make_phone()
    await sync_to_async(session_end)(user=organiser, session=session)
    snapshot = await phone.receive_type(
        "snapshot", where=lambda m: m["session"]["state"] == "ended"
    )
    assert all(q["state"] != "open" for q in snapshot["questions"])
    await phone.close()
