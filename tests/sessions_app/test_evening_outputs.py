"""Issue 18, items 15 and 16: the council report a clerk hands to councillors (read back
from the PDF's text) and a workbook that prints and filters as a spreadsheet should."""

import datetime
import re
import warnings

import pypdfium2 as pdfium
import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from openpyxl import load_workbook

from sessions_app.exports import report_text
from sessions_app.log_words import describe
from sessions_app.models import LogEntry, Response
from sessions_app.services import facilitation
from sessions_app.services.followups import follow_up_record
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.processes import process_publish
from sessions_app.specs import OptionSpec
from tests.conftest import session_spec
from tests.paper_fixtures import option
from tests.sessions_app.test_open_data import _answer, _phone, town_hall  # noqa: F401

pytestmark = pytest.mark.django_db

LONG = (
    "Een groene verblijfsplek met bomen, bankjes en een waterpartij voor spelende kinderen",
    "Ruimte voor de weekmarkt, evenementen en een overdekte fietsenstalling bij de ingang",
)


def report(process, tmp_path) -> list[str]:
    """The report's text, page by page, each page's lines joined by spaces."""
    path = tmp_path / "verslag.pdf"
    call_command("export_results", process.slug, "--format", "pdf", "-o", str(path))
    document = pdfium.PdfDocument(str(path))
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


def nl(text: str) -> str:
    with translation.override("nl"):
        return gettext(text)


def held_today(planned: str) -> str:
    """How the Dutch report dates a session planned for ``planned`` that the test ran
    today: both days (``report_text.session_when``)."""
    with translation.override("nl"):
        held = report_text.day(timezone.localdate())
        return capfirst(
            gettext("planned %(planned)s, held %(held)s") % {"planned": planned, "held": held}
        )


@pytest.fixture
def evening(town_hall, organiser, make_question):  # noqa: F811
    """The town hall, published, with the same open answer written three times (in other
    case and punctuation), a follow-up, and a second evening not held yet."""
    session, questions = town_hall
    process = session.process
    for phone, text in (
        ("room", "Meer bankjes in de schaduw."),
        ("remote", "meer bankjes in de  schaduw"),
    ):
        result = _answer(_phone(session, phone), questions["text"], {"text": text})
        facilitation.response_moderate(
            user=organiser, response=Response.objects.get(pk=result.response_id), decision="approve"
        )
    later = live_session_create(
        user=organiser,
        process=process,
        spec=session_spec(
            title="Tweede avond",
            starts_at=datetime.datetime(2027, 2, 3, 19, 30, tzinfo=datetime.UTC),
            ends_at=datetime.datetime(2027, 2, 3, 21, 0, tzinfo=datetime.UTC),
        ),
    )
    make_question("single_choice", session=later)
    process_publish(user=organiser, process=process)
    follow_up_record(
        user=organiser,
        process=process,
        question_id=questions["choice"].pk,
        outcome="adopted",
        reasoning="Het college neemt de keuze over.",
        decided_on=datetime.date(2026, 11, 20),
    )
    return session, questions, later


def test_page_one_is_a_summary_of_who_took_part_the_outcomes_and_what_happens_next(
    evening, tmp_path
):
    session, questions, _later = evening
    pages = report(session.process, tmp_path)
    first = pages[0]
    assert "Verslag voor de raad" in first and "Samenvatting" in first
    # Who took part, by source: 2 + 1 phones in the room, 1 + 1 at home, 1 paper form,
    # and the largest show of hands (6 + 3 on the choice question).
    assert f"{session.title} 3 2 1 9 15" in first
    assert "Tweede avond" not in first  # not held: no row, no outcomes
    # One line per question with its main outcome, the leading option by name.
    choice = questions["choice"]
    leading = choice.options.get(pk=option(choice, 0)).text
    assert f"1. {choice.text}" in first and leading in first
    assert "“Meer bankjes in de schaduw” (3" in first
    # What happens next: the promise, who decides, the follow-up with its Dutch date.
    assert "De raad weegt de uitkomst mee." in first and "Gemeenteraad" in first
    assert "20 november 2026" in first
    assert nl("Transparency log") not in first  # the rest is on later pages


def test_results_are_grouped_by_session_with_locale_numbers_and_the_open_session_provisional(
    evening, tmp_path
):
    session, _questions, _later = evening
    pages = report(session.process, tmp_path)
    text = " ".join(pages[1:])
    # The session's heading: its title, its days in Dutch, its venue. It was planned for
    # 15 January 2027 and held today (when the test ran it), so both days are named
    # (tests/sessions_app/test_held_day.py has a session held on its planned day).
    heading = f"{session.title} {held_today('15 januari 2027')} · Wijkcentrum De Brug"
    assert heading in text
    # Paper may still be entered and the session is not ended: provisional, never final.
    assert nl("Still in progress: these results are provisional.") in text
    assert nl("Final.") not in text and nl("Provisional.") in text
    # The session not held yet is named once, not as empty questions.
    assert text.count("Tweede avond") == 1
    assert "3 februari 2027" in text
    # Numbers as Dutch writes them: a decimal comma, never a decimal point.
    assert re.search(r"\b\d+,\d\b", text)
    assert not re.search(r"\b\d+\.\d{1,2}\b", " ".join(pages))
    # Statements: the most agreed as a chart row with its shares.
    assert "Meer bomen. 66,7% 33,3% 0% 3" in text


def test_identical_open_answers_are_printed_once_with_how_many_wrote_them(evening, tmp_path):
    session, _questions, _later = evening
    text = " ".join(report(session.process, tmp_path)[1:])
    assert "“Meer bankjes in de schaduw” 3" in text  # as the first one wrote it
    assert text.count("bankjes in de schaduw") == 1
    assert "HYPERLINK" not in text  # hidden text stays out


def test_the_log_section_speaks_plain_dutch_and_points_to_the_public_page(
    evening, tmp_path, settings
):
    session, _questions, _later = evening
    process = session.process
    settings.SITE_URL = "https://inspraak.voorbeeldstad.nl"  # without it: test_report_links
    pages = report(process, tmp_path)
    whole = " ".join(pages)
    log = whole[whole.rindex(nl("Transparency log")) :]
    assert "manage.py" not in whole and "python" not in whole.lower()
    assert f"https://inspraak.voorbeeldstad.nl/p/{process.slug}/log/" in log
    actions = set(LogEntry.objects.filter(process=process).values_list("action", flat=True))
    with translation.override("nl"):
        sentences = {action: describe(action) for action in actions}
    for action, sentence in sentences.items():
        assert sentence in log, action
        # The code only as the row's small detail: once, never in the explaining text.
        assert log.count(action) == 1, action
    process.refresh_from_db()
    explained = log.split(process.log_head)[0]
    assert not any(action in explained for action in actions)
    # Dates in words, not time stamps.
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", whole)
    assert re.search(
        r"\d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|"
        r"september|oktober|november|december) \d{4}",
        log,
    )


def test_labels_are_printed_whole_and_numbers_follow_the_process_language(
    live_session, make_question, organiser, tmp_path
):
    choice = make_question("single_choice", options=[OptionSpec(t) for t in LONG])
    budget = make_question(
        "budget", options=[OptionSpec(t) for t in LONG], budget_total=2000, budget_unit="euro"
    )
    for question in (choice, budget):
        facilitation.question_open(user=organiser, question=question)
    for n in range(3):
        phone = _phone(live_session, "room")
        _answer(phone, choice, {"option": option(choice, 0 if n else 1)})
        _answer(
            phone,
            budget,
            {"allocation": {str(option(budget, 0)): 1500, str(option(budget, 1)): 500}},
        )
    process = live_session.process
    text = " ".join(report(process, tmp_path))
    assert "\N{HORIZONTAL ELLIPSIS}" not in text and "..." not in text
    for label in LONG:
        assert label in text  # wrapped over lines, never cut
    assert "66,7" in text and "33,3" in text
    assert "4.500" in text  # three times 1,500 euro, grouped the Dutch way
    assert "15 januari 2027" in text
    process.language = "en"
    process.save(update_fields=["language"])
    english = " ".join(report(process, tmp_path))
    assert "66.7" in english and "4,500" in english and "Jan. 15, 2027" in english


def test_report_words_group_answers_and_find_divided_statements():
    answers = [{"text": t} for t in ("Meer groen.", "meer  GROEN", "Bankjes", "", "Meer groen!")]
    assert report_text.grouped_answers(answers) == [("Meer groen.", 3), ("Bankjes", 1)]

    def statement(pk, agree, disagree, passed):
        counts = {"agree": agree, "disagree": disagree, "pass": passed}
        return {
            "id": pk,
            **{k: {"total": v} for k, v in counts.items()},
            "votes": sum(counts.values()),
        }

    statements = [
        statement(1, 9, 1, 0),
        statement(2, 5, 5, 0),
        statement(3, 4, 6, 0),
        statement(4, 1, 0, 9),
    ]
    assert [s["id"] for s in report_text.most_agreed(statements, 2)] == [1, 2]
    assert [s["id"] for s in report_text.most_divided(statements, 5)] == [2, 3]
    with translation.override("nl"):
        assert report_text.number(1234.5) == "1.234,5"
        assert report_text.number(4.0) == "4"
        assert report_text.day(datetime.date(2026, 12, 3)) == "3 december 2026"
    with translation.override("en"):
        assert report_text.number(1234.5) == "1,234.5"


def test_every_sheet_prints_one_page_wide_with_frozen_headers_and_filters(town_hall, tmp_path):  # noqa: F811
    session, questions = town_hall
    path = tmp_path / "raad.xlsx"
    call_command("export_results", session.process.slug, "--format", "xlsx", "-o", str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning on loading fails the test
        book = load_workbook(path)
    for ws in book.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
        assert ws.freeze_panes and ws.print_title_rows, ws.title
    # Each data table: its heading row frozen, repeated on every printed page, filtered.
    for name, head, columns in (
        ("Uitkomsten", 1, "I"),
        ("Antwoorden", 1, "J"),
        ("Open antwoord", 1, "D"),
        ("Logboek", 1, "G"),
        ("Papier", 1, "I"),  # meeting and eight figures
        ("V1", 3, "F"),
    ):
        ws = book[name]
        assert ws.freeze_panes == f"A{head + 1}", name
        assert ws.print_title_rows == f"$1:${head}", name
        assert ws.auto_filter.ref == f"A{head}:{columns}{ws.max_row}", name
    assert book["Integriteit"].auto_filter.ref is None
    # The print titles reach the file as each sheet's Print_Titles name.
    assert "Print_Titles" in book["Antwoorden"].defined_names or book["Antwoorden"].print_titles
    assert len(questions) == sum(1 for n in book.sheetnames if re.fullmatch(r"V\d+", n))


def test_report_sentences_say_one_in_the_singular():
    """ "1 antwoord gepubliceerd", not "1 antwoorden": counts go through ngettext."""
    from sessions_app.models import QuestionKind

    one = {"respondents": {"total": 1}, "approved": [{"text": "Meer groen."}]}
    two = {"respondents": {"total": 2}, "approved": [{"text": "Meer groen."}, {"text": "Bankjes"}]}
    part = {"kind": QuestionKind.OPEN_TEXT}
    with translation.override("nl"):
        assert report_text.outcome(part, one) == "1 antwoord gepubliceerd."
        assert report_text.outcome(part, two) == "2 antwoorden gepubliceerd."
    with translation.override("en"):
        assert report_text.outcome(part, one) == "1 answer published."
