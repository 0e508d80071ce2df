"""The one QR helper. QR codes are vectors (SVG on screens; reportlab drawings on paper
come with the printables), never bitmaps."""

from __future__ import annotations

import segno
from django.utils.html import escape


def qr_svg(url: str, *, label: str, border: int = 2) -> str:
    """Inline SVG of a QR code for ``url`` that scales to its box (CSS sets the size),
    with an accessible name."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(border=border, dark="#000", light="#fff", omitsize=True, svgclass="qr")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


def printed_url(url: str) -> str:
    """An address as people type it from paper: without ``https://``, ``www.``, the
    ``#anchor`` and the last slash (``inspraak.example.nl/p/stationsplein``)."""
    text = url.split("#", 1)[0].split("://", 1)[-1]
    return text.removeprefix("www.").rstrip("/")


def draw_qr(canvas, url: str, x_pt: float, y_pt: float, size_pt: float) -> None:
    """Draw a QR code for ``url`` as vector squares, lower left corner at (x, y), the quiet
    zone included in ``size``."""
    code = segno.make(url, error="m")
    matrix = list(code.matrix_iter(scale=1, border=4))
    cell = size_pt / len(matrix)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x_pt, y_pt, size_pt, size_pt, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(matrix):
        run_start = None
        for col_index, dark in enumerate([*row, 0]):
            if dark and run_start is None:
                run_start = col_index
            elif not dark and run_start is not None:
                canvas.rect(
                    x_pt + run_start * cell,
                    y_pt + size_pt - (row_index + 1) * cell,
                    (col_index - run_start) * cell,
                    cell,
                    stroke=0,
                    fill=1,
                )
                run_start = None
    canvas.restoreState()
