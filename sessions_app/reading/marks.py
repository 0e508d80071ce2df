"""Reading the boxes of a rectified page (``page.find_page``): each box found again
exactly (a photo's page is never quite where the layout says, by a millimetre or so),
its ink measured against the paper around it, and classified.

Ink is measured twice, because a single darkness threshold misses light ticks: the share
of the box's inside that is *strongly* dark (a pen pressed down) and the share that is
*faintly* dark (a light pencil or a thin tick). Both are relative to the paper's own
brightness around the box, so uneven light does not make an empty box look marked.

A box is ``empty``, ``marked``, ``filled`` (inked all over, so that even its lightest
fifth is dark: under the printed correction rule a filled box is a mark taken back) or
``unsure`` (between the two); every reading has a confidence from 0 to 1. The
thresholds and how they were found: ``docs/paper-reading.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .page import PX_PER_MM

#: How far a box may sit from where the layout has it (mm).
SEARCH_MM = 1.5
#: The inside measured: this far in from the printed outline (mm).
INSET_MM = 0.8
#: Darkness (0 paper … 1 black) counted as strong and as faint ink.
STRONG, FAINT = 0.45, 0.08
#: A mark: this share of the inside strongly inked, or this share faintly (a light
#: tick covers a fifth of the box faintly; a stray dot an eighth at most).
MARKED_STRONG, MARKED_FAINT = 0.05, 0.18
#: Empty: no more than this, strongly and faintly (a dot counts as no mark).
EMPTY_STRONG, EMPTY_FAINT = 0.04, 0.15
#: Filled in (a mark taken back): ink all over, so even the lightest fifth of the inside
#: is dark; a cross, however heavy, leaves paper between its arms. Between the two a
#: person decides.
FILLED_LOW, DOUBTFUL_FILL = 0.40, 0.28
#: The box side (mm) the shares above were set for. A pen stroke's ink grows with a
#: box's side, not with its area, so in a larger box (large print, 7 mm) the shares are
#: counted as if the box were this size: a light tick is still a mark, a dot still none.
REFERENCE_MM = 5.0


@dataclass(frozen=True)
class Box:
    key: dict
    state: str  # empty, marked, filled, unsure
    confidence: float
    strong: float
    faint: float
    #: the darkness of the inside's lightest fifth (high only when filled in)
    low: float
    #: where the box was found on the rectified page (px): x, y, width, height
    found: tuple[int, int, int, int]


def _outline(size_px: int, margin_px: int, stroke_px: int) -> np.ndarray:
    template = np.full((size_px + 2 * margin_px, size_px + 2 * margin_px), 255, np.uint8)
    cv2.rectangle(
        template,
        (margin_px, margin_px),
        (margin_px + size_px - 1, margin_px + size_px - 1),
        0,
        stroke_px,
    )
    return template


def locate(page: np.ndarray, box: dict) -> tuple[tuple[int, int, int, int], float]:
    """Where the box's printed outline is, searched around its place in the layout, and
    how clearly it was seen (a filled-in box hides its outline)."""
    size = round(box["w"] * PX_PER_MM)
    search = round(SEARCH_MM * PX_PER_MM)
    margin = 3
    x = round(box["x"] * PX_PER_MM) - search - margin
    y = round(box["y"] * PX_PER_MM) - search - margin
    span = size + 2 * (search + margin)
    window = page[max(0, y) : y + span, max(0, x) : x + span]
    template = _outline(size, margin, max(2, round(0.3 * PX_PER_MM)))
    if window.shape[0] < template.shape[0] or window.shape[1] < template.shape[1]:
        return (round(box["x"] * PX_PER_MM), round(box["y"] * PX_PER_MM), size, size), 0.0
    scores = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
    _low, high, _where_low, (dx, dy) = cv2.minMaxLoc(scores)
    return (max(0, x) + dx + margin, max(0, y) + dy + margin, size, size), float(high)


def measure(page: np.ndarray, found: tuple[int, int, int, int]) -> tuple[float, float, float]:
    """The shares of strong and of faint ink inside the box, against the paper around
    (as in a box of ``REFERENCE_MM``), and the darkness of the inside's lightest fifth."""
    x, y, w, h = found
    ring = round(1.5 * PX_PER_MM)
    around = page[max(0, y - ring) : y + h + ring, max(0, x - ring) : x + w + ring]
    paper = float(np.percentile(around, 90)) or 1.0
    inset = round(INSET_MM * PX_PER_MM)
    inside = page[y + inset : y + h - inset, x + inset : x + w - inset].astype(np.float32)
    if inside.size == 0:
        return 0.0, 0.0, 0.0
    # A little smoothing first, so that the camera's and JPEG's grain is not taken for ink.
    inside = cv2.GaussianBlur(inside, (3, 3), 0)
    darkness = np.clip((paper - inside) / paper, 0, 1)
    # A stroke's share of the inside goes with its length (the box's side) over the
    # inside's area; counted as in the reference box.
    side = w / PX_PER_MM
    inner, reference = side - 2 * INSET_MM, REFERENCE_MM - 2 * INSET_MM
    scale = max(1.0, (inner / reference) ** 2 * REFERENCE_MM / side)
    return (
        min(1.0, float((darkness > STRONG).mean()) * scale),
        min(1.0, float((darkness > FAINT).mean()) * scale),
        float(np.percentile(darkness, 20)),
    )


def classify(strong: float, faint: float, low: float) -> tuple[str, float]:
    """The box's state and how sure the reading is (0 … 1)."""
    if low >= FILLED_LOW:
        return "filled", min(1.0, 0.6 + (low - FILLED_LOW))
    if low >= DOUBTFUL_FILL:
        return "unsure", 0.4
    if strong >= MARKED_STRONG or faint >= MARKED_FAINT:
        margin = max(strong / MARKED_STRONG, faint / MARKED_FAINT) - 1
        return "marked", min(1.0, 0.6 + margin / 2)
    if strong <= EMPTY_STRONG and faint <= EMPTY_FAINT:
        margin = 1 - max(strong / EMPTY_STRONG, faint / EMPTY_FAINT)
        return "empty", min(1.0, 0.6 + margin / 2)
    return "unsure", 0.3


#: A box whose outline matched less clearly than this is placed by its neighbours.
CLEAR_MATCH = 0.5


def read_boxes(page: np.ndarray, layout_page: dict) -> list[Box]:
    """Every box of one page of the layout, read. A box whose outline could not be seen
    clearly (filled in, crossed heavily) is placed where the layout has it, moved by the
    median offset of the boxes that were seen clearly."""
    located = [(box, *locate(page, box)) for box in layout_page["boxes"]]
    offsets = [
        (where[0] - round(box["x"] * PX_PER_MM), where[1] - round(box["y"] * PX_PER_MM))
        for box, where, score in located
        if score >= CLEAR_MATCH
    ]
    dx = round(float(np.median([o[0] for o in offsets]))) if offsets else 0
    dy = round(float(np.median([o[1] for o in offsets]))) if offsets else 0
    found = []
    for box, where, score in located:
        if score < CLEAR_MATCH:
            where = (
                round(box["x"] * PX_PER_MM) + dx,
                round(box["y"] * PX_PER_MM) + dy,
                where[2],
                where[3],
            )
        strong, faint, low = measure(page, where)
        state, confidence = classify(strong, faint, low)
        key = {k: v for k, v in box.items() if k not in {"x", "y", "w", "h"}}
        found.append(
            Box(
                key,
                state,
                round(confidence, 3),
                round(strong, 4),
                round(faint, 4),
                round(low, 4),
                where,
            )
        )
    return found


#: Handwriting in a writing area: this many pixels of pen strokes (blobs of at least
#: ``STROKE_PX``) once the printed ruled lines are taken out: 1 mm² of ink. Set low on
#: purpose: text the reader missed would be lost without anyone seeing it, text it sees
#: goes to a person, who types it. Blank areas measured 0 pixels; a written "Ja" 518.
WRITTEN_PX, STROKE_PX = 64, 20
#: Darkness counted as writing.
WRITING_DARK = 0.3


@dataclass(frozen=True)
class Area:
    """A writing area (an open answer, an own statement): whether anything is written in
    it. The reader does not read handwriting; a person types what the crop shows."""

    key: dict  # question, kind ("text" or "proposal")
    written: bool
    ink: float
    found: tuple[int, int, int, int]


def read_areas(page: np.ndarray, layout_page: dict) -> list[Area]:
    """Every writing area of one page of the layout: is something written in it?"""
    found = []
    inset = round(2 * PX_PER_MM)  # clear of the printed frame
    for area in layout_page["areas"]:
        x, y = round(area["x"] * PX_PER_MM), round(area["y"] * PX_PER_MM)
        w, h = round(area["w"] * PX_PER_MM), round(area["h"] * PX_PER_MM)
        inside = page[y + inset : y + h - inset, x + inset : x + w - inset]
        lines = [
            round(number * area["spacing"] * PX_PER_MM) - inset
            for number in range(1, area["lines"])
        ]
        ink = _handwriting(inside, lines)
        key = {"question": area["question"], "kind": area["kind"]}
        written = ink * max(1, inside.size) >= WRITTEN_PX
        found.append(Area(key, written, round(ink, 5), (x, y, w, h)))
    return found


def _handwriting(inside: np.ndarray, lines: list[int]) -> float:
    """The share of ``inside`` inked by hand: darker than 0.3 against the paper nearby,
    less the printed ruled lines. ``lines``: the rows where the layout has them; each is
    looked for within 1.5 mm (the page is never straightened to the pixel) and taken out
    with a pixel or three either side."""
    if inside.size == 0:
        return 0.0
    smooth = cv2.GaussianBlur(inside, (3, 3), 0)
    # The paper's own brightness near each point (a closing wipes out thin strokes), so
    # that light falling unevenly across the area is not taken for ink.
    paper = cv2.morphologyEx(
        smooth, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (4 * PX_PER_MM,) * 2)
    ).astype(np.float32)
    darkness = np.clip((paper - smooth) / np.maximum(paper, 1), 0, 1)
    dark = darkness > WRITING_DARK
    rows = darkness.mean(axis=1)
    reach = round(SEARCH_MM * PX_PER_MM)
    for expected in lines:
        low, high = max(0, expected - reach), min(len(rows), expected + reach + 1)
        if low >= high:
            continue
        found = low + int(np.argmax(rows[low:high]))
        dark[max(0, found - 3) : found + 4, :] = False
    # Specks of camera grain or dust are single pixels; a pen stroke is a blob.
    _count, _labels, stats, _centres = cv2.connectedComponentsWithStats(
        dark.astype(np.uint8), connectivity=8
    )
    inked = sum(int(a) for a in stats[1:, cv2.CC_STAT_AREA] if a >= STROKE_PX)
    return inked / dark.size
