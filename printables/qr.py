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
