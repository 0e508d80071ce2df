"""Everything a council output is made of, read from the database once per export.

The small parts (the process, its sessions and questions, the results, the follow-ups)
are plain lists and dicts; the large ones (responses, hand counts, log entries) are
iterators that read in chunks by key, so an export of a hundred thousand responses keeps
its memory flat. Times are ISO 8601 in the process's time zone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from sessions_app import results as results_module
from sessions_app.design import format_datetime, process_fields_to_dict, timeline_to_list
from sessions_app.models import (
    FollowUp,
    HandCount,
    Option,
    Process,
    Question,
    Response,
    ResponseItem,
)
from sessions_app.selectors import log_chain_rows, paper_reconciliation

FORMAT = "inspraak.export/1"
CHUNK = 2000


@contextlib.contextmanager
def snapshot():
    """One consistent view of the database for a whole export: a transaction, and on
    PostgreSQL one that sees no commit made after its first read."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        # Only the transaction's first statement may set this; inside a caller's
        # transaction (a test), the caller's view is the one there is.
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _when(moment: datetime | None) -> str | None:
    return format_datetime(moment)


def process_part(process: Process) -> dict:
    """The process's fields as its design file has them, with its slug, state and dates."""
    return {
        "slug": process.slug,
        **process_fields_to_dict(process),
        "state": process.state,
        "published_at": _when(process.published_at),
        "closed_at": _when(process.closed_at),
        "timeline": timeline_to_list(process),
    }


def questions_of(process: Process) -> list[Question]:
    """The process's questions in agenda order, with their sessions and options."""
    return list(
        Question.objects.filter(session__process=process)
        .select_related("session")
        .prefetch_related(Prefetch("options", queryset=Option.objects.order_by("position", "id")))
        .order_by("session__position", "session__starts_at", "session_id", "position", "id")
    )


def sessions_part(process: Process) -> list[dict]:
    return [
        {
            "id": session.pk,
            "title": session.title,
            "starts_at": _when(session.starts_at),
            "ends_at": _when(session.ends_at),
            "venue": session.venue,
            "mode": session.mode,
            "state": session.state,
            "paper_closed_at": _when(session.paper_closed_at),
            "paper": paper_reconciliation(session=session),
        }
        for session in process.sessions.all()
    ]


def question_part(question: Question) -> dict:
    return {
        "id": question.pk,
        "session": question.session_id,
        "position": question.position,
        "kind": question.kind,
        "text": question.text,
        "description": question.description,
        "state": question.state,
        "results_revealed": question.results_revealed,
        "max_choices": question.max_choices,
        "scale_min": question.scale_min,
        "scale_max": question.scale_max,
        "budget_total": question.budget_total,
        "opened_at": _when(question.opened_at),
        "closed_at": _when(question.closed_at),
        "options": [
            {
                "id": option.pk,
                "position": option.position,
                "text": option.text,
                "origin": option.origin,
                "moderation": option.moderation,
            }
            for option in question.options.all()
        ],
    }


def results_part(questions: list[Question]) -> list[dict]:
    """``results.question_results`` for every question: the numbers every output shows."""
    provisional: dict[int, bool] = {}
    found = []
    for question in questions:
        if question.session_id not in provisional:
            provisional[question.session_id] = results_module.paper_provisional(question.session)
        found.append(
            results_module.question_results(
                question=question,
                session=question.session,
                provisional=provisional[question.session_id],
            )
        )
    return found


def follow_ups_part(process: Process) -> list[dict]:
    return [
        {
            "id": follow_up.pk,
            "question": follow_up.question_id,
            "outcome": follow_up.outcome,
            "reasoning": follow_up.reasoning,
            "decided_on": follow_up.decided_on.isoformat(),
            "recorded_at": _when(follow_up.created_at),
        }
        for follow_up in FollowUp.objects.filter(process=process).order_by(
            "question_id", "decided_on", "id"
        )
    ]


def _chunks(queryset, fields: tuple[str, ...], key: str = "id") -> Iterator[list[dict]]:
    """Rows of ``queryset`` in ``key`` order, ``CHUNK`` at a time (keyset pagination)."""
    last = 0
    while True:
        rows = list(queryset.filter(**{f"{key}__gt": last}).order_by(key).values(*fields)[:CHUNK])
        if not rows:
            return
        yield rows
        last = rows[-1][key]


RESPONSE_FIELDS = (
    "id",
    "question_id",
    "participant__public_id",
    "participant__joined_via",
    "participant__external_id",
    "source",
    "statement_id",
    "number",
    "text",
    "status",
    "reject_code",
    "client_id",
    "sheet__code",
    "teller__username",
    "moderation",
    "moderation_reason",
    "moderated_at",
    "supersedes_id",
    "created_at",
    "status_changed_at",
)


def responses(process: Process) -> Iterator[dict]:
    """Every response of the process, whatever its status, with its items."""
    queryset = Response.objects.filter(question__session__process=process)
    for rows in _chunks(queryset, RESPONSE_FIELDS):
        items: dict[int, list[list[int]]] = {}
        for response_id, option_id, value in (
            ResponseItem.objects.filter(response_id__in=[row["id"] for row in rows])
            .order_by("response_id", "option_id")
            .values_list("response_id", "option_id", "value")
        ):
            items.setdefault(response_id, []).append([option_id, value])
        for row in rows:
            yield {
                "id": row["id"],
                "question": row["question_id"],
                "participant": row["participant__public_id"],
                "external_id": row["participant__external_id"] or None,
                "joined_via": row["participant__joined_via"],
                "source": row["source"],
                "channel": results_module.channel(row["source"], row["participant__joined_via"]),
                "statement": row["statement_id"],
                "number": row["number"],
                "text": row["text"],
                "items": items.get(row["id"], []),
                "status": row["status"],
                "reject_code": row["reject_code"] or None,
                "client_id": row["client_id"] or None,
                "sheet": row["sheet__code"],
                "teller": row["teller__username"],
                "moderation": row["moderation"] or None,
                "moderation_reason": row["moderation_reason"] or None,
                "moderated_at": _when(row["moderated_at"]),
                "supersedes": row["supersedes_id"],
                "created_at": _when(row["created_at"]),
                "status_changed_at": _when(row["status_changed_at"]),
            }


def hand_counts(process: Process) -> Iterator[dict]:
    queryset = HandCount.objects.filter(question__session__process=process)
    fields = (
        "id",
        "question_id",
        "option_id",
        "scale_value",
        "count",
        "replaces_id",
        "entered_by__username",
        "created_at",
    )
    for rows in _chunks(queryset, fields):
        for row in rows:
            yield {
                "id": row["id"],
                "question": row["question_id"],
                "option": row["option_id"],
                "scale_value": row["scale_value"],
                "count": row["count"],
                "replaces": row["replaces_id"],
                "entered_by": row["entered_by__username"],
                "created_at": _when(row["created_at"]),
            }


def log_entries(process: Process) -> Iterator[dict]:
    """The log as it is hashed (``at`` in UTC, exactly as in the chain), up to the head
    the process recorded when the export began."""
    for entry in log_chain_rows(process=process, upto=process.log_seq):
        del entry["id"]
        yield entry


def generated_at() -> str:
    return _when(timezone.now())


def time_zone() -> str:
    return settings.TIME_ZONE
