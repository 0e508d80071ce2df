"""A participant's receipt in real Chromium: a phone answers, keeps and saves its receipt,
and checks it on the public page; a phone without JavaScript gets its receipt too."""

import re
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.identifiers import receipt_hash
from sessions_app.models import LogEntry
from sessions_app.services import facilitation
from tests.e2e.test_live_session import join, no_axe_violations, town_hall  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECEIPT = re.compile(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}")


@sync_to_async
def open_question(question, organiser):
    facilitation.question_open(user=organiser, question=question)


@sync_to_async
def logged_receipts(process):
    return {
        e.data.get("receipt")
        for e in LogEntry.objects.filter(process=process, action="response.counted")
    }


async def test_a_phone_keeps_saves_and_checks_its_receipt(
    browser,
    daphne_url,
    town_hall,  # noqa: F811
    organiser,
):
    session, question, _console = town_hall
    await open_question(question, organiser)
    phone = await join(browser, daphne_url, session.join_code)
    await expect(phone.get_by_role("heading", name=question.text)).to_be_visible()
    # No receipts yet: no empty list.
    await expect(phone.locator("#receipts")).to_be_hidden()
    await phone.get_by_label("Groen").check()
    await phone.get_by_role("button", name="Antwoord versturen").click()
    await expect(phone.locator("#receipts")).to_be_visible()
    assert await phone.locator("#receipt-list").get_attribute("aria-live") is None
    code_cell = phone.locator("#receipt-list .receipt-code").first
    await expect(code_cell).to_have_text(RECEIPT)
    code = await code_cell.text_content()
    # The server holds the hash only, in the log.
    assert receipt_hash(code) in await logged_receipts(session.process)
    # Saved on the phone: still there after a reload, and as a file.
    await phone.reload()
    await expect(phone.locator("#receipt-list .receipt-code").first).to_have_text(code)
    async with phone.expect_download() as waiting:
        await phone.locator("#receipt-download").click()
    saved = await (await waiting.value).path()
    assert code in Path(saved).read_text(encoding="utf-8")
    await no_axe_violations(phone)

    # The receipt's link opens the public check page with the code filled in (from the
    # fragment, which never reaches the server).
    await phone.locator("#receipt-list a").first.click()
    await expect(phone).to_have_url(re.compile(f"/p/{session.process.slug}/check/$"))
    await expect(phone.locator("#receipt-code")).to_have_value(code)
    await phone.locator("#check-form button[type=submit]").click()
    result = phone.locator(".receipt-result")
    await expect(result).to_have_attribute("data-status", "counted")
    await expect(result).to_contain_text(question.text)
    await expect(result).to_contain_text("Groen")
    await no_axe_violations(phone)

    # A wrong code shows nothing of anyone's answer.
    await phone.locator("#receipt-code").fill("ABCD-EFGH-JKLM-NPQR")
    await phone.locator("#check-form button[type=submit]").click()
    await expect(phone.locator(".receipt-result")).to_have_count(0)
    await expect(phone.locator("[role=alert]")).to_be_visible()


async def test_a_phone_without_javascript_is_shown_its_receipt(
    browser,
    daphne_url,
    town_hall,  # noqa: F811
    organiser,
):
    session, question, _console = town_hall
    await open_question(question, organiser)
    phone = await join(browser, daphne_url, session.join_code, javascript=False)
    await phone.reload()
    await phone.get_by_label("Blauw").check()
    await phone.get_by_role("button", name="Antwoord versturen").click()
    message = phone.locator(f"#question-{question.pk} .answer-status")  # in the card (issue 18)
    await expect(message).to_contain_text(RECEIPT)
    code = RECEIPT.search(await message.text_content()).group(0)
    assert receipt_hash(code) in await logged_receipts(session.process)
    await phone.goto(f"{daphne_url}/p/{session.process.slug}/check/")
    await phone.locator("#receipt-code").fill(code)
    await phone.locator("#check-form button[type=submit]").click()
    await expect(phone.locator(".receipt-result")).to_have_attribute("data-status", "counted")
