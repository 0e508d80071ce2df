"""Learning from a session in Chromium (issue 22): after an evening with an evaluation
answered on phones and paper, the facilitator types a note in the console (keyboard
only), opens the session report with the right numbers and their note, and compares
sessions on the learning page; the new pages pass axe."""

from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.sessions_app.test_session_report import NOTE, evening  # noqa: F401 (a fixture)

from .helpers import log_in, no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


async def test_a_note_the_session_report_and_the_learning_page(browser, daphne_url, evening):  # noqa: F811
    session, process = evening["session"], evening["process"]
    page = await browser.new_page(locale="nl-NL")
    await log_in(page, daphne_url, "olga")
    await page.goto(f"{daphne_url}/manage/{process.slug}/sessions/{session.pk}/console/")
    notes = page.locator("#notes")
    await expect(notes).to_contain_text(NOTE)
    await notes.get_by_label("Een notitie").focus()
    await page.keyboard.type("Volgende keer de evaluatie vóór de pauze.")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator("#notes")).to_contain_text(
        "Volgende keer de evaluatie vóór de pauze."
    )
    await no_axe_violations(page)

    await page.locator("#notes").get_by_role("link", name="Verslag van de bijeenkomst").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Verslag van de bijeenkomst")
    await expect(page.locator('[data-turnout="people"]')).to_have_text("6")
    await expect(page.locator('[data-turnout="paper"]')).to_have_text("2")
    await expect(page.locator('[data-turnout="hands"]')).to_have_text("9")
    await expect(page.locator("#evaluation")).to_contain_text(evening["evaluation"][1].text)
    await expect(page.locator("#notes")).to_contain_text(
        "Volgende keer de evaluatie vóór de pauze."
    )
    await no_axe_violations(page)

    await page.get_by_role("link", name="Vergelijk uw bijeenkomsten").click()
    table = page.locator("table.learning-table")
    await expect(table).to_contain_text(session.title)
    await expect(table).to_contain_text("75% ja")
    await no_axe_violations(page)
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Download als CSV").click()
    saved = await (await download.value).path()
    text = Path(saved).read_text(encoding="utf-8-sig")
    assert "people" in text.splitlines()[0] and NOTE not in text
