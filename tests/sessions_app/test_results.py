"""Results: one question's totals, split by phones in the room, remote phones, paper and
hands. Every expected number is worked out by hand in the test, from the answers given."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from sessions_app.models import (
    HandCount,
    LiveSession,
    Moderation,
    PaperSheet,
    Participant,
    Response,
    ResponseItem,
    ResponseStatus,
)
from sessions_app.results import question_results
from sessions_app.services import facilitation, participation

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 1, 15, 19, 45, tzinfo=UTC)
_serial = itertools.count(1)


def counts(room=0, remote=0, paper=0, hands=0, *, total):
    """An expected split; ``total`` is written out by hand and checked against the parts."""
    assert room + remote + paper + hands == total, "the test's own arithmetic is off"
    return {"room": room, "remote": remote, "paper": paper, "hands": hands, "total": total}


NONE = counts(total=0)


@pytest.fixture
def opened(make_question, organiser):
    def make(kind: str, **overrides):
        question = make_question(kind, **overrides)
        return facilitation.question_open(user=organiser, question=question)

    return make


@pytest.fixture
def join(live_session):
    def make(via: str):
        return participation.participant_join(session=live_session, via=via)

    return make


def answer(participant, question, raw):
    result = participation.response_submit(
        participant=participant,
        question_id=question.pk,
        answer=raw,
        client_id=f"client-{next(_serial):05d}",
    )
    assert result.status == "counted"
    return Response.objects.get(pk=result.response_id)


@pytest.fixture
def sheet(live_session):
    """A paper form as tellers will have entered it: the sheet, and the participant that
    stands for it. There is no service for this yet."""

    def make(*, state="counted", void_reason=""):
        serial = next(_serial)
        person = Participant.objects.create(
            session=live_session, token=None, public_id=f"p-sheet{serial:05d}", joined_via="paper"
        )
        return PaperSheet.objects.create(
            session=live_session,
            code=f"SHEET{serial:05d}",
            serial=serial,
            layout_version="1",
            state=state,
            void_reason=void_reason,
            participant=person,
        )

    return make


def on_paper(
    sheet,
    question,
    *,
    items=(),
    number=None,
    text="",
    statement=None,
    status=ResponseStatus.COUNTED,
    moderation="",
):
    response = Response.objects.create(
        question=question,
        participant=sheet.participant,
        source="paper",
        sheet=sheet,
        number=number,
        text=text,
        statement_id=statement,
        status=status,
        moderation=moderation,
    )
    ResponseItem.objects.bulk_create(
        ResponseItem(response=response, option_id=option, value=value) for option, value in items
    )
    return response


@pytest.fixture
def hands(organiser):
    def make(question, *, count, option=None, value=None, replaces=None):
        return HandCount.objects.create(
            question=question,
            option_id=option,
            scale_value=value,
            count=count,
            replaces=replaces,
            entered_by=organiser,
        )

    return make


def option_ids(question) -> list[int]:
    return list(question.options.order_by("position").values_list("pk", flat=True))


def results(question):
    question.refresh_from_db()
    return question_results(question=question)


# single_choice


def test_single_choice_from_every_source(opened, join, sheet, hands, organiser):
    question = opened("single_choice")
    green, market, bikes = option_ids(question)
    p1, p2, p3 = join("room"), join("room"), join("room")
    r1, r2 = join("remote"), join("remote")
    answer(p1, question, {"option": market})
    answer(p1, question, {"option": green})  # changed: market no longer counts for p1
    answer(p2, question, {"option": green})
    answer(p3, question, {"option": market})
    answer(r1, question, {"option": bikes})
    answer(r2, question, {"option": green})
    on_paper(sheet(), question, items=[(market, 1)])
    on_paper(sheet(), question, items=[(market, 1)])
    voided = sheet(state="voided", void_reason="Twee hokjes aangekruist")
    on_paper(voided, question, items=[(bikes, 1)], status=ResponseStatus.VOIDED)
    hands(question, option=green, count=4)
    first_market_count = hands(question, option=market, count=10)
    hands(question, option=market, count=6, replaces=first_market_count)
    hands(question, option=bikes, count=1)
    facilitation.question_close(user=organiser, question=question)

    # Respondents: 3 phones in the room, 2 remote, 2 sheets, 4 + 6 + 1 = 11 hands.
    # Green 7 of 18 = 38.9 %, market 9 of 18 = 50.0 %, bikes 2 of 18 = 11.1 %.
    assert results(question) == {
        "question": question.pk,
        "kind": "single_choice",
        "state": "closed",
        "revealed": False,
        "provisional": True,
        "respondents": counts(3, 2, 2, 11, total=18),
        "options": [
            {
                "id": green,
                "text": "Groen",
                "counts": counts(2, 1, 0, 4, total=7),
                "percent": 38.9,
            },
            {
                "id": market,
                "text": "Markt",
                "counts": counts(1, 0, 2, 6, total=9),
                "percent": 50.0,
            },
            {
                "id": bikes,
                "text": "Fietsen",
                "counts": counts(0, 1, 0, 1, total=2),
                "percent": 11.1,
            },
        ],
    }


def test_results_without_answers(opened):
    question = opened("single_choice")
    outcome = results(question)
    assert outcome["respondents"] == NONE
    assert outcome["provisional"] is False
    assert [(o["counts"], o["percent"]) for o in outcome["options"]] == [(NONE, 0.0)] * 3


def test_results_are_final_once_paper_counting_closed(opened, join, sheet, live_session):
    question = opened("single_choice")
    green = option_ids(question)[0]
    on_paper(sheet(), question, items=[(green, 1)])
    assert results(question)["provisional"] is True
    LiveSession.objects.filter(pk=live_session.pk).update(paper_closed_at=timezone.now())
    question.session.refresh_from_db()
    assert results(question)["provisional"] is False


def test_revealed_follows_the_question(opened, organiser):
    question = opened("single_choice")
    facilitation.question_reveal(user=organiser, question=question, revealed=True)
    assert results(question)["revealed"] is True


def test_hand_count_correction_to_zero(opened, join, hands):
    question = opened("single_choice")
    green, market, _bikes = option_ids(question)
    answer(join("room"), question, {"option": market})
    wrong = hands(question, option=green, count=12)
    hands(question, option=green, count=0, replaces=wrong)
    outcome = results(question)
    assert outcome["respondents"] == counts(1, total=1)
    assert outcome["options"][0]["counts"] == NONE
    assert outcome["options"][1]["counts"] == counts(1, total=1)
    assert outcome["options"][1]["percent"] == 100.0


def test_hand_count_correction_moved_to_another_option(opened, hands):
    question = opened("single_choice")
    green, market, _bikes = option_ids(question)
    # Twelve hands were typed against green; they were raised for market.
    wrong = hands(question, option=green, count=12)
    hands(question, option=market, count=12, replaces=wrong)
    outcome = results(question)
    assert outcome["respondents"] == counts(hands=12, total=12)
    assert outcome["options"][0]["counts"] == NONE
    assert outcome["options"][1]["counts"] == counts(hands=12, total=12)


# multiple_choice


def test_multiple_choice_from_every_source(opened, join, sheet, hands):
    question = opened("multiple_choice", max_choices=2)
    green, market, bikes = option_ids(question)
    p1, p2, r1 = join("room"), join("room"), join("remote")
    answer(p1, question, {"options": [bikes]})
    answer(p1, question, {"options": [green, market]})
    answer(p2, question, {"options": [green]})
    answer(r1, question, {"options": [market, bikes]})
    on_paper(sheet(), question, items=[(green, 1), (bikes, 1)])
    hands(question, option=green, count=5)
    hands(question, option=market, count=3)
    hands(question, option=bikes, count=2)

    # A raised hand may count for several options, so the hands tell only that at least
    # 5 people (the largest count) took part: 2 + 1 + 1 + 5 = 9 respondents.
    # Green 8 of 9 = 88.9 %, market 5 of 9 = 55.6 %, bikes 4 of 9 = 44.4 %.
    outcome = results(question)
    assert outcome["respondents"] == counts(2, 1, 1, 5, total=9)
    assert outcome["options"] == [
        {"id": green, "text": "Groen", "counts": counts(2, 0, 1, 5, total=8), "percent": 88.9},
        {"id": market, "text": "Markt", "counts": counts(1, 1, 0, 3, total=5), "percent": 55.6},
        {"id": bikes, "text": "Fietsen", "counts": counts(0, 1, 1, 2, total=4), "percent": 44.4},
    ]


# scale


def test_scale_from_every_source(opened, join, sheet, hands):
    question = opened("scale", scale_min=1, scale_max=5)
    p1, p2, r1 = join("room"), join("room"), join("remote")
    answer(p1, question, {"value": 2})
    answer(p1, question, {"value": 4})  # the 2 no longer counts
    answer(p2, question, {"value": 5})
    answer(r1, question, {"value": 3})
    on_paper(sheet(), question, number=1)
    on_paper(sheet(), question, number=4)
    hands(question, value=4, count=3)
    hands(question, value=2, count=1)
    five = hands(question, value=5, count=2)
    hands(question, value=5, count=0, replaces=five)

    # Values: 1, 2, 3, five times 4, and 5: nine answers.
    # Mean (1 + 2 + 3 + 4·5 + 5) / 9 = 31 / 9 = 3.44; the median is the fifth value, 4.
    outcome = results(question)
    assert outcome["respondents"] == counts(2, 1, 2, 4, total=9)
    assert outcome["distribution"] == [
        {"value": 1, "counts": counts(0, 0, 1, 0, total=1)},
        {"value": 2, "counts": counts(0, 0, 0, 1, total=1)},
        {"value": 3, "counts": counts(0, 1, 0, 0, total=1)},
        {"value": 4, "counts": counts(1, 0, 1, 3, total=5)},
        {"value": 5, "counts": counts(1, 0, 0, 0, total=1)},
    ]
    assert outcome["mean"] == 3.44
    assert outcome["median"] == 4


def test_scale_median_of_an_even_number_of_answers(opened, join, hands):
    question = opened("scale", scale_min=0, scale_max=10)
    answer(join("room"), question, {"value": 0})
    answer(join("remote"), question, {"value": 7})
    hands(question, value=10, count=1)
    hands(question, value=6, count=1)
    # 0, 6, 7, 10: median (6 + 7) / 2 = 6.5; mean 23 / 4 = 5.75.
    outcome = results(question)
    assert outcome["median"] == 6.5
    assert outcome["mean"] == 5.75
    assert outcome["respondents"] == counts(1, 1, 0, 2, total=4)


def test_scale_without_answers(opened):
    outcome = results(opened("scale", scale_min=1, scale_max=3))
    assert outcome["distribution"] == [{"value": v, "counts": NONE} for v in (1, 2, 3)]
    assert (outcome["mean"], outcome["median"]) == (None, None)


# ranking


def test_ranking_borda_points_and_mean_rank(opened, join, sheet):
    question = opened("ranking")
    green, market, bikes = option_ids(question)
    p1, p2, r1 = join("room"), join("room"), join("remote")
    answer(p1, question, {"ranking": [green, market, bikes]})
    answer(p1, question, {"ranking": [bikes, green, market]})
    answer(p2, question, {"ranking": [green, bikes]})
    answer(r1, question, {"ranking": [green, market, bikes]})
    on_paper(sheet(), question, items=[(market, 1), (green, 2)])
    on_paper(sheet(), question, items=[(bikes, 1)])

    # Three options: first place 3 points, second 2, third 1.
    # Green: p1 2nd (2), p2 1st (3) | r1 1st (3) | sheet 2nd (2); ranks 2, 1, 1, 2.
    # Market: p1 3rd (1) | r1 2nd (2) | sheet 1st (3); ranks 3, 2, 1.
    # Bikes: p1 1st (3), p2 2nd (2) | r1 3rd (1) | sheet 1st (3); ranks 1, 2, 3, 1.
    outcome = results(question)
    assert outcome["respondents"] == counts(2, 1, 2, total=5)
    assert outcome["options"] == [
        {
            "id": green,
            "text": "Groen",
            "borda": counts(5, 3, 2, total=10),
            "mean_rank": 1.5,
            "ranked_by": 4,
            "first_choices": 2,
        },
        {
            "id": market,
            "text": "Markt",
            "borda": counts(1, 2, 3, total=6),
            "mean_rank": 2.0,
            "ranked_by": 3,
            "first_choices": 1,
        },
        {
            "id": bikes,
            "text": "Fietsen",
            "borda": counts(5, 1, 3, total=9),
            "mean_rank": 1.75,
            "ranked_by": 4,
            "first_choices": 2,
        },
    ]


def test_ranking_option_nobody_ranked(opened, join):
    question = opened("ranking")
    _green, market, _bikes = option_ids(question)
    answer(join("room"), question, {"ranking": [market]})
    outcome = results(question)
    assert [(o["borda"], o["mean_rank"], o["ranked_by"]) for o in outcome["options"]] == [
        (NONE, None, 0),
        (counts(3, total=3), 1.0, 1),
        (NONE, None, 0),
    ]


# budget


def test_budget_points_and_averages(opened, join, sheet):
    question = opened("budget", budget_total=100)
    green, market, bikes = option_ids(question)
    p1, p2, p3, r1 = join("room"), join("room"), join("room"), join("remote")
    answer(p1, question, {"allocation": {str(bikes): 100}})
    answer(p1, question, {"allocation": {str(green): 60, str(market): 40}})
    answer(p2, question, {"allocation": {str(green): 100}})
    answer(p3, question, {"allocation": {str(bikes): 100}})
    answer(r1, question, {"allocation": {str(market): 50, str(bikes): 50}})
    on_paper(sheet(), question, items=[(green, 20), (market, 30), (bikes, 50)])

    # Five respondents: three in the room, one remote, one on paper.
    # Green: room 60 + 100 = 160, paper 20 → 180; 180/5 = 36; room 160/3 = 53.33.
    # Market: room 40, remote 50, paper 30 → 120; 120/5 = 24; room 40/3 = 13.33.
    # Bikes: room 100, remote 50, paper 50 → 200; 200/5 = 40; room 100/3 = 33.33.
    outcome = results(question)
    assert outcome["respondents"] == counts(3, 1, 1, total=5)
    assert outcome["total_points"] == 100
    assert outcome["options"] == [
        {
            "id": green,
            "text": "Groen",
            "points": counts(160, 0, 20, total=180),
            "average": 36.0,
            "average_by_source": {"room": 53.33, "remote": 0.0, "paper": 20.0},
        },
        {
            "id": market,
            "text": "Markt",
            "points": counts(40, 50, 30, total=120),
            "average": 24.0,
            "average_by_source": {"room": 13.33, "remote": 50.0, "paper": 30.0},
        },
        {
            "id": bikes,
            "text": "Fietsen",
            "points": counts(100, 50, 50, total=200),
            "average": 40.0,
            "average_by_source": {"room": 33.33, "remote": 50.0, "paper": 50.0},
        },
    ]


def test_budget_average_of_a_source_without_answers(opened, join):
    question = opened("budget", budget_total=10)
    green, market, _bikes = option_ids(question)
    answer(join("remote"), question, {"allocation": {str(green): 7, str(market): 3}})
    outcome = results(question)
    assert outcome["options"][0]["average"] == 7.0
    assert outcome["options"][0]["average_by_source"] == {
        "room": None,
        "remote": 7.0,
        "paper": None,
    }


# open_text


def test_open_text_lists_only_approved_answers(opened, join, sheet, organiser):
    question = opened("open_text")
    p1, p2, p3, r1 = join("room"), join("room"), join("room"), join("remote")
    trees = answer(p1, question, {"text": "Meer bomen"})
    cars = answer(p2, question, {"text": "Minder auto's"})
    answer(p3, question, {"text": "Bankjes"})
    first_idea = answer(r1, question, {"text": "Eerste idee"})
    playground = on_paper(sheet(), question, text="Speeltuin", moderation=Moderation.PENDING)

    def moderate(response, minute, decision="approve", reason=""):
        with freeze_time(T0 + timedelta(minutes=minute)):
            facilitation.response_moderate(
                user=organiser, response=response, decision=decision, reason=reason
            )

    moderate(first_idea, 0)
    moderate(trees, 1)
    moderate(cars, 1, decision="hide", reason="Geen vraag over verkeer")
    moderate(playground, 2)
    bikes = answer(r1, question, {"text": "Fietsenstalling"})  # the first idea is replaced
    moderate(bikes, 3)

    # Approved, in the order they were approved; the replaced first idea is not listed.
    outcome = results(question)
    assert outcome["approved"] == [
        {"id": trees.pk, "text": "Meer bomen"},
        {"id": playground.pk, "text": "Speeltuin"},
        {"id": bikes.pk, "text": "Fietsenstalling"},
    ]
    assert (outcome["pending"], outcome["hidden"]) == (1, 1)
    assert outcome["respondents"] == counts(3, 1, 1, total=5)


# statements


def test_statements_split_by_vote_and_source(opened, join, sheet, organiser):
    question = opened("statements", participants_may_add=True)
    cars, trees = option_ids(question)
    p1, p2, r1 = join("room"), join("room"), join("remote")

    def propose(participant, text):
        option, _created = participation.statement_propose(
            participant=participant,
            question_id=question.pk,
            text=text,
            client_id=f"client-{next(_serial):05d}",
        )
        return option

    light = propose(p2, "Meer licht.")
    terraces = propose(r1, "Geen terrassen.")
    propose(p2, "Meer water.")  # never moderated
    facilitation.statement_moderate(user=organiser, option=light, decision="approve")
    facilitation.statement_moderate(user=organiser, option=terraces, decision="approve")

    def vote(participant, statement, choice):
        answer(participant, question, {"statement": statement, "vote": choice})

    vote(p1, cars, "disagree")
    vote(p1, cars, "agree")  # changed
    vote(p1, trees, "agree")
    vote(p1, light.pk, "pass")
    vote(p1, terraces.pk, "agree")
    vote(p2, cars, "disagree")
    vote(r1, cars, "agree")
    vote(r1, trees, "disagree")
    vote(r1, light.pk, "agree")
    paper = sheet()
    on_paper(paper, question, statement=cars, number=0)
    on_paper(paper, question, statement=trees, number=1)
    # Hidden after votes were cast: it and its votes leave the results.
    facilitation.statement_moderate(
        user=organiser, option=terraces, decision="hide", reason="Gaat over de horeca"
    )

    outcome = results(question)
    # People: p1 and p2 in the room, r1 remote, one sheet.
    assert outcome["respondents"] == counts(2, 1, 1, total=4)
    assert outcome["pending"] == 1
    assert outcome["statements"] == [
        {
            "id": cars,
            "text": "Auto's eruit.",
            "origin": "organiser",
            "agree": counts(1, 1, 0, total=2),
            "disagree": counts(1, 0, 0, total=1),
            "pass": counts(0, 0, 1, total=1),
            "votes": 4,
        },
        {
            "id": trees,
            "text": "Meer bomen.",
            "origin": "organiser",
            "agree": counts(1, 0, 1, total=2),
            "disagree": counts(0, 1, 0, total=1),
            "pass": NONE,
            "votes": 3,
        },
        {
            "id": light.pk,
            "text": "Meer licht.",
            "origin": "participant",
            "agree": counts(0, 1, 0, total=1),
            "disagree": NONE,
            "pass": counts(1, 0, 0, total=1),
            "votes": 2,
        },
    ]
