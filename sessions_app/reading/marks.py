"""Reading the boxes of a rectified page (``page.find_page``): each box found again
exactly (a photo's page is never quite where the layout says, by a millimetre or so),
its ink measured against the paper around it, and classified.

Ink is measured twice, because a single darkness threshold misses light ticks: the share
of the box's inside that is *strongly* dark (a pen pressed down) and the share that is
*faintly* dark (a light pencil or a thin tick). Both are relative to the paper's own
brightness around the box, so uneven light does not make an empty box look marked.

A box is ``empty``, ``marked``, ``filled`` (inked all over, so that even its lightest
fifth is dark, or scribbled out: under the printed correction rule a mark taken back) or
``unsure`` (between the two); every reading has a confidence from 0 to 1. Only what is
clearly empty or clearly marked is either: a straight faint stroke across the box, a
few strokes over it, grey all over, are for a person; so is an empty box where a light
mark may have been lost (lower confidence: a black-and-white scan, a photocopy, a coarse
picture, a fold, a trace of faint ink). Around each question, ink outside its boxes and
the print (``read_stray``) is for a person too. Before any of it the page is evened out
(``flatten``) and its folds whitened out (``find_creases``). The thresholds and how they
were found: ``docs/paper-reading.md``.
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
#: Clearly empty also means no trace of a stroke: the faint ink (if any) lies in one
#: spot, not along a line. A stray dot spans at most a third of the inside; a light
#: pencil tick, however faint, more than half of it. Between: a person decides.
TRACE_SPAN = 0.45
#: Scribbled out: a line across the inside crosses this many separate strokes (in the
#: upper quartile of the lines: a cross or a tick two at most; going back and forth over
#: a box three or more) over this share of the inside at least: under the printed rule a
#: box made black is taken back, and a teller takes a scribbled-out box back too ...
SCRIBBLED_RUNS, SCRIBBLED_FAINT = 3.0, 0.45
#: ... and from this many strokes on (more than two in a quarter of the lines), a box is
#: no clear mark: a person decides. (No cross or tick of the realistic set's 6,298 went
#: above two; a ballpoint scribble of 2.25 was once read as a second choice.)
SCRIBBLE_RUNS = 2.25
#: A box this much faintly inked without any strong ink is grey all over: a pencil
#: scribble whose strokes the picture ran together, or shading. No clear mark (a pencil
#: cross covered at most 0.88 of the box on the realistic set, nearly all below 0.71).
GREYED = 0.85
#: A light pencil tick: faint ink over this share of the inside at least, spanning this
#: share of it, one stroke deep, and bending away from a straight line by this much (mm:
#: a tick or a cross bends; a fold or the edge of a shadow is straight). Clearly a mark,
#: though less surely than a pen's.
LIGHT_FAINT, LIGHT_SPAN, LIGHT_BEND, LIGHT_CONFIDENCE = 0.10, 0.55, 0.3, 0.55
#: Darkness that counts as a trace of ink for the span (as faint ink), and as a stroke
#: when strokes are counted (darker: the grey halo between two strokes is no ink).
TRACE_DARK, RUN_DARK = 0.08, 0.3


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
    #: how far the faint ink reaches across the inside (0 … 1; a dot stays small)
    span: float = 0.0
    #: separate strokes crossed by a line through the inside (a scribble: many)
    runs: float = 0.0
    #: how far the faint ink strays from one straight line (mm; a tick bends)
    bend: float = 0.0
    #: how often ink crosses a ring just outside the box (``leaves``; a scribble: often)
    leaves: int = 0
    #: strokes lying one above the other, none crossing another (``strokes``: a scribble
    #: gone back and forth across the box)
    stacked: bool = False


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


def percentile(values: np.ndarray, q: float) -> float:
    """``np.percentile(values, q)`` (linear between the two nearest), computed by
    partitioning: the same number, in a fraction of the time on a box's few hundred
    pixels."""
    flat = np.asarray(values).ravel()
    where = (flat.size - 1) * q / 100
    low = int(where)
    high = min(low + 1, flat.size - 1)
    part = np.partition(flat, (low, high))
    return float(part[low] + (float(part[high]) - float(part[low])) * (where - low))


def measure(page: np.ndarray, found: tuple[int, int, int, int]) -> tuple[float, float, float]:
    """The shares of strong and of faint ink inside the box, against the paper around
    (as in a box of ``REFERENCE_MM``), and the darkness of the inside's lightest fifth."""
    x, y, w, h = found
    ring = round(1.5 * PX_PER_MM)
    around = page[max(0, y - ring) : y + h + ring, max(0, x - ring) : x + w + ring]
    paper = percentile(around, 90) or 1.0
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
        percentile(darkness, 20),
    )


#: Strokes are stacked (``strokes``) when the lines down the box cross at least this
#: many (the median line) and the lines across it at most ``STACKED_ACROSS`` (the upper
#: quartile): a scribble gone back and forth across the box, whose turns may stay
#: within its outline. A cross's arms are both crossed by the lines across it, a tick's
#: two strokes by few lines down it. On seeds 2 to 7 of the realistic set, no cross or
#: tick of 5,913 read as marks was stacked, and 8 of the 16 scribbles still read as a
#: mark were (two of them had been read as one more option on seeds 31 and 33); counted
#: in the faint ink too, the 7 pencil scribbles left were, and still no cross or tick
#: of 4,324 (in photos taken again in focus, pencil scribbles had been read as one more
#: option three times).
STACKED_DOWN, STACKED_ACROSS = 2, 1
#: Strokes are stacked, too, when the lines down or across the box cross this many of
#: them in the faint ink (the upper quartile): three strokes deep is a zigzag, which no
#: cross or tick is. On seeds 2 and 3 of the realistic set, no cross or tick of 2,148
#: read as marks reached it (2 at most), and 39 of the 148 scribbles and filled boxes
#: did; a pencil zigzag whose turns run together (a probe beyond the set, ``--wider``:
#: seed 106, in a picture taken again) had been read as one more option.
STACKED_FAINT_RUNS = 3


def strokes(page: np.ndarray, found: tuple[int, int, int, int]) -> tuple[float, float, float, bool]:
    """The shape of the ink inside the box, against the paper around it: how far its
    faint ink reaches across (the larger of the shares of rows and of columns with some
    in them: a dot stays small, a light tick spans the box), how many separate strokes
    a line through the middle crosses (of the lines across and down, the upper quartile,
    the larger: a scribble crosses many), how far the faint ink strays from one
    straight line (mm, its spread across its main direction: a tick or a cross bends, a
    fold or a shadow's edge does not), and whether the strokes are stacked
    (``STACKED_DOWN``)."""
    x, y, w, h = found
    inset = round(INSET_MM * PX_PER_MM)
    inside = page[y + inset : y + h - inset, x + inset : x + w - inset]
    if inside.size == 0:
        return 0.0, 0.0, 0.0, False
    smooth = cv2.GaussianBlur(inside, (3, 3), 0).astype(np.float32)
    ring = round(1.5 * PX_PER_MM)
    around = page[max(0, y - ring) : y + h + ring, max(0, x - ring) : x + w + ring]
    paper = percentile(around, 90) or 1.0
    darkness = (paper - smooth) / paper
    # Specks of grain are no stroke: an opening keeps only ink two pixels across.
    pixel = np.ones((2, 2), np.uint8)
    faint = cv2.morphologyEx((darkness > TRACE_DARK).astype(np.uint8), cv2.MORPH_OPEN, pixel) > 0
    if not faint.any():
        return 0.0, 0.0, 0.0, False
    span = max(float(faint.any(axis=0).mean()), float(faint.any(axis=1).mean()))
    ys, xs = np.nonzero(faint)
    bend = 0.0
    if len(xs) >= 3:
        bend = float(np.sqrt(max(0.0, np.linalg.eigvalsh(np.cov(xs, ys))[0]))) / PX_PER_MM
    ink = cv2.morphologyEx((darkness > RUN_DARK).astype(np.uint8), cv2.MORPH_OPEN, pixel) > 0
    runs_down, runs_across = _crossings(ink)
    runs = max(percentile(runs_down, 75), percentile(runs_across, 75))
    # Stacked in the strokes pressed down, or in the faint ink (pencil: its grain breaks
    # a stroke up where it is darker than RUN_DARK).
    faint_down, faint_across = _crossings(faint)
    stacked = (
        any(
            percentile(down, 50) >= STACKED_DOWN and percentile(across, 75) <= STACKED_ACROSS
            for down, across in ((runs_down, runs_across), (faint_down, faint_across))
        )
        or max(percentile(faint_down, 75), percentile(faint_across, 75)) >= STACKED_FAINT_RUNS
    )
    return span, runs, bend, stacked


def _crossings(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many separate strokes of ``ink`` (a box's inside) each line down and each line
    across its middle three fifths crosses."""
    middle = slice(ink.shape[0] // 5, ink.shape[0] - ink.shape[0] // 5)
    down, across = ink[:, middle], ink[middle, :]
    runs_down = (down[1:] & ~down[:-1]).sum(axis=0) + down[0]
    runs_across = (across[:, 1:] & ~across[:, :-1]).sum(axis=1) + across[:, 0]
    return runs_down, runs_across


#: Rings just outside a box (mm out from the middle of its printed line) on which a
#: mark's strokes are counted where they leave the box (``leaves``): a cross or a tick
#: that overshoots its box leaves it four times at most, a scribble going back and forth
#: over it at every turn. From ``SCRIBBLE_LEAVES`` crossings on both rings a mark is no
#: clear mark. (On the realistic set: 4 of 3,779 crosses and ticks, and 63 of 90
#: scribbles; half of the scribbles read as a cross, two strokes deep, were caught.)
LEAVES_MM = (0.4, 0.7)
SCRIBBLE_LEAVES = 5
#: An empty box's trace of ink is a stroke passing by, not a dot, when ink this faint
#: (``leaves`` at ``TRACE_LEAVES_DARK``) crosses both rings at least ``TRACE_LEAVES``
#: times: a light pencil tick drawn low, its strokes through the box's corner and its
#: point below it, leaves a dot's trace in the box, and too light for ``RUN_DARK`` (a
#: probe beyond the set, ``--wider``: seeds 107 and 108, read as "no vote", sure). Once
#: is no stroke: of the 197 empty boxes with a trace in sharp pictures on seeds 2 to 4
#: of the realistic set, a third were crossed once (a ring touching the halo of the
#: box's own outline, or something beside it), and the only ones crossed twice or more
#: lay under a shadow's edge (in doubt already). The faint ink is a dip along the ring,
#: darker than the paper on both sides of it within ``VALLEY_MM``: what a shadow's edge
#: leaves on the flattened page is a step, dark on one side only, and no stroke (it
#: had sent a shadowed ranking of seed 1 to a person).
TRACE_LEAVES_DARK, TRACE_LEAVES, VALLEY_MM = 0.1, 2, 2.0


def leaves(
    page: np.ndarray,
    found: tuple[int, int, int, int],
    dark: float = RUN_DARK,
    valley: bool = False,
) -> int:
    """How often ink crosses each of the rings ``LEAVES_MM`` outside the box (darker than
    the paper by ``dark``; with ``valley``, darker than the paper on both sides of it
    along the ring, ``VALLEY_MM``): the smaller of the two counts. A ring that is ink
    all round (a box filled in past its outline) or that leaves the page counts 0."""
    x, y, w, h = found
    ring = round(1.5 * PX_PER_MM)
    around = page[max(0, y - ring) : y + h + ring, max(0, x - ring) : x + w + ring]
    paper = percentile(around, 90) or 1.0
    counts = []
    for distance in LEAVES_MM:
        d = round(distance * PX_PER_MM)
        x0, y0, x1, y1 = x - d, y - d, x + w + d, y + h + d
        if x0 < 0 or y0 < 0 or x1 >= page.shape[1] or y1 >= page.shape[0]:
            return 0
        across = np.arange(x0, x1)
        down = np.arange(y0, y1)
        xs = np.concatenate(
            [across, np.full(down.size, x1), across[::-1] + 1, np.full(down.size, x0)]
        )
        ys = np.concatenate(
            [np.full(across.size, y0), down, np.full(across.size, y1), down[::-1] + 1]
        )
        values = page[ys, xs].astype(np.float32)
        if valley:
            # The brightest paper before and after each point along the ring (it wraps).
            k = round(VALLEY_MM * PX_PER_MM)
            wrapped = np.concatenate([values[-k:], values, values[:k]])
            brightest = np.lib.stride_tricks.sliding_window_view(wrapped, k + 1).max(axis=1)
            base = np.maximum(np.minimum(brightest[: values.size], brightest[k:]), 1.0)
            ink = (base - values) / base > dark
        else:
            ink = (paper - values) / paper > dark
        if ink.all() or not ink.any():
            counts.append(0)
            continue
        ink = np.roll(ink, -int(np.argmin(ink)))  # start on paper: runs around the ring
        counts.append(int((ink[1:] & ~ink[:-1]).sum()))
    return min(counts)


def classify(
    strong: float,
    faint: float,
    low: float,
    span: float = 0.0,
    runs: float = 0.0,
    bend: float = 0.0,
    leaves: int = 0,
    stacked: bool = False,
) -> tuple[str, float]:
    """The box's state and how sure the reading is (0 … 1). ``span``, ``runs`` and
    ``stacked`` (``strokes``) tell a dot from a faint stroke and a mark from a scribble,
    as does ``leaves`` (the function of that name: a mark's strokes followed out of its
    box)."""
    if low >= FILLED_LOW:
        return "filled", min(1.0, 0.6 + (low - FILLED_LOW))
    if runs >= SCRIBBLED_RUNS and faint >= SCRIBBLED_FAINT:
        return "filled", 0.6
    if low >= DOUBTFUL_FILL:
        return "unsure", 0.4
    if runs >= SCRIBBLE_RUNS:
        return "unsure", 0.3
    if faint >= GREYED and strong < MARKED_STRONG:
        return "unsure", 0.3  # grey all over, nowhere pressed: shaded or scribbled out?
    if strong >= MARKED_STRONG or faint >= MARKED_FAINT:
        if leaves >= SCRIBBLE_LEAVES or stacked:
            # Strokes leaving the box all round, or lying one above the other, none
            # crossing: scribbled out?
            return "unsure", 0.3
        margin = max(strong / MARKED_STRONG, faint / MARKED_FAINT) - 1
        return "marked", min(1.0, 0.6 + margin / 2)
    if faint >= LIGHT_FAINT and span >= LIGHT_SPAN and runs <= 1 and bend >= LIGHT_BEND:
        return "marked", LIGHT_CONFIDENCE
    if strong <= EMPTY_STRONG and faint <= EMPTY_FAINT and span < TRACE_SPAN:
        margin = 1 - max(strong / EMPTY_STRONG, faint / EMPTY_FAINT, span / TRACE_SPAN)
        return "empty", min(1.0, 0.6 + margin / 2)
    return "unsure", 0.3


#: A page of black and white only (a scanner's "black and white" mode, a fax), even once
#: straightened (which greys the edges of what is black): at least this share of it pure
#: white, and at most this share grey. A photo or a grey scan has grain everywhere, so
#: its paper is never pure white for long.
BINARY_WHITE, BINARY_GREY = 0.5, 0.2
#: The confidence of an empty box where a light mark may have been lost: on a fold, or
#: with a trace of faint ink (``DOUBTFUL_EMPTY``: below one half, so that where no
#: answer was read the question goes to a person, ``answers.DOUBTFUL``); on a page that
#: can lose light ink without a trace, black and white, a photocopy or a picture with few pixels
#: (``LOST_EMPTY``: the question goes to a person unless every box of it is marked).
DOUBTFUL_EMPTY, LOST_EMPTY = 0.45, 0.4
#: A box read as empty that still has this share faintly inked (or any strong ink) holds
#: a trace: a stray dot, a speck, or what the picture left of a light tick.
TRACE = 0.005
#: A photo or scan with fewer pixels than this to a millimetre of paper (140 dpi: a
#: 1600 x 1200 photo of the whole page has about 5; an 8-megapixel one 9 or more; a 150 dpi
#: scan 5.9) is ``coarse``: it thinned light pencil ticks of the realistic set to nothing.
LOW_RESOLUTION = 5.5
#: With at least this many pixels to a millimetre (165 dpi; an 8-megapixel photo of the
#: page has 8 to 9), what is left of a light pencil tick still reaches across the box
#: (read as unsure, or as a light mark): a trace that stays within ``DOT_SPAN`` of the
#: box across is a stray dot or a speck, and the box is clearly empty. Below it (a 150
#: dpi scan), a light tick can thin to a dot's trace, and a lighter one than the realistic
#: set draws to nothing at all (a probe of seed 101): no empty box is clearly empty there
#: (``LOST_EMPTY``); and a trace that reaches further than a dot is not clearly a dot at
#: any resolution.
SHARP_RESOLUTION, DOT_SPAN = 6.5, 0.3
#: A trace reaching further across than this is no dot, dark core or not: a pen's stray
#: dots reached 0.39 of the box at most on the realistic set, what was left of a light
#: pencil tick on an 8-megapixel photo (its darkest pixels counting as pressed) 0.43.
DOT_SPAN_MAX = 0.4
#: The confidence of a mark in a soft picture (below ``SHARP_RESOLUTION``, or blurred:
#: ``SOFT_EDGE_MM``), where a scribble's strokes run together and a scribbled-out box
#: measures as a cross does (on 150 dpi scans of the realistic set, 7 of 37 did; on a
#: motion-blurred photo, once): less than a clear mark's (``CLEAR_MARK``), so that of
#: several marks in a multiple choice a person decides which count.
SOFT_MARK = 0.58
#: A mark read with at least this confidence is clearly a mark (``classify`` gives a
#: cross or a tick 0.6 and more; a light tick, ``LIGHT_CONFIDENCE``, less).
CLEAR_MARK = 0.6


#: A picture is sharp only where the printed boxes' outlines are: an outline's width,
#: as the ink across it over its darkest point (blur spreads a thin line and lowers its
#: darkest point, keeping its ink; a 0.3 mm outline of a photo in focus measures 0.35 to
#: 0.5 mm), the median over the page's boxes, the wider of across and down (motion
#: blurs one way). On the realistic set, photos and scans in focus measured 0.50 mm at
#: most, blurred and motion-blurred photos 0.49 to 1.06 mm; in those a light tick was
#: once smeared to a dot's trace. Wider than this, a picture is soft whatever its pixels
#: (``SHARP_RESOLUTION``).
SOFT_EDGE_MM = 0.52
#: How far either side of an outline its profile is taken (px of the straightened page).
EDGE_PX = 8


def locate_all(page: np.ndarray, layout_page: dict) -> list[tuple[dict, tuple, float]]:
    """Each box of the page's layout, where its outline was found and how clearly
    (``locate``)."""
    return [(box, *locate(page, box)) for box in layout_page["boxes"]]


def is_blurred(page: np.ndarray, located: list[tuple[dict, tuple, float]]) -> bool:
    """Whether the outlines of the boxes seen clearly (``locate_all``) are wider than a
    picture in focus leaves them (``SOFT_EDGE_MM``)."""
    clear = [where for _box, where, score in located if score >= CLEAR_MATCH]
    return edge_width(page, clear) > SOFT_EDGE_MM


def edge_width(page: np.ndarray, found: list[tuple[int, int, int, int]]) -> float:
    """How wide the box outlines ``found`` are on ``page`` (mm, ``SOFT_EDGE_MM``): 0.0
    when fewer than three could be measured (no box to read there, or none seen
    clearly)."""
    across, down = [], []
    for x, y, w, h in found:
        if x < EDGE_PX or y < EDGE_PX:
            continue
        columns = page[y + h // 4 : y + 3 * h // 4, x - EDGE_PX : x + EDGE_PX]
        rows = page[y - EDGE_PX : y + EDGE_PX, x + w // 4 : x + 3 * w // 4]
        for profile, into in ((columns.mean(axis=0), across), (rows.mean(axis=1), down)):
            paper, darkest = float(profile.max()), float(profile.min())
            if profile.size == 2 * EDGE_PX and paper - darkest >= 20:
                into.append(float((paper - profile).sum()) / (paper - darkest) / PX_PER_MM)
    if len(across) < 3 or len(down) < 3:
        return 0.0
    return max(float(np.median(across)), float(np.median(down)))


def _passes_by(page: np.ndarray, found: tuple[int, int, int, int]) -> bool:
    """Whether the ink of an empty box's trace runs on out of the box (``leaves``): a
    pressed stroke once, or a faint one across both rings ``TRACE_LEAVES`` times."""
    return (
        leaves(page, found) > 0
        or leaves(page, found, TRACE_LEAVES_DARK, valley=True) >= TRACE_LEAVES
    )


def _faded(strong: float, faint: float, sharp: bool = True) -> bool:
    """Whether an empty box's trace of ink may be what is left of a light mark: faint
    ink without a dark core (a pen's stray dot has one), ``TRACE`` of it at least in a
    sharp picture, any at all in one that is not (``SHARP_RESOLUTION``: on a 150 dpi scan
    a light pencil tick was once left as 0.0038 of its box)."""
    return strong == 0 and (faint >= TRACE if sharp else faint > 0)


#: What kind of picture a page came from, where that loses light ink without a trace
#: (``LOSES_INK``), blurs it (``blurred``: a light tick smeared to a trace, a scribble
#: like a cross), or thins it (``low_resolution``: fewer pixels than
#: ``SHARP_RESOLUTION``, a 150 dpi scan: a light tick thinned to a dot's trace, a
#: scribble's strokes run together), as ``capture_of`` names it: a teller is told, since
#: a better picture would read on its own.
LOSES_INK = ("black_white", "photocopy", "coarse")
CAPTURES = (*LOSES_INK, "blurred", "low_resolution")
#: Where a blank writing area is not clearly blank: where light ink can be gone, in a
#: blurred photo (a pencil line in an open answer was smeared to nothing, seed 40), and
#: in a picture with few pixels (as a light tick can be, ``read_boxes``).
LOSES_WRITING = (*LOSES_INK, "blurred", "low_resolution")


def capture_of(
    image: np.ndarray, flat: np.ndarray, resolution: float | None, blurred: bool = False
) -> str:
    """``black_white`` (a scanner's black-and-white mode: ``is_binary`` of the straightened
    page), ``photocopy`` (``is_copied`` of it flattened), ``coarse`` (fewer than
    ``LOW_RESOLUTION`` pixels to a mm of paper), ``blurred`` (when ``blurred``: its box
    outlines are, ``is_blurred``), ``low_resolution`` (fewer than ``SHARP_RESOLUTION``),
    or "" for a sharp picture that keeps a light mark: the picture that is soft for
    ``read_boxes`` is named."""
    if is_binary(image):
        return "black_white"
    if is_copied(flat):
        return "photocopy"
    if resolution is not None and resolution < LOW_RESOLUTION:
        return "coarse"
    if blurred:
        return "blurred"
    if resolution is not None and resolution < SHARP_RESOLUTION:
        return "low_resolution"
    return ""


def is_binary(page: np.ndarray) -> bool:
    """Whether the page was thresholded to black and white, where faint ink is lost
    rather than faint (every fourth pixel looked at: quick)."""
    sample = page[::4, ::4]
    white = float((sample == 255).mean())
    grey = float(((sample > 0) & (sample < 255)).mean())
    return white >= BINARY_WHITE and grey <= BINARY_GREY


#: A photocopy (of a photocopy) shows the copier's toner specks on blank paper, and its
#: contrast has turned light grey white: a light pencil tick can be gone without a trace.
#: Specks are counted in the side margins, where nothing is printed (strips ``COPY_MM``
#: from the edge, ``CREASE_CLEAR_MM`` clear of the corner markers): dots darker than
#: ``COPY_DARK`` of 2 to 40 px (a pen's stroke is larger). A photo of an original has
#: none or a few; two copies, a hundred and more. Toner falls anywhere across a strip;
#: dots lined up in one column ``COPY_COLUMN_MM`` wide are the broken edge of a curled
#: sheet or of the table beside it: a column counts ``COPY_LINED`` of its dots at most
#: (a copy with heavy toner has many in every column, and so still many in all).
COPY_MM, COPY_DARK, COPY_SPECKS = (2.0, 17.0), 0.4, 25
COPY_COLUMN_MM, COPY_LINED = 1.0, 6


def is_copied(flat: np.ndarray) -> bool:
    """Whether the flattened page (``flatten``) is a photocopy, by its toner specks."""
    lo, hi = (round(v * PX_PER_MM) for v in COPY_MM)
    clear = round(CREASE_CLEAR_MM * PX_PER_MM)
    column = max(1, round(COPY_COLUMN_MM * PX_PER_MM))
    count = 0
    for strip in (flat[clear:-clear, lo:hi], flat[clear:-clear, -hi:-lo]):
        dark = (strip < 255 * (1 - COPY_DARK)).astype(np.uint8)
        _n, _labels, stats, centres = cv2.connectedComponentsWithStats(dark, connectivity=8)
        areas = stats[1:, cv2.CC_STAT_AREA]
        specks = (areas >= 2) & (areas <= 40)
        columns = (centres[1:, 0][specks] // column).astype(int)
        per_column = np.bincount(columns) if columns.size else np.zeros(1, int)
        count += int(np.minimum(per_column, COPY_LINED).sum())
    return count >= COPY_SPECKS


#: The paper's own brightness under uneven light: a closing this wide (mm) wipes out every
#: stroke, outline, word and filled box, and keeps the edge of a hard shadow where it is.
PAPER_MM = 8


def paper_of(page: np.ndarray) -> np.ndarray:
    """The paper's own brightness around each pixel (a closing ``PAPER_MM`` wide, at full
    resolution: a closing keeps a straight edge exactly where it is, and a paper
    brightness worked out coarser would leave a dark seam along it)."""
    size = round(PAPER_MM * PX_PER_MM)
    return cv2.morphologyEx(page, cv2.MORPH_CLOSE, np.ones((size, size), np.uint8))


def flatten(page: np.ndarray, paper: np.ndarray | None = None) -> np.ndarray:
    """The page as if evenly lit: each pixel divided by the paper's brightness around it
    (``paper_of``, or ``paper`` when already worked out), so that a shadow's edge or the
    shading of a curled sheet across a box is not taken for ink."""
    if paper is None:
        paper = paper_of(page)
    # OpenCV's division gives 0 where the paper is 0 (a black border: black it stays).
    return cv2.divide(page, paper, scale=255)


#: A shadow's edge is a step in the paper's own brightness (``paper_of``): by at least
#: this share of the brighter side within ``SHADE_MM``. Uneven light and a curl's shading
#: change it by a few per cent a centimetre; a hard shadow by 35 to 55 % within a
#: millimetre or two. Where the edge is ragged (a hand's shadow, a jagged line in a
#: picture), the flattened page keeps a broken seam of faint dashes along it, which are no
#: ink beside a question (``read_stray``): within ``SHADE_NEAR_MM`` of such a step, ink
#: must be darker than the paper by ``SHADE_DARK`` (not ``STRAY_DARK``). On the realistic
#: set the seam's dashes were at most 0.18 dark; a note in light pencil written along a
#: shadow's edge (a probe beyond the set, ``--wider``: seed 105) was 0.28 dark at its
#: median, and when the strip was left out whole, it went unseen.
SHADE_STEP, SHADE_MM, SHADE_NEAR_MM, SHADE_DARK = 0.2, 2.0, 1.25, 0.22


def shade_edges(paper: np.ndarray) -> np.ndarray:
    """Where the paper's brightness (``paper_of``) steps, at half resolution (4 px/mm):
    a mask of the strip along each shadow's edge."""
    half = cv2.resize(
        paper, (paper.shape[1] // 2, paper.shape[0] // 2), interpolation=cv2.INTER_AREA
    )
    size = max(3, round(SHADE_MM * PX_PER_MM / 2) | 1)
    kernel = np.ones((size, size), np.uint8)
    high = cv2.dilate(half, kernel)
    low = cv2.erode(half, kernel)
    step = (cv2.subtract(high, low) > SHADE_STEP * high.astype(np.float32)).astype(np.uint8)
    near = max(1, round(SHADE_NEAR_MM * PX_PER_MM / 2))
    return cv2.dilate(step, np.ones((2 * near + 1, 2 * near + 1), np.uint8))


#: A fold across the sheet (a crease) shows as a dark line from edge to edge, which is no
#: ink. It is looked for in the margins, where nothing is printed: in strips this far from
#: the page's edge (mm; left and right for a fold across, top and bottom for one down),
#: away from the corner markers (``CREASE_CLEAR_MM`` from the top and bottom edges) ...
CREASE_STRIP_MM, CREASE_CLEAR_MM = (2.5, 7.0), 30.0
#: A fold down the page is looked for this far from its left and right edges (mm): the
#: page's own edge, and the table beside it, are no fold.
CREASE_EDGE_MM = 10.0
#: ... as a line darker than this against the paper (a pen's stroke in the margin is too,
#: but does not go on across the page) ...
CREASE_DARK = 0.1
#: ... that slants at most this much (a fold runs nearly square to the page's edges) ...
CREASE_SLANT = 0.06
#: ... and is that dark along most of its way across (the median of its darkness, the
#: darkest within half a millimetre either side of the line).
CREASE_ALONG = 0.08
#: A fold is whitened out this wide (mm) before the boxes and the writing are read (its
#: ridge and the shading beside it; what a pen wrote across it mostly stays). Two folds
#: found within ``CREASE_APART_MM`` are one.
CREASE_ERASE_MM, CREASE_APART_MM = 1.6, 4.0


def find_creases(flat: np.ndarray) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Folds across the flattened page (``flatten``), each as its two ends (px)."""
    height, width = flat.shape
    lo, hi = (round(v * PX_PER_MM) for v in CREASE_STRIP_MM)
    clear = round(CREASE_CLEAR_MM * PX_PER_MM)
    found = []

    def darkness(strip: np.ndarray, axis: int) -> np.ndarray:
        return 1.0 - strip.mean(axis=axis, dtype=np.float32) / 255.0

    # Across: peaks in the left and the right margins; down: in the top and the bottom.
    edge = round(CREASE_EDGE_MM * PX_PER_MM)
    for first, second, length, across in (
        (
            darkness(flat[clear:-clear, lo:hi], 1),
            darkness(flat[clear:-clear, -hi:-lo], 1),
            width,
            True,
        ),
        (
            darkness(flat[lo:hi, edge:-edge], 0),
            darkness(flat[-hi:-lo, edge:-edge], 0),
            height,
            False,
        ),
    ):
        offset = clear if across else edge
        reach = CREASE_SLANT * length
        candidates = []
        for a in _peaks(first):
            for b in _peaks(second):
                if abs(a - b) > reach:
                    continue
                ends = (
                    ((0, a + offset), (width - 1, b + offset))
                    if across
                    else ((a + offset, 0), (b + offset, height - 1))
                )
                along = _darkness_along(flat, *ends)
                if along >= CREASE_ALONG:
                    candidates.append((along, a, b, ends))
        # The darkest pairings first; each margin's line belongs to one fold only (a note
        # in the margin beside a fold would otherwise pair with the fold's other end).
        used: set[tuple[int, int]] = set()
        for _along, a, b, ends in sorted(candidates, reverse=True):
            if (0, a) in used or (1, b) in used:
                continue
            if any(_near(ends, other, CREASE_APART_MM * PX_PER_MM) for other in found):
                continue
            used |= {(0, a), (1, b)}
            found.append(ends)
    return found


def _near(line, other, within: float) -> bool:
    """Whether two folds' ends lie within ``within`` px of each other."""
    return all(
        np.hypot(a[0] - b[0], a[1] - b[1]) <= within for a, b in zip(line, other, strict=True)
    )


def _peaks(profile: np.ndarray) -> list[int]:
    """Where a margin's darkness profile has a narrow dark line (px along the profile)."""
    window = round(2 * PX_PER_MM)
    smooth = cv2.blur(profile.astype(np.float32).reshape(1, -1), (3, 1)).ravel()
    local = cv2.dilate(smooth.reshape(1, -1), np.ones((1, 2 * window + 1), np.uint8)).ravel()
    return [int(i) for i in np.flatnonzero((smooth >= CREASE_DARK) & (smooth >= local))]


def _darkness_along(flat: np.ndarray, start: tuple[int, int], end: tuple[int, int]) -> float:
    """The median darkness along a line across the flattened page (one sample a
    millimetre; at each, the darkest pixel within half a millimetre)."""
    steps = max(2, round(np.hypot(end[0] - start[0], end[1] - start[1]) / PX_PER_MM))
    xs = np.linspace(start[0], end[0], steps).round().astype(int)
    ys = np.linspace(start[1], end[1], steps).round().astype(int)
    near = PX_PER_MM // 2
    height, width = flat.shape
    darkest = [
        int(flat[max(0, y - near) : y + near + 1, max(0, x - near) : x + near + 1].min())
        for x, y in zip(xs.clip(0, width - 1), ys.clip(0, height - 1), strict=True)
    ]
    return 1.0 - float(np.median(darkest)) / 255.0


def erase_creases(flat: np.ndarray, creases) -> np.ndarray:
    """The flattened page with its folds whitened out."""
    if not creases:
        return flat
    flat = flat.copy()
    thickness = round(CREASE_ERASE_MM * PX_PER_MM)
    for start, end in creases:
        cv2.line(flat, start, end, 255, thickness)
    return flat


def _on_crease(found: tuple[int, int, int, int], creases) -> bool:
    """Whether a fold crosses the box at ``found``."""
    x, y, w, h = found
    for (x0, y0), (x1, y1) in creases:
        if abs(x1 - x0) >= abs(y1 - y0):  # across: the fold's height at the box's middle
            at = y0 + (y1 - y0) * (x + w / 2 - x0) / max(1, x1 - x0)
            if y - PX_PER_MM <= at <= y + h + PX_PER_MM:
                return True
        else:
            at = x0 + (x1 - x0) * (y + h / 2 - y0) / max(1, y1 - y0)
            if x - PX_PER_MM <= at <= x + w + PX_PER_MM:
                return True
    return False


#: A box whose outline matched less clearly than this is placed by its neighbours.
CLEAR_MATCH = 0.5


def read_boxes(
    page: np.ndarray,
    layout_page: dict,
    lossy: bool | None = None,
    creases: list[tuple[tuple[int, int], tuple[int, int]]] = (),
    resolution: float | None = None,
    located: list[tuple[dict, tuple, float]] | None = None,
    blurred: bool | None = None,
) -> list[Box]:
    """Every box of one page of the layout, read. A box whose outline could not be seen
    clearly (filled in, crossed heavily) is placed where the layout has it, moved by the
    median offset of the boxes that were seen clearly. ``lossy``: whether the page loses
    light ink (black and white before it was flattened, ``is_binary``, looked at when
    not given; or a photocopy, ``is_copied``);
    ``creases``: folds whitened out of the page (``find_creases``), under which a light
    mark may have gone with the fold, so that a box on one is not clearly empty;
    ``resolution``: the picture's pixels per mm of paper (``LOW_RESOLUTION``);
    ``located``: ``locate_all`` of the page, when already done; ``blurred``: whether the
    picture is (``is_blurred``, looked at when not given). A picture is sharp with
    ``SHARP_RESOLUTION`` and not blurred; else it is soft."""
    located = locate_all(page, layout_page) if located is None else located
    lossy = is_binary(page) if lossy is None else lossy
    thin = resolution is not None and resolution < SHARP_RESOLUTION
    blurred = is_blurred(page, located) if blurred is None else blurred
    sharp = resolution is not None and resolution >= SHARP_RESOLUTION and not blurred
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
        span, runs, bend, stacked = strokes(page, where)
        state, confidence = classify(strong, faint, low, span, runs, bend)
        left = 0
        if state == "marked" and confidence > LIGHT_CONFIDENCE:
            # Only a mark's strokes are followed out of the box (quick: few boxes).
            left = leaves(page, where)
            state, confidence = classify(strong, faint, low, span, runs, bend, left, stacked)
        if state == "marked" and (
            (resolution is not None and not sharp) or _on_crease(where, creases)
        ):
            # Strokes run together: a scribbled-out box can look like a cross; a fold
            # whitened out across a box filled in leaves it looking like a mark.
            confidence = min(confidence, SOFT_MARK)
        if state == "empty" and (lossy or thin):
            # Black and white: a light tick may have fallen under the scanner's threshold
            # without a trace (a copier's contrast does the same, and a picture with few
            # pixels, a 150 dpi scan, can thin it to nothing). No empty box is clearly
            # empty.
            confidence = min(confidence, LOST_EMPTY)
        elif state == "empty" and (
            _on_crease(where, creases)
            or (_faded(strong, faint, sharp) and not (sharp and span <= DOT_SPAN))
            or span > DOT_SPAN_MAX
            or ((strong > 0 or faint > 0) and _passes_by(page, where))
        ):
            # On a fold, a light tick may have been whitened out with the fold; a trace
            # of faint ink may be what is left of one, unless it is a dot in a sharp
            # picture; a trace longer than any dot is not one; ink in the box that runs
            # on out of it is a stroke, not a dot (a large tick through the box's
            # corner, pressed or light). Not clearly empty.
            confidence = min(confidence, DOUBTFUL_EMPTY)
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
                round(span, 3),
                runs,
                round(bend, 3),
                left,
                stacked,
            )
        )
    return found


#: Handwriting in a writing area: this many pixels of pen strokes (blobs of at least
#: ``STROKE_PX``) once the printed ruled lines are taken out: 1 mm² of ink. Set low on
#: purpose: text the reader missed would be lost without anyone seeing it, text it sees
#: goes to a person, who types it. Blank areas measured 0 pixels; a written "Ja" 518.
WRITTEN_PX, STROKE_PX = 64, 20
#: A writing area's ruled lines are found and taken out in strips this wide (mm).
LINE_STRIP_MM = 16
#: Darkness counted as writing: low enough for a light pencil line (a grey of about 175
#: on white paper, thinned by the camera's blur).
WRITING_DARK = 0.2


@dataclass(frozen=True)
class Area:
    """A writing area (an open answer, an own statement): whether anything is written in
    it. The reader does not read handwriting; a person types what the crop shows."""

    key: dict  # question, kind ("text" or "proposal"; "stray": ink beside the boxes)
    written: bool
    ink: float
    found: tuple[int, int, int, int]
    #: How sure "nothing written" is: ``LOST_EMPTY`` for a blank writing area on a page
    #: that can lose light ink without a trace (a pencil line can be gone there).
    confidence: float = 1.0


def read_areas(
    page: np.ndarray,
    layout_page: dict,
    boxes: list[Box] | None = None,
    lost: bool = False,
    shade: np.ndarray | None = None,
) -> list[Area]:
    """Every writing area of one page of the layout: is something written in it? And,
    for each question with boxes on the page, an area of kind ``stray``: ink around the
    question that is in none of its boxes (``read_stray``; ``boxes``, the page's boxes as
    ``read_boxes`` found them, place what is printed more exactly). ``lost``: the page
    can lose light ink without a trace (black and white, a photocopy, a picture with few pixels),
    so a blank writing area is not clearly blank. ``shade``: the strips along the edges of
    shadows (``shade_edges``), where ink beside the boxes must be ``SHADE_DARK``."""
    return _writing_areas(page, layout_page, lost) + read_stray(page, layout_page, boxes, shade)


def _writing_areas(page: np.ndarray, layout_page: dict, lost: bool = False) -> list[Area]:
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
        confidence = LOST_EMPTY if lost and not written else 1.0
        found.append(Area(key, written, round(ink, 5), (x, y, w, h), confidence))
    return found


def _handwriting(inside: np.ndarray, lines: list[int]) -> float:
    """The share of ``inside`` inked by hand: darker than ``WRITING_DARK`` against the paper nearby,
    less the printed ruled lines. ``lines``: the rows where the layout has them; each is
    looked for within 1.5 mm (the page is never straightened to the pixel), strip by
    strip (``LINE_STRIP_MM``), and taken out with a pixel or three either side."""
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
    reach = round(SEARCH_MM * PX_PER_MM)
    # Looked for in strips across the area, so that a line still a little bowed (a curl
    # not quite undone) is taken out where it runs in each.
    strip = round(LINE_STRIP_MM * PX_PER_MM)
    for start in range(0, dark.shape[1], strip):
        rows = darkness[:, start : start + strip].mean(axis=1)
        for expected in lines:
            low, high = max(0, expected - reach), min(len(rows), expected + reach + 1)
            if low >= high:
                continue
            found = low + int(np.argmax(rows[low:high]))
            dark[max(0, found - 3) : found + 4, start : start + strip] = False
    # Specks of camera grain or dust are single pixels; a pen stroke is a blob.
    _count, _labels, stats, _centres = cv2.connectedComponentsWithStats(
        dark.astype(np.uint8), connectivity=8
    )
    inked = sum(int(a) for a in stats[1:, cv2.CC_STAT_AREA] if a >= STROKE_PX)
    return inked / dark.size


#: Ink beside the boxes (a circled option label, a note in the margin, a mark between
#: rows): pixels darker than this against the paper nearby (a "??" in light pencil beside
#: a question, blurred or photographed at an angle, is 0.2 to 0.4 dark; at 0.2 half its
#: strokes were lost and it went unseen) ...
STRAY_DARK = 0.12
#: ... in blobs of at least this many pixels (0.6 mm²: a photocopier's toner specks and
#: a pen's stray dot are smaller), this many in all (2.5 mm²), outside everything
#: printed. A circle around a label or a word in the margin has five times that.
STRAY_BLOB_PX, STRAY_PX = 40, 160
#: What is printed is masked this far around (mm): a box (a cross may overshoot it), a
#: text (its place on the straightened page, unwarped and moved with its question's
#: boxes, is right to half a millimetre; a circle drawn tight around a label must still
#: show), a line.
BOX_PAD, TEXT_PAD, LINE_PAD = 2.0, 0.5, 1.2
#: A stroke that goes on into a box is that box's mark overshooting it, not ink beside
#: the boxes, as far as this from the box's outline (mm; a cross or tick of the
#: realistic set, drawn up to 1.8 times its box, reaches less far out of it). Beyond,
#: the same stroke is ink beside the boxes: in a blurred photo a circle drawn round a
#: label runs together with the box's outline beside it, and so into the box (a probe
#: beyond the set, ``--wider``: seed 116, its code typed; read as "no answer", sure).
OVERSHOOT_MM = 5.0
#: Where questions are looked at: from the page's edge (mm), between the top of the
#: questions (below the QR code and the sheet code) and the bottom corner markers
#: (above the receipt strip and the footer).
EDGE_MM, BAND_TOP_MM, BAND_BOTTOM_MM = 2.0, 45.0, 269.5
#: A question's band starts this far above its first box (its heading and hint) when
#: no other question is above it on the page, and ends this far below its last.
HEAD_MM, TAIL_MM = 10.0, 12.0
#: A point of type in mm, and the parts of a text's size above and below its baseline.
PT_MM, ASCENT, DESCENT = 25.4 / 72, 0.8, 0.25


def _bands(layout_page: dict) -> list[tuple[int, float, float]]:
    """Each question's band of the page (question, top, bottom in mm): from where the
    question above it ends (or its heading) to where the next one begins. Questions are
    printed one below the other, so the bands split the page between them."""
    extent: dict[int, list[float]] = {}
    for item in layout_page["boxes"] + layout_page["areas"]:
        top, bottom = item["y"], item["y"] + item["h"]
        low, high = extent.get(item["question"], (top, bottom))
        extent[item["question"]] = [min(low, top), max(high, bottom)]
    ordered = sorted(extent.items(), key=lambda item: item[1][0])
    bands = []
    for index, (question, (top, bottom)) in enumerate(ordered):
        above = ordered[index - 1][1][1] + 0.5 if index else top - HEAD_MM
        below = ordered[index + 1][1][0] - HEAD_MM if index + 1 < len(ordered) else bottom + TAIL_MM
        start = max(BAND_TOP_MM, min(above, top - 1.0))
        end = min(BAND_BOTTOM_MM, max(below, bottom + 1.0))
        bands.append((question, start, end))
    return bands


def _printed(layout_page: dict, shape: tuple[int, int]) -> np.ndarray:
    """Everything the layout prints in the question's part of the page, as a mask at
    ``PX_PER_MM``, padded for where the straightened page is not exact."""
    from printables import fonts  # the printed texts' widths: the form's own fonts

    mask = np.zeros(shape, np.uint8)

    def cover(x0: float, y0: float, x1: float, y1: float, pad: float) -> None:
        cv2.rectangle(
            mask,
            (round((x0 - pad) * PX_PER_MM), round((y0 - pad) * PX_PER_MM)),
            (round((x1 + pad) * PX_PER_MM), round((y1 + pad) * PX_PER_MM)),
            255,
            -1,
        )

    for box in layout_page["boxes"]:
        cover(box["x"], box["y"], box["x"] + box["w"], box["y"] + box["h"], BOX_PAD)
    for area in layout_page["areas"]:
        cover(area["x"], area["y"], area["x"] + area["w"], area["y"] + area["h"], LINE_PAD)
    for line in layout_page.get("lines", []):
        cover(line["x"], line["y"], line["x"] + line["w"], line["y"] + line["h"], LINE_PAD)
    for text in layout_page["texts"]:
        width = fonts.width_mm(text["text"], text["size"], text["bold"])
        left = {"left": 0.0, "center": width / 2, "right": width}[text["align"]]
        x, y, size = text["x"] - left, text["y"], text["size"] * PT_MM
        cover(x, y - size * ASCENT, x + width, y + size * DESCENT, TEXT_PAD)
    return mask


def read_stray(
    page: np.ndarray,
    layout_page: dict,
    boxes: list[Box] | None = None,
    shade: np.ndarray | None = None,
) -> list[Area]:
    """For each question on the page, ink in its band that is in none of its boxes or
    writing areas and is not printed: a circled label, a note in the margin, a mark
    beside a box. Such a question is a person's to read (``stray_ink``), never "no
    answer". Looked at in half the resolution (quick; a pen stroke is still a blob).
    With the page's ``boxes`` as found, what is printed in a question's band is moved by
    how far its boxes were found from their place (a curled page is off by millimetres).
    ``shade`` (``shade_edges``, at half resolution): the strips along shadows' edges,
    where ink must be darker than the seam a ragged edge leaves (``SHADE_DARK``)."""
    half = cv2.resize(page, (page.shape[1] // 2, page.shape[0] // 2), interpolation=cv2.INTER_AREA)
    printed = _printed(layout_page, page.shape[:2])[::2, ::2][: half.shape[0], : half.shape[1]]
    inside = _insides(layout_page, page.shape[:2])[::2, ::2][: half.shape[0], : half.shape[1]]
    near = _near_boxes(inside)
    shifts = _shifts(layout_page, boxes)
    found = []
    scale = PX_PER_MM / 2
    left, right = round(EDGE_MM * scale), half.shape[1] - round(EDGE_MM * scale)
    for question, top_mm, bottom_mm in _bands(layout_page):
        top, bottom = round(top_mm * scale), round(bottom_mm * scale)
        band = half[top:bottom, left:right]
        if band.shape[0] < 8 or band.shape[1] < 8:
            continue
        dx, dy = (round(v / 2) for v in shifts.get(question, (0, 0)))
        mask = np.roll(printed, (dy, dx), axis=(0, 1))[top:bottom, left:right]
        boxes_inside = np.roll(inside, (dy, dx), axis=(0, 1))[top:bottom, left:right]
        boxes_near = np.roll(near, (dy, dx), axis=(0, 1))[top:bottom, left:right]
        edges = None if shade is None else shade[top:bottom, left:right]
        ink = 4 * _stray(band, mask, boxes_inside, edges, boxes_near)  # full-resolution pixels
        key = {"question": question, "kind": "stray"}
        where = (2 * left, 2 * top, 2 * (right - left), 2 * (bottom - top))
        found.append(Area(key, ink >= STRAY_PX, round(ink / (4 * band.size), 5), where))
    return found


def _shifts(layout_page: dict, boxes: list[Box] | None) -> dict[int, tuple[float, float]]:
    """Per question, the median offset (px) of its boxes as found from the layout."""
    if not boxes or len(boxes) != len(layout_page["boxes"]):
        return {}
    offsets: dict[int, list[tuple[int, int]]] = {}
    for box, read in zip(layout_page["boxes"], boxes, strict=True):
        offsets.setdefault(box["question"], []).append(
            (
                read.found[0] - round(box["x"] * PX_PER_MM),
                read.found[1] - round(box["y"] * PX_PER_MM),
            )
        )
    return {
        question: (float(np.median([o[0] for o in own])), float(np.median([o[1] for o in own])))
        for question, own in offsets.items()
    }


def _insides(layout_page: dict, shape: tuple[int, int]) -> np.ndarray:
    """The insides of the page's boxes (``INSET_MM`` in from the outline), as a mask."""
    mask = np.zeros(shape, np.uint8)
    for box in layout_page["boxes"]:
        x0, y0 = box["x"] + INSET_MM, box["y"] + INSET_MM
        x1, y1 = box["x"] + box["w"] - INSET_MM, box["y"] + box["h"] - INSET_MM
        cv2.rectangle(
            mask,
            (round(x0 * PX_PER_MM), round(y0 * PX_PER_MM)),
            (round(x1 * PX_PER_MM), round(y1 * PX_PER_MM)),
            255,
            -1,
        )
    return mask


def _near_boxes(insides: np.ndarray) -> np.ndarray:
    """Where a box's mark may overshoot it (``OVERSHOOT_MM`` from its outline), from the
    boxes' ``insides`` (at 4 px/mm)."""
    reach = round((INSET_MM + OVERSHOOT_MM) * PX_PER_MM / 2)
    return cv2.dilate(insides, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))


def _stray(
    band: np.ndarray,
    printed: np.ndarray,
    insides: np.ndarray | None = None,
    shade: np.ndarray | None = None,
    near: np.ndarray | None = None,
) -> int:
    """Pixels of ink in ``band`` (at 4 px/mm) outside ``printed``, in blobs of a pen
    stroke's size. A dark line that runs from one side of the band to the other (a
    crease, a shadow's edge, the paper's edge) is no ink, nor is what it touches, nor
    what runs down the band's left or right end (the paper's edge); nor is a stroke that
    goes on into a box (``insides``), near it (``near``, ``_near_boxes`` of them): a tick
    or cross overshooting its box is its mark; nor the faint seam along a shadow's edge
    (``shade``: there ink must be ``SHADE_DARK``)."""
    # The paper's brightness nearby: a closing wipes out strokes and print (4 mm), and
    # keeps the edge of a shadow where it is.
    height, width = band.shape
    paper = cv2.morphologyEx(band, cv2.MORPH_CLOSE, np.ones((16, 16), np.uint8))
    # Darker than the paper by STRAY_DARK of its brightness (in OpenCV: quick).
    dark = cv2.compare(band, cv2.convertScaleAbs(paper, alpha=1 - STRAY_DARK), cv2.CMP_LT)
    dark = (dark > 0).astype(np.uint8)
    # Most bands have no ink outside the print at all: nothing more to look at.
    if 4 * cv2.countNonZero(cv2.bitwise_and(dark, dark, mask=cv2.bitwise_not(printed))) < STRAY_PX:
        return 0
    _count, labels, stats, _centres = cv2.connectedComponentsWithStats(dark, connectivity=8)
    across = (stats[:, cv2.CC_STAT_WIDTH] >= width - 2) | (
        (stats[:, cv2.CC_STAT_TOP] <= 1)
        & (stats[:, cv2.CC_STAT_TOP] + stats[:, cv2.CC_STAT_HEIGHT] >= height - 1)
    )
    # Nor is what runs down the band's left or right end: the page's own edge (a curled
    # sheet's edge moves in by millimetres) and the table beside it (a note in the
    # margin is shorter).
    sides = (
        (stats[:, cv2.CC_STAT_LEFT] <= 1)
        | (stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH] >= width - 1)
    ) & (stats[:, cv2.CC_STAT_HEIGHT] >= height // 2)
    across |= sides
    across[0] = True
    if insides is not None:
        # What goes on into a box is its mark near it; further out, the same stroke is
        # ink beside the boxes (a circle round a label, run together with the outline).
        into = np.zeros(across.shape, bool)
        into[np.unique(labels[insides > 0])] = True
        near = _near_boxes(insides) if near is None else near
        dark[into[labels] & (near > 0)] = 0
    dark[across[labels]] = 0
    dark[printed > 0] = 0
    # Only then the strips along shadows' edges, where only ink darker than the seam a
    # ragged edge leaves counts: a line that runs across the band, or down its end, is
    # gone whole, not cut into pieces that no longer do.
    if shade is not None and shade.shape == dark.shape:
        deep = cv2.compare(band, cv2.convertScaleAbs(paper, alpha=1 - SHADE_DARK), cv2.CMP_LT)
        dark[(shade > 0) & (deep == 0)] = 0
    _count, _labels, stats, _centres = cv2.connectedComponentsWithStats(dark, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    return int(areas[areas * 4 >= STRAY_BLOB_PX].sum())
