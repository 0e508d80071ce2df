"""The council's decision (issue 22, second part): recorded by an organiser, logged as
``process.decided``, shown on the timeline as reached, in the public page's dossier with
its link, and announced in the feed."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions_app.binding import rows_verify
from sessions_app.exceptions import AccessDenied, InputRejected
from sessions_app.log_words import describe
from sessions_app.models import LogEntry, Milestone, Role
from sessions_app.services.dossier import decision_label, decision_record
from sessions_app.services.processes import milestones_replace, process_publish
from sessions_app.specs import MilestoneSpec

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
SUMMARY = (
    "De raad kiest voor een groen Stationsplein met een markt.\n"
    "Het budget blijft 2,4 miljoen euro; de bushaltes blijven waar ze zijn."
)
URL = "https://zuiderhaven.raadsinformatie.nl/document/777"


@pytest.fixture
def published(make_process, organiser, make_question):
    """An English process (so the new texts read as written), published, whose timeline
    plans the council's decision."""
    process = make_process(language="en")
    from sessions_app.services.live_sessions import live_session_create
    from sessions_app.services.questions import question_create
    from tests.conftest import question_spec, session_spec

    session = live_session_create(user=organiser, process=process, spec=session_spec())
    question_create(user=organiser, session=session, spec=question_spec("single_choice"))
    milestones_replace(
        user=organiser,
        process=process,
        milestones=[
            MilestoneSpec(date(2027, 1, 15), "Residents' evening", "session"),
            MilestoneSpec(date(2027, 4, 8), "Council decides", "decision"),
        ],
    )
    process_publish(user=organiser, process=process)
    return process


def test_the_decision_is_logged_and_marks_the_timelines_decision_step(published, organiser):
    day = timezone.localdate() - timedelta(days=2)
    milestone = decision_record(
        user=organiser, process=published, date=day.isoformat(), summary=SUMMARY, url=URL
    )
    entry = LogEntry.objects.get(process=published, action="process.decided")
    assert entry.data == {"date": day.isoformat(), "summary": SUMMARY, "url": URL}
    # The planned step of kind decision became the decision, reached.
    assert list(published.milestones.values_list("label", "kind", "date")) == [
        ("Residents' evening", "session", date(2027, 1, 15)),
        ("De raad kiest voor een groen Stationsplein met een markt.", "decision", day),
    ]
    assert milestone.kind == "decision"
    assert rows_verify(process=published) is None
    assert describe("process.decided") == "The council's decision was recorded."
    # Recorded again: a correction of the same step, logged again.
    decision_record(user=organiser, process=published, date=day, summary="Groen plein.", url="")
    assert published.milestones.filter(kind="decision").get().label == "Groen plein."
    assert LogEntry.objects.filter(action="process.decided").count() == 2
    assert rows_verify(process=published) is None


def test_without_a_decision_step_one_is_added_and_the_check_replays_it(process, organiser):
    decision_record(user=organiser, process=process, date=date(2026, 11, 1), summary="Ja.")
    [step] = process.milestones.all()
    assert (step.label, step.kind, step.date) == ("Ja.", "decision", date(2026, 11, 1))
    assert rows_verify(process=process) is None
    Milestone.objects.filter(pk=step.pk).update(label="Nee.")
    problem = rows_verify(process=process)
    assert (problem.table, problem.field, problem.logged) == ("milestone", "label", "Ja.")


def test_the_timeline_label_is_the_summarys_first_line_cut_at_a_word():
    long = "woord " * 60
    label = decision_label(long + "\nTweede regel")
    assert len(label) <= 200 and label.endswith("woord…")
    assert decision_label("Kort besluit.\nMeer uitleg.") == "Kort besluit."


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"summary": "  "}, "summary_required"),
        ({"summary": "x" * 1001}, "summary_too_long"),
        ({"date": "gisteren"}, "invalid_date"),
        ({"date": ""}, "invalid_date"),
        ({"date": (timezone.localdate() + timedelta(days=3)).isoformat()}, "decision_in_future"),
        ({"url": "javascript:alert(1)"}, "invalid_url"),
        ({"url": "https://a b"}, "invalid_url"),
    ],
)
def test_a_bad_decision_is_refused_and_changes_nothing(published, organiser, values, code):
    before = (LogEntry.objects.count(), list(published.milestones.values_list("label", "date")))
    arguments = {"date": "2026-11-01", "summary": SUMMARY, "url": URL, **values}
    with pytest.raises(InputRejected) as refused:
        decision_record(user=organiser, process=published, **arguments)
    assert refused.value.code == code
    after = (LogEntry.objects.count(), list(published.milestones.values_list("label", "date")))
    assert after == before


def test_only_organisers_record_a_decision(published, make_user, grant):
    facilitator = make_user("fenna")
    grant(published, facilitator, Role.FACILITATOR)
    with pytest.raises(AccessDenied):
        decision_record(user=facilitator, process=published, date="2026-11-01", summary="Ja.")


def test_the_feed_and_the_public_page_tell_the_decision(client, published, organiser):
    decision_record(user=organiser, process=published, date="2026-11-20", summary=SUMMARY, url=URL)
    feed = ET.fromstring(client.get(reverse("public:feed", args=[published.slug])).content)  # noqa: S314
    entry = feed.findall(f"{ATOM}entry")[0]
    assert entry.find(f"{ATOM}title").text == "The council decided"
    assert entry.find(f"{ATOM}summary").text == SUMMARY
    assert entry.find(f"{ATOM}link").get("href").endswith(f"/p/{published.slug}/#dossier")

    page = client.get(published.get_absolute_url()).content.decode()
    dossier = page.split('id="dossier-heading"')[1].split("</section>")[0]
    assert "The council&#x27;s decision" in dossier or "The council's decision" in dossier
    assert '<time datetime="2026-11-20">' in dossier and f'href="{URL}"' in dossier
    assert "Het budget blijft 2,4 miljoen euro" in dossier
    timeline = page.split('id="timeline"')[1].split("</section>")[0]
    reached = timeline.split("De raad kiest voor een groen Stationsplein")[0].rsplit("<li", 1)[1]
    assert "Past" in reached and "Council decision" in reached


def test_the_organiser_records_it_on_the_dossier_page(client, published, organiser):
    client.force_login(organiser)
    url = reverse("designer:dossier", args=[published.slug])
    form = client.get(url).content.decode()
    assert 'name="action" value="decision"' in form
    response = client.post(
        url,
        {"action": "decision", "date": "2026-11-20", "summary": SUMMARY, "url": URL},
        follow=True,
    )
    assert response.status_code == 200
    assert LogEntry.objects.filter(process=published, action="process.decided").exists()
    assert "Het budget blijft 2,4 miljoen euro" in response.content.decode()
    refused = client.post(
        url, {"action": "decision", "date": "2026-11-20", "summary": "", "url": ""}, follow=True
    )
    assert "Write a short summary in plain language." in refused.content.decode()
    assert LogEntry.objects.filter(process=published, action="process.decided").count() == 1
