"""Design rules, in one place: the designer forms, the services and the design file import
all ask these functions, so a rule is stated once and reads the same everywhere.

Each function returns a list of ``Problem``; an empty list means valid. A problem's path is
the field's name in the design file format (``options``, ``min``, ``total``…).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .exceptions import Problem
from .models.choices import (
    CardRule,
    EntryMode,
    Language,
    Level,
    MilestoneKind,
    QuestionKind,
    SessionMode,
)
from .specs import MilestoneSpec, PanelMemberSpec, ProcessSpec, QuestionSpec, SessionSpec

K = QuestionKind

TITLE_MAX = 200
QUESTION_TEXT_MAX = 500
OPTION_TEXT_MAX = 200
STATEMENT_TEXT_MAX = 500
LONG_TEXT_MAX = 10_000
MAX_OPTIONS = 20
MAX_RANKED = 10
MAX_STATEMENTS = 300
MAX_SCALE_STEPS = 11
SCALE_BOUND = 100
MAX_BUDGET = 1_000_000
OPEN_TEXT_DEFAULT = 500
OPEN_TEXT_MAX = 5000
#: A question asked to the panel: the default and the most a design may allow.
QNA_LENGTH_DEFAULT, QNA_LENGTH_MAX = 300, 2000
PANEL_MAX = 30
#: Statements participants may propose from phones (``Question.max_proposals``): the
#: default, and the most a design may allow.
PROPOSALS_DEFAULT, PROPOSALS_MAX = 200, 10_000

#: The design-file fields each kind uses, besides kind, text, description, level, promise.
KIND_FIELDS = {
    K.SINGLE_CHOICE: {"options"},
    K.MULTIPLE_CHOICE: {"options", "max_choices"},
    K.SCALE: {"min", "max", "min_label", "max_label"},
    K.RANKING: {"options"},
    K.BUDGET: {"options", "total", "unit"},
    K.OPEN_TEXT: {"max_length"},
    K.STATEMENTS: {"statements", "participants_may_add", "max_proposals"},
    K.QNA: {"max_length", "names", "premoderate", "upvotes", "panel", "max_proposals"},
}
COMMON_QUESTION_FIELDS = {"kind", "text", "description", "level", "promise", "evaluation"}

TOO_FEW_OPTIONS = {
    K.SINGLE_CHOICE: _("a single choice needs at least 2 options"),
    K.MULTIPLE_CHOICE: _("a multiple choice needs at least 2 options"),
    K.RANKING: _("a ranking needs at least 2 options"),
    K.BUDGET: _("a budget needs at least 2 options to spend on"),
    K.STATEMENTS: _("a statements question needs at least 1 statement"),
}


#: Codes whose message continues the name of what it is about ("is required", "must be
#: after the start"), as in ``title: is required``. Shown to people as a sentence, such a
#: message follows that name ("Title is required."); every other message is a whole clause.
CONTINUING_CODES = frozenset(
    {
        "required",
        "too_long",
        "too_many_options",
        "unknown_kind",
        "unknown_level",
        "unknown_mode",
        "unknown_language",
        "unknown_entry_mode",
        "unknown_card_rule",
        "unknown_milestone_kind",
        "ends_before_start",
        # structural problems of a design file (``services.design_io``)
        "unknown_field",
        "wrong_type",
        "not_allowed",
        "wrong_value",
        "too_small",
        "too_large",
        "too_many",
        "wrong_format",
        "invalid",
        "not_for_kind",
    }
)


def _p(path: str, code: str, template, **params) -> Problem:
    return Problem(path, code, template, params)


def _text_problems(path: str, value: str, limit: int, *, required: bool) -> list[Problem]:
    if required and not value.strip():
        return [_p(path, "required", _("is required"))]
    if len(value) > limit:
        return [_p(path, "too_long", _("is longer than %(max)d characters"), max=limit)]
    return []


def options_path(kind: str) -> str:
    return "statements" if kind == K.STATEMENTS else "options"


def question_problems(spec: QuestionSpec) -> list[Problem]:
    """Check one question's text, settings and options against the rules of its kind."""
    if spec.kind not in K.values:
        return [_p("kind", "unknown_kind", _("is not a known kind of question"))]
    problems = _text_problems("text", spec.text, QUESTION_TEXT_MAX, required=True)
    problems += _text_problems("description", spec.description, LONG_TEXT_MAX, required=False)
    problems += _text_problems("promise", spec.promise, LONG_TEXT_MAX, required=False)
    if spec.level and spec.level not in Level.values:
        problems.append(
            _p("level", "unknown_level", _("is not a level of the participation ladder"))
        )

    kind = spec.kind
    if kind in TOO_FEW_OPTIONS:
        problems += _option_problems(spec)
    if kind == K.MULTIPLE_CHOICE:
        if spec.max_choices is None or spec.max_choices < 1:
            problems.append(
                _p(
                    "max_choices",
                    "max_choices_invalid",
                    _("the maximum number of choices must be at least 1"),
                )
            )
        elif spec.max_choices > len(spec.options):
            problems.append(
                _p(
                    "max_choices",
                    "max_choices_exceeds_options",
                    _(
                        "the maximum number of choices (%(max)d) is more than the number of options (%(count)d)"
                    ),
                    max=spec.max_choices,
                    count=len(spec.options),
                )
            )
    elif kind == K.SCALE:
        problems += _scale_problems(spec)
    elif kind == K.BUDGET:
        if spec.budget_total is None or spec.budget_total <= 0:
            problems.append(
                _p(
                    "total",
                    "budget_total_not_positive",
                    _("the total to spend must be more than 0"),
                )
            )
        elif spec.budget_total > MAX_BUDGET:
            problems.append(
                _p(
                    "total",
                    "budget_total_too_large",
                    _("the total to spend may be at most %(max)d"),
                    max=MAX_BUDGET,
                )
            )
        problems += _text_problems("unit", spec.budget_unit, 20, required=False)
    elif kind == K.OPEN_TEXT and (
        spec.max_length is None or not 1 <= spec.max_length <= OPEN_TEXT_MAX
    ):
        problems.append(
            _p(
                "max_length",
                "max_length_invalid",
                _("the maximum length must be between 1 and %(max)d characters"),
                max=OPEN_TEXT_MAX,
            )
        )
    elif kind == K.QNA:
        if spec.max_length is None or not 1 <= spec.max_length <= QNA_LENGTH_MAX:
            problems.append(
                _p(
                    "max_length",
                    "max_length_invalid",
                    _("the maximum length must be between 1 and %(max)d characters"),
                    max=QNA_LENGTH_MAX,
                )
            )
        if not 1 <= spec.max_proposals <= PROPOSALS_MAX:
            problems.append(
                _p(
                    "max_proposals",
                    "max_proposals_invalid",
                    _("the most proposals must be between 1 and %(max)d"),
                    max=PROPOSALS_MAX,
                )
            )
    elif kind == K.STATEMENTS and not 1 <= spec.max_proposals <= PROPOSALS_MAX:
        problems.append(
            _p(
                "max_proposals",
                "max_proposals_invalid",
                _("the most proposals must be between 1 and %(max)d"),
                max=PROPOSALS_MAX,
            )
        )
    return problems


def _option_problems(spec: QuestionSpec) -> list[Problem]:
    path = options_path(spec.kind)
    texts = [o.text.strip() for o in spec.options]
    minimum = 1 if spec.kind == K.STATEMENTS else 2
    problems = []
    if len(texts) < minimum:
        problems.append(_p(path, "too_few_options", TOO_FEW_OPTIONS[spec.kind]))
    limit = {K.STATEMENTS: MAX_STATEMENTS, K.RANKING: MAX_RANKED}.get(spec.kind, MAX_OPTIONS)
    if len(texts) > limit:
        problems.append(
            _p(
                path,
                "too_many_options",
                _("has more than %(max)d items, which is too many to print"),
                max=limit,
            )
        )
    text_limit = STATEMENT_TEXT_MAX if spec.kind == K.STATEMENTS else OPTION_TEXT_MAX
    seen: set[str] = set()
    for index, text in enumerate(texts):
        item = f"{path}[{index}]"
        if not text:
            problems.append(_p(item, "required", _("is empty")))
        elif len(text) > text_limit:
            problems.append(
                _p(item, "too_long", _("is longer than %(max)d characters"), max=text_limit)
            )
        elif text.casefold() in seen:
            problems.append(_p(item, "duplicate_option", _("“%(text)s” appears twice"), text=text))
        seen.add(text.casefold())
    return problems


def _scale_problems(spec: QuestionSpec) -> list[Problem]:
    problems = []
    if spec.scale_min is None:
        problems.append(_p("min", "required", _("is required")))
    if spec.scale_max is None:
        problems.append(_p("max", "required", _("is required")))
    if problems:
        return problems
    if abs(spec.scale_min) > SCALE_BOUND or abs(spec.scale_max) > SCALE_BOUND:
        problems.append(
            _p(
                "max",
                "scale_out_of_bounds",
                _("scale values must lie between -%(b)d and %(b)d"),
                b=SCALE_BOUND,
            )
        )
    elif spec.scale_min >= spec.scale_max:
        problems.append(
            _p(
                "max",
                "scale_min_not_below_max",
                _("the lowest value must be below the highest value"),
            )
        )
    elif spec.scale_max - spec.scale_min + 1 > MAX_SCALE_STEPS:
        problems.append(
            _p(
                "max",
                "scale_too_wide",
                _("a scale may have at most %(max)d steps"),
                max=MAX_SCALE_STEPS,
            )
        )
    problems += _text_problems("min_label", spec.min_label, 80, required=False)
    problems += _text_problems("max_label", spec.max_label, 80, required=False)
    return problems


def session_problems(spec: SessionSpec) -> list[Problem]:
    problems = _text_problems("title", spec.title, TITLE_MAX, required=True)
    problems += _text_problems("venue", spec.venue, TITLE_MAX, required=False)
    if spec.mode not in SessionMode.values:
        problems.append(_p("mode", "unknown_mode", _("is not a known session mode")))
    if spec.starts_at is None:
        problems.append(_p("starts_at", "required", _("is required")))
    elif spec.ends_at is not None and spec.ends_at <= spec.starts_at:
        problems.append(_p("ends_at", "ends_before_start", _("must be after the start")))
    return problems


def process_problems(spec: ProcessSpec) -> list[Problem]:
    problems = _text_problems("title", spec.title, TITLE_MAX, required=True)
    for name in ("purpose", "promise"):
        problems += _text_problems(name, getattr(spec, name), LONG_TEXT_MAX, required=False)
    problems += _text_problems("decision_maker", spec.decision_maker, TITLE_MAX, required=False)
    if spec.language not in Language.values:
        problems.append(_p("language", "unknown_language", _("is not a supported language")))
    if spec.level not in Level.values:
        problems.append(
            _p("level", "unknown_level", _("is not a level of the participation ladder"))
        )
    if spec.entry_mode not in EntryMode.values:
        problems.append(_p("paper_entry", "unknown_entry_mode", _("must be single or double")))
    if spec.card_rule not in CardRule.values:
        problems.append(_p("card_rule", "unknown_card_rule", _("is not a known rule")))
    return problems


def milestone_problems(milestones: list[MilestoneSpec]) -> list[Problem]:
    problems = []
    for index, item in enumerate(milestones):
        if item.date is None:
            problems.append(_p(f"timeline[{index}].date", "required", _("is required")))
        problems += [
            p.under(f"timeline[{index}]")
            for p in _text_problems("label", item.label, TITLE_MAX, required=True)
        ]
        if item.kind not in MilestoneKind.values:
            problems.append(
                _p(
                    f"timeline[{index}].kind",
                    "unknown_milestone_kind",
                    _("is not a known type of step"),
                )
            )
    return problems


def panel_problems(members: list[PanelMemberSpec]) -> list[Problem]:
    """The panel of a process: names required and different, at most ``PANEL_MAX``."""
    problems = []
    if len(members) > PANEL_MAX:
        problems.append(_p("panel", "too_many", _("has more than %(max)d items"), max=PANEL_MAX))
    seen: set[str] = set()
    for index, item in enumerate(members):
        path = f"panel[{index}]"
        problems += [p.under(path) for p in _text_problems("name", item.name, 120, required=True)]
        problems += [p.under(path) for p in _text_problems("role", item.role, 120, required=False)]
        key = item.name.strip().casefold()
        if key and key in seen:
            problems.append(
                _p(
                    f"{path}.name",
                    "duplicate_option",
                    _("“%(text)s” appears twice"),
                    text=item.name,
                )
            )
        seen.add(key)
    return problems


def publish_problems(*, spec: ProcessSpec, session_question_counts: list[int]) -> list[Problem]:
    """What a process needs before the public may see it: the Rathenau questions answered
    (why, how much say, what happens with the input, who decides) and an agenda."""
    problems = []
    for name, label in (
        ("purpose", _("the purpose")),
        ("promise", _("the promise")),
        ("decision_maker", _("who decides")),
    ):
        if not getattr(spec, name).strip():
            problems.append(
                _p(
                    name,
                    "required_to_publish",
                    _("%(what)s must be filled in before publishing"),
                    what=label,
                )
            )
    if not session_question_counts:
        problems.append(
            _p("sessions", "no_sessions", _("add at least one session before publishing"))
        )
    for index, count in enumerate(session_question_counts):
        if count == 0:
            problems.append(
                _p(f"sessions[{index}]", "no_questions", _("this session has no questions yet"))
            )
    return problems
