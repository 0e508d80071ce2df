"""Following a process by e-mail in Chromium (issue 22): the organiser adds a document to
the dossier and publishes; a resident follows on the public page; the confirmation mail
reaches a real SMTP server (aiosmtpd) through the server's own background job, and its
link confirms with a button; the organiser records a follow-up; the news mail arrives;
its unsubscribe link and button delete the address. The new pages pass axe."""

import asyncio
import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from bench.stack import launch_daphne, stop_daphne
from following.models import Follower
from sessions_app.models import FollowUp, ProcessState
from tests.following.conftest import links
from tests.following.smtp import smtp_server

from .conftest import server_env
from .helpers import log_in, no_axe_violations
from .test_dossier import PDF

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADDRESS = "bewoner@example.nl"


@pytest.fixture(scope="module")
def inbox():
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def mail_server(django_db_setup, django_db_blocker, static_root, inbox):
    """A Daphne of its own, whose mail (sent by its background jobs) goes to ``inbox``,
    and whose news goes out at once."""
    env = {
        **server_env(static_root),
        "EMAIL_HOST": inbox.host,
        "EMAIL_PORT": str(inbox.port),
        "EMAIL_USE_TLS": "0",
        "DEFAULT_FROM_EMAIL": "inspraak@gemeente.example.nl",
        "MAIL_NEWS_DELAY": "0",
        "MAIL_RATE": "600",
    }
    server = launch_daphne(env=env, directory=static_root.parent)
    yield server
    stop_daphne(server)


@pytest.fixture
def plan(process, organiser, live_session, make_question):
    make_question("single_choice")
    return process


@sync_to_async
def state_of(process):
    process.refresh_from_db()
    return process.state


@sync_to_async
def followers_of(process):
    return list(Follower.objects.filter(process=process).values_list("email", "confirmed_at"))


@sync_to_async
def address_stored(address):
    return Follower.objects.filter(email__iexact=address).exists()


@sync_to_async
def follow_ups_of(process):
    return FollowUp.objects.filter(process=process).count()


async def next_mail(inbox, count):
    received = await asyncio.to_thread(inbox.wait_for, count, 60.0)
    return received[count - 1]


def local(url: str, base: str) -> str:
    """The mail's link on the test server (the mail holds the address it was asked on)."""
    return base + re.sub(r"^https?://[^/]+", "", url)


async def test_follow_confirm_news_and_unsubscribe(browser, mail_server, inbox, plan, tmp_path):
    base = f"http://{mail_server.url}"
    organiser = await browser.new_page(locale="nl-NL")
    await log_in(organiser, base, "olga")

    # The organiser adds a document with its summary to the dossier, and publishes.
    await organiser.goto(f"{base}/manage/{plan.slug}/dossier/")
    pdf = tmp_path / "schetsontwerp.pdf"
    pdf.write_bytes(PDF)
    add = organiser.locator("form").filter(has=organiser.locator("input[name=file]"))
    await add.locator("input[name=file]").set_input_files(str(pdf))
    await add.get_by_label("Titel").fill("Schetsontwerp Stationsplein")
    await add.get_by_label("Soort").select_option("plan")
    await add.get_by_label("Datum").fill("2026-11-01")
    await add.get_by_label("Samenvatting in gewone taal").fill("Meer bomen, minder parkeren.")
    await add.get_by_role("button", name="Aan het dossier toevoegen").click()
    await expect(organiser.locator(".dossier")).to_contain_text("Meer bomen, minder parkeren.")
    await organiser.goto(f"{base}/manage/{plan.slug}/publish/")
    await organiser.locator("[data-confirm] form[method=post] button[type=submit]").click()
    await expect(organiser.locator(".messages")).to_contain_text("gepubliceerd")
    assert await state_of(plan) == ProcessState.PUBLISHED

    # A resident follows on the public page: the same neutral answer for any address.
    context = await browser.new_context(locale="nl-NL")
    resident = await context.new_page()
    await resident.goto(base + plan.get_absolute_url())
    await expect(resident.locator("#dossier")).to_contain_text("Schetsontwerp Stationsplein")
    form = resident.locator("#follow form")
    await expect(form.locator("input[type=email]#follow-email")).to_be_visible()
    await no_axe_violations(resident)
    await form.locator("#follow-email").fill(ADDRESS)
    await form.locator("button[type=submit]").click()
    await expect(resident).to_have_url(re.compile(r"/follow/sent/$"))
    await no_axe_violations(resident)
    assert await followers_of(plan) == [(ADDRESS, None)]

    # The server's background job sent the confirmation mail to the SMTP server.
    confirmation = await next_mail(inbox, 1)
    assert confirmation.to == [ADDRESS]
    assert plan.title in confirmation.message["Subject"]
    found = links(confirmation.body)
    assert confirmation.message["List-Unsubscribe"].strip() == f"<{found['stop']}>"
    await resident.goto(local(found["confirm"], base))
    await no_axe_violations(resident)
    [(_email, confirmed)] = await followers_of(plan)
    assert confirmed is None  # opening the link confirms nothing: the button does
    await resident.locator("main form button[type=submit]").click()
    await expect(resident.locator("main [role=status]")).to_contain_text(plan.title)
    await no_axe_violations(resident)
    [(_email, confirmed)] = await followers_of(plan)
    assert confirmed is not None

    # The organiser records a follow-up: news, mailed by the background job.
    await organiser.goto(f"{base}/manage/{plan.slug}/follow-up/")
    record = organiser.locator("form").filter(has=organiser.locator("textarea[name=reasoning]"))
    await record.locator("input[name=outcome]").first.check()
    await record.locator("textarea[name=reasoning]").fill("De raad neemt de bomen over.")
    await record.locator("input[name=decided_on]").fill("2026-11-20")
    await record.get_by_role("button", name="Vastleggen en publiceren").click()
    await expect(organiser.locator(".messages")).to_be_visible()
    assert await follow_ups_of(plan) == 1
    news = await next_mail(inbox, 2)
    assert news.to == [ADDRESS]
    assert "De raad neemt de bomen over." in news.body
    assert f"{plan.get_absolute_url()}#follow-up" in news.body
    stop = links(news.body)["stop"]
    assert news.message["List-Unsubscribe"].strip() == f"<{stop}>"
    assert news.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Its unsubscribe link: a page with one button, which deletes the address.
    await resident.goto(local(stop, base))
    await no_axe_violations(resident)
    assert await address_stored(ADDRESS)
    await resident.locator("main form button[type=submit]").click()
    await expect(resident.locator("main [role=status]")).to_contain_text(plan.title)
    await no_axe_violations(resident)
    assert not await address_stored(ADDRESS)
    assert await followers_of(plan) == []
    # The server's log lines (its background jobs' too) never held the address.
    log = mail_server.log.read_text(encoding="utf-8")
    assert "send_notifications" in log or '"job": "mail"' in log
    assert "bewoner" not in log.lower()
    await context.close()
    await organiser.context.close()
