"""From read boxes to answers with the paper form's rules: one mark where one is asked
for, a filled box taken back, rankings without gaps, budgets to a person; anything doubtful
is not sure, with its reason."""

from dataclasses import replace

from sessions_app.reading.answers import read_answers
from sessions_app.reading.marks import Box

RULES = {
    1: {"kind": "single_choice"},
    2: {"kind": "multiple_choice", "max_choices": 2},
    3: {"kind": "scale"},
    4: {"kind": "statements"},
    5: {"kind": "ranking"},
    6: {"kind": "budget"},
}


def box(state: str, confidence: float = 0.9, **key) -> Box:
    return Box(key, state, confidence, 0.0, 0.0, 0.0, (0, 0, 40, 40))


def one(boxes, question):
    return read_answers(boxes, RULES)[question]


def test_choices_and_scales():
    reading = one([box("empty", question=1, option=10), box("marked", question=1, option=11)], 1)
    assert reading.sure and reading.answer == {"option": 11}
    # A filled box is a mark taken back: the other mark counts.
    taken_back = [box("filled", question=1, option=10), box("marked", question=1, option=11)]
    assert one(taken_back, 1).answer == {"option": 11}
    two = one([box("marked", question=1, option=10), box("marked", question=1, option=11)], 1)
    assert not two.sure and two.answer is None and two.reasons == ["two_marks"]
    nothing = one([box("empty", question=1, option=10)], 1)
    assert nothing.sure and nothing.answer is None
    many = [box("marked", question=2, option=n) for n in (20, 21, 22)]
    assert one(many, 2).reasons == ["too_many"]
    assert one(many[:2], 2).answer == {"options": [20, 21]}
    assert one([box("marked", question=3, value=4)], 3).answer == {"value": 4}


def test_an_unsure_box_sends_the_question_to_a_person():
    reading = one(
        [box("unsure", 0.3, question=1, option=10), box("marked", question=1, option=11)], 1
    )
    assert not reading.sure and reading.answer is None and reading.reasons == ["unsure_box"]
    assert reading.confidence <= 0.5


def test_statements_vote_per_row():
    boxes = [
        box("marked", question=4, statement=40, vote="agree"),
        box("empty", question=4, statement=40, vote="disagree"),
        box("marked", question=4, statement=41, vote="pass"),
    ]
    assert one(boxes, 4).answer == {"votes": {"40": "agree", "41": "pass"}}
    twice = [*boxes, box("marked", question=4, statement=41, vote="agree")]
    assert one(twice, 4).reasons == ["two_marks"]


def test_rankings_use_each_place_once_without_gaps():
    grid = [
        box("marked", question=5, option=50, rank=2),
        box("marked", question=5, option=51, rank=1),
    ]
    assert one(grid, 5).answer == {"ranking": [51, 50]}
    gap = [
        box("marked", question=5, option=50, rank=3),
        box("marked", question=5, option=51, rank=1),
    ]
    assert one(gap, 5).reasons == ["ranking_invalid"]
    shared = [
        box("marked", question=5, option=50, rank=1),
        box("marked", question=5, option=51, rank=1),
    ]
    assert one(shared, 5).reasons == ["ranking_invalid"]


def test_budget_digits_go_to_a_person():
    written = [
        box("marked", question=6, option=60, digit=0),
        box("empty", question=6, option=60, digit=1),
    ]
    assert one(written, 6).reasons == ["handwritten_digits"]
    blank = [box("empty", question=6, option=60, digit=0)]
    assert one(blank, 6).sure and one(blank, 6).answer is None
    # Read blank from a page that can lose light ink (a photocopy): not clearly blank,
    # digits in light pencil may be gone.
    lost = [box("empty", 0.4, question=6, option=60, digit=d) for d in range(3)]
    assert not one(lost, 6).sure and one(lost, 6).reasons == ["blank_in_doubt"]


def test_ink_beside_the_boxes_goes_to_a_person_never_to_no_answer():
    from sessions_app.reading.marks import Area

    boxes = [box("empty", question=1, option=10), box("empty", question=1, option=11)]
    beside = Area({"question": 1, "kind": "stray"}, True, 0.001, (0, 0, 10, 10))
    reading = read_answers(boxes, RULES, [beside])[1]
    assert not reading.sure and reading.answer is None and reading.reasons == ["stray_ink"]
    assert reading.confidence <= 0.5
    clean = Area({"question": 1, "kind": "stray"}, False, 0.0, (0, 0, 10, 10))
    assert read_answers(boxes, RULES, [clean])[1].sure


def test_a_ranking_of_all_options_but_one_is_not_sure():
    """``[12, 10, 13]`` for four options, with a trace of ink in the fourth row: the last
    place may be a light mark read as empty."""
    grid = [
        box("marked" if rank == place else "empty", question=5, option=option, rank=rank)
        for place, option in enumerate((52, 50, 53, 51), start=1)
        for rank in range(1, 5)
    ]
    assert one(grid, 5).answer == {"ranking": [52, 50, 53, 51]}
    missing = [b for b in grid if not (b.key["option"] == 51 and b.state == "marked")]
    # Left out with its row clean: a voter may rank only some options.
    clean = [*missing, box("empty", question=5, option=51, rank=4)]
    assert one(clean, 5).answer == {"ranking": [52, 50, 53]}
    # Left out with a box in its row not clearly empty (a trace of faint ink, marks.
    # _faded): a light last place read as empty?
    trace = Box({"question": 5, "option": 51, "rank": 4}, "empty", 0.45, 0.0, 0.05, 0.0, (0,) * 4)
    reading = one([*missing, trace], 5)
    assert not reading.sure and reading.reasons == ["blank_in_doubt"]
    two_of_four = [b for b in missing if b.key["option"] not in (53,) or b.state == "empty"]
    two_of_four += [box("empty", question=5, option=n, rank=3) for n in (51, 53)]
    assert one(two_of_four, 5).answer == {"ranking": [52, 50]}


def test_every_kind_is_unsure_with_one_doubtful_box():
    """A row of statements, a ranking, a scale: one box not clearly empty or marked
    (``unsure``) and the whole question waits, never with that row dropped."""
    for question, key in ((4, {"statement": 40, "vote": "pass"}), (5, {"option": 50, "rank": 1})):
        clear = box("marked", question=question, **key)
        doubtful = box("unsure", 0.3, question=question, **{**key, "vote": "agree"})
        if question == 5:
            doubtful = box("unsure", 0.3, question=5, option=51, rank=2)
        reading = one([clear, doubtful], question)
        assert not reading.sure and reading.reasons[0] == "unsure_box"
        assert reading.answer is None
    for kind_id in (1, 2, 3, 6):
        reading = one([box("unsure", 0.3, question=kind_id, option=1, value=1, digit=0)], kind_id)
        assert not reading.sure and "unsure_box" in reading.reasons


def test_a_row_read_blank_without_confidence_is_not_sure():
    """Where no answer is read in a row, each of its boxes must be clearly empty: an
    empty box read without confidence (a trace of faint ink, black and white, a copy, a
    fold: ``marks.DOUBTFUL_EMPTY``) sends the question to a person. Beside a mark in the
    same row it is harmless, except in a multiple choice, where any box may be one more
    answer."""
    # Statements: row 41 blank and in doubt → the question; row 40 voted → fine.
    voted = box("marked", question=4, statement=40, vote="agree")
    doubt = box("empty", 0.45, question=4, statement=40, vote="pass")
    assert one([voted, doubt, box("empty", question=4, statement=41, vote="agree")], 4).sure
    reading = one([voted, doubt, box("empty", 0.45, question=4, statement=41, vote="agree")], 4)
    assert not reading.sure and reading.reasons == ["blank_in_doubt"] and reading.answer is None
    # A single choice or a scale read blank: sure only when every box is clearly empty.
    clean = one([box("empty", question=1, option=1), box("empty", question=1, option=2)], 1)
    assert clean.sure and clean.answer is None
    reading = one([box("empty", question=3, value=1), box("empty", 0.45, question=3, value=2)], 3)
    assert reading.reasons == ["blank_in_doubt"]
    # Beside a mark, an empty box without confidence is no doubt for a single choice ...
    chosen = box("marked", question=1, option=1)
    assert one([chosen, box("empty", 0.45, question=1, option=2)], 1).answer == {"option": 1}
    # ... unless the page can lose light ink without a trace (a second mark gone?) ...
    gone = one([chosen, box("empty", 0.4, question=1, option=2)], 1)
    assert not gone.sure and gone.reasons == ["blank_in_doubt"]
    # ... or it holds a trace: what is left of the real mark, beside a scribble?
    traced = Box({"question": 1, "option": 2}, "empty", 0.45, 0.02, 0.08, 0.0, (0,) * 4)
    reading = one([chosen, traced], 1)
    assert not reading.sure and reading.reasons == ["blank_in_doubt"]
    # ... but is for a multiple choice.
    picked = box("marked", question=2, option=1)
    reading = one([picked, box("empty", 0.45, question=2, option=2)], 2)
    assert not reading.sure and reading.reasons == ["blank_in_doubt"]
    assert one([picked, box("empty", question=2, option=2)], 2).answer == {"options": [1]}
    # A filled box is a mark taken back: beside the mark that replaced it, no doubt ...
    taken_back = Box({"question": 1, "option": 2}, "filled", 0.9, 0.9, 1.0, 0.6, (0,) * 4)
    assert one([box("marked", question=1, option=1), taken_back], 1).answer == {"option": 1}
    # ... but alone in its row, the new mark may be too light to see (a light tick beside
    # a scribbled-out box on a curled photo was once read as no vote, sure).
    alone = one([box("empty", question=1, option=1), taken_back], 1)
    assert not alone.sure and alone.reasons == ["blank_in_doubt"]
    scribbled = replace(taken_back, key={"question": 4, "statement": 41, "vote": "pass"})
    row = [box("empty", question=4, statement=41, vote="agree"), scribbled]
    assert one(row, 4).reasons == ["blank_in_doubt"]


def test_a_trace_of_faint_ink_is_not_clearly_empty():
    """A stray pen dot has a dark core and is harmless; faint ink without one may be
    what is left of a light tick."""
    from sessions_app.reading.marks import _faded

    assert not _faded(0.0, 0.0)
    assert not _faded(0.02, 0.04)  # a dot
    assert _faded(0.0, 0.03)  # faint ink, no core


def test_scribbles_and_faint_strokes_are_not_clear():
    from sessions_app.reading.marks import classify

    assert classify(0.3, 0.6, 0.01, 1.0, 1.0)[0] == "marked"  # a cross
    assert classify(0.3, 0.6, 0.01, 1.0, 2.0)[0] == "marked"  # a cross, both arms crossed
    assert classify(0.3, 0.6, 0.01, 1.0, 4.0)[0] == "filled"  # scribbled out: taken back
    assert classify(0.3, 0.6, 0.01, 1.0, 2.75)[0] == "unsure"  # three strokes, or two?
    # More than two strokes in a quarter of the lines: no cross does that (a ballpoint
    # scribble did, and was read as a second choice).
    assert classify(0.3, 0.7, 0.01, 1.0, 2.25)[0] == "unsure"
    assert classify(0.1, 0.3, 0.01, 1.0, 4.0)[0] == "unsure"  # a few thin lines over it
    assert classify(0.9, 1.0, 0.7, 1.0, 4.0)[0] == "filled"  # filled in evenly
    assert classify(0.0, 0.10, 0.0, 0.2)[0] == "empty"  # a dot
    assert classify(0.0, 0.10, 0.0, 0.7)[0] == "unsure"  # a light stroke across the box
    # Grey all over and nowhere pressed: a pencil scribble run together, or shading.
    assert classify(0.0, 0.9, 0.13, 1.0, 2.0)[0] == "unsure"
    # A light pencil tick, spanning the box and bending: a mark, less surely than a pen's.
    assert classify(0.0, 0.15, 0.0, 0.75, 0.0, 0.45) == ("marked", 0.55)
    # As faint and as long, but straight (a fold, a shadow's edge): a person decides.
    assert classify(0.0, 0.15, 0.0, 1.0, 0.0, 0.1)[0] == "unsure"


def test_several_marks_in_a_multiple_choice_must_each_be_clear():
    """Every mark of a multiple choice counts, so with more than one, each must clearly be
    a mark: one read in a soft picture (``SOFT_MARK``: a scribbled-out box looks like a
    cross there) or a light tick (what an eraser may have left) sends it to a person."""
    from sessions_app.reading.marks import CLEAR_MARK, LIGHT_CONFIDENCE, SOFT_MARK

    assert LIGHT_CONFIDENCE < SOFT_MARK < CLEAR_MARK
    clear = [box("marked", 0.9, question=2, option=20), box("marked", 0.6, question=2, option=21)]
    assert one(clear, 2).sure and one(clear, 2).answer == {"options": [20, 21]}
    for doubtful in (SOFT_MARK, LIGHT_CONFIDENCE):
        pair = [clear[0], box("marked", doubtful, question=2, option=21)]
        reading = one(pair, 2)
        assert not reading.sure and reading.answer is None
        assert reading.reasons == ["mark_in_doubt"]
        # Alone it is the answer: nothing else could have been meant.
        alone = one([box("empty", 1.0, question=2, option=20), pair[1]], 2)
        assert alone.sure and alone.answer == {"options": [21]}
    # A single choice with one soft mark stays sure; two marks were never sure anyway.
    single = one(
        [box("empty", 1.0, question=1, option=10), box("marked", SOFT_MARK, question=1, option=11)],
        1,
    )
    assert single.sure and single.answer == {"option": 11}


def test_a_blank_writing_area_that_can_have_lost_a_pencil_line_is_for_a_person():
    """On a page that loses light ink without a trace (black and white, a photocopy, a
    coarse picture) a blank writing area has ``LOST_EMPTY``: the question goes to a
    person, as a blank row of boxes there does."""
    from sessions_app.reading.marks import LOST_EMPTY, Area

    rules = {7: {"kind": "open_text"}}
    where = (0, 0, 400, 200)
    blank = Area({"question": 7, "kind": "text"}, False, 0.0, where)
    assert read_answers([], rules, [blank])[7].sure
    lost = Area({"question": 7, "kind": "text"}, False, 0.0, where, LOST_EMPTY)
    reading = read_answers([], rules, [lost])[7]
    assert not reading.sure and reading.reasons == ["blank_in_doubt"]
    # The page's stray-ink band is no writing area: its confidence is never lowered, and
    # a blank one is no doubt.
    band = Area({"question": 7, "kind": "stray"}, False, 0.0, where)
    assert read_answers([], rules, [blank, band])[7].sure


def test_every_reason_has_words_for_the_reviewer():
    from django.utils import translation

    from sessions_app.reading.answers import REASONS
    from sessions_app.views.reading_words import REASON_WORDS, reason_words

    assert set(REASONS) == set(REASON_WORDS)
    with translation.override("nl"):
        dutch = {code: reason_words(code) for code in REASONS}
    with translation.override("en"):
        english = {code: reason_words(code) for code in REASONS}
    assert all(dutch[code] != english[code] for code in REASONS), dutch


def test_every_kind_of_picture_has_advice_for_the_teller():
    from django.utils import translation

    from sessions_app.reading.marks import CAPTURES
    from sessions_app.views.reading_words import capture_hint

    assert capture_hint("") == ""
    for code in CAPTURES:
        with translation.override("nl"):
            dutch = capture_hint(code)
        with translation.override("en"):
            english = capture_hint(code)
        assert dutch and english and dutch != english, code


def test_a_scans_page_gives_a_scanners_advice_not_a_phones():
    """On a scan's page a page still missing is to be scanned, a blurred or coarse picture
    is scanned again, and a reading waiting for its second entry is typed by a teller
    (that page has no confirm button); in Dutch and English."""
    from types import SimpleNamespace

    from django.utils import translation

    from sessions_app.views.reading_words import capture_hint, outcome_message

    pages = SimpleNamespace(
        status="pages", sheet=SimpleNamespace(serial=7), form_page=1, missing_pages=[2]
    )
    waiting = SimpleNamespace(status="waiting", sheet=SimpleNamespace(serial=7))
    with translation.override("en"):
        assert outcome_message(pages).endswith("Photograph page 2 too.")
        assert outcome_message(pages, scanned=True).endswith("Scan page 2 too.")
        assert "confirm them" in outcome_message(waiting)
        assert "a teller types this form" in outcome_message(waiting, scanned=True)
        for code in ("blurred", "coarse"):
            assert "phone" not in capture_hint(code, scanned=True).lower()
            assert "scan" in capture_hint(code, scanned=True).lower()
        assert "Hold the phone still" in capture_hint("blurred")
        # The others already fit a scan as they are.
        assert capture_hint("black_white", scanned=True) == capture_hint("black_white")
        # A picture too blurred to find its corners: the phone is held still, the scan
        # made again.
        from sessions_app.views.reading_words import refusal_words

        assert "Hold the phone still" in refusal_words("too_blurred")
        assert "scan it again" in refusal_words("too_blurred", scanned=True)
    with translation.override("nl"):
        assert outcome_message(pages, scanned=True).endswith("Scan ook pagina 2.")
        assert "telefoon" not in capture_hint("blurred", scanned=True)
        assert "een teller typt" in outcome_message(waiting, scanned=True)
