"""The realistic benchmark's generator (``bench.realistic``): repeatable from a seed, every
kind of mark and every camera or scanner fault really made (checked on the pixels and on
the ground truth), and a small ``bench.reading --realistic`` run giving its table."""

import random

import cv2
import numpy as np
import pytest

from bench import realistic
from bench.reading import THRESHOLDS, realistic_figures, table
from printables import paper_form
from printables.aruco import CORNER_IDS
from printables.strings import form_strings
from sessions_app.demo import fill_in_rows
from sessions_app.reading.page import images
from sessions_app.reading.synthetic import box_key, render_pdf_page
from sessions_app.services.printing import form_layout

pytestmark = pytest.mark.django_db

DPI = 150
MM = DPI / 25.4


def rng(seed) -> random.Random:
    return random.Random(seed)  # noqa: S311 (repeatable test pictures, not secrets)


@pytest.fixture
def form(paper_session):
    """The layout, questions (as the generator takes them) and PDF of one printed sheet."""
    session, _questions = paper_session
    layout = form_layout(session=session, large_print=False).data
    questions = fill_in_rows(list(session.questions.order_by("position")))
    row = paper_form.SheetRow("ABCD2345", "http://inspraak.test/t/x/")
    return layout, questions, paper_form.render(layout, [row], form_strings(), title="t")


def inside(image: np.ndarray, box: dict, inset_mm: float = 0.6) -> np.ndarray:
    x0, y0 = round((box["x"] + inset_mm) * MM), round((box["y"] + inset_mm) * MM)
    x1, y1 = (
        round((box["x"] + box["w"] - inset_mm) * MM),
        round((box["y"] + box["w"] - inset_mm) * MM),
    )
    return image[y0:y1, x0:x1]


def drawn(pdf: bytes, marks: list, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The first page blank and with ``marks`` drawn on it."""
    blank = render_pdf_page(pdf, 0, dpi=DPI)
    page = blank.copy()
    realistic.draw(page, marks, dpi=DPI, rng=rng(seed))
    return blank, page


def first_box(layout: dict, question: int) -> dict:
    return next(b for b in layout["pages"][0]["boxes"] if b["question"] == question)


def test_a_seed_makes_the_same_sheet(form):
    layout, questions, pdf = form
    one = realistic.make_sheet(pdf, layout, questions, realistic.sheet_rng(4, 7), "crease")
    again = realistic.make_sheet(pdf, layout, questions, realistic.sheet_rng(4, 7), "crease")
    other = realistic.make_sheet(pdf, layout, questions, realistic.sheet_rng(5, 7), "crease")
    assert one[0] == again[0]
    assert one[1].truth == again[1].truth and one[1].boxes == again[1].boxes
    assert one[0] != other[0]


def test_every_kind_of_mark_is_made_with_its_truth(form, monkeypatch):
    layout, questions, _pdf = form
    monkeypatch.setattr(realistic, "REVIEW_SHARE", 1.0)
    tricks, review = set(), {}
    for seed in range(150):
        filled = realistic.fill_sheet(rng(seed), questions, layout)
        for truth in filled.truth.values():
            tricks.update(truth["tricks"])
            for trick in truth["tricks"]:
                review.setdefault(trick, set()).add(truth["review"])
        assert {m.ink for m in filled.marks} <= set(realistic.INK_MODELS)
    expected = {
        "cross",
        "tick",
        "small",
        "overshoot",
        "light_pencil",
        "correction",
        "scribble",
        "dot",
    }
    assert expected | set(realistic.REVIEW_TRICKS) <= tricks
    for trick in realistic.REVIEW_TRICKS:  # a person must look at each of these
        assert review[trick] == {True}, trick
    assert review["correction"] >= {False} and review["scribble"] >= {False}


def test_a_circled_label_puts_ink_outside_the_box_and_none_inside(form):
    layout, _questions, pdf = form
    choice = next(q for q in layout["pages"][0]["boxes"] if "option" in q and "rank" not in q)
    filled = realistic.Filled()
    realistic._circle(rng(2), filled, (1, choice), layout)
    blank, page = drawn(pdf, filled.marks)
    changed = np.abs(page.astype(int) - blank.astype(int)) > 40
    assert changed.sum() > 100
    box = inside(changed, choice, inset_mm=-0.5)  # the box and half a millimetre round it
    assert not box.any()
    right_of_box = changed[:, round((choice["x"] + choice["w"]) * MM) :]
    assert right_of_box.sum() == changed.sum()


def test_a_filled_box_is_dark_all_over_and_a_scribble_leaves_paper_and_overflows(form):
    layout, _questions, pdf = form
    box = first_box(layout, layout["pages"][0]["boxes"][0]["question"])
    _blank, filled = drawn(pdf, [realistic.Mark(1, "fill", box, "ballpoint")])
    blank, scribbled = drawn(pdf, [realistic.Mark(1, "scribble", box, "ballpoint")], seed=3)
    assert (inside(filled, box) < 150).mean() > 0.9
    share = (inside(scribbled, box) < 128).mean()
    assert 0.15 < share < 0.85
    outline = inside(np.abs(scribbled.astype(int) - blank.astype(int)) > 40, box, inset_mm=-1.2)
    assert outline.any() and (outline.sum() > inside(scribbled, box).size * share)


def test_inks_differ_as_pens_do(form):
    layout, _questions, pdf = form
    box = first_box(layout, layout["pages"][0]["boxes"][0]["question"])
    dark, dark_pixels = {}, {}
    for ink in ("ballpoint", "felt_tip", "pencil", "light_pencil"):
        _blank, page = drawn(pdf, [realistic.Mark(1, "cross", box, ink)], seed=5)
        ink_px = inside(page, box)
        dark[ink] = np.percentile(ink_px, 1)
        dark_pixels[ink] = (ink_px < 200).sum()
    assert dark["felt_tip"] < 60 and dark_pixels["felt_tip"] > dark_pixels["ballpoint"]
    assert dark["ballpoint"] < 110
    assert dark["pencil"] > dark["ballpoint"] and dark["light_pencil"] > 120


def test_digits_writing_and_a_margin_note_are_ink_where_they_belong(form):
    layout, questions, pdf = form
    budget = next(q for q in questions if q["kind"] == "budget")
    text = next(q for q in questions if q["kind"] == "open_text")
    where = {box_key(b): (p["number"], b) for p in layout["pages"] for b in p["boxes"]}
    areas = {
        (a["question"], a["kind"]): (p["number"], a) for p in layout["pages"] for a in p["areas"]
    }
    filled = realistic.Filled()
    realistic._digits(rng(1), filled, budget, where)
    realistic._note(rng(1), filled, text, where, areas)
    page_number, area = areas[(text["id"], "text")]
    filled.marks.append(realistic.Mark(page_number, "line", area, "pencil"))
    assert {m.kind for m in filled.marks} == {"digits", "note", "line"}
    for mark in filled.marks:
        index = [p["number"] for p in layout["pages"]].index(mark.page)
        blank = render_pdf_page(pdf, index, dpi=DPI)
        page = blank.copy()
        realistic.draw(page, [mark], dpi=DPI, rng=rng(2))
        changed = np.abs(page.astype(int) - blank.astype(int)) > 25
        ys, xs = np.nonzero(changed)
        assert len(xs) > 20, mark.kind
        target = mark.target
        if mark.kind == "note":  # in the left margin, clear of every box
            assert xs.max() < 19 * MM
        else:
            assert (
                xs.min() >= (target["x"] - 0.5) * MM
                and xs.max() <= (target["x"] + target["w"] + 0.5) * MM
            )
            assert (
                ys.min() >= (target["y"] - 0.5) * MM
                and ys.max() <= (target["y"] + target["h"] + 0.5) * MM
            )


def marker_centres(picture: bytes) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The corner markers seen in a picture (OpenCV's own detector, not the reader's):
    corner name → the marker's centre."""
    [gray] = images(picture)
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    corners, ids, _rejected = cv2.aruco.ArucoDetector(dictionary).detectMarkers(gray)
    names = {marker_id: name for name, marker_id in CORNER_IDS.items()}
    found = {}
    for marker, marker_id in zip(corners, [] if ids is None else ids.flatten(), strict=True):
        if int(marker_id) in names:
            found[names[int(marker_id)]] = marker.reshape(4, 2).mean(axis=0)
    return gray, found


def test_every_fault_is_made(form):
    _layout, _questions, pdf = form
    page = render_pdf_page(pdf, 0, dpi=DPI)
    pictures = {
        name: realistic.capture(page.copy(), DPI, name, rng(name))
        for name in realistic.DEGRADATIONS
        if name not in ("photo_4032", "scan_300")  # the big ones: sizes only, below
    }
    for name, picture in pictures.items():
        [gray] = images(picture)
        assert gray.size > 1_000_000 or name in ("scan_150", "scan_bw"), name
    # Black and white: nothing but 0 and 255, as a PNG.
    bw = pictures["scan_bw"]
    assert bw[:4] == b"\x89PNG"
    assert set(np.unique(images(bw)[0]).tolist()) == {0, 255}
    # Sizes: a 1600 x 1200 photo held upright; a scan at 150 dpi is A4 at 150 dpi.
    assert images(pictures["photo_1600"])[0].shape == (1600, 1200)
    assert abs(images(pictures["scan_150"])[0].shape[0] - 297 * MM) < 3
    # Turned: upside down, marker 0 (top left) is seen at the bottom right.
    gray, found = marker_centres(pictures["rotated_180"])
    height, width = gray.shape
    assert found["top_left"][0] > width / 2 and found["top_left"][1] > height / 2
    gray, found = marker_centres(pictures["rotated_90"])
    assert gray.shape[1] > gray.shape[0]  # a landscape picture of an upright page
    assert abs(found["top_left"][0] - found["bottom_left"][0]) > abs(
        found["top_left"][1] - found["bottom_left"][1]
    )
    # A thumb over a corner: one marker is gone.
    _gray, found = marker_centres(pictures["thumb"])
    assert len(found) == 3
    _gray, found = marker_centres(pictures["clean"])
    assert set(found) == {"top_left", "top_right", "bottom_right", "bottom_left"}
    # Low JPEG quality costs detail: the same picture takes fewer bytes.
    assert len(pictures["jpeg_low"]) < len(pictures["clean"])


def test_paper_faults_move_and_mark_the_page():
    page = np.full((600, 400), 255, np.float32)
    page[300, :] = 0  # a printed line across the middle
    scale = 2.0  # px per mm
    curled = realistic._curl(page.copy(), scale, rng(1))
    rows = [int(np.argmin(curled[:, x])) for x in (0, 100, 200, 300, 399)]
    assert max(rows) - min(rows) >= 2  # bowed: the middle moved against the edges
    creased = realistic._crease(np.full((600, 400), 255, np.float32), scale, rng(2))
    assert creased.min() < 200  # the fold's dark line
    copied = realistic._photocopy(
        np.full((200, 200), 175, np.float32), rng(3), np.random.default_rng(3)
    )
    assert np.median(copied) > 175  # light grey pencil fades on a copy
    shadow = realistic._shadow((400, 400), rng(4))
    assert shadow.min() < 0.7 and shadow.max() == pytest.approx(1.0, abs=0.01)


def test_large_pictures_have_their_sizes(form):
    _layout, _questions, pdf = form
    page = render_pdf_page(pdf, 0, dpi=DPI)
    photo = realistic.capture(page.copy(), DPI, "photo_4032", rng(1))
    assert images(photo)[0].shape == (4032, 3024)
    scan = realistic.capture(render_pdf_page(pdf, 0, dpi=300), 300, "scan_300", rng(1))
    assert abs(images(scan)[0].shape[0] - 297 * 300 / 25.4) < 3


def test_a_small_realistic_bench_run_gives_its_table(form):
    layout, questions, _pdf = form
    figures = realistic_figures(
        2,
        1,
        layouts={False: layout},
        questions=questions,
        row=lambda index, large: ("ABCD2345", "http://inspraak.test/t/x/"),
    )
    assert set(figures["by_degradation"]) == {"clean", "perspective"}
    total = figures["total"]
    for key in (
        "sheets",
        "refused",
        "accepted_without_review",
        "silent_errors",
        "silent_on_accepted",
        "box_accuracy",
        "empty_as_marked",
        "seconds_per_sheet",
    ):
        assert key in total
    assert total["sheets"] == 2 and total["questions"] > 0
    assert set(total["seconds_per_sheet"]) == {"reading", "command", "decoding"}
    assert [row["threshold"] for row in figures["tradeoff"]] == list(THRESHOLDS)
    # a higher threshold never accepts more
    accepted = [row["accepted"] for row in figures["tradeoff"]]
    assert accepted == sorted(accepted, reverse=True)
    printed = table(figures)
    assert "| clean | 1 |" in printed and "| **total** | 2 |" in printed
    assert figures["wider"] is False


def test_the_wider_probe_draws_the_same_sheet_from_wider_ranges(form, monkeypatch):
    """``--wider`` (``realistic.WIDER``): the same sheet's marks and faults, with lighter
    light pencil, marks smaller and larger, more blur and lower JPEG quality than the
    set itself ever draws."""
    layout, questions, pdf = form
    wide, narrow = realistic.WIDER, realistic.SET
    assert wide.light_pencil[1] > narrow.light_pencil[1]
    assert wide.mark_size[0] < narrow.mark_size[0] and wide.mark_size[1] > narrow.mark_size[1]
    assert wide.blur_mm[1] > narrow.blur_mm[1] and wide.motion_mm[1] > narrow.motion_mm[1]
    assert wide.jpeg_low[0] < narrow.jpeg_low[0] and wide.jpeg[0] < narrow.jpeg[0]
    # The same marks in the same boxes, from the same seed; sizes spread further.
    made = {
        name: realistic.fill_sheet(rng(3), questions, layout, ranges)
        for name, ranges in (("set", narrow), ("wider", wide))
    }
    assert [(m.kind, m.ink, m.target) for m in made["set"].marks] == [
        (m.kind, m.ink, m.target) for m in made["wider"].marks
    ]
    # The same answers, and the same need of a person (the size's tricks, small and
    # overshoot, may differ).
    assert {q: (t["answer"], t["review"]) for q, t in made["set"].truth.items()} == {
        q: (t["answer"], t["review"]) for q, t in made["wider"].truth.items()
    }
    sizes = {
        name: [m.size for m in filled.marks if m.kind in ("cross", "tick")]
        for name, filled in made.items()
    }
    low, high = narrow.mark_size
    assert all(low <= size <= high for size in sizes["set"])
    assert any(size < low or size > high for size in sizes["wider"])
    # Light pencil is drawn lighter: the grey each stroke is laid with.
    levels = {}
    for name, ranges in (("set", narrow), ("wider", wide)):
        paper = realistic.Paper(np.full((40, 40), 255, np.uint8), DPI, rng(5), ranges)
        paper.ink(np.ones((20, 20), np.float32), (10, 10), "light_pencil")
        levels[name] = paper.image[15:25, 15:25].mean()
    assert levels["wider"] > levels["set"]
    # A blurred photo is blurred more: the same page, the same random stream.
    page = render_pdf_page(pdf, 0, dpi=DPI)
    sharpness = {
        name: cv2.Laplacian(
            images(realistic.capture(page.copy(), DPI, "blur", rng(7), ranges))[0], cv2.CV_64F
        ).var()
        for name, ranges in (("set", narrow), ("wider", wide))
    }
    assert sharpness["wider"] < sharpness["set"]
    # A bench run says it is a probe.
    figures = realistic_figures(
        1,
        1,
        layouts={False: layout},
        questions=questions,
        row=lambda index, large: ("ABCD2345", "http://inspraak.test/t/x/"),
        wider=True,
    )
    assert figures["wider"] is True and figures["total"]["sheets"] == 1


def test_under_every_fault_a_question_that_needs_a_person_goes_to_one(form, monkeypatch):
    """One sheet per camera or scanner fault, each with a trick a person must look at (a
    circled label, two marks, digits, writing, a note in the margin): none is accepted
    without review, and no question is read as sure and wrong."""
    layout, questions, _pdf = form
    monkeypatch.setattr(realistic, "REVIEW_SHARE", 1.0)
    count = len(realistic.DEGRADATIONS)
    figures = realistic_figures(
        count,
        1,
        layouts={False: layout},
        questions=questions,
        row=lambda index, large: ("ABCD2345", "http://inspraak.test/t/x/"),
    )
    assert set(figures["by_degradation"]) == set(realistic.DEGRADATIONS)
    for name, row in figures["by_degradation"].items():
        assert row["accepted_without_review"] == 0, name
        assert row["silent_errors"] == 0, name
    assert figures["total"]["questions"] > 0


def test_a_page_taken_again_is_the_same_paper_in_a_new_picture(form, monkeypatch):
    """``realistic.retake``: the marks drawn again as they were first drawn, and the
    picture taken as the teller was asked (in focus; a grey scan for black and white)."""
    layout, questions, pdf = form
    taken = []

    def camera(page, dpi, degradation, rng, ranges=realistic.SET):
        taken.append((page.copy(), dpi, degradation))
        return b""

    monkeypatch.setattr(realistic, "capture", camera)
    for fault, kind, again in (
        ("scan_bw", "black_white", "scan_300"),
        ("blur", "blurred", "clean"),
    ):
        taken.clear()
        _pictures, filled = realistic.make_sheet(
            pdf, layout, questions, realistic.sheet_rng(3, 2), fault
        )
        first = taken[0]
        realistic.retake(pdf, layout, filled, 0, kind, rng(9))
        retaken = taken[-1]
        assert retaken[2] == again and retaken[1] == first[1]
        assert np.array_equal(retaken[0], first[0])  # not one pixel of ink differs
        blank = render_pdf_page(pdf, 0, dpi=first[1])
        assert not np.array_equal(first[0], blank)  # and there is ink on it


def test_a_bench_run_takes_a_blurred_photo_again_as_the_teller_is_asked(form):
    layout, questions, _pdf = form
    blur = realistic.DEGRADATIONS.index("blur")
    figures = realistic_figures(
        blur + 1,
        2,
        layouts={False: layout},
        questions=questions,
        row=lambda index, large: ("ABCD2345", "http://inspraak.test/t/x/"),
        faults=frozenset({"blur"}),
    )
    row = figures["by_degradation"]["blur"]
    # Sent to a person from the blurred photo; accepted from the photo taken again.
    assert row["accepted_without_review"] == 0 and row["retaken"] == 1
    assert row["accepted_after_retake"] == 1 and row["silent_after_retake"] == 0
    assert "| blur | 1 | 0 | 0% (0%) | 0 (0) | 100% (1; 0) |" in table(figures)


def test_a_bench_run_types_the_code_of_a_qr_code_that_cannot_be_read(form, monkeypatch):
    """A sheet refused for its QR code is read as the teller goes on: with the code
    printed under it typed. It counts once the teller does as asked, never as accepted
    from the first picture, and reads as the same sheet whose code could be read does."""
    from sessions_app.reading import page as page_module

    layout, questions, _pdf = form
    run = {
        "layouts": {False: layout},
        "questions": questions,
        "row": lambda index, large: ("ABCD2345", "http://inspraak.test/t/x/"),
        "faults": frozenset({"clean"}),
    }
    as_read = realistic_figures(1, 1, **run)["total"]
    found = page_module.find_page

    def unreadable(gray, layout_, qr_text=None):
        if qr_text is None:
            raise page_module.ReadRefused("qr_unreadable", "")
        return found(gray, layout_, qr_text)

    monkeypatch.setattr(page_module, "find_page", unreadable)
    typed = realistic_figures(1, 1, **run)["total"]
    assert typed["refused"] == {"qr_unreadable": 1} and typed["code_typed"] == 1
    assert typed["accepted_without_review"] == 0
    assert as_read["code_typed"] == 0 and as_read["accepted_without_review"] == 1
    assert typed["accepted_after_retake"] == as_read["accepted_after_retake"] == 1
    assert typed["silent_after_retake"] == as_read["silent_after_retake"] == 0
