"""Questions to the panel in the council's outputs (issue 21): the open data (its schema,
and a recount from the raw upvotes and hands that ``verify_log --export`` trusts), the
workbook's sheet and the PDF report, each read back."""

import json
from datetime import date, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from django.core.management import call_command
from jsonschema import Draft202012Validator
from openpyxl import load_workbook

from sessions_app.exports.recount import recount
from sessions_app.models import Option
from sessions_app.services import facilitation, participation, qna
from sessions_app.services.processes import panel_replace, process_publish
from sessions_app.specs import PanelMemberSpec
from tests.sessions_app.test_open_data import verify

pytestmark = pytest.mark.django_db

_ids = iter(range(10_000, 99_999))


def _up(phone, asked, vote="up"):
    participation.response_submit(
        participant=phone,
        question_id=asked.question_id,
        answer={"statement": asked.pk, "vote": vote},
        client_id=f"upvote-{next(_ids)}",
    )


@pytest.fixture
def round_(organiser, live_session, make_question):
    """A closed Q&A round: three questions (one merged into another, one answered in the
    room, one promised in writing), upvotes from the room and from home, a withdrawal."""
    process = live_session.process
    panel_replace(
        user=organiser, process=process, panel=[PanelMemberSpec("Wethouder De Vries", "wethouder")]
    )
    question = make_question(
        "qna", max_length=300, qna_premoderate=False, qna_names=True, panel=["Wethouder De Vries"]
    )
    process_publish(user=organiser, process=process)
    facilitation.question_open(user=organiser, question=question)
    room = [participation.participant_join(session=live_session, via="room") for _ in range(3)]
    home = participation.participant_join(session=live_session, via="remote")
    member = process.panel.get()

    def ask(phone, text, **kwargs):
        return qna.qna_ask(
            participant=phone,
            question_id=question.pk,
            text=text,
            client_id=f"ask-{next(_ids)}",
            **kwargs,
        )[0]

    parking = ask(room[0], "Waar kunnen bewoners parkeren?", panel_member=member.pk)
    same = ask(room[1], "Blijven er parkeerplaatsen?")
    trees = ask(home, "Hoeveel bomen komen erbij?", display_name="Els")
    for phone in (room[1], room[2], home):
        _up(phone, parking)
    _up(room[2], same)  # upvoted both: counts once after the merge
    _up(room[0], trees)
    _up(room[0], trees, vote="withdrawn")
    _up(room[2], trees)
    qna.qna_merge(user=organiser, asked=same, into=parking)
    qna.qna_answer(user=organiser, asked=parking, mode="in_room")
    due = date.today() + timedelta(days=10)
    qna.qna_answer(user=organiser, asked=trees, mode="in_writing", due=due)
    facilitation.question_close(user=organiser, question=question)
    return process, question, parking, trees, due


def test_the_open_data_carries_the_round_and_recounts_from_raw_upvotes(round_, tmp_path):
    process, question, parking, trees, due = round_
    path = tmp_path / "open.json"
    call_command("export_results", process.slug, "--format", "json", "-o", str(path))
    data = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "export-format.schema.json").read_text()
    )
    assert sorted(Draft202012Validator(schema).iter_errors(data), key=str) == []
    [result] = [r for r in data["results"] if r["question"] == question.pk]
    votes = {a["id"]: a["votes"] for a in result["asked"]}
    assert votes[parking.pk] == {"room": 2, "remote": 1, "paper": 0, "hands": 0, "total": 3}
    assert votes[trees.pk]["total"] == 1
    assert [a["panel_member"]["name"] for a in result["asked"] if a["panel_member"]] == [
        "Wethouder De Vries"
    ]
    [part] = [q for q in data["questions"] if q["id"] == question.pk]
    assert part["qna"]["panel"][0]["name"] == "Wethouder De Vries"
    merged = [o for o in part["options"] if o["merged_into"] == parking.pk]
    assert [o["text"] for o in merged] == ["Blijven er parkeerplaatsen?"]
    assert [(a["asked"], a["mode"]) for a in data["panel_answers"]] == [
        (parking.pk, "in_room"),
        (trees.pk, "in_writing"),
    ]
    assert data["panel_answers"][1]["due"] == due.isoformat()
    assert data["process"]["panel"] == [{"name": "Wethouder De Vries", "role": "wethouder"}]
    assert recount(data) == []
    assert "FAILED" not in verify(data, tmp_path)
    # A changed vote total is named by the recount.
    result["asked"][0]["votes"]["total"] += 1
    assert recount(data)


def test_the_workbook_has_a_sheet_of_questions_to_the_panel(round_, tmp_path):
    process, _question, _parking, _trees, due = round_
    path = tmp_path / "results.xlsx"
    call_command("export_results", process.slug, "--format", "xlsx", "-o", str(path))
    book = load_workbook(path)
    sheet = book["Vragen aan het panel"] if "Vragen aan het panel" in book.sheetnames else None
    assert sheet is not None, book.sheetnames
    rows = list(sheet.iter_rows(values_only=True))
    by_text = {row[1]: row for row in rows[1:]}
    parking_row = by_text["Waar kunnen bewoners parkeren?"]
    assert parking_row[3] == "Wethouder De Vries"
    assert parking_row[5:9] == (2, 1, 0, 3)  # room, remote, hands, total
    assert parking_row[9] == "Blijven er parkeerplaatsen?"
    trees_row = by_text["Hoeveel bomen komen erbij?"]
    assert trees_row[2] == "Els"
    assert trees_row[11].date() == due


def test_the_report_lists_the_questions_and_what_the_panel_did(round_, tmp_path):
    process, _question, _parking, _trees, _due = round_
    path = tmp_path / "verslag.pdf"
    call_command("export_results", process.slug, "--format", "pdf", "-o", str(path))
    document = pdfium.PdfDocument(str(path))
    try:
        text = " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in document)
    finally:
        document.close()
    assert "Waar kunnen bewoners parkeren?" in text
    assert "beantwoord in de zaal" in text
    assert "Hoeveel bomen komen erbij?" in text
    assert Option.objects.filter(merged_into__isnull=False).count() == 1


def test_results_csv_has_a_line_per_asked_question(round_, tmp_path):
    import csv
    import io
    import zipfile

    from sessions_app.results import question_results

    process, question, parking, trees, _due = round_
    path = tmp_path / "tables.zip"
    call_command("export_results", process.slug, "--format", "csv", "-o", str(path))
    with zipfile.ZipFile(path) as archive:
        raw = archive.read(f"{process.slug}/results.csv").decode("utf-8-sig")
    lines = [r for r in csv.reader(io.StringIO(raw)) if r[0] == str(question.pk)]
    expected = question_results(question=question)
    split = ("room", "remote", "paper", "hands", "total")
    assert lines[0][2:] == [
        "respondents",
        "",
        *(str(expected["respondents"][k]) for k in split),
        "",
    ]
    assert lines[1:] == [
        [
            str(question.pk),
            question.text,
            str(asked["id"]),
            asked["text"],
            *(str(asked["votes"][k]) for k in split),
            "",
        ]
        for asked in expected["asked"]
    ]
    assert [line[2:4] for line in lines[1:]] == [  # the merged question has no line
        [str(parking.pk), "Waar kunnen bewoners parkeren?"],
        [str(trees.pk), "Hoeveel bomen komen erbij?"],
    ]
    assert lines[1][4:9] == ["2", "1", "0", "0", "3"]


def test_the_times_of_a_round_are_local_in_the_process_time_zone(round_, settings):
    from zoneinfo import ZoneInfo

    from sessions_app.models import PanelAnswer
    from sessions_app.results import question_results

    _process, question, parking, _trees, _due = round_
    zone = ZoneInfo(settings.TIME_ZONE)
    assert settings.TIME_ZONE == "Europe/Amsterdam"
    parking.refresh_from_db()
    answer = PanelAnswer.objects.filter(asked=parking).latest("id")
    [asked] = [a for a in question_results(question=question)["asked"] if a["id"] == parking.pk]
    assert asked["asked_at"] == parking.created_at.astimezone(zone).isoformat()
    assert asked["answer"]["recorded_at"] == answer.created_at.astimezone(zone).isoformat()
    assert not asked["asked_at"].endswith("+00:00")
    assert not asked["answer"]["recorded_at"].endswith("+00:00")
