"""Whether a sheet code a teller typed is the one printed under the QR code of the page.

A page whose QR code cannot be read is read with the code a teller types from under it
(``services.reading.page_read_typed``). A typo names no sheet and is refused, but the code
of another sheet on the table names a real one, and the page would be counted as that
sheet. So the printed code is compared with the typed one, character by character: each
printed character is matched against every character the codes are made of, drawn as the
form prints them (Courier Bold, 11 pt, ``printables.paper_form``), and the typed code is
refused when the picture clearly shows other characters in most places. A code too blurred
to tell is not refused: the teller typed it from the paper. About 12 ms a page.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import cv2
import numpy as np

from .page import PX_PER_MM

#: The characters of a sheet code (``identifiers``), and the hyphen printed in its middle.
CHARACTERS = "ACEFGHJKMNPQRTWXY34679"
#: What the form prints: Courier Bold at 11 pt; every Courier glyph is 0.6 em wide.
SIZE_PT = 11.0
ADVANCE_MM = 0.6 * SIZE_PT * 25.4 / 72
#: The band of a character: from above the capitals to below the baseline (mm).
ABOVE_MM, BELOW_MM = 3.0, 0.8
#: How far the printed code may lie from where the layout puts it (a page fitted with a
#: crease or curl), and a character from where the code's grid puts it (mm).
SEARCH_MM, SLACK_MM = 1.5, 0.35
#: A place is told when its best character matches at least this well (normalised
#: correlation); a typed character differs when another matches ``MARGIN`` better.
TOLD = 0.45
MARGIN = 0.12
#: The blurs (Gaussian sigma, pixels of the straightened page) a character is matched
#: at: a blurred letter matches its own blurred shape better than another's sharp one.
BLURS = (0.0, 1.5, 3.0, 5.0)
#: The blurs the hyphen is matched at to tell how blurred the code is; past ``BLURS``
#: no place is told (a blur turns every letter into a likeness of the bolder ones).
HYPHEN_BLURS = (0.0, 1.5, 3.0, 5.0, 8.0, 12.0)
#: Refused when the picture tells at least this many places, and the typed code differs
#: in at least this many of them: another sheet's code differs nearly everywhere, while a
#: blur that mistakes a character or two does not refuse the right one.
PLACES_TOLD = 5
PLACES_DIFFERENT = 3


@dataclass(frozen=True)
class Agreement:
    """How the typed code compares with the printed one: the places the picture tells,
    and of those the ones where another character matches clearly better."""

    told: int
    different: int

    @property
    def refused(self) -> bool:
        return self.told >= PLACES_TOLD and self.different >= PLACES_DIFFERENT


@functools.cache
def _glyphs() -> dict[str, np.ndarray]:
    """Every code character as the form prints it, at the straightened page's scale: ink
    (0 to 1) in a band ``ABOVE_MM`` + ``BELOW_MM`` high and one advance wide."""
    import pypdfium2
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    text = CHARACTERS + "-"
    margin = 2.0
    width, height = margin * 2 + ADVANCE_MM * len(text), ABOVE_MM + BELOW_MM + margin * 2
    out = io.BytesIO()
    sheet = canvas.Canvas(out, pagesize=(width * mm, height * mm))
    sheet.setFont("Courier-Bold", SIZE_PT)
    baseline = margin + BELOW_MM
    sheet.drawString(margin * mm, baseline * mm, text)
    sheet.showPage()
    sheet.save()
    page = pypdfium2.PdfDocument(out.getvalue())[0]
    gray = np.array(page.render(scale=PX_PER_MM * 25.4 / 72, grayscale=True).to_pil().convert("L"))
    ink = 1.0 - gray.astype(np.float32) / 255.0
    top = round((margin + ABOVE_MM) * PX_PER_MM)  # from the top: the page is drawn upwards
    rows = slice(top - round(ABOVE_MM * PX_PER_MM), top + round(BELOW_MM * PX_PER_MM))
    glyphs = {}
    for place, character in enumerate(text):
        left = round((margin + place * ADVANCE_MM) * PX_PER_MM)
        glyphs[character] = np.ascontiguousarray(
            ink[rows, left : left + round(ADVANCE_MM * PX_PER_MM)]
        )
    return glyphs


@functools.cache
def _blurred() -> dict[str, list[np.ndarray]]:
    """Each character at every blur of ``BLURS``."""
    return {
        character: [
            glyph if sigma == 0 else cv2.GaussianBlur(glyph, (0, 0), sigma) for sigma in BLURS
        ]
        for character, glyph in _glyphs().items()
    }


def _ink(image: np.ndarray) -> np.ndarray:
    return 1.0 - image.astype(np.float32) / 255.0


def _band(image: np.ndarray, code: dict) -> np.ndarray | None:
    """The part of the straightened page where the code may lie (None if the layout puts
    it off the page)."""
    length = 9  # "ABCD-EFGH"
    left_mm = code["x"] - length * ADVANCE_MM / 2
    x0 = round((left_mm - SEARCH_MM) * PX_PER_MM)
    y0 = round((code["y"] - ABOVE_MM - SEARCH_MM) * PX_PER_MM)
    x1 = round((left_mm + length * ADVANCE_MM + SEARCH_MM) * PX_PER_MM)
    y1 = round((code["y"] + BELOW_MM + SEARCH_MM) * PX_PER_MM)
    height, width = image.shape[:2]
    if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
        return None
    return _ink(image[y0:y1, x0:x1])


def _blur_of(band: np.ndarray, left: int, top: int, cell_w: int) -> float:
    """How blurred the printed code is: the blur (``HYPHEN_BLURS``) at which the hyphen
    every code has in its middle matches best."""
    hyphen = _glyphs()["-"]
    slack = round(SLACK_MM * PX_PER_MM)
    x = round(left + 4 * ADVANCE_MM * PX_PER_MM)
    region = band[
        max(0, top - slack) : top + hyphen.shape[0] + slack, max(0, x - slack) : x + cell_w + slack
    ]
    if region.shape[0] < hyphen.shape[0] or region.shape[1] < hyphen.shape[1]:
        return float("inf")
    scores = [
        float(
            cv2.matchTemplate(
                region,
                cv2.GaussianBlur(hyphen, (0, 0), sigma) if sigma else hyphen,
                cv2.TM_CCOEFF_NORMED,
            ).max()
        )
        for sigma in HYPHEN_BLURS
    ]
    return HYPHEN_BLURS[int(np.argmax(scores))]


def agreement(image: np.ndarray, code: dict, typed: str) -> Agreement:
    """Compare ``typed`` (the sheet's code, eight characters, without the hyphen) with the
    code printed on the straightened ``image`` at the layout's ``code`` (its centre and
    baseline, mm). Nothing is told (``Agreement(0, 0)``, not refused) for a code of
    another shape or a code the picture does not show."""
    glyphs, blurred = _glyphs(), _blurred()
    typed = typed.upper()
    band = _band(image, code)
    if band is None or len(typed) != 8 or any(c not in CHARACTERS for c in typed):
        return Agreement(0, 0)
    printed = f"{typed[:4]}-{typed[4:]}"
    template = np.hstack([glyphs[character] for character in printed])
    # Where the code lies: the typed code as printed (its hyphen too), placed over the band.
    found = cv2.matchTemplate(band, template, cv2.TM_CCOEFF_NORMED)
    _low, _high, _where, (left, top) = cv2.minMaxLoc(found)
    slack = round(SLACK_MM * PX_PER_MM)
    advance = ADVANCE_MM * PX_PER_MM
    cell_w, cell_h = template.shape[1] // len(printed), template.shape[0]
    if _blur_of(band, left, top, cell_w) > max(BLURS):
        return Agreement(0, 0)  # too blurred to tell one character from another
    told = different = 0
    for place, character in enumerate(printed):
        if character == "-":
            continue
        x = round(left + place * advance)
        region = band[
            max(0, top - slack) : top + cell_h + slack, max(0, x - slack) : x + cell_w + slack
        ]
        if region.shape[0] < cell_h or region.shape[1] < cell_w or region.std() < 1e-3:
            continue
        scores = {
            other: max(
                float(cv2.matchTemplate(region, shape, cv2.TM_CCOEFF_NORMED).max())
                for shape in blurred[other]
            )
            for other in CHARACTERS
        }
        best = max(scores.values())
        if best < TOLD:
            continue
        told += 1
        different += scores[character] < best - MARGIN
    return Agreement(told, different)


#: Reading the printed code: at a place, every character that matches at least ``TOLD``
#: and within ``CLOSE`` of the best is a candidate (two at most; a blur makes N, H, M and
#: W alike, and Courier's K, X and E). At most ``CANDIDATES`` codes are returned.
CLOSE = 0.05
CANDIDATES = 16


def candidates(image: np.ndarray, code: dict) -> list[str]:
    """The codes the print at ``code`` (its centre and baseline, mm) on the straightened
    ``image`` may be, best first, eight characters without the hyphen: none unless every
    place matches some character at least ``TOLD``. For a page whose QR code could not be
    read: the one of them that names a printed sheet is offered to the teller
    (``services.reading``); the others name nothing, as codes are drawn at random from
    22⁸."""
    band = _band(image, code)
    if band is None or band.std() < 1e-3:
        return []
    blurred = _blurred()
    cell_w = blurred["-"][0].shape[1]
    slack = round(SLACK_MM * PX_PER_MM)
    spread = np.ones((2 * slack + 1, 2 * slack + 1), np.uint8)
    # Each character's best match at every position of the band (over its blurs), spread
    # by the slack a character may have from the code's grid.
    maps = {}
    for character, shapes in blurred.items():
        found = np.max(
            [cv2.matchTemplate(band, shape, cv2.TM_CCOEFF_NORMED) for shape in shapes], axis=0
        )
        maps[character] = cv2.dilate(np.nan_to_num(found, nan=0.0).clip(-1, 1), spread)
    letters = np.max([maps[c] for c in CHARACTERS], axis=0)
    offsets = [round(place * ADVANCE_MM * PX_PER_MM) for place in range(9)]
    width = letters.shape[1] - offsets[-1]
    if width <= 0:
        return []
    # Where the code lies: the grid whose eight letters and hyphen match best together.
    together = sum(
        (maps["-"] if place == 4 else letters)[:, offset : offset + width]
        for place, offset in enumerate(offsets)
    )
    top, left = np.unravel_index(int(np.argmax(together)), together.shape)
    if _blur_of(band, left, top, cell_w) > max(BLURS):
        return []
    codes = [("", 0.0)]
    for place, offset in enumerate(offsets):
        if place == 4:
            continue
        scores = sorted(((float(maps[c][top, left + offset]), c) for c in CHARACTERS), reverse=True)
        best = scores[0][0]
        if best < TOLD:
            return []
        near = [(score, c) for score, c in scores[:2] if score >= best - CLOSE]
        codes = sorted(
            ((text + c, total + score) for text, total in codes for score, c in near),
            key=lambda item: -item[1],
        )[:CANDIDATES]
    return [text for text, _total in codes]
