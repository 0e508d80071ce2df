"""Handout slips: eight per A4 with cut lines, each with the room's QR code and the code."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from . import fonts
from .qr import draw_qr

SLIP_W, SLIP_H = A4[0] / 2, A4[1] / 4
QR = 45 * mm
#: Where the text starts on a slip, and how far it keeps from the cut line on the right.
TEXT_X = 6 * mm + QR + 5 * mm
TEXT_MARGIN = 4 * mm
HEADING_SIZES = (12, 11, 10, 9, 8)
HEADING_LINES = 3


def text_width() -> float:
    """The room for text on a slip, in points: from beside the QR code to the margin
    before the cut line."""
    return SLIP_W - TEXT_X - TEXT_MARGIN


def fit_heading(text: str) -> tuple[float, list[str]]:
    """The heading's size and lines: wrapped to the slip's text width at 12 pt, or
    smaller when it needs more than three lines or holds a word wider than the slip
    (still too long at the smallest size: as many whole lines as fit)."""
    return fonts.fit_bold(text, HEADING_SIZES, HEADING_LINES, text_width(), ellipsis=False)


def render_slips(*, url: str, start_url: str, code: str, title: str, strings: dict) -> bytes:
    """Eight slips on one A4 (2 by 4) with cut lines; hand them out at the door."""
    fonts.register()
    _width, height = A4
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(f"{title}: {code}")
    size, heading = fit_heading(strings["join"])
    hint = fonts.wrap(strings["or_go_to"].replace("{url}", start_url), 8, text_width() / mm)[:3]
    for index in range(8):
        x, y = (index % 2) * SLIP_W, height - (index // 2 + 1) * SLIP_H
        canvas.setDash(2, 3)
        canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
        canvas.rect(x, y, SLIP_W, SLIP_H, stroke=1, fill=0)
        canvas.setDash()
        draw_qr(canvas, url, x + 6 * mm, y + (SLIP_H - QR) / 2, QR)
        text_x = x + TEXT_X
        canvas.setFont(fonts.BOLD, size)
        for line_no, line in enumerate(heading):
            canvas.drawString(text_x, y + SLIP_H - 14 * mm - line_no * size * 1.2, line)
        canvas.setFont(fonts.MONO, 22)
        canvas.drawString(text_x, y + SLIP_H / 2 - 6 * mm, code)
        canvas.setFont(fonts.REGULAR, 8)
        for line_no, line in enumerate(hint):
            canvas.drawString(text_x, y + 18 * mm - line_no * 4 * mm, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
