"""A Polis conversation as a process: one session with a statements question whose
statements are the comments (moderated-out and meta comments hidden, as Polis leaves them
out of its groups), and every vote as a response of a participant who keeps the Polis
voter id as their external id. Earlier votes of the same person on the same comment are
kept as superseded, so the history is there and only the latest counts, as in Polis.

A conversation of any size: the comments are not a design's statements (which are capped
to what fits on paper) but written straight in, like the votes, in chunks. Everything is
checked before anything is created (``opinion.polis.read_conversation``), and it is
created in one transaction, with one log entry naming the files' SHA-256.

A comment is what a person wrote: as a participant's proposed statement, its text is a
``TextContent`` row of its own (``services.texts``), and the log holds only its
commitment, so that an erasure request or the retention purge can erase it. No comment's
text is in the log: the design the process is created from has a placeholder statement
(``PLACEHOLDER``), taken out before the comments go in. A seed comment (the
conversation's owners') is the organisers' statement, as a design's."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from sessions_app.binding import imported_digest
from sessions_app.bulk import insert_rows
from sessions_app.design import FORMAT
from sessions_app.identifiers import public_id_new
from sessions_app.models import (
    JoinedVia,
    Moderation,
    Option,
    Participant,
    Process,
    Question,
    Response,
    StatementOrigin,
)
from sessions_app.opinion.polis import PROGRESS_ROWS, Conversation, read_conversation

from . import counting, design_io, texts
from .log import actor_for, log_append

CHUNK = 2000
#: The statement the design needs (a statements question has at least one), never a
#: comment's text: the design is logged (``question.created``). Taken out at once.
PLACEHOLDER = "…"


def _design(conversation: Conversation, language: str) -> dict:
    first = min((v.at for v in conversation.votes), default=conversation.comments[0].at)
    last = max((v.at for v in conversation.votes), default=first)
    source = conversation.url or _("a Polis export")
    return {
        "format": FORMAT,
        "title": conversation.topic[:200],
        "language": language,
        "purpose": conversation.description
        or _("Statements and votes of a Polis conversation, imported for analysis."),
        "level": "consult",
        "promise": _(
            "Imported from %(source)s for analysis; the votes were given in Polis, not here."
        )
        % {"source": source},
        "decision_maker": _("not applicable (imported conversation)"),
        "sessions": [
            {
                "title": _("Polis conversation"),
                "starts_at": first.isoformat(),
                "ends_at": last.isoformat() if last > first else None,
                "mode": "online",
                "questions": [
                    {
                        "kind": "statements",
                        "text": (conversation.description or conversation.topic)[:500],
                        # Not a comment: those are written straight in (any number),
                        # their texts kept apart from the log.
                        "statements": [PLACEHOLDER],
                    }
                ],
            }
        ],
    }


def polis_import(*, directory: Path, user=None, language: str = "en", on_progress=None) -> Process:
    """Create the process, in ``language`` (``en`` or ``nl``); raises
    ``PolisFormatError`` (nothing created) for a file that does not read cleanly, and
    ``DesignError`` if the conversation breaks a design rule. ``on_progress(step, done,
    total)`` hears how far it is: reading each file (``total`` None), then writing the
    votes."""
    progress = on_progress or (lambda step, done, total: None)
    conversation = read_conversation(
        directory, on_progress=lambda name, rows: progress(name, rows, None)
    )
    # What is said here (the promise, the session's title) is in the process's language.
    with translation.override(language), transaction.atomic():
        process = design_io.process_import(user=user, data=_design(conversation, language))
        question = Question.objects.get(session__process=process)
        session = question.session
        question.options.all().delete()  # the placeholder
        columns = [f.attname for f in Option._meta.concrete_fields if not f.primary_key]

        def row(position: int, comment) -> dict:
            option = _statement(Option(question_id=question.pk, position=position), comment)
            return {c: getattr(option, c) for c in columns} | {"created_at": comment.at}

        numbered = list(enumerate(conversation.comments, start=1))
        statement_pks = []
        committed = []  # (statement, commitment) of each comment a participant wrote
        for start in range(0, len(numbered), CHUNK):
            chunk = numbered[start : start + CHUNK]
            pks = insert_rows(Option, (row(p, c) for p, c in chunk))
            statement_pks += pks
            made = [
                (pk, texts.commit(process.pk, c.body, now=c.at, option_id=pk))
                for pk, (_p, c) in zip(pks, chunk, strict=True)
                if not c.seed
            ]
            texts.insert(m for _pk, m in made)
            committed += [(pk, m.commitment) for pk, m in made]
        statement_of = dict(zip((c.id for c in conversation.comments), statement_pks, strict=True))
        Question.objects.filter(pk=question.pk).rules_changed()

        first_vote = {}
        for vote in conversation.votes:
            first_vote.setdefault(vote.voter, vote.at)
        voters = sorted(first_vote)
        pks = insert_rows(
            Participant,
            (
                {
                    "session_id": session.pk,
                    "token": None,
                    "public_id": public_id_new(),
                    "joined_via": JoinedVia.IMPORT,
                    "external_id": str(voter),
                    "created_at": first_vote[voter],
                    "card_id": None,
                }
                for voter in voters
            ),
        )
        participant_of = dict(zip(voters, pks, strict=True))
        _insert_votes(conversation, question, statement_of, participant_of, progress)
        log_append(
            process=process,
            action="polis.imported",
            actor=actor_for(user),
            data={
                "source": conversation.url,
                "files": conversation.digests,
                "statements": len(conversation.comments),
                "hidden": sum(c.moderated == -1 or c.meta for c in conversation.comments),
                # Each comment a participant wrote, by its text's commitment (never the
                # text: it can be erased, ``services.texts``).
                "comments": [
                    {"statement": pk, "text_commitment": commitment} for pk, commitment in committed
                ],
                "participants": len(voters),
                "votes": len(conversation.votes),
                # Binds every stored vote to this entry (``binding.imported_digest``).
                "responses_digest": imported_digest(
                    Response.objects.filter(question=question)
                    .order_by("id")
                    .values_list("id", "participant__public_id", "statement_id", "number", "status")
                    .iterator(chunk_size=CHUNK)
                ),
            },
        )
    return process


def _statement(option: Option, comment) -> Option:
    """``option`` as the comment says: its text and id; hidden when moderated out or a
    meta comment (both left out of Polis's groups), waiting when not moderated; a seed
    comment is the organisers'. Its text's ``TextContent`` row is the caller's."""
    option.text = comment.body
    option.external_id = str(comment.id)
    option.origin = StatementOrigin.ORGANISER if comment.seed else StatementOrigin.IMPORT
    option.moderation = Moderation.APPROVED
    option.moderation_reason = ""
    if comment.moderated == -1:
        option.moderation = Moderation.HIDDEN
        option.moderation_reason = _("moderated out in Polis")
    elif comment.meta:
        option.moderation = Moderation.HIDDEN
        option.moderation_reason = _("a meta comment in Polis (about the conversation itself)")
    elif comment.moderated == 0:
        option.moderation = Moderation.PENDING
    return option


def _insert_votes(
    conversation, question, statement_of: dict, participant_of: dict, progress
) -> None:
    """Every vote, through ``counting.votes_import``: a later vote of a person on the same
    comment supersedes the earlier one, so the votes go in a generation at a time (first
    votes, then second votes, ...), each knowing when it was replaced."""
    replaced_at = {}
    order = {}
    for index, vote in enumerate(conversation.votes):
        key = (vote.voter, vote.comment)
        if key in order:
            replaced_at[order[key]] = vote.at
        order[key] = index
    generations: list[list[counting.ImportedVote]] = []
    seen: dict[tuple[int, int], int] = defaultdict(int)
    for index, vote in enumerate(conversation.votes):
        key = (vote.voter, vote.comment)
        generation = seen[key]
        seen[key] += 1
        while len(generations) <= generation:
            generations.append([])
        generations[generation].append(
            counting.ImportedVote(
                participant_id=participant_of[vote.voter],
                statement_id=statement_of[vote.comment],
                vote=vote.vote,
                at=vote.at,
                client_id=f"polis-{index:08d}",
                replaced_at=replaced_at.get(index),
            )
        )
    total = len(conversation.votes)

    def chunks():
        done = 0
        for generation in generations:
            for start in range(0, len(generation), CHUNK):
                chunk = generation[start : start + CHUNK]
                yield chunk
                done += len(chunk)
                if done == total or done // PROGRESS_ROWS > (done - len(chunk)) // PROGRESS_ROWS:
                    progress("votes", done, total)

    counting.votes_import(question=question, generations=chunks())
