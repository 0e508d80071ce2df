"""The console's refused forms in real Chromium against a real Daphne: without its script,
a refused reason for hiding and a refused show of hands come back as typed, the error
focused beside them; with it, the panel's answer refused comes back as typed and stays so
when the round's panel is refreshed by a phone's upvote."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.models import HandCount, Moderation, PanelAnswer, Response, Role
from sessions_app.services import facilitation, participation, qna
from sessions_app.services.processes import panel_replace, process_publish
from sessions_app.specs import PanelMemberSpec

from .helpers import log_in, no_axe_violations
from .test_live_session import join

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def evening(live_session, make_question, organiser, make_user, grant):
    """A choice and an open question, open, an open answer waiting for moderation, and a
    round of questions to the panel with one question asked."""
    process = live_session.process
    panel_replace(user=organiser, process=process, panel=[PanelMemberSpec("Anna Bakker")])
    choice = make_question("single_choice")
    wall = make_question("open_text")
    round_ = make_question("qna", max_length=300, qna_premoderate=False, panel=["Anna Bakker"])
    process_publish(user=organiser, process=process)
    for question in (choice, wall, round_):
        facilitation.question_open(user=organiser, question=question)
    phone = participation.participant_join(session=live_session, via="room")
    participation.response_submit(
        participant=phone,
        question_id=wall.pk,
        answer={"text": "Een watertappunt bij de bank"},
        client_id="answer-00000001",
    )
    asked, _created = qna.qna_ask(
        participant=phone,
        question_id=round_.pk,
        text="Wanneer begint de bouw?",
        client_id="ask-00000001",
    )
    grant(process, make_user("fenna"), Role.FACILITATOR)
    live_session.refresh_from_db()
    console_path = f"/manage/{process.slug}/sessions/{live_session.pk}/console/"
    return live_session, choice, wall, asked, console_path


@sync_to_async
def stored(wall) -> tuple:
    return (
        HandCount.objects.count(),
        PanelAnswer.objects.count(),
        list(Response.objects.filter(question=wall).values_list("moderation", flat=True)),
    )


async def test_without_its_script_refused_forms_come_back_as_typed(browser, daphne_url, evening):
    _session, choice, wall, _asked, console_path = evening
    context = await browser.new_context(locale="nl-NL", viewport=DESKTOP)
    context.set_default_timeout(10_000)
    # The console's script blocked, so its forms post as plain forms (and axe still runs).
    await context.route(re.compile(r".*/console[^/]*\.js$"), lambda route: route.abort())
    console = await context.new_page()
    await log_in(console, daphne_url, "fenna")
    await console.goto(daphne_url + console_path)
    before = await stored(wall)

    # A reason of spaces only passes the browser's check, not the server's.
    item = console.locator("#moderation-queue .moderation-item")
    await item.get_by_label("Reden om te verbergen").fill("   ")
    await item.get_by_role("button", name="Verbergen").click()
    reason = console.locator("#moderation-queue").get_by_label("Reden om te verbergen")
    await expect(reason).to_be_focused()
    await expect(reason).to_have_value("   ")
    await expect(reason).to_have_accessible_description("Fout: Geef een reden.")
    assert await stored(wall) == before == (0, 0, [Moderation.PENDING])
    await no_axe_violations(console)

    # A show of hands over the limit: the numbers as typed, the error focused beside them.
    hands = console.locator(f"#q-{choice.pk} details.hands")
    await hands.locator("summary").click()
    await hands.get_by_label("Groen").fill("12")
    await hands.get_by_label("Markt").fill("100001")
    await hands.get_by_role("button", name=re.compile("^Handen opslaan")).click()
    hands = console.locator(f"#q-{choice.pk} details.hands")
    error = hands.locator(".field-error")
    await expect(error).to_have_text(
        "Fout: Een aantal handen is een geheel getal van 0 tot en met 100.000."
    )
    await expect(error).to_be_focused()
    await expect(hands.get_by_label("Groen")).to_have_value("12")
    await expect(hands.get_by_label("Markt")).to_have_value("100001")
    await expect(hands.get_by_label("Fietsen")).to_have_value("")
    assert await stored(wall) == before
    await no_axe_violations(console)
    # Corrected on the page shown again, the counts stand.
    await hands.get_by_label("Markt").fill("10")
    await hands.get_by_role("button", name=re.compile("^Handen opslaan")).click()
    await expect(console).to_have_url(re.compile(f"{re.escape(console_path)}#q-{choice.pk}$"))
    assert (await stored(wall))[0] == 2
    await context.close()


async def test_a_refused_answer_stays_as_typed_when_the_round_refreshes(
    browser, daphne_url, evening
):
    session, _choice, wall, asked, console_path = evening
    console = await browser.new_page(locale="nl-NL", viewport=DESKTOP)
    await log_in(console, daphne_url, "fenna")
    await console.goto(daphne_url + console_path)
    await expect(console.locator("#console-status")).to_have_text("Live")

    # "In writing" without its date: refused by the server, shown again as typed.
    item = console.locator(f"#asked-{asked.pk}")
    summary = "Samenvatting van het antwoord (alleen als u “samenvatting” kiest)"
    typed = "De bouw begint in het voorjaar; de planning volgt per brief."
    await item.get_by_label("wordt schriftelijk beantwoord").check()
    await item.get_by_label(summary).fill(typed)
    await item.get_by_role("button", name="Antwoord vastleggen").click()
    due = item.get_by_label("Schriftelijk beantwoord uiterlijk (datum)")
    await expect(due).to_be_focused()
    await expect(due).to_have_accessible_description(
        "Fout: Geef de datum waarop het schriftelijke antwoord er uiterlijk is."
    )
    # The page's address is the console's again, so a reload or a fetch gets the console.
    await expect(console).to_have_url(daphne_url + console_path)
    await expect(console.locator("#console-status")).to_have_text("Live")

    # Focus leaves the form; a phone upvotes, so the round's panel is fetched again.
    await console.locator("h1").click()
    await expect(due).not_to_be_focused()
    phone = await join(browser, daphne_url, session.join_code)
    await phone.locator(f'button[data-asked="{asked.pk}"]').click()
    await expect(phone.locator(f"#asked-{asked.pk}")).to_contain_text("1 stem")
    await expect(item.locator(".meta").first).to_contain_text("stemmen: 1")  # refreshed
    # What was typed and not sent is still there, with its error.
    await expect(item.get_by_label(summary)).to_have_value(typed)
    await expect(item.get_by_label("wordt schriftelijk beantwoord")).to_be_checked()
    await expect(item.locator(f"#answer-due-error-{asked.pk}")).to_be_visible()
    # Sent again with its date, it counts.
    await due.fill("2027-03-01")
    await item.get_by_role("button", name="Antwoord vastleggen").click()
    await expect(item.locator(".qna-answer")).to_contain_text("schriftelijk")
    assert (await stored(wall))[1] == 1
