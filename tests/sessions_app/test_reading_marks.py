"""Reading the boxes of a photographed form: crosses, ticks and light ticks are marks, a
filled box is a mark taken back, a stray dot is never a mark, empty boxes stay empty,
whatever the angle, blur, light and compression."""

import pytest

from printables import paper_form
from printables.strings import form_strings
from sessions_app.reading.marks import read_boxes
from sessions_app.reading.page import find_page, images
from sessions_app.reading.synthetic import draw_mark, photograph, render_pdf_page
from sessions_app.services.printing import form_layout

pytestmark = pytest.mark.django_db

MARKS = ["cross", "tick", "light_tick", "fill", "dot"]
EXPECTED = {"cross": {"marked"}, "tick": {"marked"}, "light_tick": {"marked"}, "fill": {"filled"}}


@pytest.fixture
def filled_in(paper_session):
    session, _questions = paper_session
    layout = form_layout(session=session, large_print=False).data
    pdf = paper_form.render(
        layout,
        [paper_form.SheetRow("ABCD2345", "http://inspraak.test/t/x/")],
        form_strings(),
        title="t",
    )
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
