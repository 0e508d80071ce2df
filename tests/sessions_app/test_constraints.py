"""Invariants the database itself enforces, whatever code writes to it."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError

from sessions_app.exceptions import RecordImmutable
from sessions_app.models import (
    EntryState,
    HandCount,
    JoinedVia,
    LiveSession,
    LogEntry,
    PaperSheet,
    Participant,
    Question,
    Response,
    ResponseItem,
    ResponseStatus,
    SheetEntry,
    Source,
)

pytestmark = pytest.mark.django_db


def participant(session, token="tok"):
    return Participant.objects.create(
        session=session, token=token, public_id=f"p-{token}", joined_via=JoinedVia.ROOM
    )


def refused(**create):
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(**create)


def test_one_counting_answer_per_participant_and_question(make_question, live_session):
    question = make_question()
    person = participant(live_session)
    Response.objects.create(
        question=question, participant=person, source=Source.ONLINE, client_id="a"
    )
    refused(question=question, participant=person, source=Source.ONLINE, client_id="b")
    # Superseded answers are kept beside the counting one.
    Response.objects.create(
        question=question,
        participant=person,
        source=Source.ONLINE,
        client_id="c",
        status=ResponseStatus.SUPERSEDED,
    )
    assert Response.objects.filter(question=question, participant=person).count() == 2


def test_one_counting_vote_per_statement(make_question, live_session):
    question = make_question("statements")
    first, second = question.options.all()
    person = participant(live_session)
    common = {"question": question, "participant": person, "source": Source.ONLINE, "number": 1}
    Response.objects.create(statement=first, client_id="1", **common)
    Response.objects.create(statement=second, client_id="2", **common)
    refused(statement=first, client_id="3", **common)


def test_statement_vote_is_agree_disagree_or_pass(make_question, live_session):
    question = make_question("statements")
    refused(
        question=question,
        participant=participant(live_session),
        source=Source.ONLINE,
        statement=question.options.first(),
        number=2,
    )


def test_client_id_is_unique_per_participant(make_question, live_session):
    first, second = make_question(), make_question()
    person = participant(live_session)
    Response.objects.create(question=first, participant=person, source=Source.ONLINE, client_id="x")
    refused(question=second, participant=person, source=Source.ONLINE, client_id="x")


def test_hands_and_paper_without_sheet_are_not_responses(make_question, live_session):
    question = make_question()
    person = participant(live_session)
    refused(question=question, participant=person, source=Source.HANDS)
    refused(question=question, participant=person, source=Source.PAPER)


def test_rejected_response_needs_a_code(make_question, live_session):
    refused(
        question=make_question(),
        participant=participant(live_session),
        source=Source.ONLINE,
        status=ResponseStatus.REJECTED,
    )


def test_option_with_answers_is_protected(make_question, live_session):
    question = make_question()
    option = question.options.first()
    response = Response.objects.create(
        question=question, participant=participant(live_session), source=Source.ONLINE
    )
    ResponseItem.objects.create(response=response, option=option)
    with pytest.raises(ProtectedError):
        option.delete()


def test_question_settings_are_checked_per_kind(make_question):
    scale = make_question("scale")
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.filter(pk=scale.pk).update(scale_min=5, scale_max=5)
    budget = make_question("budget")
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.filter(pk=budget.pk).update(budget_total=0)
    choice = make_question("multiple_choice")
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.filter(pk=choice.pk).update(max_choices=0)


def test_join_codes_are_unique(live_session, process):
    with pytest.raises(IntegrityError), transaction.atomic():
        LiveSession.objects.create(
            process=process,
            title="x",
            starts_at=live_session.starts_at,
            join_code=live_session.join_code,
        )


def test_phone_participants_have_a_token_and_paper_ones_none(live_session):
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(session=live_session, public_id="p-1", joined_via=JoinedVia.ROOM)
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(
            session=live_session, public_id="p-2", token="t", joined_via=JoinedVia.PAPER
        )


def test_one_accepted_entry_per_sheet(live_session):
    sheet = PaperSheet.objects.create(
        session=live_session, code="K7QM3XPA", serial=1, layout_version="1"
    )
    SheetEntry.objects.create(sheet=sheet, state=EntryState.ACCEPTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        SheetEntry.objects.create(sheet=sheet, state=EntryState.ACCEPTED)


def test_voiding_a_sheet_needs_a_reason(live_session):
    sheet = PaperSheet.objects.create(
        session=live_session, code="K7QM3XPB", serial=1, layout_version="1"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PaperSheet.objects.filter(pk=sheet.pk).update(state="voided")


def test_log_entries_cannot_be_changed_or_deleted_through_the_orm(process):
    entry = LogEntry.objects.filter(process=process).first()
    entry.action = "forged"
    with pytest.raises(RecordImmutable):
        entry.save()
    with pytest.raises(RecordImmutable):
        entry.delete()
    with pytest.raises(RecordImmutable):
        LogEntry.objects.filter(process=process).update(action="forged")
    with pytest.raises(RecordImmutable):
        LogEntry.objects.filter(process=process).delete()
    with pytest.raises(RecordImmutable):
        LogEntry.objects.bulk_update([entry], ["action"])
    assert LogEntry.objects.get(pk=entry.pk).action == "process.created"


def test_log_sequence_is_unique_per_process(process):
    entry = LogEntry.objects.filter(process=process).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        LogEntry.objects.create(
            process=process,
            seq=entry.seq,
            created_at=entry.created_at,
            actor="x",
            action="x",
            prev_hash="0" * 64,
            hash="f" * 64,
        )


def test_hand_counts_are_append_only(make_question, organiser):
    question = make_question()
    count = HandCount.objects.create(
        question=question, option=question.options.first(), count=37, entered_by=organiser
    )
    count.count = 40
    with pytest.raises(RecordImmutable):
        count.save()
    with pytest.raises(RecordImmutable):
        HandCount.objects.filter(pk=count.pk).update(count=40)
    with pytest.raises(IntegrityError), transaction.atomic():
        HandCount.objects.create(question=question, count=3, entered_by=organiser)
