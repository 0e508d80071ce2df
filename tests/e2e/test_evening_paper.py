"""Issue 18, the paper evening on a teller's phone (390 by 844): the entry form numbers and
orders the questions as the printed form does and stays compact; every error sits next
to its question with a summary of links at the top; a teller who typed a form's first
entry is told so on opening it; the photo reader's result shows statements as the form
has them, and a photo that could not be read does not say "read"."""

import cv2
import numpy as np
import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from playwright.async_api import expect

from sessions_app.models import Role, SheetReading
from sessions_app.services import paper
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.print_runs import print_batch_create
from sessions_app.services.printing import form_layout
from sessions_app.services.processes import process_publish
from sessions_app.services.questions import question_create
from sessions_app.specs import OptionSpec
from tests.conftest import question_spec, session_spec
from tests.e2e.screens import screenshot
from tests.printables.demo_form import STATEMENTS as DEMO_STATEMENTS
from tests.reading_helpers import layout_of, photos

from .helpers import log_in, no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
STATEMENTS = tuple(DEMO_STATEMENTS[:7])


@pytest.fixture
def evening(make_process, organiser, make_user, grant):
    """The evening's seven questions, one of each kind, on a double-entry process with
    two tellers; three forms printed."""
    process = make_process(entry_mode="double")
    session = live_session_create(user=organiser, process=process, spec=session_spec())

    def ask(kind, text, **overrides):
        return question_create(
            user=organiser, session=session, spec=question_spec(kind, text=text, **overrides)
        )

    questions = {
        "choice": ask("single_choice", "Wat moet de belangrijkste functie van het plein worden?"),
        "multiple": ask("multiple_choice", "Welke voorzieningen wilt u terugzien?"),
        "scale": ask("scale", "Hoe veilig voelt u zich op het plein als het donker is?"),
        "ranking": ask("ranking", "Zet deze doelen in volgorde."),
        "budget": ask("budget", "Verdeel 100 punten over het ontwerp."),
        "text": ask("open_text", "Wat mogen de ontwerpers niet vergeten?"),
        "statements": ask(
            "statements",
            "Stellingen over het Stationsplein",
            options=[OptionSpec(text) for text in STATEMENTS],
            participants_may_add=True,
        ),
    }
    process_publish(user=organiser, process=process)
    for name in ("tara", "tess"):
        grant(process, make_user(name), Role.TELLER)
    layout = form_layout(session=session, large_print=False)
    sheets = list(
        print_batch_create(user=organiser, session=session, count=3, layout=layout).sheets.order_by(
            "serial"
        )
    )
    return session, questions, sheets


async def phone_of(browser, base, username, width=390):
    context = await browser.new_context(
        locale="nl-NL", viewport={**PHONE, "width": width}, is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    await log_in(page, base, username)
    return context, page


async def overflow(page) -> list:
    """What on the page's content reaches past the right edge of the screen (the shared
    phone header is the phone pages' own, see ``test_evening_phone``)."""
    return await page.evaluate(
        """[...document.querySelectorAll('#main, #main *')].filter(el =>
            el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5
        ).map(el => el.tagName + '.' + el.className + ' ' + el.getBoundingClientRect().right)"""
    )


async def small_targets(page, selector: str) -> list:
    """The visible controls under ``selector`` smaller than 44 by 44 px."""
    return await page.eval_on_selector_all(
        selector,
        """els => els.filter(el => el.offsetParent !== null).map(el => {
            const r = el.getBoundingClientRect();
            return [el.textContent.trim().slice(0, 30), Math.round(r.width), Math.round(r.height)];
        }).filter(([, w, h]) => w < 44 || h < 44)""",
    )


def entry_path(sheet) -> str:
    return f"/t/{paper.sheet_token(sheet)}/"


async def test_entry_numbers_and_orders_questions_as_the_paper_and_is_compact(
    browser, daphne_url, evening
):
    _session, questions, sheets = evening
    layout = await sync_to_async(layout_of)(sheets[0])
    printed = {row["id"]: row["number"] for row in layout["questions"]}
    context, page = await phone_of(browser, daphne_url, "tara")
    await page.goto(daphne_url + entry_path(sheets[0]))
    legends = page.locator("form.teller-form fieldset.question > legend")
    await expect(legends).to_have_count(7)
    shown = [" ".join(text.split()) for text in await legends.all_inner_texts()]
    by_number = sorted(questions.values(), key=lambda q: printed[q.pk])
    assert shown == [f"{printed[q.pk]}. {q.text}" for q in by_number]
    # The paper puts the open answer (6) before the statements (7); so does the screen.
    assert shown[5].startswith(f"6. {questions['text'].text}")
    assert shown[6].startswith(f"7. {questions['statements'].text}")

    # Statements as a grid like the paper: one row per statement, a tap target per column.
    grid = page.get_by_role("radiogroup", name=STATEMENTS[0])
    await expect(grid.get_by_role("radio")).to_have_count(4)
    rows = page.locator(".vote-line")
    first, second = await rows.nth(0).bounding_box(), await rows.nth(1).bounding_box()
    assert second["y"] - first["y"] < 70, "a statement takes one compact row"
    assert await small_targets(page, ".teller-form .entry-cell, .teller-form .entry-choice") == []
    assert await small_targets(page, ".teller-form select, .teller-form button") == []
    height = await page.evaluate("document.documentElement.scrollHeight")
    assert height < 4200, height  # was about 8,000 px
    assert await overflow(page) == []
    await no_axe_violations(page)
    await screenshot(page, "paper", "entry-390.png")

    # Typing the paper's marks into its grid counts them.
    await grid.get_by_label("oneens", exact=True).check()
    await (
        page.get_by_role("radiogroup", name=STATEMENTS[2]).get_by_label("eens", exact=True).check()
    )
    await page.get_by_role("button", name="Formulier opslaan").click()
    await expect(page.locator(".message-success")).to_be_visible()
    entry = await sync_to_async(lambda: sheets[0].entries.get())()
    statements = await sync_to_async(
        lambda: list(questions["statements"].options.order_by("position"))
    )()
    assert entry.answers[str(questions["statements"].pk)]["votes"] == {
        str(statements[0].pk): "disagree",
        str(statements[2].pk): "agree",
    }
    await context.close()

    narrow, page = await phone_of(browser, daphne_url, "tess", width=320)
    await page.goto(daphne_url + entry_path(sheets[1]))
    await expect(page.locator(".vote-line")).to_have_count(len(STATEMENTS))
    assert await overflow(page) == []
    await screenshot(page, "paper", "entry-320.png")
    await narrow.close()

    desk = await browser.new_page(locale="nl-NL", viewport={"width": 1440, "height": 900})
    await log_in(desk, daphne_url, "tess")
    await desk.goto(daphne_url + entry_path(sheets[2]))
    await expect(desk.locator(".vote-line")).to_have_count(len(STATEMENTS))
    await screenshot(desk, "paper", "entry-1440.png")
    await desk.close()


async def test_every_error_sits_by_its_question_with_a_summary_of_links(
    browser, daphne_url, evening
):
    _session, questions, sheets = evening
    context, page = await phone_of(browser, daphne_url, "tara")
    await page.goto(daphne_url + entry_path(sheets[0]))
    multiple = page.get_by_role("group", name=questions["multiple"].text, exact=False).first
    for label in ("Groen", "Markt", "Fietsen"):  # three crosses where two are allowed
        await multiple.get_by_label(label, exact=True).check()
    ranking = questions["ranking"]
    await page.locator(f"#q{ranking.pk}-question select").nth(0).select_option("1")
    await page.locator(f"#q{ranking.pk}-question select").nth(1).select_option("1")
    await page.get_by_role("button", name="Formulier opslaan").click()

    summary = page.locator(".error-summary")
    await expect(summary).to_have_attribute("role", "alert")
    await expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    await expect(links).to_have_count(2)
    # Each link names its question by the paper's number and leads to it.
    for question in (questions["multiple"], ranking):
        link = summary.locator(f'a[href="#q{question.pk}-question"]')
        await expect(link).to_contain_text(question.text)
        fieldset = page.locator(f"#q{question.pk}-question")
        await expect(fieldset.locator(".field-error")).to_be_visible()
        # Followed, it puts the focus on the question's first box, its legend in view.
        await link.click()
        await expect(fieldset.locator("input, select").first).to_be_focused()
        await expect(fieldset.locator("legend")).to_be_in_viewport()
        await expect(fieldset).to_have_attribute("aria-describedby", f"q{question.pk}-error")
    await expect(page.locator(".field-error")).to_have_count(2)
    await expect(page.locator(f"#q{ranking.pk}-question .field-error")).to_contain_text(
        "Geef elke keuze een andere plaats"
    )
    # What was typed comes back, and nothing was saved.
    await expect(multiple.get_by_label("Fietsen", exact=True)).to_be_checked()
    assert not await sync_to_async(sheets[0].entries.exists)()
    await no_axe_violations(page)
    await screenshot(page, "paper", "entry-errors-390.png", full_page=False)
    await summary.locator(f'a[href="#q{ranking.pk}-question"]').click()
    assert page.url.endswith(f"#q{ranking.pk}-question")
    await expect(page.locator(f"#q{ranking.pk}-question")).to_be_in_viewport()
    await context.close()


async def test_a_teller_who_typed_the_first_entry_is_told_on_opening_the_form(
    browser, daphne_url, evening
):
    _session, questions, sheets = evening
    context, page = await phone_of(browser, daphne_url, "tara")
    await page.goto(daphne_url + entry_path(sheets[0]))
    await (
        page.get_by_role("group", name=questions["choice"].text, exact=False)
        .get_by_label("Markt", exact=True)
        .check()
    )
    await page.get_by_role("button", name="Formulier opslaan").click()
    await expect(page.locator(".message-success")).to_be_visible()

    # The same teller scans the same form again: told before typing anything.
    await page.goto(daphne_url + entry_path(sheets[0]))
    await expect(page.get_by_role("alert")).to_contain_text(str(sheets[0].serial))
    await expect(page.locator("form.teller-form")).to_have_count(0)
    await expect(page.get_by_role("radio")).to_have_count(0)
    await expect(page.get_by_role("link", name="Volgend formulier")).to_be_visible()
    await no_axe_violations(page)
    await screenshot(page, "paper", "entry-own-second-390.png", full_page=False)
    await context.close()

    # Another teller gets the form, and their matching entry verifies it.
    other, page = await phone_of(browser, daphne_url, "tess")
    await page.goto(daphne_url + entry_path(sheets[0]))
    await (
        page.get_by_role("group", name=questions["choice"].text, exact=False)
        .get_by_label("Markt", exact=True)
        .check()
    )
    await page.get_by_role("button", name="Formulier opslaan").click()
    await expect(page.locator(".message-success")).to_be_visible()
    await sync_to_async(sheets[0].refresh_from_db)()
    assert sheets[0].verified and sheets[0].state == "counted"
    await other.close()


def not_a_form() -> bytes:
    """A photo of a table top: no form in it."""
    picture = np.full((900, 1200), 120, dtype=np.uint8)
    cv2.circle(picture, (600, 450), 200, 60, -1)
    return cv2.imencode(".jpg", picture)[1].tobytes()


async def photograph(page, photo: bytes, name: str):
    await page.get_by_label("Foto van één pagina van een ingevuld formulier").set_input_files(
        files=[{"name": name, "mimeType": "image/jpeg", "buffer": photo}]
    )
    await page.get_by_role("button", name="Foto lezen").click()


async def test_the_photo_result_shows_statements_as_the_form_and_a_refusal_as_unread(
    browser, daphne_url, evening, organiser
):
    session, questions, sheets = evening
    statements = await sync_to_async(
        lambda: list(
            questions["statements"].options.order_by("position").values_list("pk", flat=True)
        )
    )()
    votes = {0: "agree", 1: "disagree", 3: "pass", 5: "agree"}
    marks = [
        ("cross", questions["statements"].pk, {"statement": statements[i], "vote": vote})
        for i, vote in votes.items()
    ]
    shots = await sync_to_async(photos)(sheets[2], marks)
    context, page = await phone_of(browser, daphne_url, "tara")
    await page.goto(f"{daphne_url}/t/s/{session.pk}/")

    await photograph(page, not_a_form(), "IMG_0100.jpg")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Deze foto is niet te lezen")
    await expect(page.get_by_role("alert")).to_be_visible()
    await screenshot(page, "paper", "photo-refused-390.png", full_page=False)

    for number, shot in enumerate(shots):
        await photograph(page, shot, f"IMG_02{number:02d}.jpg")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Foto gelezen")
    table = page.locator(".read-answers table.vote-table")
    await expect(table).to_have_count(1)
    await expect(table.locator("tbody tr")).to_have_count(len(STATEMENTS))
    headers = [t.strip() for t in await table.locator("thead th").all_inner_texts()]
    assert headers[1:] == ["eens", "oneens", "sla over"]
    for index, text in enumerate(STATEMENTS):
        row = table.locator("tbody tr").nth(index)
        await expect(row.get_by_role("rowheader")).to_have_text(text)
        ticked = [
            column
            for column, vote in enumerate(("agree", "disagree", "pass"))
            if "✕" in await row.locator(f"td.read-{vote}").inner_text()
        ]
        expected = [("agree", "disagree", "pass").index(votes[index])] if index in votes else []
        assert ticked == expected, (text, ticked)
    # Numbered as on the paper.
    await expect(page.locator(".read-answers dt").last).to_have_text(
        f"7. {questions['statements'].text}"
    )
    assert await overflow(page) == []
    await no_axe_violations(page)
    await screenshot(page, "paper", "photo-result-390.png")
    await context.close()

    # The facilitator's page of the reading shows the same rows, on a desktop.
    desk = await browser.new_page(locale="nl-NL", viewport={"width": 1440, "height": 900})
    await log_in(desk, daphne_url, organiser.username)
    url = await sync_to_async(
        lambda: reverse(
            "paper:reading",
            args=[
                session.process.slug,
                session.pk,
                SheetReading.objects.get(sheet=sheets[2]).pk,
            ],
        )
    )()
    await desk.goto(daphne_url + url)
    table = desk.locator(".read-answers table.vote-table")
    await expect(table.locator("tbody tr")).to_have_count(len(STATEMENTS))
    await expect(table.locator("tbody tr").nth(1).locator("td.read-disagree")).to_contain_text("✕")
    await no_axe_violations(desk)
    await screenshot(desk, "paper", "reading-1440.png")
    await desk.close()
