"""Issue 18, item 11: the photo reader reads the new layouts. The evening's form, normal
and large print, is printed, filled in at random as people do (crosses, ticks, light
ticks, a box filled in to take a mark back, stray dots), photographed as a phone would
and read back: every box right, no answer read wrong. A light tick in a large-print box
was read as unsure or empty before the reader counted ink against the box's size."""

import random

import pytest
from django.utils import translation

from printables import paper_form
from printables.layout import build
from printables.strings import form_strings
from sessions_app.reading.answers import read_answers
from sessions_app.reading.marks import read_areas, read_boxes
from sessions_app.reading.page import find_page, images
from sessions_app.reading.synthetic import box_key, fill_in, photograph_form
from tests.printables.demo_form import demo_form


def plain(question: dict) -> dict:
    """A question as ``synthetic.fill_in`` takes it."""
    items = question.get("options") or question.get("statements") or []
    return {
        "id": question["id"],
        "kind": question["kind"],
        "options": [item["id"] for item in items],
        "max_choices": question.get("max_choices"),
        "scale_min": question.get("min"),
        "scale_max": question.get("max"),
    }


@pytest.mark.parametrize(("large_print", "cards"), [(False, False), (True, False), (True, True)])
def test_the_reader_reads_normal_and_large_print(large_print, cards):
    form = demo_form(8, privacy="Privacyverklaring: https://inspraak.example.nl/privacy/")
    layout = build(form, large_print=large_print, with_cards=cards)
    assert len(layout["pages"]) == (4 if large_print else 2)
    with translation.override("nl"):
        strings = form_strings()
    questions = [plain(q) for q in form["questions"]]
    kinds = {q["id"]: {"kind": q["kind"], "max_choices": q["max_choices"]} for q in questions}
    rng = random.Random(18 + large_print)  # noqa: S311 (repeatable test pictures)
    boxes = 0
    for number in range(3):
        code = f"E18{number:05d}"
        pdf = paper_form.render(
            layout,
            [paper_form.SheetRow(code, f"https://inspraak.example.nl/t/{code}/", card=code)],
            strings,
            title="t",
        )
        marks, truth = fill_in(rng, questions, layout)
        photos = photograph_form(pdf, layout, marks, rng)
        read, areas = [], []
        for photo, layout_page in zip(photos, layout["pages"], strict=True):
            [gray] = images(photo)
            page = find_page(gray, layout)
            read += read_boxes(page.image, layout_page, resolution=page.resolution)
            areas += read_areas(page.image, layout_page)
        for box in read:
            kind = marks.get(box_key(box.key), "empty")
            expected = {"fill": "filled", "dot": "empty", "empty": "empty"}.get(kind, "marked")
            assert box.state == expected, (box.key, kind, box.state)
        boxes += len(read)
        answers = read_answers(read, kinds, areas)
        for question_id, reading in answers.items():
            if reading.sure:
                assert reading.answer == truth.get(question_id), question_id
            else:
                # A person reads the budget's handwritten digits; and a stray dot's trace
                # may be what a blurred photo left of a light tick.
                dotted = any(marks.get(box_key(b.key)) == "dot" for b in reading.boxes)
                assert reading.reasons == ["handwritten_digits"] or (
                    dotted and reading.reasons == ["blank_in_doubt"]
                ), reading
    assert boxes == 3 * sum(len(p["boxes"]) for p in layout["pages"])


@pytest.mark.parametrize("large_print", [False, True])
@pytest.mark.parametrize(("kind", "expected"), [("light_tick", "marked"), ("dot", "empty")])
def test_light_ticks_and_stray_dots_read_alike_in_every_box_size(large_print, kind, expected):
    form = demo_form(8)
    layout = build(form, large_print=large_print)
    with translation.override("nl"):
        strings = form_strings()
    pdf = paper_form.render(
        layout,
        [paper_form.SheetRow("E1800009", "https://inspraak.example.nl/t/x/")],
        strings,
        title="t",
    )
    marks = {box_key(b): kind for p in layout["pages"] for b in p["boxes"] if "digit" not in b}
    states = set()
    for photo, layout_page in zip(
        photograph_form(pdf, layout, marks, random.Random(4)),  # noqa: S311
        layout["pages"],
        strict=True,
    ):
        page = find_page(images(photo)[0], layout)
        states |= {
            box.state for box in read_boxes(page.image, layout_page) if "digit" not in box.key
        }
    assert states == {expected}
