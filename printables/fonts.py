"""Fonts for printed outputs: Bitstream Vera, shipped with reportlab, embedded in every PDF
so accents and curly quotes print the same everywhere."""

from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "InspraakSans"
BOLD = "InspraakSans-Bold"
MONO = "Courier-Bold"

_FONTS = Path(reportlab.__file__).parent / "fonts"


def register() -> None:
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(_FONTS / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(_FONTS / "VeraBd.ttf")))


def width_mm(text: str, size: float, bold: bool = False) -> float:
    register()
    return pdfmetrics.stringWidth(text, BOLD if bold else REGULAR, size) * 25.4 / 72


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` mm (long words are cut)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if width_mm(candidate, size, bold) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while width_mm(word, size, bold) > width:
                cut = len(word)
                while cut > 1 and width_mm(word[:cut], size, bold) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines
