"""From read boxes to answers with the paper form's rules: one mark where one is asked
for, a filled box taken back, rankings without gaps, budgets to a person; anything doubtful
is not sure, with its reason."""

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
