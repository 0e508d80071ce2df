"""The mail job against a real SMTP server (aiosmtpd, started in the test run): batches
per connection, the rate, news sent once and in one message, resuming (issue 22)."""

from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext

from following import mail
from following.models import Follower
from following.services import address_digest, confirm, follow_request
from sessions_app.models import FollowUpOutcome, PanelAnswerMode
from sessions_app.services.facilitation import question_close, question_open
from sessions_app.services.followups import follow_up_record
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.log import log_append
from tests.conftest import session_spec

from .conftest import links, token_of
from .smtp import free_port

pytestmark = pytest.mark.django_db

BASE = "http://testserver"


def followers(process, inbox, n: int) -> list[str]:
    """``n`` confirmed followers, confirmed through the mails the SMTP server received."""
    addresses = [f"inwoner{i}@example.nl" for i in range(n)]
    for address in addresses:
        follow_request(process=process, email=address, base_url=BASE)
    assert mail.run(rate=10_000).confirmations == n
    for received in inbox.received[-n:]:
        confirm(token_of(links(received.body)["confirm"]))
    inbox.received.clear()
    return addresses


def test_messages_go_in_batches_per_connection_and_news_once(published, inbox, settings):
    addresses = followers(published, inbox, 5)
    log_append(process=published, action="results.revealed", actor="system", data={})
    outcome = mail.run(batch=2, rate=10_000)
    assert outcome.news == 5
    assert sorted(r.to[0] for r in inbox.received) == addresses  # one message each
    assert inbox.connections == 3  # 2 + 2 + 1
    assert all(r.mail_from == settings.DEFAULT_FROM_EMAIL for r in inbox.received)
    assert mail.run(batch=2, rate=10_000).sent == 0  # sent once
    assert len(inbox.received) == 5
    published.refresh_from_db()
    assert set(Follower.objects.values_list("sent_seq", flat=True)) == {published.log_seq}


def test_several_news_items_in_one_message(published, inbox, organiser, make_question):
    [address] = followers(published, inbox, 1)
    question = published.sessions.first().questions.first()
    question_open(user=organiser, question=question)
    question_close(user=organiser, question=question)  # closing reveals the results
    log_append(
        process=published,
        action="results.revealed",
        actor="system",
        data={"question": question.pk},  # shown again: told once
    )
    live_session_create(
        user=organiser,
        process=published,
        spec=session_spec(title="Tweede avond", venue="Bibliotheek"),
    )
    follow_up_record(
        user=organiser,
        process=published,
        question_id=question.pk,
        outcome="adopted",
        reasoning="De raad nam het advies over.",
        decided_on=date(2026, 2, 1),
    )
    log_append(process=published, action="qna.answered", actor="system", data={"mode": "in_room"})
    log_append(
        process=published,
        action="process.decided",
        actor="system",
        data={
            "date": "2027-03-01",
            "summary": "Het plein wordt groen.",
            "url": "https://raad.example.nl/1",
        },
    )
    assert mail.run(rate=10_000).news == 1
    [received] = inbox.received
    assert received.to == [address]
    body = received.body
    assert published.title in received.message["Subject"]
    # The results once (shown again: told once); the follow-up names the question too.
    assert body.count(question.text) == 2
    assert body.count(f"Uitkomsten gepubliceerd: {question.text}") == 1
    assert "Tweede avond" in body and "Bibliotheek" in body
    assert "januari 2027" in body  # the meeting's date in the process's language
    assert "De raad nam het advies over." in body
    assert "Het plein wordt groen." in body and "https://raad.example.nl/1" in body
    assert "1 maart 2027" in body
    page = f"{BASE}{published.get_absolute_url()}"
    for anchor in ("#results", "#follow-up", "#sessions-heading", "#dossier"):
        assert f"{page}{anchor}" in body
    assert "in_room" not in body
    found = links(body)
    assert set(found) == {"stop"}
    assert received.message["List-Unsubscribe"].strip() == f"<{found['stop']}>"
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received.message.get_content_type() == "text/plain"


def test_a_written_answer_is_news_and_others_are_not(published, inbox):
    followers(published, inbox, 1)
    log_append(process=published, action="qna.answered", actor="system", data={"mode": "summary"})
    log_append(process=published, action="question.opened", actor="system", data={})
    assert mail.run(rate=10_000).sent == 0
    log_append(
        process=published,
        action="qna.answered",
        actor="system",
        data={"mode": PanelAnswerMode.WRITTEN, "asked": 0, "text": "Het antwoord."},
    )
    assert mail.run(rate=10_000).news == 1
    assert "Het antwoord." in inbox.received[0].body


def test_a_written_answer_names_its_question_only_while_it_is_approved(published, inbox):
    """A question to the panel hidden by moderation (after it was answered) is not named
    in the news mail; an approved one is, and the answer itself is news either way."""
    from sessions_app.models import Option

    followers(published, inbox, 1)
    round_ = published.sessions.get().questions.get()
    asked = {
        state: Option.objects.create(
            question=round_,
            position=10 + n,
            text=f"Vraag over de buren ({state})",
            origin="participant",
            moderation=state,
        )
        for n, state in enumerate(("approved", "hidden", "pending"))
    }
    for state, option in asked.items():
        log_append(
            process=published,
            action="qna.answered",
            actor="system",
            data={
                "mode": PanelAnswerMode.WRITTEN,
                "asked": option.pk,
                "text": f"Antwoord {state}.",
            },
        )
    assert mail.run(rate=10_000).news == 1
    body = inbox.received[0].body
    assert "Vraag over de buren (approved)" in body
    assert "(hidden)" not in body and "(pending)" not in body
    assert body.count("Het antwoord van het panel op een vraag is vastgelegd.") == 2
    assert all(f"Antwoord {state}." in body for state in asked)


def _items(body: str) -> list[str]:
    """A news mail's items, each its lines (title, detail, link) joined by newlines."""
    text = body.replace("\r\n", "\n").split("\n\n", 1)[1]
    return [item.strip().removeprefix("* ") for item in text.split("\n* ") if item.strip()]


def test_a_follow_up_names_its_question_and_meeting_as_the_feed_does(published, inbox, organiser):
    """A follow-up's item names the question it is about in its line, and the meeting
    that asked it in its detail, in the feed's words; one for the whole process says
    so without a question."""
    from sessions_app.feeds import meeting_words

    followers(published, inbox, 1)
    question = published.sessions.get().questions.get()
    question.text = "Komen er meer bankjes op het plein?"
    question.save(update_fields=["text"])
    for about in (question.pk, None):
        follow_up_record(
            user=organiser,
            process=published,
            question_id=about,
            outcome="adopted",
            reasoning=f"Reden {about}.",
            decided_on=date(2026, 2, 1),
        )
    assert mail.run(rate=10_000).news == 1
    on_question, on_process = _items(inbox.received[0].body)[:2]
    with translation.override("nl"):
        adopted = str(FollowUpOutcome("adopted").label)
        line = gettext("What was done with the input on “%(question)s”: %(outcome)s") % {
            "question": question.text,
            "outcome": adopted,
        }
        whole = gettext("What was done with the input: %(outcome)s") % {"outcome": adopted}
        meeting = meeting_words(question.session)
    assert "15 januari 2027" in meeting and "Wijkcentrum De Brug" in meeting
    title, detail, reason, link = on_question.split("\n")
    assert (title, detail.strip(), reason.strip()) == (line, meeting, f"Reden {question.pk}.")
    assert link.strip().endswith("#follow-up")
    assert on_process.splitlines()[0] == whole and question.text not in on_process


def test_a_new_follower_gets_only_later_news(published, inbox):
    [first] = followers(published, inbox, 1)
    log_append(process=published, action="results.revealed", actor="system", data={})
    follow_request(process=published, email="later@example.nl", base_url=BASE)
    mail.run(rate=10_000)
    news, confirmation = sorted(inbox.received, key=lambda r: r.to[0] == "later@example.nl")
    assert news.to == [first]
    confirm(token_of(links(confirmation.body)["confirm"]))
    inbox.received.clear()
    assert mail.run(rate=10_000).sent == 0
    log_append(process=published, action="follow_up.recorded", actor="system", data={})
    mail.run(rate=10_000)
    assert sorted(r.to[0] for r in inbox.received) == sorted([first, "later@example.nl"])


def test_the_rate_is_kept(published, inbox):
    followers(published, inbox, 3)
    log_append(process=published, action="results.revealed", actor="system", data={})
    waits = []
    mail.run(rate=60, sleep=waits.append)  # one a second
    assert len(waits) == 2
    assert all(0.5 < wait <= 1.0 for wait in waits)


def test_a_run_is_bounded_and_the_rest_follows(published, inbox, monkeypatch):
    followers(published, inbox, 7)
    log_append(process=published, action="results.revealed", actor="system", data={})
    first = mail.run(limit=2, rate=10_000)
    assert (first.news, first.more) == (2, True)
    requeued = []
    monkeypatch.setattr("following.wake.requeue", requeued.append)
    monkeypatch.setattr("following.mail.settings.MAIL_PER_RUN", 2)
    monkeypatch.setattr("following.mail.settings.MAIL_RATE", 10_000)
    call_command("send_notifications")
    assert requeued == [("send_notifications",)]  # the run's own name, to take the other
    call_command("send_notifications", "1")
    assert requeued[-1] == ("send_notifications", "1")
    call_command("send_notifications")
    assert len(requeued) == 2  # nothing left: not queued again
    assert len(inbox.received) == 7
    assert len({r.to[0] for r in inbox.received}) == 7


def test_the_job_takes_turns_between_its_two_names(monkeypatch):
    """A run cannot queue its own name (the queue holds it while it runs), nor can news
    committed while it runs: the other name is taken (``following.wake``)."""
    from following import wake

    started, active = [], set()
    monkeypatch.setattr(
        "sessions_app.services.background.start_command", lambda *a: started.append(a)
    )
    monkeypatch.setattr("sessions_app.services.background.active", lambda *a: a in active)
    wake.wake()
    assert started == [("send_notifications",)]
    active.add(("send_notifications",))
    wake.wake()
    assert started[-1] == ("send_notifications", "1")
    wake.requeue(("send_notifications", "1"))
    assert started[-1] == ("send_notifications",)
    wake.requeue(("send_notifications",))
    assert started[-1] == ("send_notifications", "1")


def test_a_mail_server_away_stops_the_run_and_nothing_is_marked(published, inbox, settings):
    followers(published, inbox, 2)
    log_append(process=published, action="results.revealed", actor="system", data={})
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens
    with pytest.raises(mail.MailServerError) as failed:
        mail.run(rate=10_000)
    assert "@" not in str(failed.value)
    before = set(Follower.objects.values_list("sent_seq", flat=True))
    published.refresh_from_db()
    assert published.log_seq not in before
    settings.EMAIL_PORT = port
    assert mail.run(rate=10_000).news == 2


def test_a_refused_address_is_not_tried_again(published, inbox, monkeypatch):
    follow_request(process=published, email="weg@example.nl", base_url=BASE)

    async def refuse(server, session, envelope, address, options):
        return "550 5.1.1 no such mailbox"

    monkeypatch.setattr(inbox, "handle_RCPT", refuse, raising=False)
    outcome = mail.run(rate=10_000)
    assert (outcome.refused, outcome.sent) == (1, 0)
    monkeypatch.delattr(inbox, "handle_RCPT")
    assert mail.run(rate=10_000).sent == 0
    assert Follower.objects.get().confirm_sent_at is not None


def test_a_refusal_for_now_is_tried_again(published, inbox, monkeypatch):
    follow_request(process=published, email="vol@example.nl", base_url=BASE)

    async def later(server, session, envelope, address, options):
        return "452 4.2.2 mailbox full"

    monkeypatch.setattr(inbox, "handle_RCPT", later, raising=False)
    assert mail.run(rate=10_000).deferred == 1
    monkeypatch.delattr(inbox, "handle_RCPT")
    assert mail.run(rate=10_000).confirmations == 1
    follower = Follower.objects.get(digest=address_digest("vol@example.nl"))
    assert follower.confirm_sent_at <= timezone.now()
