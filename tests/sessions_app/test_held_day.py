"""A session held on another day than planned: every council output names the day it was
held beside the planned one ("gepland 12 maart 2026, gehouden 19 maart 2026"), and the
planned day alone when it was held then. One rule says which day a session was held
(``selectors.session_day``): the day its first question was opened, else the day it was
ended. The PDF and the workbook are read back."""

import datetime
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from freezegun import freeze_time
from jsonschema import Draft202012Validator
from openpyxl import load_workbook

from sessions_app import selectors
from sessions_app.models import LiveSession
from sessions_app.services import facilitation
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.processes import process_publish
from sessions_app.services.questions import question_create
from sessions_app.session_report import session_report
from tests.conftest import AMS, question_spec, session_spec
from tests.paper_fixtures import option
from tests.sessions_app.test_evening_outputs import report
from tests.sessions_app.test_open_data import _answer, _phone, export_of

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
PLANNED = datetime.datetime(2026, 3, 12, 19, 30, tzinfo=AMS)
#: The evening as planned: 19:45 in Amsterdam.
ON_THE_DAY = "2026-03-12 18:45:00"
#: A week later, the evening it was moved to.
A_WEEK_LATER = "2026-03-19 18:40:00"
TITLE = "Avond over het plein"
BOTH = "planned %(planned)s, held %(held)s"


def nl(text: str) -> str:
    with translation.override("nl"):
        return gettext(text)


def both_days(planned: str, held: str, language: str = "nl") -> str:
    """The words every output says a moved session in (the translation, when there is one)."""
    with translation.override(language):
        return capfirst(gettext(BOTH) % {"planned": planned, "held": held})


@pytest.fixture
def evening(process, organiser):
    """A process with one session planned for 12 March 2026 (19:30 to 21:30) and a
    choice question on its agenda, and a second session not held yet; published. The
    test runs the first on the day it chooses (``run_on``)."""
    session = live_session_create(
        user=organiser,
        process=process,
        spec=session_spec(
            title=TITLE, starts_at=PLANNED, ends_at=PLANNED + datetime.timedelta(hours=2)
        ),
    )
    question = question_create(user=organiser, session=session, spec=question_spec())
    later = live_session_create(
        user=organiser,
        process=process,
        spec=session_spec(
            title="Tweede avond",
            starts_at=datetime.datetime(2027, 2, 3, 19, 30, tzinfo=AMS),
            ends_at=None,
        ),
    )
    question_create(user=organiser, session=later, spec=question_spec())
    process_publish(user=organiser, process=process)
    return session, question, later


def run_on(moment: str, session, question, organiser) -> None:
    """Open the question at ``moment`` (UTC), answer it from a phone in the room, close it
    and end the session a little later."""
    with freeze_time(moment):
        facilitation.question_open(user=organiser, question=question)
        _answer(_phone(session, "room"), question, {"option": option(question, 0)})
    with freeze_time(datetime.datetime.fromisoformat(moment) + datetime.timedelta(minutes=50)):
        facilitation.question_close(user=organiser, question=question)
        facilitation.session_end(user=organiser, session=LiveSession.objects.get(pk=session.pk))


# -- the rule ----------------------------------------------------------------------------


def test_the_day_held_is_the_first_opening_else_the_end_and_local():
    at = datetime.datetime
    day = selectors.session_day(
        starts_at=PLANNED,
        first_opened=at(2026, 3, 19, 18, 40, tzinfo=UTC),
        ended_at=at(2026, 3, 20, 9, 0, tzinfo=UTC),
    )
    assert (day.planned, day.held, day.moved) == (
        datetime.date(2026, 3, 12),
        datetime.date(2026, 3, 19),
        True,
    )
    # Nothing opened: the day it was ended, when anything of it was counted; ended with
    # nothing counted (called off), it was not held. Never run: no day held, not moved.
    ended = selectors.session_day(
        starts_at=PLANNED,
        first_opened=None,
        ended_at=at(2026, 3, 13, 10, tzinfo=UTC),
        counted=True,
    )
    assert ended.held == datetime.date(2026, 3, 13) and ended.moved
    called_off = selectors.session_day(
        starts_at=PLANNED, first_opened=None, ended_at=at(2026, 3, 5, 10, tzinfo=UTC)
    )
    assert (called_off.held, called_off.moved) == (None, False)
    never = selectors.session_day(starts_at=PLANNED, first_opened=None, ended_at=None)
    assert (never.planned, never.held, never.moved) == (datetime.date(2026, 3, 12), None, False)
    # Days are Amsterdam's: 23:30 UTC on the 12th is already the 13th there, and an
    # evening that runs past midnight was held on the day it began.
    late = selectors.session_day(
        starts_at=PLANNED,
        first_opened=at(2026, 3, 12, 23, 30, tzinfo=UTC),
        ended_at=at(2026, 3, 13, 1, 0, tzinfo=UTC),
    )
    assert late.held == datetime.date(2026, 3, 13) and late.moved
    same = selectors.session_day(
        starts_at=PLANNED,
        first_opened=at(2026, 3, 12, 22, 50, tzinfo=UTC),
        ended_at=at(2026, 3, 13, 0, 30, tzinfo=UTC),
    )
    assert same.held == datetime.date(2026, 3, 12) and not same.moved


def test_the_selector_reads_each_sessions_first_opening_once(evening, organiser):
    session, question, later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    # Reopened, and its question opened again the next day: the day held stays the first.
    with freeze_time("2026-03-19 19:35:00"):
        facilitation.session_reopen(user=organiser, session=LiveSession.objects.get(pk=session.pk))
    with freeze_time("2026-03-20 10:00:00"):
        facilitation.question_open(user=organiser, question=question)
    days = selectors.session_days(sessions=LiveSession.objects.filter(process=session.process))
    assert days[session.pk].held == datetime.date(2026, 3, 19) and days[session.pk].moved
    assert days[later.pk].held is None and not days[later.pk].moved


# -- a session called off -----------------------------------------------------------------

#: A week before the evening as planned: ended from the console without running.
CALLED_OFF = "2026-03-05 10:00:00"


def end_on(moment: str, session, organiser) -> None:
    with freeze_time(moment):
        facilitation.session_end(user=organiser, session=LiveSession.objects.get(pk=session.pk))


def test_a_session_ended_without_running_was_not_held(evening, organiser, client, tmp_path):
    """Called off from the console a week early, nothing opened or counted: not held. No
    day held anywhere, and it stays on its planned day."""
    session, _question, _later = evening
    end_on(CALLED_OFF, session, organiser)
    stored = LiveSession.objects.get(pk=session.pk)
    day = selectors.session_days(sessions=[stored])[session.pk]
    assert (day.planned, day.held, day.moved) == (datetime.date(2026, 3, 12), None, False)
    assert session_report(stored)["session"]["day"] == day
    data, _path = export_of(session.process, tmp_path)
    assert {s["id"]: s for s in data["sessions"]}[session.pk]["held_on"] is None
    _results, meetings = _sections(client, session.process)
    assert 'datetime="2026-03-05"' not in meetings and "5 maart" not in meetings
    assert both_days("X", "Y").split("X")[0] not in meetings
    assert "donderdag 12 maart 2026, 19:30" in meetings


def _counted(kind: str, session, question, organiser) -> None:
    """Something of ``session`` counted (or not) without opening a question: an answer,
    a show of hands, a paper form in state ``kind``."""
    from sessions_app.models import HandCount, PaperSheet, Participant, Response
    from sessions_app.services.print_runs import print_batch_create
    from sessions_app.services.printing import form_layout

    if kind == "response":
        # An answer brought in from elsewhere (imported), its question never opened here.
        participant = Participant.objects.create(
            session=session, public_id="import-1", joined_via="import", external_id="r1"
        )
        Response.objects.create(question=question, participant=participant, source="online")
    elif kind == "hands":
        HandCount.objects.create(
            question=question, option_id=option(question, 0), count=12, entered_by=organiser
        )
    else:
        layout = form_layout(session=session, large_print=False)
        batch = print_batch_create(user=organiser, session=session, count=2, layout=layout)
        PaperSheet.objects.filter(pk=batch.sheets.order_by("serial")[0].pk).update(
            state=kind, void_reason="Beschadigd" if kind == "voided" else ""
        )


@pytest.mark.parametrize(
    ("kind", "held"),
    [
        ("response", True),
        ("hands", True),
        ("entered", True),
        ("verified", True),
        ("conflict", True),
        ("counted", True),
        ("printed", False),
        ("voided", False),
    ],
)
def test_a_session_ended_with_something_counted_was_held_on_its_end(evening, organiser, kind, held):
    """Nothing opened, but answers, hands or paper forms entered (``ENTERED_SHEETS``):
    held the day it was ended. Printed or voided forms alone count for nothing."""
    from sessions_app.services.hands import ENTERED_SHEETS

    session, question, _later = evening
    _counted(kind, session, question, organiser)
    end_on(CALLED_OFF, session, organiser)
    day = selectors.session_days(sessions=[LiveSession.objects.get(pk=session.pk)])[session.pk]
    assert day.held == (datetime.date(2026, 3, 5) if held else None)
    assert day.moved is held
    if kind not in ("response", "hands"):
        assert (kind in ENTERED_SHEETS) is held


def test_the_days_held_take_a_fixed_number_of_queries(evening, organiser):
    """One query for the first openings; what was counted is read only for sessions ended
    without one, in one more query however many there are."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    session, question, later = evening
    run_on(A_WEEK_LATER, session, question, organiser)

    def sessions():
        return list(LiveSession.objects.filter(process=session.process))

    found = sessions()
    with CaptureQueriesContext(connection) as opened:
        selectors.session_days(sessions=found)
    assert len(opened) == 1  # the first openings
    extra = []
    for n in range(4):
        extra.append(
            live_session_create(
                user=organiser,
                process=session.process,
                spec=session_spec(
                    title=f"Extra {n}",
                    starts_at=datetime.datetime(2026, 3, 26 + n, 19, 30, tzinfo=AMS),
                    ends_at=None,
                ),
            )
        )
        question_create(user=organiser, session=extra[-1], spec=question_spec())
    _counted("hands", extra[0], extra[0].questions.get(), organiser)
    end_on(CALLED_OFF, extra[0], organiser)
    found = sessions()
    with CaptureQueriesContext(connection) as one:
        selectors.session_days(sessions=found)
    for other in extra[1:]:
        end_on(CALLED_OFF, other, organiser)
    found = sessions()
    with CaptureQueriesContext(connection) as many:
        days = selectors.session_days(sessions=found)
    assert len(one) == len(many) == 2
    assert days[extra[0].pk].held == datetime.date(2026, 3, 5)
    assert [days[s.pk].held for s in extra[1:]] == [None, None, None]
    assert days[session.pk].held == datetime.date(2026, 3, 19) and days[later.pk].held is None


# -- the council report (PDF) --------------------------------------------------------------


def test_the_report_dates_a_session_held_on_its_day_by_that_day_alone(evening, organiser, tmp_path):
    session, question, _later = evening
    run_on(ON_THE_DAY, session, question, organiser)
    text = " ".join(report(session.process, tmp_path)[1:])
    assert f"{TITLE} 12 maart 2026, 19:30\N{EN DASH}21:30 · Wijkcentrum De Brug" in text
    assert both_days("12 maart 2026", "12 maart 2026") not in text


def test_the_report_names_both_days_of_a_session_held_on_another_day(evening, organiser, tmp_path):
    session, question, _later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    process = session.process
    text = " ".join(report(process, tmp_path)[1:])
    moved = both_days("12 maart 2026", "19 maart 2026")
    assert f"{TITLE} {moved} · Wijkcentrum De Brug" in text
    assert f"{TITLE} 12 maart 2026, 19:30" not in text  # never as if held as planned
    # The session not held yet keeps its planned day and hours.
    assert "Tweede avond (3 februari 2027, 19:30" in text
    process.language = "en"
    process.save(update_fields=["language"])
    english = " ".join(report(process, tmp_path)[1:])
    assert f"{TITLE} Planned March 12, 2026, held March 19, 2026 · " in english


# -- the workbook -------------------------------------------------------------------------


def _workbook(process, tmp_path):
    path = tmp_path / "raad.xlsx"
    call_command("export_results", process.slug, "--format", "xlsx", "-o", str(path))
    return load_workbook(path)


def _meeting(book, title):
    """The cells of the session's row in the Process sheet's table of meetings, and the
    table's heading."""
    rows = list(book[nl("Process")].iter_rows())
    heading = next(r for r in rows if r[0].value == nl("title") and r[1].value == nl("start time"))
    row = next(r for r in rows if r[0].value == title and r[1].is_date)
    return [c.value for c in heading], row


def _report_title_row(book, title):
    rows = book[nl("Session report")].iter_rows()
    return next(r for r in rows if r[0].value == title)


def test_the_workbook_has_no_second_day_for_a_session_held_on_its_day(evening, organiser, tmp_path):
    session, question, _later = evening
    run_on(ON_THE_DAY, session, question, organiser)
    book = _workbook(session.process, tmp_path)
    heading, row = _meeting(book, TITLE)
    column = heading.index(nl("held on another day"))
    assert row[1].value == datetime.datetime(2026, 3, 12, 19, 30)
    assert len(row) <= column or row[column].value is None
    title_row = [c.value for c in _report_title_row(book, TITLE)]
    assert title_row[1] == datetime.datetime(2026, 3, 12, 19, 30)
    assert all(value is None for value in title_row[2:])


def test_the_workbook_gives_the_day_held_as_a_date_cell_beside_the_planned_time(
    evening, organiser, tmp_path
):
    session, question, _later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    book = _workbook(session.process, tmp_path)
    heading, row = _meeting(book, TITLE)
    held = row[heading.index(nl("held on another day"))]
    # Both real date cells: the planned start as it was, the day held beside it.
    assert row[1].is_date and row[1].value == datetime.datetime(2026, 3, 12, 19, 30)
    assert held.is_date and held.value == datetime.datetime(2026, 3, 19)
    assert held.number_format == "dd-mm-yyyy"
    _heading, later = _meeting(book, "Tweede avond")
    assert all(cell.value is None for cell in later[6:])  # not held: nothing beside it
    cells = _report_title_row(book, TITLE)
    assert cells[1].is_date and cells[1].value == datetime.datetime(2026, 3, 12, 19, 30)
    assert cells[2].value == nl("held on")
    assert cells[3].is_date and cells[3].value == datetime.datetime(2026, 3, 19)


# -- the session report and its page -----------------------------------------------------


def _report_meta(client, organiser, session) -> str:
    client.force_login(organiser)
    url = reverse("designer:session_report", args=[session.process.slug, session.pk])
    page = client.get(url).content.decode()
    return page.split('<p class="meta">', 1)[1].split("</p>", 1)[0]


def test_the_session_report_page_names_both_days_of_a_moved_session(evening, organiser, client):
    session, question, _later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    day = session_report(LiveSession.objects.get(pk=session.pk))["session"]["day"]
    assert (day.planned, day.held, day.moved) == (
        datetime.date(2026, 3, 12),
        datetime.date(2026, 3, 19),
        True,
    )
    meta = _report_meta(client, organiser, session)
    assert (
        both_days(
            '<time datetime="2026-03-12">Thursday 12 March 2026</time>',
            '<time datetime="2026-03-19">Thursday 19 March 2026</time>',
            "en",
        )
        in meta
    )


def test_the_session_report_page_dates_a_session_held_on_its_day_once(evening, organiser, client):
    session, question, _later = evening
    run_on(ON_THE_DAY, session, question, organiser)
    assert not session_report(LiveSession.objects.get(pk=session.pk))["session"]["day"].moved
    meta = _report_meta(client, organiser, session)
    assert meta.count("<time") == 1 and "Thursday 12 March 2026, 19:30" in meta
    assert "held" not in meta


# -- the public page ----------------------------------------------------------------------


def _sections(client, process) -> tuple[str, str]:
    page = client.get(process.get_absolute_url()).content.decode()
    results = page.split('id="results"', 1)[1].split("</section>\n  <section", 1)[0]
    meetings = page.split('id="sessions-heading"', 1)[1].split("</section>", 1)[0]
    return results, meetings


def test_the_public_page_names_both_days_of_a_moved_session(evening, organiser, client):
    session, question, _later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    results, meetings = _sections(client, session.process)
    moved = both_days(
        '<time datetime="2026-03-12">donderdag 12 maart 2026</time>',
        '<time datetime="2026-03-19">donderdag 19 maart 2026</time>',
    )
    assert moved in results and moved in meetings
    assert "19:30" not in meetings.split(TITLE)[1].split("Tweede avond")[0]
    # The session not held yet keeps its planned time.
    assert "3 februari 2027, 19:30" in meetings


def test_the_public_page_dates_a_session_held_on_its_day_once(evening, organiser, client):
    session, question, _later = evening
    run_on(ON_THE_DAY, session, question, organiser)
    results, meetings = _sections(client, session.process)
    assert "donderdag 12 maart 2026</time>" in results
    assert "donderdag 12 maart 2026, 19:30</time>\N{EN DASH}21:30" in meetings
    for section in (results, meetings):
        assert 'datetime="2026-03-19"' not in section
        assert both_days("X", "Y").split("X")[0] not in section


# -- the open data ------------------------------------------------------------------------


def test_the_open_data_says_the_day_held_and_follows_its_schema(evening, organiser, tmp_path):
    session, question, later = evening
    run_on(A_WEEK_LATER, session, question, organiser)
    data, _path = export_of(session.process, tmp_path)
    sessions = {s["id"]: s for s in data["sessions"]}
    assert sessions[session.pk]["starts_at"] == "2026-03-12T19:30:00+01:00"
    assert sessions[session.pk]["held_on"] == "2026-03-19"
    assert sessions[later.pk]["held_on"] is None
    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "export-format.schema.json").read_text()
    )
    assert sorted(Draft202012Validator(schema).iter_errors(data), key=str) == []
    # Not a date: refused by the schema.
    sessions[session.pk]["held_on"] = "19 maart 2026"
    assert list(Draft202012Validator(schema).iter_errors(data))
