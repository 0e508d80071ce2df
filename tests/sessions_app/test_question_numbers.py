"""One number per question, wherever a person reads it: the paper form a resident filled
in, the public page, the council report (PDF) and the workbook. A question is numbered
in its own session, in agenda order, without the session's Q&A rounds (they are asked on
a card of their own, not on the form): ``sessions_app.numbering``."""

import datetime
import re
from itertools import count

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from printables.layout import question_numbers as printed_numbers
from sessions_app.models import LiveSession
from sessions_app.numbering import agenda_numbers
from sessions_app.services import facilitation, printing
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.participation import participant_join, response_submit
from sessions_app.services.processes import process_publish
from tests.conftest import session_spec
from tests.sessions_app.test_evening_outputs import report

pytestmark = pytest.mark.django_db

_ids = count(1)

FIRST = {
    "choice": "Welke kleur krijgen de bankjes?",
    "qna": "Vragen aan het college",
    "scale": "Hoe tevreden bent u over het plein?",
}
SECOND = {
    "where": "Waar komt de fietsenstalling?",
    "safe": "Hoe veilig voelt de route naar het station?",
}


def _answer(session, question, answer):
    phone = participant_join(session=session, via="room")
    response_submit(
        participant=phone,
        question_id=question.pk,
        answer=answer,
        client_id=f"numbers-{next(_ids):06d}",
    )


def _run(organiser, session, questions):
    for question in questions.values():
        facilitation.question_open(user=organiser, question=question)
        if question.kind == "single_choice":
            _answer(session, question, {"option": question.options.first().pk})
        elif question.kind == "scale":
            _answer(session, question, {"value": 4})
        facilitation.question_close(user=organiser, question=question)
    facilitation.session_end(user=organiser, session=session)


@pytest.fixture
def two_evenings(process, live_session, make_question, organiser):
    """Two evenings, both held and ended. The first has a Q&A round between its two
    questions: its form numbers the scale question 2, not 3."""
    first = {
        "choice": make_question("single_choice", text=FIRST["choice"]),
        "qna": make_question("qna", text=FIRST["qna"], qna_premoderate=False),
        "scale": make_question("scale", text=FIRST["scale"]),
    }
    later = live_session_create(
        user=organiser,
        process=process,
        spec=session_spec(
            title="Tweede avond",
            starts_at=datetime.datetime(2027, 2, 3, 19, 30, tzinfo=datetime.UTC),
            ends_at=datetime.datetime(2027, 2, 3, 21, 0, tzinfo=datetime.UTC),
        ),
    )
    second = {
        "where": make_question("single_choice", session=later, text=SECOND["where"]),
        "safe": make_question("scale", session=later, text=SECOND["safe"]),
    }
    process_publish(user=organiser, process=process)
    _run(organiser, live_session, first)
    _run(organiser, later, second)
    process.refresh_from_db()
    return process, (live_session, first), (later, second)


def _paper(session) -> dict[int, int]:
    """Question id → the number printed before it on the session's paper form."""
    layout = printing.form_layout(session=session, large_print=False)
    return printed_numbers(layout.data)


def test_the_numbers_are_those_of_the_paper_form(two_evenings):
    _process, (first_session, first), (second_session, second) = two_evenings
    expected = {
        first["choice"].pk: 1,
        first["scale"].pk: 2,
        second["where"].pk: 1,
        second["safe"].pk: 2,
    }
    assert _paper(first_session) | _paper(second_session) == expected
    questions = [*first.values(), *second.values()]
    assert agenda_numbers(questions) == expected  # the Q&A round has no number
    # From the export's parts (plain data) the same, whatever order they come in.
    parts = [
        {"id": q.pk, "session": q.session_id, "position": q.position, "kind": q.kind}
        for q in reversed(questions)
    ]
    assert agenda_numbers(parts) == expected


def test_the_report_the_workbook_and_the_public_page_number_as_the_paper_does(
    two_evenings, client, tmp_path
):
    process, (first_session, first), (second_session, second) = two_evenings
    numbered = [
        (first_session, first["choice"], 1),
        (first_session, first["scale"], 2),
        (second_session, second["where"], 1),
        (second_session, second["safe"], 2),
    ]
    # The council report: the summary and each question's heading in its session's
    # section ("Definitief." follows a heading), numbered as on paper.
    pages = report(process, tmp_path)
    whole = " ".join(pages)
    with translation.override("nl"):
        final = gettext("Final.")
    for _session, question, number in numbered:
        assert f"{number}. {question.text}" in pages[0], question.text
        assert f"{number}. {question.text} {final}" in whole, question.text
    # The round is there, by its text alone; the scale question after it is 2, not 3.
    assert FIRST["qna"] in whole and not re.search(r"\d\. " + FIRST["qna"], whole)
    assert f"3. {FIRST['scale']}" not in whole

    # The workbook: the question's sheet, its label, and its row in the results.
    path = tmp_path / "raad.xlsx"
    call_command("export_results", process.slug, "--format", "xlsx", "-o", str(path))
    book = load_workbook(path)
    meetings = list(process.sessions.all())
    with translation.override(process.language):
        names = {
            question.pk: gettext("M%(meeting)d Q%(n)d")
            % {"meeting": meetings.index(session) + 1, "n": number}
            for session, question, number in numbered
        }
        results = [row[0] for row in book[gettext("Results")].iter_rows(values_only=True)]
    for session, question, number in numbered:
        label = f"{session.title}, {number}. {question.text}"
        assert book[names[question.pk]]["A1"].value == label
        assert label in results
    assert f"{first_session.title}, {FIRST['qna']}" in results
    assert not any(re.fullmatch(r"[A-Z] ?\d+", name) for name in book.sheetnames)

    # The public page: the agenda and the results, each question with its number.
    page = client.get(process.get_absolute_url()).content.decode()
    agenda = page[page.index('id="sessions-heading"') :]
    shown = page[page.index('id="results-heading"') : page.index('id="follow-up-heading"')]
    for session, question, number in numbered:
        item = f'<span class="question-number">{number}.</span> {question.text}'
        assert item in agenda.split(session.title, 1)[1], question.text
        heading = shown.split(f'id="result-{question.pk}"', 1)[1].split("</h4>")[0]
        assert f'<span class="question-number">{number}.</span> {question.text}' in heading
    first_agenda = agenda.split(first_session.title, 1)[1].split("</ol>")[0]
    [round_item] = [li for li in first_agenda.split("<li>") if FIRST["qna"] in li]
    assert "question-number" not in round_item


def test_the_console_and_the_process_page_number_as_the_paper_does(two_evenings, client, organiser):
    """Staff screens too: the facilitator who says "question 2" means the one the
    residents' forms number 2, after the Q&A round."""
    process, (first_session, first), (_second_session, second) = two_evenings
    client.force_login(organiser)
    # Reopened (an ended session's console shows its summary, not its agenda).
    facilitation.session_reopen(
        user=organiser, session=LiveSession.objects.get(pk=first_session.pk)
    )
    console = client.get(
        reverse("live:console", args=[process.slug, first_session.pk])
    ).content.decode()
    overview = client.get(reverse("designer:process_detail", args=[process.slug])).content.decode()
    for page in (console, overview):
        for question, number in ((first["choice"], 1), (first["scale"], 2)):
            assert f'<span class="question-number">{number}.</span> {question.text}' in page
        assert f'<span class="question-number">3.</span> {FIRST["scale"]}' not in page
        assert not re.search(r'question-number">\d+\.</span> ' + re.escape(FIRST["qna"]), page)
    assert f'<span class="question-number">1.</span> {second["where"].text}' in overview


def test_one_session_keeps_its_short_sheet_names(process, make_question, tmp_path):
    first = make_question("single_choice", text=FIRST["choice"])
    make_question("qna", text=FIRST["qna"], qna_premoderate=False)
    second = make_question("scale", text=FIRST["scale"])
    path = tmp_path / "raad.xlsx"
    call_command("export_results", process.slug, "--format", "xlsx", "-o", str(path))
    book = load_workbook(path)
    assert book["V1"]["A1"].value == f"1. {first.text}"
    assert book["V2"]["A1"].value == f"2. {second.text}"
    assert "V3" not in book.sheetnames  # the Q&A round has no number, and no sheet
