"""When in doubt, ask a person (issue 19): each case that was once read as sure and wrong
is drawn on a rendered, straightened page of a real form and must go to review with its
reason; clean marks on the same form stay sure."""

import cv2
import numpy as np
import pytest

from printables import fonts
from printables.layout import PT
from sessions_app.reading import work
from sessions_app.reading.answers import read_answers
from sessions_app.reading.marks import (
    LOST_EMPTY,
    capture_of,
    find_creases,
    flatten,
    is_binary,
    is_copied,
)
from sessions_app.reading.page import PX_PER_MM, find_page, images
from sessions_app.reading.synthetic import draw_mark, photograph, render_pdf_page
from sessions_app.reading.work import read_page

from .test_reading_marks import printed_form

pytestmark = pytest.mark.django_db

DPI = PX_PER_MM * 25.4


@pytest.fixture
def form(paper_session):
    """The form's layout, its pages rendered straight at the reader's 8 px/mm, the
    questions, and what the reader makes of pages."""
    session, questions = paper_session
    layout, pdf = printed_form(session)
    width = round(layout["page"]["width"] * PX_PER_MM)
    height = round(layout["page"]["height"] * PX_PER_MM)
    pages = []
    for index in range(len(layout["pages"])):
        page = np.full((height, width), 255, np.uint8)
        rendered = render_pdf_page(pdf, index, dpi=DPI)[:height, :width]
        page[: rendered.shape[0], : rendered.shape[1]] = rendered
        # As a camera gives it: paper a little grey, black not quite black, some grain.
        grain = np.random.default_rng(index).normal(0, 2.0, page.shape)
        pages.append(np.clip(page * 0.92 + 10 + grain, 0, 255).astype(np.uint8))
    kinds = {q.pk: {"kind": q.kind, "max_choices": q.max_choices} for q in questions.values()}

    def read(images_=None, resolution=None):
        boxes, areas = [], []
        for page, layout_page in zip(images_ or pages, layout["pages"], strict=True):
            _image, found, written = read_page(page, layout_page, resolution)
            boxes += found
            areas += written
        return read_answers(boxes, kinds, areas)

    return layout, pages, questions, read


def where(layout, question, **key):
    """The page index and the layout box of the box with ``key``."""
    for index, page in enumerate(layout["pages"]):
        for box in page["boxes"]:
            if box["question"] == question.pk and all(box.get(k) == v for k, v in key.items()):
                return index, box
    raise LookupError(key)


def ids(question):
    return list(question.options.order_by("position").values_list("pk", flat=True))


def line(page, points_mm, level: int, width_mm: float) -> None:
    """A pen stroke through ``points_mm`` (layout mm)."""
    points = np.array([[round(x * PX_PER_MM), round(y * PX_PER_MM)] for x, y in points_mm])
    width = max(1, round(width_mm * PX_PER_MM))
    cv2.polylines(page, [points.astype(np.int32)], False, level, width, cv2.LINE_AA)


def mark(form_, question, kind="cross", **key) -> None:
    layout, pages, _questions, _read = form_
    index, box = where(layout, question, **key)
    draw_mark(pages[index], box, kind, dpi=DPI, seed=len(key))


def beside_a_cross(form_):
    """The multiple choice with a cross in its first option: the question, the first two
    options, and the page index and layout box of the second."""
    layout, _pages, questions, _read = form_
    multiple = questions["multiple"]
    first, second = ids(multiple)[:2]
    mark(form_, multiple, option=first)
    return (multiple, first, second, *where(layout, multiple, option=second))


def test_clean_marks_on_a_photographed_form_stay_sure(form):
    """No regression: crosses and ticks in every kind of grid, through a phone photo,
    are read as sure; the printed labels, headings and lines are no stray ink."""
    layout, pages, questions, read_pages = form
    choice, scale, ranking = questions["choice"], questions["scale"], questions["ranking"]
    statements = questions["statements"]
    mark(form, choice, option=ids(choice)[1])
    mark(form, scale, "tick", value=4)
    for rank, option in enumerate(ids(ranking), start=1):
        mark(form, ranking, option=option, rank=rank)
    for statement in ids(statements):
        mark(form, statements, "tick", statement=statement, vote="agree")
    shots = []
    for number, page in enumerate(pages):
        photo = photograph(page, angle=5, skew=0.04, blur=0.8, light=0.3, quality=60, seed=number)
        [gray] = images(photo)
        shots.append(find_page(gray, layout).image)
    answers = read_pages(shots)
    assert all(reading.sure for reading in answers.values()), {
        q: r.reasons for q, r in answers.items() if not r.sure
    }
    assert answers[choice.pk].answer == {"option": ids(choice)[1]}
    assert answers[ranking.pk].answer == {"ranking": ids(ranking)}
    assert answers[statements.pk].answer == {"votes": {str(s): "agree" for s in ids(statements)}}


@pytest.mark.parametrize("into_the_box", [False, True], ids=["round_the_label", "into_the_box"])
def test_a_circled_option_label_goes_to_review_not_to_no_answer(form, into_the_box):
    """A label circled, and no ink in its box. Drawn wide, the circle runs into the box:
    near the box that is its mark overshooting, but the rest of it is still ink beside
    the boxes (in a blurred photo, a circle next to the box runs together with its
    outline, and so into it: a probe of seed 116)."""
    layout, pages, questions, read = form
    choice = questions["choice"]
    index, box = where(layout, choice, option=ids(choice)[1])
    label = next(
        t
        for t in layout["pages"][index]["texts"]
        if abs(t["x"] - (box["x"] + box["w"] + 3)) < 0.6 and abs(t["y"] - box["y"]) < box["w"]
    )
    width = fonts.width_mm(label["text"], label["size"], label["bold"])
    cx, cy = label["x"] + width / 2, box["y"] + box["w"] / 2
    rx, ry = width / 2 + 2.0, label["size"] * PT * 0.95
    if into_the_box:  # its left end a millimetre inside the box's right side
        rx = cx - (box["x"] + box["w"] - 1.0)
    ellipse = [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in np.linspace(0, 2.05 * np.pi, 40)]
    line(pages[index], ellipse, 60, 0.4)
    reading = read()[choice.pk]
    assert not reading.sure and reading.answer is None
    assert reading.reasons == ["stray_ink"]
    assert reading.confidence <= 0.5


def test_a_note_in_the_margin_goes_to_review(form):
    layout, pages, questions, read = form
    scale = questions["scale"]
    mark(form, scale, value=2)
    index, box = where(layout, scale, value=1)
    cv2.putText(
        pages[index],
        "nee!",
        (round(3 * PX_PER_MM), round((box["y"] + 4) * PX_PER_MM)),
        cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
        0.9,
        50,
        2,
        cv2.LINE_AA,
    )
    reading = read()[scale.pk]
    assert not reading.sure and "stray_ink" in reading.reasons and reading.answer is None


def test_a_scribbled_out_box_is_never_a_second_choice(form):
    """Scribbled over, back and forth: taken back, as a teller takes it (the printed rule
    asks for the box made black); never read as ``[a, b]``, sure. (Between a cross and a
    scribble, ``classify`` leaves it to a person: ``test_reading_answers``.)"""
    _layout, pages, _questions, read = form
    multiple, first, second, index, box = beside_a_cross(form)
    x, y, w = box["x"], box["y"], box["w"]

    def scribble(rows: int) -> list[tuple[float, float]]:
        return [
            (x - 0.6 if row % 2 else x + w + 0.6, y - 0.5 + (w + 1.0) * row / rows)
            for row in range(rows + 1)
        ]

    line(pages[index], scribble(7), 40, 0.5)
    reading = read()[multiple.pk]
    [scribbled] = [b for b in reading.boxes if b.key["option"] == second]
    assert scribbled.state == "filled" and scribbled.runs >= 3, (scribbled.runs, scribbled.faint)
    assert reading.sure and reading.answer == {"options": [first]}


def test_a_box_hatched_over_in_light_pencil_is_no_second_choice(form):
    """A box shaded over with nine light pencil strokes, none pressed: grey but not grey
    all over, leaving the box nowhere, each stroke crossed once by a line at right angles
    to it, so no two lie one above the other as ``STACKED_DOWN`` asks. Lines down and
    across it cross three strokes and more in the faint ink, as no cross or tick does
    (``STACKED_FAINT_RUNS``): for a person, not one more option, sure (it was)."""
    _layout, pages, _questions, read = form
    multiple, first, second, index, box = beside_a_cross(form)
    x, y, w = box["x"], box["y"], box["w"]
    strokes = 9
    for k in range(strokes):
        off = (k + 0.5) / strokes * 2 * w - w  # diagonals spread over the whole box
        start = (x + max(0.0, off), y + max(0.0, -off))
        end = (x + w - max(0.0, -off), y + w - max(0.0, off))
        line(pages[index], [start, end], 175, 0.25)
    reading = read()[multiple.pk]
    [hatched] = [b for b in reading.boxes if b.key["option"] == second]
    assert hatched.stacked and hatched.state == "unsure", (hatched.state, hatched.faint)
    assert not reading.sure and reading.answer != {"options": [first, second]}
    [cross] = [b for b in reading.boxes if b.key["option"] == first]
    assert cross.state == "marked" and not cross.stacked


def test_a_sparse_scribble_that_measures_as_a_cross_is_for_a_person(form):
    """Four strokes back and forth leave two inside the box's middle, as a cross does: its
    turns outside the box give it away (a cross leaves its box four times at most), so
    it is no second option, sure; an overshooting cross beside it stays a mark."""
    layout, pages, questions, read = form
    multiple = questions["multiple"]
    first, second = ids(multiple)[:2]
    index, box = where(layout, multiple, option=first)
    x, y, w = box["x"], box["y"], box["w"]
    line(pages[index], [(x - 1.2, y - 1.2), (x + w + 1.2, y + w + 1.2)], 40, 0.5)
    line(pages[index], [(x + w + 1.2, y - 1.2), (x - 1.2, y + w + 1.2)], 40, 0.5)
    index, box = where(layout, multiple, option=second)
    x, y, w = box["x"], box["y"], box["w"]
    turns = [
        (x - 1.0 if row % 2 else x + w + 1.0, y - 0.6 + (w + 1.2) * row / 4) for row in range(5)
    ]
    line(pages[index], turns, 40, 0.5)
    reading = read()[multiple.pk]
    crossed, scribbled = (
        next(b for b in reading.boxes if b.key["option"] == o) for o in (first, second)
    )
    assert crossed.state == "marked" and crossed.leaves <= 4, crossed
    assert scribbled.state == "unsure" and scribbled.leaves >= 5, scribbled
    assert not reading.sure and "unsure_box" in reading.reasons


def on_outline(box) -> list[tuple[float, float]]:
    """A scribble back and forth across ``box``, turning on its outline: the first and the
    last strokes run along the outline, two cross the middle."""
    x, y, w = box["x"], box["y"], box["w"]
    return [
        (x + w + 0.3, y),
        (x - 0.1, y + 0.4),
        (x + w + 0.1, y + w / 2),
        (x - 0.1, y + w - 0.4),
        (x + w + 0.3, y + w),
    ]


def test_a_scribble_whose_turns_stay_on_the_outline_is_for_a_person(form):
    """Back and forth across the box, turning on its outline: nothing leaves the box,
    and the lines down it cross two strokes as a cross's do; but its strokes lie one
    above the other and a line across crosses one (``stacked``). Not a second option,
    sure; a cross and a tick beside it stay marks."""
    layout, pages, questions, read = form
    multiple = questions["multiple"]
    first, second, third = ids(multiple)[:3]
    mark(form, multiple, option=first)
    mark(form, multiple, "tick", option=third)
    index, box = where(layout, multiple, option=second)
    line(pages[index], on_outline(box), 50, 0.4)
    reading = read()[multiple.pk]
    crossed, scribbled, ticked = (
        next(b for b in reading.boxes if b.key["option"] == o) for o in (first, second, third)
    )
    assert scribbled.stacked and scribbled.state == "unsure", scribbled
    assert scribbled.leaves <= 4  # the rings outside the box do not give it away
    for made in (crossed, ticked):
        assert made.state == "marked" and not made.stacked, made
    assert not reading.sure and "unsure_box" in reading.reasons


def test_a_pencil_scribble_stacked_in_its_faint_ink_is_for_a_person(form):
    """Pencil's grain breaks a stroke up where it is pressed: the strokes lying one above
    the other show in its faint ink (``stacked``), not a second option, sure."""
    _layout, pages, _questions, read = form
    multiple, _first, second, index, box = beside_a_cross(form)
    line(pages[index], on_outline(box), 185, 0.5)  # grey: lighter than a pressed stroke
    reading = read()[multiple.pk]
    [scribbled] = [b for b in reading.boxes if b.key["option"] == second]
    assert scribbled.stacked and scribbled.state == "unsure" and scribbled.strong == 0, scribbled
    assert not reading.sure


def test_a_large_tick_through_a_boxs_corner_leaves_it_not_clearly_empty(form):
    """A tick drawn large and low, its strokes mostly outside the box: what is inside is
    no more than a stray dot's ink, but it runs on out of the box. Not clearly empty:
    the row goes to a person, never "no vote" (a 300 dpi scan of seed 10)."""
    layout, pages, questions, read = form
    statements = questions["statements"]
    first = statements.options.order_by("position").first()
    index, box = where(layout, statements, statement=first.pk, vote="pass")
    x, y, w = box["x"], box["y"], box["w"]
    # Its vertex below the box; the long stroke ends just inside the box's corner.
    tick = [(x - 2.5, y + w - 1.0), (x - 0.8, y + w + 1.8), (x + 1.5, y + w - 1.0)]
    line(pages[index], tick, 50, 0.5)
    reading = read()[statements.pk]
    key = {"question": statements.pk, "statement": first.pk, "vote": "pass"}
    [ticked] = [b for b in reading.boxes if b.key == key]
    assert ticked.state == "empty" and (ticked.strong > 0 or ticked.faint > 0), ticked
    assert ticked.confidence < 0.5
    assert not reading.sure


@pytest.mark.parametrize("level", [190, 205])
def test_a_light_tick_across_a_boxs_corner_leaves_it_not_clearly_empty(form, level):
    """A light pencil tick drawn low, its long stroke in and out across the box's
    corner: inside, a trace within a stray dot's reach, which a sharp picture takes for
    a dot; too light for a pressed stroke leaving the box, but its faint ink crosses the
    rings around it twice. Not clearly empty: never "no vote" (a probe beyond the set,
    ``--wider``: seeds 107 and 108)."""
    layout, pages, questions, read = form
    statements = questions["statements"]
    first = statements.options.order_by("position").first()
    index, box = where(layout, statements, statement=first.pk, vote="pass")
    x, y, w = box["x"], box["y"], box["w"]
    tick = [(x - 0.8, y + w + 0.2), (x + 1.0, y + w + 1.6), (x + w + 1.8, y + w - 3.2)]
    line(pages[index], tick, level, 0.4)
    reading = read(resolution=PX_PER_MM)[statements.pk]  # 8 px/mm: sharp
    key = {"question": statements.pk, "statement": first.pk, "vote": "pass"}
    [ticked] = [b for b in reading.boxes if b.key == key]
    assert ticked.state == "empty" and ticked.strong == 0 and ticked.faint > 0, ticked
    assert ticked.span <= 0.3  # a dot's reach (``DOT_SPAN``)
    assert ticked.confidence < 0.5
    assert not reading.sure


def test_a_light_pencil_tick_in_one_row_makes_the_whole_question_unsure(form):
    """One row's faint tick is neither clearly empty nor clearly marked: the statements
    are read as a whole, never with that row dropped and the rest kept as sure."""
    layout, pages, questions, read = form
    statements = questions["statements"]
    first, second = ids(statements)
    mark(form, statements, "tick", statement=first, vote="agree")
    index, box = where(layout, statements, statement=second, vote="pass")
    x, y, _w = box["x"], box["y"], box["w"]
    line(pages[index], [(x + 1.2, y + 2.6), (x + 2.0, y + 3.8), (x + 3.6, y + 1.3)], 222, 0.25)
    reading = read()[statements.pk]
    assert not reading.sure and reading.answer is None
    assert reading.reasons == ["unsure_box"]
    [faint] = [b for b in reading.boxes if b.key == {**faint_key(statements, second)}]
    assert faint.state == "unsure" and faint.span >= 0.45


def faint_key(statements, statement) -> dict:
    return {"question": statements.pk, "statement": statement, "vote": "pass"}


def test_a_full_ranking_with_one_place_missing_goes_to_review(form):
    """All options ranked but the last, in whose row is a trace of ink too small to be a
    mark: the last place, marked lightly, may have been missed. Not sure."""
    layout, pages, questions, read = form
    ranking = questions["ranking"]
    options = ids(ranking)
    for rank, option in enumerate(options[:-1], start=1):
        mark(form, ranking, option=option, rank=rank)
    assert read()[ranking.pk].answer == {"ranking": options[:-1]}  # its row clean: sure
    index, box = where(layout, ranking, option=options[-1], rank=len(options))
    centre = (box["x"] + box["w"] / 2, box["y"] + box["w"] / 2)
    line(pages[index], [centre, (centre[0] + 0.3, centre[1] + 0.2)], 150, 0.3)
    reading = read()[ranking.pk]
    assert not reading.sure and reading.reasons == ["blank_in_doubt"]
    assert {b.state for b in reading.boxes if b.key["option"] == options[-1]} == {"empty"}


def test_a_light_pencil_line_in_the_writing_area_is_writing(form):
    layout, pages, questions, read = form
    text = questions["text"]
    [(index, area)] = [
        (i, a)
        for i, page in enumerate(layout["pages"])
        for a in page["areas"]
        if a["question"] == text.pk
    ]
    base = area["y"] + area["spacing"] - 2.0
    wave = [(area["x"] + 6 + k * 6, base + (0.5 if k % 2 else 0)) for k in range(8)]
    line(pages[index], wave, 175, 0.3)
    reading = read()[text.pk]
    assert not reading.sure and reading.reasons == ["handwriting"]


def test_black_and_white_scans_do_not_call_a_blank_row_sure(form):
    """Thresholded to black and white, a light tick can vanish without a trace: no empty
    box there is clearly empty, so a question goes to a person unless every box of it is
    marked; the marks are still read, for the person to confirm. The page is found to be
    black and white after it was straightened too (greyed edges)."""
    _layout, pages, questions, read = form
    choice, scale, multiple = questions["choice"], questions["scale"], questions["multiple"]
    mark(form, choice, option=ids(choice)[0])
    mark(form, multiple, option=ids(multiple)[0])
    assert not is_binary(pages[0])
    binary = [np.where(page < 150, 0, 255).astype(np.uint8) for page in pages]
    assert is_binary(binary[0])
    turned = cv2.warpAffine(
        binary[0], cv2.getRotationMatrix2D((500, 700), 0.7, 1.01), binary[0].shape[::-1]
    )
    assert is_binary(turned)  # straightened: edges grey, paper still pure white
    answers = read(binary)
    assert answers[choice.pk].reasons == ["blank_in_doubt"]
    assert [b.state for b in answers[choice.pk].boxes] == ["marked", "empty", "empty"]
    assert answers[scale.pk].reasons == ["blank_in_doubt"] and answers[scale.pk].answer is None
    assert answers[multiple.pk].reasons == ["blank_in_doubt"]
    assert answers[multiple.pk].answer is None
    # The same marks in grey are read whole.
    grey = read()
    assert grey[choice.pk].answer == {"option": ids(choice)[0]}
    assert grey[scale.pk].sure and grey[multiple.pk].answer == {"options": [ids(multiple)[0]]}


def test_a_hard_shadow_across_a_box_is_no_mark(form):
    """A shadow's sharp edge through an empty box darkens half of it: against the paper
    around it that looked like ink. The page is flattened first (``flatten``)."""
    layout, pages, questions, read = form
    scale = questions["scale"]
    mark(form, scale, value=4)
    index, box = where(layout, scale, value=2)
    page = pages[index].astype(np.float32)
    edge = round((box["x"] + box["w"] / 2) * PX_PER_MM)
    page[:, :edge] *= 0.55  # everything left of the box's middle in shadow
    pages[index] = page.astype(np.uint8)
    flat = flatten(pages[index])
    paper = flat[: round(40 * PX_PER_MM), round(5 * PX_PER_MM) : edge - PX_PER_MM]
    assert np.median(paper) >= 245  # the shadowed paper is white again
    reading = read()[scale.pk]
    assert reading.sure and reading.answer == {"value": 4}, reading.reasons
    assert {b.key["value"]: b.state for b in reading.boxes}[2] == "empty"


def coarse_shadow(page: np.ndarray, polygon_mm: list[tuple[float, float]]) -> np.ndarray:
    """``page`` with a hard shadow over ``polygon_mm`` (layout mm), its edge drawn coarse,
    as a hand's shadow or a coarse shading gives it: a staircase a few millimetres a
    step, lightly smoothed."""
    height, width = page.shape
    coarse = np.zeros((height // 6, width // 6), np.float32)
    scale = PX_PER_MM / 6
    points = np.array([(x * scale, y * scale) for x, y in polygon_mm], np.int32)
    cv2.fillPoly(coarse, [points], 1.0)
    mask = cv2.resize(cv2.GaussianBlur(coarse, (0, 0), 0.5), (width, height))
    return np.clip(page * (1 - 0.45 * mask), 0, 255).astype(np.uint8)


def ragged_shadow(page: np.ndarray, top_x_mm: float, bottom_x_mm: float) -> np.ndarray:
    """A shadow over the page's left part, its edge slanting from ``top_x_mm`` to
    ``bottom_x_mm``."""
    bottom = page.shape[0] / PX_PER_MM
    return coarse_shadow(page, [(0, 0), (top_x_mm, 0), (bottom_x_mm, bottom), (0, bottom)])


def shadow_above(page: np.ndarray, left_y_mm: float, right_y_mm: float) -> np.ndarray:
    """A shadow over the page's top, its edge running across from ``left_y_mm`` to
    ``right_y_mm``."""
    right = page.shape[1] / PX_PER_MM
    return coarse_shadow(page, [(0, 0), (right, 0), (right, right_y_mm), (0, left_y_mm)])


def test_a_note_written_along_a_shadows_edge_still_goes_to_a_person(form):
    """A small note in light pencil in the margin, a shadow's edge running right along
    it: the strip along the edge does not hide it (there ink must be darker than the
    seam, ``SHADE_DARK``, not absent), so the question goes to a person. (A probe beyond
    the realistic set found it unseen when the strip was left out whole.)"""
    layout, pages, questions, read = form
    scale = questions["scale"]
    mark(form, scale, value=2)
    index, box = where(layout, scale, value=1)
    y = box["y"] + box["w"] / 2
    cv2.putText(
        pages[index],
        "weet niet",
        (round(2.5 * PX_PER_MM), round((y + 1.2) * PX_PER_MM)),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.55,
        150,
        2,
        cv2.LINE_AA,
    )
    shaded = list(pages)
    shaded[index] = shadow_above(pages[index], y - 1, y + 1)
    reading = read(shaded)[scale.pk]
    assert not reading.sure and "stray_ink" in reading.reasons and reading.answer is None


def test_a_circle_in_a_shadow_near_its_edge_still_goes_to_a_person(form):
    """Along a shadow's edge no ink beside a question is looked for (``shade_edges``),
    in a strip of a millimetre and a quarter: a label circled in the shadow, a few
    millimetres from its edge, is still a person's to read, and the marks are read."""
    layout, pages, questions, read = form
    choice, scale = questions["choice"], questions["scale"]
    mark(form, choice, option=ids(choice)[0])
    mark(form, scale, value=3)
    index, box = where(layout, choice, option=ids(choice)[0])
    x = box["x"] + box["w"] + 40
    answers = read([ragged_shadow(page, x, x + 9) for page in pages])
    assert all(r.sure for r in answers.values()), {q: r.reasons for q, r in answers.items()}
    assert answers[choice.pk].answer == {"option": ids(choice)[0]}
    assert answers[scale.pk].answer == {"value": 3}
    # A circle around the second option's label, its right end 4 mm from the edge.
    _index, second = where(layout, choice, option=ids(choice)[1])
    cx, cy = x - 14 + (second["y"] / 297) * 9, second["y"] + second["w"] / 2
    ellipse = [
        (cx + 10 * np.cos(a), cy + 2.6 * np.sin(a)) for a in np.linspace(0, 2.05 * np.pi, 40)
    ]
    line(pages[index], ellipse, 60, 0.4)
    reading = read([ragged_shadow(page, x, x + 9) for page in pages])[choice.pk]
    assert not reading.sure and reading.reasons == ["stray_ink"]


def test_a_ragged_shadow_edge_as_the_realistic_set_draws_it_is_no_ink(paper_session, monkeypatch):
    """The realistic set's hard shadow (``bench.realistic``: a polygon drawn coarse, in a
    JPEG photo) leaves a broken seam of faint dashes along its edge on the flattened
    page, which was read as ink beside a question the sheet's filler never touched. It
    lies along a step in the paper's brightness (``marks.shade_edges``), and is no ink.
    (Seed 18's shadow over this form was such a case; without ``shade_edges`` the
    statements' question is sent to a person for ``stray_ink``.)"""
    from bench import realistic
    from bench.reading import read_each
    from printables import paper_form
    from printables.strings import form_strings
    from sessions_app.demo import fill_in_rows
    from sessions_app.services.printing import form_layout

    session, _questions = paper_session
    layout = form_layout(session=session, large_print=False).data
    questions = fill_in_rows(list(session.questions.order_by("position")))
    row = paper_form.SheetRow("ABCD2345", "http://inspraak.test/t/x/")
    pdf = paper_form.render(layout, [row], form_strings(), title="t")
    pictures, filled = realistic.make_sheet(
        pdf, layout, questions, realistic.sheet_rng(18, 4), "shadow"
    )
    assert not any(truth["review"] for truth in filled.truth.values())

    def strays() -> set[int]:
        pages = read_each(pictures, layout)
        return {
            a.key["question"]
            for page in pages
            for a in page[1]
            if a.written and a.key["kind"] == "stray"
        }

    assert strays() == set()
    monkeypatch.setattr(work, "shade_edges", lambda paper: None)
    assert strays() != set()  # the seam is there: it is the strip that leaves it out


def test_a_fold_across_the_form_is_no_ink_and_a_blank_row_on_it_is_for_a_person(form):
    """A crease: a dark line from edge to edge, through boxes and writing. It is found in
    the margins, whitened out, and is neither a mark nor writing; a row read blank on it
    goes to a person (a light tick may have gone with it); a mark on it is still read."""
    layout, pages, questions, read = form
    statements = questions["statements"]
    first, second = ids(statements)
    index, box = where(layout, statements, statement=first, vote="agree")
    mark(form, statements, statement=first, vote="disagree")
    y = box["y"] + box["w"] / 2
    height = pages[index].shape[0]
    page = pages[index].astype(np.float32)
    rows = np.arange(height, dtype=np.float32)[:, None] - y * PX_PER_MM
    page *= 1 - 0.35 * np.exp(-((rows / (0.4 * PX_PER_MM)) ** 2))  # the fold's ridge
    pages[index] = page.astype(np.uint8)
    [(start, end)] = find_creases(flatten(pages[index]))
    assert abs(start[1] - y * PX_PER_MM) <= PX_PER_MM and abs(end[1] - y * PX_PER_MM) <= PX_PER_MM
    assert (
        find_creases(flatten(pages[1 - index] if len(pages) > 1 else pages[index] * 0 + 230)) == []
    )
    answers = read()
    reading = answers[statements.pk]
    # The first row is voted on the fold; the second row is blank and off it.
    assert reading.answer == {"votes": {str(first): "disagree"}}, reading.reasons
    assert all(r.reasons != ["handwriting"] for r in answers.values())
    # Now the fold through the blank row instead: in doubt.
    _i, other = where(layout, statements, statement=second, vote="agree")
    page = pages[index].astype(np.float32)
    rows = np.arange(height, dtype=np.float32)[:, None] - (other["y"] + other["w"] / 2) * PX_PER_MM
    page *= 1 - 0.35 * np.exp(-((rows / (0.4 * PX_PER_MM)) ** 2))
    pages[index] = page.astype(np.uint8)
    reading = read()[statements.pk]
    assert not reading.sure and reading.reasons == ["blank_in_doubt"]


def test_specks_lined_up_along_a_curled_edge_are_no_photocopy(form):
    """A curled sheet's edge (or the table's) can show in the margin as a broken dark line:
    dots all in one column are an edge, not a copier's toner, which falls anywhere."""
    _layout, pages, _questions, _read = form
    height, width = pages[0].shape
    edge = pages[0].copy()
    x = width - round(5 * PX_PER_MM)
    for y in range(round(30 * PX_PER_MM), height - round(30 * PX_PER_MM), 40):
        edge[y : y + 3, x : x + 2] = 40  # 60 dots down one column, 3 mm from the edge
    assert not is_copied(flatten(edge))
    # The same number of dots scattered across the margin strip is a copy.
    rng = np.random.default_rng(5)
    scattered = pages[0].copy()
    for y in range(round(30 * PX_PER_MM), height - round(30 * PX_PER_MM), 40):
        x = width - round(float(rng.uniform(3, 16)) * PX_PER_MM)
        scattered[y : y + 3, x : x + 2] = 40
    assert is_copied(flatten(scattered))
    # A copy with heavy toner has many dots in every column: still a copy.
    heavy = pages[0].copy()
    for _ in range(6000):
        y = int(rng.integers(round(30 * PX_PER_MM), height - round(30 * PX_PER_MM)))
        x = width - round(float(rng.uniform(2.5, 16.5)) * PX_PER_MM)
        heavy[y : y + 3, x : x + 3] = 40
    assert is_copied(flatten(heavy))


def test_a_photocopy_is_known_by_its_specks_and_a_blank_row_on_it_is_for_a_person(form):
    """A copy of a copy turns light grey white, so a light tick can be gone without a
    trace; the copier's toner specks on the blank margins give it away. On such a page no
    empty box is clearly empty: the questions go to a person, with their marks read."""
    _layout, pages, questions, read = form
    choice, scale = questions["choice"], questions["scale"]
    mark(form, choice, option=ids(choice)[1])
    assert not is_copied(flatten(pages[0]))
    rng = np.random.default_rng(3)
    copied = []
    for page in pages:
        page = page.copy()
        height, width = page.shape
        for _ in range(400):  # specks of a few pixels all over the page
            x, y = int(rng.integers(0, width - 3)), int(rng.integers(0, height - 3))
            page[y : y + 3, x : x + 3] = 40
        copied.append(page)
    assert is_copied(flatten(copied[0]))
    answers = read(copied)
    assert answers[choice.pk].reasons == ["blank_in_doubt"]
    assert [b.state for b in answers[choice.pk].boxes] == ["empty", "marked", "empty"]
    assert answers[scale.pk].reasons == ["blank_in_doubt"]
    assert read()[scale.pk].sure  # the original: a blank scale is blank


def test_a_coarse_picture_can_lose_a_light_tick_and_is_for_a_person(form):
    """Below 5.5 pixels of the picture to a millimetre of paper (a 1600 x 1200 photo of
    the whole page) a light pencil tick can thin to nothing: no empty box is clearly
    empty."""
    layout, pages, questions, _read = form
    scale = questions["scale"]
    mark(form, scale, value=2)
    for resolution, sure in ((9.5, True), (5.0, False)):
        boxes = []
        for page, layout_page in zip(pages, layout["pages"], strict=True):
            boxes += read_page(page, layout_page, resolution)[1]
        kinds = {q.pk: {"kind": q.kind, "max_choices": q.max_choices} for q in questions.values()}
        reading = read_answers(boxes, kinds)[scale.pk]
        assert reading.sure is sure, (resolution, reading.reasons)
        if not sure:
            assert reading.reasons == ["blank_in_doubt"]


def read_at(form_, resolution: float):
    """The questions read as from a picture of ``resolution`` px a mm of paper."""
    layout, pages, questions, _read = form_
    boxes = []
    for page, layout_page in zip(pages, layout["pages"], strict=True):
        boxes += read_page(page, layout_page, resolution)[1]
    kinds = {q.pk: {"kind": q.kind, "max_choices": q.max_choices} for q in questions.values()}
    return read_answers(boxes, kinds)


def test_a_stray_dot_in_a_sharp_picture_is_no_lost_tick(form):
    """A small faint dot in a blank scale: in a sharp picture (an 8-megapixel photo,
    9.5 px a mm) what is left of a light tick still reaches across its box, so a dot is a
    dot and the blank scale is sure; in a 150 dpi scan (5.9 px a mm) a light tick can
    thin to such a trace, and the scale goes to a person. A trace reaching a third of
    the box across or more is not clearly a dot in any picture."""
    layout, pages, questions, _read = form
    scale = questions["scale"]
    index, box = where(layout, scale, value=2)
    centre = (box["x"] + box["w"] / 2, box["y"] + box["w"] / 2)
    line(pages[index], [centre, (centre[0] + 0.3, centre[1] + 0.2)], 150, 0.3)
    sharp, coarse = read_at(form, 9.5)[scale.pk], read_at(form, 5.9)[scale.pk]
    [dot] = [b for b in sharp.boxes if b.key["value"] == 2]
    assert dot.state == "empty" and dot.faint > 0 and dot.span <= 0.3
    assert sharp.sure and sharp.answer is None
    assert not coarse.sure and coarse.reasons == ["blank_in_doubt"]
    # The trace drawn on to a millimetre: still no mark, but no longer a dot.
    line(pages[index], [centre, (centre[0] + 0.9, centre[1] + 0.3)], 205, 0.25)
    longer = read_at(form, 9.5)[scale.pk]
    [trace] = [b for b in longer.boxes if b.key["value"] == 2]
    assert trace.state == "empty" and trace.span > 0.3, trace
    assert not longer.sure and longer.reasons == ["blank_in_doubt"]


def test_the_kind_of_picture_that_can_lose_a_light_mark_is_named(form):
    """``capture_of`` names what the teller is told about: a black-and-white scan, a
    photocopy (its toner specks), a coarse picture, one with too few pixels for a sharp
    one (a 150 dpi scan); a grey photo is none of them."""
    _layout, pages, _questions, _read = form
    page = pages[0]
    assert capture_of(page, flatten(page), 9.0) == ""
    assert capture_of(page, flatten(page), 5.0) == "coarse"
    assert capture_of(page, flatten(page), 5.9) == "low_resolution"  # a 150 dpi scan
    assert capture_of(page, flatten(page), 5.9, blurred=True) == "blurred"
    binary = np.where(page < 150, 0, 255).astype(np.uint8)
    assert capture_of(binary, flatten(binary), 9.0) == "black_white"
    copied = page.copy()
    rng = np.random.default_rng(3)
    for x, y in rng.integers((60, 300), (1600, 2300), (400, 2)):
        cv2.circle(copied, (int(x), int(y)), 1, 60, -1)  # a copier's specks of toner
    assert is_copied(flatten(copied)) and capture_of(copied, flatten(copied), 9.0) == "photocopy"


def test_a_light_pencil_note_in_the_margin_goes_to_review(form):
    """ "??" in light pencil beside a question, blurred as a phone blurs it: most of its
    strokes are 0.12 to 0.2 darker than the paper (``STRAY_DARK``), and it must not go
    unseen."""
    layout, pages, questions, read = form
    scale = questions["scale"]
    mark(form, scale, value=2)
    index, box = where(layout, scale, value=1)
    x, y = round(3 * PX_PER_MM), round((box["y"] + 4) * PX_PER_MM)
    cv2.putText(pages[index], "??", (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 150, 1, cv2.LINE_AA)
    region = pages[index][y - 40 : y + 20, x - 10 : x + 140]
    region[:] = cv2.GaussianBlur(region, (5, 5), 1.2)
    reading = read()[scale.pk]
    assert not reading.sure and reading.reasons == ["stray_ink"] and reading.answer is None


def test_below_six_and_a_half_pixels_a_millimetre_every_question_is_for_a_person(form):
    """Below 6.5 px a mm (a 150 dpi scan: 5.9) a scribbled-out box measures as a cross
    does, so of two marks in a multiple choice a person decides which count; and a light
    pencil mark can be gone without a trace (a lighter pencil than the realistic set
    draws, on a 150 dpi scan), so no empty box is clearly empty: one mark in a single
    choice may have had a second beside it, a blank scale a light tick. In a sharp
    picture all of these are read."""
    _layout, _pages, questions, _read = form
    multiple, choice, scale = questions["multiple"], questions["choice"], questions["scale"]
    first, second = ids(multiple)[:2]
    mark(form, multiple, option=first)
    mark(form, multiple, option=second)
    mark(form, choice, option=ids(choice)[0])
    sharp, soft = read_at(form, 9.5), read_at(form, 5.9)
    assert sharp[multiple.pk].sure and sharp[multiple.pk].answer == {"options": [first, second]}
    assert sharp[choice.pk].sure and sharp[choice.pk].answer == {"option": ids(choice)[0]}
    assert sharp[scale.pk].sure and sharp[scale.pk].answer is None
    assert not soft[multiple.pk].sure and "mark_in_doubt" in soft[multiple.pk].reasons
    assert not soft[choice.pk].sure and soft[choice.pk].reasons == ["blank_in_doubt"]
    assert not soft[scale.pk].sure and soft[scale.pk].reasons == ["blank_in_doubt"]
    layout, pages, _questions, _read = form
    empty = [
        box
        for page, layout_page in zip(pages, layout["pages"], strict=True)
        for box in read_page(page, layout_page, 5.9)[1]
        if box.state == "empty"
    ]
    assert empty and all(box.confidence <= LOST_EMPTY for box in empty)


def test_the_least_trace_in_a_soft_picture_is_not_clearly_empty(form):
    """A trace of faint ink below ``TRACE`` (0.5 % of the box) in a blank scale: in a
    sharp picture a speck; in a 150 dpi scan what a light pencil tick was once thinned
    to, so the blank scale goes to a person."""
    from sessions_app.reading.marks import TRACE

    layout, pages, questions, _read = form
    scale = questions["scale"]
    index, box = where(layout, scale, value=3)
    centre = (box["x"] + box["w"] / 2, box["y"] + box["w"] / 2)
    x, y = (round(v * PX_PER_MM) for v in centre)
    pages[index][y, x] = 130  # one grey pixel
    sharp, soft = read_at(form, 9.5)[scale.pk], read_at(form, 5.9)[scale.pk]
    [speck] = [b for b in soft.boxes if b.key["value"] == 3]
    assert speck.state == "empty" and 0 < speck.faint < TRACE and speck.strong == 0, speck
    assert sharp.sure and sharp.answer is None
    assert not soft.sure and soft.reasons == ["blank_in_doubt"]


def test_a_blank_open_answer_in_a_black_and_white_scan_is_for_a_person(form):
    """A light pencil line in a writing area can fall under a scanner's threshold: on a
    black-and-white page a blank writing area is not clearly blank; in grey it is."""
    _layout, pages, questions, read = form
    text = questions["text"]
    assert read()[text.pk].sure
    binary = [np.where(page < 150, 0, 255).astype(np.uint8) for page in pages]
    reading = read(binary)[text.pk]
    assert not reading.sure and reading.reasons == ["blank_in_doubt"]


def test_a_blank_open_answer_in_a_blurred_photo_is_for_a_person(form):
    """Blur can smear a pencil line in a writing area to nothing (seed 40): on a blurred
    page a blank writing area is not clearly blank; on the sharp page it is."""
    _layout, pages, questions, read = form
    text = questions["text"]
    assert read()[text.pk].sure
    kernel = np.full((1, 9), 1 / 9)  # a hand moving sideways
    reading = read([cv2.filter2D(page, -1, kernel) for page in pages])[text.pk]
    assert not reading.sure and reading.reasons == ["blank_in_doubt"]


def test_a_blurred_picture_is_soft_however_many_its_pixels(form):
    """Motion blur smears a light tick to a dot's trace, and makes a scribble look like a
    cross, at any number of pixels: a page whose printed outlines are blurred
    (``edge_width`` over ``SOFT_EDGE_MM``) is read as a soft one. The same small dot
    in a blank scale is a dot on the sharp page and a possible lost tick on the blurred
    one."""
    from sessions_app.reading.marks import SOFT_EDGE_MM, edge_width, locate

    layout, pages, questions, _read = form
    scale = questions["scale"]
    index, box = where(layout, scale, value=2)
    centre = (box["x"] + box["w"] / 2, box["y"] + box["w"] / 2)
    kernel = np.full((1, 9), 1 / 9)  # a hand moving sideways
    blurred = [cv2.filter2D(page, -1, kernel) for page in pages]

    def width(page):
        found = [locate(page, b) for b in layout["pages"][index]["boxes"]]
        return edge_width(page, [where_ for where_, score in found if score >= 0.5])

    assert 0 < width(pages[index]) <= SOFT_EDGE_MM < width(blurred[index])
    # The teller is told, and why (``capture_hint``); a blurred page loses no ink.
    assert work.read_page_captured(pages[index], layout["pages"][index], 9.5)[3] == ""
    assert work.read_page_captured(blurred[index], layout["pages"][index], 9.5)[3] == "blurred"
    for page in (pages[index], blurred[index]):
        line(page, [centre, (centre[0] + 0.3, centre[1] + 0.2)], 150, 0.3)
    sharp = read_at(form, 9.5)[scale.pk]
    assert sharp.sure and sharp.answer is None
    form[1][:] = blurred
    soft = read_at(form, 9.5)[scale.pk]
    [dot] = [b for b in soft.boxes if b.key["value"] == 2]
    assert dot.state == "empty" and dot.span <= 0.3, dot
    assert not soft.sure and soft.reasons == ["blank_in_doubt"]


def test_a_trace_longer_than_any_dot_is_not_clearly_empty_even_with_a_dark_core(form):
    """A short dark stroke reaching 0.4 of the box across or more (``DOT_SPAN_MAX``) in a
    blank scale, in a sharp picture: a pen's stray dot is smaller, what is left of a
    light tick may be this; the scale goes to a person."""
    from sessions_app.reading.marks import DOT_SPAN_MAX

    layout, pages, questions, _read = form
    scale = questions["scale"]
    index, box = where(layout, scale, value=4)
    centre = (box["x"] + box["w"] / 2, box["y"] + box["w"] / 2)
    x, y = centre
    line(pages[index], [(x - 0.7, y), (x + 0.95, y + 0.1)], 190, 0.15)  # a faint stroke
    line(pages[index], [(x - 0.15, y), (x + 0.15, y + 0.02)], 40, 0.25)  # pressed in one spot
    reading = read_at(form, 9.5)[scale.pk]
    [trace] = [b for b in reading.boxes if b.key["value"] == 4]
    assert trace.state == "empty" and trace.strong > 0 and trace.span > DOT_SPAN_MAX, trace
    assert not reading.sure and reading.reasons == ["blank_in_doubt"]


def test_two_marks_of_a_multiple_choice_one_on_a_fold_are_for_a_person(form):
    """A fold whitened out across a box filled in (a mark taken back) leaves it looking
    like a mark: a mark on a fold is not clearly one (``SOFT_MARK``), so of two marks in
    a multiple choice a person decides; off the fold both are read."""
    layout, pages, questions, read = form
    multiple = questions["multiple"]
    first, second = ids(multiple)[:2]
    mark(form, multiple, option=first)
    mark(form, multiple, option=second)
    assert read()[multiple.pk].answer == {"options": [first, second]}
    index, box = where(layout, multiple, option=second)
    rows = np.arange(pages[index].shape[0], dtype=np.float32)[:, None]
    rows -= (box["y"] + box["w"] / 2) * PX_PER_MM
    folded = pages[index].astype(np.float32) * (
        1 - 0.35 * np.exp(-((rows / (0.4 * PX_PER_MM)) ** 2))
    )
    pages[index] = folded.astype(np.uint8)
    reading = read()[multiple.pk]
    [on_fold] = [b for b in reading.boxes if b.key["option"] == second]
    assert on_fold.state == "marked" and on_fold.confidence < 0.6, on_fold
    assert not reading.sure and reading.reasons == ["mark_in_doubt"]
