"""Join poster (A4 or A3): the room's QR code big, and the code; below, a small QR code
to the process's dossier with its address in text."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A3, A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from . import fonts
from .qr import draw_qr, printed_url

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
    dossier_url: str = "",
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
    if dossier_url:
        draw_dossier(canvas, dossier_url, strings["dossier_title"], width, height, scale)
    canvas.setFont(fonts.REGULAR, 11 * scale)
    canvas.drawCentredString(width / 2, 9 * mm * scale, strings["no_account"])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


#: The dossier block: its QR code's side and its top (mm from the top of an A4 poster).
DOSSIER_QR, DOSSIER_TOP = 20.0, 261.0


def draw_dossier(canvas, url: str, caption: str, width: float, height: float, scale: float):
    """The small QR code to the dossier, with the caption and the address beside it,
    centred between the join code and the line at the foot of the poster."""
    qr = DOSSIER_QR * mm * scale
    gap = 4 * mm * scale
    title_size, text_size = 12 * scale, 11 * scale
    room = 110 * scale  # mm of text beside the code, at most
    lines = fonts.wrap(caption, title_size, room, bold=True)[:2]
    address = fonts.wrap_url(printed_url(url), text_size, room)[:2]
    text_w = max(
        [fonts.width_mm(line, title_size, bold=True) for line in lines]
        + [fonts.width_mm(line, text_size) for line in address]
    )
    x = (width - (qr + gap + text_w * mm)) / 2
    top = height - DOSSIER_TOP * mm * scale
    draw_qr(canvas, url, x, top - qr, qr)
    text_x = x + qr + gap
    step = 5.5 * mm * scale
    y = top - qr / 2 + step * (len(lines) + len(address)) / 2 - title_size * 0.8
    canvas.setFont(fonts.BOLD, title_size)
    for line in lines:
        canvas.drawString(text_x, y, line)
        y -= step
    canvas.setFont(fonts.REGULAR, text_size)
    for line in address:
        canvas.drawString(text_x, y, line)
        y -= step
