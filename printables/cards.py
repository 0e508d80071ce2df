"""Attendee cards with personal codes: ten per A4 (business-card size), each with a QR code
that joins a phone with the card."""

from __future__ import annotations

import io
from collections.abc import Iterable

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from . import fonts
from .qr import draw_qr

CARD_W, CARD_H = 85 * mm, 54 * mm
COLUMNS, ROWS = 2, 5


def render_cards(*, cards: Iterable[tuple[str, str]], title: str, strings: dict) -> bytes:
    """``cards`` are (code, join URL) pairs."""
    fonts.register()
    width, height = A4
    margin_x = (width - COLUMNS * CARD_W) / 2
    margin_y = (height - ROWS * CARD_H) / 2
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(title)
    cards = list(cards)
    for index, (code, url) in enumerate(cards):
        slot = index % (COLUMNS * ROWS)
        if slot == 0 and index:
            canvas.showPage()
        x = margin_x + (slot % COLUMNS) * CARD_W
        y = height - margin_y - (slot // COLUMNS + 1) * CARD_H
        canvas.setStrokeColorRGB(0.7, 0.7, 0.7)
        canvas.rect(x, y, CARD_W, CARD_H, stroke=1, fill=0)
        qr = 34 * mm
        draw_qr(canvas, url, x + 4 * mm, y + (CARD_H - qr) / 2, qr)
        text_x = x + 42 * mm
        canvas.setFont(fonts.BOLD, 9)
        canvas.drawString(text_x, y + CARD_H - 9 * mm, strings["card_title"])
        canvas.setFont(fonts.MONO, 16)
        canvas.drawString(text_x, y + CARD_H - 19 * mm, f"{code[:4]}-{code[4:]}")
        canvas.setFont(fonts.REGULAR, 6.5)
        for line_no, line in enumerate(fonts.wrap(strings["card_text"], 6.5, 39)[:6]):
            canvas.drawString(text_x, y + CARD_H - 26 * mm - line_no * 3 * mm, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
