"""The timeline (issue 22, second part): each step has a type (plan published, session,
council decision, follow-up, other), edited in the designer, validated, carried by the
design file and logged; the public page merges the process's sessions in by date and
says in words which steps are past and which are to come."""

from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions_app.binding import rows_verify
from sessions_app.design import process_to_dict
from sessions_app.exceptions import DesignError
from sessions_app.models import LogEntry, Milestone
from sessions_app.services.design_io import design_file_problems, process_import
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.processes import milestones_replace, process_publish
from sessions_app.specs import MilestoneSpec
from sessions_app.views.dossier import timeline_steps
from tests.conftest import session_spec

pytestmark = pytest.mark.django_db


def test_a_step_has_a_type_which_the_log_records(process, organiser):
    day = date(2027, 3, 1)
    milestones_replace(
        user=organiser,
        process=process,
        milestones=[MilestoneSpec(day, "Schetsontwerp online", "plan"), MilestoneSpec(day, "Raad")],
    )
    assert list(process.milestones.values_list("kind", flat=True)) == ["plan", "other"]
    entry = LogEntry.objects.filter(process=process, action="process.timeline_edited").get()
    assert [step["kind"] for step in entry.data["after"]] == ["plan", "other"]
    assert rows_verify(process=process) is None


def test_an_unknown_type_is_refused_with_its_code_and_changes_nothing(process, organiser):
    with pytest.raises(DesignError) as refused:
        milestones_replace(
            user=organiser,
            process=process,
            milestones=[MilestoneSpec(date(2027, 3, 1), "Raad", "vergadering")],
        )
    [problem] = refused.value.problems
    assert (problem.path, problem.code) == ("timeline[0].kind", "unknown_milestone_kind")
    assert not process.milestones.exists()


def test_the_designer_edits_the_type(client, process, organiser):
    client.force_login(organiser)
    url = reverse("designer:process_edit", args=[process.slug])
    form = client.get(url).content.decode()
    assert 'name="timeline-0-kind"' in form and 'value="decision"' in form
    data = {
        "title": process.title,
        "language": process.language,
        "purpose": process.purpose,
        "level": process.level,
        "promise": process.promise,
        "decision_maker": process.decision_maker,
        "entry_mode": process.entry_mode,
        "card_rule": process.card_rule,
        "timeline-TOTAL_FORMS": "2",
        "timeline-INITIAL_FORMS": "0",
        "timeline-0-date": "2027-04-08",
        "timeline-0-label": "Besluit gemeenteraad",
        "timeline-0-kind": "decision",
        # An empty row keeps its (always sent) type and is skipped.
        "timeline-1-date": "",
        "timeline-1-label": "",
        "timeline-1-kind": "other",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    assert list(process.milestones.values_list("label", "kind")) == [
        ("Besluit gemeenteraad", "decision")
    ]
    detail = client.get(reverse("designer:process_detail", args=[process.slug])).content.decode()
    timeline = detail.split('class="timeline"')[1].split("</ol>")[0]
    assert "Council decision" in timeline or "Raadsbesluit" in timeline
    assert '<time datetime="2027-04-08">' in timeline


def test_the_design_file_carries_the_type_defaulting_to_other(organiser):
    data = {
        "format": "inspraak.process/1",
        "title": "Speeltuin Parkweg",
        "timeline": [
            {"date": "2027-02-01", "label": "Ontwerp online", "kind": "plan"},
            {"date": "2027-03-01", "label": "Iets anders"},
        ],
        "sessions": [],
    }
    process = process_import(user=organiser, data=data)
    assert process_to_dict(process)["timeline"] == [
        {"date": "2027-02-01", "label": "Ontwerp online", "kind": "plan"},
        {"date": "2027-03-01", "label": "Iets anders", "kind": "other"},
    ]
    data["timeline"][1]["kind"] = "vergadering"
    [problem] = design_file_problems(data)
    assert problem.path == "timeline[1].kind" and problem.code == "not_allowed"


def test_the_public_timeline_merges_sessions_by_date_and_says_past_or_upcoming(
    client, make_process, organiser
):
    process = make_process(language="en")
    today = timezone.localdate()
    milestones_replace(
        user=organiser,
        process=process,
        milestones=[
            MilestoneSpec(today + timedelta(days=60), "Council decides", "decision"),
            MilestoneSpec(today - timedelta(days=30), "Sketch design online", "plan"),
        ],
    )
    tz = timezone.get_current_timezone()
    evening = datetime.combine(today + timedelta(days=7), datetime.min.time(), tz) + timedelta(
        hours=19, minutes=30
    )
    session = live_session_create(
        user=organiser,
        process=process,
        spec=session_spec(title="Residents' evening", starts_at=evening, ends_at=None),
    )
    steps = timeline_steps(process, today=today)
    labels = [step["label"] for step in steps]
    assert labels.index("Sketch design online") < labels.index("Residents' evening")
    assert labels.index("Residents' evening") < labels.index("Council decides")
    evening_step = next(step for step in steps if step["label"] == "Residents' evening")
    assert evening_step["kind"] == "session" and evening_step["when"] == "upcoming"
    assert [s["current"] for s in steps].count(True) == 1

    from sessions_app.services.questions import question_create
    from tests.conftest import question_spec

    question_create(user=organiser, session=session, spec=question_spec("single_choice"))
    process_publish(user=organiser, process=process)
    page = client.get(process.get_absolute_url()).content.decode()
    section = page.split('id="timeline"')[1].split("</section>")[0]
    assert "<ol" in section
    assert 'datetime="' + evening.isoformat()[:16] in section
    # Past and upcoming are said in words, not by colour alone.
    past = section.split("Sketch design online")[0].rsplit("<li", 1)[1]
    assert "Past" in past and "Plan published" in past
    coming = section.split("Council decides")[0].rsplit("<li", 1)[1]
    assert "Upcoming" in coming and "Council decision" in coming
    assert section.count("is-next") == 1


def test_a_session_step_on_a_sessions_day_stands_for_it(process, organiser, live_session):
    day = timezone.localdate(live_session.starts_at)
    milestones_replace(
        user=organiser,
        process=process,
        milestones=[MilestoneSpec(day, "Bewonersavond in De Brug", "session")],
    )
    steps = timeline_steps(process, today=day)
    assert [(s["label"], s["when"]) for s in steps] == [("Bewonersavond in De Brug", "today")]


def test_an_ended_session_is_past_whatever_its_planned_date(
    process, organiser, live_session, make_question
):
    from sessions_app.services import facilitation

    make_question("single_choice")
    process_publish(user=organiser, process=process)
    day = timezone.localdate(live_session.starts_at) - timedelta(days=3)  # held early
    [step] = timeline_steps(process, today=day)
    assert step["when"] == "upcoming"
    facilitation.session_end(user=organiser, session=live_session)
    [step] = timeline_steps(process, today=day)
    assert (step["label"], step["when"]) == (live_session.title, "past")


def test_the_timeline_is_bound_to_the_log(process, organiser):
    milestones_replace(
        user=organiser,
        process=process,
        milestones=[MilestoneSpec(date(2027, 3, 1), "Raad", "decision")],
    )
    assert rows_verify(process=process) is None
    Milestone.objects.filter(process=process).update(kind="plan")
    problem = rows_verify(process=process)
    assert (problem.table, problem.field, problem.stored, problem.logged) == (
        "milestone",
        "kind",
        "plan",
        "decision",
    )
    Milestone.objects.filter(process=process).update(kind="decision")
    Milestone.objects.create(process=process, date=date(2027, 5, 1), label="Stiekem", position=9)
    assert rows_verify(process=process).reason == "not_logged"
