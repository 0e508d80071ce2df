"""The opinion map in real Chromium against a real Daphne: phones vote on statements (one
in the browser, the others through the services), and the projector shows the groups,
computed by the server's worker process."""

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.services.facilitation import question_open, question_reveal, session_show
from sessions_app.services.processes import process_publish
from sessions_app.specs import OptionSpec
from tests.statement_votes import vote_all

from .helpers import log_in, no_axe_violations
from .test_live_session import join

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def statements_on_screen(live_session, make_question, organiser):
    question = make_question(
        "statements",
        text="Wat vindt u van deze stellingen?",
        options=[OptionSpec("Meer bomen op het plein."), OptionSpec("Geen auto's meer.")],
    )
    process_publish(user=organiser, process=live_session.process)
    question_open(user=organiser, question=question)
    session_show(user=organiser, session=live_session, question=question)
    question_reveal(user=organiser, question=question, revealed=True)
    vote_all(live_session, question, [(3, "agree"), (2, "disagree")], via="remote")
    live_session.refresh_from_db()
    return live_session, question


async def test_phones_vote_and_the_projector_shows_the_groups(
    browser, daphne_url, statements_on_screen
):
    session, question = statements_on_screen
    presenter = await browser.new_page(locale="nl-NL", viewport={"width": 1600, "height": 900})
    await presenter.goto(f"{daphne_url}/present/{session.join_code}/")
    # Five have voted: the map waits for enough people in two camps... or shows them.
    phone = await join(browser, daphne_url, session.join_code)
    for text in ("Meer bomen op het plein.", "Geen auto's meer."):
        # One at a time: the statement not voted on yet is the one up.
        up = phone.locator(".next-statement")
        await expect(up.locator("legend")).to_have_text(text)
        await up.get_by_role("button", name="Oneens", exact=True).click()
    await expect(phone.locator(".all-voted")).to_be_visible()
    opinion_map = presenter.locator("svg.opinion-map")
    await expect(opinion_map).to_be_visible(timeout=60_000)
    await expect(presenter.locator(".opinion-group")).to_have_count(2)
    await expect(presenter.locator(".opinion-groups")).to_contain_text("Groep A: 3 mensen")
    await expect(presenter.locator(".opinion-groups")).to_contain_text("Groep B: 3 mensen")
    await expect(opinion_map.locator("circle.dot")).to_have_count(6)
    label = await opinion_map.get_attribute("aria-label")
    assert "Groep A: 3 mensen" in label and "Groep B: 3 mensen" in label
    await expect(presenter.locator(".opinion-lists")).to_contain_text("Waar de groepen verschillen")
    await no_axe_violations(presenter)
    # The phone: where they are on the map, and what sets their group apart.
    await expect(phone.locator(".your-place")).to_contain_text(
        re.compile(r"U zit in groep [AB]\."), timeout=20_000
    )
    await expect(phone.locator(".your-place .you-mark")).to_have_count(1)
    await expect(phone.locator(".your-place")).to_contain_text("oneens 100%")
    await no_axe_violations(phone)
    count = await sync_to_async(question.responses.filter(status="counted").count)()
    assert count == 12
    # The facilitator's console says why there are two groups: their silhouette beside
    # the other numbers of groups'.
    slug = await sync_to_async(lambda: session.process.slug)()
    console = await browser.new_page(locale="nl-NL")
    await log_in(console, daphne_url, "olga")
    await console.goto(f"{daphne_url}/manage/{slug}/sessions/{session.pk}/console/")
    why = console.locator(f"#q-{question.pk} .opinion-why")
    await expect(why).to_contain_text(
        re.compile(r"2 groepen: silhouet -?\d+(,\d+)?\."), timeout=20_000
    )
    await no_axe_violations(console)
