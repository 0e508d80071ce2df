"""What a hostile page or input can and cannot do in a real browser."""

import pytest
from asgiref.sync import sync_to_async

from sessions_app.services.processes import process_publish

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


async def test_the_content_security_policy_stops_injected_inline_script(
    browser, page, daphne_url, live_session, make_question, organiser
):
    await sync_to_async(make_question)("single_choice")
    await sync_to_async(process_publish)(user=organiser, process=live_session.process)
    await page.goto(f"{daphne_url}/j/{live_session.join_code}/")
    # Markup that got into a page somehow: an inline script and an inline style.
    ran = await page.evaluate(
        """() => {
            window.injected = false;
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
            const style = document.createElement("style");
            style.textContent = "body { display: none }";
            document.head.appendChild(style);
            return [window.injected, getComputedStyle(document.body).display];
        }"""
    )
    assert ran[0] is False
    assert ran[1] != "none"
    blocked = list(browser.csp_blocked)
    browser.csp_blocked.clear()
    assert any("script-src" in text for text in blocked)
    assert any("style-src" in text for text in blocked)
