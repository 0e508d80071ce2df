"""What many browser tests do: log a staff member in on the Dutch login page, and check
a page with axe."""

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import expect

from tests.conftest import PASSWORD


async def log_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Log in on the (Dutch) login page and wait until it is gone."""
    await page.goto(f"{base}/accounts/login/")
    await page.get_by_label("Gebruikersnaam").fill(username)
    await page.get_by_label("Wachtwoord").fill(password)
    await page.get_by_role("button", name="Inloggen").click()
    await expect(page.get_by_label("Gebruikersnaam")).to_have_count(0)


async def no_axe_violations(page) -> None:
    results = await Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
