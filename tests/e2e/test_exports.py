"""A reviewer asks for the council's workbook in a real browser: the file is made by a
separate process while the page follows it, and the download opens with the numbers."""

import io

import pytest
from asgiref.sync import sync_to_async
from axe_playwright_python.async_playwright import Axe
from openpyxl import load_workbook
from playwright.async_api import expect

from sessions_app.models import ExportJob, Role
from sessions_app.services.facilitation import question_open
from sessions_app.services.participation import participant_join, response_submit
from sessions_app.services.processes import process_publish
from sessions_app.specs import OptionSpec
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def answered(live_session, make_question, organiser, make_user, grant):
    question = make_question(
        "single_choice",
        text="Waar moeten de bankjes komen?",
        options=[OptionSpec(text) for text in ("Bij de vijver", "Op het plein")],
    )
    process_publish(user=organiser, process=live_session.process)
    question_open(user=organiser, question=question)
    pond = question.options.get(text="Bij de vijver").pk
    for n in range(3):
        phone = participant_join(session=live_session, via="room")
        response_submit(
            participant=phone,
            question_id=question.pk,
            answer={"option": pond},
            client_id=f"e2e-export-{n:04d}",
        )
    reviewer = make_user("rik")
    grant(live_session.process, reviewer, Role.REVIEWER)
    return live_session.process, reviewer


async def test_a_reviewer_downloads_the_workbook_made_in_the_background(
    browser, daphne_url, answered
):
    process, reviewer = answered
    context = await browser.new_context(locale="nl-NL", accept_downloads=True)
    page = await context.new_page()
    await page.goto(f"{daphne_url}/accounts/login/")
    await page.get_by_label("Gebruikersnaam").fill(reviewer.username)
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Inloggen").click()
    await page.goto(f"{daphne_url}/manage/{process.slug}/")
    await page.get_by_role("button", name="Uitkomsten voor de raad (Excel)").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Excel")
    download_link = page.get_by_role("link", name="Downloaden")
    await expect(download_link).to_be_visible(timeout=30_000)
    await expect(page.locator("#job-status")).to_contain_text("Klaar")
    await expect(download_link).to_be_focused()
    results = await Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    async with page.expect_download() as waiting:
        await download_link.click()
    download = await waiting.value
    assert download.suggested_filename == f"{process.slug}.xlsx"
    book = load_workbook(io.BytesIO((await download.path()).read_bytes()))
    counts = [
        row for row in book["Uitkomsten"].iter_rows(values_only=True) if row[1] == "Bij de vijver"
    ]
    assert counts and counts[0][2] == 3  # online in the room
    job = await sync_to_async(lambda: ExportJob.objects.get(process=process))()
    assert job.state == "done" and job.progress == job.total > 0
    await context.close()
