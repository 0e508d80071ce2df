"""From read boxes to answers, question by question, with the paper form's rules: a filled
box is a mark taken back (the printed correction rule); one mark where one is asked for;
a ranking uses each place once, from 1 without gaps; budget amounts are handwritten
digits, which a person reads. What breaks a rule, or rests on an unsure box, is not
sure: it goes to the review queue with its reasons (never counted as read).

Answers come in the shapes a teller's entry has (``services.paper.sheet_entry_record``):
``{"option": id}``, ``{"options": [...]}``, ``{"value": n}``, ``{"ranking": [...]}``,
``{"votes": {statement id: vote}}``. A question to the panel (``qna``) is never read: any
ink on it sends it to a person, who types it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .marks import CLEAR_MARK, LOST_EMPTY, TRACE, Area, Box

#: Why a question's reading is not sure.
REASONS = (
    "unsure_box",  # a box could not be told empty or marked
    "two_marks",  # two marks where one is asked for
    "too_many",  # more marks than the question allows
    "ranking_invalid",  # a place used twice, or places with gaps
    "handwritten_digits",  # budget amounts: a person reads them
    "handwriting",  # an open answer or own statement written: a person types it
    "stray_ink",  # ink beside the boxes: a circled label, a note, a mark between rows
    "blank_in_doubt",  # no answer read in a row, where a light mark may have been lost
    "mark_in_doubt",  # of several marks in a multiple choice, one may be taken back
)


#: A box read with less confidence than this is not clearly what it was read as: an empty
#: box where a light mark may have been lost (``marks.DOUBTFUL_EMPTY``, ``LOST_EMPTY``: a
#: fold, a trace of faint ink; a black-and-white scan, a photocopy, a picture with few pixels).
DOUBTFUL = 0.5


@dataclass
class QuestionReading:
    question: int
    answer: dict | None
    sure: bool
    confidence: float
    reasons: list[str] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)


def _marked(boxes: list[Box]) -> list[Box]:
    return [b for b in boxes if b.state == "marked"]


def read_answers(
    boxes: list[Box], questions: dict[int, dict], areas: list[Area] = ()
) -> dict[int, QuestionReading]:
    """Each question's reading from its boxes and writing areas (of every page).
    ``questions`` maps ids to ``{"kind": ..., "max_choices": ...}``. Something written in
    an area makes its question a person's to read (``handwriting``)."""
    by_question: dict[int, list[Box]] = defaultdict(list)
    for box in boxes:
        by_question[box.key["question"]].append(box)
    written: dict[int, list[Area]] = defaultdict(list)
    for area in areas:
        by_question.setdefault(area.key["question"], [])
        written[area.key["question"]].append(area)
    found = {}
    for question_id, own in by_question.items():
        rules = questions.get(question_id, {})
        found[question_id] = _question(question_id, rules, own, written[question_id])
    return found


def _rows(kind: str | None, boxes: list[Box]) -> list[list[Box]]:
    """The groups of boxes in each of which a person gives one answer (or several, for a
    multiple choice): the whole question for a choice or a scale, one row per statement,
    one row per option of a ranking. Budget digits, written, are a person's to read
    anyway; all of them read blank is an answer only when every box is clearly empty (on
    a photocopy, digits in light pencil can be gone), so the whole budget is one group."""
    if kind in ("single_choice", "multiple_choice", "scale", "budget"):
        return [boxes] if boxes else []
    field = {"statements": "statement", "ranking": "option"}.get(kind or "")
    if field is None:
        return []
    rows: dict[int, list[Box]] = defaultdict(list)
    for box in boxes:
        rows[box.key[field]].append(box)
    return list(rows.values())


def _in_doubt(kind: str | None, row: list[Box]) -> bool:
    """A row with no mark in it is clearly blank only when each of its boxes is clearly
    empty, read with confidence, and none is filled (a mark taken back: the one that
    replaced it may be too light to see). Otherwise a light mark may have been lost, and
    the answer would silently differ. On a page that can lose light ink without a trace
    (``LOST_EMPTY``), an empty box is in doubt beside a mark too (a second mark, or the
    real one beside a scribble, may be gone); elsewhere, beside a mark, only an empty box
    with a trace of ink is, and in a multiple choice, where any box may be one more
    answer, any empty box read without confidence."""
    if any(b.state == "filled" for b in row) and not any(b.state == "marked" for b in row):
        return True  # a mark taken back and none made: the new one may be too light to see
    lost = [b for b in row if b.state == "empty" and b.confidence < DOUBTFUL]
    if not lost:
        return False
    if kind == "multiple_choice" or not any(b.state == "marked" for b in row):
        return True
    return any(b.confidence <= LOST_EMPTY or b.faint >= TRACE or b.strong > 0 for b in lost)


def _question(
    question_id: int, rules: dict, boxes: list[Box], areas: list[Area]
) -> QuestionReading:
    kind = rules.get("kind")
    reasons: list[str] = []
    if any(a.written and a.key.get("kind") != "stray" for a in areas):
        reasons.append("handwriting")
    if any(a.written and a.key.get("kind") == "stray" for a in areas):
        reasons.append("stray_ink")
    confidence = min((b.confidence for b in boxes), default=1.0)
    if any(b.state == "unsure" or (b.state != "empty" and b.confidence < DOUBTFUL) for b in boxes):
        reasons.append("unsure_box")
    blank = [a for a in areas if a.key.get("kind") != "stray" and not a.written]
    if any(_in_doubt(kind, row) for row in _rows(kind, boxes)) or any(
        a.confidence < DOUBTFUL for a in blank
    ):
        reasons.append("blank_in_doubt")
    marked = _marked(boxes)
    answer: dict | None = None
    if kind == "single_choice":
        if len(marked) > 1:
            reasons.append("two_marks")
        elif marked:
            answer = {"option": marked[0].key["option"]}
    elif kind == "multiple_choice":
        if len(marked) > (rules.get("max_choices") or len(boxes)):
            reasons.append("too_many")
        elif len(marked) > 1 and any(b.confidence < CLEAR_MARK for b in marked):
            # Every mark counts here, so each must be clearly one: a light tick may be
            # what an eraser left, and in a soft picture a scribbled-out box looks like a
            # cross (``marks.SOFT_MARK``).
            reasons.append("mark_in_doubt")
        elif marked:
            answer = {"options": sorted(b.key["option"] for b in marked)}
    elif kind == "scale":
        if len(marked) > 1:
            reasons.append("two_marks")
        elif marked:
            answer = {"value": marked[0].key["value"]}
    elif kind == "statements":
        votes: dict[str, str] = {}
        rows: dict[int, list[Box]] = defaultdict(list)
        for box in marked:
            rows[box.key["statement"]].append(box)
        for statement, row in rows.items():
            if len(row) > 1:
                reasons.append("two_marks")
            else:
                votes[str(statement)] = row[0].key["vote"]
        if votes and "two_marks" not in reasons:
            answer = {"votes": votes}
    elif kind == "ranking":
        places: dict[int, list[int]] = defaultdict(list)
        options: dict[int, list[int]] = defaultdict(list)
        for box in marked:
            places[box.key["rank"]].append(box.key["option"])
            options[box.key["option"]].append(box.key["rank"])
        used = sorted(places)
        twice = any(len(v) > 1 for v in (*places.values(), *options.values()))
        if twice or used != list(range(1, len(used) + 1)):
            reasons.append("ranking_invalid")
        elif used:
            answer = {"ranking": [places[rank][0] for rank in used]}
    elif kind == "budget" and any(b.state != "empty" for b in boxes):
        reasons.append("handwritten_digits")
    elif kind == "qna" and any(b.state != "empty" for b in boxes):
        # A question to the panel is always a person's to type; a tick beside the panel
        # says something was meant, even where the writing was too light to see.
        reasons.append("handwriting")
    reasons = list(dict.fromkeys(reasons))
    return QuestionReading(
        question=question_id,
        answer=None if reasons else answer,
        sure=not reasons,
        confidence=round(confidence if not reasons else min(confidence, 0.5), 3),
        reasons=reasons,
        boxes=boxes,
        areas=areas,
    )
