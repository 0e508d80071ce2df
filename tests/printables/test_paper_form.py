"""The printed form, checked by its content: text, QR codes read back from the rendered
page, boxes where the layout data says, and detectable corner markers."""

import io

import cv2
import numpy as np
import pdfplumber
import pypdfium2
import pytest
import zxingcpp
from django.core.management import call_command

from printables.layout import PAGE_H
from sessions_app.models import PaperSheet
from sessions_app.services import paper
from sessions_app.services.printing import render_batch

pytestmark = pytest.mark.django_db
BASE = "https://inspraak.example.nl"
MM = 72 / 25.4


@pytest.fixture
def pdf_of(printed, organiser):
    def make(count=2, *, large=False, cards=False):
        sheets = printed(count, large=large, cards=cards)
        batch = render_batch(sheets[0].batch_id, BASE)
        assert batch.state == "done", batch.error
        from sessions_app.services.printing import batch_path

        return sheets, batch_path(batch).read_bytes()

    return make


def page_images(pdf: bytes, scale: float = 3.0):
    document = pypdfium2.PdfDocument(pdf)
    try:
        for page in document:
            yield np.array(page.render(scale=scale, grayscale=True).to_pil())
    finally:
        document.close()


def test_the_pdf_has_every_question_and_the_instructions(pdf_of, paper_session):
    _session, questions = paper_session
    sheets, pdf = pdf_of(1)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = "\n".join(page.extract_text() for page in document.pages)
    for question in questions.values():
        assert question.text in text
    assert "Zet een kruisje in het hokje van uw keuze" in text  # the process speaks Dutch
    assert f"{sheets[0].code[:4]}-{sheets[0].code[4:]}" in text


def test_each_page_qr_opens_its_sheet_and_verifies(pdf_of):
    sheets, pdf = pdf_of(2)
    layout = sheets[0].session.layouts.get(version=sheets[0].layout_version).data
    pages_per_sheet = len(layout["pages"])
    found = []
    dossier = f"{BASE}/p/{sheets[0].session.process.slug}/#dossier"
    for index, image in enumerate(page_images(pdf, scale=2.0)):
        texts = [result.text for result in zxingcpp.read_barcodes(image)]
        # The first page also has the small QR code to the process's dossier.
        assert (dossier in texts) == (index % pages_per_sheet == 0)
        [own] = [text for text in texts if text != dossier]
        found.append(own)
    assert len(found) == 2 * pages_per_sheet
    for index, url in enumerate(found):
        sheet = sheets[index // pages_per_sheet]
        path, query = url.split("?p=")
        page, version = query.split("&v=")
        assert path.startswith(f"{BASE}/t/") and int(page) == index % pages_per_sheet + 1
        assert version == layout["version"]
        token = path.removeprefix(f"{BASE}/t/").rstrip("/")
        assert paper.sheet_from_token(token) == sheet


def test_boxes_are_drawn_where_the_layout_says(pdf_of):
    sheets, pdf = pdf_of(1)
    layout = sheets[0].session.layouts.get(version=sheets[0].layout_version).data
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page_data, page in zip(layout["pages"], document.pages, strict=True):
            rects = [
                (r["x0"], r["top"], r["x1"] - r["x0"], r["bottom"] - r["top"]) for r in page.rects
            ]
            for box in page_data["boxes"]:
                x, y, w, h = box["x"] * MM, box["y"] * MM, box["w"] * MM, box["h"] * MM
                assert any(
                    abs(rx - x) < 0.5
                    and abs(ry - y) < 0.5
                    and abs(rw - w) < 0.5
                    and abs(rh - h) < 0.5
                    for rx, ry, rw, rh in rects
                ), f"no rectangle drawn for {box}"
    # choices 3 + 3, scale 5, ranking 3 x 3, budget 3 options x 3 digits, statements 2 x 3
    assert sum(len(p["boxes"]) for p in layout["pages"]) == 3 + 3 + 5 + 9 + 9 + 6


def test_the_four_corner_markers_are_found_with_their_ids(pdf_of):
    sheets, pdf = pdf_of(1, large=True)
    detector = cv2.aruco.ArucoDetector(
        cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50), cv2.aruco.DetectorParameters()
    )
    layout = sheets[0].session.layouts.get(version=sheets[0].layout_version).data
    assert layout["large_print"] is True and layout["box_size"] == 7.0
    for image in page_images(pdf, scale=2.0):
        corners, ids, _rejected = detector.detectMarkers(image)
        assert sorted(ids.flatten().tolist()) == [0, 1, 2, 3]
        height, width = image.shape
        for marker_corners, marker_id in zip(corners, ids.flatten(), strict=True):
            cx, cy = marker_corners[0].mean(axis=0)
            expected = {m["id"]: m for m in layout["markers"]}[marker_id]
            assert abs(cx / width * 210 - (expected["x"] + expected["size"] / 2)) < 1.5
            assert abs(cy / height * PAGE_H - (expected["y"] + expected["size"] / 2)) < 1.5


def test_every_page_carries_its_sheets_serial_number(pdf_of):
    """The number the teller's screens call a form by ("Form 2 is counted") is printed
    in every page's footer, beside the page number."""
    sheets, pdf = pdf_of(2)
    layout = sheets[0].session.layouts.get(version=sheets[0].layout_version).data
    pages_per_sheet = len(layout["pages"])
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for index, sheet in enumerate(sheets):
            for page in range(pages_per_sheet):
                text = document.pages[index * pages_per_sheet + page].extract_text()
                assert f"formulier {sheet.serial} pagina {page + 1} van" in text


def test_cards_are_printed_on_their_sheets(pdf_of):
    sheets, pdf = pdf_of(2, cards=True)
    layout = sheets[0].session.layouts.get(version=sheets[0].layout_version).data
    pages_per_sheet = len(layout["pages"])
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for index, sheet in enumerate(sheets):
            first = document.pages[index * pages_per_sheet].extract_text()
            code = sheet.card.code
            assert f"kaart {code}" in first and f"{code[:4]}-{code[4:]}" in first
    # Page one carries a second QR code: the card's, which joins a phone with it.
    images = list(page_images(pdf, scale=2.0))
    for index, sheet in enumerate(sheets):
        texts = {r.text for r in zxingcpp.read_barcodes(images[index * pages_per_sheet])}
        join = f"{BASE}/j/{sheet.session.join_code}/?card={sheet.card.code}"
        assert join in texts and len(texts) == 3  # and the sheet's, and the dossier's
        later = {r.text for r in zxingcpp.read_barcodes(images[index * pages_per_sheet + 1])}
        assert join not in later


def test_print_forms_command(paper_session, tmp_path, capsys):
    session, _questions = paper_session
    output = tmp_path / "forms.pdf"
    call_command(
        "print_forms",
        session.join_code,
        "--count",
        "3",
        "--large",
        "-o",
        str(output),
        "--base-url",
        BASE,
    )
    assert "3 sheets" in capsys.readouterr().out
    layout_pages = len(session.layouts.get().data["pages"])
    with pdfplumber.open(output) as document:
        assert len(document.pages) == 3 * layout_pages
    assert PaperSheet.objects.filter(session=session, large_print=True).count() == 3


def test_the_last_page_has_a_receipt_strip_clear_of_the_markers(pdf_of):
    from printables.layout import BOTTOM, markers
    from printables.paper_form import STRIP
    from sessions_app.identifiers import sheet_receipt

    sheets, pdf = pdf_of(1)
    receipt = sheet_receipt(sheets[0].code)
    shown = "-".join(receipt[i : i + 4] for i in range(0, 16, 4))
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        texts = [page.extract_text() for page in document.pages]
    assert shown in texts[-1] and f"{BASE}/p/{sheets[0].session.process.slug}/check/" in texts[-1]
    assert all(shown not in text for text in texts[:-1])
    # Torn off, it takes nothing the reader needs: below the questions, between the
    # bottom corner markers.
    assert STRIP["y"] >= BOTTOM
    bottom = [m for m in markers() if m["corner"].startswith("bottom")]
    left = max(m["x"] + m["size"] for m in bottom if m["corner"] == "bottom_left")
    right = min(m["x"] for m in bottom if m["corner"] == "bottom_right")
    assert left < STRIP["x"] and STRIP["x"] + STRIP["w"] < right
