"""The design rules, stated once and shared by forms, services and import."""

import pytest

from sessions_app.models import QuestionKind
from sessions_app.rules import question_problems, session_problems
from sessions_app.specs import OptionSpec
from tests.conftest import question_spec, session_spec

KINDS = QuestionKind.values


@pytest.mark.parametrize("kind", KINDS)
def test_a_valid_question_of_every_kind_has_no_problems(kind):
    assert question_problems(question_spec(kind)) == []


def codes(spec):
    return [(p.path, p.code) for p in question_problems(spec)]


def test_scale_min_must_be_below_max():
    problems = question_problems(question_spec("scale", scale_min=5, scale_max=5))
    assert [(p.path, p.code) for p in problems] == [("max", "scale_min_not_below_max")]
    assert problems[0].message == "the lowest value must be below the highest value"


def test_scale_may_not_have_more_than_eleven_steps():
    assert codes(question_spec("scale", scale_min=0, scale_max=11)) == [("max", "scale_too_wide")]
    assert codes(question_spec("scale", scale_min=0, scale_max=10)) == []


def test_multiple_choice_maximum_may_not_exceed_options():
    problems = question_problems(question_spec("multiple_choice", max_choices=4))
    assert [(p.path, p.code) for p in problems] == [("max_choices", "max_choices_exceeds_options")]
    assert "(4)" in problems[0].message and "(3)" in problems[0].message


def test_budget_total_must_be_positive():
    assert codes(question_spec("budget", budget_total=0)) == [
        ("total", "budget_total_not_positive")
    ]
    assert codes(question_spec("budget", budget_total=None)) == [
        ("total", "budget_total_not_positive")
    ]


def test_ranking_needs_two_options():
    problems = question_problems(question_spec("ranking", options=[OptionSpec("Alleen")]))
    assert [str(p) for p in problems] == ["options: a ranking needs at least 2 options"]


def test_ranking_of_more_than_ten_is_refused():
    options = [OptionSpec(f"Optie {i}") for i in range(11)]
    assert codes(question_spec("ranking", options=options)) == [("options", "too_many_options")]


def test_statements_need_one_and_report_under_statements():
    assert codes(question_spec("statements", options=[])) == [("statements", "too_few_options")]


def test_duplicate_and_empty_options_are_named_by_index():
    options = [OptionSpec("Groen"), OptionSpec(" groen "), OptionSpec("")]
    assert codes(question_spec("single_choice", options=options)) == [
        ("options[1]", "duplicate_option"),
        ("options[2]", "required"),
    ]


def test_open_text_length_is_bounded():
    assert codes(question_spec("open_text", max_length=0)) == [("max_length", "max_length_invalid")]
    assert codes(question_spec("open_text", max_length=5001)) == [
        ("max_length", "max_length_invalid")
    ]


def test_question_text_is_required_and_bounded():
    assert codes(question_spec(text="  ")) == [("text", "required")]
    assert codes(question_spec(text="x" * 501)) == [("text", "too_long")]


def test_session_must_end_after_it_starts():
    spec = session_spec()
    spec.ends_at = spec.starts_at
    assert [(p.path, p.code) for p in session_problems(spec)] == [("ends_at", "ends_before_start")]
