"""An organiser builds and publishes a process in a real browser against a real Daphne."""

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.models import Process, ProcessState
from tests.conftest import PASSWORD

from .helpers import no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


async def add_question(page, kind, text, fill):
    await page.select_option("select[name=kind] >> nth=0", kind)
    await page.get_by_role("button", name="Vraag toevoegen").click()
    await page.get_by_label("Vraag:", exact=True).fill(text)
    await fill(page)
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.locator(".question-list")).to_contain_text(text)


async def choices(page):
    for index, text in enumerate(["Klimrek", "Schommels", "Zandbak"]):
        await page.locator(f"input[name='options-{index}-text']").fill(text)


async def scale(page):
    await page.get_by_label("Laagste waarde:", exact=True).fill("1")
    await page.get_by_label("Hoogste waarde:", exact=True).fill("5")


async def nothing(page):
    return None


@sync_to_async
def published_process(title):
    process = Process.objects.get(title=title)
    kinds = [q.kind for q in process.sessions.get().questions.all()]
    return process, kinds


async def test_organiser_builds_and_publishes_a_process(page, daphne_url, organiser):
    # "olga", who may start processes (the site's organise permission)
    await page.goto(f"{daphne_url}/accounts/login/")
    await page.get_by_label("Gebruikersnaam").fill("olga")
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Inloggen").click()
    await expect(page.get_by_role("heading", name="Mijn trajecten")).to_be_visible()

    await page.get_by_role("link", name="Nieuw traject").click()
    await no_axe_violations(page)
    await page.get_by_label("Titel").fill("Speeltuin Molenwijk")
    await page.get_by_label("Doel").fill("De speeltuin aan de Molenstraat wordt vernieuwd.")
    await page.get_by_label("Adviseren").check()
    await page.get_by_label("Belofte: wat er met de inbreng gebeurt").fill(
        "Het college volgt het advies of legt uit waarom niet."
    )
    await page.get_by_role("textbox", name="Wie beslist").fill("College van B en W")
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.get_by_role("heading", name="Speeltuin Molenwijk")).to_be_visible()

    await page.get_by_role("link", name="Bijeenkomst toevoegen").click()
    await page.get_by_label("Titel").fill("Buurtavond")
    await page.get_by_label("Begintijd").fill("2027-02-10T19:30")
    await page.get_by_label("Eindtijd").fill("2027-02-10T21:00")
    await page.get_by_label("Locatie").fill("Buurthuis De Molen")
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.locator(".session h3")).to_have_text("Buurtavond")

    await add_question(page, "single_choice", "Wat moet er zeker komen?", choices)
    await add_question(page, "scale", "Hoe tevreden bent u over de huidige speeltuin?", scale)
    await add_question(page, "open_text", "Wat wilt u de ontwerper nog meegeven?", nothing)
    await no_axe_violations(page)

    await page.get_by_role("button", name="Publiceren").click()
    # Publishing cannot be undone: it asks first (issue 18).
    await page.locator("dialog#confirm-dialog button[type=submit]").click()
    await expect(page.locator(".messages")).to_contain_text("gepubliceerd")
    process, kinds = await published_process("Speeltuin Molenwijk")
    assert process.state == ProcessState.PUBLISHED
    assert kinds == ["single_choice", "scale", "open_text"]

    visitor = await page.context.browser.new_page(locale="nl-NL")
    await visitor.goto(f"{daphne_url}/p/{process.slug}/")
    await expect(visitor.get_by_role("heading", name="Speeltuin Molenwijk")).to_be_visible()
    body = visitor.locator("main")
    for text in (
        "De speeltuin aan de Molenstraat wordt vernieuwd.",
        "Het college volgt het advies of legt uit waarom niet.",
        "College van B en W",
        "Buurtavond",
        "Buurthuis De Molen",
        "Wat moet er zeker komen?",
        "Hoe tevreden bent u over de huidige speeltuin?",
        "Wat wilt u de ontwerper nog meegeven?",
    ):
        await expect(body).to_contain_text(text)
    await expect(visitor.locator("[aria-current=step]")).to_have_text("Adviseren")
    await no_axe_violations(visitor)
    await visitor.close()
