"""A show of hands far beyond the room, in real Chromium against a real Daphne, with the
console's script: sent over the websocket, refused as ``hands_unlikely``; the console
then posts the same form, which comes back with the typed total beside the room's
numbers and "Yes, record it"; that button records it."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.models import HandCount, Role
from sessions_app.services import facilitation, participation
from sessions_app.services.processes import process_publish

from .helpers import log_in, no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def room(live_session, make_question, organiser, make_user, grant):
    """A choice open in a room where five phones joined; a facilitator."""
    choice = make_question("single_choice")
    process_publish(user=organiser, process=live_session.process)
    facilitation.question_open(user=organiser, question=choice)
    for _ in range(5):
        participation.participant_join(session=live_session, via="room")
    grant(live_session.process, make_user("fenna"), Role.FACILITATOR)
    console_path = f"/manage/{live_session.process.slug}/sessions/{live_session.pk}/console/"
    return choice, console_path


@sync_to_async
def counts() -> list[int]:
    return sorted(HandCount.objects.values_list("count", flat=True))


async def test_the_console_asks_before_recording_a_typo(browser, daphne_url, room):
    choice, console_path = room
    console = await browser.new_page(locale="nl-NL", viewport={"width": 1440, "height": 900})
    await log_in(console, daphne_url, "fenna")
    await console.goto(daphne_url + console_path)
    await expect(console.locator("#console-status")).to_have_text("Live")

    hands = console.locator(f"#q-{choice.pk} details.hands")
    await hands.locator("summary").click()
    await hands.get_by_label("Groen").fill("1500")
    await hands.get_by_role("button", name=re.compile("^Handen opslaan")).click()
    # Asked on the page, the numbers as typed and the total beside the room's.
    hands = console.locator(f"#q-{choice.pk} details.hands")
    error = hands.locator(".field-error")
    await expect(error).to_contain_text("1.500")
    await expect(error).to_contain_text("5")
    await expect(error).to_be_focused()
    await expect(hands.get_by_label("Groen")).to_have_value("1500")
    assert await counts() == []
    await no_axe_violations(console)

    await hands.locator("button[name=confirm_hands]").click()
    await expect(console).to_have_url(re.compile(f"{re.escape(console_path)}#q-{choice.pk}$"))
    await expect(console.locator(f"#q-{choice.pk} [data-field=counts]")).to_contain_text("1.500")
    assert await counts() == [1500]
    await expect(console.locator("button[name=confirm_hands]")).to_have_count(0)

    # A plausible correction goes over the websocket without a question.
    hands = console.locator(f"#q-{choice.pk} details.hands")
    await hands.locator("summary").click()
    await hands.get_by_label("Groen").fill("15")
    await hands.get_by_role("button", name=re.compile("^Handen opslaan")).click()
    await expect(console.locator(f"#q-{choice.pk} [data-field=counts]")).to_contain_text("15")
    assert await counts() == [15, 1500]
    await expect(console.locator(".field-error")).to_have_count(0)
