"""Forms filled in and photographed the way people really do it, for ``bench.reading
--realistic``: a generator kept apart from the reader's own ``reading.synthetic`` (whose
marks and photos set the reader's thresholds), so that the reader is measured on what it
was not tuned on.

A sheet is made in three steps, all repeatable from one seed (numpy, OpenCV, Pillow):

1. ``fill_sheet``: what a person writes on the form and what a careful teller would
   decide from it, per question: the answer (in a teller entry's shape, as
   ``synthetic.fill_in`` gives it) and whether a person *must* look (``review``).
   Marks: crosses and ticks from small inside the box to overshooting it, light pencil
   ticks, filled-in corrections (the printed rule: a filled box is taken back),
   scribbled-out boxes (taken back too; the right answer or review are both fine),
   circled option labels with no ink in the box, stray dots, two marks in a single
   choice, handwritten budget digits, a pencil line or words in a writing area and a
   note in the margin (all of these: review).
2. ``draw``: the marks with an ink model (ballpoint: thin, pressure varying along the
   stroke; felt-tip: thick and dark; pencil: grey and grainy) on the printed page.
3. ``capture``: the page as a camera or a scanner gives it, with one named
   ``DEGRADATIONS`` fault per sheet on top of mild defaults (a slight turn and tilt,
   uneven light, sensor noise, JPEG).

A "silent error" is a question the reader calls sure whose answer differs from the
expected one, or that it calls sure where review is required.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import cv2
import numpy as np

from sessions_app.reading.synthetic import box_key

#: One named fault per sheet (``capture``); the bench tabulates by these.
DEGRADATIONS = (
    "clean",
    "perspective",
    "rotated_90",
    "rotated_180",
    "shadow",
    "crease",
    "curl",
    "jpeg_low",
    "photo_1600",
    "photo_4032",
    "blur",
    "motion_blur",
    "thumb",
    "clutter",
    "photocopy",
    "scan_150",
    "scan_300",
    "scan_bw",
)
#: Pens a person fills a whole sheet with (weights), and the light pencil of a single mark.
INKS = {"ballpoint": 6, "felt_tip": 2, "pencil": 2}
#: Questions with a mark a careful teller must look at; every other trick has a clear
#: answer (a filled or scribbled box taken back, a stray dot, a light tick).
REVIEW_TRICKS = (
    "circled_label",
    "two_marks",
    "digits",
    "writing_line",
    "writing_words",
    "margin_note",
)
#: The share of sheets with one of ``REVIEW_TRICKS`` (the rest can be accepted whole).
REVIEW_SHARE = 0.2


@dataclass(frozen=True)
class Ranges:
    """What the set's values are drawn from: a mark's size (a share of its box), the
    grey of light pencil, a photo's blur (px; the ``blur`` fault's in mm of paper),
    motion blur (mm), JPEG quality (the ``jpeg_low`` fault's, and every other photo's),
    and a scanner's blur (px)."""

    mark_size: tuple[float, float] = (0.45, 1.45)
    light_pencil: tuple[float, float] = (140, 175)
    focus: tuple[float, float] = (0.3, 0.9)
    blur_mm: tuple[float, float] = (0.12, 0.3)
    motion_mm: tuple[float, float] = (0.5, 1.1)
    jpeg_low: tuple[int, int] = (40, 70)
    jpeg: tuple[int, int] = (75, 92)
    scan_blur: float = 0.5


#: The set's own ranges.
SET = Ranges()
#: A probe beyond them (``bench.reading --realistic --wider``): the same faults and marks,
#: drawn from ranges the independent set may reach and this one does not. Blur and
#: motion blur up to 1.6 times as strong, JPEG quality up to 15 points lower (the
#: ``jpeg_low`` fault down to 25), marks a quarter smaller or larger, light pencil
#: lighter, scans softer.
WIDER = Ranges(
    mark_size=(0.34, 1.81),
    light_pencil=(150, 190),
    focus=(0.3, 1.44),
    blur_mm=(0.12, 0.48),
    motion_mm=(0.5, 1.76),
    jpeg_low=(25, 70),
    jpeg=(60, 92),
    scan_blur=0.8,
)

#: The default photo: an 8-megapixel phone held upright.
PHOTO_SIZE = (2448, 3264)
MM_PER_INCH = 25.4
PT = MM_PER_INCH / 72


@dataclass
class Mark:
    """One thing written on the page: ``kind`` (cross, tick, fill, scribble, dot, circle,
    digits, line, words, note), where (``target``: a layout box or area, or a point and
    size in mm) and with which ink; ``size``: a cross's or tick's span over the box side."""

    page: int
    kind: str
    target: dict
    ink: str
    size: float = 1.0
    text: str = ""


@dataclass
class Filled:
    """A filled-in sheet: its marks, and per question what a careful teller decides
    (``truth``: ``{"answer", "review", "tricks"}``) and per box which readings are right
    (``boxes``: box key → set of states)."""

    marks: list[Mark] = field(default_factory=list)
    truth: dict[int, dict] = field(default_factory=dict)
    boxes: dict[tuple, set] = field(default_factory=dict)
    ink: str = "ballpoint"
    #: Per page, the random state its marks were drawn with (``retake`` draws them again).
    drawn: list = field(default_factory=list)


def sheet_rng(seed: int, index: int) -> random.Random:
    """The sheet's own random stream: a sheet is the same whatever else is generated."""
    return random.Random(f"realistic-{seed}-{index}")


def degradation_of(index: int) -> str:
    """Sheets take the faults in turn, so that every fault has its share of a run."""
    return DEGRADATIONS[index % len(DEGRADATIONS)]


# --- 1. What a person writes, and what a teller decides --------------------------------


def fill_sheet(
    rng: random.Random, questions: list[dict], layout: dict, ranges: Ranges = SET
) -> Filled:
    """A form filled in at random, as ``questions`` (``demo.fill_in_rows``) and ``layout``
    have it. At most one question gets a trick that needs a person (on
    ``REVIEW_SHARE`` of the sheets). Marks' sizes are drawn from ``ranges``."""
    where = {}
    for page in layout["pages"]:
        for box in page["boxes"]:
            where[box_key(box)] = (page["number"], box)
    areas = {
        (a["question"], a["kind"]): (p["number"], a) for p in layout["pages"] for a in p["areas"]
    }
    filled = Filled(ink=rng.choices(list(INKS), weights=list(INKS.values()))[0])
    trick_for = {}
    if rng.random() < REVIEW_SHARE:
        candidates = [(q["id"], t) for q in questions for t in _review_tricks(q, areas)]
        if candidates:
            question, trick = rng.choice(candidates)
            trick_for[question] = trick
    for question in questions:
        trick = trick_for.get(question["id"])
        _fill_question(rng, filled, question, where, areas, layout, trick, ranges)
    for key, (page, box) in where.items():
        if key not in filled.boxes:
            filled.boxes[key] = {"empty"}
            if "digit" not in box and rng.random() < 0.03:
                filled.marks.append(Mark(page, "dot", box, filled.ink))
                filled.truth.setdefault(key[0], {"answer": None, "review": False, "tricks": []})
                filled.truth[key[0]]["tricks"].append("dot")
    return filled


def _review_tricks(question: dict, areas: dict) -> list[str]:
    kind = question["kind"]
    tricks = ["margin_note"]
    if kind in ("single_choice", "multiple_choice", "scale"):
        tricks.append("circled_label")
    if kind in ("single_choice", "scale"):
        tricks.append("two_marks")
    if kind == "budget":
        tricks.append("digits")
    if (question["id"], "text") in areas:
        tricks += ["writing_line", "writing_words"]
    return tricks


def _pen(rng: random.Random, ink: str, ranges: Ranges = SET) -> tuple[str, str, float]:
    """A mark as people make them: a cross or a tick, from small inside the box to
    overshooting it; one in ten in light pencil."""
    kind = rng.choices(["cross", "tick"], weights=[3, 2])[0]
    if rng.random() < 0.1:
        ink = "light_pencil"
    return kind, ink, rng.uniform(*ranges.mark_size)


def _fill_question(rng, filled, question, where, areas, layout, trick, ranges=SET) -> None:
    qid, kind, options = question["id"], question["kind"], question["options"]
    truth = {"answer": None, "review": False, "tricks": []}
    filled.truth[qid] = truth

    def mark(key: tuple, expected: set, how: tuple | None = None) -> None:
        page, box = where[key]
        pen, ink, size = how or _pen(rng, filled.ink, ranges)
        filled.marks.append(Mark(page, pen, box, ink, size))
        filled.boxes[key] = expected
        truth["tricks"].append("light_pencil" if ink == "light_pencil" else pen)
        if size < 0.65:
            truth["tricks"].append("small")
        elif size > 1.15:
            truth["tricks"].append("overshoot")

    def take_back(key: tuple) -> None:
        """A box taken back: filled in (the printed rule) or scribbled out."""
        page, box = where[key]
        if rng.random() < 0.6:
            filled.marks.append(Mark(page, "fill", box, filled.ink))
            filled.boxes[key] = {"filled"}
            truth["tricks"].append("correction")
        else:
            filled.marks.append(Mark(page, "scribble", box, filled.ink))
            filled.boxes[key] = {"filled", "unsure"}
            truth["tricks"].append("scribble")

    if kind in ("single_choice", "scale"):
        keys = (
            [(qid, "option", o) for o in options]
            if kind == "single_choice"
            else [
                (qid, "value", v) for v in range(question["scale_min"], question["scale_max"] + 1)
            ]
        )
        name = "option" if kind == "single_choice" else "value"
        if trick == "circled_label":
            _circle(rng, filled, where[rng.choice(keys)], layout)
            truth.update(review=True)
            truth["tricks"].append("circled_label")
        elif trick == "two_marks":
            for key in rng.sample(keys, 2):
                mark(key, {"marked"})
            truth.update(review=True)
            truth["tricks"].append("two_marks")
        elif rng.random() < 0.06:
            pass  # left blank: no answer, and sure
        else:
            chosen = rng.choice(keys)
            if rng.random() < 0.25:
                take_back(rng.choice([k for k in keys if k != chosen]))
            mark(chosen, {"marked"})
            truth["answer"] = {name: chosen[2]}
    elif kind == "multiple_choice":
        keys = [(qid, "option", o) for o in options]
        if trick == "circled_label":
            _circle(rng, filled, where[rng.choice(keys)], layout)
            truth.update(review=True)
            truth["tricks"].append("circled_label")
        else:
            chosen = sorted(rng.sample(keys, rng.randint(1, question["max_choices"] or 1)))
            if rng.random() < 0.15:
                take_back(rng.choice([k for k in keys if k not in chosen]))
            for key in chosen:
                mark(key, {"marked"})
            truth["answer"] = {"options": [k[2] for k in chosen]}
    elif kind == "ranking":
        order = rng.sample(options, rng.randint(1, len(options)))
        for rank, option in enumerate(order, start=1):
            mark((qid, "rank", option, rank), {"marked"})
        truth["answer"] = {"ranking": order}
    elif kind == "statements":
        votes = {}
        scribbled = False
        for option in options:
            if rng.random() < 0.85:
                vote = rng.choice(["agree", "disagree", "pass"])
                if not scribbled and rng.random() < 0.05:
                    scribbled = True
                    take_back(
                        (
                            qid,
                            "vote",
                            option,
                            rng.choice([v for v in ("agree", "disagree", "pass") if v != vote]),
                        )
                    )
                mark((qid, "vote", option, vote), {"marked"})
                votes[str(option)] = vote
        truth["answer"] = {"votes": votes} if votes else None
    elif kind == "budget" and trick == "digits":
        _digits(rng, filled, question, where)
        truth.update(review=True)
        truth["tricks"].append("digits")
    elif kind == "open_text" and trick in ("writing_line", "writing_words"):
        page, area = areas[(qid, "text")]
        line = trick == "writing_line"
        words = rng.choice(["Meer bankjes", "Geen auto's meer", "Denk aan de fietsers"])
        filled.marks.append(
            Mark(
                page,
                "line" if line else "words",
                area,
                "pencil" if line else filled.ink,
                text=words,
            )
        )
        truth.update(review=True)
        truth["tricks"].append(trick)
    if trick == "margin_note":
        _note(rng, filled, question, where, areas)
        truth.update(review=True)
        truth["tricks"].append("margin_note")


def _circle(rng, filled: Filled, found: tuple, layout: dict) -> None:
    """The option's printed label circled, its box left empty: an ellipse around the
    label text that stays a millimetre clear of the box."""
    from printables import fonts

    page_number, box = found
    page = next(p for p in layout["pages"] if p["number"] == page_number)
    w = box["w"]
    if "value" in box:  # a scale's number, centred under its box
        label = next(
            (
                t
                for t in page["texts"]
                if abs(t["x"] - (box["x"] + w / 2)) < 0.6 and 0 < t["y"] - box["y"] - w < 8
            ),
            None,
        )
        cy = label["y"] - label["size"] * PT * 0.35 if label else box["y"] + w + 3.5
        top = box["y"] + w + 1
        ry = max(1.6, min(2.6, cy - top))
        target = {"cx": box["x"] + w / 2, "cy": cy, "rx": 2.6, "ry": ry}
    else:
        label = next(
            (
                t
                for t in page["texts"]
                if abs(t["x"] - (box["x"] + w + 3)) < 0.6
                and abs(t["y"] - (box["y"] + w * 0.78)) < 0.6
            ),
            None,
        )
        size = label["size"] if label else 10.0
        width = fonts.width_mm(label["text"], size, label["bold"]) if label else 30.0
        x0 = box["x"] + w + 1.2
        target = {
            "cx": x0 + width / 2 + 1.8,
            "cy": box["y"] + w / 2,
            "rx": width / 2 + 1.8,
            "ry": size * PT * 0.9,
        }
    filled.marks.append(Mark(page_number, "circle", target, filled.ink))


def _digits(rng, filled: Filled, question: dict, where: dict) -> None:
    """Amounts written in the budget's digit cells, one digit a cell."""
    options = question["options"]
    chosen = rng.sample(options, rng.randint(1, min(3, len(options))))
    for option in chosen:
        amount = str(rng.choice([5, 10, 20, 25, 30, 40, 50]))
        for place, digit in enumerate(reversed(amount)):
            key = (question["id"], "digit", option, place)
            if key in where:
                page, box = where[key]
                filled.marks.append(Mark(page, "digits", box, filled.ink, text=digit))
                filled.boxes[key] = {"marked", "unsure", "filled"}


def _note(rng, filled: Filled, question: dict, where: dict, areas: dict) -> None:
    """A word or two in the left margin beside the question."""
    own = [item for key, item in where.items() if key[0] == question["id"]]
    own += [item for key, item in areas.items() if key[0] == question["id"]]
    if not own:
        return
    page, first = min(own, key=lambda item: (item[0], item[1]["y"]))
    text = rng.choice(["??", "nee!", "weet niet", "zie blz 2", "klopt niet"])
    target = {"x": rng.uniform(2.5, 4.0), "y": first["y"] + 4.0, "w": 14.0, "h": 3.2}
    filled.marks.append(Mark(page, "note", target, filled.ink, text=text))


# --- 2. Ink on paper ------------------------------------------------------------------


#: Ink per pen: darkness (grey level drawn), stroke width (mm), and its texture.
INK_MODELS = {
    "ballpoint": {"level": (25, 80), "width": (0.3, 0.5)},
    "felt_tip": {"level": (5, 30), "width": (0.6, 1.0)},
    "pencil": {"level": (90, 135), "width": (0.3, 0.5)},
    "light_pencil": {"level": (140, 175), "width": (0.2, 0.35)},
}


class Paper:
    """A page rendered at ``dpi`` that strokes are drawn on in the layout's millimetres."""

    def __init__(self, image: np.ndarray, dpi: int, rng: random.Random, ranges: Ranges = SET):
        self.image = image
        self.scale = dpi / MM_PER_INCH
        self.rng = rng
        self.ranges = ranges
        self.noise = np.random.default_rng(rng.randrange(1 << 30))

    def ink(self, mask: np.ndarray, origin: tuple[int, int], ink: str) -> None:
        """Lay ``mask`` (coverage 0 … 1 at ``origin``) on the paper with ``ink``'s model."""
        model = INK_MODELS[ink]
        level = self.rng.uniform(
            *(self.ranges.light_pencil if ink == "light_pencil" else model["level"])
        )
        if ink == "ballpoint":
            # Pressure changes along the stroke: a slow variation of coverage.
            h, w = mask.shape
            slow = self.noise.uniform(0.55, 1.0, (max(2, h // 6), max(2, w // 6))).astype(
                np.float32
            )
            mask = mask * cv2.resize(slow, (w, h), interpolation=cv2.INTER_CUBIC)
        elif ink == "felt_tip":
            mask = cv2.GaussianBlur(mask, (3, 3), 0) * 1.1
        else:  # graphite lies on the paper's grain: broken, speckled strokes
            mask = mask * self.noise.uniform(0.15, 1.0, mask.shape).astype(np.float32)
        x, y = origin
        h, w = mask.shape
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.image.shape[1], x + w), min(self.image.shape[0], y + h)
        if x0 >= x1 or y0 >= y1:
            return
        cover = np.clip(mask[y0 - y : y1 - y, x0 - x : x1 - x], 0, 1)
        region = self.image[y0:y1, x0:x1].astype(np.float32)
        region *= 1 - cover * (1 - level / 255)
        self.image[y0:y1, x0:x1] = np.clip(region, 0, 255).astype(np.uint8)

    def width_px(self, ink: str) -> int:
        return max(1, round(self.rng.uniform(*INK_MODELS[ink]["width"]) * self.scale))

    def _canvas(self, points: np.ndarray, pad: int) -> tuple[np.ndarray, tuple[int, int]]:
        low = np.floor(points.min(axis=0)).astype(int) - pad
        high = np.ceil(points.max(axis=0)).astype(int) + pad
        return np.zeros((high[1] - low[1], high[0] - low[0]), np.float32), (
            int(low[0]),
            int(low[1]),
        )

    def stroke(self, points_mm: list[tuple[float, float]], ink: str, *, closed=False) -> None:
        """A hand-drawn polyline: each segment bowed a little and its points shaken."""
        points = []
        for (x0, y0), (x1, y1) in zip(
            points_mm, points_mm[1:] + points_mm[:1] if closed else points_mm[1:], strict=False
        ):
            bow = self.rng.uniform(-0.04, 0.04)
            for step in range(8):
                t = step / 8
                normal = (-(y1 - y0), x1 - x0)
                points.append(
                    (
                        x0 + (x1 - x0) * t + normal[0] * bow * math.sin(math.pi * t),
                        y0 + (y1 - y0) * t + normal[1] * bow * math.sin(math.pi * t),
                    )
                )
        points.append(points_mm[0] if closed else points_mm[-1])
        px = np.array(points, np.float64) * self.scale
        width = self.width_px(ink)
        mask, origin = self._canvas(px, width + 3)
        shifted = np.round((px - origin) * 16).astype(np.int32)
        cv2.polylines(mask, [shifted], closed, 1.0, width, cv2.LINE_AA, 4)
        self.ink(mask, origin, ink)

    def blob(self, polygon_mm: list[tuple[float, float]], ink: str) -> None:
        px = np.array(polygon_mm, np.float64) * self.scale
        mask, origin = self._canvas(px, 3)
        cv2.fillPoly(mask, [np.round((px - origin) * 16).astype(np.int32)], 1.0, cv2.LINE_AA, 4)
        self.ink(mask, origin, ink)

    def text(
        self, text: str, x_mm: float, y_mm: float, width_mm: float, height_mm: float, ink: str
    ) -> None:
        """Handwriting (OpenCV's script font) fitted into ``width_mm`` by ``height_mm``,
        its baseline at ``y_mm``."""
        font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
        thickness = self.width_px(ink)
        (tw, th), _base = cv2.getTextSize(text, font, 1.0, thickness)
        scale = min(width_mm * self.scale / tw, height_mm * self.scale / th)
        w, h = round(tw * scale) + 2 * thickness + 4, round(th * scale * 1.6) + 2 * thickness + 4
        mask = np.zeros((h, w), np.uint8)  # putText draws on 8-bit images only
        cv2.putText(
            mask,
            text,
            (thickness + 2, round(th * scale) + thickness + 2),
            font,
            scale,
            255,
            thickness,
            cv2.LINE_AA,
        )
        mask = mask.astype(np.float32) / 255
        origin = (
            round(x_mm * self.scale),
            round(y_mm * self.scale) - round(th * scale) - thickness - 2,
        )
        self.ink(mask, origin, ink)


def draw(
    image: np.ndarray, marks: list[Mark], *, dpi: int, rng: random.Random, ranges: Ranges = SET
) -> None:
    """Every mark of one page drawn on its rendered ``image`` (greyscale, ``dpi``)."""
    paper = Paper(image, dpi, rng, ranges)
    for mark in marks:
        _draw_mark(paper, mark, rng)


def _draw_mark(paper: Paper, mark: Mark, rng: random.Random) -> None:
    target, ink = mark.target, mark.ink
    j = lambda spread=0.25: rng.uniform(-spread, spread)  # noqa: E731 (a hand's shake)
    if mark.kind in ("cross", "tick", "fill", "scribble", "dot", "digits"):
        x, y, w = target["x"], target["y"], target["w"]
        cx, cy = x + w / 2 + j(0.12 * w), y + w / 2 + j(0.12 * w)
        half = w * mark.size / 2
    if mark.kind == "cross":
        paper.stroke([(cx - half + j(), cy - half + j()), (cx + half + j(), cy + half + j())], ink)
        paper.stroke([(cx + half + j(), cy - half + j()), (cx - half + j(), cy + half + j())], ink)
    elif mark.kind == "tick":
        bottom = (cx - half * 0.2 + j(), cy + half * 0.85 + j())
        paper.stroke(
            [
                (cx - half * 0.9 + j(), cy + half * 0.05 + j()),
                bottom,
                (cx + half + j(), cy - half + j()),
            ],
            ink,
        )
    elif mark.kind == "fill":
        # Inked all over, a little over the outline, then gone over with a few strokes.
        # A ballpoint is gone over twice to make the box black; a felt-tip once.
        grow = rng.uniform(0.0, 0.5)
        pen = "felt_tip" if ink == "felt_tip" else "ballpoint"
        for _layer in range(1 if pen == "felt_tip" else 2):
            paper.blob(
                [
                    (x - grow + j(0.2), y - grow + j(0.2)),
                    (x + w + grow + j(0.2), y - grow + j(0.2)),
                    (x + w + grow + j(0.2), y + w + grow + j(0.2)),
                    (x - grow + j(0.2), y + w + grow + j(0.2)),
                ],
                pen,
            )
    elif mark.kind == "scribble":
        # Back and forth across the box, never evenly: paper shows between the strokes.
        rows = rng.randint(4, 7)
        points = []
        for row in range(rows + 1):
            ty = y - 0.6 + (w + 1.2) * row / rows + j(0.4)
            points.append(
                (x - rng.uniform(0.2, 1.2), ty) if row % 2 else (x + w + rng.uniform(0.2, 1.2), ty)
            )
        paper.stroke(points, ink)
    elif mark.kind == "dot":
        px, py = x + w * rng.uniform(0.3, 0.7), y + w * rng.uniform(0.3, 0.7)
        r = rng.uniform(0.2, 0.35)
        paper.blob(
            [
                (px + r * math.cos(a), py + r * math.sin(a))
                for a in np.linspace(0, 2 * math.pi, 8, endpoint=False)
            ],
            ink,
        )
    elif mark.kind == "circle":
        steps = 14
        start = rng.uniform(0, 2 * math.pi)
        points = [
            (
                target["cx"]
                + target["rx"]
                * math.cos(start + 2.1 * math.pi * s / steps)
                * rng.uniform(0.97, 1.03),
                target["cy"]
                + target["ry"]
                * math.sin(start + 2.1 * math.pi * s / steps)
                * rng.uniform(0.97, 1.03),
            )
            for s in range(steps + 1)
        ]
        paper.stroke(points, ink)
    elif mark.kind == "digits":
        paper.text(mark.text, x + w * 0.25, y + w * 0.82, w * 0.5, w * 0.62, ink)
    elif mark.kind == "line":
        base = target["y"] + target["spacing"] * rng.randint(1, max(1, target["lines"] - 1)) - 2.0
        x0 = target["x"] + rng.uniform(4, 15)
        x1 = target["x"] + target["w"] - rng.uniform(10, 60)
        paper.stroke([(x0 + (x1 - x0) * k / 6, base + j(0.6)) for k in range(7)], ink)
    elif mark.kind == "words":
        base = target["y"] + target["spacing"] - 1.5
        paper.text(mark.text, target["x"] + 5, base, min(90.0, target["w"] - 10), 4.5, ink)
    elif mark.kind == "note":
        paper.text(mark.text, target["x"], target["y"], target["w"], target["h"], ink)
    else:
        raise ValueError(mark.kind)


# --- 3. The camera or the scanner -----------------------------------------------------


def render_dpi(degradation: str) -> int:
    """The resolution the page is rendered at for a fault: about what the output has."""
    return {"photo_1600": 150, "scan_150": 150, "scan_300": 300}.get(degradation, 200)


def capture(
    page: np.ndarray, dpi: int, degradation: str, rng: random.Random, ranges: Ranges = SET
) -> bytes:
    """The marked page (greyscale at ``dpi``) as a camera or scanner gives it, with the
    named ``degradation`` on top of mild defaults drawn from ``ranges``. A photo or grey
    scan is a JPEG, a black-and-white scan a PNG of only 0 and 255."""
    noise = np.random.default_rng(rng.randrange(1 << 30))
    if degradation.startswith("scan_"):
        return _scan(page, dpi, degradation, rng, noise, ranges.scan_blur)
    page = page.astype(np.float32)
    scale = dpi / MM_PER_INCH
    if degradation == "photocopy":
        for _copy in range(2):
            page = _photocopy(page, rng, noise)
    if degradation == "crease":
        page = _crease(page, scale, rng)
    if degradation == "curl":
        page = _curl(page, scale, rng)
    size = {"photo_1600": (1200, 1600), "photo_4032": (3024, 4032)}.get(degradation, PHOTO_SIZE)
    roll = rng.uniform(-6, 6) + {"rotated_90": rng.choice([90, -90]), "rotated_180": 180}.get(
        degradation, 0
    )
    if degradation == "rotated_90":
        size = size[::-1]
    tilt = rng.uniform(20, 35) if degradation == "perspective" else rng.uniform(0, 10)
    fill = rng.uniform(0.6, 0.72) if degradation == "clutter" else rng.uniform(0.78, 0.9)
    matrix = _camera(page.shape, size, roll, tilt, rng.uniform(-6, 6), fill, rng)
    photo = _table(size, degradation == "clutter", rng, noise)
    warped = cv2.warpPerspective(page, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0)
    inside = cv2.warpPerspective(
        np.ones(page.shape, np.float32), matrix, size, flags=cv2.INTER_LINEAR
    )
    photo = photo * (1 - inside) + warped * inside
    h, w = photo.shape
    px_per_mm = np.sqrt(abs(np.linalg.det(matrix[:2, :2]))) * scale
    # The light: a gentle slope across the picture, brighter or dimmer overall.
    slope = rng.uniform(0, 0.3)
    angle = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h:8, 0:w:8].astype(np.float32)
    ramp = 1 - slope * ((xx / w) * math.cos(angle) + (yy / h) * math.sin(angle) + 1) / 2
    photo *= cv2.resize(ramp, (w, h)) * rng.uniform(0.85, 1.0)
    if degradation == "shadow":
        photo *= _shadow((h, w), rng)
    if degradation == "thumb":
        _thumb(photo, matrix, scale, px_per_mm, rng)
    if degradation == "blur":
        photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(*ranges.blur_mm) * px_per_mm)
    elif degradation == "motion_blur":
        photo = _motion(photo, rng.uniform(*ranges.motion_mm) * px_per_mm, rng.uniform(0, 180))
    else:
        photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(*ranges.focus))
    photo += _grain((h, w), noise, 2.5)
    quality = rng.randint(*(ranges.jpeg_low if degradation == "jpeg_low" else ranges.jpeg))
    ok, data = cv2.imencode(
        ".jpg", np.clip(photo, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    assert ok
    return data.tobytes()


def _camera(shape, size, roll, tilt, yaw, fill, rng) -> np.ndarray:
    """The homography of a camera turned ``roll`` degrees about its axis and tilted
    ``tilt`` (and ``yaw``) degrees away from looking straight down, the page filling
    ``fill`` of the picture's shorter side."""
    h, w = shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64) - [w / 2, h / 2]
    r, t, y = (math.radians(a) for a in (roll, tilt, yaw))
    turn = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    pitch = np.array([[1, 0, 0], [0, math.cos(t), -math.sin(t)], [0, math.sin(t), math.cos(t)]])
    yawing = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    points = np.c_[corners, np.zeros(4)] @ (yawing @ pitch @ turn).T
    distance = 1.6 * max(h, w)
    projected = points[:, :2] * distance / (points[:, 2:] + distance)
    span = projected.max(axis=0) - projected.min(axis=0)
    k = fill * min(size[0] / span[0], size[1] / span[1])
    room = np.array(size) - span * k
    offset = np.array([rng.uniform(0.2, 0.8) * room[0], rng.uniform(0.2, 0.8) * room[1]])
    target = (projected - projected.min(axis=0)) * k + offset
    source = corners + np.array([w / 2, h / 2])
    return cv2.getPerspectiveTransform(source.astype(np.float32), target.astype(np.float32))


def _table(size, clutter: bool, rng, noise) -> np.ndarray:
    """What the sheet lies on: a wooden table's grain, or a cluttered one (papers with
    text, a phone, a mug, pens)."""
    w, h = size
    base = rng.uniform(80, 150)
    yy, xx = np.mgrid[0:h:4, 0:w:4].astype(np.float32)
    grain = base + 12 * np.sin(xx / rng.uniform(15, 40) + 3 * np.sin(yy / 90))
    table = np.clip(cv2.resize(grain, (w, h)), 0, 255).astype(np.uint8)  # putText: 8 bits
    if clutter:
        unit = min(w, h) / 100
        for _ in range(rng.randint(12, 20)):
            shade = rng.uniform(20, 250)
            x, y = rng.uniform(0, w), rng.uniform(0, h)
            what = rng.random()
            if what < 0.35:
                box = cv2.boxPoints(
                    (
                        (x, y),
                        (rng.uniform(10, 40) * unit, rng.uniform(10, 40) * unit),
                        rng.uniform(0, 90),
                    )
                )
                cv2.fillPoly(table, [box.astype(np.int32)], shade)
                for line in range(rng.randint(0, 6)):  # printed lines on a paper
                    cv2.putText(
                        table,
                        "lorem ipsum dolor",
                        (int(x - 10 * unit), int(y - 10 * unit + line * 3 * unit)),
                        cv2.FONT_HERSHEY_SIMPLEX,
                        unit / 12,
                        30,
                        max(1, int(unit / 6)),
                    )
            elif what < 0.6:
                cv2.ellipse(
                    table,
                    (int(x), int(y)),
                    (int(rng.uniform(4, 12) * unit),) * 2,
                    0,
                    0,
                    360,
                    shade,
                    -1,
                )
            elif what < 0.85:
                end = (int(x + rng.uniform(-25, 25) * unit), int(y + rng.uniform(-25, 25) * unit))
                cv2.line(
                    table, (int(x), int(y)), end, shade, max(2, int(rng.uniform(0.6, 1.5) * unit))
                )
            else:  # a checked pattern (a tea towel, a chess board)
                cell = int(rng.uniform(1.5, 4) * unit)
                for i in range(6):
                    for k in range(6):
                        if (i + k) % 2:
                            cv2.rectangle(
                                table,
                                (int(x) + i * cell, int(y) + k * cell),
                                (int(x) + (i + 1) * cell, int(y) + (k + 1) * cell),
                                20,
                                -1,
                            )
    return table.astype(np.float32)


def _grain(shape, noise, sigma: float) -> np.ndarray:
    """Sensor noise: a tile of Gaussian grain repeated (cheap for 12 megapixels)."""
    tile = noise.normal(0, sigma, (256, 256)).astype(np.float32)
    reps = (shape[0] // 256 + 1, shape[1] // 256 + 1)
    return np.tile(tile, reps)[: shape[0], : shape[1]]


def _shadow(shape, rng) -> np.ndarray:
    """A hard shadow (a phone or a hand between the lamp and the page): a dark polygon
    with a sharp edge over a fifth to a half of the picture."""
    h, w = shape
    factor = rng.uniform(0.45, 0.65)
    mask = np.zeros((h // 4, w // 4), np.float32)
    side = rng.choice(["top", "left", "right", "bottom"])
    depth = rng.uniform(0.25, 0.55)
    mh, mw = mask.shape
    a, b = rng.uniform(0.6, 1.4) * depth, rng.uniform(0.6, 1.4) * depth
    polygon = {
        "top": [(0, 0), (mw, 0), (mw, b * mh), (0, a * mh)],
        "bottom": [(0, mh), (mw, mh), (mw, (1 - b) * mh), (0, (1 - a) * mh)],
        "left": [(0, 0), (a * mw, 0), (b * mw, mh), (0, mh)],
        "right": [(mw, 0), ((1 - a) * mw, 0), ((1 - b) * mw, mh), (mw, mh)],
    }[side]
    cv2.fillPoly(mask, [np.array(polygon, np.int32)], 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(0.5, 2))
    return 1 - (1 - factor) * cv2.resize(mask, (w, h))


def _thumb(photo: np.ndarray, matrix: np.ndarray, scale: float, px_per_mm: float, rng) -> None:
    """A thumb holding the sheet, over one corner marker: a skin-grey ellipse reaching in
    from outside the page, shaded at its edge."""
    from printables.layout import MARKER_MARGIN, MARKER_SIZE, PAGE_H, PAGE_W

    corner = rng.choice([(0, 0), (1, 0), (1, 1), (0, 1)])
    cx = (
        MARKER_MARGIN + MARKER_SIZE / 2
        if corner[0] == 0
        else PAGE_W - MARKER_MARGIN - MARKER_SIZE / 2
    )
    cy = (
        MARKER_MARGIN + MARKER_SIZE / 2
        if corner[1] == 0
        else PAGE_H - MARKER_MARGIN - MARKER_SIZE / 2
    )
    point = cv2.perspectiveTransform(np.array([[[cx * scale, cy * scale]]], np.float32), matrix)[
        0, 0
    ]
    outward = cv2.perspectiveTransform(
        np.array(
            [
                [
                    [
                        (cx + (-30 if corner[0] == 0 else 30)) * scale,
                        (cy + (-30 if corner[1] == 0 else 30)) * scale,
                    ]
                ]
            ],
            np.float32,
        ),
        matrix,
    )[0, 0]
    angle = math.degrees(math.atan2(outward[1] - point[1], outward[0] - point[0]))
    centre = point + (outward - point) * rng.uniform(0.2, 0.35)
    axes = (int(rng.uniform(28, 36) * px_per_mm), int(rng.uniform(10, 13) * px_per_mm))
    thumb = np.zeros(photo.shape, np.float32)
    cv2.ellipse(thumb, (int(centre[0]), int(centre[1])), axes, angle, 0, 360, 1.0, -1)
    thumb = cv2.GaussianBlur(thumb, (0, 0), px_per_mm)
    skin = rng.uniform(120, 175)
    photo *= 1 - thumb
    photo += thumb * skin * (0.75 + 0.25 * thumb)


def _motion(photo: np.ndarray, length: float, angle: float) -> np.ndarray:
    """A shaken hand: the picture smeared along a line of ``length`` pixels."""
    n = max(3, round(length) | 1)
    kernel = np.zeros((n, n), np.float32)
    kernel[n // 2, :] = 1
    turn = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), angle, 1.0)
    kernel = cv2.warpAffine(kernel, turn, (n, n))
    return cv2.filter2D(photo, -1, kernel / kernel.sum())


def _photocopy(page: np.ndarray, rng, noise) -> np.ndarray:
    """One pass through a copier: a little off square, harder contrast (light grey goes
    white, dark goes black), toner specks, grey paper."""
    h, w = page.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-1, 1), rng.uniform(0.97, 1.0))
    turn[:, 2] += [rng.uniform(-6, 6), rng.uniform(-6, 6)]
    page = cv2.warpAffine(page, turn, (w, h), borderValue=255)
    page = cv2.GaussianBlur(page, (0, 0), 0.7)
    low, high = rng.uniform(40, 70), rng.uniform(195, 220)
    page = np.clip((page - low) / (high - low), 0, 1) ** 1.2 * rng.uniform(232, 246)
    specks = noise.random((h, w)) < 2e-4
    page[cv2.dilate(specks.astype(np.uint8), None) > 0] = 40
    return page


def _crease(page: np.ndarray, scale: float, rng) -> np.ndarray:
    """A fold across the page (at a third, or in half): the far side a little displaced
    and darker, a dark and a light line along the fold."""
    h, w = page.shape
    horizontal = rng.random() < 0.7
    at = rng.choice([1 / 3, 1 / 2, 2 / 3]) * (h if horizontal else w) + rng.uniform(-15, 15) * scale
    slant = rng.uniform(-0.04, 0.04)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    distance = (yy - at - slant * xx) if horizontal else (xx - at - slant * yy)
    shift = rng.uniform(0.3, 1.2) * scale
    step = 0.5 * (1 + np.tanh(distance / (3 * scale)))
    map_x, map_y = (xx, yy - shift * step) if horizontal else (xx - shift * step, yy)
    page = cv2.remap(page, map_x, map_y, cv2.INTER_LINEAR, borderValue=255)
    ridge = np.exp(-((distance / (0.4 * scale)) ** 2))
    side = np.exp(-(((distance - 1.0 * scale) / (0.6 * scale)) ** 2))
    return page * (1 - 0.35 * ridge) * (1 + 0.08 * side) * (1 - rng.uniform(0.03, 0.1) * step)


def _curl(page: np.ndarray, scale: float, rng) -> np.ndarray:
    """Paper that does not lie flat: the sheet bowed along one axis, its middle seen a
    few millimetres off where a flat page would put it, and shaded by its slope."""
    h, w = page.shape
    lift = rng.uniform(1.5, 4.5) * scale
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    along_x = rng.random() < 0.5
    u = (xx / w) if along_x else (yy / h)
    bend = np.sin(math.pi * u) * lift  # 0 at the edges (where the markers are), most in the middle
    slope = np.cos(math.pi * u)
    map_x, map_y = (xx, yy - bend * 0.8) if along_x else (xx - bend * 0.8, yy)
    page = cv2.remap(page, map_x, map_y, cv2.INTER_LINEAR, borderValue=255)
    return page * (1 - 0.12 * np.abs(slope) * rng.uniform(0.5, 1))


def _scan(page: np.ndarray, dpi: int, degradation: str, rng, noise, blur: float = 0.5) -> bytes:
    """A flatbed scan: the page a hair off square on the glass, clean light, the lid's
    white around it; grey (JPEG) or thresholded to black and white (PNG)."""
    h, w = page.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-1.5, 1.5), 1.0)
    turn[:, 2] += [rng.uniform(-0.006, 0.006) * w, rng.uniform(-0.006, 0.006) * h]
    scan = cv2.warpAffine(page.astype(np.float32), turn, (w, h), borderValue=250)
    scan = cv2.GaussianBlur(scan, (0, 0), blur) + _grain((h, w), noise, 1.5)
    if degradation == "scan_bw":
        if rng.random() < 0.5:  # black and white at 150 dpi too
            scan = cv2.resize(scan, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        bw = np.where(scan < rng.uniform(150, 175), 0, 255).astype(np.uint8)
        ok, data = cv2.imencode(".png", bw)
    else:
        ok, data = cv2.imencode(
            ".jpg", np.clip(scan, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 88]
        )
    assert ok
    return data.tobytes()


# --- A whole sheet --------------------------------------------------------------------


def make_sheet(
    pdf: bytes,
    layout: dict,
    questions: list[dict],
    rng: random.Random,
    degradation: str,
    ranges: Ranges = SET,
) -> tuple[list[bytes], Filled]:
    """One printed form (``pdf`` of ``layout``) filled in and captured: a picture per page
    and the truth; its values drawn from ``ranges`` (``SET``, or ``WIDER`` for a probe)."""
    from sessions_app.reading.synthetic import render_pdf_page

    filled = fill_sheet(rng, questions, layout, ranges)
    dpi = render_dpi(degradation)
    if degradation == "scan_bw":
        dpi = 300
    pictures = []
    for index, layout_page in enumerate(layout["pages"]):
        image = render_pdf_page(pdf, index, dpi=dpi)
        filled.drawn.append(rng.getstate())
        marks = [m for m in filled.marks if m.page == layout_page["number"]]
        draw(image, marks, dpi=dpi, rng=rng, ranges=ranges)
        pictures.append(capture(image, dpi, degradation, rng, ranges))
    return pictures, filled


#: What a teller does when told a picture loses, smears or thins a light mark
#: (``PageOutcome.capture``, the teller's hint): the page taken again, as a phone photo
#: in focus and close enough, or scanned in grey at 300 dpi. A photocopy is all the
#: teller has.
RETAKES = {
    "blurred": "clean",
    "coarse": "clean",
    "black_white": "scan_300",
    "low_resolution": "scan_300",
}


def retake(
    pdf: bytes,
    layout: dict,
    filled: Filled,
    index: int,
    capture_kind: str,
    rng: random.Random,
    ranges: Ranges = SET,
) -> bytes:
    """Page ``index`` of a sheet made by ``make_sheet`` taken again as the teller was
    asked for a picture of kind ``capture_kind`` (``RETAKES``): the same paper (its marks
    drawn again with the random state and ``ranges`` they were first drawn with), a new
    picture."""
    from sessions_app.reading.synthetic import render_pdf_page

    degradation = RETAKES[capture_kind]
    dpi = render_dpi(degradation)
    number = layout["pages"][index]["number"]
    image = render_pdf_page(pdf, index, dpi=dpi)
    same = random.Random()
    same.setstate(filled.drawn[index])
    draw(image, [m for m in filled.marks if m.page == number], dpi=dpi, rng=same, ranges=ranges)
    return capture(image, dpi, degradation, rng, ranges)


def large_print_of(index: int) -> bool:
    """Every other round through the faults is printed large (7 mm boxes)."""
    return (index // len(DEGRADATIONS)) % 2 == 1
