"""The demo town hall: last week's meeting answered from every source, next week's fresh."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from sessions_app.exports.recount import recount
from sessions_app.models import (
    FollowUp,
    LiveSession,
    Participant,
    PrintBatch,
    Process,
    Response,
    SessionState,
)
from sessions_app.results import question_results
from sessions_app.selectors import stored_map

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_held_meeting_with_every_source_and_a_fresh_one(tmp_path, client):
    printed = io.StringIO()
    call_command("seed_demo", "--password", "demo-wachtwoord", stdout=printed)
    process = Process.objects.get()
    # The demo's organiser may start processes; its teller may not.
    users = get_user_model().objects
    assert users.get(username="organisator").has_perm("sessions_app.organise")
    assert not users.get(username="teller").has_perm("sessions_app.organise")
    held, upcoming = LiveSession.objects.filter(process=process).order_by("position")
    assert held.state == SessionState.ENDED and held.starts_at < upcoming.starts_at
    assert upcoming.state == SessionState.PLANNED
    assert not Response.objects.filter(question__session=upcoming).exists()
    first = held.questions.order_by("position").first()
    counts = question_results(question=first)["respondents"]
    assert all(counts[source] > 0 for source in ("room", "remote", "paper", "hands"))
    assert question_results(question=first)["provisional"] is False  # paper closed
    # Its print runs were drawn before the meeting: none is left waiting in the queue.
    runs = PrintBatch.objects.filter(session=held)
    assert runs.count() == 2 and set(runs.values_list("state", flat=True)) == {"done"}
    assert FollowUp.objects.filter(process=process, question=first).exists()
    # Last week's screen ended on the statements, whose opinion map has two camps with
    # common ground, phones and paper alike.
    statements = held.current_question
    assert statements.kind == "statements" and statements.results_revealed
    found = stored_map(statements.pk)
    assert len(found["groups"]) == 2 and found["consensus"]
    # The printed "Last week's map" opens that map on the public page.
    anchor = f"{process.get_absolute_url()}#map-{statements.pk}-heading"
    assert anchor in printed.getvalue()
    page = client.get(process.get_absolute_url()).content.decode()
    assert f'id="map-{statements.pk}-heading"' in page
    paper = set(
        Participant.objects.filter(session=held, joined_via="paper").values_list("pk", flat=True)
    )
    assert paper & {int(p) for p in found["positions"]}
    # The outputs of the demo recount and verify.
    path = tmp_path / "demo.json"
    call_command("export_results", process.slug, "-o", str(path), stderr=io.StringIO())
    assert recount(json.loads(path.read_text(encoding="utf-8"))) == []
    # Seeding again changes nothing but the passwords.
    before = Response.objects.count(), process.log_seq
    call_command("seed_demo", "--password", "ander-wachtwoord", stdout=io.StringIO())
    process.refresh_from_db()
    assert (Response.objects.count(), process.log_seq) == before


def test_the_demo_meeting_has_a_dossier_an_evaluation_and_notes(client):
    from sessions_app.session_report import session_report
    from sessions_app.views.dossier import dossier_items

    call_command("seed_demo", "--password", "demo-wachtwoord", stdout=io.StringIO())
    process = Process.objects.get()
    found = dossier_items(process)
    assert len(found["documents"]) == 3 and len(found["links"]) == 2
    assert {d.content_type for d in found["documents"]} == {"application/pdf", "image/png"}
    image = next(d for d in found["documents"] if d.is_image)
    assert image.alt_text
    held = LiveSession.objects.filter(process=process, state=SessionState.ENDED).get()
    report = session_report(held, notes=True)
    assert len(report["evaluation"]) == 4
    assert all(item["result"]["respondents"]["total"] > 0 for item in report["evaluation"])
    assert all(item["result"]["respondents"]["paper"] > 0 for item in report["evaluation"])
    assert len(report["notes"]) == 3
    # The evening's answers happened in its own two hours, not at the moment of seeding.
    minutes = report["per_minute"]["minutes"]
    assert 60 <= len(minutes) <= 120 and report["per_minute"]["peak"] > 5
    assert minutes[0]["at"].date() == held.starts_at.date()
    # The public page shows the dossier and leaves the evaluation out of the results.
    page = client.get(process.get_absolute_url()).content.decode()
    assert "Voorlopig ontwerp Stationsplein" in page
    results = page[page.index('id="results"') : page.index('id="follow-up"')]
    assert report["evaluation"][0]["text"] not in results
