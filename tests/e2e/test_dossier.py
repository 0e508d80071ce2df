"""The dossier in Chromium (issue 22, first part): an organiser adds a document with its
summary and a link on the dossier page; the public page shows them, printable, and both
pages pass axe."""

import pytest
from playwright.async_api import expect

from sessions_app.services.processes import process_publish

from .helpers import log_in, no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def published(process, organiser, live_session, make_question):
    make_question("single_choice")
    process_publish(user=organiser, process=process)
    return {"dossier": f"/manage/{process.slug}/dossier/", "public": process.get_absolute_url()}


async def test_a_document_and_a_link_in_the_dossier(browser, daphne_url, published, tmp_path):
    page = await browser.new_page(locale="nl-NL")
    await log_in(page, daphne_url, "olga")
    await page.goto(daphne_url + published["dossier"])
    pdf = tmp_path / "begroting.pdf"
    pdf.write_bytes(PDF)
    await page.get_by_label("Bestand (PDF, PNG of JPEG, ten hoogste 20 MB)").set_input_files(
        str(pdf)
    )
    add = page.locator("form").filter(has=page.locator("input[name=file]"))
    await add.get_by_label("Titel").fill("Begroting Stationsplein")
    await add.get_by_label("Soort").select_option("budget")
    await add.get_by_label("Datum").fill("2027-01-10")
    await add.get_by_label("Samenvatting in gewone taal").fill("Het plein kost 2,4 miljoen euro.")
    await add.get_by_role("button", name="Aan het dossier toevoegen").click()
    await expect(page.locator(".dossier")).to_contain_text("Het plein kost 2,4 miljoen euro.")
    link = page.locator("form").filter(has=page.locator("#link-url"))
    await link.get_by_label("Titel").fill("Raadsbesluit autoluw centrum")
    await link.get_by_label("Webadres").fill("https://zuiderhaven.raadsinformatie.nl/document/123")
    await link.get_by_label("Datum").fill("2026-05-01")
    await link.get_by_label("Samenvatting in gewone taal").fill(
        "De raad koos voor een autoluw centrum."
    )
    await link.get_by_role("button", name="Link toevoegen").click()
    await expect(page.locator(".dossier")).to_contain_text("De raad koos voor een autoluw centrum.")
    await no_axe_violations(page)

    public = await browser.new_page(locale="nl-NL")
    await public.goto(daphne_url + published["public"])
    section = public.locator("#dossier")
    await expect(section).to_contain_text("Begroting Stationsplein")
    await expect(section).to_contain_text("Vingerafdruk (SHA-256")
    await no_axe_violations(public)
    await public.emulate_media(media="print")
    await expect(section.locator("form")).to_have_count(0)


async def test_the_councils_decision_on_the_timeline(browser, daphne_url, published):
    """Recorded on the dossier page, the decision is on the public timeline as reached
    and in the dossier with its link; both pages pass axe."""
    page = await browser.new_page(locale="nl-NL")
    await log_in(page, daphne_url, "olga")
    await page.goto(daphne_url + published["dossier"])
    await page.locator("#decision-date").fill("2026-11-20")
    await page.locator("#decision-summary").fill(
        "De raad kiest voor een groen plein met een markt.\nDe bushaltes blijven waar ze zijn."
    )
    await page.locator("#decision-url").fill("https://zuiderhaven.raadsinformatie.nl/besluit/9")
    await page.locator("form:has(input[name=action][value=decision]) button").click()
    await expect(page.locator("#decision")).to_contain_text("De bushaltes blijven")
    await no_axe_violations(page)

    public = await browser.new_page(locale="nl-NL")
    await public.goto(daphne_url + published["public"])
    step = public.locator("#timeline li").filter(has_text="De raad kiest voor een groen plein")
    await expect(step).to_have_count(1)
    await expect(step.locator("time")).to_have_attribute("datetime", "2026-11-20")
    await expect(public.locator("#dossier #decision a")).to_have_attribute(
        "href", "https://zuiderhaven.raadsinformatie.nl/besluit/9"
    )
    await no_axe_violations(public)
