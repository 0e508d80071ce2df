"""A statements question as a Polis conversation export (``comments.csv``, ``votes.csv``,
``participants-votes.csv``, ``summary.csv``), so that a conversation held on phones and
paper can be analysed with Polis's own tools, or by researchers used to its files; and
read back by ``import_polis`` into the same vote matrix.

The columns, signs and units are those of Polis's export (``docs/opinion-map.md``): a
vote is 1 agree, -1 disagree, 0 pass; ``moderated`` is 1 approved, 0 waiting, -1 hidden;
timestamps are milliseconds. ``votes.csv`` is the whole history, a changed vote included
(the latest counts); ``participants-votes.csv`` has each participant's latest vote per
comment and their group on the opinion map. Comment and voter ids are Polis's own when the
conversation was imported from Polis (every statement and voter has one), else numbers
from 0 in the order of the question's statements and of the participants' first votes.
Nothing personal is written: a voter is a number, an author too; a participant's own
statement or an imported comment that was not approved is withheld, as in the open data.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from sessions_app.models import (
    Moderation,
    Participant,
    Question,
    Response,
    ResponseStatus,
    StatementOrigin,
)
from sessions_app.opinion.polis import COMMENT_COLUMNS, VOTE_COLUMNS
from sessions_app.opinion.serialize import previous_k_state, previous_labels
from sessions_app.selectors import question_map, stored_map

MODERATED = {Moderation.APPROVED: 1, Moderation.PENDING: 0, Moderation.HIDDEN: -1}
#: The vote rows of the history: what counts now, and what a later vote replaced.
HISTORY = (ResponseStatus.COUNTED, ResponseStatus.SUPERSEDED)


def _ids(external: list[str]) -> list[int] | None:
    """Polis's own ids when every row has one (an imported conversation), else None."""
    try:
        found = [int(value) for value in external]
    except ValueError:
        return None
    return found if len(set(found)) == len(found) else None


def _ms(at: datetime) -> int:
    return round(at.timestamp() * 1000)


def _when(at: datetime) -> list:
    """A moment as Polis's export gives it: milliseconds, and the same as text (ISO 8601,
    UTC, to the millisecond)."""
    ms = _ms(at)
    text = datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")
    return [ms, text]


def _csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


#: Statements a person wrote: a participant's own, and a comment imported from Polis.
WRITTEN = (StatementOrigin.PARTICIPANT, StatementOrigin.IMPORT)


def _body(statement) -> str:
    """A statement's text, as the open data gives it: one a person wrote (a participant's
    own, a comment imported from Polis) only once approved (one waiting or hidden may say
    what its author would not want public); in its place, a note that it is withheld, so
    that the comment is still there."""
    if statement.origin not in WRITTEN or statement.moderation == Moderation.APPROVED:
        return statement.text
    return gettext("(withheld: a participant's statement that was not approved)")


def polis_files(question: Question) -> dict[str, str]:
    """File name → its text, for a statements question."""
    if question.kind != "statements":
        raise ValueError("only a statements question is a Polis conversation")
    with translation.override(question.session.process.language):
        return _files(question)


def _files(question: Question) -> dict[str, str]:
    statements = list(question.options.order_by("position", "id"))
    comment_ids = _ids([s.external_id for s in statements]) or list(range(len(statements)))
    comment_of = {s.pk: cid for s, cid in zip(statements, comment_ids, strict=True)}
    history = list(
        Response.objects.filter(question=question, status__in=HISTORY, statement__isnull=False)
        .order_by("created_at", "id")
        .values_list("participant_id", "statement_id", "number", "created_at", "status")
    )
    people = list(dict.fromkeys(p for p, *_rest in history))
    external = dict(Participant.objects.filter(pk__in=people).values_list("pk", "external_id"))
    voter_ids = _ids([external[p] for p in people]) or list(range(len(people)))
    voter_of = dict(zip(people, voter_ids, strict=True))
    latest: dict[tuple[int, int], int] = {}
    for participant, statement, vote, _at, status in history:
        if status == ResponseStatus.COUNTED:
            latest[(participant, statement)] = vote

    counts = defaultdict(lambda: [0, 0])
    for (_participant, statement), vote in latest.items():
        if vote:
            counts[statement][0 if vote > 0 else 1] += 1
    comments = [list(COMMENT_COLUMNS)]
    for statement in statements:
        author = statement.author_id
        comments.append(
            [
                *_when(statement.created_at),
                comment_of[statement.pk],
                voter_of.get(author, ""),  # a participant's own statement: theirs
                counts[statement.pk][0],
                counts[statement.pk][1],
                MODERATED.get(statement.moderation, 0),
                _body(statement),
            ]
        )
    votes = [list(VOTE_COLUMNS)]
    for participant, statement, vote, at, _status in history:
        votes.append([*_when(at), comment_of[statement], voter_of[participant], vote])

    live = stored_map(question.pk)
    found = question_map(question, previous=previous_labels(live), k_state=previous_k_state(live))
    ordered = sorted(statements, key=lambda s: comment_of[s.pk])
    matrix = [
        ["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"]
        + [comment_of[s.pk] for s in ordered]
    ]
    written = defaultdict(int)
    for statement in statements:
        if statement.author_id:
            written[statement.author_id] += 1
    for participant in sorted(people, key=voter_of.get):
        cells = [latest.get((participant, s.pk)) for s in ordered]
        given = [c for c in cells if c is not None]
        group = found.labels.get(participant)
        matrix.append(
            [
                voter_of[participant],
                "" if group is None else group,
                written.get(participant, 0),
                len(given),
                sum(1 for c in given if c > 0),
                sum(1 for c in given if c < 0),
            ]
            + ["" if c is None else c for c in cells]
        )
    summary = [
        ["topic", question.session.process.title],
        ["url", (settings.SITE_URL or "") + question.session.process.get_absolute_url()],
        ["voters", len(people)],
        ["voters-in-conv", len(found.positions)],
        ["commenters", len(written)],
        ["comments", len(statements)],
        ["groups", len(found.groups)],
        ["conversation-description", question.text],
    ]
    return {
        "comments.csv": _csv(comments),
        "votes.csv": _csv(votes),
        "participants-votes.csv": _csv(matrix),
        "summary.csv": _csv(summary),
    }
