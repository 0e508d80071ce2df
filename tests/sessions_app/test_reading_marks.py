"""Reading the boxes of a photographed form: crosses, ticks and light ticks are marks, a
filled box is a mark taken back, a stray dot is never a mark, empty boxes stay empty,
whatever the angle, blur, light and compression."""

import numpy as np
import pytest

from printables import paper_form
from printables.strings import form_strings
from sessions_app.reading.marks import percentile, read_boxes
from sessions_app.reading.page import find_page, images
from sessions_app.reading.synthetic import draw_mark, photograph, render_pdf_page
from sessions_app.services.printing import form_layout

pytestmark = pytest.mark.django_db

MARKS = ["cross", "tick", "light_tick", "fill", "dot"]
EXPECTED = {"cross": {"marked"}, "tick": {"marked"}, "light_tick": {"marked"}, "fill": {"filled"}}


def printed_form(session) -> tuple[dict, bytes]:
    """The session's form layout and the PDF of one sheet of it."""
    layout = form_layout(session=session, large_print=False).data
    row = paper_form.SheetRow("ABCD2345", "http://inspraak.test/t/x/")
    return layout, paper_form.render(layout, [row], form_strings(), title="t")


@pytest.fixture
def filled_in(paper_session):
    session, _questions = paper_session
    layout, pdf = printed_form(session)
    page = render_pdf_page(pdf)
    boxes = layout["pages"][0]["boxes"]
    marked = {}
    for index, box in enumerate(boxes[: 3 * len(MARKS)]):
        kind = MARKS[index % len(MARKS)]
        draw_mark(page, box, kind, seed=index)
        marked[index] = kind
    return layout, page, marked


@pytest.mark.parametrize(
    ("angle", "skew", "blur", "light", "quality"),
    [
        (0, 0, 0, 0, 90),
        (11, 0.06, 0.9, 0.35, 45),
        (-12, 0.09, 1.2, 0.45, 35),
        (6, 0.03, 1.5, 0.5, 35),
    ],
)
def test_marks_are_read_through_a_phone_photo(filled_in, angle, skew, blur, light, quality):
    layout, page, marked = filled_in
    photo = photograph(
        page, angle=angle, skew=skew, blur=blur, light=light, quality=quality, seed=3
    )
    [gray] = images(photo)
    read = read_boxes(find_page(gray, layout).image, layout["pages"][0])
    doubts = 0
    for index, box in enumerate(read):
        kind = marked.get(index)
        expected = {"empty"} if kind in (None, "dot") else EXPECTED[kind]  # a dot is no mark
        # Never a wrong reading taken as sure; a harsh photo may leave a box to a person.
        assert box.state in expected | {"unsure"}, (index, kind, box)
        doubts += box.state == "unsure"
        assert 0 <= box.confidence <= 1
    assert doubts <= (0 if blur == 0 else 2)
    assert read[0].key == {
        k: v for k, v in layout["pages"][0]["boxes"][0].items() if k not in "xywh"
    }


def test_a_photographed_form_gives_its_answers(paper_session):
    """A choice with one mark taken back (filled) and another made; statements voted by
    row; the rest left empty."""
    from sessions_app.reading.answers import read_answers

    session, questions = paper_session
    layout, pdf = printed_form(session)
    rendered = [render_pdf_page(pdf, index) for index in range(len(layout["pages"]))]
    choice, statements = questions["choice"], questions["statements"]
    options = list(choice.options.order_by("position").values_list("pk", flat=True))
    ids = list(statements.options.order_by("position").values_list("pk", flat=True))
    wanted = {
        (choice.pk, "option", options[0]): "fill",
        (choice.pk, "option", options[1]): "cross",
        (statements.pk, "statement", ids[0], "agree"): "tick",
        (statements.pk, "statement", ids[1], "pass"): "light_tick",
    }
    for page, layout_page in zip(rendered, layout["pages"], strict=True):
        for box in layout_page["boxes"]:
            if "option" in box and (box["question"], "option", box["option"]) in wanted:
                draw_mark(page, box, wanted[(box["question"], "option", box["option"])])
            key = (box["question"], "statement", box.get("statement"), box.get("vote"))
            if key in wanted:
                draw_mark(page, box, wanted[key])
    read = []
    for number, (page, layout_page) in enumerate(zip(rendered, layout["pages"], strict=True)):
        photo = photograph(page, angle=7, skew=0.05, blur=0.8, light=0.3, quality=60, seed=number)
        [gray] = images(photo)
        read += read_boxes(find_page(gray, layout).image, layout_page)
    kinds = {q.pk: {"kind": q.kind, "max_choices": q.max_choices} for q in questions.values()}
    answers = read_answers(read, kinds)
    assert answers[choice.pk].sure and answers[choice.pk].answer == {"option": options[1]}
    assert answers[statements.pk].answer == {"votes": {str(ids[0]): "agree", str(ids[1]): "pass"}}
    scale = questions["scale"]
    assert answers[scale.pk].sure and answers[scale.pk].answer is None


@pytest.mark.parametrize(
    ("angle", "blur", "light", "quality"), [(0, 0, 0, 90), (-11, 1.4, 0.5, 35), (9, 0.8, 0.3, 50)]
)
def test_writing_in_an_answer_area_is_seen_and_blank_areas_stay_blank(
    paper_session, angle, blur, light, quality
):
    """The reader does not read handwriting, but it must never miss that there is some:
    even one short word sends the question to a person. Ruled lines are no writing."""
    from sessions_app.reading.marks import read_areas
    from sessions_app.reading.synthetic import draw_writing

    session, questions = paper_session
    layout, pdf = printed_form(session)
    [number] = [
        index
        for index, page in enumerate(layout["pages"])
        if any(a["kind"] == "text" for a in page["areas"])
    ]
    layout_page = layout["pages"][number]

    def areas(text):
        page = render_pdf_page(pdf, number)
        for area in layout_page["areas"]:
            if text and area["kind"] == "text":
                draw_writing(page, area, text)
        photo = photograph(
            page, angle=angle, skew=0.05, blur=blur, light=light, quality=quality, seed=2
        )
        [gray] = images(photo)
        found = read_areas(find_page(gray, layout).image, layout_page)
        # Printed text, lines and boxes are no ink beside the boxes, through any photo.
        assert not any(a.written for a in found if a.key["kind"] == "stray"), text
        return {a.key["kind"]: a for a in found if a.key["kind"] != "stray"}

    blank = areas("")
    assert {kind: area.written for kind, area in blank.items()} == {
        "text": False,
        "proposal": False,
    }
    assert blank["text"].key["question"] == questions["text"].pk
    for text in ("Ja", "Meer groen en bankjes bij de vijver"):
        written = areas(text)
        assert written["text"].written and not written["proposal"].written, text


@pytest.mark.parametrize("q", [0, 20, 75, 90, 100])
def test_the_quick_percentile_is_numpys(q):
    """Boxes' measures use ``marks.percentile`` (partitioning) for speed: the same number
    as ``np.percentile``, on arrays of every shape a box gives."""
    rng = np.random.default_rng(q)
    for shape in [(1,), (2,), (7, 9), (40, 40), (3, 120)]:
        values = rng.integers(0, 256, shape).astype(np.uint8)
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
        floats = rng.random(shape).astype(np.float32)
        assert percentile(floats, q) == pytest.approx(float(np.percentile(floats, q)), rel=1e-6)


def test_a_faint_stroke_crosses_the_rings_round_a_box_and_a_shadows_step_does_not():
    """``leaves`` in the faint ink (``valley``): a light stroke across a box's corner is a
    dip along the rings round the box, twice; the step a shadow's edge leaves on the
    flattened page is dark on one side only, and is no stroke."""
    import cv2

    from sessions_app.reading.marks import TRACE_LEAVES, TRACE_LEAVES_DARK, leaves
    from sessions_app.reading.page import PX_PER_MM

    size, box = 200, (80, 80, 40, 40)  # a 5 mm box at 8 px/mm
    paper = np.full((size, size), 235, np.uint8)
    cv2.rectangle(paper, (80, 80), (119, 119), 40, 2)
    stroke = paper.copy()  # light pencil, 0.13 dark, across the lower right corner
    cv2.line(stroke, (95, 140), (140, 95), 205, round(0.4 * PX_PER_MM))
    step = paper.copy()  # a shadow's edge through the same corner, 0.13 darker below it
    below = np.fromfunction(lambda r, c: r + c > 235, (size, size))
    step[below & (step > 100)] = 205
    assert leaves(stroke, box, TRACE_LEAVES_DARK, valley=True) >= TRACE_LEAVES
    assert leaves(step, box, TRACE_LEAVES_DARK) >= 1  # ink against the paper around
    assert leaves(step, box, TRACE_LEAVES_DARK, valley=True) == 0
