"""Phone-like photos of printed forms, for the tests and the accuracy benchmark: a page
rendered from its PDF, turned, seen at an angle, blurred, unevenly lit and compressed."""

from __future__ import annotations

import math
import random

import cv2
import numpy as np

#: The pixels a page is rendered at for a phone-like photo: about 8 to a millimetre of
#: paper, as a phone photo of a whole page has (an 8-megapixel one 8 to 10). Below 6.5
#: (a 150 dpi scan) a light mark can be gone without a trace, and the reader leaves no
#: empty box clearly empty (``marks.SHARP_RESOLUTION``).
PHOTO_DPI = 200


def render_pdf_page(pdf: bytes, index: int = 0, dpi: int = 150) -> np.ndarray:
    """One page of a PDF as a greyscale image."""
    import pypdfium2

    page = pypdfium2.PdfDocument(pdf)[index]
    return np.array(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))


def photograph(
    page: np.ndarray,
    *,
    angle: float = 0.0,
    skew: float = 0.0,
    blur: float = 0.0,
    light: float = 0.0,
    quality: int = 85,
    margin: float = 0.12,
    seed: int = 0,
) -> bytes:
    """A JPEG of ``page`` on a grey table: turned by ``angle`` degrees, its far edge
    shrunk by ``skew`` (a share: the camera at an angle), blurred (Gaussian sigma in
    pixels), a light gradient of ``light`` (a share of full brightness), compressed at
    ``quality``."""
    rng = random.Random(seed)  # noqa: S311 (repeatable test pictures, not secrets)
    height, width = page.shape
    border = round(max(height, width) * margin)
    canvas = np.full((height + 2 * border, width + 2 * border), 110, dtype=np.uint8)
    canvas[border : border + height, border : border + width] = page
    h, w = canvas.shape
    corners = np.float32(
        [
            [border, border],
            [border + width, border],
            [border + width, border + height],
            [border, border + height],
        ]
    )
    shrink = skew * width / 2
    moved = corners + np.float32([[shrink, 0], [-shrink, 0], [0, 0], [0, 0]])
    center = np.float32([w / 2, h / 2])
    turn = math.radians(angle)
    rotation = np.float32([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    moved = (moved - center) @ rotation.T + center
    moved += np.float32([[rng.uniform(-4, 4), rng.uniform(-4, 4)] for _ in range(4)])
    matrix = cv2.getPerspectiveTransform(corners, moved.astype(np.float32))
    photo = cv2.warpPerspective(canvas, matrix, (w, h), borderValue=110).astype(np.float32)
    if light:
        gradient = np.linspace(1 - light, 1, w, dtype=np.float32)[None, :]
        photo *= gradient
    if blur:
        photo = cv2.GaussianBlur(photo, (0, 0), blur)
    photo += np.float32(rng.gauss(0, 1)) + np.random.default_rng(seed).normal(
        0, 2.5, photo.shape
    ).astype(np.float32)
    ok, data = cv2.imencode(
        ".jpg", np.clip(photo, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    assert ok
    return data.tobytes()


MARK_KINDS = ("cross", "tick", "light_tick", "fill", "dot")


def draw_mark(page: np.ndarray, box: dict, kind: str, *, dpi: int = 150, seed: int = 0) -> None:
    """Draw a pen mark of ``kind`` into ``box`` (layout mm) on a page rendered at ``dpi``:
    a cross, a tick, a light thin tick (a pencil held loosely), the box filled in (the
    correction rule), or a stray dot."""
    rng = random.Random(seed)  # noqa: S311 (repeatable test pictures, not secrets)
    scale = dpi / 25.4

    def at(x_mm: float, y_mm: float) -> tuple[int, int]:
        jitter = 0.25
        return (
            round((box["x"] + x_mm + rng.uniform(-jitter, jitter)) * scale),
            round((box["y"] + y_mm + rng.uniform(-jitter, jitter)) * scale),
        )

    w = box["w"]
    if kind == "cross":
        ink, width = rng.randint(15, 60), max(1, round(0.5 * scale))
        cv2.line(page, at(0.6, 0.6), at(w - 0.6, w - 0.6), ink, width, cv2.LINE_AA)
        cv2.line(page, at(w - 0.6, 0.6), at(0.6, w - 0.6), ink, width, cv2.LINE_AA)
    elif kind in ("tick", "light_tick"):
        light = kind == "light_tick"
        ink = rng.randint(140, 165) if light else rng.randint(20, 70)
        width = max(1, round((0.25 if light else 0.45) * scale))
        bottom = at(w * 0.4, w - 0.8)
        cv2.line(page, at(0.8, w * 0.55), bottom, ink, width, cv2.LINE_AA)
        cv2.line(page, bottom, at(w - 0.5, 0.5), ink, width, cv2.LINE_AA)
    elif kind == "fill":
        ink = rng.randint(20, 60)
        x0, y0 = at(0.3, 0.3)
        x1, y1 = at(w - 0.3, w - 0.3)
        cv2.rectangle(page, (x0, y0), (x1, y1), ink, -1)
    elif kind == "dot":
        cv2.circle(
            page,
            at(w * rng.uniform(0.3, 0.7), w * rng.uniform(0.3, 0.7)),
            max(1, round(0.3 * scale)),
            40,
            -1,
            cv2.LINE_AA,
        )
    else:
        raise ValueError(kind)


def draw_writing(page: np.ndarray, area: dict, text: str, *, dpi: int = 150) -> None:
    """Write ``text`` by "hand" on the first ruled line of a writing ``area`` (layout mm)."""
    scale = dpi / 25.4
    origin = (round((area["x"] + 4) * scale), round((area["y"] + area["spacing"] - 1.5) * scale))
    cv2.putText(
        page, text, origin, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 0.16 * scale, 50, 2, cv2.LINE_AA
    )


def box_key(box: dict) -> tuple:
    """A box of the layout (or a read box's key) as a hashable key."""
    question = box["question"]
    if "statement" in box:
        return (question, "vote", box["statement"], box["vote"])
    if "rank" in box:
        return (question, "rank", box["option"], box["rank"])
    if "value" in box:
        return (question, "value", box["value"])
    if "digit" in box:
        return (question, "digit", box["option"], box["digit"])
    if "panel_member" in box:
        return (question, "panel_member", box["panel_member"])
    return (question, "option", box["option"])


def fill_in(rng: random.Random, questions: list[dict], layout: dict) -> tuple[dict, dict]:
    """What a person fills in at random: box key → mark kind, and the answers that makes
    (question id → answer, None for blank). ``questions``: ``{"id", "kind", "options"
    (ids in order), "max_choices", "scale_min", "scale_max"}``. One choice (one time in
    five a first choice taken back by filling its box in, the printed correction rule),
    up to the allowed choices, a scale value, a ranking of some options, votes on most
    statements; crosses, ticks and light thin ticks; a stray dot in 3 % of the empty boxes.
    Budget digits and open text stay empty (a person reads those)."""
    marks: dict[tuple, str] = {}
    truth: dict[int, dict | None] = {}

    def pen() -> str:
        return rng.choices(["cross", "tick", "light_tick"], weights=[5, 4, 1])[0]

    for question in questions:
        qid, options, kind = question["id"], question["options"], question["kind"]
        if kind == "single_choice":
            chosen = rng.choice(options)
            if rng.random() < 0.2:
                other = rng.choice([o for o in options if o != chosen])
                marks[(qid, "option", other)] = "fill"
            marks[(qid, "option", chosen)] = pen()
            truth[qid] = {"option": chosen}
        elif kind == "multiple_choice":
            chosen = sorted(rng.sample(options, rng.randint(1, question["max_choices"] or 1)))
            for option in chosen:
                marks[(qid, "option", option)] = pen()
            truth[qid] = {"options": chosen}
        elif kind == "scale":
            low, high = question["scale_min"], question["scale_max"]
            value = rng.randint(low, high)
            if rng.random() < 0.2:
                other = rng.choice([v for v in range(low, high + 1) if v != value])
                marks[(qid, "value", other)] = "fill"
            marks[(qid, "value", value)] = pen()
            truth[qid] = {"value": value}
        elif kind == "ranking":
            order = rng.sample(options, rng.randint(1, len(options)))
            for rank, option in enumerate(order, start=1):
                marks[(qid, "rank", option, rank)] = pen()
            truth[qid] = {"ranking": order}
        elif kind == "statements":
            votes = {}
            for option in options:
                if rng.random() < 0.85:
                    votes[str(option)] = rng.choice(["agree", "disagree", "pass"])
                    marks[(qid, "vote", option, votes[str(option)])] = pen()
            truth[qid] = {"votes": votes} if votes else None
        else:
            truth[qid] = None
    for page in layout["pages"]:
        for box in page["boxes"]:
            if box_key(box) not in marks and "digit" not in box and rng.random() < 0.03:
                marks[box_key(box)] = "dot"
    return marks, truth


def photograph_form(
    pdf: bytes, layout: dict, marks: dict, rng: random.Random, *, writing: str = ""
) -> list[bytes]:
    """Each page of one printed form (``pdf``), marked with ``marks`` (``fill_in``) and
    ``writing`` in its open answers, photographed as a phone would: turned up to ±12°, at
    an angle, blurred, unevenly lit, JPEG quality 35 to 90."""
    photos = []
    for index, layout_page in enumerate(layout["pages"]):
        page = render_pdf_page(pdf, index, dpi=PHOTO_DPI)
        for box in layout_page["boxes"]:
            kind = marks.get(box_key(box))
            if kind:
                draw_mark(page, box, kind, dpi=PHOTO_DPI, seed=rng.randrange(1 << 30))
        for area in layout_page["areas"]:
            if writing and area["kind"] == "text":
                draw_writing(page, area, writing, dpi=PHOTO_DPI)
        photos.append(
            photograph(
                page,
                angle=rng.uniform(-12, 12),
                skew=rng.uniform(0, 0.1),
                # Up to 0.25 mm of the paper, whatever the pixels.
                blur=rng.uniform(0, 1.5) * PHOTO_DPI / 150,
                light=rng.uniform(0, 0.5),
                quality=rng.randint(35, 90),
                seed=rng.randrange(1 << 30),
            )
        )
    return photos
