"""Issue 18, item 15 in a real browser: a reviewer asks for the council report on the
process page at desktop size, the report is made in the background, and the download is
a Dutch report: a summary on page 1, the session's heading, decimal commas."""

from pathlib import Path

import pypdfium2 as pdfium
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import expect

from sessions_app.models import Role
from sessions_app.services.facilitation import question_open
from sessions_app.services.participation import participant_join, response_submit
from sessions_app.services.processes import process_publish
from sessions_app.specs import OptionSpec
from tests.conftest import PASSWORD
from tests.e2e.screens import folder, screenshot
from tests.sessions_app.test_evening_outputs import held_today

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LABEL = "Bij de vijver, met bankjes in de schaduw en een plek voor de weekmarkt"


@pytest.fixture
def answered(live_session, make_question, organiser, make_user, grant):
    question = make_question(
        "single_choice",
        text="Waar moeten de bankjes komen?",
        options=[OptionSpec(text) for text in (LABEL, "Op het plein")],
    )
    process_publish(user=organiser, process=live_session.process)
    question_open(user=organiser, question=question)
    for n, text in enumerate((LABEL, LABEL, "Op het plein")):
        response_submit(
            participant=participant_join(session=live_session, via="room"),
            question_id=question.pk,
            answer={"option": question.options.get(text=text).pk},
            client_id=f"e2e-report-{n:04d}",
        )
    reviewer = make_user("rik")
    grant(live_session.process, reviewer, Role.REVIEWER)
    return live_session, reviewer


async def test_a_reviewer_downloads_a_dutch_council_report(browser, daphne_url, answered, tmp_path):
    session, reviewer = answered
    process = session.process
    context = await browser.new_context(
        locale="nl-NL", accept_downloads=True, viewport={"width": 1440, "height": 900}
    )
    page = await context.new_page()
    await page.goto(f"{daphne_url}/accounts/login/")
    await page.get_by_label("Gebruikersnaam").fill(reviewer.username)
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Inloggen").click()
    await page.goto(f"{daphne_url}/manage/{process.slug}/")
    await page.get_by_role("button", name="Verslag voor de raad (PDF)").click()
    download_link = page.get_by_role("link", name="Downloaden")
    await expect(download_link).to_be_visible(timeout=30_000)
    results = await Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    await screenshot(page, "outputs", "report-job-1440.png")
    async with page.expect_download() as waiting:
        await download_link.click()
    download = await waiting.value
    assert download.suggested_filename == f"{process.slug}.pdf"
    path = tmp_path / "verslag.pdf"
    path.write_bytes(Path(await download.path()).read_bytes())
    document = pdfium.PdfDocument(str(path))
    pages = [" ".join(p.get_textpage().get_text_range().split()) for p in document]
    shots = folder("outputs")
    for number, pdf_page in enumerate(document, start=1):
        if shots is not None:
            pdf_page.render(scale=1.4).to_pil().save(shots / f"report-e2e-page{number}.png")
    document.close()
    first = pages[0]
    # Page 1 is the summary: who took part and the leading option, in full.
    assert "Verslag voor de raad" in first and "Samenvatting" in first
    assert f"{session.title} 3 0 0 0 3" in first
    assert LABEL in first and "66,7%" in first
    text = " ".join(pages)
    # The results sit under the session's heading, with its days in Dutch: planned for
    # 15 January 2027, it was held today, when the test ran it.
    assert f"{session.title} {held_today('15 januari 2027')} · " in text
    # Numbers in Dutch format: a decimal comma, never a decimal point.
    assert f"{LABEL} 2 0 0 0 2 66,7" in text and "66.7" not in text
    assert "\N{HORIZONTAL ELLIPSIS}" not in text and "manage.py" not in text
    await page.set_viewport_size({"width": 390, "height": 844})
    await screenshot(page, "outputs", "report-job-390.png")
    await context.close()
