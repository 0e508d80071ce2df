"""Printed ways into the dossier (issue 22, second part): a small QR code to the public
page's dossier on the paper form (clear of everything the photo reader reads) and on the
join poster, and "follow this plan" slips with a QR code to the page's follow form."""

import io

import numpy as np
import pdfplumber
import pypdfium2
import pytest
import zxingcpp
from django.core.management import call_command
from django.urls import reverse

from printables.follow import PER_PAGE, render_follow_slips
from printables.layout import MARKER_MARGIN, MARKER_SIZE, build, frame
from printables.qr import printed_url
from printables.strings import follow_strings, form_strings
from sessions_app.reading.marks import _bands
from sessions_app.selectors import form_rows
from sessions_app.services.printing import batch_path, render_batch

pytestmark = pytest.mark.django_db
BASE = "https://inspraak.example.nl"


def codes(pdf: bytes) -> list[list[str]]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [
            [r.text for r in zxingcpp.read_barcodes(np.array(page.render(scale=2.0).to_pil()))]
            for page in document
        ]
    finally:
        document.close()


def test_printed_url_is_the_address_as_typed():
    assert printed_url("https://www.example.nl/p/plein/#dossier") == "example.nl/p/plein"
    assert printed_url("http://testserver/p/plein/") == "testserver/p/plein"


@pytest.mark.parametrize("large_print", [False, True])
@pytest.mark.parametrize("cards", [False, True])
@pytest.mark.parametrize("title_words", [2, 40])
def test_the_forms_dossier_block_keeps_clear_of_what_the_reader_reads(
    paper_session, large_print, cards, title_words
):
    session, _questions = paper_session
    rows = form_rows(session=session)
    rows["process"] = " ".join(["Herinrichting"] * title_words)
    form = {**rows, "strings": form_strings(), "dossier": True}
    layout = build(form, large_print=large_print, with_cards=cards)
    block = layout["dossier"]
    assert block["page"] == 1
    text = block["text"]
    right = text["x"] + text["width"]
    top = block["y"]
    bottom = max(top + block["size"], text["y"] + (text["lines"] - 1) * text["step"] + 1.5)
    # Beside the top left marker's column, left of the sheet's QR code and the reader's
    # crop around it (4 mm), below the title.
    assert block["x"] >= MARKER_MARGIN + MARKER_SIZE + 3
    assert right <= frame()["qr"]["x"] - 4
    first = layout["pages"][0]
    title_lines = [t for t in first["texts"] if t["y"] < top]
    assert title_lines and all(t["y"] <= top for t in title_lines)
    # Above everything else on the page: instructions, card, boxes, areas, and every
    # question's band where stray ink is looked for.
    assert all(t["y"] - t["size"] * 0.35 > bottom for t in first["texts"] if t["y"] > top)
    for item in first["boxes"] + first["areas"]:
        assert item["y"] > bottom
    for _question, band_top, _band_bottom in _bands(first):
        assert band_top > bottom
    if cards:
        assert layout["card"]["y"] > bottom
    # Layouts without it (older ones, a form built without ``dossier``) are unchanged.
    assert "dossier" not in build({**form, "dossier": False}, large_print=large_print)


def test_the_printed_form_opens_the_dossier_and_still_reads(printed, paper_session):
    session, _questions = paper_session
    sheets = printed(1)
    batch = render_batch(sheets[0].batch_id, BASE)
    pdf = batch_path(batch).read_bytes()
    dossier = f"{BASE}/p/{session.process.slug}/#dossier"
    pages = codes(pdf)
    assert dossier in pages[0] and all(dossier not in page for page in pages[1:])
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        first = document.pages[0].extract_text()
    assert f"inspraak.example.nl/p/{session.process.slug}" in first

    # The photo reader finds the form and reads the sheet's own code on every page.
    import cv2

    from sessions_app.reading.page import find_page

    layout = session.layouts.get(version=sheets[0].layout_version).data
    document = pypdfium2.PdfDocument(pdf)
    try:
        for number, page in enumerate(document, start=1):
            gray = cv2.cvtColor(
                np.array(page.render(scale=300 / 72).to_pil().convert("RGB")), cv2.COLOR_RGB2GRAY
            )
            found = find_page(gray, layout)
            assert f"?p={number}&" in found.qr_text and "#dossier" not in found.qr_text
    finally:
        document.close()


def test_follow_slips_open_the_follow_form(client, organiser, live_session, make_user):
    process = live_session.process
    url = reverse("designer:follow_slips", args=[process.slug])
    assert client.get(url).status_code == 302  # staff only
    client.force_login(make_user("someone"))
    assert client.get(url).status_code == 404  # no role on this process
    client.force_login(organiser)
    response = client.get(url, {"count": "9"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    follow = f"http://testserver/p/{process.slug}/#follow"
    pages = codes(response.content)
    assert len(pages) == 2 and pages[0] == [follow] * PER_PAGE
    with pdfplumber.open(io.BytesIO(response.content)) as document:
        text = document.pages[0].extract_text()
    assert process.title in text.replace("\n", " ")
    assert "testserver/p/" in text and process.slug.split("-")[-1] in text
    assert text.count("testserver/p/") == PER_PAGE
    # Listed where the printables are: the paper page and the dossier page.
    paper = client.get(reverse("paper:page", args=[process.slug, live_session.pk]))
    assert url in paper.content.decode()
    assert url in client.get(reverse("designer:dossier", args=[process.slug])).content.decode()


def test_a_long_title_and_sentence_stay_on_the_slip():
    title = "Herinrichting van het Stationsplein en de omliggende straten " * 3
    pdf = render_follow_slips(
        url="https://inspraak.zuiderhaven.nl/p/herinrichting-stationsplein-en-omgeving/#follow",
        title=title,
        strings=follow_strings(),
        count=1,
    )
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        assert len(document.pages) == 1
        for word in page.extract_words():
            slip = 0 if word["x0"] < page.width / 2 else 1
            assert word["x1"] <= (slip + 1) * page.width / 2
        text = page.extract_text()
    assert "herinrichting-stationsplein-en-omgeving" in text.replace("\n", "")
    assert "any time" in text or "altijd" in text


def test_print_forms_makes_follow_slips(live_session, tmp_path, capsys):
    output = tmp_path / "follow.pdf"
    call_command(
        "print_forms",
        live_session.join_code,
        "--count",
        "20",
        "--follow-slips",
        "-o",
        str(output),
        "--base-url",
        BASE,
    )
    follow = f"{BASE}/p/{live_session.process.slug}/#follow"
    assert follow in capsys.readouterr().out
    pages = codes(output.read_bytes())
    assert len(pages) == 3 and all(page == [follow] * PER_PAGE for page in pages)
    assert not live_session.sheets.exists()  # no forms were issued
