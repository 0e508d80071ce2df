"""A question round to the panel in real Chromium against a real Daphne (issue 21): two
phones ask (one without JavaScript), a third upvotes, a paper form's question is typed in
by a teller, the facilitator approves, merges two and pins one, the presenter shows it,
an answer is recorded, and the public page shows the questions with the answer."""

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.models import Option, Role
from sessions_app.services import paper
from sessions_app.services.facilitation import question_open
from sessions_app.services.print_runs import print_batch_create
from sessions_app.services.printing import form_layout
from sessions_app.services.processes import panel_replace, process_publish
from sessions_app.specs import PanelMemberSpec

from .helpers import log_in, no_axe_violations
from .test_live_session import join

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def round_(live_session, make_question, organiser, make_user, grant):
    process = live_session.process
    panel_replace(
        user=organiser,
        process=process,
        panel=[
            PanelMemberSpec("Wethouder Jansen", "wethouder"),
            PanelMemberSpec("Pieter de Boer", "projectleider"),
        ],
    )
    question = make_question(
        "qna",
        text="Vragen aan het panel",
        max_length=300,
        qna_names=True,
        panel=["Wethouder Jansen", "Pieter de Boer"],
    )
    process_publish(user=organiser, process=process)
    question_open(user=organiser, question=question)
    layout = form_layout(session=live_session, large_print=False, qna_cards=True)
    sheets = list(
        print_batch_create(
            user=organiser, session=live_session, count=1, layout=layout
        ).sheets.order_by("serial")
    )
    grant(process, make_user("fenna"), Role.FACILITATOR)
    grant(process, make_user("tara"), Role.TELLER)
    live_session.refresh_from_db()
    paths = {
        "console": f"/manage/{process.slug}/sessions/{live_session.pk}/console/",
        "public": process.get_absolute_url(),
        "entry": f"/t/{paper.sheet_token(sheets[0])}/",
    }
    return live_session, question, paths


@sync_to_async
def asked_id(text):
    return Option.objects.get(text=text).pk


async def test_a_question_round_from_phones_and_paper_to_the_public_page(
    browser, daphne_url, round_
):
    session, question, paths = round_
    code = session.join_code

    # Two phones ask: one live, one as a plain form without JavaScript.
    first = await join(browser, daphne_url, code)
    await expect(first.locator("button[data-order]")).to_have_count(2)  # the live card
    await first.get_by_label("Uw vraag aan het panel").fill("Wanneer begint de bouw?")
    await first.get_by_label("Aan (niet verplicht)").select_option(
        label="Pieter de Boer, projectleider"
    )
    await first.get_by_label("Uw naam zoals getoond (niet verplicht)").fill("Karin")
    await first.get_by_role("button", name="Vraag stellen").click()
    await expect(first.locator(f"#status-{question.pk}")).to_contain_text(
        "zodra een gespreksleider"
    )
    # The live card says what the plain page says: its help, and the question waiting
    # for a facilitator, also after a reload.
    await expect(first.locator(f"#q{question.pk}-ask-help")).to_have_text(
        "Ten hoogste 300 tekens. Een gespreksleider leest elke vraag voordat hij wordt getoond."
    )
    waiting = first.locator(".qna-waiting")
    await expect(waiting).to_have_text(
        "Uw vraag “Wanneer begint de bouw?” wacht op een gespreksleider."
    )
    await first.reload()
    await expect(first.locator("button[data-order]")).to_have_count(2)
    await expect(waiting).to_have_text(
        "Uw vraag “Wanneer begint de bouw?” wacht op een gespreksleider."
    )

    plain = await join(browser, daphne_url, code, javascript=False)
    await plain.get_by_label("Uw vraag aan het panel").fill("Hoe lang duurt de bouw?")
    await plain.get_by_role("button", name="Vraag stellen").click()
    await expect(plain.locator(f"#status-{question.pk}")).to_contain_text(
        "zodra een gespreksleider"
    )
    # axe needs JavaScript: check the same plain card in a browser whose phone script is
    # blocked.
    checker = await join(browser, daphne_url, code)
    await checker.context.route(
        re.compile(r".*/participant[^/]*\.js$"), lambda route: route.abort()
    )
    await checker.reload()
    await expect(checker.locator("button[data-order]")).to_have_count(0)
    await expect(checker.locator("textarea[name=ask_text]")).to_be_visible()
    await no_axe_violations(checker)

    # A teller types the question written on a paper form.
    desk = await browser.new_page(locale="nl-NL", viewport={"width": 390, "height": 760})
    await log_in(desk, daphne_url, "tara")
    await desk.goto(daphne_url + paths["entry"])
    await desk.get_by_label("Vraag op het formulier").fill("Komt er een kunstwerk op het plein?")
    await desk.get_by_label("Wethouder Jansen, wethouder").check()
    await desk.get_by_role("button", name="Formulier opslaan").click()
    await expect(desk.locator("body")).to_contain_text("Geteld")

    # The facilitator approves all three, merges the duplicate and pins one.
    console = await browser.new_page(locale="nl-NL", viewport={"width": 1280, "height": 900})
    await log_in(console, daphne_url, "fenna")
    console_path = paths["console"]
    await console.goto(daphne_url + console_path)
    queue = console.locator("#moderation")
    await expect(queue.get_by_role("button", name="Goedkeuren")).to_have_count(3)
    for _ in range(3):
        await queue.get_by_role("button", name="Goedkeuren").first.click()
        await console.wait_for_timeout(300)
    await expect(queue.get_by_role("button", name="Goedkeuren")).to_have_count(0)
    # Approved: on the list now, no longer waiting.
    await expect(first.locator(".qna-list")).to_contain_text("Wanneer begint de bouw?")
    await expect(waiting).to_have_text("")
    await console.reload()
    build = await asked_id("Wanneer begint de bouw?")
    duration = await asked_id("Hoe lang duurt de bouw?")
    artwork = await asked_id("Komt er een kunstwerk op het plein?")
    item = console.locator(f"#asked-{duration}")
    await item.get_by_label("Zelfde vraag als").select_option(str(build))
    await item.get_by_role("button", name="Samenvoegen").click()
    await expect(console.locator(f"#asked-{build}")).to_contain_text(
        "Samengevoegd: Hoe lang duurt de bouw?"
    )
    await (
        console.locator(f"#asked-{build}")
        .get_by_role("button", name=re.compile("^Vastzetten"))
        .click()
    )
    await expect(console.locator(f"#asked-{build}")).to_contain_text("vastgezet")
    hands = console.locator(f"#asked-{artwork}")
    await hands.get_by_label("Handen voor deze papieren vraag").fill("12")
    await hands.get_by_role("button", name="Handen opslaan").click()
    await expect(console.locator(f"#asked-{artwork}")).to_contain_text("handen 12")

    # A third phone upvotes; its own card shows the count; the presenter shows the pin.
    third = await join(browser, daphne_url, code)
    upvote = third.locator(f'button[data-asked="{build}"]')
    await upvote.click()
    await expect(third.locator(f"#asked-{build}")).to_contain_text("1 stem")
    await expect(third.locator(f'button[data-asked="{build}"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    await no_axe_violations(third)
    presenter = await browser.new_page(locale="nl-NL", viewport={"width": 1600, "height": 900})
    await presenter.goto(f"{daphne_url}/present/{code}/")
    await console.goto(daphne_url + console_path)
    await (
        console.locator(f"#q-{question.pk}")
        .get_by_role("button", name=re.compile("^Op het scherm tonen"))
        .first.click()
    )
    await expect(presenter.locator(".qna-pinned-text")).to_have_text("Wanneer begint de bouw?")
    await expect(presenter.locator(".stage-results")).to_contain_text("Komt er een kunstwerk")

    # The clerk records the answer; the round closes; the public page shows it.
    await console.reload()
    answer = console.locator(f"#asked-{build}")
    await answer.get_by_label(
        "Samenvatting van het antwoord (alleen als u “samenvatting” kiest)"
    ).fill("In het voorjaar van 2028.")
    await answer.get_by_role("button", name="Antwoord vastleggen").click()
    await expect(console.locator(f"#asked-{build}")).to_contain_text("In het voorjaar van 2028.")
    await (
        console.locator(f"#q-{question.pk}")
        .get_by_role("button", name=re.compile("^Sluiten"))
        .first.click()
    )

    public = await browser.new_page(locale="nl-NL")
    await public.goto(daphne_url + paths["public"])
    card = public.locator(f"article[aria-labelledby='result-{question.pk}']")
    await expect(card).to_contain_text("Wanneer begint de bouw?")
    await expect(card).to_contain_text("In het voorjaar van 2028.")
    await expect(card).to_contain_text("Ook zo gevraagd: Hoe lang duurt de bouw?")
    await expect(card).to_contain_text("waarvan 12 met handopsteken")
    await no_axe_violations(public)
