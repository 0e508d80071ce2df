"""Issue 18, item 19: an organiser builds a process in real Chromium, with and without
JavaScript: option rows added on the page, publish and remove that ask first, a bad
design file with each problem once, no export buttons on an empty draft, and messages
written as sentences."""

import json
import re
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from playwright.async_api import expect

from sessions_app.models import LiveSession, Process, ProcessState, Question
from tests.conftest import PASSWORD
from tests.e2e.screens import folder

from .helpers import no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


async def organiser_page(browser, base, *, javascript=True, viewport=DESKTOP):
    context = await browser.new_context(
        locale="nl-NL", viewport=viewport, java_script_enabled=javascript
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(f"{base}/accounts/login/")
    await page.get_by_label("Gebruikersnaam").fill("olga")
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Inloggen").click()
    await expect(page.get_by_role("heading", name="Mijn trajecten")).to_be_visible()
    return page


async def shoot(page, name):
    """Screens for a person to look at, at the desktop and the phone size."""
    path = folder("designer")
    if path is None:
        return
    size = page.viewport_size
    for label, viewport in (("1440", DESKTOP), ("390", PHONE)):
        await page.set_viewport_size(viewport)
        await page.screenshot(path=path / f"{name}-{label}.png", full_page=True)
    await page.set_viewport_size(size)


@sync_to_async
def options_of(question_text):
    question = Question.objects.get(text=question_text)
    return [o.text for o in question.options.order_by("position", "id")]


@sync_to_async
def state_of(process):
    process.refresh_from_db()
    return process.state


@sync_to_async
def exists(model, pk):
    return model.objects.filter(pk=pk).exists()


def rows(page):
    return page.locator("[data-option-rows] tr")


async def broken_words(table) -> list[str]:
    """The words of ``table``'s headings that break over two lines (two boxes)."""
    return await table.evaluate(
        """(table) => [...table.querySelectorAll('th')].flatMap((th) => {
          const text = th.firstChild;
          return [...text.textContent.matchAll(/\\S+/g)].filter((word) => {
            const range = document.createRange();
            range.setStart(text, word.index);
            range.setEnd(text, word.index + word[0].length);
            return range.getClientRects().length > 1;
          }).map((word) => word[0]);
        })"""
    )


async def test_option_rows_are_added_on_the_page(browser, daphne_url, live_session):
    page = await organiser_page(browser, daphne_url)
    slug = live_session.process.slug
    await page.goto(
        f"{daphne_url}/manage/{slug}/sessions/{live_session.pk}/questions/new/?kind=ranking"
    )
    await expect(rows(page)).to_have_count(5)  # a ranking usually has a handful
    # The headings keep their words whole ("verwijderen", not "verwijdere/n"), wide or narrow.
    table = page.locator(".options-table")
    for viewport in ({"width": 1280, "height": 900}, PHONE, DESKTOP):
        await page.set_viewport_size(viewport)
        assert await broken_words(table) == [], viewport
    await page.get_by_label("Vraag:", exact=True).fill("Wat eerst?")
    texts = ["Bankjes", "Bomen", "Speeltuin", "Fietsrekken", "Verlichting", "Watertappunt"]
    for index, text in enumerate(texts[:5]):
        await page.locator(f"input[name='options-{index}-text']").fill(text)
    url = page.url

    add = page.locator("[data-add-option]")
    await add.click()
    await expect(rows(page)).to_have_count(6)
    assert page.url == url  # nothing was sent
    new_input = page.locator("input[name='options-5-text']")
    await expect(new_input).to_be_focused()
    await expect(page.locator("input[name='options-TOTAL_FORMS']")).to_have_value("6")
    await expect(page.locator("input[name='options-0-text']")).to_have_value("Bankjes")
    await new_input.fill(texts[5])
    await no_axe_violations(page)
    await shoot(page, "question-form")

    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.locator(".question-list")).to_contain_text("Wat eerst?")
    assert await options_of("Wat eerst?") == texts
    await page.context.close()


async def test_option_rows_are_added_without_javascript(browser, daphne_url, live_session):
    page = await organiser_page(browser, daphne_url, javascript=False)
    slug = live_session.process.slug
    await page.goto(
        f"{daphne_url}/manage/{slug}/sessions/{live_session.pk}/questions/new/?kind=single_choice"
    )
    await expect(rows(page)).to_have_count(4)
    await page.get_by_label("Vraag:", exact=True).fill("Welke kleur?")
    for index, text in enumerate(["Groen", "Blauw", "Rood", "Geel"]):
        await page.locator(f"input[name='options-{index}-text']").fill(text)

    await page.locator("[data-add-option]").click()  # sends the form, saves nothing
    await expect(rows(page)).to_have_count(5)
    assert not await sync_to_async(Question.objects.exists)()
    await expect(page.get_by_label("Vraag:", exact=True)).to_have_value("Welke kleur?")
    await expect(page.locator("input[name='options-3-text']")).to_have_value("Geel")
    await expect(page.locator("input[name='options-4-text']")).to_be_focused()
    await expect(page.locator(".errorlist")).to_have_count(0)
    await page.locator("input[name='options-4-text']").fill("Paars")

    await page.locator("[data-add-option]").click()
    await expect(rows(page)).to_have_count(6)
    await page.locator("input[name='options-5-text']").fill("Oranje")
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.locator(".question-list")).to_contain_text("Welke kleur?")
    assert await options_of("Welke kleur?") == ["Groen", "Blauw", "Rood", "Geel", "Paars", "Oranje"]
    await page.context.close()


async def test_publish_and_remove_ask_first_in_a_dialog(
    browser, daphne_url, process, make_question
):
    question = await sync_to_async(make_question)(text="Wat moet er zeker komen?")
    page = await organiser_page(browser, daphne_url)
    # The page that asks without JavaScript is accessible too.
    await page.goto(f"{daphne_url}/manage/{process.slug}/publish/")
    await expect(page.locator("[data-confirm] h1")).to_contain_text(process.title)
    await no_axe_violations(page)
    await page.goto(f"{daphne_url}/manage/{process.slug}/")
    dialog = page.locator("dialog#confirm-dialog")

    # Publish: a dialog asks; the safe choice has the focus; cancelling changes nothing.
    await page.get_by_role("button", name="Publiceren").click()
    await expect(dialog).to_be_visible()
    await expect(page.get_by_role("dialog", name=re.compile(process.title))).to_be_visible()
    await expect(dialog.locator("[data-confirm-cancel]")).to_be_focused()
    await expect(dialog.locator(f"form[action='/manage/{process.slug}/publish/']")).to_have_count(1)
    await no_axe_violations(page)
    await shoot(page, "confirm-publish-dialog")
    await page.keyboard.press("Enter")  # Enter on the focused cancel: a stray key does not act
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("button", name="Publiceren")).to_be_focused()
    assert await state_of(process) == ProcessState.DRAFT

    await page.get_by_role("button", name="Publiceren").click()
    await dialog.locator("button[type=submit]").click()
    await expect(page.locator(".messages")).to_contain_text("gepubliceerd")
    assert await state_of(process) == ProcessState.PUBLISHED

    # Remove a question: asked first; Escape keeps it, confirming removes it.
    remove = page.get_by_role("button", name=f"Verwijderen {question.text}")
    await remove.click()
    await expect(dialog).to_contain_text(question.text)
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    assert await exists(Question, question.pk)
    await remove.click()
    await dialog.locator("button[type=submit]").click()
    await expect(page.locator(".messages")).to_contain_text("verwijderd")
    assert not await exists(Question, question.pk)

    # Remove a session: asked first, too.
    session_id = question.session_id
    await page.get_by_role("button", name=re.compile(r"^Verwijderen Bewonersavond")).click()
    await expect(dialog.locator("h2")).to_contain_text("Bewonersavond")
    await dialog.locator("[data-confirm-cancel]").click()
    assert await exists(LiveSession, session_id)
    await page.context.close()


async def test_publish_and_remove_ask_first_without_javascript(
    browser, daphne_url, process, make_question
):
    question = await sync_to_async(make_question)(text="Waar komen de bankjes?")
    page = await organiser_page(browser, daphne_url, javascript=False)
    detail = f"{daphne_url}/manage/{process.slug}/"
    await page.goto(detail)

    await page.get_by_role("button", name="Publiceren").click()
    await expect(page).to_have_url(re.compile(rf"{re.escape(detail)}publish/\??$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text(process.title)
    await shoot(page, "confirm-publish-page")
    assert await state_of(process) == ProcessState.DRAFT
    await page.locator("[data-confirm-cancel]").click()
    await expect(page).to_have_url(detail)
    assert await state_of(process) == ProcessState.DRAFT

    await page.get_by_role("button", name="Publiceren").click()
    await page.locator("[data-confirm] form[method=post] button[type=submit]").click()
    await expect(page.locator(".messages")).to_contain_text("gepubliceerd")
    assert await state_of(process) == ProcessState.PUBLISHED

    await page.get_by_role("button", name=f"Verwijderen {question.text}").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(question.text)
    assert await exists(Question, question.pk)
    await page.locator("[data-confirm] form[method=post] button[type=submit]").click()
    await expect(page.locator(".messages")).to_contain_text("verwijderd")
    assert not await exists(Question, question.pk)
    await page.context.close()


async def test_a_bad_design_file_lists_each_problem_once(browser, daphne_url, organiser, tmp_path):
    data = json.loads((Path(settings.BASE_DIR) / "docs/examples/stationsplein.json").read_text())
    budget = data["sessions"][0]["questions"][4]
    del budget["options"], budget["total"]  # two fields of one kind missing
    del data["title"]
    data["sessions"][0]["questions"][3]["options"] = ["Alleen"]
    bad = tmp_path / "slecht.json"
    bad.write_text(json.dumps(data), encoding="utf-8")

    page = await organiser_page(browser, daphne_url)
    await page.goto(f"{daphne_url}/manage/import/")
    await page.locator("input[type=file]").set_input_files(bad)
    await page.locator("main form button[type=submit]").click()
    items = page.locator(".file-problems li")
    await expect(items).to_have_count(4)
    texts = await items.all_inner_texts()
    assert len(set(texts)) == 4, texts
    paths = await page.locator(".file-problems li code").all_inner_texts()
    assert paths == [
        "sessions[0].questions[3].options",
        "sessions[0].questions[4].options",
        "sessions[0].questions[4].total",
        "title",
    ]
    for path, text in zip(paths, texts, strict=True):
        # "path: A whole sentence." or "path goes on as a sentence."
        rest = text.removeprefix(path)
        assert (rest.startswith(": ") and rest[2].isupper()) or rest.startswith(" "), text
        assert text.endswith("."), text
    assert not await sync_to_async(Process.objects.exists)()
    await no_axe_violations(page)
    await shoot(page, "import-errors")
    await page.context.close()


async def test_an_empty_draft_shows_no_export_buttons(browser, daphne_url, process, organiser):
    page = await organiser_page(browser, daphne_url)
    await page.goto(f"{daphne_url}/manage/{process.slug}/")
    await expect(page.locator("button[name=format]")).to_have_count(0)
    await expect(page.locator(".export-later")).to_be_visible()
    await expect(page.locator(".export-later a, .export-later")).to_have_count(1)
    await no_axe_violations(page)
    await shoot(page, "empty-draft")

    await page.get_by_role("link", name="Bijeenkomst toevoegen").click()
    await page.get_by_label("Titel").fill("Buurtavond")
    await page.get_by_label("Begintijd").fill("2027-02-10T19:30")
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.locator("button[name=format]")).to_have_count(0)  # still nothing to count
    await expect(page.locator(".export-later")).to_be_visible()

    await page.select_option("select[name=kind]", "scale")
    await page.get_by_role("button", name="Vraag toevoegen").click()
    await page.get_by_label("Vraag:", exact=True).fill("Hoe tevreden bent u?")
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.locator("button[name=format]")).to_have_count(5)
    await expect(page.locator(".export-later")).to_have_count(0)
    await shoot(page, "draft-with-question")
    await page.context.close()


async def test_validation_messages_are_sentences(browser, daphne_url, live_session):
    page = await organiser_page(browser, daphne_url)
    slug = live_session.process.slug
    await page.goto(
        f"{daphne_url}/manage/{slug}/sessions/{live_session.pk}/questions/new/?kind=scale"
    )
    await page.get_by_label("Vraag:", exact=True).fill("Hoe tevreden?")
    await page.get_by_label("Laagste waarde:", exact=True).fill("5")
    await page.get_by_label("Hoogste waarde:", exact=True).fill("2")
    await page.get_by_role("button", name="Opslaan").click()
    message = page.locator(".errorlist li").first
    await expect(message).to_have_text("De laagste waarde moet lager zijn dan de hoogste waarde.")

    # A message that goes on from its field names the field.
    await page.get_by_label("Vraag:", exact=True).fill("   ")
    await page.get_by_role("button", name="Opslaan").click()
    errors = await page.locator(".errorlist li").all_inner_texts()
    assert errors, "no messages shown"
    for text in errors:
        assert text[0].isupper() and text.endswith("."), text
    await no_axe_violations(page)
    await shoot(page, "question-errors")

    # The budget's unit sits beside its total.
    await page.goto(
        f"{daphne_url}/manage/{slug}/sessions/{live_session.pk}/questions/new/?kind=budget"
    )
    total = await page.locator("input[name=budget_total]").bounding_box()
    unit = await page.locator("input[name=budget_unit]").bounding_box()
    assert abs(total["y"] - unit["y"]) < 2 and unit["x"] > total["x"]
    await shoot(page, "question-budget")

    # The session form: the end before the start.
    await page.goto(f"{daphne_url}/manage/{slug}/sessions/{live_session.pk}/edit/")
    await page.get_by_label("Eindtijd").fill("2027-01-15T18:00")
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.locator(".errorlist li").first).to_have_text(
        re.compile(r"^Eindtijd moet na het begin liggen\.$")
    )
    await page.context.close()


async def test_the_organisers_forms_and_the_long_dutch_headings_fit_a_phone(
    browser, daphne_url, organiser
):
    """At 390 px nothing sticks out sideways: the timeline's table of inputs scrolls in a
    region of its own (its hidden labels inside it), a long Dutch word in a heading breaks."""
    page = await organiser_page(browser, daphne_url, viewport=PHONE)
    for path in ("/manage/", "/manage/new/", "/accessibility/"):
        await page.goto(f"{daphne_url}{path}")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
    await page.goto(f"{daphne_url}/manage/new/")
    region = page.get_by_role("region", name="Tijdlijn")
    await expect(region).to_be_visible()
    assert await region.evaluate("node => node.scrollWidth > node.clientWidth")  # it scrolls
    await no_axe_violations(page)
    await page.context.close()


async def test_staff_tables_and_a_title_without_spaces_fit_a_phone(
    browser, daphne_url, live_session, organiser
):
    """At 390 px the session report, the ended session's summary in the console and the
    paper page scroll their tables in regions of their own, and a long title without
    spaces breaks in the heading and in the "← title" link."""
    from sessions_app.services import facilitation

    long_title = "Herinrichtingsplan" * 6

    @sync_to_async
    def prepare():
        Process.objects.filter(pk=live_session.process_id).update(title=long_title)
        LiveSession.objects.filter(pk=live_session.pk).update(title=long_title)
        facilitation.session_end(user=organiser, session=live_session)

    await prepare()
    slug = await sync_to_async(lambda: live_session.process.slug)()
    page = await organiser_page(browser, daphne_url, viewport=PHONE)
    for path in (
        f"/manage/{slug}/sessions/{live_session.pk}/report/",
        f"/manage/{slug}/sessions/{live_session.pk}/console/",
        f"/manage/{slug}/sessions/{live_session.pk}/paper/",
    ):
        await page.goto(f"{daphne_url}{path}")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
    await page.context.close()


@pytest.mark.parametrize("javascript", [True, False])
async def test_a_kind_changed_on_the_form_is_saved_only_with_its_settings_seen(
    browser, daphne_url, live_session, javascript
):
    """With JavaScript the new kind's settings show at once, and the form saves; without
    it the form comes back showing them, with what was typed, and saves the second time."""
    page = await organiser_page(browser, daphne_url, javascript=javascript)
    slug = live_session.process.slug
    await page.goto(
        f"{daphne_url}/manage/{slug}/sessions/{live_session.pk}/questions/new/?kind=single_choice"
    )
    await page.get_by_label("Vraag:", exact=True).fill("Hoe tevreden bent u?")
    await page.select_option("select[name=kind]", "scale")
    await page.get_by_role("button", name="Opslaan").click()
    if not javascript:
        await expect(page.get_by_role("alert")).to_be_visible()  # "check the settings"
        assert not await sync_to_async(Question.objects.exists)()
        await expect(page.get_by_label("Vraag:", exact=True)).to_have_value("Hoe tevreden bent u?")
        await expect(page.get_by_label("Laagste waarde:", exact=True)).to_be_visible()
        await page.get_by_role("button", name="Opslaan").click()
    await expect(page.locator(".question-list")).to_contain_text("Hoe tevreden bent u?")
    question = await sync_to_async(Question.objects.get)()
    assert (question.kind, question.scale_min, question.scale_max) == ("scale", 1, 5)
    await page.context.close()
