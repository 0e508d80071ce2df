"""Fonts for printed outputs: Bitstream Vera, shipped with reportlab, embedded in every PDF
so accents and curly quotes print the same everywhere."""

from pathlib import Path

import reportlab
from reportlab.lib.units import mm
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


def fit_bold(
    text: str, sizes: tuple[float, ...], most_lines: int, width_pt: float, *, ellipsis: bool
) -> tuple[float, list[str]]:
    """A bold heading's size and lines: the first of ``sizes`` at which it wraps into at
    most ``most_lines`` lines, none wider than ``width_pt``; else the smallest size and
    as many whole lines as fit (the last one ending in "…" with ``ellipsis``)."""
    register()
    for size in sizes:
        lines = wrap(text, size, width_pt / mm, bold=True)
        if len(lines) <= most_lines and all(
            pdfmetrics.stringWidth(line, BOLD, size) <= width_pt for line in lines
        ):
            return size, lines
    size = sizes[-1]
    lines = wrap(text, size, width_pt / mm, bold=True)
    if len(lines) > most_lines:
        last = lines[most_lines - 1].rstrip(" .,") + "…" if ellipsis else lines[most_lines - 1]
        lines = [*lines[: most_lines - 1], last]
    return size, lines


def wrap_url(url: str, size: float, width: float) -> list[str]:
    """Break an address into lines no wider than ``width`` mm, after a ``/`` where it
    can (a part longer than a line is cut)."""
    parts = [part for part in url.replace("/", "/\n").split("\n") if part]
    lines: list[str] = []
    line = ""
    for part in parts:
        if width_mm(line + part, size) <= width:
            line += part
            continue
        if line:
            lines.append(line)
        pieces = wrap(part, size, width)
        lines.extend(pieces[:-1])
        line = pieces[-1]
    if line:
        lines.append(line)
    return lines
