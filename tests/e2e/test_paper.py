"""Paper in the browser: a facilitator prints forms (drawn by a separate process while the
page follows its progress); a teller on a phone enters a form; the presenter's total and
split change."""

import pdfplumber
import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.models import Response, Role
from sessions_app.services.facilitation import question_open, question_reveal
from sessions_app.services.paper import sheet_token
from sessions_app.services.print_runs import print_batch_create
from sessions_app.services.printing import form_layout
from sessions_app.services.processes import process_publish
from sessions_app.specs import OptionSpec
from tests.conftest import PASSWORD

from .helpers import no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def printed_session(live_session, make_question, organiser, make_user, grant):
    question = make_question(
        "single_choice",
        text="Waar moet de nieuwe speeltuin komen?",
        options=[OptionSpec(text) for text in ("Bij de school", "In het park", "Achter de kerk")],
    )
    process_publish(user=organiser, process=live_session.process)
    question_open(user=organiser, question=question)
    question_reveal(user=organiser, question=question, revealed=True)
    teller = make_user("tara")
    grant(live_session.process, teller, Role.TELLER)
    layout = form_layout(session=live_session, large_print=False)
    sheet = (
        print_batch_create(user=organiser, session=live_session, count=2, layout=layout)
        .sheets.order_by("serial")
        .first()
    )
    live_session.refresh_from_db()
    return live_session, question, f"/t/{sheet_token(sheet)}/"


async def test_a_teller_enters_a_form_and_the_presenter_counts_it(
    browser, daphne_url, printed_session
):
    session, question, entry_path = printed_session
    presenter = await browser.new_page(locale="nl-NL", viewport={"width": 1600, "height": 900})
    await presenter.goto(f"{daphne_url}/present/{session.join_code}/")
    results = presenter.locator("#stage-results")
    await expect(results).to_contain_text("Antwoorden: 0")
    await expect(presenter.locator(".provisional")).to_be_visible()  # paper is still being counted

    context = await browser.new_context(
        locale="nl-NL", viewport={"width": 390, "height": 800}, is_mobile=True
    )
    phone = await context.new_page()
    # Scanning the QR code opens the entry page; the teller logs in first.
    await phone.goto(f"{daphne_url}{entry_path}")
    await phone.get_by_label("Gebruikersnaam").fill("tara")
    await phone.get_by_label("Wachtwoord").fill(PASSWORD)
    await phone.get_by_role("button", name="Inloggen").click()
    await expect(phone.get_by_role("group", name=f"1. {question.text}")).to_be_visible()
    await no_axe_violations(phone)
    await phone.get_by_label("In het park").check()
    await phone.locator("form.teller-form button[type=submit]").click()
    await expect(phone.locator(".message-success")).to_be_visible()

    await expect(results).to_contain_text("Antwoorden: 1 (papier 1)")
    row = results.locator(".result-row", has_text="In het park")
    await expect(row).to_contain_text("100% (1)")
    await expect(row).to_contain_text("papier 1")
    counted = await sync_to_async(
        lambda: list(Response.objects.values_list("source", "sheet__serial"))
    )()
    assert counted == [("paper", 1)]
    await context.close()


async def test_the_facilitator_prints_forms_and_downloads_the_pdf(
    browser, daphne_url, printed_session, organiser
):
    session, question, _entry_path = printed_session
    context = await browser.new_context(locale="nl-NL", accept_downloads=True)
    page = await context.new_page()
    await page.goto(f"{daphne_url}/accounts/login/")
    await page.get_by_label("Gebruikersnaam").fill(organiser.username)
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Inloggen").click()
    slug = await sync_to_async(lambda: session.process.slug)()
    await page.goto(f"{daphne_url}/manage/{slug}/sessions/{session.pk}/paper/")
    await page.get_by_label("Aantal formulieren").fill("3")
    await page.get_by_label("Met een deelnemerskaart op elk formulier", exact=False).check()
    await page.get_by_role("button", name="PDF maken").click()
    download_link = page.get_by_role("link", name="PDF downloaden")
    await expect(download_link).to_be_visible(timeout=30_000)
    await expect(page.locator("#job-status")).to_contain_text("3 van 3 gemaakt")
    await no_axe_violations(page)
    async with page.expect_download() as waiting:
        await download_link.click()
    download = await waiting.value
    with pdfplumber.open(str(await download.path())) as document:
        first = document.pages[0].extract_text()
        pages = len(document.pages)
    assert question.text in first and "Doet u ook mee met uw telefoon?" in first
    layouts = await sync_to_async(lambda: list(session.layouts.values_list("data", flat=True)))()
    carded = next(data for data in layouts if data["card"])
    assert pages == 3 * len(carded["pages"])
    await context.close()
