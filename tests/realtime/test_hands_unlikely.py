"""The console's websocket asks about a show of hands far beyond the room as the plain
form does (``tests/sessions_app/test_hands_unlikely.py``): refused as ``hands_unlikely``
with the typed total and the room's numbers in its message, nothing stored; sent again
with ``confirm: true``, recorded."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from sessions_app.models import HandCount

from .conftest import Client

pytestmark = pytest.mark.django_db(transaction=True)


async def test_an_unlikely_count_is_refused_until_confirmed(room, make_phone, facilitator_headers):
    session, questions = room
    choice = questions["choice"]
    first, second = await sync_to_async(
        lambda: list(choice.options.order_by("position").values_list("pk", flat=True)[:2])
    )()
    phones = [await make_phone("room") for _ in range(4)] + [await make_phone("remote")]
    console = Client(f"/ws/facilitate/{session.join_code}/", facilitator_headers)
    await console.connect()
    await console.send({"type": "hello", "last_version": None})
    await console.receive_type("snapshot")
    typo = {
        "type": "command",
        "id": "hands-typo",
        "command": "hands",
        "question": choice.pk,
        "counts": {str(first): 1500, str(second): 3},
    }
    await console.send(typo)
    refused = await console.receive_type("result")
    assert (refused["id"], refused["ok"], refused["code"]) == (
        "hands-typo",
        False,
        "hands_unlikely",
    )
    assert refused["message"].startswith(
        "1,503 hands in all: far more than this room has shown (phones joined: 5; paper "
        "forms entered: 0). Nothing was recorded."
    )
    assert await sync_to_async(HandCount.objects.count)() == 0

    # A plausible count goes through without a word.
    await console.send({**typo, "id": "hands-right", "counts": {str(first): 15, str(second): 3}})
    assert (await console.receive_type("result"))["ok"] is True
    # Confirmed, the large one is recorded as a correction like any other.
    await console.send({**typo, "id": "hands-sure", "confirm": True})
    result = await console.receive_type("result")
    assert (result["id"], result["ok"]) == ("hands-sure", True)
    counts = await sync_to_async(
        lambda: sorted(HandCount.objects.values_list("option_id", "count"))
    )()
    assert counts == sorted([(first, 15), (second, 3), (first, 1500)])
    for phone in phones:
        await phone.close()
    await console.close()
