"""Following a process by e-mail: double opt-in, duplicates, expiry, limits, unsubscribe,
and the address kept out of everything else (issue 22)."""

import hashlib
import json
import logging
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core import mail as outbox
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from following import mail
from following.models import Follower, Token
from following.services import (
    FOLLOW_CODES,
    FollowError,
    address_digest,
    confirm,
    confirmable,
    follow_request,
    followers_count,
    purge_expired,
    unsubscribe,
)
from sessions_app.models import LogEntry
from sessions_app.services.log import log_append
from sessions_app.services.retention import purge

from .conftest import links, token_of

pytestmark = pytest.mark.django_db

ADDRESS = "Inwoner.Een@Example.NL"
BASE = "https://inspraak.example.nl"


def ask(process, address=ADDRESS, **kwargs):
    follow_request(process=process, email=address, base_url=BASE, **kwargs)


def confirmation_links(address="Inwoner.Een@example.nl") -> dict[str, str]:
    [message] = [m for m in outbox.outbox if address in m.to]
    return links(message.body)


def follow_confirmed(process, address=ADDRESS) -> Follower:
    outbox.outbox.clear()
    ask(process, address)
    mail.run()
    [message] = outbox.outbox
    confirm(token_of(links(message.body)["confirm"]))
    outbox.outbox.clear()
    return Follower.objects.get(process=process, digest=address_digest(address.lower()))


def test_double_opt_in(published, _no_background, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask(published)
    row = Follower.objects.get()
    assert row.confirmed_at is None
    assert row.email == "Inwoner.Een@example.nl"  # the domain in lower case
    assert timedelta(hours=47) < row.expires_at - timezone.now() <= timedelta(hours=48)
    assert _no_background == ["now"]  # the confirmation mail is asked for after commit...
    assert outbox.outbox == []  # ... and sent by the job, not by the request

    outcome = mail.run()
    assert outcome.confirmations == 1
    [message] = outbox.outbox
    assert message.to == ["Inwoner.Een@example.nl"]
    assert published.title in message.subject
    found = links(message.body)
    assert set(found) == {"confirm", "stop"}
    assert found["confirm"].startswith(f"{BASE}/follow/")
    assert message.extra_headers["List-Unsubscribe"] == f"<{found['stop']}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Not following before the link is used; the job does not send it twice.
    assert followers_count(published) == 0
    assert mail.run().sent == 0
    published.refresh_from_db()
    head = published.log_seq
    follower = confirm(token_of(found["confirm"]))
    assert follower.confirmed_at is not None and follower.expires_at is None
    assert follower.sent_seq == head  # only news from now on
    entry = LogEntry.objects.filter(process=published).latest("seq")
    assert (entry.action, entry.actor, entry.data) == (
        "followers.changed",
        "system",
        {"followers": 1},
    )
    # Confirming twice is harmless and logs nothing more.
    confirm(token_of(found["confirm"]))
    assert LogEntry.objects.filter(action="followers.changed").count() == 1


def test_tokens_are_random_and_stored_as_their_hash_only(published):
    ask(published)
    mail.run()
    found = confirmation_links()
    tokens = {kind: token_of(url) for kind, url in found.items()}
    stored = set(Token.objects.values_list("digest", flat=True))
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens.values()}
    assert not any(t in stored for t in tokens.values())
    assert len(tokens["confirm"]) >= 40 and tokens["confirm"] != tokens["stop"]


def test_the_same_address_follows_once_and_gets_a_mail_an_hour_at_most(published, _no_background):
    ask(published)
    ask(published, ADDRESS.upper())  # case makes no other address
    assert Follower.objects.count() == 1
    mail.run()
    assert len(outbox.outbox) == 1
    ask(published)  # within the hour: the same answer, no mail
    assert mail.run().sent == 0
    later = timezone.now() + timedelta(minutes=61)
    ask(published, now=later)
    assert mail.run().confirmations == 1
    assert len(outbox.outbox) == 2
    # Both links work until the address is confirmed or expires.
    first, second = (links(m.body)["confirm"] for m in outbox.outbox)
    assert confirmable(token_of(first)) == confirmable(token_of(second))
    confirm(token_of(second))
    assert Follower.objects.get().confirmed_at is not None
    # Following already: asking again sends nothing, and says the same.
    outbox.outbox.clear()
    ask(published, now=later + timedelta(hours=2))
    assert mail.run().sent == 0


def test_unconfirmed_addresses_expire_and_are_purged(published, process):
    ask(published)
    mail.run()
    token = token_of(confirmation_links()["confirm"])
    follower = follow_confirmed(published, "blijft@example.nl")
    late = timezone.now() + timedelta(hours=49)
    with pytest.raises(FollowError) as refused:
        confirm(token, now=late)
    assert refused.value.code == "expired_token"
    assert purge_expired(timezone.now()) == 0
    assert purge_expired(late) == 1
    assert list(Follower.objects.all()) == [follower]  # a confirmed one stays
    assert Token.objects.filter(follower__confirmed_at__isnull=True).count() == 0
    with pytest.raises(FollowError) as refused:
        confirm(token)
    assert refused.value.code == "unknown_token"


def test_the_daily_purge_removes_expired_addresses(published):
    ask(published, now=timezone.now() - timedelta(hours=49))
    purge()
    assert not Follower.objects.exists()
    # No log entry for it: the number of followers did not change.
    assert not LogEntry.objects.filter(action="followers.changed").exists()


def test_an_expired_row_asked_again_starts_afresh(published):
    ask(published, now=timezone.now() - timedelta(hours=49))
    ask(published)
    row = Follower.objects.get()
    assert row.expires_at > timezone.now()


def test_one_network_cannot_fill_the_pending_cap_and_lock_the_form(published, monkeypatch):
    """A script sending made-up addresses from one network is stopped at
    ``REQUESTS_PER_HOUR`` (an hour's count, per network address); a resident on another
    network still follows."""
    from django.core.cache import cache

    from following import services

    cache.clear()
    monkeypatch.setattr(services, "REQUESTS_PER_HOUR", 3)
    for number in range(3):
        ask(published, f"verzonnen{number}@example.nl", network="198.51.100.7")
    with pytest.raises(FollowError) as refused:
        ask(published, "verzonnen9@example.nl", network="198.51.100.7")
    assert refused.value.code == "too_many_requests"
    assert Follower.objects.count() == 3
    ask(published, "bewoner@example.nl", network="203.0.113.5")
    assert Follower.objects.count() == 4


def test_pending_addresses_are_capped_per_process_alike_for_known_and_unknown(published, settings):
    settings.FOLLOW_PENDING_MAX = 2
    ask(published, "a@example.nl")
    ask(published, "b@example.nl")
    for address in ("c@example.nl", "a@example.nl"):
        with pytest.raises(FollowError) as refused:
            ask(published, address)
        assert refused.value.code == "too_many_pending"
    assert Follower.objects.count() == 2


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "geen-apenstaartje",
        "a@b",
        "twee@@example.nl",
        "a@example.nl\nBcc: x@y.nl",
        "x" * 245 + "@example.nl",
        None,
        ["a@example.nl"],
    ],
)
def test_invalid_addresses_are_refused(published, address):
    with pytest.raises(FollowError) as refused:
        ask(published, address)
    assert refused.value.code == "invalid_email"
    assert refused.value.message == str(FOLLOW_CODES["invalid_email"])
    assert not Follower.objects.exists()


def test_a_draft_process_cannot_be_followed(process):
    with pytest.raises(FollowError) as refused:
        ask(process)
    assert refused.value.code == "process_not_public"


def test_following_can_be_switched_off(published, settings):
    settings.FOLLOW_BY_EMAIL = False
    with pytest.raises(FollowError) as refused:
        ask(published)
    assert refused.value.code == "following_off"


def test_mails_only_printed_on_the_console_switch_following_off(published, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.DEBUG = False
    with pytest.raises(FollowError) as refused:
        ask(published)
    assert refused.value.code == "following_off"


def test_no_mail_server_switches_following_off(published, settings):
    """Without a mail server the site sends nothing (the dummy backend): nobody may give
    an address whose confirmation would never come."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    settings.DEBUG = False
    with pytest.raises(FollowError) as refused:
        ask(published)
    assert refused.value.code == "following_off"
    assert not Follower.objects.exists()


def test_unsubscribe_deletes_the_address(published):
    follower = follow_confirmed(published)
    follow_confirmed(published, "tweede@example.nl")
    log_append(process=published, action="results.revealed", actor="system", data={"question": 0})
    mail.run()
    message = next(m for m in outbox.outbox if m.to == [follower.email])
    stop = token_of(links(message.body)["stop"])
    unsubscribe(stop)
    assert not Follower.objects.filter(pk=follower.pk).exists()
    assert not Token.objects.filter(follower_id=follower.pk).exists()
    assert not Follower.objects.filter(email__iexact=ADDRESS).exists()
    entry = LogEntry.objects.filter(process=published).latest("seq")
    assert (entry.action, entry.data) == ("followers.changed", {"followers": 1})
    with pytest.raises(FollowError) as refused:
        unsubscribe(stop)
    assert refused.value.code == "unknown_token"


def test_an_unconfirmed_address_deleted_from_its_mail_changes_no_count(published):
    ask(published)
    mail.run()
    unsubscribe(token_of(confirmation_links()["stop"]))
    assert not Follower.objects.exists()
    assert not LogEntry.objects.filter(action="followers.changed").exists()


def test_a_confirm_link_does_not_unsubscribe_nor_the_other_way_round(published):
    ask(published)
    mail.run()
    found = confirmation_links()
    with pytest.raises(FollowError):
        unsubscribe(token_of(found["confirm"]))
    with pytest.raises(FollowError):
        confirm(token_of(found["stop"]))
    for bad in ("", "x", "a" * 500, None):
        with pytest.raises(FollowError) as refused:
            confirm(bad)
        assert refused.value.code == "unknown_token"


def test_news_wakes_the_job_only_with_followers(
    published, django_capture_on_commit_callbacks, _no_background
):
    with django_capture_on_commit_callbacks(execute=True):
        log_append(process=published, action="results.revealed", actor="system", data={})
    assert "later" not in _no_background  # nobody follows
    follow_confirmed(published)
    with django_capture_on_commit_callbacks(execute=True):
        log_append(process=published, action="question.opened", actor="system", data={})
        log_append(
            process=published, action="qna.answered", actor="system", data={"mode": "in_room"}
        )
    assert "later" not in _no_background  # no news
    with django_capture_on_commit_callbacks(execute=True):
        log_append(process=published, action="follow_up.recorded", actor="system", data={})
    assert _no_background.count("later") == 1


def test_an_answer_makes_no_query_of_the_followers(published):
    follow_confirmed(published)
    with CaptureQueriesContext(connection) as queries:
        log_append(process=published, action="response.counted", actor="system", data={})
    assert not any("following_" in q["sql"] for q in queries.captured_queries)
    with CaptureQueriesContext(connection) as queries:
        log_append(process=published, action="results.revealed", actor="system", data={})
    assert any("following_follower" in q["sql"] for q in queries.captured_queries)


def test_the_address_is_in_no_log_export_log_line_or_admin(published, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    follower = follow_confirmed(published)
    log_append(process=published, action="results.revealed", actor="system", data={})
    mail.run()
    [message] = outbox.outbox
    unsubscribe(token_of(links(message.body)["stop"]))
    follow_confirmed(published)  # and one that stays
    needle = follower.email.lower()
    local = needle.split("@")[0]

    for entry in LogEntry.objects.filter(process=published):
        text = json.dumps([entry.actor, entry.action, entry.data]).lower()
        assert local not in text
    target = tmp_path / "open.json"
    call_command("export_results", published.slug, "--format", "json", "-o", str(target))
    staff = tmp_path / "staff.json"
    call_command("export_results", published.slug, "--format", "json-staff", "-o", str(staff))
    for path in (target, staff):
        assert local not in path.read_text(encoding="utf-8").lower()
    assert local not in caplog.text.lower()
    assert not any(model._meta.app_label == "following" for model in admin.site._registry)
    assert local not in str(Follower.objects.first()).lower()
    assert local not in repr(Follower.objects.first()).lower()
