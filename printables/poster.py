"""Join poster (A4 or A3): the room's QR code big, and the code."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A3, A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from . import fonts
from .qr import draw_qr

SIZES = {"A4": A4, "A3": A3}


def render_poster(
    *,
    url: str,
    start_url: str,
    code: str,
    title: str,
    subtitle: str,
    strings: dict,
    size: str = "A4",
) -> bytes:
    fonts.register()
    width, height = SIZES[size]
    scale = width / A4[0]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height))
    canvas.setTitle(f"{title}: {code}")
    canvas.setFont(fonts.BOLD, 30 * scale)
    canvas.drawCentredString(width / 2, height - 35 * mm * scale, strings["join"])
    canvas.setFont(fonts.REGULAR, 15 * scale)
    for index, line in enumerate(fonts.wrap(f"{title} · {subtitle}", 15 * scale, 170 * scale)[:2]):
        canvas.drawCentredString(width / 2, height - (48 + index * 7) * mm * scale, line)
    qr = 140 * mm * scale
    draw_qr(canvas, url, (width - qr) / 2, height - 75 * mm * scale - qr, qr)
    canvas.setFont(fonts.REGULAR, 14 * scale)
    canvas.drawCentredString(width / 2, height - 80 * mm * scale - qr, strings["scan"])
    canvas.drawCentredString(
        width / 2,
        height - 90 * mm * scale - qr,
        strings["or_go_to"].replace("{url}", start_url),
    )
    canvas.setFont(fonts.MONO, 54 * scale)
    canvas.drawCentredString(width / 2, height - 115 * mm * scale - qr, code)
    canvas.setFont(fonts.REGULAR, 11 * scale)
    canvas.drawCentredString(width / 2, 15 * mm * scale, strings["no_account"])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
