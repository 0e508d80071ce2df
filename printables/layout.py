"""The paper form's layout as data: where every box, text and marker sits, in millimetres
from the page's top left corner. ``paper_form`` draws exactly this; the photo reader later
reads with it; sheets record its version (a hash of the data).

Input is plain data about the session (``selectors.form_rows``), never model instances.

Box keys, per kind (what a tick in that box means):

* choices: ``{"option": id}``
* scale: ``{"value": v}``
* ranking: ``{"option": id, "rank": r}`` (a grid: options by places)
* budget: ``{"option": id, "digit": k}``: one cell per handwritten digit, k = 0 for units,
  1 for tens …
* open text: an ``area`` with ruled lines
* statements: ``{"statement": id, "vote": "agree" | "disagree" | "pass"}``; a proposal
  ``area`` when participants may add statements
* a question to the panel (``qna``): a ``proposal`` area, and ``{"panel_member": id}`` per
  panel member (whom the question is for)

A question is kept whole on one page (its heading with all its boxes); only a question
longer than a page breaks, between rows. ``questions`` lists each question's printed
number and the page of its heading, so screens can number them as the paper does.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from . import fonts

FORMAT = "inspraak.layout/1"
PAGE_W, PAGE_H = 210.0, 297.0
MARKER_SIZE, MARKER_MARGIN = 14.0, 8.0
QR_SIZE = 32.0
CARD_QR_SIZE = 22.0
#: The small QR code to the process's dossier, under the title on the first page.
DOSSIER_QR_SIZE = 15.0
LEFT, RIGHT = 20.0, 190.0
BOTTOM = PAGE_H - MARKER_MARGIN - MARKER_SIZE - 6
#: Where the questions start on every page: below the corner markers and the QR code.
TOP = MARKER_MARGIN + QR_SIZE + 6
PT = 25.4 / 72  # one point in mm
VOTES = ("agree", "disagree", "pass")


@dataclass(frozen=True)
class Style:
    """Type and box sizes of one print variant. Large print sets body text at 14 pt and
    nothing on the form smaller (hints and column headings included), with boxes and
    spacing 1.4 times as big. ``density`` 0 is roomy; 1 and 2 are tighter packings,
    tried when they save a page (``build``)."""

    large: bool
    density: int = 0

    @property
    def compact(self) -> bool:
        return self.density > 0

    @property
    def writing_lines(self) -> int:
        """The most ruled lines an open answer gets."""
        return (10, 6, 4)[self.density]

    @property
    def scale(self) -> float:
        return 1.4 if self.large else 1.0

    @property
    def body(self) -> float:
        return 10.0 * self.scale

    @property
    def small(self) -> float:
        """Hints and descriptions."""
        return self.body if self.large else 9.0

    @property
    def label(self) -> float:
        """A grid's column headings."""
        return self.body if self.large else 8.5

    @property
    def title(self) -> float:
        return 16.0 if self.large else 11.5

    @property
    def line(self) -> float:
        return self.body * PT * 1.35

    @property
    def box(self) -> float:
        return 5.0 * self.scale

    @property
    def gap(self) -> float:
        """The space after a question."""
        return (2.5 if self.compact else 4.0) * self.scale


@dataclass
class Page:
    number: int
    texts: list = field(default_factory=list)
    boxes: list = field(default_factory=list)
    areas: list = field(default_factory=list)
    lines: list = field(default_factory=list)


class Flow:
    """Places rows top to bottom, starting a new page when a row does not fit. With an
    endless ``bottom`` it only measures."""

    def __init__(self, style: Style, *, top: float = TOP, bottom: float = BOTTOM):
        self.style = style
        self.top = top
        self.bottom = bottom
        self.pages = [Page(1)]
        self.y = top
        #: The place of the dossier's QR code and caption (``_dossier``), if any.
        self.dossier: dict | None = None

    @property
    def page(self) -> Page:
        return self.pages[-1]

    @property
    def room(self) -> float:
        return self.bottom - self.y

    def new_page(self) -> None:
        self.pages.append(Page(len(self.pages) + 1))
        self.y = self.top

    def need(self, height: float) -> bool:
        """Make room for ``height`` mm; returns True if that took a new page."""
        if self.y + height <= self.bottom or self.y == self.top:
            return False
        self.new_page()
        return True

    def text(self, x: float, y: float, text: str, size: float, *, bold=False, align="left") -> None:
        self.page.texts.append(
            {
                "x": round(x, 2),
                "y": round(y, 2),
                "text": text,
                "size": round(size, 2),
                "bold": bold,
                "align": align,
            }
        )

    def paragraph(self, text: str, size: float, *, x=LEFT, width=RIGHT - LEFT, bold=False) -> None:
        """Wrapped text from the current y, continuing on a new page when it runs out;
        moves y below it."""
        step = size * PT * 1.35
        for line in fonts.wrap(text, size, width, bold):
            self.need(step)
            self.text(x, self.y + size * PT, line, size, bold=bold)
            self.y += step

    def box(self, x: float, y: float, question: int, **key) -> None:
        size = self.style.box
        self.page.boxes.append(
            {"question": question, **key, "x": round(x, 2), "y": round(y, 2), "w": size, "h": size}
        )


def build(form: dict, *, large_print: bool, with_cards: bool = False) -> dict:
    """Lay out the form of one session. ``form`` is ``selectors.form_rows`` output, with
    ``strings`` holding the translated instructions, and optionally ``privacy``: one
    short line printed under the instructions (where to read the privacy statement).
    ``with_cards`` reserves a place on the first page for the attendee card's QR code
    (each sheet's own card). With ``dossier`` true in ``form``, a small QR code to the
    process's dossier and its caption (``strings["dossier_title"]``) get a place under the
    title, in the header, clear of the corner markers, the sheet's QR code and every
    question (``paper_form`` draws them with the print run's address).

    Laid out roomy first, then tighter (choices in two columns, less space between
    questions and rows, then a smaller writing area); a tighter layout is taken only
    when it needs fewer pages, so a form never gets a page for a last item that a
    tighter layout holds."""
    layouts = [_lay_out(form, Style(large_print, density), with_cards) for density in (0, 1, 2)]
    fewest = min(len(flow.pages) for flow, _card, _questions in layouts)
    flow, card, questions = next(found for found in layouts if len(found[0].pages) == fewest)
    data = {
        "format": FORMAT,
        "large_print": large_print,
        **frame(),
        "card": card,
        **({"dossier": flow.dossier} if flow.dossier else {}),
        "box_size": flow.style.box,
        "questions": questions,
        "pages": [
            {
                "number": page.number,
                "texts": page.texts,
                "boxes": page.boxes,
                "areas": page.areas,
                "lines": page.lines,
            }
            for page in flow.pages
        ],
    }
    data["version"] = version_of(data)
    return data


def _lay_out(form: dict, style: Style, with_cards: bool) -> tuple[Flow, dict | None, list]:
    strings = form["strings"]
    flow = Flow(style)
    _header(flow, form, strings)
    card = _card(flow, strings) if with_cards else None
    placed = []
    for number, question in enumerate(form["questions"], start=1):
        page = _place(flow, lambda into, n=number, q=question: _question(into, n, q, strings))
        placed.append({"id": question["id"], "number": number, "page": page})
    return flow, card, placed


def _place(flow: Flow, draw: Callable[[Flow], int]) -> int:
    """Draw one question whole: here if it fits, else at the top of the next page. A
    question longer than a whole page starts on a new page too (unless this one is still
    more than half empty) and breaks between rows. Returns the page of its heading."""
    measure = Flow(flow.style, top=0, bottom=math.inf)
    draw(measure)
    height = measure.y
    full = flow.bottom - flow.top
    if height > flow.room and flow.y > flow.top and (height <= full or flow.room < full / 2):
        flow.new_page()
    page = draw(flow)
    flow.y += flow.style.gap
    return page


def question_numbers(layout: dict) -> dict[int, int]:
    """Question id → its number on the printed form. Layouts stored before they listed
    their questions are numbered by where each question's first box or area sits."""
    if layout.get("questions"):
        return {row["id"]: row["number"] for row in layout["questions"]}
    first: dict[int, tuple] = {}
    for page in layout["pages"]:
        for item in page["boxes"] + page["areas"]:
            place = (page["number"], item["y"], item["x"])
            if item["question"] not in first or place < first[item["question"]]:
                first[item["question"]] = place
    ordered = sorted(first, key=first.__getitem__)
    return {question: number for number, question in enumerate(ordered, start=1)}


def version_of(data: dict) -> str:
    payload = json.dumps(
        {k: v for k, v in data.items() if k != "version"}, sort_keys=True, ensure_ascii=False
    )
    return "L" + hashlib.sha256(payload.encode()).hexdigest()[:12]


def frame() -> dict:
    """What every layout has in the same place (page size, corner markers, QR code and the
    code printed under it), so a reader can find the form and read its code before it
    knows which layout it is."""
    return {
        "page": {"width": PAGE_W, "height": PAGE_H, "unit": "mm"},
        "markers": markers(),
        "qr": {
            "x": PAGE_W - MARKER_MARGIN - MARKER_SIZE - 4 - QR_SIZE,
            "y": MARKER_MARGIN,
            "size": QR_SIZE,
        },
        # The sheet's code in print, under the QR code: its centre and baseline.
        "code": {
            "x": PAGE_W - MARKER_MARGIN - MARKER_SIZE - 4 - QR_SIZE / 2,
            "y": MARKER_MARGIN + QR_SIZE + 3.5,
        },
    }


def markers() -> list[dict]:
    far_x = PAGE_W - MARKER_MARGIN - MARKER_SIZE
    far_y = PAGE_H - MARKER_MARGIN - MARKER_SIZE
    corners = [
        ("top_left", 0, MARKER_MARGIN, MARKER_MARGIN),
        ("top_right", 1, far_x, MARKER_MARGIN),
        ("bottom_right", 2, far_x, far_y),
        ("bottom_left", 3, MARKER_MARGIN, far_y),
    ]
    return [
        {"corner": corner, "id": marker_id, "x": x, "y": y, "size": MARKER_SIZE}
        for corner, marker_id, x, y in corners
    ]


def _header(flow: Flow, form: dict, strings: dict) -> None:
    style = flow.style
    title_width = (
        PAGE_W - MARKER_MARGIN - MARKER_SIZE - 4 - QR_SIZE - 4 - (MARKER_MARGIN + MARKER_SIZE + 4)
    )
    x = MARKER_MARGIN + MARKER_SIZE + 4
    y = MARKER_MARGIN
    for text, size, bold in (
        (form["process"], style.title + 1, True),
        (form["session"], style.body, False),
    ):
        for line in fonts.wrap(text, size, title_width, bold)[:2]:
            y += size * PT * 1.35
            flow.text(x, y, line, size, bold=bold)
    if form.get("dossier"):
        y = _dossier(flow, strings, y)
    # How to fill in, with a drawn example of each mark (the correction rule).
    flow.y = max(flow.y, y + 4)
    size = style.body
    flow.paragraph(strings["instructions"], size)
    flow.y += 1
    example = style.box
    x = LEFT
    for kind, label in (("cross", strings["example_cross"]), ("filled", strings["example_filled"])):
        flow.page.lines.append(
            {"kind": f"example-{kind}", "x": x, "y": round(flow.y, 2), "w": example, "h": example}
        )
        flow.text(x + example + 2, flow.y + example * 0.75, label, size)
        x += example + 4 + fonts.width_mm(label, size) + 8
    flow.y += example + 2
    if form.get("privacy"):
        # Up front with the instructions: at the end it could take a page of its own.
        flow.paragraph(form["privacy"], style.small if style.large else 8.0)
    flow.y += 2
    flow.page.lines.append(
        {"kind": "rule", "x": LEFT, "y": round(flow.y, 2), "w": RIGHT - LEFT, "h": 0}
    )
    flow.y += 4


def _dossier(flow: Flow, strings: dict, y: float) -> float:
    """Reserve the dossier block under the title's last line (``y``): a QR code at the
    title's left edge (beside the top left marker's column, never under the sheet's QR
    code) and, to its right, the caption and two lines for the address. Returns where the
    block ends. It lies above the instructions, so no question's area reaches it."""
    style = flow.style
    x = MARKER_MARGIN + MARKER_SIZE + 4
    right = PAGE_W - MARKER_MARGIN - MARKER_SIZE - 4 - QR_SIZE - 4
    top = y + 2.5
    size = style.small if style.large else 8.0
    step = size * PT * 1.35
    text_x = x + DOSSIER_QR_SIZE + 3
    width = right - text_x
    caption = fonts.wrap(strings["dossier_title"], size, width, bold=True)[:2]
    first = top + size * PT
    flow.dossier = {
        "page": 1,
        "x": x,
        "y": round(top, 2),
        "size": DOSSIER_QR_SIZE,
        "caption": [
            {"x": round(text_x, 2), "y": round(first + index * step, 2), "text": line}
            for index, line in enumerate(caption)
        ],
        "text": {
            "x": round(text_x, 2),
            "y": round(first + len(caption) * step, 2),
            "size": round(size, 2),
            "step": round(step, 2),
            "width": round(width, 2),
            "lines": 2,
        },
    }
    return top + max(DOSSIER_QR_SIZE, (len(caption) + 2) * step)


def _card(flow: Flow, strings: dict) -> dict:
    """The attendee card block: a QR code that opens the session on a phone with this
    sheet's card, its code, and what it is for."""
    size = CARD_QR_SIZE * flow.style.scale
    top = flow.y
    text_x = LEFT + size + 5
    flow.y = top
    flow.paragraph(
        strings["card_title"], flow.style.body, x=text_x, width=RIGHT - text_x, bold=True
    )
    flow.paragraph(strings["card_hint"], flow.style.small, x=text_x, width=RIGHT - text_x)
    code_y = flow.y + flow.style.body * PT * 1.35
    flow.y = max(top + size, code_y + 2) + 3
    flow.page.lines.append(
        {"kind": "rule", "x": LEFT, "y": round(flow.y, 2), "w": RIGHT - LEFT, "h": 0}
    )
    flow.y += 4
    return {
        "page": 1,
        "x": LEFT,
        "y": round(top, 2),
        "size": size,
        "code": {"x": round(text_x, 2), "y": round(code_y, 2), "size": round(flow.style.body, 2)},
    }


def _title(flow: Flow, number: int, question: dict, hint: str) -> int:
    """The question's heading, description and hint, kept with room for its first row;
    returns the page it is on."""
    style = flow.style
    heading = f"{number}. {question['text']}"
    text_height = (
        len(fonts.wrap(heading, style.title, RIGHT - LEFT, True)) * style.title * PT * 1.35
    )
    flow.need(text_height + style.line * 2 + style.box + 2)
    page = flow.page.number
    flow.paragraph(heading, style.title, bold=True)
    if question.get("description"):
        flow.paragraph(question["description"], style.small)
    if hint:
        flow.paragraph(hint, style.small)
    flow.y += 1.5
    return page


def _question(flow: Flow, number: int, question: dict, strings: dict) -> int:
    """One question, from its heading to its last box; returns the page of its heading."""
    kind = question["kind"]
    style = flow.style
    b = style.box
    hints = {
        "single_choice": strings["hint_single"],
        "multiple_choice": strings["hint_multiple"].replace(
            "{max}", str(question.get("max_choices"))
        ),
        "scale": strings["hint_scale"],
        "ranking": strings["hint_ranking"],
        "budget": strings["hint_budget"].replace("{total}", str(question.get("total"))),
        "open_text": strings["hint_text"],
        "statements": strings["hint_statements"],
        "qna": strings.get("hint_qna", ""),
    }
    page = _title(flow, number, question, hints[kind])
    qid = question["id"]
    if kind in ("single_choice", "multiple_choice"):
        _choices(flow, qid, question.get("options", []))
    elif kind == "scale":
        values = list(range(question["min"], question["max"] + 1))
        step = min(16.0 * style.scale, (RIGHT - LEFT - b) / max(1, len(values) - 1))
        half = ((len(values) - 1) * step + b) / 2 - 2
        size = style.small
        low = fonts.wrap(question["min_label"], size, half) if question.get("min_label") else []
        high = fonts.wrap(question["max_label"], size, half) if question.get("max_label") else []
        label_lines = max(1, len(low), len(high))
        flow.need(b + style.line * (1.6 + label_lines) + 2)
        for index, value in enumerate(values):
            x = LEFT + index * step
            flow.box(x, flow.y, qid, value=value)
            flow.text(x + b / 2, flow.y + b + style.line, str(value), style.body, align="center")
        # The end labels share the width under the boxes, each wrapping in its half.
        labels_y = flow.y + b + style.line * 2.1
        for index, line in enumerate(low):
            flow.text(LEFT, labels_y + index * style.line, line, size)
        for index, line in enumerate(high):
            flow.text(
                LEFT + (len(values) - 1) * step + b,
                labels_y + index * style.line,
                line,
                size,
                align="right",
            )
        flow.y += b + style.line * (1.6 + label_lines)
    elif kind == "ranking":
        options = question.get("options", [])
        ranks = [str(rank) for rank in range(1, len(options) + 1)]
        column = _column(style, ranks, 9.0)
        grid_x = RIGHT - len(options) * column

        def rank_header():
            _grid_header(flow, ranks, grid_x, column, style)

        rank_header()
        for option in options:
            keys = [{"option": option["id"], "rank": rank} for rank in range(1, len(options) + 1)]
            _grid_row(flow, option["text"], grid_x, column, style, keys, qid, rank_header)
    elif kind == "budget":
        digits = len(str(question["total"]))
        cell = 7.0 * style.scale
        grid_x = RIGHT - digits * cell
        for option in question.get("options", []):
            lines = fonts.wrap(option["text"], style.body, grid_x - LEFT - 4)
            height = max(cell, len(lines) * style.line) + (1.5 if style.compact else 2.5)
            flow.need(height)
            for index, line in enumerate(lines):
                flow.text(LEFT, flow.y + style.line * 0.8 + index * style.line, line, style.body)
            for place in range(digits):
                x = grid_x + (digits - 1 - place) * cell
                flow.page.boxes.append(
                    {
                        "question": qid,
                        "option": option["id"],
                        "digit": place,
                        "x": round(x, 2),
                        "y": round(flow.y, 2),
                        "w": cell,
                        "h": cell,
                    }
                )
            flow.y += height
        flow.need(style.line + 2)
        flow.text(
            RIGHT,
            flow.y + style.line,
            strings["budget_total"].replace("{total}", str(question["total"])),
            style.body,
            bold=True,
            align="right",
        )
        flow.y += style.line + 2
    elif kind == "open_text":
        lines = max(3, min(style.writing_lines, (question.get("max_length") or 500) // 70))
        _area(flow, qid, lines, style, key="text")
    elif kind == "qna":
        # A question card: a writing area, then a tick row of the panel members.
        lines = max(3, min(style.writing_lines, (question.get("max_length") or 300) // 60))
        _area(flow, qid, lines, style, key="proposal")
        panel = question.get("panel", [])
        if panel:
            flow.need(style.line * 1.6 + style.box)
            flow.paragraph(strings.get("qna_to", ""), style.small)
            _choices(flow, qid, panel, key="panel_member")
    elif kind == "statements":
        labels = [strings["agree"], strings["disagree"], strings["pass"]]
        column = _column(style, labels, 16.0)
        grid_x = RIGHT - 3 * column

        def vote_header():
            _grid_header(flow, labels, grid_x, column, style)

        vote_header()
        for statement in question.get("statements", []):
            keys = [{"statement": statement["id"], "vote": vote} for vote in VOTES]
            _grid_row(flow, statement["text"], grid_x, column, style, keys, qid, vote_header)
        if question.get("participants_may_add"):
            prompt = fonts.wrap(strings["own_statement"], style.small, RIGHT - LEFT)
            # The prompt stays with its writing space.
            flow.need(len(prompt) * style.small * PT * 1.35 + _area_height(2, style))
            flow.paragraph(strings["own_statement"], style.small)
            _area(flow, qid, 2, style, key="proposal")
    return page


def _choices(flow: Flow, qid: int, options: list[dict], key: str = "option") -> None:
    """A box per option: one column, or (compact, four options or more, each on one line)
    two columns read downwards. Boxes are listed in the options' order either way,
    which is the order a teller's screen shows them in."""
    style = flow.style
    b = style.box
    half = (RIGHT - LEFT) / 2
    columns = 1
    if style.compact and len(options) >= 4:
        wrapped = [fonts.wrap(o["text"], style.body, half - b - 7) for o in options]
        if all(len(lines) == 1 for lines in wrapped):
            columns = 2
    if columns == 1:
        for option in options:
            lines = fonts.wrap(option["text"], style.body, RIGHT - LEFT - b - 3)
            height = max(b, len(lines) * style.line) + 2
            flow.need(height)
            _choice(flow, qid, option, lines, LEFT, flow.y, key)
            flow.y += height
        return
    rows = math.ceil(len(options) / 2)
    height = max(b, style.line) + 2
    flow.need(rows * height)
    for index, option in enumerate(options):
        column, row = divmod(index, rows)
        _choice(flow, qid, option, wrapped[index], LEFT + column * half, flow.y + row * height, key)
    flow.y += rows * height


def _choice(
    flow: Flow,
    qid: int,
    option: dict,
    lines: list[str],
    x: float,
    y: float,
    key: str = "option",
) -> None:
    style = flow.style
    b = style.box
    flow.box(x, y, qid, **{key: option["id"]})
    for index, line in enumerate(lines):
        flow.text(x + b + 3, y + b * 0.78 + index * style.line, line, style.body)


def _column(style: Style, labels: list[str], least: float) -> float:
    """The width of a grid's column: room for its box and for its heading."""
    widest = max((fonts.width_mm(label, style.label, True) for label in labels), default=0)
    return max(style.box + 3, least * style.scale, widest + 3)


def _grid_header(flow: Flow, labels: list[str], grid_x: float, column: float, style: Style) -> None:
    flow.need(style.line + 1)
    for index, label in enumerate(labels):
        flow.text(
            grid_x + index * column + column / 2 - 1.5,
            flow.y + style.line * 0.8,
            label,
            style.label,
            bold=True,
            align="center",
        )
    flow.y += style.line + 1


def _grid_row(flow, text, grid_x, column, style, keys, qid, header) -> None:
    """One row of a grid (label, then a box per column); on a new page the header repeats."""
    b = style.box
    lines = fonts.wrap(text, style.body, grid_x - LEFT - 3)
    height = max(b, len(lines) * style.line) + (1.8 if style.compact else 2.5)
    if flow.need(height):
        header()
    for index, line in enumerate(lines):
        flow.text(LEFT, flow.y + b * 0.78 + index * style.line, line, style.body)
    for index, key in enumerate(keys):
        flow.box(grid_x + index * column + (column - b) / 2 - 1.5, flow.y, qid, **key)
    flow.page.lines.append(
        {"kind": "row", "x": LEFT, "y": round(flow.y + height - 1, 2), "w": RIGHT - LEFT, "h": 0}
    )
    flow.y += height


def _area_height(lines: int, style: Style) -> float:
    return lines * 8.0 * style.scale + 2


def _area(flow: Flow, qid: int, lines: int, style: Style, *, key: str) -> None:
    spacing = 8.0 * style.scale
    height = _area_height(lines, style)
    flow.need(height)
    flow.page.areas.append(
        {
            "question": qid,
            "kind": key,
            "x": LEFT,
            "y": round(flow.y, 2),
            "w": RIGHT - LEFT,
            "h": round(height, 2),
            "lines": lines,
            "spacing": spacing,
        }
    )
    flow.y += height + 2
