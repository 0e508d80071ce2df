"""Participation: joining, answering (counted, superseded, replayed, refused) and proposing
statements. Every refusal changes nothing."""

import re

import pytest

from sessions_app.exceptions import InputRejected
from sessions_app.identifiers import receipt_hash
from sessions_app.models import (
    LiveSession,
    LogEntry,
    Moderation,
    Option,
    Participant,
    Response,
    ResponseStatus,
    StatementOrigin,
)
from sessions_app.selectors import participant_answers
from sessions_app.services import counting, facilitation, participation
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.processes import process_close, process_publish
from tests.conftest import session_spec
from tests.texts import commitment_of

pytestmark = pytest.mark.django_db


def rows() -> tuple[int, int, int, int]:
    """What a refused input must leave untouched."""
    return (
        Response.objects.count(),
        LogEntry.objects.count(),
        Participant.objects.count(),
        Option.objects.count(),
    )


def last_entry(process) -> LogEntry:
    return LogEntry.objects.filter(process=process).order_by("seq").last()


def refused(code: str, call, *args, **kwargs) -> None:
    before = rows()
    with pytest.raises(InputRejected) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code
    assert rows() == before


@pytest.fixture
def opened(make_question, organiser):
    """A new question of ``kind``, opened by the organiser."""

    def make(kind: str = "single_choice", **overrides):
        question = make_question(kind, **overrides)
        return facilitation.question_open(user=organiser, question=question)

    return make


@pytest.fixture
def phone(live_session):
    return participation.participant_join(session=live_session, via="room")


@pytest.fixture
def other_session(process, organiser):
    return live_session_create(
        user=organiser, process=process, spec=session_spec(title="Tweede avond")
    )


def option_ids(question) -> list[int]:
    return list(question.options.order_by("position").values_list("pk", flat=True))


def submit(participant, question, answer, client_id):
    return participation.response_submit(
        participant=participant, question_id=question.pk, answer=answer, client_id=client_id
    )


# participant_join


def test_join_creates_a_pseudonymous_participant_and_logs(live_session, process):
    before = LogEntry.objects.filter(process=process).count()
    room = participation.participant_join(session=live_session, via="room")
    remote = participation.participant_join(session=live_session, via="remote")

    assert (room.joined_via, remote.joined_via) == ("room", "remote")
    assert room.session == live_session and remote.session == live_session
    for participant in (room, remote):
        assert re.fullmatch(r"p-[0-9a-f]{10}", participant.public_id)
        assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", participant.token)
    assert room.token != remote.token
    assert room.public_id != remote.public_id

    entries = list(LogEntry.objects.filter(process=process).order_by("seq"))[before:]
    assert [(e.action, e.actor, e.data) for e in entries] == [
        (
            "participant.joined",
            f"participant:{room.public_id}",
            {"session": live_session.pk, "participant": room.public_id, "via": "room"},
        ),
        (
            "participant.joined",
            f"participant:{remote.public_id}",
            {"session": live_session.pk, "participant": remote.public_id, "via": "remote"},
        ),
    ]


def test_join_with_a_known_token_returns_the_same_participant(live_session, phone):
    before = rows()
    again = participation.participant_join(session=live_session, via="remote", token=phone.token)
    assert again.pk == phone.pk
    assert again.joined_via == "room"
    assert rows() == before


def test_token_of_another_session_gives_a_new_participant(live_session, other_session, phone):
    elsewhere = participation.participant_join(session=other_session, via="room", token=phone.token)
    assert elsewhere.pk != phone.pk
    assert elsewhere.session == other_session
    assert elsewhere.token != phone.token


def test_unknown_token_gives_a_new_participant(live_session, phone):
    newcomer = participation.participant_join(session=live_session, via="room", token="bogus")
    assert newcomer.pk != phone.pk
    assert newcomer.token != "bogus"


@pytest.mark.parametrize("via", ["paper", "import", "", "phone"])
def test_join_only_through_room_or_remote(live_session, via):
    refused("invalid_answer", participation.participant_join, session=live_session, via=via)


def test_ended_session_admits_no_one_new(live_session, organiser, phone):
    facilitation.session_end(user=organiser, session=live_session)
    ended = LiveSession.objects.get(pk=live_session.pk)
    assert ended.state == "ended"
    refused("session_ended", participation.participant_join, session=ended, via="room")
    refused("session_ended", participation.participant_join, session=ended, via="remote", token="x")
    # Whoever had already joined is still recognised (and may see the results).
    assert participation.participant_join(session=ended, via="room", token=phone.token) == phone


def test_closed_process_admits_no_one(live_session, organiser, process, make_question):
    make_question("scale")
    process_publish(user=organiser, process=process)
    process_close(user=organiser, process=process)
    session = LiveSession.objects.get(pk=live_session.pk)
    refused("session_ended", participation.participant_join, session=session, via="room")


# response_submit: counting


def test_answer_is_counted_with_its_items_and_logged(opened, phone, process):
    question = opened("multiple_choice", max_choices=2)
    green, _market, bikes = option_ids(question)

    result = submit(phone, question, {"options": [bikes, green]}, "answer-0001")

    response = Response.objects.get()
    assert result == participation.SubmitResult(
        status="counted",
        response_id=response.pk,
        question_id=question.pk,
        counted=True,
        superseded_id=None,
        receipt=result.receipt,
    )
    # The receipt code is the phone's: the log holds its hash, nothing holds the code.
    assert len(result.receipt) == 16
    assert LogEntry.objects.get(receipt=receipt_hash(result.receipt)) == last_entry(process)
    assert result.receipt not in str(last_entry(process).data)
    assert response.status == ResponseStatus.COUNTED
    assert (response.question, response.participant) == (question, phone)
    assert (response.source, response.client_id, response.moderation) == (
        "online",
        "answer-0001",
        "",
    )
    assert response.statement is None
    assert sorted(response.items.values_list("option_id", "value")) == sorted(
        [(green, 1), (bikes, 1)]
    )
    entry = last_entry(process)
    assert entry.action == "response.counted"
    assert entry.actor == f"participant:{phone.public_id}"
    assert entry.data == {
        "question": question.pk,
        "response": response.pk,
        "participant": phone.public_id,
        "source": "online",
        "via": "room",
        "client_id": "answer-0001",
        "answer": {"options": [bikes, green]},
        "receipt": receipt_hash(result.receipt),
    }
    assert submit(phone, question, {"options": [bikes]}, "answer-0001").receipt == ""  # replay


def test_remote_answer_logs_its_way_in(opened, live_session, process):
    question = opened("scale")
    remote = participation.participant_join(session=live_session, via="remote")
    submit(remote, question, {"value": "4"}, "answer-0001")
    response = Response.objects.get()
    assert response.number == 4
    assert not response.items.exists()
    assert last_entry(process).data["via"] == "remote"
    assert last_entry(process).data["answer"] == {"value": 4}


def test_changing_an_answer_supersedes_the_previous_one(opened, phone, process):
    question = opened("single_choice")
    green, market, _bikes = option_ids(question)
    first = submit(phone, question, {"option": green}, "answer-0001")
    second = submit(phone, question, {"option": market}, "answer-0002")

    assert second.status == "counted"
    assert second.superseded_id == first.response_id
    old = Response.objects.get(pk=first.response_id)
    new = Response.objects.get(pk=second.response_id)
    assert old.status == ResponseStatus.SUPERSEDED
    assert old.status_changed_at is not None
    assert new.status == ResponseStatus.COUNTED
    counted = Response.objects.filter(question=question, status=ResponseStatus.COUNTED)
    assert list(counted.values_list("pk", flat=True)) == [new.pk]
    # The earlier answer is kept, with what it said.
    assert list(old.items.values_list("option_id", flat=True)) == [green]

    entry = last_entry(process)
    assert entry.action == "response.counted"
    assert entry.data["supersedes"] == old.pk
    assert entry.data["response"] == new.pk
    assert entry.data["answer"] == {"option": market}


def test_answers_to_different_questions_do_not_supersede_each_other(opened, phone):
    first_question = opened("single_choice")
    second_question = opened("single_choice")
    submit(phone, first_question, {"option": option_ids(first_question)[0]}, "answer-0001")
    result = submit(phone, second_question, {"option": option_ids(second_question)[1]}, "answer-2")
    assert result.superseded_id is None
    assert Response.objects.filter(status=ResponseStatus.COUNTED).count() == 2


def test_participants_do_not_supersede_each_other(opened, phone, live_session):
    question = opened("single_choice")
    other = participation.participant_join(session=live_session, via="remote")
    green, market, _bikes = option_ids(question)
    submit(phone, question, {"option": green}, "answer-0001")
    # The same client id from another phone is another answer.
    result = submit(other, question, {"option": market}, "answer-0001")
    assert result.status == "counted"
    assert result.superseded_id is None
    assert Response.objects.filter(status=ResponseStatus.COUNTED).count() == 2


def test_replayed_client_id_returns_the_first_outcome_and_changes_nothing(opened, phone):
    question = opened("single_choice")
    green, market, _bikes = option_ids(question)
    first = submit(phone, question, {"option": green}, "answer-0001")
    before = rows()

    replay = submit(phone, question, {"option": market}, "answer-0001")

    assert replay == participation.SubmitResult(
        status="duplicate", response_id=first.response_id, question_id=question.pk, counted=True
    )
    assert rows() == before
    response = Response.objects.get()
    assert list(response.items.values_list("option_id", flat=True)) == [green]


def test_replay_of_a_superseded_answer_says_it_no_longer_counts(opened, phone):
    question = opened("single_choice")
    green, market, _bikes = option_ids(question)
    first = submit(phone, question, {"option": green}, "answer-0001")
    submit(phone, question, {"option": market}, "answer-0002")
    before = rows()
    replay = submit(phone, question, {"option": green}, "answer-0001")
    assert (replay.status, replay.response_id, replay.counted) == (
        "duplicate",
        first.response_id,
        False,
    )
    assert rows() == before


def test_replay_after_the_question_closed_is_still_a_duplicate(opened, phone, organiser):
    question = opened("scale")
    first = submit(phone, question, {"value": 3}, "answer-0001")
    facilitation.question_close(user=organiser, question=question)
    before = rows()
    replay = submit(phone, question, {"value": 3}, "answer-0001")
    assert (replay.status, replay.response_id, replay.counted) == (
        "duplicate",
        first.response_id,
        True,
    )
    assert rows() == before


def test_replay_ignores_the_question_it_is_sent_with(opened, phone):
    first_question = opened("scale")
    second_question = opened("scale")
    first = submit(phone, first_question, {"value": 3}, "answer-0001")
    replay = submit(phone, second_question, {"value": 5}, "answer-0001")
    assert (replay.status, replay.response_id, replay.question_id) == (
        "duplicate",
        first.response_id,
        first_question.pk,
    )
    assert Response.objects.count() == 1


# response_submit: refusals


def test_closed_question_counts_nothing(opened, phone, organiser):
    question = opened("scale")
    submit(phone, question, {"value": 3}, "answer-0001")
    facilitation.question_close(user=organiser, question=question)
    refused("question_closed", submit, phone, question, {"value": 4}, "answer-0002")
    assert Response.objects.get().number == 3


def test_question_that_was_not_opened_counts_nothing(make_question, phone):
    question = make_question("scale")
    refused("question_not_open", submit, phone, question, {"value": 4}, "answer-0001")


def test_question_of_another_session_counts_nothing(other_session, organiser, phone, make_question):
    elsewhere = make_question("scale", session=other_session)
    facilitation.question_open(user=organiser, question=elsewhere)
    refused("wrong_session", submit, phone, elsewhere, {"value": 4}, "answer-0001")


@pytest.mark.parametrize("question_id", [999_999, "999999", "vraag", None, True, 1.0, [1]])
def test_unknown_question_counts_nothing(opened, phone, question_id):
    opened("scale")
    refused(
        "unknown_question",
        participation.response_submit,
        participant=phone,
        question_id=question_id,
        answer={"value": 3},
        client_id="answer-0001",
    )


@pytest.mark.parametrize(
    "client_id",
    ["short77", "", "has space1", "semi;colon", "ünïcödé-id", "x" * 65, 12345678, None, True],
)
def test_invalid_client_id_counts_nothing(opened, phone, client_id):
    question = opened("scale")
    refused("invalid_client_id", submit, phone, question, {"value": 3}, client_id)


@pytest.mark.parametrize("client_id", ["abcdefgh", "A-b_0123", "x" * 64])
def test_valid_client_ids(opened, phone, client_id):
    question = opened("scale")
    assert submit(phone, question, {"value": 3}, client_id).status == "counted"


def test_invalid_answer_counts_nothing(opened, phone):
    question = opened("single_choice")
    refused("invalid_option", submit, phone, question, {"option": 999_999}, "answer-0001")
    refused("no_choice", submit, phone, question, {}, "answer-0001")
    refused("invalid_answer", submit, phone, question, None, "answer-0001")


def test_refused_answer_leaves_the_earlier_answer_counting(opened, phone):
    question = opened("single_choice")
    green = option_ids(question)[0]
    first = submit(phone, question, {"option": green}, "answer-0001")
    refused("invalid_option", submit, phone, question, {"option": 999_999}, "answer-0002")
    assert Response.objects.get().pk == first.response_id
    assert Response.objects.get().status == ResponseStatus.COUNTED
    # The refused client id was not used up.
    assert submit(phone, question, {"option": green}, "answer-0002").status == "counted"


def test_statement_vote_as_a_list_is_refused(opened, phone):
    question = opened("statements")
    first = option_ids(question)[0]
    refused(
        "invalid_answer", submit, phone, question, {"statement": first, "vote": []}, "vote-0001"
    )


# response_submit: open text and statements


def test_open_text_waits_for_moderation(opened, phone):
    question = opened("open_text")
    submit(phone, question, {"text": "  Meer bankjes\x00 "}, "answer-0001")
    response = Response.objects.get()
    assert response.moderation == Moderation.PENDING
    assert response.text == "Meer bankjes"
    assert not response.items.exists()


def test_changed_open_text_waits_for_moderation_again(opened, phone, organiser):
    question = opened("open_text")
    first = submit(phone, question, {"text": "Meer bankjes"}, "answer-0001")
    facilitation.response_moderate(
        user=organiser, response=Response.objects.get(pk=first.response_id), decision="approve"
    )
    second = submit(phone, question, {"text": "Meer bomen"}, "answer-0002")
    assert Response.objects.get(pk=first.response_id).status == ResponseStatus.SUPERSEDED
    assert Response.objects.get(pk=second.response_id).moderation == Moderation.PENDING


def test_each_statement_has_its_own_counting_vote(opened, phone, process):
    question = opened("statements")
    cars, trees = option_ids(question)
    vote_cars = submit(phone, question, {"statement": cars, "vote": "agree"}, "vote-0001")
    vote_trees = submit(phone, question, {"statement": trees, "vote": "pass"}, "vote-0002")
    assert vote_trees.superseded_id is None

    changed = submit(phone, question, {"statement": cars, "vote": "disagree"}, "vote-0003")

    assert changed.superseded_id == vote_cars.response_id
    counted = Response.objects.filter(question=question, status=ResponseStatus.COUNTED)
    assert sorted(counted.values_list("statement_id", "number")) == sorted([(cars, -1), (trees, 0)])
    assert Response.objects.get(pk=vote_cars.response_id).status == ResponseStatus.SUPERSEDED
    assert Response.objects.get(pk=vote_trees.response_id).status == ResponseStatus.COUNTED
    entry = last_entry(process)
    assert entry.data["answer"] == {"statement": cars, "vote": "disagree"}
    assert entry.data["supersedes"] == vote_cars.response_id


# statement_propose


def propose(participant, question, text, client_id="propose-0001"):
    return participation.statement_propose(
        participant=participant, question_id=question.pk, text=text, client_id=client_id
    )


def test_proposed_statement_waits_for_moderation_and_is_logged(opened, phone, process):
    question = opened("statements", participants_may_add=True)
    option, created = propose(phone, question, "  Meer\x00 licht.  ")

    assert created
    assert option.question == question
    assert option.text == "Meer licht."
    assert option.origin == StatementOrigin.PARTICIPANT
    assert option.author == phone
    assert option.moderation == Moderation.PENDING
    assert option.client_id == "propose-0001"
    assert option.position == 3  # after the two statements of the design
    entry = last_entry(process)
    assert entry.action == "statement.proposed"
    assert entry.actor == f"participant:{phone.public_id}"
    assert entry.data == {
        "question": question.pk,
        "statement": option.pk,
        "text_commitment": commitment_of("Meer licht."),
        "client_id": "propose-0001",
    }


def test_replayed_proposal_returns_the_first(opened, phone):
    question = opened("statements", participants_may_add=True)
    option, _created = propose(phone, question, "Meer licht.")
    before = rows()
    again, created = propose(phone, question, "Iets anders.")
    assert (again, created) == (option, False)
    assert again.text == "Meer licht."
    assert rows() == before


def test_proposals_are_refused_where_adding_is_not_allowed(opened, phone):
    closed_list = opened("statements", participants_may_add=False)
    refused("adding_not_allowed", propose, phone, closed_list, "Meer licht.")
    choice = opened("single_choice")
    refused("adding_not_allowed", propose, phone, choice, "Meer licht.")


def test_proposals_stop_at_the_questions_moderation_setting_but_paper_does_not(
    opened, phone, live_session
):
    """``max_proposals`` is a moderation setting: at two, a third proposal from a phone
    is refused (``proposals_full``) and changes nothing, a replayed one still returns the
    first, and votes go on; a paper form's written proposal is typed in all the same."""
    question = opened("statements", participants_may_add=True, max_proposals=2)
    other = participation.participant_join(session=live_session, via="remote")
    propose(phone, question, "Meer licht.", "propose-0001")
    propose(other, question, "Meer bankjes.", "propose-0002")
    refused("proposals_full", propose, phone, question, "Minder auto's.", "propose-0003")
    assert propose(phone, question, "Meer licht.", "propose-0001")[1] is False
    first = question.options.order_by("position")[0]
    vote = participation.response_submit(
        participant=phone,
        question_id=question.pk,
        answer={"statement": first.pk, "vote": "agree"},
        client_id="vote-after-full",
    )
    assert vote is not None
    on_paper = counting.statement_add(
        question=question, text="Een bankje bij de boom.", author=other
    )
    assert question.options.filter(origin=StatementOrigin.PARTICIPANT).count() == 3
    assert on_paper.moderation == Moderation.PENDING


def test_proposal_to_a_closed_question_is_refused(opened, phone, organiser):
    question = opened("statements", participants_may_add=True)
    facilitation.question_close(user=organiser, question=question)
    refused("question_closed", propose, phone, question, "Meer licht.")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_text"),
        ("  \n\t ", "empty_text"),
        ("\x00\x01", "empty_text"),
        ("x" * 501, "text_too_long"),
        (None, "invalid_answer"),
        (["Meer licht."], "invalid_answer"),
    ],
)
def test_proposal_text_refusals(opened, phone, text, code):
    question = opened("statements", participants_may_add=True)
    refused(code, propose, phone, question, text)


def test_proposal_may_be_500_characters_after_cleaning(opened, phone):
    question = opened("statements", participants_may_add=True)
    option, created = propose(phone, question, "  " + "x" * 500 + "  ")
    assert created
    assert len(option.text) == 500


def test_proposal_needs_a_valid_client_id(opened, phone):
    question = opened("statements", participants_may_add=True)
    refused("invalid_client_id", propose, phone, question, "Meer licht.", client_id="kort")


def test_proposed_statement_can_be_voted_on_once_approved(opened, phone, organiser):
    question = opened("statements", participants_may_add=True)
    option, _created = propose(phone, question, "Meer licht.")
    refused(
        "invalid_statement",
        submit,
        phone,
        question,
        {"statement": option.pk, "vote": "agree"},
        "vote-0001",
    )
    facilitation.statement_moderate(user=organiser, option=option, decision="approve")
    result = submit(phone, question, {"statement": option.pk, "vote": "agree"}, "vote-0001")
    assert result.status == "counted"
    assert Response.objects.get().statement == option


# participant_answers


def test_participant_answers_gives_the_counting_answer_of_each_question(
    opened, phone, live_session
):
    choice = opened("single_choice")
    several = opened("multiple_choice", max_choices=2)
    scale = opened("scale")
    ranking = opened("ranking")
    budget = opened("budget", budget_total=100)
    text = opened("open_text")
    statements = opened("statements")
    green, market, _bikes = option_ids(choice)
    m_green, _m_market, m_bikes = option_ids(several)
    r_green, r_market, r_bikes = option_ids(ranking)
    b_green, _b_market, b_bikes = option_ids(budget)
    cars, trees = option_ids(statements)

    submit(phone, choice, {"option": green}, "answer-0001")
    submit(phone, choice, {"option": market}, "answer-0002")  # supersedes green
    submit(phone, several, {"options": [m_bikes, m_green]}, "answer-0003")
    submit(phone, scale, {"value": 2}, "answer-0004")
    submit(phone, ranking, {"ranking": [r_bikes, r_green, r_market]}, "answer-0005")
    submit(phone, budget, {"allocation": {str(b_green): 30, str(b_bikes): 70}}, "answer-0006")
    submit(phone, text, {"text": "Meer bomen"}, "answer-0007")
    submit(phone, statements, {"statement": cars, "vote": "agree"}, "answer-0008")
    submit(phone, statements, {"statement": trees, "vote": "pass"}, "answer-0009")
    submit(phone, statements, {"statement": cars, "vote": "disagree"}, "answer-0010")
    # Someone else's answers are not mine.
    other = participation.participant_join(session=live_session, via="remote")
    submit(other, scale, {"value": 5}, "answer-0001")

    mine = participant_answers(phone)

    assert mine.keys() == {
        str(q.pk) for q in (choice, several, scale, ranking, budget, text, statements)
    }
    assert mine[str(choice.pk)] == {"option": market}
    assert sorted(mine[str(several.pk)]["options"]) == sorted([m_bikes, m_green])
    assert mine[str(scale.pk)] == {"value": 2}
    assert mine[str(ranking.pk)] == {"ranking": [r_bikes, r_green, r_market]}
    assert mine[str(budget.pk)] == {"allocation": {str(b_green): 30, str(b_bikes): 70}}
    assert mine[str(text.pk)] == {"text": "Meer bomen"}
    assert mine[str(statements.pk)] == {str(cars): "disagree", str(trees): "pass"}
    assert participant_answers(other) == {str(scale.pk): {"value": 5}}


@pytest.mark.django_db(transaction=True)
def test_an_answer_racing_a_close_is_refused(organiser, live_session, make_question):
    """The facilitator's close is committing while an answer arrives: the answer must wait
    for it and be refused, never counted after the close (a lock on the question row)."""
    import threading

    from django.db import connection, transaction

    from sessions_app.services.facilitation import question_close as close

    question = make_question("single_choice")
    facilitation.question_open(user=organiser, question=question)
    participant = participation.participant_join(session=live_session, via="room")
    option = question.options.first().pk
    closing, done = threading.Event(), threading.Event()
    outcome = {}

    def facilitator():
        try:
            with transaction.atomic():
                close(user=organiser, question=type(question).objects.get(pk=question.pk))
                closing.set()
                done.wait(timeout=0.5)  # the close stays uncommitted while the answer arrives
        finally:
            connection.close()

    def phone():
        closing.wait(timeout=5)
        try:
            participation.response_submit(
                participant=participant,
                question_id=question.pk,
                answer={"option": option},
                client_id="client-race1",
            )
            outcome["status"] = "counted"
        except InputRejected as rejected:
            outcome["status"] = rejected.code
        finally:
            done.set()
            connection.close()

    threads = [threading.Thread(target=facilitator), threading.Thread(target=phone)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcome == {"status": "question_closed"}
    assert not Response.objects.filter(question=question).exists()
    actions = list(
        LogEntry.objects.filter(process=live_session.process).values_list("action", flat=True)
    )
    assert actions[-1] == "question.closed"
