"""Answers: the one definition of what a valid answer to each kind of question is.

An answer arrives as a small JSON object (from the websocket, from the phone's plain HTML
form, later from a teller's form or the photo reader) and is turned into an ``Answer``, or
refused with an ``InputRejected`` code. The shapes, per kind:

==================  ===================================================================
single_choice       ``{"option": 12}``
multiple_choice     ``{"options": [12, 14]}``
scale               ``{"value": 4}``
ranking             ``{"ranking": [14, 12, 13]}`` (first place first; may stop early)
budget              ``{"allocation": {"12": 60, "13": 40}}`` (adds up to the total)
open_text           ``{"text": "..."}``
statements          ``{"statement": 21, "vote": "agree" | "disagree" | "pass"}``
qna                 ``{"statement": 31, "vote": "up" | "withdrawn"}`` (an upvote of an
                    asked question, or its withdrawal)
==================  ===================================================================
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from .exceptions import InputRejected
from .models import Moderation, Question, QuestionKind

K = QuestionKind
VOTES = {"agree": 1, "disagree": -1, "pass": 0}
VOTE_NAMES = {value: name for name, value in VOTES.items()}
#: An upvote of a question asked to the panel, and its withdrawal.
UPVOTES = {"up": 1, "withdrawn": 0}
UPVOTE_NAMES = {value: name for name, value in UPVOTES.items()}
STATEMENT_MAX = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Answer:
    """A checked answer. ``items`` are (option id, value) pairs: 1 for a choice, the rank
    (1 = first) for a ranking, the amount for a budget."""

    items: tuple[tuple[int, int], ...] = ()
    number: int | None = None
    text: str = ""
    statement: int | None = None

    def as_json(self, kind: str) -> dict:
        """The answer back in its JSON shape (for logs, acks and exports)."""
        if kind == K.SINGLE_CHOICE:
            return {"option": self.items[0][0]}
        if kind == K.MULTIPLE_CHOICE:
            return {"options": [option for option, _value in self.items]}
        if kind == K.SCALE:
            return {"value": self.number}
        if kind == K.RANKING:
            return {"ranking": [option for option, _rank in sorted(self.items, key=lambda i: i[1])]}
        if kind == K.BUDGET:
            return {"allocation": {str(option): amount for option, amount in self.items}}
        if kind == K.OPEN_TEXT:
            return {"text": self.text}
        if kind == K.QNA:
            return {"statement": self.statement, "vote": UPVOTE_NAMES[self.number]}
        return {"statement": self.statement, "vote": VOTE_NAMES[self.number]}


@dataclass(frozen=True)
class QuestionRules:
    """What a question accepts, without touching the database again."""

    id: int
    kind: str
    options: frozenset[int] = field(default_factory=frozenset)
    max_choices: int | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    budget_total: int | None = None
    max_length: int | None = None
    #: A Q&A round: whether upvotes are taken, and who asked each question (nobody may
    #: upvote their own).
    upvotes: bool = True
    askers: Mapping[int, int] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        question: Question,
        *,
        options: frozenset[int] | None = None,
        askers: Mapping[int, int] | None = None,
    ) -> QuestionRules:
        """The question's rules; ``options`` (its approved options, for a Q&A round those
        not merged into another) and ``askers`` (a Q&A round's option -> author) when
        already read."""
        if options is None:
            rows = list(
                question.options.filter(
                    moderation=Moderation.APPROVED, merged_into__isnull=True
                ).values_list("pk", "author_id")
            )
            options = frozenset(pk for pk, _author in rows)
            askers = {pk: author for pk, author in rows if author is not None}
        return cls(
            id=question.pk,
            kind=question.kind,
            options=options,
            max_choices=question.max_choices,
            scale_min=question.scale_min,
            scale_max=question.scale_max,
            budget_total=question.budget_total,
            max_length=question.max_length,
            upvotes=question.qna_upvotes,
            askers=(askers or {}) if question.kind == K.QNA else {},
        )


def clean_text(value: str) -> str:
    """Normalise typed text: NFC, no control characters, trimmed."""
    return unicodedata.normalize("NFC", _CONTROL.sub("", value)).strip()


def _integer(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputRejected("invalid_answer")
    try:
        return int(value)
    except ValueError:
        raise InputRejected("invalid_answer") from None


def _option(rules: QuestionRules, value) -> int:
    option = _integer(value)
    if option not in rules.options:
        raise InputRejected("invalid_option")
    return option


def parse_answer(rules: QuestionRules, raw) -> Answer:
    """Check ``raw`` against the question's rules; raise ``InputRejected`` or return the
    ``Answer``. Codes: ``invalid_answer``, ``no_choice``, ``invalid_option``,
    ``too_many_choices``, ``duplicate_choice``, ``out_of_range``, ``ranking_invalid``,
    ``budget_not_total``, ``empty_text``, ``text_too_long``, ``invalid_statement``."""
    if not isinstance(raw, Mapping):
        raise InputRejected("invalid_answer")
    kind = rules.kind
    if kind == K.SINGLE_CHOICE:
        if raw and "option" not in raw:  # another kind's shape; ``{}`` is nothing chosen
            raise InputRejected("invalid_answer")
        if raw.get("option") in (None, ""):
            raise InputRejected("no_choice")
        return Answer(items=((_option(rules, raw["option"]), 1),))
    if kind == K.MULTIPLE_CHOICE:
        chosen = raw.get("options")
        if not isinstance(chosen, list):
            raise InputRejected("invalid_answer")
        if not chosen:
            raise InputRejected("no_choice")
        options = [_option(rules, value) for value in chosen]
        if len(set(options)) != len(options):
            raise InputRejected("duplicate_choice")
        if len(options) > (rules.max_choices or 0):
            raise InputRejected("too_many_choices")
        return Answer(items=tuple((option, 1) for option in options))
    if kind == K.SCALE:
        if raw and "value" not in raw:
            raise InputRejected("invalid_answer")
        if raw.get("value") in (None, ""):
            raise InputRejected("no_choice")
        value = _integer(raw["value"])
        if not rules.scale_min <= value <= rules.scale_max:
            raise InputRejected("out_of_range")
        return Answer(number=value)
    if kind == K.RANKING:
        ranking = raw.get("ranking")
        if not isinstance(ranking, list):
            raise InputRejected("invalid_answer")
        if not ranking:
            raise InputRejected("no_choice")
        options = [_option(rules, value) for value in ranking]
        if len(set(options)) != len(options):
            raise InputRejected("ranking_invalid")
        return Answer(items=tuple((option, rank) for rank, option in enumerate(options, start=1)))
    if kind == K.BUDGET:
        allocation = raw.get("allocation")
        if not isinstance(allocation, Mapping):
            raise InputRejected("invalid_answer")
        items = []
        for key, amount in allocation.items():
            option = _option(rules, key)  # an option not of this question, even at 0
            value = _integer(amount)
            if value < 0:
                raise InputRejected("out_of_range")
            if value:
                items.append((option, value))
        if len({option for option, _ in items}) != len(items):
            raise InputRejected("duplicate_choice")
        if sum(value for _, value in items) != rules.budget_total:
            raise InputRejected("budget_not_total")
        return Answer(items=tuple(sorted(items)))
    if kind == K.OPEN_TEXT:
        text = raw.get("text")
        if not isinstance(text, str):
            raise InputRejected("invalid_answer")
        text = clean_text(text)
        if not text:
            raise InputRejected("empty_text")
        if len(text) > (rules.max_length or 0):
            raise InputRejected("text_too_long")
        return Answer(text=text)
    if kind == K.QNA:
        if not rules.upvotes:
            raise InputRejected("upvotes_off")
        return _vote(rules, raw, UPVOTES)
    return _vote(rules, raw, VOTES)  # statements


def _vote(rules: QuestionRules, raw: Mapping, names: dict[str, int]) -> Answer:
    """A vote on one statement (or an upvote of one asked question)."""
    vote = raw.get("vote")
    if not isinstance(vote, str) or vote not in names:
        raise InputRejected("invalid_answer")
    try:
        statement = _option(rules, raw.get("statement"))
    except InputRejected:
        raise InputRejected("invalid_statement") from None
    return Answer(number=names[vote], statement=statement)


def voter_check(rules: QuestionRules, answer: Answer, participant_id: int) -> None:
    """Nobody upvotes their own question: raises ``own_question``."""
    if rules.kind == K.QNA and rules.askers.get(answer.statement) == participant_id:
        raise InputRejected("own_question")


def answer_from_form(rules: QuestionRules, data: Mapping) -> list[dict]:
    """Turn the plain HTML form's fields (see ``participate/_question_fields.html``) into
    raw answers. Statements give one answer per voted statement; all others give one."""
    kind = rules.kind
    if kind == K.SINGLE_CHOICE:
        return [{"option": data.get("option")}]
    if kind == K.MULTIPLE_CHOICE:
        return [
            {
                "options": data.getlist("options")
                if hasattr(data, "getlist")
                else data.get("options", [])
            }
        ]
    if kind == K.SCALE:
        return [{"value": data.get("value")}]
    if kind == K.RANKING:
        places: dict[int, list[int]] = {}
        for option in rules.options:
            value = data.get(f"rank_{option}", "")
            if value != "":
                places.setdefault(_integer(value), []).append(option)
        ranks = sorted(places)
        if any(len(places[r]) > 1 for r in ranks) or ranks != list(range(1, len(ranks) + 1)):
            raise InputRejected("ranking_invalid")
        return [{"ranking": [places[rank][0] for rank in ranks]}]
    if kind == K.BUDGET:
        return [
            {
                "allocation": {
                    str(option): data.get(f"amount_{option}") or 0
                    for option in sorted(rules.options)
                }
            }
        ]
    if kind == K.OPEN_TEXT:
        return [{"text": data.get("text", "")}]
    if kind == K.QNA:
        # One button per asked question: ``upvote`` or ``withdraw`` with its id.
        for name, vote in (("upvote", "up"), ("withdraw", "withdrawn")):
            if data.get(name):
                return [{"statement": data.get(name), "vote": vote}]
        raise InputRejected("invalid_answer")
    votes = [
        {
            "statement": option,
            "vote": {"1": "agree", "-1": "disagree", "0": "pass"}.get(value, value),
        }
        for option in sorted(rules.options)
        if (value := data.get(f"vote_{option}"))
    ]
    return votes
