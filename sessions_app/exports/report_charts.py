"""The report's charts, drawn with reportlab graphics: one bar per line, set in a table
row beside its full label and its numbers, so that a label is never cut off and wraps as
text does, and every bar sits next to the figures it shows.

Colour is never the only cue: every bar's numbers are printed beside it, and the legend
names each colour.
"""

from __future__ import annotations

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from printables import fonts

#: One colour per source, as on the presenter (and distinguishable in grey).
SOURCE_COLOURS = {
    "room": colors.HexColor("#1f5fa8"),
    "remote": colors.HexColor("#6aa6e0"),
    "paper": colors.HexColor("#c2571a"),
    "hands": colors.HexColor("#8a8a8a"),
}
#: Agree dark, disagree mid, pass light: they stay apart in grey too.
VOTE_COLOURS = {
    "agree": colors.HexColor("#1b7837"),
    "disagree": colors.HexColor("#c2571a"),
    "pass": colors.HexColor("#d0d0d0"),
}
TRACK = colors.HexColor("#eeeeee")
BAR_HEIGHT = 9


def stacked_bar(counts: dict, keys, colours: dict, *, largest: float, width: float) -> Drawing:
    """A bar as long as ``counts``'s total relative to ``largest``, in one segment per
    key, on a light track the width of the column."""
    drawing = Drawing(width, BAR_HEIGHT)
    drawing.add(Rect(0, 0, width, BAR_HEIGHT, fillColor=TRACK, strokeColor=None))
    x = 0.0
    for key in keys:
        value = counts.get(key) or 0
        if value <= 0 or largest <= 0:
            continue
        length = width * value / largest
        drawing.add(Rect(x, 0, length, BAR_HEIGHT, fillColor=colours[key], strokeColor=None))
        x += length
    return drawing


def legend(pairs: list[tuple[colors.Color, str]], *, width: float, size: float = 8) -> Drawing:
    """Colour squares with their names, in a row that wraps to ``width``."""
    fonts.register()
    step, gap = size + 3, 10
    lines: list[list[tuple[colors.Color, str, float]]] = [[]]
    used = 0.0
    for colour, name in pairs:
        wide = size + 4 + stringWidth(name, fonts.REGULAR, size)
        if lines[-1] and used + wide > width:
            lines.append([])
            used = 0.0
        lines[-1].append((colour, name, wide))
        used += wide + gap
    drawing = Drawing(width, step * len(lines))
    for row, line in enumerate(lines):
        y = step * (len(lines) - row - 1) + 1
        x = 0.0
        for colour, name, wide in line:
            drawing.add(
                Rect(x, y, size, size, fillColor=colour, strokeColor=colors.black, strokeWidth=0.3)
            )
            drawing.add(String(x + size + 4, y + 1, name, fontName=fonts.REGULAR, fontSize=size))
            x += wide + gap
    return drawing
