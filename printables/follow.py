""" "Follow this plan" slips: eight per A4 with cut lines, each with the process's title,
one sentence with the page's address in text, and a QR code to the public page's follow
form (``#follow``), where people leave an e-mail address to hear when something happens."""

from __future__ import annotations

import io
import math

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from . import fonts
from .qr import draw_qr, printed_url

COLUMNS, ROWS = 2, 4
PER_PAGE = COLUMNS * ROWS
SLIP_W, SLIP_H = A4[0] / COLUMNS, A4[1] / ROWS
QR = 36 * mm
MARGIN = 6 * mm
TEXT_X = MARGIN + QR + 5 * mm
TEXT_MARGIN = 4 * mm
TITLE_SIZES = (12, 11, 10, 9)
TITLE_LINES = 3
TEXT_SIZES = (9, 8.5, 8, 7.5, 7)
#: The lowest baseline of the sentence, above the slip's bottom edge.
BOTTOM = 6 * mm


def text_width() -> float:
    """The room for text on a slip, in points: beside the QR code, before the cut line."""
    return SLIP_W - TEXT_X - TEXT_MARGIN


def fit_title(title: str) -> tuple[float, list[str]]:
    """The title's size and lines: at most three lines, never wider than the slip."""
    return fonts.fit_bold(title, TITLE_SIZES, TITLE_LINES, text_width(), ellipsis=True)


def sentence_lines(sentence: str, url: str, size: float) -> list[str]:
    """The sentence with the address in text, wrapped at ``size`` pt; the address is
    never cut in two except at a ``/``."""
    short = printed_url(url)
    placeholder = "\x00"
    words = sentence.replace("{url}", placeholder).split()
    lines: list[str] = []
    line = ""
    width = text_width() / mm
    for word in words:
        if placeholder in word:
            before, after = word.split(placeholder, 1)
            pieces = fonts.wrap_url(before + short + after, size, width)
        else:
            pieces = [word]
        for piece in pieces:
            candidate = f"{line} {piece}".strip()
            if fonts.width_mm(candidate, size) <= width:
                line = candidate
            else:
                if line:
                    lines.append(line)
                line = piece
    if line:
        lines.append(line)
    return lines


def fit_sentence(sentence: str, url: str, room: float) -> tuple[float, list[str]]:
    """The sentence's size and lines: the largest size whose lines fit in ``room`` points
    of height (the whole sentence is always printed)."""
    for size in TEXT_SIZES:
        lines = sentence_lines(sentence, url, size)
        if (len(lines) - 1) * size * 1.3 <= room:
            return size, lines
    return TEXT_SIZES[-1], sentence_lines(sentence, url, TEXT_SIZES[-1])


def render_follow_slips(*, url: str, title: str, strings: dict, count: int = PER_PAGE) -> bytes:
    """``count`` slips (whole A4 sheets of eight, at least one sheet) to hand out: the
    QR code opens ``url`` (the public page's follow form)."""
    fonts.register()
    _width, height = A4
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(title)
    canvas.setAuthor("Inspraak")
    size, heading = fit_title(title)
    below = SLIP_H - 12 * mm - len(heading) * size * 1.2 - 3 * mm
    text_size, text = fit_sentence(strings["follow"], url, below - BOTTOM)
    pages = max(1, math.ceil(count / PER_PAGE))
    for page in range(pages):
        if page:
            canvas.showPage()
        for index in range(PER_PAGE):
            x, y = (index % COLUMNS) * SLIP_W, height - (index // COLUMNS + 1) * SLIP_H
            canvas.setDash(2, 3)
            canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
            canvas.rect(x, y, SLIP_W, SLIP_H, stroke=1, fill=0)
            canvas.setDash()
            draw_qr(canvas, url, x + MARGIN, y + (SLIP_H - QR) / 2, QR)
            text_x = x + TEXT_X
            top = y + SLIP_H - 12 * mm
            canvas.setFont(fonts.BOLD, size)
            for line_no, line in enumerate(heading):
                canvas.drawString(text_x, top - line_no * size * 1.2, line)
            canvas.setFont(fonts.REGULAR, text_size)
            for line_no, line in enumerate(text):
                canvas.drawString(text_x, y + below - line_no * text_size * 1.3, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
