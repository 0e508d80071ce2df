"""Storing one counted answer, from any source. Shared by the phone path and paper entry,
so the rules are the same: a participant's earlier answer is superseded, and an attendee
card makes one person count once across phone and paper."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from sessions_app.answers import Answer
from sessions_app.models import (
    CardRule,
    Moderation,
    Participant,
    Question,
    QuestionKind,
    Response,
    ResponseItem,
    ResponseStatus,
)


@dataclass(frozen=True)
class Stored:
    response: Response
    #: The participant's own earlier answer, now superseded.
    superseded: int | None = None
    #: Another answer by the same attendee card: superseded (latest wins) or, under
    #: "flag for review", still counting while this one is held.
    card_conflict: int | None = None

    @property
    def held(self) -> bool:
        return self.response.status == ResponseStatus.HELD


def store_response(
    *,
    question: Question,
    participant: Participant,
    answer: Answer,
    source: str,
    client_id: str = "",
    sheet=None,
    sheet_entry=None,
    teller=None,
) -> Stored:
    """Write a counted answer inside the caller's transaction; the caller logs it."""
    now = timezone.now()
    counted = Response.objects.select_for_update(no_key=True).filter(
        question=question, statement_id=answer.statement, status=ResponseStatus.COUNTED
    )
    previous = counted.filter(participant=participant).values_list("pk", flat=True).first()
    if previous is not None:
        Response.objects.filter(pk=previous).update(
            status=ResponseStatus.SUPERSEDED, status_changed_at=now
        )
    status = ResponseStatus.COUNTED
    card_conflict = None
    if participant.card_id:
        card_conflict = (
            counted.filter(card_id=participant.card_id)
            .exclude(participant=participant)
            .values_list("pk", flat=True)
            .first()
        )
        if card_conflict is not None:
            if question.session.process.card_rule == CardRule.LATEST_WINS:
                Response.objects.filter(pk=card_conflict).update(
                    status=ResponseStatus.SUPERSEDED, status_changed_at=now
                )
            else:
                status = ResponseStatus.HELD
    response = Response.objects.create(
        question=question,
        participant=participant,
        statement_id=answer.statement,
        source=source,
        number=answer.number,
        text=answer.text,
        client_id=client_id,
        status=status,
        card_id=participant.card_id,
        supersedes_id=card_conflict
        if card_conflict is not None and status == ResponseStatus.COUNTED
        else previous,
        sheet=sheet,
        sheet_entry=sheet_entry,
        teller=teller,
        moderation=Moderation.PENDING if question.kind == QuestionKind.OPEN_TEXT else "",
    )
    if answer.items:
        ResponseItem.objects.bulk_create(
            ResponseItem(response=response, option_id=option, value=value)
            for option, value in answer.items
        )
    return Stored(response=response, superseded=previous, card_conflict=card_conflict)


def restore_superseded(response_ids: list[int]) -> list[int]:
    """After answers were voided: give back the count to the answers they had replaced,
    unless something else counts for that person meanwhile. Returns the restored ids."""
    restored = []
    now = timezone.now()
    for voided in Response.objects.filter(
        pk__in=response_ids, supersedes__isnull=False
    ).select_related("supersedes"):
        earlier = voided.supersedes
        if earlier.status != ResponseStatus.SUPERSEDED:
            continue
        same_person = Response.objects.filter(
            question_id=earlier.question_id,
            statement_id=earlier.statement_id,
            status=ResponseStatus.COUNTED,
        )
        if earlier.card_id:
            same_person = same_person.filter(card_id=earlier.card_id)
        else:
            same_person = same_person.filter(participant_id=earlier.participant_id)
        if same_person.exists():
            continue
        Response.objects.filter(pk=earlier.pk).update(
            status=ResponseStatus.COUNTED, status_changed_at=now
        )
        restored.append(earlier.pk)
    return restored


def card_attach(participant: Participant, card_id: int) -> list[int]:
    """A participant who already answered shows an attendee card: their counting answers
    now belong to the card too, and the card rule settles any answer the card gave
    elsewhere (the later one wins, or is held). Returns the ids of answers held."""
    now = timezone.now()
    held = []
    rule = participant.session.process.card_rule
    for response in Response.objects.select_for_update(no_key=True).filter(
        participant=participant, status=ResponseStatus.COUNTED
    ):
        other = (
            Response.objects.select_for_update(no_key=True)
            .filter(
                question_id=response.question_id,
                statement_id=response.statement_id,
                card_id=card_id,
                status=ResponseStatus.COUNTED,
            )
            .exclude(participant=participant)
            .first()
        )
        updates = {"card_id": card_id}
        if other is not None:
            later, earlier = (
                (response, other) if response.created_at >= other.created_at else (other, response)
            )
            if rule == CardRule.LATEST_WINS:
                Response.objects.filter(pk=earlier.pk).update(
                    status=ResponseStatus.SUPERSEDED, status_changed_at=now
                )
                if later is response:
                    updates["supersedes_id"] = other.pk
                else:
                    Response.objects.filter(pk=other.pk).update(supersedes_id=response.pk)
            else:
                updates.update(status=ResponseStatus.HELD, status_changed_at=now)
                held.append(response.pk)
        Response.objects.filter(pk=response.pk).update(**updates)
    return held
