"""Files built to exhaust the reader are refused from their headers, with a named code,
before anything is decoded in the server: too many pixels, too many pages, a TIFF past
Pillow's bomb limit, a design file nested too deep."""

import io
import json
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from reportlab.pdfgen import canvas

from sessions_app.exceptions import DesignError, InputRejected
from sessions_app.models import FormScan
from sessions_app.reading import page
from sessions_app.services import design_io, reading

pytestmark = pytest.mark.django_db


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels in a few bytes (a blank picture of
    that size compresses to almost nothing; only its header matters here)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def blank_pdf(pages: int, size_mm: float = 210) -> bytes:
    buffer = io.BytesIO()
    points = size_mm * 72 / 25.4
    drawing = canvas.Canvas(buffer, pagesize=(points, points))
    for _ in range(pages):
        drawing.showPage()
    drawing.save()
    return buffer.getvalue()


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail if anything decodes a picture in this (the server's) process."""

    def refuse(*args, **kwargs):
        raise AssertionError("decoded in the server")

    monkeypatch.setattr(page.cv2, "imdecode", refuse)


def test_a_picture_with_too_many_pixels_is_refused_from_its_header(
    paper_session, teller, no_decoding
):
    session, _q = paper_session
    bomb = png_header_only(20_000, 20_000)
    assert len(bomb) < 1000
    with pytest.raises(InputRejected) as refused:
        reading.scan_add(user=teller, session=session, data=bomb, origin=FormScan.Origin.PHOTO)
    assert refused.value.code == "image_too_large"
    assert not FormScan.objects.exists()


def test_a_tiff_past_pillows_bomb_limit_gets_a_named_refusal(paper_session, teller):
    session, _q = paper_session
    buffer = io.BytesIO()
    Image.new("1", (15_000, 15_000), 1).save(buffer, format="TIFF", compression="group4")
    with pytest.raises(InputRejected) as refused:
        reading.scan_add(
            user=teller, session=session, data=buffer.getvalue(), origin=FormScan.Origin.UPLOAD
        )
    assert refused.value.code == "image_too_large"


def test_a_photo_may_have_a_handful_of_pages_and_a_scan_a_stack(paper_session, teller):
    session, _q = paper_session
    many = blank_pdf(500)
    assert len(many) < 300_000
    with pytest.raises(InputRejected) as refused:
        reading.scan_add(user=teller, session=session, data=many, origin=FormScan.Origin.PHOTO)
    assert refused.value.code == "too_many_pages"
    scan = reading.scan_add(user=teller, session=session, data=many, origin=FormScan.Origin.UPLOAD)
    assert scan.pages == 500


def test_the_worker_decodes_one_page_at_a_time(monkeypatch):
    """Twelve large pages: never more than one page's picture alive at once."""
    from sessions_app.reading import work

    alive, most = [0], [0]
    real = page._pdf_pages

    def counted(document):
        for image in real(document):
            alive[0] += 1
            most[0] = max(most[0], alive[0])
            yield image
            alive[0] -= 1

    monkeypatch.setattr(page, "_pdf_pages", counted)
    found = work.find_all(blank_pdf(12, size_mm=200), {})
    assert len(found) == 12
    assert all(f[0] == "refused" for f in found)  # blank pages: no form on them
    assert most[0] == 1


def test_the_teller_page_names_the_refusal(client, paper_session, teller, no_decoding):
    session, _q = paper_session
    client.force_login(teller)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("paper:teller_photo", args=[session.pk]),
        {"photo": SimpleUploadedFile("big.png", png_header_only(20_000, 20_000))},
    )
    assert response.status_code == 400
    assert "too many pixels" in response.content.decode()


@pytest.mark.parametrize("depth", [100, 100_000])
def test_a_design_nested_too_deep_is_refused_with_a_named_problem(depth):
    raw = ("[" * depth + "]" * depth).encode()
    with pytest.raises(DesignError) as refused:
        design_io.load_design_file(raw)
    assert [p.code for p in refused.value.problems] == ["too_deep"]


def test_an_ordinary_design_is_not_too_deep():
    data = {"format": "x", "sessions": [{"questions": [{"options": [{"text": "a"}]}]}]}
    assert design_io.load_design_file(json.dumps(data).encode()) == data
