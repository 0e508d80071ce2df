"""Issue 18, items 11 and 14: a question is never split over pages, large print is 14 pt
body with larger boxes, the evening's form packs onto two pages, and the handout slips'
heading stays inside its slip. Checked on the layout data and on the PDF read back."""

import io

import pdfplumber
import pytest
from django.utils import translation
from reportlab.pdfbase.pdfmetrics import stringWidth

from printables import fonts, paper_form, slips
from printables.layout import BOTTOM, TOP, build, question_numbers
from printables.strings import form_strings, poster_strings
from tests.printables.demo_form import demo_form, demo_questions

PRIVACY = "Privacyverklaring: https://inspraak.example.nl/privacy/"
MM = 72 / 25.4


def pdf_of(layout: dict) -> bytes:
    with translation.override("nl"):
        strings = form_strings()
    sheet = paper_form.SheetRow(
        "K7QM3XPA",
        "https://inspraak.example.nl/t/abc",
        receipt="ABCDEFGHJKLMNPQR",
        check_url="https://inspraak.example.nl/p/x/check/",
    )
    return paper_form.render(layout, [sheet], strings, title="t")


def heading_pages(layout: dict) -> dict[int, int]:
    return {row["id"]: row["page"] for row in layout["questions"]}


def whole_on_their_pages(layout: dict) -> None:
    """Every question's boxes and writing areas are on the page of its heading, and the
    heading is printed there."""
    pages = heading_pages(layout)
    numbers = question_numbers(layout)
    for page in layout["pages"]:
        for item in page["boxes"] + page["areas"]:
            assert pages[item["question"]] == page["number"], (item, pages)
    for question, number in numbers.items():
        page = layout["pages"][pages[question] - 1]
        assert any(t["text"].startswith(f"{number}. ") and t["bold"] for t in page["texts"])


@pytest.mark.parametrize("large_print", [False, True])
@pytest.mark.parametrize("statements", [7, 8])
@pytest.mark.parametrize("cards", [False, True])
def test_no_question_is_split_over_two_pages(large_print, statements, cards):
    layout = build(
        demo_form(statements, privacy=PRIVACY), large_print=large_print, with_cards=cards
    )
    whole_on_their_pages(layout)
    assert [row["number"] for row in layout["questions"]] == list(range(1, 8))


def test_the_evenings_form_with_seven_statements_needs_two_pages_not_three():
    layout = build(demo_form(7, privacy=PRIVACY), large_print=False)
    assert len(layout["pages"]) == 2
    with pdfplumber.open(io.BytesIO(pdf_of(layout))) as document:
        assert len(document.pages) == 2
        first, second = (page.extract_text() for page in document.pages)
    assert "1. Wat moet de belangrijkste functie" in first and "4. Zet deze doelen" in first
    assert "5. Verdeel 100 punten" in second and "7. Stellingen over het Stationsplein" in second
    assert "Kinderen moeten veilig kunnen spelen" in second  # the seventh statement
    assert "Een eigen stelling" in second and "pagina 2 van 2" in second


def test_large_print_is_14_pt_body_with_larger_boxes():
    normal = build(demo_form(7, privacy=PRIVACY), large_print=False)
    large = build(demo_form(7, privacy=PRIVACY), large_print=True, with_cards=True)
    sizes = [t["size"] for page in large["pages"] for t in page["texts"]]
    assert min(sizes) >= 14
    assert large["box_size"] / normal["box_size"] == pytest.approx(1.4)
    boxes = [b for page in large["pages"] for b in page["boxes"]]
    assert min(b["w"] for b in boxes) >= 7
    # In the PDF too: every character of the questions is at least 14 pt.
    with pdfplumber.open(io.BytesIO(pdf_of(large))) as document:
        for page in document.pages:
            body = [c for c in page.chars if TOP * MM <= c["top"] <= BOTTOM * MM]
            assert body and min(round(c["size"], 1) for c in body) >= 14, page.page_number
    # Normal print keeps its smaller body; large print's footer is larger too.
    assert max(t["size"] for p in normal["pages"] for t in p["texts"] if not t["bold"]) == 10


def test_a_question_longer_than_a_page_starts_on_a_new_page_and_breaks_between_rows():
    questions = demo_questions(7)
    questions[6]["statements"] = [
        {"id": 800 + n, "text": f"Stelling {n} over het plein en de bomen."} for n in range(45)
    ]
    form = demo_form()
    form["questions"] = questions
    layout = build(form, large_print=False)
    pages = heading_pages(layout)
    start = layout["pages"][pages[7] - 1]
    heading = next(t for t in start["texts"] if t["text"].startswith("7. "))
    assert heading["y"] < TOP + 10  # at the top of its own page
    spans = {p["number"] for p in layout["pages"] if any(b["question"] == 7 for b in p["boxes"])}
    assert len(spans) == 2
    # Every other question is whole; the grid's header repeats where it continues.
    for page in layout["pages"]:
        for box in page["boxes"] + page["areas"]:
            if box["question"] != 7:
                assert pages[box["question"]] == page["number"]
    continued = layout["pages"][max(spans) - 1]
    assert {"eens", "oneens", "sla over"} <= {t["text"] for t in continued["texts"]}


def test_older_layouts_are_numbered_by_where_their_questions_sit():
    layout = build(demo_form(7), large_print=False)
    stored_before = {k: v for k, v in layout.items() if k != "questions"}
    assert question_numbers(stored_before) == question_numbers(layout)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_slip_heading_stays_inside_its_slip(language):
    with translation.override(language):
        strings = poster_strings()
    for heading in (strings["join"], "Doe mee met uw telefoon of tablet, thuis of hier in de zaal"):
        size, lines = slips.fit_heading(heading)
        assert " ".join(lines) == heading
        assert all(stringWidth(line, fonts.BOLD, size) <= slips.text_width() for line in lines)
    pdf = slips.render_slips(
        url="https://inspraak.example.nl/j/ACEF34/",
        start_url="https://inspraak.example.nl/start/",
        code="ACEF34",
        title="Avond",
        strings={**strings, "join": "Doe mee met uw telefoon of tablet, thuis of hier in de zaal"},
    )
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        bold = [c for c in page.chars if "Bold" in c["fontname"] and "Courier" not in c["fontname"]]
        assert bold
        for char in bold:
            column_right = slips.SLIP_W * (1 + (char["x0"] >= slips.SLIP_W))
            assert char["x1"] <= column_right - 3 * MM, char["text"]
