"""Answers written in batches (group commit): the same outcomes, stored rows and log
entries as one at a time, for every case the single path knows."""

from unittest import mock

import pytest
from django.db import IntegrityError

from sessions_app.exceptions import InputRejected
from sessions_app.models import LogEntry, Process, Response, ResponseStatus
from sessions_app.selectors import log_verify
from sessions_app.services import facilitation, participation
from sessions_app.services.participation import Submission, responses_submit
from tests.paper_fixtures import option

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(paper_session, organiser):
    session, questions = paper_session
    for key in ("choice", "statements"):
        facilitation.question_open(user=organiser, question=questions[key])
    return session, questions


def phones(session, n, via="room"):
    return [participation.participant_join(session=session, via=via) for _ in range(n)]


def choose(phone, question, index, client_id):
    return Submission(phone, question.pk, {"option": option(question, index)}, client_id)


def outcome(result):
    return result.code if isinstance(result, InputRejected) else result.status


def test_a_batch_counts_like_single_answers_and_the_log_chains(opened, organiser):
    session, questions = opened
    choice = questions["choice"]
    many = phones(session, 5)
    single = phones(session, 1)[0]
    participation.response_submit(
        participant=single,
        question_id=choice.pk,
        answer={"option": option(choice, 0)},
        client_id="single-0001",
    )
    results = responses_submit(
        [choose(phone, choice, index % 3, f"batch-{index:04d}") for index, phone in enumerate(many)]
    )
    assert [outcome(r) for r in results] == ["counted"] * 5
    assert Response.objects.filter(question=choice, status=ResponseStatus.COUNTED).count() == 6
    entries = list(LogEntry.objects.filter(action="response.counted").order_by("seq"))
    assert len(entries) == 6
    # The batch's entries have exactly the single path's shape.
    assert set(entries[-1].data) == set(entries[0].data)
    assert entries[-1].data["client_id"] == "batch-0004"
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    report = log_verify(process=Process.objects.get(pk=session.process_id))
    assert report.ok, report


def test_changing_an_answer_in_a_batch_supersedes_the_earlier_one(opened):
    session, questions = opened
    choice = questions["choice"]
    phone = phones(session, 1)[0]
    first = responses_submit([choose(phone, choice, 0, "first-0001")])[0]
    second = responses_submit([choose(phone, choice, 1, "second-001")])[0]
    assert (second.status, second.superseded_id) == ("counted", first.response_id)
    earlier = Response.objects.get(pk=first.response_id)
    later = Response.objects.get(pk=second.response_id)
    assert (earlier.status, later.status, later.supersedes_id) == (
        "superseded",
        "counted",
        earlier.pk,
    )
    logged = LogEntry.objects.filter(action="response.counted").order_by("seq").last()
    assert logged.data["supersedes"] == first.response_id


def test_replays_and_two_answers_of_one_person_in_one_batch(opened):
    session, questions = opened
    choice = questions["choice"]
    phone, other = phones(session, 2)
    earlier = responses_submit([choose(phone, choice, 0, "earlier-01")])[0]
    results = responses_submit(
        [
            choose(phone, choice, 0, "earlier-01"),  # replayed from before
            choose(other, choice, 0, "other-0001"),
            choose(other, choice, 1, "other-0002"),  # changed within the batch
            choose(other, choice, 1, "other-0002"),  # and sent twice
        ]
    )
    assert [outcome(r) for r in results] == ["duplicate", "counted", "counted", "duplicate"]
    assert results[0].response_id == earlier.response_id
    assert results[3].response_id == results[2].response_id
    counting = Response.objects.get(
        question=choice, participant=other, status=ResponseStatus.COUNTED
    )
    assert counting.client_id == "other-0002" and counting.items.get().option_id == option(
        choice, 1
    )
    assert Response.objects.filter(participant=other).count() == 2


def test_refusals_in_a_batch_store_nothing_of_them(opened, organiser):
    session, questions = opened
    choice, scale = questions["choice"], questions["scale"]
    good, bad = phones(session, 2)
    results = responses_submit(
        [
            Submission(bad, choice.pk, {"option": option(choice, 0)}, "short"),
            Submission(bad, 999999, {"option": 1}, "unknown-01"),
            Submission(bad, scale.pk, {"value": 3}, "not-open-1"),
            Submission(bad, choice.pk, {"option": 999999}, "bad-option"),
            Submission(bad, str(choice.pk), {"option": option(choice, 0)}, "string-id1"),
            choose(good, choice, 2, "good-00001"),
        ]
    )
    assert [outcome(r) for r in results] == [
        "invalid_client_id",
        "unknown_question",
        "question_not_open",
        "invalid_option",
        "counted",  # a numeric string is read as the single path reads it
        "counted",
    ]
    assert Response.objects.filter(participant=bad).count() == 1


def test_a_closed_question_refuses_its_answers_and_the_others_count(opened, organiser):
    session, questions = opened
    choice, statements = questions["choice"], questions["statements"]
    phone = phones(session, 1)[0]
    statement = option(statements, 0)
    facilitation.question_close(user=organiser, question=choice)
    results = responses_submit(
        [
            choose(phone, choice, 0, "closing-01"),
            Submission(
                phone, statements.pk, {"statement": statement, "vote": "agree"}, "vote-00001"
            ),
        ]
    )
    assert [outcome(r) for r in results] == ["question_closed", "counted"]
    assert not Response.objects.filter(question=choice).exists()
    assert Response.objects.get(question=statements).statement_id == statement


def test_an_attendee_card_goes_the_single_way_and_its_rule_applies(opened, printed, organiser):
    session, questions = opened
    choice = questions["choice"]
    sheet = printed(1, cards=True)[0]
    from sessions_app.services import paper

    paper.sheet_entry_record(
        user=organiser,
        sheet=sheet,
        answers={str(choice.pk): {"option": option(choice, 0)}},
        client_id="entry-card01",
    )
    phone = participation.participant_join(session=session, via="room", card_code=sheet.card.code)
    [result] = responses_submit([choose(phone, choice, 1, "card-phone1")])
    assert result.status == "counted"
    assert dict(Response.objects.filter(question=choice).values_list("source", "status")) == {
        "paper": "superseded",
        "online": "counted",
    }


def test_a_race_in_the_database_settles_each_answer_on_its_own(opened):
    session, questions = opened
    choice = questions["choice"]
    many = phones(session, 3)
    with mock.patch.object(participation, "_count_many", side_effect=IntegrityError("race")):
        results = responses_submit(
            [choose(phone, choice, 0, f"raced-{i:04d}") for i, phone in enumerate(many)]
        )
    assert [outcome(r) for r in results] == ["counted"] * 3
    assert Response.objects.filter(question=choice, status=ResponseStatus.COUNTED).count() == 3


def vote(phone, statements, statement_id, client_id):
    return Submission(phone, statements.pk, {"statement": statement_id, "vote": "agree"}, client_id)


def test_a_batch_sees_a_statement_approved_or_hidden_at_once(opened, organiser):
    """Batches keep each question's rules between batches; a moderation decision must
    reach the very next batch (the question's revision moves on)."""
    session, questions = opened
    statements = questions["statements"]
    phone, other = phones(session, 2)
    proposal, _created = participation.statement_propose(
        participant=other, question_id=statements.pk, text="Een speeltuin.", client_id="prop-0001"
    )
    shown = option(statements, 0)
    # The rules are read and kept: the proposal is not approved yet.
    results = responses_submit(
        [
            vote(phone, statements, shown, "vote-00001"),
            vote(phone, statements, proposal.pk, "vote-00002"),
        ]
    )
    assert [outcome(r) for r in results] == ["counted", "invalid_statement"]
    facilitation.statement_moderate(user=organiser, option=proposal, decision="approve")
    [result] = responses_submit([vote(phone, statements, proposal.pk, "vote-00003")])
    assert outcome(result) == "counted"
    facilitation.statement_moderate(
        user=organiser,
        option=statements.options.get(pk=shown),
        decision="hide",
        reason="Dubbel",
    )
    [result] = responses_submit([vote(other, statements, shown, "vote-00004")])
    assert outcome(result) == "invalid_statement"


def test_a_batch_sees_a_setting_changed_on_an_open_question(opened, organiser):
    """An asked question's wording cannot change (``question_asked``), but a setting that
    gives no answer another meaning can, and the very next batch must follow it (the
    question's revision moves on): here a longer open answer."""
    from sessions_app.services.questions import question_spec_of, question_update

    session, questions = opened
    text = questions["text"]
    facilitation.question_open(user=organiser, question=text)
    phone = phones(session, 1)[0]
    longer = "x" * (text.max_length + 1)
    [result] = responses_submit([Submission(phone, text.pk, {"text": longer}, "before-001")])
    assert outcome(result) == "text_too_long"
    spec = question_spec_of(text)
    spec.max_length = text.max_length + 100
    question_update(user=organiser, question=text, spec=spec)
    [result] = responses_submit([Submission(phone, text.pk, {"text": longer}, "after-0001")])
    assert outcome(result) == "counted"


def test_a_question_id_that_is_no_number_is_refused_alone(opened):
    session, questions = opened
    choice = questions["choice"]
    phone, other = phones(session, 2)
    results = responses_submit(
        [
            Submission(phone, {"id": choice.pk}, {"option": option(choice, 0)}, "odd-00001"),
            Submission(phone, [choice.pk], {"option": option(choice, 0)}, "odd-00002"),
            Submission(phone, f"{choice.pk}", {"option": option(choice, 0)}, "odd-00003"),
            choose(other, choice, 1, "plain-0001"),
        ]
    )
    assert [outcome(r) for r in results] == [
        "unknown_question",
        "unknown_question",
        "counted",  # a numeric string, read as the plain form reads it
        "counted",
    ]
