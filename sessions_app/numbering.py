"""The number of a question, wherever a person reads it: the paper form, the public page,
the council report (PDF), the workbook and the session report.

The paper form sets it, because a resident filled it in and cannot be handed a new one:
each session's form numbers its questions from 1, in agenda order (position, then id),
and leaves out the session's Q&A rounds, which are asked on a question card of their
own (``selectors.form_rows``, ``printables.layout``). So a question is numbered in its
own session, never across the process, and a Q&A round has no number. The session
evaluation's questions are on the form too, at the end, and keep their numbers.

A council member who reads "vraag 3" under a session in the report finds the same 3 on
the form, on the public page and in the workbook.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import QuestionKind


def _fields(question) -> tuple[int, int, int, str]:
    """(session id, position, id, kind) of a ``Question`` or of an export's question part
    (``exports.data.question_part``)."""
    if isinstance(question, dict):
        return question["session"], question["position"], question["id"], question["kind"]
    return question.session_id, question.position, question.pk, question.kind


def agenda_numbers(questions: Iterable) -> dict[int, int]:
    """Question id → its number, as printed on its session's paper form, for every
    question of ``questions`` but the Q&A rounds (in any order: each session is put in
    agenda order here). Give every question of a session, not only those an output
    shows: leaving one out would renumber the ones after it."""
    by_session: dict[int, list[tuple[int, int]]] = {}
    for question in questions:
        session, position, pk, kind = _fields(question)
        if kind != QuestionKind.QNA:
            by_session.setdefault(session, []).append((position, pk))
    return {
        pk: number
        for agenda in by_session.values()
        for number, (_position, pk) in enumerate(sorted(agenda), start=1)
    }


def question_label(number: int | None, text: str, session: str = "") -> str:
    """A question as the outputs name it: ``3. Text``; a Q&A round (no number) by its
    text alone; with ``session``, that session's title first: ``Bewonersavond, 3. Text``
    (where questions of several sessions stand together)."""
    named = f"{number}. {text}" if number else text
    return f"{session}, {named}" if session else named


def number_questions(questions: Iterable) -> dict[int, int]:
    """Give each of ``questions`` (``Question`` objects, every question of the sessions
    a page shows) its ``number`` attribute for templates, as ``agenda_numbers`` has it
    (None for a Q&A round); returns the numbers too."""
    questions = list(questions)
    numbers = agenda_numbers(questions)
    for question in questions:
        question.number = numbers.get(question.pk)
    return numbers
