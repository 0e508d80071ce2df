"""Issue 18, items 17 and 18, in real Chromium against a real Daphne: the public process
page (charts as named SVG images with their tables, sorted rows, grouped answers, session
headings, the opinion map) at desktop and phone sizes, and the public log (plain words,
and its chain checked in the browser: OK on the real log, broken on a tampered one)."""

import json
import re

import pytest
from playwright.async_api import expect

from tests.e2e.screens import screenshot
from tests.e2e.test_live_session import no_axe_violations
from tests.sessions_app.test_evening_public import BENCHES, LONG_ADDRESS, build_evening

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


# The log page's check button, in English or Dutch.
CHECK_BUTTON = re.compile("Check the whole log|hele logboek in deze browser controleren")


@pytest.fixture
def evening(process, live_session, organiser):
    second, q = build_evening(process, live_session, organiser)
    return process, live_session, second, q


async def _open(browser, url, *, width=1440, height=900, javascript=True):
    context = await browser.new_context(
        locale="nl-NL", viewport={"width": width, "height": height}, java_script_enabled=javascript
    )
    context.set_default_timeout(20_000)
    page = await context.new_page()
    await page.goto(url)
    return page


async def _shot(page, name):
    await screenshot(page, "public", name)


async def _no_overflow(page):
    wide = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    # Named when it fails: boxes whose content (text too) is wider than they are.
    sticking_out = await page.evaluate(
        """() => [...document.querySelectorAll('main *, footer *')]
            .filter((n) => n.scrollWidth > n.clientWidth + 0.5
              && getComputedStyle(n).overflowX === 'visible' && n.clientWidth > 0)
            .slice(-4).map((n) => `${n.tagName}.${n.getAttribute('class') || ''}`)"""
    )
    assert wide <= 0, f"the page overflows by {wide} px: {sticking_out}"


async def test_the_public_page_shows_charts_tables_sessions_and_the_opinion_map(
    browser, daphne_url, evening
):
    process, first, second, q = evening
    page = await _open(browser, f"{daphne_url}{process.get_absolute_url()}")
    results = page.locator("#results")
    # Session headings: each session's results under its title and date.
    await expect(results.get_by_role("heading", level=3)).to_have_count(2)
    await expect(results.get_by_role("heading", level=3).nth(0)).to_contain_text(first.title)
    await expect(results.get_by_role("heading", level=3).nth(1)).to_contain_text("Tweede avond")
    await expect(results.get_by_role("heading", level=3).nth(1)).to_contain_text("22 januari 2027")
    await expect(
        page.locator(f"#result-session-{second.pk}")
        .locator("xpath=..")
        .get_by_role("heading", name=BENCHES)
    ).to_have_count(1)

    # Every chart is an SVG image with an accessible name, and its table is there too.
    choice = page.locator(f"article[aria-labelledby='result-{q['choice'].pk}']")
    chart = choice.get_by_role("img", name=re.compile(BENCHES))
    await expect(chart).to_be_visible()
    assert await chart.evaluate("node => node.tagName.toLowerCase()") == "svg"
    assert "Blauw" in await chart.evaluate("node => node.querySelector('desc').textContent")
    charts = page.locator("#results svg.chart[role=img]")
    await expect(charts).to_have_count(5)  # two choices, ranking, budget, statements
    # Sorted: most chosen first, in the chart and in the table.
    labels = await choice.locator("svg .chart-label").all_text_contents()
    assert labels == ["Blauw", "Groen", "Rood"]
    await choice.locator("details.result-numbers summary").click()
    table = choice.get_by_role("table")
    await expect(table).to_be_visible()
    rows = await table.locator("tbody th[scope=row]").all_text_contents()
    assert [re.match(r"[A-Za-z]+", row)[0] for row in rows] == ["Blauw", "Groen", "Rood"]
    ranking = page.locator(f"article[aria-labelledby='result-{q['ranking'].pk}']")
    assert (await ranking.locator("svg .chart-label").all_text_contents())[0] == "Bankjes"
    await expect(ranking.locator("svg .chart-value").first).to_have_text("1,5")
    await expect(ranking).not_to_contain_text("Borda")

    # Identical open answers once, with a count.
    answers = page.locator(f"article[aria-labelledby='result-{q['text'].pk}'] .grouped-answers li")
    await expect(answers).to_have_count(3)
    await expect(answers.first).to_contain_text("Meer groen")
    await expect(answers.first.locator(".answer-count")).to_contain_text("3")

    # The opinion map of the closed statements question, drawn without a script.
    statements = page.locator(f"article[aria-labelledby='result-{q['statements'].pk}']")
    opinion_map = statements.locator("svg.opinion-map")
    await expect(opinion_map).to_be_visible()
    await expect(opinion_map).to_have_attribute("role", "img")
    await expect(opinion_map.locator("circle.dot")).to_have_count(6)
    await expect(statements.locator(".opinion-group")).to_have_count(2)
    await expect(statements.locator(".opinion-lists")).to_contain_text(
        "Waar de groepen verschillen"
    )
    await no_axe_violations(page)
    await _shot(page, "process-1440.png")
    await page.context.close()


async def test_the_public_page_fits_a_phone_and_works_without_javascript(
    browser, daphne_url, evening
):
    process, *_rest = evening
    url = f"{daphne_url}{process.get_absolute_url()}"
    # Without JavaScript the charts and the map are there: they are drawn on the server.
    bare = await _open(browser, url, width=390, height=844, javascript=False)
    await expect(bare.locator("#results svg.chart[role=img]")).to_have_count(5)
    await expect(bare.locator("svg.opinion-map")).to_be_visible()
    await bare.context.close()
    page = await _open(browser, url, width=390, height=844)
    await expect(page.locator("#results svg.chart").first).to_be_visible()
    # An answer with a long address breaks inside the page rather than widen it.
    await expect(page.locator(".grouped-answers li", has_text=LONG_ADDRESS)).to_be_visible()
    await _no_overflow(page)
    # The chart's text stays readable on a phone: drawn at least 13 px high.
    size = await page.locator("#results svg.chart .chart-label").first.evaluate(
        "node => node.getBoundingClientRect().height"
    )
    assert size >= 13
    await no_axe_violations(page)
    await _shot(page, "process-390.png")
    await page.set_viewport_size({"width": 320, "height": 700})
    await _no_overflow(page)
    await page.context.close()


async def test_the_log_describes_entries_and_checks_its_chain_in_the_browser(
    browser, daphne_url, evening
):
    process, *_rest = evening
    page = await _open(browser, f"{daphne_url}/p/{process.slug}/log/")
    log = page.locator("table.log")
    await expect(log.locator(".log-words").first).to_be_visible()
    await expect(log).to_contain_text("Er is een antwoord geteld.")
    await expect(log.locator("code.log-code", has_text="response.counted").first).to_be_visible()
    result = page.locator("#log-check-result")
    await expect(result).to_have_attribute("aria-live", "polite")
    await page.get_by_role("button", name=CHECK_BUTTON).click()
    await expect(result).to_have_attribute("data-outcome", "ok")
    await expect(result).to_contain_text(str(process.log_seq))
    await expect(result).to_contain_text(process.log_head)
    await no_axe_violations(page)
    await _shot(page, "log-1440.png")

    # The same canonical JSON as Python's, byte for byte, for values that tell them apart.
    cases = [1.0, -0.0, 1e16, 1e-05, 0.1, 123456789.25, 2**60, 'ë €\n"\\\u2028', {"b": [1, 2.5]}]
    canonical = [
        json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for v in cases
    ]
    found = await page.evaluate(
        """async (doc) => {
            const m = await import('/static/js/verify-log.js');
            return m.parse(doc).map(m.canonical);
        }""",
        json.dumps(cases),
    )
    assert found == canonical
    await page.context.close()


async def test_a_tampered_log_fails_the_check_at_the_changed_entry(browser, daphne_url, evening):
    process, *_rest = evening
    page = await _open(browser, f"{daphne_url}/p/{process.slug}/log/", width=390, height=844)
    changed = {}

    async def tamper(route):
        response = await route.fetch()
        body = json.loads(await response.text())
        for entry in body["entries"]:
            text = json.dumps(entry["data"], ensure_ascii=False)
            if "Ideeën-muur" in text and not changed:
                entry["data"] = json.loads(text.replace("Ideeën-muur", "Ideeen-muur"))
                changed["seq"] = entry["seq"]
        await route.fulfill(
            response=response, body=json.dumps(body, ensure_ascii=False).encode("utf-8")
        )

    await page.route(re.compile(r"/log/entries\.json"), tamper)
    await page.get_by_role("button", name=CHECK_BUTTON).click()
    result = page.locator("#log-check-result")
    await expect(result).to_have_attribute("data-outcome", "broken")
    assert changed, "the log had no Dutch text to change"
    await expect(result).to_have_attribute("data-seq", str(changed["seq"]))
    await expect(result).to_contain_text(str(changed["seq"]))
    await _shot(page, "log-390-tampered.png")
    await _no_overflow(page)

    # An entry left out: the chain breaks at the gap.
    await page.unroute(re.compile(r"/log/entries\.json"))

    async def drop(route):
        response = await route.fetch()
        body = json.loads(await response.text())
        body["entries"] = [e for e in body["entries"] if e["seq"] != 3]
        await route.fulfill(response=response, body=json.dumps(body, ensure_ascii=False))

    await page.route(re.compile(r"/log/entries\.json"), drop)
    await page.get_by_role("button", name=CHECK_BUTTON).click()
    await expect(result).to_have_attribute("data-seq", "4")
    await expect(result).to_have_attribute("data-outcome", "broken")
    await page.context.close()


async def test_the_log_without_javascript_explains_the_check_on_the_command_line(
    browser, daphne_url, evening
):
    process, *_rest = evening
    page = await _open(
        browser, f"{daphne_url}/p/{process.slug}/log/", width=390, height=844, javascript=False
    )
    check = page.locator("#log-check")
    await expect(check.get_by_role("heading", level=2)).to_be_visible()
    await expect(check.get_by_role("button")).to_have_count(0)  # the browser check needs JS
    await check.locator("details summary").click()
    await expect(check.locator(".log-check-script")).to_contain_text("entries.json")
    await expect(check.locator(".log-check-script")).to_contain_text("hashlib.sha256")
    await _shot(page, "log-390-nojs.png")
    await page.context.close()
    # The same page at 390 and 320 px with JavaScript: nothing sticks out, axe is clean.
    page = await _open(browser, f"{daphne_url}/p/{process.slug}/log/", width=390, height=844)
    await page.locator("#log-check details summary").click()
    await _no_overflow(page)
    await no_axe_violations(page)
    await _shot(page, "log-390.png")
    await page.set_viewport_size({"width": 320, "height": 700})
    await _no_overflow(page)
    await page.context.close()
