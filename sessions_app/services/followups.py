"""What was done with the input: the organiser records it per question or for the whole
process, and it is logged, shown on the public page and written into every export."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from sessions_app import permissions
from sessions_app.exceptions import FollowUpError
from sessions_app.models import FollowUp, FollowUpOutcome, Process, ProcessState, Question

from .log import actor_for, log_append

REASONING_MAX = 5000


def follow_up_record(
    *,
    user,
    process: Process,
    question_id: int | None,
    outcome: str,
    reasoning: str,
    decided_on: datetime.date,
) -> FollowUp:
    """Record a follow-up; an earlier one stays, so the public page shows the history.

    Raises ``AccessDenied`` (``not_staff``, ``role_required``: organisers only) and
    ``FollowUpError`` (``follow_up_draft``, ``follow_up_question``, ``follow_up_outcome``,
    ``follow_up_reasoning``, ``follow_up_date``). Nothing is stored on an error.
    """
    permissions.require(user, process, "design")
    if process.state == ProcessState.DRAFT:
        raise FollowUpError("follow_up_draft")
    question = None
    if question_id is not None:
        question = Question.objects.filter(pk=question_id, session__process=process).first()
        if question is None:
            raise FollowUpError("follow_up_question")
    if outcome not in FollowUpOutcome.values:
        raise FollowUpError("follow_up_outcome")
    reasoning = (reasoning or "").strip()
    if not reasoning or len(reasoning) > REASONING_MAX:
        raise FollowUpError("follow_up_reasoning", params={"max": REASONING_MAX})
    if (
        not isinstance(decided_on, datetime.date)
        or isinstance(decided_on, datetime.datetime)
        or decided_on > timezone.localdate()
    ):
        raise FollowUpError("follow_up_date")
    with transaction.atomic():
        follow_up = FollowUp.objects.create(
            process=process,
            question=question,
            outcome=outcome,
            reasoning=reasoning,
            decided_on=decided_on,
            created_by=user,
        )
        log_append(
            process=process,
            action="follow_up.recorded",
            actor=actor_for(user),
            data={
                "follow_up": follow_up.pk,
                "question": question.pk if question else None,
                "outcome": outcome,
                "reasoning": reasoning,
                "decided_on": decided_on.isoformat(),
            },
        )
    return follow_up
