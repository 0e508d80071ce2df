"""Issue 18, the phone (items 6 to 10), in real Chromium at phone sizes: the confirmation in
the question's card, targets of at least 44 by 44 px and no sideways scrolling at 320 px,
ranking by tapping, a budget that says what is left or too much in its own unit, and
statements without JavaScript."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.models import Process, Response, ResponseStatus, Role
from sessions_app.services import facilitation
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.processes import process_publish
from sessions_app.specs import OptionSpec
from tests.conftest import PASSWORD, session_spec
from tests.e2e.screens import screenshot

from .helpers import no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NARROW = {"width": 320, "height": 640}
DESKTOP = {"width": 1440, "height": 900}

KINDS = ("single_choice", "multiple_choice", "scale", "ranking", "budget", "open_text")

LONG_PURPOSE = (
    "Het Stationsplein wordt in 2027 en 2028 opnieuw ingericht. De gemeente wil weten hoe "
    "bewoners, ondernemers en reizigers het plein gebruiken, wat zij missen en wat zeker "
    "moet blijven: bomen, bankjes, fietsenstallingen, de markt op zaterdag en de route "
    "naar het station voor mensen die slecht ter been zijn."
)
LONG_PROMISE = (
    "Wij verwerken alle antwoorden in een verslag. Het college legt het ontwerp met dit "
    "verslag voor aan de gemeenteraad, die in het voorjaar besluit. U leest op de "
    "procespagina wat er met de uitkomst is gedaan en waarom."
)


async def shoot(page, name: str) -> None:
    await screenshot(page, "phone", f"{name}.png")


@pytest.fixture
def evening(live_session, make_question, organiser, make_user, grant):
    """A published evening with one question of each kind (none open yet)."""
    Process.objects.filter(pk=live_session.process_id).update(
        purpose=LONG_PURPOSE, promise=LONG_PROMISE
    )
    questions = {kind: make_question(kind) for kind in KINDS}
    questions["euro"] = make_question(
        "budget", text="Hoe verdeelt u het budget van het plein?", budget_unit="euro"
    )
    questions["statements"] = make_question(
        "statements",
        options=[
            OptionSpec("Er moeten meer bomen op het plein komen."),
            OptionSpec("Auto's horen niet op het plein."),
        ],
    )
    process_publish(user=organiser, process=live_session.process)
    grant(live_session.process, make_user("fenna"), Role.FACILITATOR)
    live_session.refresh_from_db()
    live_session.console_path = (
        f"/manage/{live_session.process.slug}/sessions/{live_session.pk}/console/"
    )
    return live_session, questions


@sync_to_async
def open_(organiser, *questions):
    for question in questions:
        question.refresh_from_db()
        facilitation.question_open(user=organiser, question=question)


@sync_to_async
def close(organiser, question):
    question.refresh_from_db()
    facilitation.question_close(user=organiser, question=question)


@sync_to_async
def counted(question):
    return list(
        Response.objects.filter(question=question, status=ResponseStatus.COUNTED).order_by("pk")
    )


@sync_to_async
def counted_ranking(question):
    response = Response.objects.get(question=question, status=ResponseStatus.COUNTED)
    return [item.option.text for item in response.items.select_related("option").order_by("value")]


async def new_phone(browser, *, viewport=PHONE, javascript=True):
    context = await browser.new_context(
        locale="nl-NL", viewport=viewport, java_script_enabled=javascript
    )
    context.set_default_timeout(10_000)
    return await context.new_page()


async def join(browser, base, code, **kwargs):
    page = await new_phone(browser, **kwargs)
    await page.goto(f"{base}/j/{code}/")
    await page.get_by_role("button", name="Meedoen").click()
    await expect(page).to_have_url(re.compile(f"/j/{code}/answer/$"))
    return page


async def live(page):
    """The socket is up (the top line says so), so answers go over it."""
    await expect(page.locator("#live-status")).to_contain_text("Live")


# What the issue means by a target: every control someone taps. A radio button or check
# box is tapped through its label, which wraps it (the label is the target).
SMALL_TARGETS = """() => {
  const small = [];
  const seen = new Set();
  const controls = document.querySelectorAll(
    "a[href], button, select, textarea, summary, input:not([type=hidden])");
  for (const control of controls) {
    let target = control;
    if (control.matches("input[type=radio], input[type=checkbox]")) target = control.closest("label") || control;
    if (seen.has(target)) continue;
    seen.add(target);
    const style = getComputedStyle(target);
    const box = target.getBoundingClientRect();
    if (style.visibility === "hidden" || !box.width || !box.height) continue;  // not shown
    if (box.right < 0 || box.bottom < 0) continue;  // the skip link, off screen until focused
    if (box.width < 44 || box.height < 44) {
      small.push(`${target.tagName.toLowerCase()}.${target.className} "${(target.textContent || target.name || "").trim().slice(0, 30)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


WIDER_THAN_SCREEN = """() => [...document.querySelectorAll("body *")]
  .filter((node) => node.getBoundingClientRect().right > innerWidth)
  .map((node) => `${node.tagName.toLowerCase()}.${node.className} ${Math.round(node.getBoundingClientRect().right)}`)
  .slice(0, 8)"""


async def assert_fits(page, label: str):
    """Every target at least 44 by 44 px, and nothing wider than the screen."""
    small = await page.evaluate(SMALL_TARGETS)
    assert small == [], f"{label}: {small}"
    width = page.viewport_size["width"]
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    wide = await page.evaluate(WIDER_THAN_SCREEN) if scroll > width else []
    assert scroll <= width, f"{label}: {scroll} px wide on a {width} px screen: {wide}"


# --- item 6: the confirmation is in the card, and leaves with the question -------------------


async def console_for(browser, base, session):
    """The facilitator's console (fenna's), logged in and live."""
    console = await browser.new_page(locale="nl-NL")
    await console.goto(f"{base}/accounts/login/")
    await console.get_by_label("Gebruikersnaam").fill("fenna")
    await console.get_by_label("Wachtwoord").fill(PASSWORD)
    await console.get_by_role("button", name="Inloggen").click()
    await console.goto(f"{base}{session.console_path}")
    await expect(console.locator("#console-status")).to_have_text("Live")
    return console


async def show_and_open(console, question):
    """N shows the next question; O opens the one on screen."""
    await console.keyboard.press("n")
    await expect(console.locator(f"#q-{question.pk} [data-field=on-screen]")).to_be_visible()
    await console.keyboard.press("o")
    await expect(console.locator(f"#q-{question.pk} [data-field=state]")).to_have_text("open")


async def test_the_confirmation_is_in_the_card_and_leaves_with_the_question(
    browser, daphne_url, evening
):
    session, questions = evening
    choice, several = questions["single_choice"], questions["multiple_choice"]
    console = await console_for(browser, daphne_url, session)
    phone = await join(browser, daphne_url, session.join_code)
    await live(phone)
    await show_and_open(console, choice)
    card = phone.locator(f"#question-{choice.pk}")
    status = card.get_by_role("status")
    await expect(card.get_by_label("Markt")).to_be_visible()
    await expect(status).to_be_empty()

    await card.get_by_label("Markt").check()
    await card.get_by_role("button", name="Antwoord versturen").click()
    done = status.locator(".answer-done")
    await expect(done).to_contain_text("Uw antwoord is geteld.")
    await expect(done.locator(".done-mark")).to_have_text("✓")
    await expect(done.locator(".answer-summary")).to_contain_text("Markt")
    assert await status.get_attribute("aria-live") == "polite"
    # The top line says only that the phone is live, never the answer's fate.
    await expect(phone.locator("#live-status")).not_to_contain_text("Uw antwoord is geteld")
    # The form folds away under "Change my answer", which takes the focus.
    change = card.locator(".change-answer > summary")
    await expect(change).to_have_text("Mijn antwoord aanpassen")
    await expect(change).to_be_focused()
    await expect(card.get_by_label("Groen")).to_be_hidden()
    await shoot(phone, "phone-390-counted")
    await no_axe_violations(phone)

    # Changing: open, choose again, send; the card confirms the new answer.
    await change.click()
    await card.get_by_label("Groen").check()
    await card.get_by_role("button", name="Antwoord versturen").click()
    await expect(done.locator(".answer-summary")).to_contain_text("Groen")
    await expect(card.get_by_label("Groen")).to_be_hidden()
    assert await counted_options(choice) == [["Groen"]]

    # The next question arrives without any confirmation.
    await console.keyboard.press("c")
    await show_and_open(console, several)
    next_card = phone.locator(f"#question-{several.pk}")
    await expect(next_card.get_by_label("Fietsen")).to_be_visible()
    await expect(next_card.get_by_role("status")).to_be_empty()
    await expect(phone.locator(".answer-done")).to_have_count(0)
    await expect(phone.get_by_text("Uw antwoord is geteld.")).to_have_count(0)
    await shoot(phone, "phone-390-next-question")
    await phone.set_viewport_size(DESKTOP)
    await shoot(phone, "phone-1440-next-question")
    await assert_fits(phone, "the phone page on a laptop")


@sync_to_async
def counted_options(question):
    return [
        [item.option.text for item in response.items.all()]
        for response in Response.objects.filter(
            question=question, status=ResponseStatus.COUNTED
        ).prefetch_related("items__option")
    ]


async def test_without_javascript_the_page_after_sending_confirms_in_the_card(
    browser, daphne_url, evening, organiser
):
    session, questions = evening
    scale, text = questions["scale"], questions["open_text"]
    await open_(organiser, scale)
    phone = await join(browser, daphne_url, session.join_code, javascript=False)
    card = phone.locator(f"#question-{scale.pk}")
    await expect(card.locator(".answer-done")).to_have_count(0)
    await card.get_by_label("4").check()
    await card.get_by_role("button", name="Antwoord versturen").click()
    await expect(phone).to_have_url(re.compile(f"#question-{scale.pk}$"))
    done = card.get_by_role("status").locator(".answer-done")
    await expect(done).to_contain_text("Uw antwoord is geteld.")
    await expect(done.locator(".answer-summary")).to_contain_text("4")
    # Nothing about it at the top of the page: the receipt is in the card too.
    await expect(phone.locator(".messages")).to_have_count(0)
    await expect(card.get_by_role("status")).to_contain_text(
        re.compile(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}")
    )
    await shoot(phone, "phone-390-nojs-counted")

    # "Change my answer" opens the form, without JavaScript too.
    await card.locator(".change-answer > summary").click()
    await card.get_by_label("2").check()
    await card.get_by_role("button", name="Antwoord versturen").click()
    await expect(done.locator(".answer-summary")).to_contain_text("2")
    assert [r.number for r in await counted(scale)] == [2]

    # A new question's page has no confirmation.
    await close(organiser, scale)
    await open_(organiser, text)
    await phone.get_by_role("link", name="Kijk of er een volgende vraag is").click()
    await expect(phone.locator(f"#question-{text.pk}").get_by_label("Uw antwoord")).to_be_visible()
    await expect(phone.locator(".answer-done")).to_have_count(0)
    await expect(phone.get_by_text("Uw antwoord is geteld.")).to_have_count(0)


# --- item 7: targets, the first screen, and 320 px -------------------------------------------


async def test_join_shows_its_button_on_the_first_screen(browser, daphne_url, evening):
    session, _questions = evening
    page = await new_phone(browser)
    await page.goto(f"{daphne_url}/j/{session.join_code}/")
    button = page.get_by_role("button", name="Meedoen")
    box = await button.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], box
    assert await page.evaluate("window.scrollY") == 0
    await expect(page.get_by_text(LONG_PROMISE[:40])).to_be_visible()  # still on the page
    await shoot(page, "join-390")
    await assert_fits(page, "join at 390")
    await no_axe_violations(page)
    await page.set_viewport_size(NARROW)
    await assert_fits(page, "join at 320")
    await shoot(page, "join-320")
    # On a laptop the page keeps a phone's column, in the middle.
    await page.set_viewport_size(DESKTOP)
    main = await page.locator("main").bounding_box()
    assert main["width"] <= 520 and abs(main["x"] * 2 + main["width"] - 1440) < 2, main
    await shoot(page, "join-1440")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
async def test_every_phone_page_has_big_targets_and_fits_320_px(
    browser, daphne_url, evening, organiser, make_process, javascript
):
    session, questions = evening
    await open_(organiser, *questions.values())
    code = session.join_code
    for viewport in (PHONE, NARROW):
        phone = await join(browser, daphne_url, code, viewport=viewport, javascript=javascript)
        if javascript:
            await live(phone)
            await expect(phone.locator(".rank-tap")).to_be_visible()
        await expect(phone.locator(".question-card")).to_have_count(len(questions))
        name = f"{viewport['width']} {'js' if javascript else 'no js'}"
        await assert_fits(phone, f"the seven kinds at {name}")
        await shoot(phone, f"phone-{viewport['width']}-{'js' if javascript else 'nojs'}-all-kinds")
        # Answered: the confirmation and "Change my answer" (opened) fit too.
        card = phone.locator(f"#question-{questions['single_choice'].pk}")
        await card.get_by_label("Groen").check()
        await card.get_by_role("button", name="Antwoord versturen").click()
        await expect(card.locator(".answer-done")).to_be_visible()
        await card.locator(".change-answer > summary").click()
        await assert_fits(phone, f"an answered card at {name}")
        await phone.context.close()

    # The other phone pages: the code, an unknown code, not open yet, ended.
    page = await new_phone(browser, viewport=NARROW, javascript=javascript)
    await page.goto(f"{daphne_url}/j/")
    await assert_fits(page, "join with a code")
    await page.goto(f"{daphne_url}/j/ZZZZZZ/")
    await assert_fits(page, "unknown code")
    draft = await sync_to_async(make_process)(title="Nog niet open")
    draft_session = await sync_to_async(live_session_create)(
        user=organiser, process=draft, spec=session_spec()
    )
    await page.goto(f"{daphne_url}/j/{draft_session.join_code}/")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await assert_fits(page, "not open yet")
    await sync_to_async(facilitation.session_end)(user=organiser, session=session)
    await page.goto(f"{daphne_url}/j/{code}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Deze bijeenkomst is afgelopen")
    await assert_fits(page, "ended")
    await shoot(page, f"ended-320-{'js' if javascript else 'nojs'}")
    await page.context.close()


async def test_scale_values_are_full_width_buttons(browser, daphne_url, evening, organiser):
    session, questions = evening
    scale = questions["scale"]
    await open_(organiser, scale)
    phone = await join(browser, daphne_url, session.join_code, viewport=NARROW)
    await live(phone)
    card = phone.locator(f"#question-{scale.pk}")
    faces = card.locator(".scale-option")
    await expect(faces).to_have_count(5)
    form_width = (await card.locator("fieldset").bounding_box())["width"]
    for index in range(5):
        box = await faces.nth(index).bounding_box()
        assert box["height"] >= 44 and box["width"] >= form_width - 4, box
    await expect(faces.first).to_contain_text("slecht")
    await expect(faces.last).to_contain_text("goed")
    # Still a radio group: the keyboard moves through it.
    await card.get_by_label("1", exact=False).first.focus()
    await phone.keyboard.press("ArrowDown")
    await expect(card.locator("input[value='2']")).to_be_checked()
    await card.locator(".scale-option").nth(2).click()
    await expect(card.locator("input[value='3']")).to_be_checked()
    await card.get_by_role("button", name="Antwoord versturen").click()
    await expect(card.locator(".answer-done")).to_be_visible()
    assert [r.number for r in await counted(scale)] == [3]


# --- item 8: ranking by tapping, with the selects as the fallback ----------------------------


async def test_ranking_by_tapping_in_order_with_undo(browser, daphne_url, evening, organiser):
    session, questions = evening
    ranking = questions["ranking"]
    await open_(organiser, ranking)
    phone = await join(browser, daphne_url, session.join_code)
    await live(phone)
    card = phone.locator(f"#question-{ranking.pk}")
    items = card.locator(".rank-tap .rank-item")
    await expect(items).to_have_count(3)
    await expect(card.locator(".rank-selects")).to_be_hidden()
    said = card.locator(".rank-said")
    await expect(said).to_have_attribute("aria-live", "polite")

    fietsen, groen, markt = (items.filter(has_text=name) for name in ("Fietsen", "Groen", "Markt"))
    await fietsen.click()
    await groen.click()
    await expect(fietsen.locator(".rank-badge")).to_have_text("1")
    await expect(groen.locator(".rank-badge")).to_have_text("2")
    await expect(groen).to_have_attribute("aria-pressed", "true")
    await expect(markt).to_have_attribute("aria-pressed", "false")
    await expect(said).to_contain_text("Groen")
    await expect(said).to_contain_text("2")
    await shoot(phone, "phone-390-ranking")

    # Undo one: Fietsen out, Groen moves up to 1.
    await fietsen.click()
    await expect(fietsen.locator(".rank-badge")).to_have_text("")
    await expect(groen.locator(".rank-badge")).to_have_text("1")
    await expect(said).to_contain_text("Fietsen")
    # Start again, then order by keyboard only.
    await card.locator(".rank-again").click()
    await expect(card.locator(".rank-item[aria-pressed=true]")).to_have_count(0)
    await expect(items.first).to_be_focused()
    await markt.focus()
    await phone.keyboard.press("Enter")
    await fietsen.focus()
    await phone.keyboard.press("Space")
    await groen.focus()
    await phone.keyboard.press("Enter")
    assert (
        await card.locator(f"select[name=rank_{await option_id(ranking, 'Markt')}]").input_value()
        == "1"
    )
    await no_axe_violations(phone)
    await card.get_by_role("button", name="Antwoord versturen").click()
    await expect(card.locator(".answer-done")).to_contain_text("1. Markt, 2. Fietsen, 3. Groen")
    assert await counted_ranking(ranking) == ["Markt", "Fietsen", "Groen"]

    # Changing it later starts from the order that counts.
    await card.locator(".change-answer > summary").click()
    await expect(items.filter(has_text="Markt").locator(".rank-badge")).to_have_text("1")


async def test_the_tap_to_order_names_keep_the_processs_language_under_english(
    browser, daphne_url, evening, organiser
):
    """An English phone on a Dutch evening: the buttons the phone draws for tapping the
    order carry the options' language, as the labels they are made from do (WCAG 3.1.2),
    and so does the session's title."""
    session, questions = evening
    ranking = questions["ranking"]
    await open_(organiser, ranking)
    context = await browser.new_context(locale="en-GB", viewport=PHONE)
    context.set_default_timeout(10_000)
    await context.add_cookies([{"name": "django_language", "value": "en", "url": daphne_url}])
    phone = await context.new_page()
    await phone.goto(f"{daphne_url}/j/{session.join_code}/")
    await phone.get_by_role("button", name="Take part").click()
    await live(phone)
    assert await phone.evaluate("document.documentElement.lang") == "en"
    await expect(phone.locator("h1.session-title")).to_have_attribute("lang", "nl")
    names = phone.locator(f"#question-{ranking.pk} .rank-tap .rank-name")
    await expect(names).to_have_count(3)
    assert await names.evaluate_all("nodes => nodes.map(node => node.lang)") == ["nl"] * 3
    await context.close()


@sync_to_async
def option_id(question, text):
    return question.options.get(text=text).pk


async def test_ranking_without_javascript_uses_the_place_selects(
    browser, daphne_url, evening, organiser
):
    session, questions = evening
    ranking = questions["ranking"]
    await open_(organiser, ranking)
    phone = await join(browser, daphne_url, session.join_code, javascript=False)
    card = phone.locator(f"#question-{ranking.pk}")
    await expect(card.locator(".rank-tap")).to_have_count(0)
    await card.get_by_label("Markt").select_option("2")
    await card.get_by_label("Groen").select_option("1")
    await card.get_by_role("button", name="Antwoord versturen").click()
    await expect(card.locator(".answer-done")).to_contain_text("1. Groen, 2. Markt")
    assert await counted_ranking(ranking) == ["Groen", "Markt"]


# --- item 9: what is left, or too much, in the budget's unit -----------------------------------


@sync_to_async
def in_english(session):
    """These sentences are new: read them in English, the language they are written in
    (the Dutch catalogue follows; a process in English shows its phones English)."""
    Process.objects.filter(pk=session.process_id).update(language="en")


async def join_in_english(browser, base, code, **kwargs):
    page = await new_phone(browser, **kwargs)
    await page.goto(f"{base}/j/{code}/")
    await page.get_by_role("button", name="Take part").click()
    await expect(page).to_have_url(re.compile(f"/j/{code}/answer/$"))
    return page


async def test_a_budget_says_what_is_left_or_too_much_in_its_unit(
    browser, daphne_url, evening, organiser
):
    session, questions = evening
    points, euro = questions["budget"], questions["euro"]
    await in_english(session)
    await open_(organiser, points, euro)
    phone = await join_in_english(browser, daphne_url, session.join_code)
    await live(phone)
    card = phone.locator(f"#question-{points.pk}")
    left = card.locator(".budget-left")
    await expect(left).to_have_text("100 points left to divide.")
    await card.get_by_label("Groen").fill("130")
    await expect(left).to_have_text("30 points too many.")  # never "-30 left"
    await expect(left).to_have_class(re.compile(r"\bis-over\b"))
    await shoot(phone, "phone-390-budget-over")
    await card.get_by_label("Groen").fill("70")
    await expect(left).to_have_text("30 points left to divide.")
    await expect(left).not_to_have_class(re.compile(r"\bis-over\b"))
    await card.get_by_label("Groen").fill("99")
    await expect(left).to_have_text("1 point left to divide.")
    await expect(card.locator(".amount-unit")).to_have_text(["points"] * 3)
    await card.get_by_label("Groen").fill("70")
    await card.get_by_label("Markt").fill("30")
    await expect(left).to_have_text("All 100 points are divided.")
    await expect(left).to_have_class(re.compile(r"\bis-done\b"))
    await card.get_by_role("button", name="Send answer").click()
    await expect(card.locator(".answer-summary")).to_have_text(
        "Your answer: Groen: 70 points; Markt: 30 points"
    )

    # A budget in euro says euro wherever it says an amount.
    euro_card = phone.locator(f"#question-{euro.pk}")
    await expect(euro_card.locator(".amount-unit")).to_have_text(["euro"] * 3)
    await expect(euro_card.locator(f"#hint-{euro.pk}")).to_have_text(
        "Divide exactly 100 euro over the options."
    )
    await euro_card.get_by_label("Markt").fill("120")
    await expect(euro_card.locator(".budget-left")).to_have_text("20 euro too many.")
    await euro_card.get_by_label("Markt").fill("70")
    await expect(euro_card.locator(".budget-left")).to_have_text("30 euro left to divide.")
    await phone.set_viewport_size(NARROW)
    await assert_fits(phone, "budgets at 320")
    await no_axe_violations(phone)


async def test_a_budget_without_javascript_names_its_unit(browser, daphne_url, evening, organiser):
    session, questions = evening
    euro = questions["euro"]
    await in_english(session)
    await open_(organiser, euro)
    phone = await join_in_english(browser, daphne_url, session.join_code, javascript=False)
    card = phone.locator(f"#question-{euro.pk}")
    await expect(card.locator(".amount-unit")).to_have_text(["euro"] * 3)
    await expect(card.locator(f"#hint-{euro.pk}")).to_have_text(
        "Divide exactly 100 euro over the options."
    )
    await card.get_by_label("Groen").fill("60")
    await card.get_by_label("Fietsen").fill("40")
    await card.get_by_role("button", name="Send answer").click()
    await expect(card.locator(".answer-summary")).to_have_text(
        "Your answer: Groen: 60 euro; Fietsen: 40 euro"
    )


# --- item 10: statements without JavaScript at 320 px -------------------------------------------


async def test_statements_without_javascript_sit_side_by_side_at_320_px(
    browser, daphne_url, evening, organiser
):
    session, questions = evening
    statements = questions["statements"]
    await open_(organiser, statements)
    phone = await join(browser, daphne_url, session.join_code, viewport=NARROW, javascript=False)
    card = phone.locator(f"#question-{statements.pk}")
    first = card.get_by_role("group", name="Er moeten meer bomen op het plein komen.")
    choices = first.locator(".vote-choice")
    await expect(choices).to_have_count(3)
    boxes = [await choices.nth(i).bounding_box() for i in range(3)]
    # One row of three equal buttons, each at least 44 by 44 px, the words unbroken.
    assert len({round(b["y"]) for b in boxes}) == 1, boxes
    assert max(b["width"] for b in boxes) - min(b["width"] for b in boxes) < 2, boxes
    assert all(b["width"] >= 44 and 44 <= b["height"] < 70 for b in boxes), boxes
    await assert_fits(phone, "statements at 320 without JavaScript")
    await shoot(phone, "phone-320-nojs-statements")
    await first.get_by_label("Oneens").check()
    await expect(first.locator(".voting-disagree .vote-face")).to_have_css(
        "color", "rgb(255, 255, 255)"
    )
    await card.get_by_role("button", name="Antwoord versturen").click()
    await expect(card.get_by_role("status")).to_contain_text("Uw antwoord is geteld.")
    assert [r.number for r in await counted(statements)] == [-1]
    await expect(card.get_by_role("group", name="Auto's horen niet op het plein.")).to_be_visible()


async def test_statements_with_javascript_confirm_each_vote_in_the_card(
    browser, daphne_url, evening, organiser
):
    session, questions = evening
    statements = questions["statements"]
    await open_(organiser, statements)
    phone = await join(browser, daphne_url, session.join_code, viewport=NARROW)
    await live(phone)
    card = phone.locator(f"#question-{statements.pk}")
    first = card.get_by_role("group", name="Er moeten meer bomen op het plein komen.")
    buttons = first.locator(".vote-row button")
    await expect(buttons).to_have_count(3)  # the script's buttons replace the radio buttons
    # All three boxes from one drawing of the card (a snapshot may draw it again meanwhile).
    boxes = await buttons.evaluate_all(
        "nodes => nodes.map((n) => { const r = n.getBoundingClientRect(); return {y: r.y}; })"
    )
    assert len(boxes) == 3 and len({round(b["y"]) for b in boxes}) == 1, boxes
    await first.get_by_role("button", name="Eens", exact=True).click()
    await expect(card.get_by_role("status")).to_contain_text("Uw antwoord is geteld.")
    await expect(card.locator(".next-statement legend")).to_have_text(
        "Auto's horen niet op het plein."
    )
    await assert_fits(phone, "statements at 320 with JavaScript")
    await shoot(phone, "phone-320-js-statements")
    await no_axe_violations(phone)
