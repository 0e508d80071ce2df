"""A user review of figures and words on Dutch pages and in the council's outputs: numbers
with the thousands separator as the PDF writes them, dates in words on the learning page,
the budget's unit in the workbook, singular and plural, follow-ups in agenda order, and an
import error without the JSON parser's English."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from sessions_app import rules
from sessions_app.exceptions import DesignError, InputRejected
from sessions_app.exports import data, lines
from sessions_app.exports import workbook as workbook_module
from sessions_app.models import Question
from sessions_app.receipts import answer_words
from sessions_app.services import facilitation
from sessions_app.services.design_io import load_design_file
from sessions_app.services.followups import follow_up_record
from sessions_app.services.hands import hand_count_record
from sessions_app.services.processes import process_publish
from sessions_app.views import learning as learning_views
from sessions_app.views.participate import budget_amount
from sessions_app.views.strings import groups_none, opinion_strings
from tests.conftest import question_spec

pytestmark = pytest.mark.django_db

NL = {"HTTP_ACCEPT_LANGUAGE": "nl"}  # staff pages speak the reader's language


@pytest.fixture
def crowded(organiser, live_session, make_question):
    """A Dutch session held: 1520 hands on the first question, 5 on the second."""
    first = make_question("single_choice")
    second = make_question("single_choice", text="Tweede vraag?")
    process_publish(user=organiser, process=live_session.process)
    for question, hands in ((first, 1520), (second, 5)):
        facilitation.question_open(user=organiser, question=question)
        option = question.options.order_by("position").first()
        # 1520 hands are far more than the (empty) room has shown: recorded as confirmed.
        hand_count_record(
            user=organiser, question=question, counts={str(option.pk): hands}, confirmed=True
        )
    facilitation.session_end(user=organiser, session=live_session)
    return live_session


def test_the_console_summary_writes_thousands_the_dutch_way(client, organiser, crowded):
    client.force_login(organiser)
    page = client.get(reverse("live:console", args=[crowded.process.slug, crowded.pk]), **NL)
    html = page.content.decode()
    assert "<td>1.520</td>" in html and "1520" not in html
    # The summary's tables scroll on a phone rather than widening the page.
    assert html.count('class="table-scroll"') >= 2


def test_the_session_report_writes_thousands_and_the_median_as_the_pdf(
    client, organiser, crowded, monkeypatch
):
    real = learning_views.session_report

    def with_minutes(session, **kwargs):
        found = real(session, **kwargs)
        at = timezone.now()
        found["per_minute"] = {
            "start": at,
            "minutes": [{"at": at, "n": 14}, {"at": at, "n": 16}],
            "peak": 16,
            "median": 15.0,  # statistics.median of an even count
            "total": 1520,
        }
        return found

    monkeypatch.setattr(learning_views, "session_report", with_minutes)
    client.force_login(organiser)
    page = client.get(
        reverse("designer:session_report", args=[crowded.process.slug, crowded.pk]), **NL
    )
    html = page.content.decode()
    assert 'data-turnout="hands">1.520<' in html
    assert "1.515 minder" in html
    assert "1.520 antwoorden van telefoons" in html
    assert "15 in een gewone minuut" in html and "15,0" not in html
    assert 'class="table-scroll"' in html


def test_the_learning_page_writes_dates_in_words_and_the_csv_keeps_iso(client, organiser, crowded):
    client.force_login(organiser)
    html = client.get(reverse("designer:learning"), **NL).content.decode()
    assert "15 januari 2027" in html and ">2027-01-15<" not in html
    assert "<td>1.520</td>" in html
    body = client.get(reverse("designer:learning_csv")).content.decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["date"] == "2027-01-15" and row["hands"] == "1520"


def test_a_budget_writes_its_total_and_amounts_the_dutch_way(client, organiser, make_question):
    question = make_question(
        "budget", budget_total=50000, budget_unit="euro", text="Hoe verdeelt u het geld?"
    )
    client.force_login(organiser)
    page = client.get(
        reverse("designer:question_preview", args=[question.session.process.slug, question.pk]),
        **NL,
    )
    assert "Verdeel precies 50.000 euro over de opties." in page.content.decode()
    option = question.options.first()
    with translation.override("nl"):
        assert budget_amount(question, 20000) == "20.000 euro"
        assert answer_words(question, {"allocation": {str(option.pk): 20000}}) == [
            f"{option.text}: 20.000"
        ]


def test_error_messages_write_their_limits_the_dutch_way():
    spec = question_spec("budget", budget_total=2_000_000)
    with translation.override("nl"):
        (problem,) = [p for p in rules.question_problems(spec) if p.path == "total"]
        assert "1.000.000" in problem.message
        assert "2.000" in InputRejected("answer_text").message
        assert "2.000" in InputRejected("note_too_long").message
    with translation.override("en"):
        assert "1,000,000" in problem.message


def test_the_limits_in_error_messages_are_the_services_limits():
    from sessions_app.exceptions import ERROR_PARAMS
    from sessions_app.models.notes import NOTE_MAX_LENGTH
    from sessions_app.services import dossier, hands, print_runs, qna

    assert ERROR_PARAMS == {
        "invalid_count": {"max": print_runs.MAX_BATCH},
        "hands_invalid": {"max": hands.MAX_HANDS},
        "answer_text": {"max": qna.ANSWER_MAX},
        "summary_too_long": {"max": dossier.SUMMARY_MAX},
        "note_too_long": {"max": NOTE_MAX_LENGTH},
    }


def test_invalid_json_names_line_and_column_without_the_parsers_english():
    with pytest.raises(DesignError) as caught:
        load_design_file(b'{\n  "title": x\n}')
    with translation.override("nl"):
        (problem,) = caught.value.problems
        assert "Expecting" not in problem.message
        assert "2" in problem.message and "12" in problem.message


def test_the_workbook_names_the_budgets_unit():
    part = {"kind": "budget", "budget_unit": "euro"}
    result = {
        "options": [{"text": "Toestellen", "points": {"total": 30000}, "average": 30000}],
        "total_points": 50000,
    }
    with translation.override("nl"):
        ((_name, _counts, _percent, note),) = lines.result_lines(part, result)
        assert note.startswith("euro; ") and "30.000" in note and "50.000" in note
        assert lines.unit_name({"budget_unit": ""}) == "punten"


def test_one_statement_is_singular(monkeypatch):
    assert groups_none(1).format(n=1).endswith("voted on 1 statement.")
    strings = opinion_strings()
    assert strings["groups_none_one"].endswith("{n} statement.")
    assert strings["groups_none"].endswith("{n} statements.")


def test_waiting_answers_count_singular_and_plural(monkeypatch):
    """ "1 wacht nog", "2 wachten nog": the sentence is a plural message by the count."""
    from sessions_app.exports import report
    from sessions_app.views import public_results

    seen = []

    def spy(singular, plural, n):
        seen.append((singular, n))
        return singular if n == 1 else plural

    monkeypatch.setattr(public_results, "ngettext", spy)
    monkeypatch.setattr(report, "ngettext", spy)
    result = {"approved": [], "pending": 1, "hidden": 3}
    public_results._open_text(None, result, {"facts": []})
    assert any(s.startswith("Not shown:") and n == 1 for s, n in seen)
    report._open_answers(result, report._styles())
    assert any(s.startswith("%(pending)s awaiting moderation") and n == 1 for s, n in seen)


def test_follow_ups_are_listed_in_agenda_order(organiser, live_session, make_question, tmp_path):
    first = make_question("single_choice", text="Eerste vraag?")
    second = make_question("single_choice", text="Tweede vraag?")
    process = live_session.process
    process_publish(user=organiser, process=process)
    day = datetime.date(2026, 11, 20)
    for question_id in (second.pk, None, first.pk):  # recorded out of agenda order
        follow_up_record(
            user=organiser,
            process=process,
            question_id=question_id,
            outcome="adopted",
            reasoning="Overgenomen.",
            decided_on=day,
        )
    ordered = data.in_agenda_order(data.follow_ups_part(process), [first.pk, second.pk])
    assert [f["question"] for f in ordered] == [None, first.pk, second.pk]
    stream = io.BytesIO()
    with translation.override("nl"):
        workbook_module.write(process, stream)
    sheet = load_workbook(io.BytesIO(stream.getvalue()))["Terugkoppeling"]
    about = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    numbers = {q.pk: n for n, q in enumerate(Question.objects.order_by("position"), 1)}
    assert about == [
        about[0],
        f"{numbers[first.pk]}. Eerste vraag?",
        f"{numbers[second.pk]}. Tweede vraag?",
    ]
