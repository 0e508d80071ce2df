"""A session held on another day than planned, in the outputs beyond the council's files:
the timeline (public page and designer) places it on the day it was held and names both
days; the Atom feed and the news mails name its meeting by both days; the learning page
shows both days and its CSV gives ``held_on`` beside the planned ``date``. A session held
on its planned day keeps its one date everywhere. The sessions are run on the day the
test chooses (``run_on``, with freezegun), as in ``test_held_day``."""

import csv
import datetime
import io
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from following import mail
from following.models import Follower
from following.news import is_news
from sessions_app.learning import learning_rows
from sessions_app.models import LiveSession, LogEntry, Process, SessionState
from sessions_app.services.followups import follow_up_record
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.processes import milestones_replace
from sessions_app.specs import MilestoneSpec
from sessions_app.views.dossier import timeline_steps
from tests.conftest import AMS, session_spec
from tests.sessions_app.test_held_day import (  # noqa: F401 (the fixture)
    A_WEEK_LATER,
    BOTH,
    CALLED_OFF,
    ON_THE_DAY,
    TITLE,
    both_days,
    end_on,
    evening,
    nl,
    run_on,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
NL = {"HTTP_ACCEPT_LANGUAGE": "nl"}
PLANNED_DAY = datetime.date(2026, 3, 12)
HELD_DAY = datetime.date(2026, 3, 19)
#: A day after the evening as run either way.
AFTER = datetime.date(2026, 3, 25)
#: The tag's words for the moved evening on a Dutch page.
MOVED_NL = both_days(
    '<time datetime="2026-03-12">donderdag 12 maart 2026</time>',
    '<time datetime="2026-03-19">donderdag 19 maart 2026</time>',
)
#: The first words of the sentence that names both days, whatever the days.
BOTH_OPENING = both_days("X", "Y").split("X")[0]


def _step(steps, label):
    return next(step for step in steps if step["label"] == label)


def _labels(steps):
    return [step["label"] for step in steps]


def _sketch(process, organiser, *extra):
    """A plan step between the planned day and the day held (15 March)."""
    milestones_replace(
        user=organiser,
        process=process,
        milestones=[
            MilestoneSpec(datetime.date(2026, 3, 15), "Schetsontwerp online", "plan"),
            *extra,
        ],
    )


def _timeline(html: str) -> str:
    return html.split('class="timeline"', 1)[1].split("</ol>", 1)[0]


def _item(timeline: str, label: str) -> str:
    """The timeline's ``<li>`` that ends with ``label``."""
    return timeline.split(label, 1)[0].rsplit("<li", 1)[1]


# -- the timeline -------------------------------------------------------------------------


def test_the_timeline_dates_a_session_held_on_its_day_by_that_day_alone(evening, organiser, client):  # noqa: F811
    session, question, _later = evening
    run_on(ON_THE_DAY, session, question, organiser)
    process = session.process
    _sketch(process, organiser)
    steps = timeline_steps(process, today=AFTER)
    step = _step(steps, TITLE)
    assert step["date"] == PLANNED_DAY and not step["day"].moved
    assert _labels(steps).index(TITLE) < _labels(steps).index("Schetsontwerp online")
    item = _item(_timeline(client.get(process.get_absolute_url()).content.decode()), TITLE)
    assert item.count("<time") == 1
    assert '<time datetime="2026-03-12T19:30:00+01:00">12 maart 2026, 19:30</time>' in item
    assert 'datetime="2026-03-19"' not in item and BOTH_OPENING not in item


def test_the_timeline_places_a_moved_session_on_the_day_held_with_both_days(
    evening,  # noqa: F811
    organiser,
    client,
):
    session, question, later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    process = session.process
    _sketch(process, organiser)
    steps = timeline_steps(process, today=AFTER)
    step = _step(steps, TITLE)
    assert step["date"] == HELD_DAY and step["day"].moved and step["when"] == "past"
    # Where it happened: after the plan step of 15 March, before the next evening.
    labels = _labels(steps)
    assert labels.index("Schetsontwerp online") < labels.index(TITLE) < labels.index(later.title)
    # The same on the public page (the process's Dutch) and on the designer's page.
    public = _timeline(client.get(process.get_absolute_url()).content.decode())
    assert MOVED_NL in _item(public, TITLE)
    assert "19:30" not in _item(public, TITLE)
    assert public.index("Schetsontwerp online") < public.index(TITLE)
    assert "3 februari 2027, 19:30" in _item(public, later.title)  # not held yet: as planned
    client.force_login(organiser)
    detail = client.get(reverse("designer:process_detail", args=[process.slug]), **NL)
    designer = _item(_timeline(detail.content.decode()), TITLE)
    assert MOVED_NL in designer


def test_a_session_step_moves_with_its_session_when_that_was_held_on_another_day(
    evening,  # noqa: F811
    organiser,
):
    session, question, _later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    process = session.process
    _sketch(process, organiser, MilestoneSpec(PLANNED_DAY, "Bewonersavond in De Brug", "session"))
    steps = timeline_steps(process, today=AFTER)
    # The step stands for the session, as before; it is placed on the day held, both days.
    assert TITLE not in _labels(steps)
    step = _step(steps, "Bewonersavond in De Brug")
    assert step["date"] == HELD_DAY and (step["day"].planned, step["day"].held) == (
        PLANNED_DAY,
        HELD_DAY,
    )
    labels = _labels(steps)
    assert labels.index("Schetsontwerp online") < labels.index("Bewonersavond in De Brug")
    # A second session planned that day and held then (here: not run yet) keeps the step
    # on its day; the moved session is then a step of its own on the day it was held.
    live_session_create(
        user=organiser,
        process=process,
        spec=session_spec(
            title="Inloop", starts_at=datetime.datetime(2026, 3, 12, 15, 0, tzinfo=AMS)
        ),
    )
    steps = timeline_steps(process, today=AFTER)
    assert "Inloop" not in _labels(steps)
    kept = _step(steps, "Bewonersavond in De Brug")
    assert kept["date"] == PLANNED_DAY and kept["day"] is None
    own = _step(steps, TITLE)
    assert own["date"] == HELD_DAY and own["day"].moved


def test_a_session_step_on_a_day_held_as_planned_stays_as_it_was(evening, organiser):  # noqa: F811
    session, question, _later = evening
    run_on(ON_THE_DAY, session, question, organiser)
    process = session.process
    _sketch(process, organiser, MilestoneSpec(PLANNED_DAY, "Bewonersavond in De Brug", "session"))
    steps = timeline_steps(process, today=AFTER)
    assert TITLE not in _labels(steps)
    step = _step(steps, "Bewonersavond in De Brug")
    assert step["date"] == PLANNED_DAY and step["day"] is None


def _session_steps_on(steps, day):
    return [step["label"] for step in steps if step["kind"] == "session" and step["date"] == day]


def test_a_session_step_moved_to_the_day_held_stands_for_the_session(
    evening,  # noqa: F811
    organiser,
    client,
):
    """The organiser moved the step of type session to the day the session was held
    (planned 12 March, opened 19 March, the step dated 19 March): one step that day, the
    organiser's, naming both days; not the step and the session beside it."""
    session, question, _later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    process = session.process
    _sketch(process, organiser, MilestoneSpec(HELD_DAY, "Bewonersavond in De Brug", "session"))
    steps = timeline_steps(process, today=AFTER)
    assert _session_steps_on(steps, HELD_DAY) == ["Bewonersavond in De Brug"]
    assert TITLE not in _labels(steps) and _session_steps_on(steps, PLANNED_DAY) == []
    step = _step(steps, "Bewonersavond in De Brug")
    assert (step["day"].planned, step["day"].held) == (PLANNED_DAY, HELD_DAY)
    assert step["when"] == "past"
    public = _timeline(client.get(process.get_absolute_url()).content.decode())
    assert TITLE not in public and public.count("Bewonersavond in De Brug") == 1
    assert MOVED_NL in _item(public, "Bewonersavond in De Brug")
    # A step left on the planned day as well stays there, standing for nothing: the
    # session is the step of the day it was held, once.
    _sketch(
        process,
        organiser,
        MilestoneSpec(PLANNED_DAY, "Bewonersavond (gepland)", "session"),
        MilestoneSpec(HELD_DAY, "Bewonersavond in De Brug", "session"),
    )
    steps = timeline_steps(process, today=AFTER)
    assert _session_steps_on(steps, HELD_DAY) == ["Bewonersavond in De Brug"]
    assert _session_steps_on(steps, PLANNED_DAY) == ["Bewonersavond (gepland)"]
    assert _step(steps, "Bewonersavond (gepland)")["day"] is None
    assert TITLE not in _labels(steps)


def test_a_session_step_on_the_day_held_keeps_a_session_held_as_planned_that_day(
    evening,  # noqa: F811
    organiser,
):
    """A step on 19 March stands for the session moved there and for one planned and
    held that day: one step, its own date alone (not every session it stands for was
    moved)."""
    session, question, _later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    process = session.process
    live_session_create(
        user=organiser,
        process=process,
        spec=session_spec(
            title="Inloop", starts_at=datetime.datetime(2026, 3, 19, 15, 0, tzinfo=AMS)
        ),
    )
    _sketch(process, organiser, MilestoneSpec(HELD_DAY, "Bewonersavond in De Brug", "session"))
    steps = timeline_steps(process, today=AFTER)
    assert _session_steps_on(steps, HELD_DAY) == ["Bewonersavond in De Brug"]
    assert _step(steps, "Bewonersavond in De Brug")["day"] is None


def test_a_session_called_off_stays_on_its_planned_day(evening, organiser, client):  # noqa: F811
    """Ended from the console a week early without running: not held, so not moved."""
    session, _question, _later = evening
    end_on(CALLED_OFF, session, organiser)
    process = session.process
    steps = timeline_steps(process, today=AFTER)
    step = _step(steps, TITLE)
    assert step["date"] == PLANNED_DAY and not step["day"].moved
    item = _item(_timeline(client.get(process.get_absolute_url()).content.decode()), TITLE)
    assert item.count("<time") == 1 and "12 maart 2026, 19:30" in item
    assert BOTH_OPENING not in item and 'datetime="2026-03-05"' not in item


def test_the_timeline_reads_the_days_held_in_one_query(evening, organiser):  # noqa: F811
    session, question, _later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    process = Process.objects.get(pk=session.process.pk)
    with CaptureQueriesContext(connection) as few:
        timeline_steps(process, today=AFTER)
    for n in range(5):
        live_session_create(
            user=organiser,
            process=process,
            spec=session_spec(
                title=f"Extra {n}",
                starts_at=datetime.datetime(2026, 4, 1 + n, 19, 30, tzinfo=AMS),
            ),
        )
    process = Process.objects.get(pk=process.pk)
    with CaptureQueriesContext(connection) as many:
        steps = timeline_steps(process, today=AFTER)
    assert len(steps) == 7 and len(many) == len(few)


# -- the Atom feed and the news mails ------------------------------------------------------


def _feed(client, process) -> dict[str, str]:
    """The feed's summaries by title."""
    feed = ET.fromstring(client.get(reverse("public:feed", args=[process.slug])).content)  # noqa: S314
    return {
        e.find(f"{ATOM}title").text: e.find(f"{ATOM}summary").text
        for e in feed.findall(f"{ATOM}entry")
        if e.find(f"{ATOM}summary") is not None
    }


def _follow_up(process, question, organiser) -> str:
    """Record what was done with ``question``'s input; the item's title (feed and mail)."""
    follow_up_record(
        user=organiser,
        process=process,
        question_id=question.pk,
        outcome="adopted",
        reasoning="Het plein krijgt bomen.",
        decided_on=datetime.date(2026, 4, 1),
    )
    return nl("What was done with the input on “%(question)s”: %(outcome)s") % {
        "question": question.text,
        "outcome": nl("adopted"),
    }


def _mail_details(process) -> dict[str, str]:
    """The news mail's items for every news entry of ``process``: detail by title."""
    entries = [
        e
        for e in LogEntry.objects.filter(process=process).order_by("seq")
        if is_news(e.action, e.data)
    ]
    follower = Follower(process=process, email="inwoner@example.nl", base_url="http://testserver")
    with translation.override(process.language):
        return {item.title: item.detail for item in mail.news_items(process, entries, follower)}


def test_the_feed_and_the_mails_name_a_meeting_held_on_its_day_by_that_day(
    evening,  # noqa: F811
    organiser,
    client,
):
    session, question, _later = evening
    run_on(ON_THE_DAY, session, question, organiser)
    process = session.process
    followed = _follow_up(process, question, organiser)
    meeting = nl("Meeting: %(meeting)s") % {
        "meeting": f"{TITLE}, 12 maart 2026, 19:30\N{EN DASH}21:30, Wijkcentrum De Brug"
    }
    summaries = _feed(client, process)
    assert summaries[nl("A meeting was held: %(meeting)s") % {"meeting": TITLE}] == meeting
    assert summaries[followed].split("\n\n")[0] == meeting
    details = _mail_details(process)
    assert details[followed].split("\n\n")[0] == meeting
    for text in [*summaries.values(), *details.values()]:
        assert BOTH_OPENING.lower() not in text.lower() and "19 maart" not in text


def test_the_feed_and_the_mails_name_a_moved_meeting_by_both_days(
    evening,  # noqa: F811
    organiser,
    client,
):
    session, question, later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    process = session.process
    followed = _follow_up(process, question, organiser)
    days = nl(BOTH) % {"planned": "12 maart 2026", "held": "19 maart 2026"}
    meeting = nl("Meeting: %(meeting)s") % {"meeting": f"{TITLE}, {days}, Wijkcentrum De Brug"}
    summaries = _feed(client, process)
    held = summaries[nl("A meeting was held: %(meeting)s") % {"meeting": TITLE}]
    assert held == meeting and "19:30" not in held  # never as if held at its planned hours
    assert summaries[followed] == f"{meeting}\n\nHet plein krijgt bomen."
    details = _mail_details(process)
    assert details[followed] == f"{meeting}\n\nHet plein krijgt bomen."
    # A meeting planned is announced by its plan: the day held is not known then.
    planned = nl("A meeting was planned: %(title)s") % {"title": later.title}
    assert details[planned].startswith("3 februari 2027, 19:30")


# -- the learning page and its CSV ---------------------------------------------------------


def _learning(client, organiser) -> tuple[str, dict]:
    client.force_login(organiser)
    html = client.get(reverse("designer:learning"), **NL).content.decode()
    row = html.split(f">{TITLE}</a>", 1)[1].split("</tr>", 1)[0]
    body = client.get(reverse("designer:learning_csv")).content.decode("utf-8-sig")
    [line] = [line for line in csv.DictReader(io.StringIO(body)) if line["session"] == TITLE]
    return row, line


def test_the_learning_page_dates_a_session_held_on_its_day_once(evening, organiser, client):  # noqa: F811
    session, question, _later = evening
    run_on(ON_THE_DAY, session, question, organiser)
    [row] = learning_rows(Process.objects.all())
    assert (row["date"], row["held_on"]) == ("2026-03-12", "2026-03-12")
    cells, line = _learning(client, organiser)
    assert '<td><time datetime="2026-03-12">12 maart 2026</time></td>' in cells
    assert cells.count("<time") == 1 and BOTH_OPENING not in cells
    assert (line["date"], line["held_on"]) == ("2026-03-12", "2026-03-12")


def test_the_learning_page_and_csv_give_the_day_a_moved_session_was_held(
    evening,  # noqa: F811
    organiser,
    client,
):
    session, question, _later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    [row] = learning_rows(Process.objects.all())
    assert (row["date"], row["held_on"]) == ("2026-03-12", "2026-03-19")
    cells, line = _learning(client, organiser)
    assert MOVED_NL in cells
    # The CSV: the planned date as documented, the day held in its own column.
    assert (line["date"], line["held_on"]) == ("2026-03-12", "2026-03-19")


def test_the_csv_keeps_its_columns_in_place_and_adds_held_on_last(evening, organiser, client):  # noqa: F811
    """A script reading the CSV by position reads on: ``held_on`` came after the other
    columns, and is the last of the header and of every row."""
    session, question, _later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    client.force_login(organiser)
    body = client.get(reverse("designer:learning_csv")).content.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header == [
        "process",
        "session",
        "date",
        "mode",
        "questions",
        "kinds",
        "people",
        "room",
        "remote",
        "paper",
        "hands",
        "paper_share",
        "remote_share",
        "qna",
        "evaluation_respondents",
        "clear",
        "heard",
        "again",
        "held_on",
    ]
    [row] = [row for row in rows if row[1] == TITLE]
    assert len(row) == len(header)
    assert (row[2], row[3], row[-1]) == ("2026-03-12", "hybrid", "2026-03-19")


def test_the_csv_leaves_held_on_empty_while_a_session_has_not_run(evening, organiser, client):  # noqa: F811
    session, _question, _later = evening
    # Called off from the console a week early, nothing opened or counted: on the
    # learning page (it ended), not held, and dated by its plan alone.
    end_on(CALLED_OFF, session, organiser)
    assert LiveSession.objects.get(pk=session.pk).state == SessionState.ENDED
    cells, line = _learning(client, organiser)
    assert (line["date"], line["held_on"]) == ("2026-03-12", "")
    assert '<td><time datetime="2026-03-12">12 maart 2026</time></td>' in cells
    assert "5 maart" not in cells and BOTH_OPENING not in cells
