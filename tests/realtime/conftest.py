"""Websocket tests run the real ASGI stack (origin check, auth, routing, consumers) with
Channels' WebsocketCommunicator, against a committed database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.http import HttpResponse
from jsonschema import Draft202012Validator

from config.asgi import application
from sessions_app.cookies import cookie_name, set_token
from sessions_app.models import Role
from sessions_app.services.facilitation import question_open
from sessions_app.services.participation import participant_join
from sessions_app.services.processes import process_publish

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "realtime-protocol.schema.json").read_text()
)
VALIDATOR = Draft202012Validator(SCHEMA)
ORIGIN = (b"origin", b"http://testserver")
HOST = (b"host", b"testserver")


@pytest.fixture(autouse=True)
async def _close_worker_connections():
    """Consumers reach the database from ``sync_to_async``'s worker thread and the writer
    thread; close their connections so PostgreSQL can drop the test database at the end."""
    yield
    from django.db import connections

    from sessions_app import writer

    await sync_to_async(connections.close_all)()
    await sync_to_async(writer.close_connections, thread_sensitive=False)()


def check(message: dict) -> dict:
    """Every message, in both directions, must match the documented protocol."""
    errors = sorted(VALIDATOR.iter_errors(message), key=str)
    assert not errors, f"{message} does not match the protocol: {errors[0].message}"
    return message


class Client:
    """A communicator that checks every message against the protocol schema."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]]):
        # As a browser does, with the Host it connects to (unless the test gives one).
        if not any(name == b"host" for name, _value in headers):
            headers = [HOST, *headers]
        self.communicator = WebsocketCommunicator(application, path, headers=headers)

    async def connect(self):
        return await self.communicator.connect(timeout=5)

    async def send(self, message: dict, *, valid: bool = True):
        if valid:
            check(message)
        await self.communicator.send_to(text_data=json.dumps(message))

    async def send_text(self, text: str):
        await self.communicator.send_to(text_data=text)

    async def receive(self, timeout: float = 5) -> dict:
        return check(json.loads(await self.communicator.receive_from(timeout=timeout)))

    async def receive_type(self, kind: str, timeout: float = 5, where=lambda message: True) -> dict:
        """The next message of type ``kind`` that satisfies ``where``, skipping others."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {kind} message within {timeout} s")
            message = await self.receive(timeout=left)
            if message["type"] == kind and where(message):
                return message

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def close(self):
        await self.communicator.disconnect()


def phone_headers(session, participant) -> list[tuple[bytes, bytes]]:
    response = HttpResponse()
    set_token(response, session.pk, participant.token)
    value = response.cookies[cookie_name(session.pk)].value
    return [ORIGIN, (b"cookie", f"{cookie_name(session.pk)}={value}".encode())]


@pytest.fixture
def room(organiser, live_session, make_question):
    """A published process whose session has a single choice, a scale, a budget, an open
    text and a statements question; the first is open."""
    questions = {
        "choice": make_question("single_choice"),
        "multiple": make_question("multiple_choice"),
        "scale": make_question("scale"),
        "budget": make_question("budget"),
        "text": make_question("open_text", max_length=20),
        "statements": make_question("statements", participants_may_add=True),
    }
    process_publish(user=organiser, process=live_session.process)
    question_open(user=organiser, question=questions["choice"])
    live_session.refresh_from_db()
    return live_session, questions


@pytest.fixture
def make_phone(room):
    session, _questions = room

    async def make(via: str = "room") -> Client:
        participant = await sync_to_async(participant_join)(session=session, via=via)
        client = Client(f"/ws/s/{session.join_code}/", phone_headers(session, participant))
        connected, _code = await client.connect()
        assert connected
        welcome = await client.receive_type("welcome")
        assert welcome["participant"] == participant.public_id
        client.participant = participant
        return client

    return make


@pytest.fixture
def facilitator_headers(client, room, make_user, grant):
    session, _questions = room
    user = make_user("fenna")
    grant(session.process, user, Role.FACILITATOR)
    client.force_login(user)
    return [ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


@pytest.fixture
def frozen_clock(monkeypatch):
    """Rate limits without time passing, so the counts do not depend on machine speed."""
    from realtime import consumers
    from realtime.ratelimit import TokenBucket

    monkeypatch.setattr(
        consumers, "TokenBucket", lambda rate, burst: TokenBucket(rate, burst, clock=lambda: 0.0)
    )
