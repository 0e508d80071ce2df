"""The rows the workbook writes itself (``exports.xlsx.RowWriter``): read back with
openpyxl, every kind of value arrives as it went in, text is never a formula and the part
stays well-formed XML whatever the text."""

import datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference

from sessions_app.exports.xlsx import RowWriter


def written(tmp_path, *rows, bold_first=False, wrap=False):
    book = Workbook(write_only=True)
    ws = book.create_sheet("Blad")
    ws.column_dimensions["A"].width = 40
    writer = RowWriter(ws)
    for number, row in enumerate(rows):
        writer.append(row, bold=bold_first and number == 0, wrap=wrap)
    path = tmp_path / "rows.xlsx"
    book.save(path)
    return load_workbook(path)["Blad"]


def test_values_come_back_as_they_went_in(tmp_path):
    when = datetime.datetime(2026, 11, 28, 19, 30)
    sheet = written(
        tmp_path,
        ("tekst", 7, 2.5, Decimal("1.25"), True, when, datetime.date(2026, 12, 1)),
    )
    cells = next(sheet.iter_rows())
    assert [c.value for c in cells] == [
        "tekst",
        7,
        2.5,
        1.25,
        True,
        when,
        when.replace(year=2026, month=12, day=1, hour=0, minute=0),
    ]
    assert cells[5].number_format == "dd-mm-yyyy hh:mm"
    assert cells[6].number_format == "dd-mm-yyyy"
    assert sheet.column_dimensions["A"].width == 40


def test_empty_and_impossible_values_leave_no_cell(tmp_path):
    sheet = written(tmp_path, (None, "", float("nan"), float("inf"), "x"))
    assert [c.value for c in next(sheet.iter_rows())] == [None, None, None, None, "x"]


def test_formula_like_text_is_text_with_the_quote_prefix(tmp_path):
    texts = ('=HYPERLINK("http://x.test","klik")', "+31 6 1234", "-5", "@SUM(A1)", "=1+1")
    sheet = written(tmp_path, texts)
    cells = next(sheet.iter_rows())
    assert [c.value for c in cells] == list(texts)
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_markup_spaces_returns_and_control_characters_survive_or_are_replaced(tmp_path):
    texts = ("<script>alert(1)</script> & co", "  ruimte  ", "regel\r\nregel", "a\x01b\x1fc\ufffe")
    sheet = written(tmp_path, texts)
    assert [c.value for c in next(sheet.iter_rows())] == [
        "<script>alert(1)</script> & co",
        "  ruimte  ",
        "regel\r\nregel",
        "a\ufffdb\ufffdc\ufffd",
    ]


def test_bold_and_wrapped_rows_are_styled(tmp_path):
    sheet = written(tmp_path, ("kop", "=kop"), ("waarde", 1), bold_first=True, wrap=True)
    head, body = list(sheet.iter_rows())
    assert head[0].font.b and head[1].font.b and head[1].quotePrefix
    assert not body[0].font.b
    assert head[0].alignment.wrap_text and body[1].alignment.wrap_text


def test_rows_are_numbered_and_a_chart_can_refer_to_them(tmp_path):
    book = Workbook(write_only=True)
    ws = book.create_sheet("Blad")
    writer = RowWriter(ws)
    assert writer.append(("optie", "aantal")) == 1
    assert writer.append(("ja", 3)) == 2
    assert writer.append(("nee", 5)) == 3
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=3))
    ws.add_chart(chart, "D2")
    path = tmp_path / "chart.xlsx"
    book.save(path)
    again = load_workbook(path)["Blad"]
    assert [[c.value for c in row] for row in again.iter_rows()] == [
        ["optie", "aantal"],
        ["ja", 3],
        ["nee", 5],
    ]
    assert len(again._charts) == 1


def test_aware_times_and_unknown_values_are_refused(tmp_path):
    book = Workbook(write_only=True)
    writer = RowWriter(book.create_sheet("Blad"))
    with pytest.raises(TypeError, match="time zones"):
        writer.append((datetime.datetime.now(datetime.UTC),))
    with pytest.raises(TypeError, match="no cell for a list"):
        writer.append(([1, 2],))


def test_a_sheet_being_written_is_not_taken_over(tmp_path):
    book = Workbook(write_only=True)
    ws = book.create_sheet("Blad")
    RowWriter(ws).append(["al begonnen"])
    with pytest.raises(ValueError, match="another way"):
        RowWriter(ws)
    book.save(tmp_path / "once.xlsx")
    assert load_workbook(tmp_path / "once.xlsx")["Blad"]["A1"].value == "al begonnen"
