"""A town hall in real Chromium against a real Daphne: a presenter, a facilitator's
console and three phones, one without JavaScript and one that drops off the network."""

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.models import Response, ResponseStatus, Role
from sessions_app.services.processes import process_publish
from sessions_app.specs import OptionSpec
from tests.conftest import PASSWORD

from .helpers import log_in, no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def town_hall(live_session, make_question, organiser, make_user, grant):
    question = make_question(
        "single_choice",
        text="Welke kleur krijgen de nieuwe bankjes?",
        options=[OptionSpec(text) for text in ("Groen", "Blauw", "Rood")],
    )
    process_publish(user=organiser, process=live_session.process)
    facilitator = make_user("fenna")
    grant(live_session.process, facilitator, Role.FACILITATOR)
    live_session.refresh_from_db()
    console_path = f"/manage/{live_session.process.slug}/sessions/{live_session.pk}/console/"
    return live_session, question, console_path


@sync_to_async
def counted_by_participant(question):
    return list(
        Response.objects.filter(question=question, status=ResponseStatus.COUNTED)
        .order_by("participant_id")
        .values_list("participant__public_id", flat=True)
    )


async def join(browser, base, code, *, javascript=True):
    context = await browser.new_context(
        locale="nl-NL", viewport={"width": 390, "height": 760}, java_script_enabled=javascript
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(f"{base}/j/{code}/")
    await page.get_by_role("button", name="Meedoen").click()
    await expect(page).to_have_url(re.compile(f"/j/{code}/answer/$"))
    return page


async def test_a_live_question_with_phones_presenter_and_console(browser, daphne_url, town_hall):
    session, question, console_path = town_hall
    code = session.join_code

    presenter = await browser.new_page(locale="nl-NL", viewport={"width": 1600, "height": 900})
    await presenter.goto(f"{daphne_url}/present/{code}/")
    await expect(presenter.locator(".join-code")).to_have_text(code)

    console = await browser.new_page(locale="nl-NL")
    await console.goto(f"{daphne_url}/accounts/login/")
    await console.get_by_label("Gebruikersnaam").fill("fenna")
    await console.get_by_label("Wachtwoord").fill(PASSWORD)
    await console.get_by_role("button", name="Inloggen").click()
    await console.goto(f"{daphne_url}{console_path}")
    await expect(console.locator("#console-status")).to_have_text("Live")

    # Before joining: the join page is accessible.
    visitor = await browser.new_page(locale="nl-NL", viewport={"width": 390, "height": 760})
    await visitor.goto(f"{daphne_url}/j/{code}/")
    await no_axe_violations(visitor)
    await visitor.close()

    phone_one = await join(browser, daphne_url, code)
    phone_two = await join(browser, daphne_url, code)
    phone_plain = await join(browser, daphne_url, code, javascript=False)
    await expect(console.locator("#console-connected")).to_contain_text("2 telefoons verbonden")

    # 1. The facilitator shows and opens the question with the keyboard.
    await console.keyboard.press("n")
    await expect(console.locator(f"#q-{question.pk} [data-field=on-screen]")).to_be_visible()
    await console.keyboard.press("o")
    await expect(presenter.locator("#stage-question")).to_have_text(question.text)
    await expect(presenter.locator("#stage-state")).to_have_text("open")
    # The screen reader's line: the question ends its own sentence ("…bankjes? Antwoorden"
    # with no full stop after the question mark).
    await expect(presenter.locator("#stage-summary")).to_have_text(f"{question.text} Antwoorden: 0")

    # The phones with JavaScript get the question by themselves and answer over the socket.
    await expect(phone_one.get_by_role("heading", name=question.text)).to_be_visible()
    await no_axe_violations(phone_one)
    await phone_one.get_by_label("Groen").check()
    await phone_one.get_by_role("button", name="Antwoord versturen").click()
    # The confirmation is in the question's card (issue 18), not in the line at the top.
    status = f"#question-{question.pk} .answer-status"
    await expect(phone_one.locator(status)).to_contain_text("Uw antwoord is geteld.")

    # The phone without JavaScript reloads and posts the plain form.
    await phone_plain.reload()
    await phone_plain.get_by_label("Blauw").check()
    await phone_plain.get_by_role("button", name="Antwoord versturen").click()
    await expect(phone_plain.locator(status)).to_contain_text("Uw antwoord is geteld.")

    # 3. The second phone drops off the network, answers, and comes back: counted once.
    await expect(phone_two.get_by_role("heading", name=question.text)).to_be_visible()
    await phone_two.context.set_offline(True)
    await expect(phone_two.locator("#live-status")).to_contain_text("Geen verbinding")
    await phone_two.get_by_label("Groen").check()
    await phone_two.get_by_role("button", name="Antwoord versturen").click()
    await expect(phone_two.locator(status)).to_contain_text("Bewaard op deze telefoon")
    await phone_two.context.set_offline(False)
    await expect(phone_two.locator(status)).to_contain_text(
        "Uw antwoord is geteld.", timeout=20_000
    )
    counted = await counted_by_participant(question)
    assert len(counted) == len(set(counted)) == 3

    # 2. The presenter shows the exact totals once the facilitator reveals them.
    await expect(presenter.locator("#stage-results")).to_contain_text("Antwoorden: 3")
    await expect(presenter.locator("#stage-results")).to_contain_text("verborgen")
    await console.keyboard.press("r")
    results = presenter.locator("#stage-results")
    await expect(results).to_contain_text("Groen")
    await expect(results.locator(".result-row").nth(0)).to_contain_text("66,7% (2)")
    await expect(results.locator(".result-row").nth(1)).to_contain_text("33,3% (1)")
    await expect(results.locator(".result-row").nth(0)).to_contain_text("in de zaal 2")
    await expect(presenter.locator("#stage-summary")).to_contain_text(
        "Antwoorden: 3", timeout=10_000
    )
    await no_axe_violations(presenter)

    # 4. The facilitator closes the question; a late answer is refused and changes nothing.
    await console.keyboard.press("c")
    await expect(presenter.locator("#stage-state")).to_have_text("gesloten")
    # An answered card folds its form under "Change my answer" (issue 18).
    await phone_plain.locator(".change-answer > summary").click()
    await phone_plain.get_by_label("Rood").check()
    await phone_plain.get_by_role("button", name="Antwoord versturen").click()
    await expect(phone_plain.locator(status)).to_contain_text("Deze vraag is gesloten")
    assert sorted(await counted_by_participant(question)) == sorted(counted)
    await expect(phone_one.get_by_text("Deze vraag is gesloten.")).to_be_visible()

    # 5. The facilitator ends the session: a phone still connected says so at once.
    await expect(phone_one.locator("#live-status")).not_to_contain_text("afgelopen")
    await console.locator("#end-session button").click()
    await console.locator("#confirm-dialog #confirm-yes").click()
    await expect(console.locator("#summary")).to_be_visible()
    await expect(phone_one.locator("#live-status")).to_have_text("Deze bijeenkomst is afgelopen.")


@pytest.fixture
def conversation(live_session, make_question, organiser, make_user, grant):
    statements = make_question(
        "statements",
        text="Wat vindt u van deze stellingen?",
        options=[OptionSpec("Meer bomen op het plein."), OptionSpec("Geen auto's meer.")],
        participants_may_add=True,
    )
    wall = make_question("open_text", text="Wat mag niet vergeten worden?")
    process_publish(user=organiser, process=live_session.process)
    grant(live_session.process, make_user("fenna"), Role.FACILITATOR)
    live_session.refresh_from_db()
    console_path = f"/manage/{live_session.process.slug}/sessions/{live_session.pk}/console/"
    return live_session, statements, wall, console_path


async def show_and_open(console, question):
    """N shows the next question; O opens the one on screen once the console knows it."""
    await console.keyboard.press("n")
    await expect(console.locator(f"#q-{question.pk} [data-field=on-screen]")).to_be_visible()
    await console.keyboard.press("o")
    await expect(console.locator(f"#q-{question.pk} [data-field=state]")).to_have_text("open")


@sync_to_async
def votes(question):
    return sorted(
        Response.objects.filter(question=question, status=ResponseStatus.COUNTED).values_list(
            "statement__text", "number"
        )
    )


async def test_statements_by_keyboard_moderation_and_the_wall(browser, daphne_url, conversation):
    session, statements, wall, console_path = conversation
    code = session.join_code
    presenter = await browser.new_page(locale="nl-NL", viewport={"width": 1600, "height": 900})
    await presenter.goto(f"{daphne_url}/present/{code}/")
    console = await browser.new_page(locale="nl-NL")
    await console.goto(f"{daphne_url}/accounts/login/")
    await console.get_by_label("Gebruikersnaam").fill("fenna")
    await console.get_by_label("Wachtwoord").fill(PASSWORD)
    await console.get_by_role("button", name="Inloggen").click()
    await console.goto(f"{daphne_url}{console_path}")
    await expect(console.locator("#console-status")).to_have_text("Live")
    await no_axe_violations(console)
    phone = await join(browser, daphne_url, code)

    await show_and_open(console, statements)
    # One statement at a time, as in Polis.
    first = phone.get_by_role("group", name="Meer bomen op het plein.")
    await expect(first).to_be_visible()
    await expect(phone.get_by_role("group", name="Geen auto's meer.")).to_have_count(0)
    await expect(phone.locator(".statement-count")).to_have_text("Stelling 1 van 2")
    # Keyboard: tab to "Eens", arrow keys do not vote, Enter does.
    agree = first.get_by_role("button", name="Eens", exact=True)
    await agree.focus()
    await phone.keyboard.press("ArrowRight")
    await phone.keyboard.press("ArrowLeft")
    assert await votes(statements) == []
    await phone.keyboard.press("Enter")
    card_status = phone.locator(f"#question-{statements.pk} .answer-status")
    await expect(card_status).to_contain_text("Uw antwoord is geteld.")
    assert await votes(statements) == [("Meer bomen op het plein.", 1)]
    # The next statement comes up, and focus goes with it; the vote given is folded away.
    second = phone.get_by_role("group", name="Geen auto's meer.")
    await expect(second.get_by_role("button", name="Eens", exact=True)).to_be_focused()
    await expect(phone.locator(".statement-count")).to_have_text("Stelling 2 van 2")
    # The console already has the opinion map's state: one voter is too few for groups,
    # and it says how many more votes are needed (one vote each from three more people).
    waiting = console.locator(f"#q-{statements.pk} .opinion-waiting")
    await expect(waiting).to_contain_text(
        "Groepen verschijnen zodra minstens vier mensen", timeout=20_000
    )
    await expect(waiting).to_contain_text("Er zijn nog 3 stemmen nodig.")
    await phone.get_by_text("Uw stemmen (1)").click()
    await expect(first.get_by_role("button", name="Eens", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )

    # A proposal waits for the facilitator; what the phone is typing survives its approval.
    await phone.get_by_label("Voeg zelf een stelling toe").fill("Meer schaduw.")
    await phone.get_by_role("button", name="Stelling versturen").click()
    await expect(card_status).to_contain_text("zodra een gespreksleider")
    await phone.get_by_label("Voeg zelf een stelling toe").fill("Nog een ide")
    await console.locator("#moderation-queue").get_by_role("button", name="Goedkeuren").click()
    await expect(phone.locator(".statement-count")).to_have_text("Stelling 2 van 3")
    await expect(phone.get_by_label("Voeg zelf een stelling toe")).to_have_value("Nog een ide")
    await second.get_by_role("button", name="Sla over", exact=True).click()
    await expect(phone.get_by_role("group", name="Meer schaduw.")).to_be_visible()
    await expect(phone.get_by_label("Voeg zelf een stelling toe")).to_have_value("Nog een ide")

    # Open text: answered, approved, revealed: on the wall.
    await show_and_open(console, wall)
    await phone.get_by_label("Uw antwoord").fill("Een watertappunt <b>graag</b>")
    await phone.get_by_role("button", name="Antwoord versturen").click()
    await expect(phone.locator(f"#question-{wall.pk} .answer-status")).to_contain_text(
        "Uw antwoord is geteld."
    )
    await console.locator("#moderation-queue").get_by_role("button", name="Goedkeuren").click()
    await console.keyboard.press("r")
    await expect(presenter.locator(".wall-card")).to_have_text("Een watertappunt <b>graag</b>")
    await no_axe_violations(presenter)
    await no_axe_violations(phone)


async def test_an_english_phone_marks_the_dutch_questions_it_draws(browser, daphne_url, town_hall):
    """A phone whose visitor chose English draws a question opened meanwhile with the
    question and its options marked Dutch (WCAG 3.1.2), its buttons not."""
    session, question, console_path = town_hall
    code = session.join_code
    context = await browser.new_context(locale="en-GB", viewport={"width": 390, "height": 760})
    await context.add_cookies([{"name": "django_language", "value": "en", "url": daphne_url}])
    phone = await context.new_page()
    await phone.goto(f"{daphne_url}/j/{code}/")
    await phone.get_by_role("button", name="Take part").click()
    await expect(phone.locator("#live-status")).to_contain_text("Live")

    console = await browser.new_page(locale="nl-NL")
    await log_in(console, daphne_url, "fenna")
    await console.goto(f"{daphne_url}{console_path}")
    await expect(console.locator("#console-status")).to_have_text("Live")
    await show_and_open(console, question)

    card = phone.locator(f"#question-{question.pk}")
    await expect(card.locator(".question-text")).to_have_text(question.text)
    await expect(card.locator(".question-text")).to_have_attribute("lang", "nl")
    await expect(card.locator(".choice-text").first).to_have_attribute("lang", "nl")
    send = card.get_by_role("button", name="Send answer")
    assert await send.get_attribute("lang") is None
    assert await phone.evaluate("document.documentElement.lang") == "en"
    # The new question, and later its closing, are said in a polite region of their own.
    news = phone.locator("#live-news")
    await expect(news).to_have_text(f"New question: {question.text}")
    assert await news.get_attribute("aria-live") == "polite"
    await expect(phone.locator("#live-status")).to_contain_text("Live")
    # Focus in the card when it is drawn again (closed): it goes to the new card's heading.
    await card.locator("input[type=radio], input[type=checkbox]").first.focus()
    await console.keyboard.press("c")
    await expect(news).to_have_text(f"Closed: {question.text}")
    await expect(card.locator(".question-text")).to_be_focused()
    await context.close()
    await console.close()
