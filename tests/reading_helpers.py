"""Filled-in paper forms, photographed: the photo reader's tests print a sheet with its
real signed QR code, mark its boxes with simulated pens and photograph every page."""

from __future__ import annotations

import io

from PIL import Image

from printables import paper_form
from printables.strings import form_strings
from sessions_app.reading.synthetic import (
    PHOTO_DPI,
    draw_mark,
    draw_writing,
    photograph,
    render_pdf_page,
)
from sessions_app.services.printing import sheet_url

BASE = "http://inspraak.test"


def layout_of(sheet) -> dict:
    return sheet.session.layouts.get(version=sheet.layout_version).data


def box_matches(box: dict, question: int, **key) -> bool:
    return box["question"] == question and all(box.get(k) == v for k, v in key.items())


def photos(
    sheet, marks=(), writing=(), *, pages=None, seed=1, dpi=PHOTO_DPI, **camera
) -> list[bytes]:
    """JPEG photos of the pages of ``sheet`` (all, or the numbers in ``pages``).
    ``marks``: ``(kind, question id, key)`` with key a dict such as ``{"option": 3}``;
    ``writing``: ``(question id, area kind, text)``; ``dpi``: the page's pixels (at 200,
    about 8 to a millimetre of paper, as a phone's photo; at 150 about 6:
    ``low_resolution``, where no empty box is clearly empty)."""
    layout = layout_of(sheet)
    pdf = paper_form.render(
        layout, [paper_form.SheetRow(sheet.code, sheet_url(BASE, sheet))], form_strings(), title="t"
    )
    found = set()
    shots = []
    for index, layout_page in enumerate(layout["pages"]):
        if pages is not None and layout_page["number"] not in pages:
            continue
        image = render_pdf_page(pdf, index, dpi=dpi)
        for number, (kind, question, key) in enumerate(marks):
            for box in layout_page["boxes"]:
                if box_matches(box, question, **key):
                    draw_mark(image, box, kind, dpi=dpi, seed=seed + number)
                    found.add(number)
        for question, area_kind, text in writing:
            for area in layout_page["areas"]:
                if area["question"] == question and area["kind"] == area_kind:
                    draw_writing(image, area, text, dpi=dpi)
        settings = {"angle": 4.0, "skew": 0.03, "blur": 0.5, "light": 0.2, "quality": 80}
        shots.append(photograph(image, **{**settings, **camera}, seed=seed + index))
    if pages is None:
        assert found == set(range(len(marks))), "every mark lands in a box"
    return shots


def scanned_pdf(shots: list[bytes]) -> bytes:
    """Photos put together as one PDF, as a scanner gives many forms."""
    pictures = [Image.open(io.BytesIO(shot)).convert("L") for shot in shots]
    buffer = io.BytesIO()
    pictures[0].save(
        buffer, format="PDF", save_all=True, append_images=pictures[1:], resolution=150
    )
    return buffer.getvalue()
