"""The council's workbook: reloaded with openpyxl, its cells and charts must match the
result function, formula-like text must stay text, times must be local."""

import datetime
import re

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook
from openpyxl.chart import BarChart

from sessions_app.models import Response
from sessions_app.results import question_results
from sessions_app.services import facilitation
from tests.sessions_app.test_open_data import _answer, _phone, town_hall  # noqa: F401

FORMULA = '=HYPERLINK("http://x.test","klik") <script>'

pytestmark = pytest.mark.django_db

SPLIT = ("room", "remote", "paper", "hands", "total")


def approved_formula(session, questions):
    """An approved open answer that looks like a formula (published texts only are in
    the council's files; the town hall's own formula answer is hidden)."""
    result = _answer(_phone(session, "room"), questions["text"], {"text": FORMULA})
    facilitation.response_moderate(
        user=session.process.staff_roles.first().user,
        response=Response.objects.get(pk=result.response_id),
        decision="approve",
    )


@pytest.fixture
def workbook(town_hall, tmp_path):  # noqa: F811
    session, questions = town_hall
    approved_formula(session, questions)
    path = tmp_path / "raad.xlsx"
    call_command("export_results", session.process.slug, "--format", "xlsx", "-o", str(path))
    return load_workbook(path), session, questions


def rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_sheets_are_there_in_the_process_language(workbook):
    book, session, questions = workbook
    assert session.process.language == "nl"
    names = book.sheetnames
    assert names[:2] == ["Traject", "Uitkomsten"]
    assert [f"V{n}" for n in range(1, len(questions) + 1)] == names[2 : 2 + len(questions)]
    maps = [f"Kaart V{n}" for n, q in enumerate(questions.values(), 1) if q.kind == "statements"]
    assert maps and names[2 + len(questions) :] == [
        *maps,
        "Antwoorden",
        "Open antwoord",
        "Papier",
        "Terugkoppeling",
        "Verslag van de bijeenkomst",
        "Logboek",
        "Integriteit",
    ]


def test_results_cells_equal_the_result_function(workbook):
    book, _session, questions = workbook
    table = rows(book["Uitkomsten"])
    choice = questions["choice"]
    choice.refresh_from_db()
    expected = question_results(question=choice)
    label = next(r[0] for r in table if r[0] and r[0].endswith(choice.text))
    lines = [r for r in table if r[0] == label]
    assert lines[0][2:7] == [expected["respondents"][key] for key in SPLIT]
    for option, line in zip(expected["options"], lines[1:], strict=True):
        assert line[1] == option["text"]
        assert line[2:7] == [option["counts"][key] for key in SPLIT]
        assert line[7] == option["percent"]
    scale = questions["scale"]
    scale.refresh_from_db()
    scale_result = question_results(question=scale)
    scale_lines = {r[1]: r for r in table if r[0] and r[0].endswith(scale.text)}
    assert scale_lines["gemiddelde"][6] == scale_result["mean"]
    assert scale_lines["mediaan"][6] == scale_result["median"]


def test_every_question_sheet_has_a_native_chart_of_its_table(workbook):
    book, _session, questions = workbook
    ordered = sorted(questions.values(), key=lambda q: (q.position, q.pk))
    for number, question in enumerate(ordered, start=1):
        sheet = book[f"V{number}"]
        charts = sheet._charts
        if question.kind == "open_text":
            assert charts == []
            continue
        [chart] = charts
        assert isinstance(chart, BarChart) and chart.grouping == "stacked"
        assert len(chart.series) == 4  # room, remote, paper, hands
        assert f"'V{number}'!$B$" in chart.series[0].val.numRef.f
    # The choice chart reads the same numbers as the results.
    choice_number = ordered.index(questions["choice"]) + 1
    table = rows(book[f"V{choice_number}"])
    head = next(i for i, r in enumerate(table) if r[0] == "optie of waarde")
    questions["choice"].refresh_from_db()
    expected = question_results(question=questions["choice"])
    assert [r[1:6] for r in table[head + 1 : head + 1 + len(expected["options"])]] == [
        [o["counts"][key] for key in SPLIT] for o in expected["options"]
    ]


def test_formula_text_stays_text_and_times_are_local(workbook):
    book, _session, _questions = workbook
    cells = [c for row in book["Antwoorden"].iter_rows() for c in row]
    formula = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert formula and all(c.data_type == "s" and c.quotePrefix for c in formula)
    open_text = [c.value for row in book["Open antwoord"].iter_rows() for c in row]
    assert FORMULA in open_text
    times = [c.value for c in cells if isinstance(c.value, datetime.datetime)]
    assert times and all(t.tzinfo is None for t in times)
    header = rows(book["Antwoorden"])[0]
    assert "Europe/Amsterdam" in header[8]
    assert all(c.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)


def test_the_log_and_integrity_sheets_hold_the_chain(workbook):
    book, session, _questions = workbook
    session.process.refresh_from_db()
    log = rows(book["Logboek"])
    assert len(log) - 1 == session.process.log_seq
    assert log[-1][6] == session.process.log_head
    integrity = {r[0]: r[1] for r in rows(book["Integriteit"]) if r and len(r) > 1}
    assert session.process.log_head in integrity.values()


def test_a_workbook_needs_a_file(town_hall):  # noqa: F811
    session, _questions = town_hall
    with pytest.raises(CommandError, match="-o"):
        call_command("export_results", session.process.slug, "--format", "xlsx")


def test_csv_files_have_a_bom_and_keep_formulas_inert(town_hall, tmp_path):  # noqa: F811
    import csv
    import io
    import zipfile

    from sessions_app.services.followups import follow_up_record
    from sessions_app.services.processes import process_publish

    session, questions = town_hall
    approved_formula(session, questions)
    organiser = session.process.staff_roles.first().user
    process_publish(user=organiser, process=session.process)
    follow_up_record(  # so that every table has a row to compare with the open data
        user=organiser,
        process=session.process,
        question_id=questions["choice"].pk,
        outcome="adopted",
        reasoning="=SUM(A1) als tekst",
        decided_on=datetime.date(2026, 11, 20),
    )
    path = tmp_path / "tabellen.zip"
    call_command("export_results", session.process.slug, "--format", "csv", "-o", str(path))
    slug = session.process.slug
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
        raw = {name: archive.read(name) for name in names}
    assert names == [
        f"{slug}/{n}"
        for n in ("follow_ups.csv", "hand_counts.csv", "log.csv", "responses.csv", "results.csv")
    ]
    assert all(content.startswith(b"\xef\xbb\xbf") for content in raw.values())
    responses = list(csv.DictReader(io.StringIO(raw[f"{slug}/responses.csv"].decode("utf-8-sig"))))
    texts = [r["text"] for r in responses if r["text"]]
    assert "'" + FORMULA in texts
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    results = list(csv.reader(io.StringIO(raw[f"{slug}/results.csv"].decode("utf-8-sig"))))
    choice = questions["choice"]
    choice.refresh_from_db()
    expected = question_results(question=choice)
    first = next(
        r for r in results if r[0] == str(choice.pk) and r[2] == str(expected["options"][0]["id"])
    )
    assert [int(n) for n in first[4:9]] == [expected["options"][0]["counts"][k] for k in SPLIT]
    log = list(csv.reader(io.StringIO(raw[f"{slug}/log.csv"].decode("utf-8-sig"))))
    session.process.refresh_from_db()
    assert len(log) - 1 == session.process.log_seq and log[-1][6] == session.process.log_head
    # The same fields as the open data, in its order (lists as JSON text).
    from sessions_app.exports import data

    process = session.process
    for name, rows in (
        ("responses.csv", data.responses(process)),
        ("hand_counts.csv", data.hand_counts(process)),
        ("follow_ups.csv", data.follow_ups_part(process)),
        ("log.csv", data.log_entries(process)),
    ):
        header = next(csv.reader(io.StringIO(raw[f"{slug}/{name}"].decode("utf-8-sig"))))
        [first, *_rest] = rows
        assert header == list(first), name
    assert {r["items"][:1] for r in responses} <= {"[", ""} and "[]" in {
        r["items"] for r in responses
    }


def test_the_pdf_report_holds_the_numbers_the_follow_up_and_the_chain_head(town_hall, tmp_path):  # noqa: F811
    import pypdfium2 as pdfium

    from sessions_app.services.followups import follow_up_record
    from sessions_app.services.processes import process_publish

    session, questions = town_hall
    process = session.process
    process_publish(user=process.staff_roles.first().user, process=process)
    follow_up_record(
        user=process.staff_roles.first().user,
        process=process,
        question_id=questions["choice"].pk,
        outcome="adopted",
        reasoning="Het college neemt <b>de keuze</b> over.",
        decided_on=datetime.date(2026, 11, 20),
    )
    path = tmp_path / "verslag.pdf"
    call_command("export_results", process.slug, "--format", "pdf", "-o", str(path))
    document = pdfium.PdfDocument(str(path))
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    assert "Verslag voor de raad" in text and process.title in text
    choice = questions["choice"]
    choice.refresh_from_db()
    expected = question_results(question=choice)
    first = expected["options"][0]
    # The option's row: its split by source and total, as the result function has them,
    # written as Dutch writes numbers (a decimal comma).
    row = " ".join(str(first["counts"][k]) for k in SPLIT)
    share = str(first["percent"]).replace(".", ",").removesuffix(",0")
    assert f"{first['text']} {row} {share}" in text.replace("\r\n", "\n").replace("\n", " ")
    assert "Het college neemt <b>de keuze</b> over." in text.replace("\r\n", " ").replace("\n", " ")
    process.refresh_from_db()
    assert process.log_head in text.replace("\r\n", "").replace("\n", "")
    # The hidden answer with markup is not among the highlights; the approved one is.
    assert "Meer bankjes in de schaduw" in text and "HYPERLINK" not in text


def test_libreoffice_opens_the_workbook_and_reads_the_same_numbers(workbook, tmp_path):
    """LibreOffice (headless) loads the file and saves it again; the re-saved results
    match ours. A file it cannot load gives no output at all."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("needs LibreOffice (soffice); ./bin/test and .ci/run install it")
    book, _session, _questions = workbook
    source = tmp_path / "raad.xlsx"
    assert source.exists()
    out = tmp_path / "out"
    done = subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert "Error" not in done.stderr, done.stderr
    again = load_workbook(out / "raad.xlsx")
    assert again.sheetnames == book.sheetnames
    ours, theirs = rows(book["Uitkomsten"]), rows(again["Uitkomsten"])
    assert [r[:8] for r in theirs[: len(ours)]] == [r[:8] for r in ours]


def test_an_empty_table_still_carries_its_filter_on_the_heading(
    live_session, make_question, tmp_path
):
    """A process without answers, follow-ups or paper: every table of the workbook still
    gets its auto-filter, on its heading row alone."""
    from openpyxl.utils import get_column_letter

    make_question("open_text")
    path = tmp_path / "leeg.xlsx"
    call_command("export_results", live_session.process.slug, "--format", "xlsx", "-o", str(path))
    book = load_workbook(path)
    for name in ("Antwoorden", "Open antwoord", "Terugkoppeling"):
        ws = book[name]
        assert ws.max_row == 1, name  # the heading only
        end = get_column_letter(ws.max_column)
        assert ws.auto_filter.ref == f"A1:{end}1", name
    for name in ("Uitkomsten", "Papier", "Logboek"):
        assert book[name].auto_filter.ref.startswith("A1:"), name
    assert book["V1"].auto_filter.ref.startswith("A3:")
    assert book["Integriteit"].auto_filter.ref is None


def test_results_are_final_once_the_session_has_ended_and_paper_is_in(
    workbook, organiser, tmp_path
):
    """Final as the report and the public page have it: the session has ended and its
    paper forms are in. While it runs the workbook says provisional, paper or not."""
    from sessions_app.services.reconciliation import paper_close

    book, session, _questions = workbook

    def states(found):
        return (
            rows(found["V1"])[1][0],
            {r[8] for r in rows(found["Uitkomsten"]) if r[1] == "deelnemers"},
        )

    def exported(name):
        path = tmp_path / name
        call_command("export_results", session.process.slug, "--format", "xlsx", "-o", str(path))
        return load_workbook(path)

    assert states(book) == ("voorlopig: de bijeenkomst is nog niet afgelopen", {"voorlopig"})
    facilitation.session_end(user=organiser, session=session)
    paper = "voorlopig: er kunnen nog papieren formulieren worden ingevoerd"
    assert states(exported("ended.xlsx")) == (paper, {"voorlopig"})
    session.refresh_from_db()
    paper_close(user=organiser, session=session, reopen=False)
    assert states(exported("closed.xlsx")) == ("definitief", {"definitief"})


def test_numbers_are_numbers_and_decimals_are_dutch(workbook):
    """A scale's values are numbers in their cells (Excel flags numbers stored as text),
    a scale answer too; a decimal in a note is written as the process's language writes
    it (1,67 in Dutch, not 1.67); a choice names its option without "= 1"."""
    book, _session, questions = workbook
    table = rows(book["Uitkomsten"])
    scale = questions["scale"]
    values = [r[1] for r in table if r[0] and r[0].endswith(scale.text)][1:6]
    assert values == [1, 2, 3, 4, 5]
    ranking = questions["ranking"]
    notes = [r[8] for r in table if r[0] and r[0].endswith(ranking.text)]
    places = [n for n in notes if n and "gemiddelde plaats" in n]
    assert any(re.search(r"gemiddelde plaats \d+,\d", n) for n in places)
    assert not any(re.search(r"gemiddelde plaats \d+\.\d", n) for n in places)
    answers = [r[4] for r in rows(book["Antwoorden"])[1:]]
    assert any(isinstance(v, int) for v in answers)  # the scale's answers
    assert not any(isinstance(v, str) and v.isdigit() for v in answers)
    chosen = set(questions["choice"].options.values_list("text", flat=True))
    assert chosen & set(answers)  # an option by its name
    assert not {f"{text} = 1" for text in chosen} & set(answers)
