"""A phone without JavaScript whose answer is refused, in real Chromium: the page comes
back with the error in the question's card, focused, and the form as the person filled it
in, so that correcting it is enough."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.models import Response, ResponseStatus
from sessions_app.services import facilitation
from sessions_app.services.processes import process_publish

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def evening(live_session, make_question, organiser):
    choice, budget = make_question("multiple_choice"), make_question("budget")  # 2, 100
    process_publish(user=organiser, process=live_session.process)
    for question in (choice, budget):
        facilitation.question_open(user=organiser, question=question)
    live_session.refresh_from_db()
    return live_session, choice, budget


@sync_to_async
def counted(question) -> list[set[str]]:
    return [
        {item.option.text for item in response.items.select_related("option")}
        for response in Response.objects.filter(question=question, status=ResponseStatus.COUNTED)
    ]


async def test_a_refused_answer_keeps_what_was_filled_in(browser, daphne_url, evening):
    session, choice, budget = evening
    context = await browser.new_context(
        locale="nl-NL", viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    phone = await context.new_page()
    await phone.goto(f"{daphne_url}/j/{session.join_code}/")
    await phone.get_by_role("button", name="Meedoen").click()
    await expect(phone).to_have_url(re.compile(f"/j/{session.join_code}/answer/$"))

    card = phone.locator(f"#question-{budget.pk}")
    await card.get_by_label("Groen").fill("50")
    await card.get_by_label("Markt").fill("40")
    await card.get_by_role("button", name="Antwoord versturen").click()
    card = phone.locator(f"#question-{budget.pk}")
    error = card.get_by_role("status").locator(".is-error")
    await expect(error).to_have_text("De punten moeten samen precies het totaal zijn.")
    await expect(error).to_be_focused()
    await expect(card.get_by_label("Groen")).to_have_value("50")
    await expect(card.get_by_label("Markt")).to_have_value("40")
    await card.get_by_label("Fietsen").fill("10")
    await card.get_by_role("button", name="Antwoord versturen").click()
    await expect(phone.locator(f"#question-{budget.pk} .answer-done")).to_be_visible()
    assert await counted(budget) == [{"Groen", "Markt", "Fietsen"}]

    card = phone.locator(f"#question-{choice.pk}")
    for name in ("Groen", "Markt", "Fietsen"):
        await card.get_by_label(name).check()
    await card.get_by_role("button", name="Antwoord versturen").click()
    card = phone.locator(f"#question-{choice.pk}")
    await expect(card.locator(".is-error")).to_have_text("U hebt meer keuzes gemaakt dan mag.")
    for name in ("Groen", "Markt", "Fietsen"):
        await expect(card.get_by_label(name)).to_be_checked()
    # The budget's card, answered before, still confirms its answer.
    await expect(phone.locator(f"#question-{budget.pk} .answer-done")).to_be_visible()
    await card.get_by_label("Fietsen").uncheck()
    await card.get_by_role("button", name="Antwoord versturen").click()
    await expect(phone.locator(f"#question-{choice.pk} .answer-done")).to_be_visible()
    assert await counted(choice) == [{"Groen", "Markt"}]
    await context.close()
