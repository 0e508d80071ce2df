"""The designer's forms in a real browser: a refused form starts with an error summary
that has the focus, and the timeline and panel take more rows ("Add a row", or blank rows
without JavaScript)."""

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.models import Process

from .helpers import no_axe_violations
from .test_evening_designer import organiser_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@sync_to_async
def steps_and_panel(title):
    process = Process.objects.get(title=title)
    return (
        list(process.milestones.values_list("label", flat=True)),
        list(process.panel.values_list("name", flat=True)),
    )


def timeline_rows(page):
    return page.locator("fieldset[data-formset=timeline] tbody tr")


async def test_rows_are_added_and_a_refusal_is_announced_at_the_top(browser, daphne_url, organiser):
    page = await organiser_page(browser, daphne_url)
    await page.goto(f"{daphne_url}/manage/new/")
    await expect(timeline_rows(page)).to_have_count(4)
    add_step = page.get_by_role("button", name="Rij toevoegen (Tijdlijn)")
    add_member = page.get_by_role("button", name="Rij toevoegen (Panel)")
    await expect(add_step).to_be_visible()
    url = page.url
    await add_step.click()
    await add_step.click()
    assert page.url == url  # nothing was sent
    await expect(timeline_rows(page)).to_have_count(6)
    await expect(page.locator("input[name='timeline-TOTAL_FORMS']")).to_have_value("6")
    await expect(page.locator("input[name='timeline-5-date']")).to_be_focused()
    await expect(page.get_by_label("datum van stap 6", exact=True)).to_have_count(1)
    await add_member.click()
    await expect(page.locator("input[name='panel-4-name']")).to_be_focused()
    await no_axe_violations(page)

    # A refused form (no title, an added step without its date) reloads with the summary
    # focused at the top, each problem linked to its field.
    await page.locator("input[name='timeline-0-date']").fill("2027-03-01")
    await page.locator("input[name='timeline-0-label']").fill("Plan gepubliceerd")
    await page.locator("input[name='timeline-5-label']").fill("Raadsbesluit")
    await page.locator("input[name='panel-4-name']").fill("Wethouder De Vries")
    await page.get_by_role("button", name="Opslaan").click()
    summary = page.locator(".error-summary")
    await expect(summary).to_be_focused()
    await expect(summary).to_have_attribute("role", "alert")
    await expect(summary.get_by_role("heading", level=2)).to_be_visible()
    await expect(summary.locator("a[href='#id_title']")).to_have_count(1)
    await expect(summary.locator("a[href='#id_timeline-5-date']")).to_have_count(1)
    top = await summary.bounding_box()
    assert top["y"] < 400  # in view where the page reloads
    await no_axe_violations(page)
    # A link takes the reader to the field itself: focused, its label in view.
    await summary.locator("a[href='#id_timeline-5-date']").click()
    await expect(page.locator("#id_timeline-5-date")).to_be_focused()
    await expect(page.locator("#id_timeline-5-date")).to_be_in_viewport()
    await summary.locator("a[href='#id_title']").click()
    await expect(page.locator("#id_title")).to_be_focused()
    await expect(page.locator("label[for='id_title']")).to_be_in_viewport()
    # What was typed is kept, also in the added rows.
    await expect(page.locator("input[name='timeline-5-label']")).to_have_value("Raadsbesluit")
    await expect(page.locator("input[name='panel-4-name']")).to_have_value("Wethouder De Vries")

    await page.get_by_label("Titel").fill("Marktplein")
    await page.locator("input[name='timeline-5-date']").fill("2027-06-01")
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.get_by_role("heading", name="Marktplein")).to_be_visible()
    assert await steps_and_panel("Marktplein") == (
        ["Plan gepubliceerd", "Raadsbesluit"],
        ["Wethouder De Vries"],
    )
    await page.context.close()


async def test_without_javascript_blank_rows_stand_in_for_the_button(
    browser, daphne_url, organiser
):
    page = await organiser_page(browser, daphne_url, javascript=False)
    await page.goto(f"{daphne_url}/manage/new/")
    await expect(timeline_rows(page)).to_have_count(4)
    await expect(page.locator("[data-add-row]")).to_have_count(2)
    await expect(page.locator("[data-add-row]").first).to_be_hidden()
    await page.get_by_label("Titel").fill("Haven")
    for index, label in enumerate(["Plan", "Bijeenkomst", "Besluit", "Vervolg"]):
        await page.locator(f"input[name='timeline-{index}-date']").fill(f"2027-0{index + 1}-01")
        await page.locator(f"input[name='timeline-{index}-label']").fill(label)
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.get_by_role("heading", name="Haven")).to_be_visible()
    steps, _panel = await steps_and_panel("Haven")
    assert steps == ["Plan", "Bijeenkomst", "Besluit", "Vervolg"]
    await page.context.close()


async def test_a_refused_session_form_focuses_its_summary(browser, daphne_url, live_session):
    page = await organiser_page(browser, daphne_url)
    slug = live_session.process.slug
    await page.goto(f"{daphne_url}/manage/{slug}/sessions/{live_session.pk}/edit/")
    await page.get_by_label("Eindtijd").fill("2027-01-15T18:00")
    await page.get_by_role("button", name="Opslaan").click()
    summary = page.locator(".error-summary")
    await expect(summary).to_be_focused()
    await expect(summary.locator("a[href='#id_ends_at']")).to_contain_text(
        "Eindtijd moet na het begin liggen."
    )
    await page.context.close()
