"""The public side of the outputs: results once shown or closed, the follow-up, a
browsable log and an Atom feed, all without an account."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from sessions_app.models import Response
from sessions_app.services import facilitation, participation
from sessions_app.services.followups import follow_up_record
from sessions_app.services.processes import process_publish
from tests.paper_fixtures import option

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def held(paper_session, organiser):
    """A published process: the choice question answered and its results shown, the
    open-text question closed with an approved answer, the scale question still open."""
    session, q = paper_session
    process_publish(user=organiser, process=session.process)
    for key in ("choice", "text", "scale"):
        facilitation.question_open(user=organiser, question=q[key])
    phone = participation.participant_join(session=session, via="room")
    participation.response_submit(
        participant=phone,
        question_id=q["choice"].pk,
        answer={"option": option(q["choice"], 1)},
        client_id="c-000001",
    )
    participation.response_submit(
        participant=phone, question_id=q["scale"].pk, answer={"value": 4}, client_id="c-000002"
    )
    text = participation.response_submit(
        participant=phone,
        question_id=q["text"].pk,
        answer={"text": "Bomen <script>alert(1)</script>"},
        client_id="c-000003",
    )
    facilitation.response_moderate(
        user=organiser, response=Response.objects.get(pk=text.response_id), decision="approve"
    )
    facilitation.question_reveal(user=organiser, question=q["choice"], revealed=True)
    facilitation.question_close(user=organiser, question=q["text"])
    follow_up_record(
        user=organiser,
        process=session.process,
        question_id=q["choice"].pk,
        outcome="adopted",
        reasoning="Het plein krijgt de bomen die de meesten kozen.",
        decided_on=datetime.date(2026, 11, 20),
    )
    session.process.refresh_from_db()
    return session.process, q


def test_the_public_page_shows_published_results_only_and_escapes_text(client, held):
    process, q = held
    page = client.get(process.get_absolute_url()).content.decode()
    results = page.split('id="results-heading"')[1].split('id="follow-up-heading"')[0]
    assert q["choice"].text in results and q["text"].text in results
    assert q["scale"].text not in results  # open and not shown: not yet public
    chosen = q["choice"].options.order_by("position")[1].text
    assert chosen in results
    assert "Bomen &lt;script&gt;alert(1)&lt;/script&gt;" in results
    assert "<script>alert(1)" not in page
    assert "Het plein krijgt de bomen die de meesten kozen." in page
    assert reverse("public:feed", args=[process.slug]) in page
    # "Check a receipt" is on the page itself (the README sends people there); the
    # page speaks the process's language, Dutch.
    evidence = page.split('id="evidence-heading"')[1]
    assert (
        f'<a href="{reverse("public:check", args=[process.slug])}">Ontvangstbewijs controleren</a>'
        in evidence
    )


def test_the_public_log_pages_through_every_entry_with_the_chain_head(client, held):
    process, _q = held
    url = reverse("public:log", args=[process.slug])
    first = client.get(url).content.decode()
    assert process.log_head in first
    assert f"<td>{process.log_seq}</td>" in first  # newest first
    assert "follow_up.recorded" in first


def test_the_feed_is_valid_atom_with_the_process_news(client, held):
    process, q = held
    response = client.get(reverse("public:feed", args=[process.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 (our own output)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None
    assert feed.find(f"{ATOM}title").text == process.title
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title").text for e in entries]
    for entry in entries:
        for required in ("id", "title", "updated", "link"):
            assert entry.find(f"{ATOM}{required}") is not None
    assert len({e.find(f"{ATOM}id").text for e in entries}) == len(entries)
    # Atom ids are absolute IRIs, on the host the links are on.
    base = f"http://testserver{process.get_absolute_url()}"
    for entry in entries:
        assert re.fullmatch(rf"{re.escape(base)}log/\d+", entry.find(f"{ATOM}id").text)
        assert entry.find(f"{ATOM}link").get("href").startswith(base)
    seqs = {int(e.find(f"{ATOM}id").text.rsplit("/", 1)[1]) for e in entries}
    assert seqs <= set(process.log_entries.values_list("seq", flat=True))
    # In the process's language (Dutch), newest first; a follow-up names its question and,
    # before its reasoning, the meeting that asked it.
    with translation.override("nl"):
        followed = gettext("What was done with the input on “%(question)s”: %(outcome)s") % {
            "question": q["choice"].text,
            "outcome": "overgenomen",
        }
    assert titles[0] == followed
    assert f"Uitkomsten gepubliceerd: {q['choice'].text}" in titles
    assert "Het traject is begonnen" in titles
    summary = entries[0].find(f"{ATOM}summary").text
    meeting, reasoning = summary.split("\n\n")
    assert process.sessions.get().title in meeting
    assert reasoning == "Het plein krijgt de bomen die de meesten kozen."


def test_the_feed_gives_text_as_text_never_as_markup(client, held, organiser):
    process, q = held
    markup = 'Bomen <b>nu</b> <script>alert("x")</script> & "meer"'
    follow_up_record(
        user=organiser,
        process=process,
        question_id=q["choice"].pk,
        outcome="adopted",
        reasoning=markup,
        decided_on=datetime.date(2026, 11, 21),
    )
    response = client.get(reverse("public:feed", args=[process.slug]))
    feed = ET.fromstring(response.content)  # noqa: S314 (our own output)
    summary = feed.findall(f"{ATOM}entry")[0].find(f"{ATOM}summary")
    # A reader shows type="text" as it is; with type="html" it would render the tags.
    assert summary.get("type") == "text"
    assert summary.text.endswith(f"\n\n{markup}")
    assert b"<script>" not in response.content


def test_a_draft_process_has_no_public_page_log_or_feed(client, live_session):
    slug = live_session.process.slug
    for url in (
        reverse("public:process", args=[slug]),
        reverse("public:log", args=[slug]),
        reverse("public:feed", args=[slug]),
    ):
        assert client.get(url).status_code == 404


def test_the_processs_own_words_keep_their_language_under_another_interface(client, held):
    """A visitor who chose English reads the Dutch process's title, purpose and questions
    marked as Dutch (for screen readers); in Dutch nothing needs marking."""
    process, q = held
    client.cookies["django_language"] = "en"
    page = client.get(process.get_absolute_url()).content.decode()
    assert '<html lang="en">' in page
    assert f'<h1 lang="nl">{process.title}</h1>' in page
    # The heading with the question's number (the paper form's), which needs no marking.
    heading = re.search(rf'<h4 id="result-{q["choice"].pk}" lang="nl">(.*?)</h4>', page)
    assert heading and heading.group(1).endswith(f"</span> {q['choice'].text}")
    # The options in the table of numbers too (the interface's notes beside them are not).
    first = q["choice"].options.order_by("position").first()
    assert f'<th scope="row"><span lang="nl">{first.text}</span>' in page
    assert "Why we ask for your input" in page  # the interface itself: English, unmarked
    del client.cookies["django_language"]
    dutch = client.get(process.get_absolute_url()).content.decode()
    assert f"<h1>{process.title}</h1>" in dutch
