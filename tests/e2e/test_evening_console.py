"""Issue 18, the facilitator, in real Chromium against a real Daphne: ending a session
asks first and can be undone, with a summary on the console and a closing screen on the
projector; opening a question again hides its results; the rule of a show of hands; the
moderation queue near the top with a count and a key; closing paper counting warns about
forms waiting for their second entry, and the projector never says "null"."""

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.models import EntryMode, LiveSession, Process, Role
from sessions_app.services import paper
from sessions_app.services.print_runs import print_batch_create
from sessions_app.services.printing import form_layout
from sessions_app.services.processes import process_publish
from sessions_app.specs import OptionSpec
from tests.conftest import PASSWORD
from tests.e2e.screens import screenshot

from .helpers import no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1440, "height": 900}
PROJECTOR = {"width": 1920, "height": 1080}


async def shoot(page, name: str):
    await screenshot(page, "console", f"{name}.png")


@pytest.fixture
def evening(live_session, make_question, organiser, make_user, grant):
    choice = make_question(
        "single_choice",
        text="Welke kleur krijgen de nieuwe bankjes?",
        options=[OptionSpec(text) for text in ("Groen", "Blauw", "Rood")],
    )
    wall = make_question("open_text", text="Wat mag niet vergeten worden?")
    process = live_session.process
    Process.objects.filter(pk=process.pk).update(
        promise="De gemeenteraad besluit in juni over het plein, met uw inbreng erbij.",
        decision_maker="de gemeenteraad",
    )
    process_publish(user=organiser, process=process)
    grant(process, make_user("fenna"), Role.FACILITATOR)
    live_session.refresh_from_db()
    console_path = f"/manage/{process.slug}/sessions/{live_session.pk}/console/"
    return live_session, choice, wall, console_path


async def open_console(browser, base, path, *, viewport=DESKTOP, locale="nl-NL"):
    page = await browser.new_page(locale=locale, viewport=viewport)
    await page.goto(f"{base}/accounts/login/")
    await page.get_by_label("Gebruikersnaam").fill("fenna")
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Inloggen").click()
    await page.goto(f"{base}{path}")
    await expect(page.locator("#console-status")).to_have_text("Live")
    return page


async def open_presenter(browser, base, code):
    presenter = await browser.new_page(locale="nl-NL", viewport=PROJECTOR)
    await presenter.goto(f"{base}/present/{code}/")
    await expect(presenter.locator(".join-code")).to_have_text(code)
    return presenter


async def join(browser, base, code):
    context = await browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    phone = await context.new_page()
    await phone.goto(f"{base}/j/{code}/")
    await phone.get_by_role("button", name="Meedoen").click()
    await expect(phone).to_have_url(f"{base}/j/{code}/answer/")
    return phone


@sync_to_async
def session_state(session) -> str:
    return LiveSession.objects.get(pk=session.pk).state


async def test_ending_asks_first_and_can_be_undone(browser, daphne_url, evening):
    session, choice, _wall, console_path = evening
    slug = console_path.split("/")[2]
    presenter = await open_presenter(browser, daphne_url, session.join_code)
    console = await open_console(browser, daphne_url, console_path)
    await shoot(console, "console-1440")

    # "End session" is not next to "Next": Tab from Next goes elsewhere, and the button
    # sits in its own section at the end, marked apart.
    next_button = console.locator("nav.toolbar form[data-command=next] button")
    await next_button.focus()
    await console.keyboard.press("Tab")
    focused = await console.evaluate("document.activeElement.closest('#end-session') !== null")
    assert not focused
    end_button = console.locator("#end-session button")
    assert (
        await console.locator("nav.toolbar #end-session, nav.toolbar [data-confirm]").count() == 0
    )
    border = await console.locator("#end-session").evaluate(
        "e => getComputedStyle(e).borderTopColor"
    )
    assert border == "rgb(164, 38, 44)"  # the danger colour

    # Escape cancels; focus returns to the button; nothing ended.
    await end_button.click()
    dialog = console.locator("#confirm-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("#confirm-text")).to_contain_text("30")
    await shoot(console, "console-end-dialog-1440")
    await console.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(end_button).to_be_focused()
    assert await session_state(session) == "planned"

    # Confirmed: the console shows the summary, the projector a closing screen.
    await end_button.click()
    await dialog.locator("#confirm-yes").click()
    summary = console.locator("#summary")
    await expect(summary).to_be_visible()
    assert await session_state(session) == "ended"
    await expect(console.locator(".console-agenda")).to_have_count(0)
    await expect(summary.locator(".turnout td")).to_have_count(4)
    await expect(summary.locator(".summary-questions tbody tr")).to_have_count(2)
    await expect(summary.locator(".summary-questions")).to_contain_text(choice.text)
    await expect(summary.locator(f"a[href='/p/{slug}/']")).to_have_count(1)
    await expect(summary.locator("form[data-command=reopen] button")).to_be_visible()
    await no_axe_violations(console)
    await shoot(console, "console-summary-1440")

    await expect(presenter.locator(".closing-stage")).to_be_visible()
    await expect(presenter.locator(".join-code")).to_have_count(0)
    await expect(presenter.locator(".closing-promise")).to_contain_text("De gemeenteraad besluit")
    await expect(presenter.locator(".follow-box .join-url")).to_contain_text(f"/p/{slug}/")
    await expect(presenter.locator(".follow-box svg")).to_have_count(1)
    assert "Doe mee" not in await presenter.locator("body").inner_text()
    await no_axe_violations(presenter)
    await shoot(presenter, "presenter-closing-1920")

    # Reopened within the grace period: the agenda and the join code are back.
    await summary.locator("form[data-command=reopen] button").click()
    await expect(console.locator(".console-agenda")).to_be_visible()
    assert await session_state(session) == "planned"
    await expect(presenter.locator(".join-code")).to_have_text(session.join_code)


async def test_without_javascript_ending_is_a_confirm_step(browser, daphne_url, evening):
    session, _choice, _wall, console_path = evening
    context = await browser.new_context(locale="nl-NL", viewport=DESKTOP, java_script_enabled=False)
    console = await context.new_page()
    await console.goto(f"{daphne_url}/accounts/login/")
    await console.get_by_label("Gebruikersnaam").fill("fenna")
    await console.get_by_label("Wachtwoord").fill(PASSWORD)
    await console.get_by_role("button", name="Inloggen").click()
    await console.goto(f"{daphne_url}{console_path}")
    await console.locator("#end-session button").click()
    # A second step on the page: a real End button and a Cancel link; still running.
    await expect(console.locator("#end-session form[method=post] button")).to_be_visible()
    assert await session_state(session) == "planned"
    await console.locator("#end-session a.button").click()
    await expect(console.locator("#end-session form[method=post]")).to_have_count(0)
    await console.locator("#end-session button").click()
    await console.locator("#end-session form[method=post] button").click()
    await expect(console.locator("#summary")).to_be_visible()
    assert await session_state(session) == "ended"
    await context.close()


async def test_opening_again_hides_the_results(browser, daphne_url, evening):
    session, choice, _wall, console_path = evening
    presenter = await open_presenter(browser, daphne_url, session.join_code)
    console = await open_console(browser, daphne_url, console_path)
    item = console.locator(f"#q-{choice.pk}")
    # WCAG 2.1.4: the single-key shortcuts can be turned off, and that is remembered.
    await console.locator("details.shortcuts summary").click()
    switch = console.locator("#shortcuts-on")
    await expect(switch).to_be_checked()
    await switch.uncheck()
    await console.evaluate("document.activeElement.blur()")
    await console.keyboard.press("n")
    await console.wait_for_timeout(500)
    await expect(item.locator("[data-field=on-screen]")).to_be_hidden()
    await console.reload()
    await expect(console.locator("#console-status")).to_have_text("Live")
    await expect(console.locator("#shortcuts-on")).not_to_be_checked()
    await console.locator("details.shortcuts summary").click()
    await console.locator("#shortcuts-on").check()
    await console.evaluate("document.activeElement.blur()")
    await console.keyboard.press("n")
    await expect(item.locator("[data-field=on-screen]")).to_be_visible()
    await console.keyboard.press("o")
    await expect(item.locator("[data-field=state]")).to_have_text("open")
    await console.keyboard.press("c")
    await expect(item.locator("[data-field=state]")).to_have_text("gesloten")
    await console.keyboard.press("r")
    await expect(item.locator("[data-field=revealed]")).to_have_text("uitkomsten getoond")
    await expect(presenter.locator("#stage-results .result-list")).to_be_visible()
    await console.keyboard.press("o")
    await expect(item.locator("[data-field=state]")).to_have_text("open")
    await expect(item.locator("[data-field=revealed]")).to_have_text("uitkomsten verborgen")
    await expect(console.locator("#console-notice")).to_be_visible()
    await expect(presenter.locator("#stage-results .result-list")).to_have_count(0)
    await expect(presenter.locator("#stage-results")).to_contain_text("verborgen")


async def test_the_rule_of_hands_on_console_and_projector(browser, daphne_url, evening):
    session, choice, _wall, console_path = evening
    presenter = await open_presenter(browser, daphne_url, session.join_code)
    console = await open_console(browser, daphne_url, console_path)
    phone = await join(browser, daphne_url, session.join_code)
    item = console.locator(f"#q-{choice.pk}")
    await expect(presenter.locator("#stage-hands")).to_be_hidden()
    await console.keyboard.press("n")
    await expect(item.locator("[data-field=on-screen]")).to_be_visible()
    # The on-screen question's count is said politely (at most every 10 s).
    news = console.locator("#console-count-news")
    assert await news.get_attribute("aria-live") == "polite"
    await expect(news).to_contain_text(choice.text)
    await console.keyboard.press("o")
    # Open in a room: the projector states the rule before anyone raises a hand.
    await expect(presenter.locator("#stage-hands")).to_be_visible()
    await phone.get_by_label("Groen").check()
    await phone.get_by_role("button", name="Antwoord versturen").click()
    await expect(item.locator("[data-field=counts]")).to_contain_text("in de zaal 1")

    await item.locator("details.hands summary").click()
    rule = item.locator(".hands-rule")
    await expect(rule).to_be_visible()
    blauw = item.get_by_label("Blauw")
    assert await blauw.get_attribute("aria-describedby") == await rule.get_attribute("id")
    await blauw.fill("20")
    await item.get_by_role("button", name="Handen opslaan").click()
    await expect(item.locator("[data-field=counts]")).to_contain_text("21")
    await shoot(console, "console-hands-1440")
    await console.keyboard.press("c")
    await console.keyboard.press("r")
    # The hands stay apart in the split, and the rule stays with the results.
    rows = presenter.locator("#stage-results .result-row")
    await expect(rows.nth(1)).to_contain_text("20")
    await expect(presenter.locator("#stage-results .result-total")).to_contain_text("in de zaal 1")
    await expect(presenter.locator("#stage-results .result-total")).to_contain_text("handen 20")
    await expect(presenter.locator("#stage-hands")).to_be_visible()
    await no_axe_violations(presenter)
    await shoot(presenter, "presenter-hands-1920")


async def test_moderation_queue_near_the_top_with_count_and_key(browser, daphne_url, evening):
    session, _choice, wall, console_path = evening
    console = await open_console(browser, daphne_url, console_path)
    phone = await join(browser, daphne_url, session.join_code)
    badge = console.locator("#moderation-count")
    assert await badge.get_attribute("aria-live") == "polite"
    await expect(badge).to_have_attribute("data-count", "0")
    await console.locator(f"#q-{wall.pk} form[data-command=open] button").click()
    await expect(console.locator(f"#q-{wall.pk} [data-field=state]")).to_have_text("open")
    await phone.get_by_label("Uw antwoord").fill("Een watertappunt")
    await phone.get_by_role("button", name="Antwoord versturen").click()
    await expect(badge).to_have_attribute("data-count", "1")
    await expect(badge).to_have_class("count-badge waiting")
    item = console.locator("#moderation-queue .moderation-item")
    await expect(item.locator(".moderation-question-text")).to_have_text(wall.text)
    # The queue is in view at the top of the page, beside the agenda.
    box = await console.locator("#moderation").bounding_box()
    assert box["y"] < 900
    # M jumps to it; a few Tabs from Next reach it too.
    await console.evaluate("document.activeElement.blur()")
    await console.keyboard.press("m")
    await expect(item.get_by_role("button", name="Goedkeuren")).to_be_focused()
    await console.locator("nav.toolbar form[data-command=next] button").focus()
    for _ in range(6):
        await console.keyboard.press("Tab")
        if await console.evaluate("!!document.activeElement.closest('#moderation-queue')"):
            break
    else:
        raise AssertionError("the moderation queue is more than 6 Tab stops from Next")
    await expect(console.locator(".shortcuts")).to_contain_text("M")
    await no_axe_violations(console)
    await shoot(console, "console-moderation-1440")
    await console.set_viewport_size({"width": 390, "height": 844})
    await shoot(console, "console-390")
    await item.get_by_role("button", name="Goedkeuren").click()
    await expect(item).to_have_count(0)
    await expect(badge).to_have_attribute("data-count", "0")


@sync_to_async
def first_entry_of_one_form(session, choice, make_user, grant, organiser):
    Process.objects.filter(pk=session.process_id).update(entry_mode=EntryMode.DOUBLE)
    session.process.refresh_from_db()
    tom = make_user("tom")
    grant(session.process, tom, Role.TELLER)
    layout = form_layout(session=session, large_print=False)
    batch = print_batch_create(user=organiser, session=session, count=3, layout=layout)
    sheet = batch.sheets.order_by("serial").first()
    option = choice.options.order_by("position").first()
    paper.sheet_entry_record(
        user=tom,
        sheet=sheet,
        answers={str(choice.pk): {"option": option.pk}},
        client_id="entry-tom001",
    )


@sync_to_async
def paper_closed(session) -> bool:
    return LiveSession.objects.get(pk=session.pk).paper_closed_at is not None


async def test_closing_paper_warns_about_second_entries(
    browser, daphne_url, evening, make_user, grant, organiser
):
    session, choice, _wall, console_path = evening
    await first_entry_of_one_form(session, choice, make_user, grant, organiser)
    presenter = await open_presenter(browser, daphne_url, session.join_code)
    console = await open_console(browser, daphne_url, console_path)
    await console.keyboard.press("n")
    await expect(console.locator(f"#q-{choice.pk} [data-field=on-screen]")).to_be_visible()
    # Paper counting is open: the projector marks the count as provisional.
    await expect(presenter.locator("#stage-results .provisional")).to_be_visible()
    card = console.locator("#paper")
    await expect(card).to_have_attribute("data-waiting", "1")
    close = card.locator("form[data-command=paper_close] button")
    await close.click()
    dialog = console.locator("#confirm-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("#confirm-text")).to_contain_text("1")
    await shoot(console, "console-paper-dialog-1440")
    await dialog.get_by_role("button", name="Annuleren").click()
    await expect(dialog).to_be_hidden()
    assert not await paper_closed(session)
    await close.click()
    await dialog.locator("#confirm-yes").click()
    await expect(card.locator("form[data-command=paper_close]")).to_have_count(0)
    assert await paper_closed(session)
    # Closed: no longer provisional, and the line is gone, not replaced by "null".
    await expect(presenter.locator("#stage-results .provisional")).to_have_count(0)
    await expect(presenter.locator("#stage-results")).to_contain_text("Antwoorden: 0")
    assert "null" not in (await presenter.locator("body").inner_text()).lower()
    await shoot(presenter, "presenter-after-paper-1920")
