"""Answers: every kind's valid shapes, every refusal code, text cleaning and the plain form."""

import unicodedata

import pytest
from django.http import QueryDict

from sessions_app.answers import Answer, QuestionRules, answer_from_form, clean_text, parse_answer
from sessions_app.exceptions import INPUT_CODES, InputRejected
from sessions_app.services import facilitation, participation

pytestmark = pytest.mark.django_db

KINDS = [
    "single_choice",
    "multiple_choice",
    "scale",
    "ranking",
    "budget",
    "open_text",
    "statements",
]


@pytest.fixture
def rules_for(make_question):
    """The rules of a new question of ``kind`` and its option ids in agenda order."""

    def make(kind: str, **overrides):
        question = make_question(kind, **overrides)
        ids = list(question.options.order_by("position").values_list("pk", flat=True))
        return QuestionRules.of(question), ids

    return make


def rejected(rules, raw) -> str:
    with pytest.raises(InputRejected) as caught:
        parse_answer(rules, raw)
    assert caught.value.code in INPUT_CODES
    return caught.value.code


def form(query: str = "") -> QueryDict:
    return QueryDict(query)


# Rules


def test_rules_of_reads_the_settings_of_the_question(rules_for):
    rules, ids = rules_for("multiple_choice", max_choices=2)
    assert rules.kind == "multiple_choice"
    assert rules.options == frozenset(ids)
    assert len(ids) == 3
    assert rules.max_choices == 2
    scale, _ = rules_for("scale", scale_min=0, scale_max=10)
    assert (scale.scale_min, scale.scale_max, scale.options) == (0, 10, frozenset())
    budget, _ = rules_for("budget", budget_total=250)
    assert budget.budget_total == 250
    text, _ = rules_for("open_text", max_length=40)
    assert text.max_length == 40


def test_rules_of_leave_out_statements_that_wait_for_moderation(
    make_question, organiser, live_session
):
    question = make_question("statements", participants_may_add=True)
    facilitation.question_open(user=organiser, question=question)
    phone = participation.participant_join(session=live_session, via="room")
    proposed, created = participation.statement_propose(
        participant=phone, question_id=question.pk, text="Meer licht.", client_id="propose-0001"
    )
    assert created
    organiser_statements = set(
        question.options.exclude(pk=proposed.pk).values_list("pk", flat=True)
    )
    rules = QuestionRules.of(question)
    assert rules.options == organiser_statements
    assert rejected(rules, {"statement": proposed.pk, "vote": "agree"}) == "invalid_statement"

    facilitation.statement_moderate(user=organiser, option=proposed, decision="approve")
    rules = QuestionRules.of(question)
    assert rules.options == organiser_statements | {proposed.pk}
    assert parse_answer(rules, {"statement": proposed.pk, "vote": "agree"}) == Answer(
        number=1, statement=proposed.pk
    )


# Shapes that are not an answer at all


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("raw", [None, [], ["option", 1], "option", 3, True, False, 2.5])
def test_a_non_object_is_not_an_answer(rules_for, kind, raw):
    rules, _ = rules_for(kind)
    assert rejected(rules, raw) == "invalid_answer"


# single_choice


def test_single_choice_accepts_one_option_as_number_or_digits(rules_for):
    rules, (green, market, _bikes) = rules_for("single_choice")
    assert parse_answer(rules, {"option": green}) == Answer(items=((green, 1),))
    assert parse_answer(rules, {"option": str(market)}) == Answer(items=((market, 1),))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("missing", "no_choice"),
        (None, "no_choice"),
        ("", "no_choice"),
        (999_999, "invalid_option"),
        (0, "invalid_option"),
        (-1, "invalid_option"),
        (True, "invalid_answer"),
        (False, "invalid_answer"),
        (1.0, "invalid_answer"),
        ("groen", "invalid_answer"),
        ([1], "invalid_answer"),
        ({"id": 1}, "invalid_answer"),
    ],
)
def test_single_choice_refusals(rules_for, value, code):
    rules, _ = rules_for("single_choice")
    raw = {} if value == "missing" else {"option": value}
    assert rejected(rules, raw) == code


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("single_choice", {"value": 3}),
        ("single_choice", {"options": [1]}),
        ("scale", {"option": 1}),
        ("scale", {"ranking": [1]}),
    ],
)
def test_another_kinds_answer_is_the_wrong_shape_not_nothing_chosen(rules_for, kind, raw):
    rules, _ = rules_for(kind)
    assert rejected(rules, raw) == "invalid_answer"
    # Nothing chosen is still told as such: no key at all, or the key left empty.
    key = "option" if kind == "single_choice" else "value"
    assert rejected(rules, {}) == rejected(rules, {key: None}) == "no_choice"


def test_single_choice_refuses_an_option_of_another_question(rules_for):
    rules, _ = rules_for("single_choice")
    _other_rules, other_ids = rules_for("single_choice")
    assert rejected(rules, {"option": other_ids[0]}) == "invalid_option"


# multiple_choice


def test_multiple_choice_accepts_up_to_the_maximum_in_the_given_order(rules_for):
    rules, (green, market, bikes) = rules_for("multiple_choice", max_choices=2)
    assert parse_answer(rules, {"options": [bikes, green]}) == Answer(
        items=((bikes, 1), (green, 1))
    )
    assert parse_answer(rules, {"options": [str(market)]}) == Answer(items=((market, 1),))


def test_multiple_choice_refusals(rules_for):
    rules, (green, market, bikes) = rules_for("multiple_choice", max_choices=2)
    assert rejected(rules, {}) == "invalid_answer"
    assert rejected(rules, {"options": green}) == "invalid_answer"
    assert rejected(rules, {"options": {"a": green}}) == "invalid_answer"
    assert rejected(rules, {"options": []}) == "no_choice"
    assert rejected(rules, {"options": [green, 999_999]}) == "invalid_option"
    assert rejected(rules, {"options": [green, str(green)]}) == "duplicate_choice"
    assert rejected(rules, {"options": [green, market, bikes]}) == "too_many_choices"
    assert rejected(rules, {"options": [True]}) == "invalid_answer"
    assert rejected(rules, {"options": [green, None]}) == "invalid_answer"


# scale


@pytest.mark.parametrize(("value", "number"), [(1, 1), (5, 5), (3, 3), ("4", 4)])
def test_scale_accepts_values_within_the_bounds(rules_for, value, number):
    rules, _ = rules_for("scale", scale_min=1, scale_max=5)
    assert parse_answer(rules, {"value": value}) == Answer(number=number)


def test_scale_may_include_zero_and_negative_values(rules_for):
    rules, _ = rules_for("scale", scale_min=-2, scale_max=2)
    assert parse_answer(rules, {"value": -2}) == Answer(number=-2)
    assert parse_answer(rules, {"value": 0}) == Answer(number=0)
    assert rejected(rules, {"value": -3}) == "out_of_range"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("missing", "no_choice"),
        (None, "no_choice"),
        ("", "no_choice"),
        (0, "out_of_range"),
        (6, "out_of_range"),
        ("6", "out_of_range"),
        (True, "invalid_answer"),
        (2.5, "invalid_answer"),
        (3.0, "invalid_answer"),
        ("drie", "invalid_answer"),
        ([3], "invalid_answer"),
    ],
)
def test_scale_refusals(rules_for, value, code):
    rules, _ = rules_for("scale", scale_min=1, scale_max=5)
    raw = {} if value == "missing" else {"value": value}
    assert rejected(rules, raw) == code


# ranking


def test_ranking_gives_ranks_from_the_order_and_may_stop_early(rules_for):
    rules, (green, market, bikes) = rules_for("ranking")
    assert parse_answer(rules, {"ranking": [bikes, green, market]}) == Answer(
        items=((bikes, 1), (green, 2), (market, 3))
    )
    assert parse_answer(rules, {"ranking": [str(market)]}) == Answer(items=((market, 1),))


def test_ranking_refusals(rules_for):
    rules, (green, market, _bikes) = rules_for("ranking")
    assert rejected(rules, {}) == "invalid_answer"
    assert rejected(rules, {"ranking": green}) == "invalid_answer"
    assert rejected(rules, {"ranking": {"1": green}}) == "invalid_answer"
    assert rejected(rules, {"ranking": []}) == "no_choice"
    assert rejected(rules, {"ranking": [green, market, green]}) == "ranking_invalid"
    assert rejected(rules, {"ranking": [green, 999_999]}) == "invalid_option"
    assert rejected(rules, {"ranking": [green, False]}) == "invalid_answer"


# budget


def test_budget_accepts_an_allocation_that_adds_up_to_the_total(rules_for):
    rules, (green, market, bikes) = rules_for("budget", budget_total=100)
    assert parse_answer(rules, {"allocation": {str(bikes): 40, str(green): 60}}) == Answer(
        items=((green, 60), (bikes, 40))
    )
    # Amounts typed into a form arrive as digits; options given nothing are left out.
    assert parse_answer(
        rules, {"allocation": {str(green): "100", str(market): 0, str(bikes): "0"}}
    ) == Answer(items=((green, 100),))


def test_budget_refusals(rules_for):
    rules, (green, market, bikes) = rules_for("budget", budget_total=100)
    assert rejected(rules, {}) == "invalid_answer"
    assert rejected(rules, {"allocation": [[green, 100]]}) == "invalid_answer"
    assert rejected(rules, {"allocation": {}}) == "budget_not_total"
    assert rejected(rules, {"allocation": {str(green): 60, str(market): 30}}) == "budget_not_total"
    assert rejected(rules, {"allocation": {str(green): 60, str(market): 50}}) == "budget_not_total"
    assert rejected(rules, {"allocation": {str(green): 110, str(market): -10}}) == "out_of_range"
    assert rejected(rules, {"allocation": {str(green): 90, "999999": 10}}) == "invalid_option"
    # An option that is not the question's is refused even with nothing given to it.
    assert rejected(rules, {"allocation": {str(green): 100, "999999": 0}}) == "invalid_option"
    assert rejected(rules, {"allocation": {str(green): 90, "groen": 10}}) == "invalid_answer"
    assert rejected(rules, {"allocation": {str(green): True, str(bikes): 99}}) == "invalid_answer"
    assert rejected(rules, {"allocation": {str(green): 50.0, str(bikes): 50}}) == "invalid_answer"
    assert rejected(rules, {"allocation": {str(green): None, str(bikes): 100}}) == "invalid_answer"
    # "0012" and "12" name the same option.
    assert rejected(rules, {"allocation": {str(green): 50, f"00{green}": 50}}) == "duplicate_choice"


# open_text


def test_open_text_is_cleaned(rules_for):
    rules, _ = rules_for("open_text", max_length=300)
    assert parse_answer(rules, {"text": "  Meer bankjes  \n"}) == Answer(text="Meer bankjes")
    assert parse_answer(rules, {"text": "Cafe\u0301"}) == Answer(text="Caf\u00e9")
    assert parse_answer(rules, {"text": "a\x00b\x08c\x0bd\x0ce\x1ff\x7fg"}) == Answer(
        text="abcdefg"
    )
    # Line breaks and tabs inside the text are part of what was written.
    assert parse_answer(rules, {"text": "regel 1\nregel 2\r\n\tregel 3"}) == Answer(
        text="regel 1\nregel 2\r\n\tregel 3"
    )


def test_open_text_length_is_counted_after_cleaning(rules_for):
    rules, _ = rules_for("open_text", max_length=4)
    # Five code points before NFC, four after.
    assert parse_answer(rules, {"text": "Cafe\u0301"}) == Answer(text="Caf\u00e9")
    assert parse_answer(rules, {"text": "   abcd   "}) == Answer(text="abcd")
    assert parse_answer(rules, {"text": "ab\x00\x01cd"}) == Answer(text="abcd")
    assert rejected(rules, {"text": "abcde"}) == "text_too_long"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ({}, "invalid_answer"),
        ({"text": None}, "invalid_answer"),
        ({"text": 42}, "invalid_answer"),
        ({"text": ["Meer bomen"]}, "invalid_answer"),
        ({"text": ""}, "empty_text"),
        ({"text": " \n\t\r "}, "empty_text"),
        ({"text": "\x00\x01\x7f"}, "empty_text"),
        ({"text": "x" * 11}, "text_too_long"),
    ],
)
def test_open_text_refusals(rules_for, raw, code):
    rules, _ = rules_for("open_text", max_length=10)
    assert rejected(rules, raw) == code


def test_clean_text():
    assert clean_text("\t Zo\u0308 \x00") == "Z\u00f6"
    assert clean_text("\x1b[31mrood\x1b[0m") == "[31mrood[0m"
    assert clean_text("") == ""


def test_clean_text_result_is_always_nfc():
    cleaned = clean_text("Cafe\x00\u0301")
    assert cleaned == "Caf\u00e9"
    assert unicodedata.is_normalized("NFC", cleaned)


# statements


@pytest.mark.parametrize(("vote", "number"), [("agree", 1), ("disagree", -1), ("pass", 0)])
def test_statement_votes(rules_for, vote, number):
    rules, (first, second) = rules_for("statements")
    assert parse_answer(rules, {"statement": second, "vote": vote}) == Answer(
        number=number, statement=second
    )
    assert parse_answer(rules, {"statement": str(first), "vote": vote}) == Answer(
        number=number, statement=first
    )


def test_statement_refusals(rules_for):
    rules, (first, _second) = rules_for("statements")
    assert rejected(rules, {"statement": first}) == "invalid_answer"
    assert rejected(rules, {"statement": first, "vote": "maybe"}) == "invalid_answer"
    assert rejected(rules, {"statement": first, "vote": 1}) == "invalid_answer"
    assert rejected(rules, {"statement": first, "vote": "Agree"}) == "invalid_answer"
    assert rejected(rules, {"statement": first, "vote": None}) == "invalid_answer"
    assert rejected(rules, {"vote": "agree"}) == "invalid_statement"
    assert rejected(rules, {"statement": 999_999, "vote": "agree"}) == "invalid_statement"
    assert rejected(rules, {"statement": "stelling", "vote": "agree"}) == "invalid_statement"
    assert rejected(rules, {"statement": True, "vote": "agree"}) == "invalid_statement"


@pytest.mark.parametrize("vote", [["agree"], {"agree": True}])
def test_statement_vote_of_the_wrong_type_is_refused(rules_for, vote):
    rules, (first, _second) = rules_for("statements")
    assert rejected(rules, {"statement": first, "vote": vote}) == "invalid_answer"


# as_json


def test_as_json_gives_each_shape_back_and_parses_to_the_same_answer(rules_for):
    cases = []
    rules, (green, _market, bikes) = rules_for("single_choice")
    cases.append((rules, {"option": bikes}))
    rules, (green, _market, bikes) = rules_for("multiple_choice", max_choices=2)
    cases.append((rules, {"options": [bikes, green]}))
    rules, _ = rules_for("scale", scale_min=1, scale_max=5)
    cases.append((rules, {"value": 2}))
    rules, (green, market, bikes) = rules_for("ranking")
    cases.append((rules, {"ranking": [market, bikes, green]}))
    cases.append((rules, {"ranking": [bikes]}))
    rules, (green, market, bikes) = rules_for("budget", budget_total=100)
    cases.append((rules, {"allocation": {str(green): 25, str(bikes): 75}}))
    rules, _ = rules_for("open_text")
    cases.append((rules, {"text": "Meer bomen op het plein"}))
    rules, (first, second) = rules_for("statements")
    cases.extend((rules, {"statement": second, "vote": vote}) for vote in ("agree", "disagree"))
    cases.append((rules, {"statement": first, "vote": "pass"}))

    for rules, raw in cases:
        answer = parse_answer(rules, raw)
        assert answer.as_json(rules.kind) == raw
        assert parse_answer(rules, answer.as_json(rules.kind)) == answer


def test_as_json_gives_the_canonical_shape_of_loose_input(rules_for):
    rules, (green, market, bikes) = rules_for("budget", budget_total=100)
    answer = parse_answer(rules, {"allocation": {str(bikes): "70", str(market): 0, str(green): 30}})
    assert answer.as_json("budget") == {"allocation": {str(green): 30, str(bikes): 70}}
    rules, _ = rules_for("scale", scale_min=1, scale_max=5)
    assert parse_answer(rules, {"value": "5"}).as_json("scale") == {"value": 5}


# answer_from_form


def test_form_single_choice(rules_for):
    rules, (_green, market, _bikes) = rules_for("single_choice")
    raws = answer_from_form(rules, form(f"option={market}&form_id=abc"))
    assert raws == [{"option": str(market)}]
    assert parse_answer(rules, raws[0]) == Answer(items=((market, 1),))
    assert answer_from_form(rules, form()) == [{"option": None}]
    assert rejected(rules, answer_from_form(rules, form())[0]) == "no_choice"


def test_form_multiple_choice(rules_for):
    rules, (green, _market, bikes) = rules_for("multiple_choice", max_choices=2)
    raws = answer_from_form(rules, form(f"options={green}&options={bikes}"))
    assert raws == [{"options": [str(green), str(bikes)]}]
    assert parse_answer(rules, raws[0]) == Answer(items=((green, 1), (bikes, 1)))
    assert answer_from_form(rules, form()) == [{"options": []}]
    assert rejected(rules, answer_from_form(rules, form())[0]) == "no_choice"
    # A plain dict (no getlist) works as well.
    assert answer_from_form(rules, {"options": [green]}) == [{"options": [green]}]


def test_form_scale(rules_for):
    rules, _ = rules_for("scale", scale_min=1, scale_max=5)
    raws = answer_from_form(rules, form("value=4"))
    assert raws == [{"value": "4"}]
    assert parse_answer(rules, raws[0]) == Answer(number=4)
    assert rejected(rules, answer_from_form(rules, form("value=9"))[0]) == "out_of_range"
    assert rejected(rules, answer_from_form(rules, form())[0]) == "no_choice"


def test_form_ranking_reads_the_places(rules_for):
    rules, (green, market, bikes) = rules_for("ranking")
    raws = answer_from_form(
        rules, form(f"rank_{green}=2&rank_{market}=&rank_{bikes}=1&rank_999999=3")
    )
    assert raws == [{"ranking": [bikes, green]}]
    assert parse_answer(rules, raws[0]) == Answer(items=((bikes, 1), (green, 2)))
    full = answer_from_form(rules, form(f"rank_{green}=3&rank_{market}=1&rank_{bikes}=2"))
    assert full == [{"ranking": [market, bikes, green]}]


def test_form_ranking_with_no_places_is_no_choice(rules_for):
    rules, (green, market, bikes) = rules_for("ranking")
    raws = answer_from_form(rules, form(f"rank_{green}=&rank_{market}=&rank_{bikes}="))
    assert raws == [{"ranking": []}]
    assert rejected(rules, raws[0]) == "no_choice"


@pytest.mark.parametrize(
    "places",
    [
        (1, 3, None),  # a gap
        (2, 3, None),  # not starting at 1
        (1, 1, 2),  # a place twice
        (1, 2, 2),
        (0, 1, 2),
        (-1, 1, 2),
    ],
)
def test_form_ranking_refuses_gaps_and_shared_places(rules_for, places):
    rules, ids = rules_for("ranking")
    query = "&".join(
        f"rank_{option}={'' if place is None else place}"
        for option, place in zip(ids, places, strict=True)
    )
    with pytest.raises(InputRejected) as caught:
        answer_from_form(rules, form(query))
    assert caught.value.code == "ranking_invalid"


def test_form_ranking_refuses_a_place_that_is_not_a_number(rules_for):
    rules, (green, _market, _bikes) = rules_for("ranking")
    with pytest.raises(InputRejected) as caught:
        answer_from_form(rules, form(f"rank_{green}=eerste"))
    assert caught.value.code == "invalid_answer"


def test_form_budget(rules_for):
    rules, (green, market, bikes) = rules_for("budget", budget_total=100)
    raws = answer_from_form(rules, form(f"amount_{green}=60&amount_{market}=&amount_{bikes}=40"))
    assert raws == [{"allocation": {str(green): "60", str(market): 0, str(bikes): "40"}}]
    assert parse_answer(rules, raws[0]) == Answer(items=((green, 60), (bikes, 40)))
    short = answer_from_form(rules, form(f"amount_{green}=60"))
    assert short == [{"allocation": {str(green): "60", str(market): 0, str(bikes): 0}}]
    assert rejected(rules, short[0]) == "budget_not_total"


def test_form_open_text(rules_for):
    rules, _ = rules_for("open_text", max_length=300)
    raws = answer_from_form(rules, form("text=%20%20Meer%20bomen%0A"))
    assert raws == [{"text": "  Meer bomen\n"}]
    assert parse_answer(rules, raws[0]) == Answer(text="Meer bomen")
    assert answer_from_form(rules, form()) == [{"text": ""}]
    assert rejected(rules, answer_from_form(rules, form())[0]) == "empty_text"


def test_form_statements_give_one_answer_per_voted_statement(rules_for):
    rules, (first, second) = rules_for("statements")
    raws = answer_from_form(rules, form(f"vote_{second}=disagree&vote_{first}=agree"))
    assert raws == [
        {"statement": first, "vote": "agree"},
        {"statement": second, "vote": "disagree"},
    ]
    assert [parse_answer(rules, raw) for raw in raws] == [
        Answer(number=1, statement=first),
        Answer(number=-1, statement=second),
    ]


def test_form_statements_accept_numeric_votes_and_skip_unvoted(rules_for):
    rules, (first, second) = rules_for("statements")
    assert answer_from_form(rules, form(f"vote_{first}=0&vote_{second}=")) == [
        {"statement": first, "vote": "pass"}
    ]
    assert answer_from_form(rules, form(f"vote_{first}=-1&vote_{second}=1")) == [
        {"statement": first, "vote": "disagree"},
        {"statement": second, "vote": "agree"},
    ]
    assert answer_from_form(rules, form("vote_999999=agree")) == []
    assert answer_from_form(rules, form()) == []
    odd = answer_from_form(rules, form(f"vote_{first}=misschien"))
    assert odd == [{"statement": first, "vote": "misschien"}]
    assert rejected(rules, odd[0]) == "invalid_answer"
