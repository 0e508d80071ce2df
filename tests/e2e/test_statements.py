"""The privacy and accessibility statements in a real browser: reachable from the footer
by keyboard, and without accessibility violations themselves."""

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


async def test_the_statements_are_reached_from_the_footer_and_pass_axe(browser, daphne_url):
    context = await browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 760})
    page = await context.new_page()
    await page.goto(f"{daphne_url}/")
    link = page.get_by_role("link", name="Toegankelijkheidsverklaring")
    await link.focus()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{daphne_url}/accessibility/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Toegankelijkheidsverklaring")
    await expect(page.get_by_role("table")).to_contain_text("PDF")
    results = await Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    await page.get_by_role("link", name="Privacyverklaring").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Privacyverklaring")
    results = await Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    await context.close()
