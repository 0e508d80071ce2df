"""Handout slips: eight per A4 with cut lines, each with the room's QR code and the code."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from . import fonts
from .qr import draw_qr


def render_slips(*, url: str, start_url: str, code: str, title: str, strings: dict) -> bytes:
    """Eight slips on one A4 (2 by 4) with cut lines; hand them out at the door."""
    fonts.register()
    width, height = A4
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(f"{title}: {code}")
    slip_w, slip_h = width / 2, height / 4
    for index in range(8):
        x, y = (index % 2) * slip_w, height - (index // 2 + 1) * slip_h
        canvas.setDash(2, 3)
        canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
        canvas.rect(x, y, slip_w, slip_h, stroke=1, fill=0)
        canvas.setDash()
        qr = 45 * mm
        draw_qr(canvas, url, x + 6 * mm, y + (slip_h - qr) / 2, qr)
        text_x = x + 6 * mm + qr + 5 * mm
        canvas.setFont(fonts.BOLD, 12)
        canvas.drawString(text_x, y + slip_h - 16 * mm, strings["join"][:40])
        canvas.setFont(fonts.MONO, 22)
        canvas.drawString(text_x, y + slip_h / 2 - 3 * mm, code)
        canvas.setFont(fonts.REGULAR, 8)
        for line_no, line in enumerate(
            fonts.wrap(strings["or_go_to"].replace("{url}", start_url), 8, slip_w / mm - 60)[:3]
        ):
            canvas.drawString(text_x, y + 18 * mm - line_no * 4 * mm, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
