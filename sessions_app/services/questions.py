from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from sessions_app import permissions
from sessions_app.design import changed, designed_options, question_to_dict
from sessions_app.exceptions import DesignError, Problem
from sessions_app.models import (
    LiveSession,
    Option,
    ProcessState,
    Question,
    QuestionKind,
    ResponseStatus,
)
from sessions_app.models.choices import OPTION_KINDS
from sessions_app.rules import (
    OPEN_TEXT_DEFAULT,
    PROPOSALS_DEFAULT,
    QNA_LENGTH_DEFAULT,
    question_problems,
)
from sessions_app.signals import question_changed, send_on_commit
from sessions_app.specs import OptionSpec, QuestionSpec

from .log import actor_for, log_append
from .ordering import move_in_order

K = QuestionKind


def question_spec_of(question: Question) -> QuestionSpec:
    return QuestionSpec(
        kind=question.kind,
        text=question.text,
        description=question.description,
        options=[OptionSpec(text=o.text, id=o.pk) for o in designed_options(question)],
        max_choices=question.max_choices,
        scale_min=question.scale_min,
        scale_max=question.scale_max,
        min_label=question.min_label,
        max_label=question.max_label,
        budget_total=question.budget_total,
        budget_unit=question.budget_unit,
        max_length=question.max_length,
        participants_may_add=question.participants_may_add,
        max_proposals=question.max_proposals,
        level=question.level,
        promise=question.promise,
        qna_names=question.qna_names,
        qna_premoderate=question.qna_premoderate,
        qna_upvotes=question.qna_upvotes,
        panel=[member.name for member in question.panel.all()] if question.pk else [],
        evaluation=question.evaluation,
    )


def _apply(question: Question, spec: QuestionSpec) -> None:
    """Copy the spec's settings; settings the kind does not use are cleared."""
    kind = spec.kind
    question.kind = kind
    question.text = spec.text.strip()
    question.description = spec.description.strip()
    question.level = spec.level
    question.promise = spec.promise.strip()
    question.max_choices = spec.max_choices if kind == K.MULTIPLE_CHOICE else None
    is_scale = kind == K.SCALE
    question.scale_min = spec.scale_min if is_scale else None
    question.scale_max = spec.scale_max if is_scale else None
    question.min_label = spec.min_label.strip() if is_scale else ""
    question.max_label = spec.max_label.strip() if is_scale else ""
    question.budget_total = spec.budget_total if kind == K.BUDGET else None
    question.budget_unit = spec.budget_unit.strip() if kind == K.BUDGET else ""
    if kind == K.OPEN_TEXT:
        question.max_length = spec.max_length or OPEN_TEXT_DEFAULT
    elif kind == K.QNA:
        question.max_length = spec.max_length or QNA_LENGTH_DEFAULT
    else:
        question.max_length = None
    question.participants_may_add = spec.participants_may_add if kind == K.STATEMENTS else False
    takes_proposals = kind in (K.STATEMENTS, K.QNA)
    question.max_proposals = spec.max_proposals if takes_proposals else PROPOSALS_DEFAULT
    is_qna = kind == K.QNA
    question.qna_names = spec.qna_names if is_qna else False
    question.qna_premoderate = spec.qna_premoderate if is_qna else True
    question.qna_upvotes = spec.qna_upvotes if is_qna else True
    question.evaluation = spec.evaluation


def _panel_set(question: Question, spec: QuestionSpec) -> None:
    """A Q&A round's addressable panel members, by name, from the process's panel (names
    not on it are a design problem, reported by ``_panel_problems``)."""
    if question.kind != K.QNA:
        question.panel.clear()
        return
    members = question.session.process.panel.filter(name__in=spec.panel)
    question.panel.set(members)


def _panel_problems(session: LiveSession, spec: QuestionSpec) -> list[Problem]:
    if spec.kind != K.QNA:
        return []
    known = set(session.process.panel.values_list("name", flat=True))
    return [
        Problem(
            f"panel[{index}]",
            "unknown_panel_member",
            _("“%(text)s” is not on the panel of this process"),
            {"text": name},
        )
        for index, name in enumerate(spec.panel)
        if name not in known
    ]


def _validate(spec: QuestionSpec, session: LiveSession) -> None:
    problems = question_problems(spec) + _panel_problems(session, spec)
    if problems:
        raise DesignError(problems=problems)


def _announce(question: Question, action: str, *, question_id: int | None = None) -> None:
    session = question.session
    send_on_commit(
        question_changed,
        process_id=session.process_id,
        session_id=session.pk,
        question_id=question_id or question.pk,
        action=action,
    )


def _check_editable(session: LiveSession) -> None:
    process = session.process
    if process.state == ProcessState.CLOSED:
        raise DesignError("process_state", params={"state": process.get_state_display()})


def question_create(*, user, session: LiveSession, spec: QuestionSpec) -> Question:
    """Add a question at the end of a session's agenda.

    Raises ``AccessDenied``, ``DesignError("design_invalid")`` with problems, and
    ``DesignError("process_state")`` on a closed process.
    """
    process = session.process
    if user is not None:
        permissions.require(user, process, "design")
    _check_editable(session)
    _validate(spec, session)
    with transaction.atomic():
        question = Question(session=session)
        question.position = (session.questions.aggregate(m=Max("position"))["m"] or 0) + 1
        _apply(question, spec)
        question.save()
        _panel_set(question, spec)
        Option.objects.bulk_create(
            Option(question=question, position=i, text=o.text.strip())
            for i, o in enumerate(spec.options, start=1)
        )
        log_append(
            process=process,
            action="question.created",
            actor=actor_for(user),
            data={"session": session.pk, "question": question.pk, **question_to_dict(question)},
        )
    _announce(question, "created")
    return question


#: The settings that make what an answer means: once a question has been asked
#: (``question_asked``) they, and its options (their texts, their order, which there are),
#: can no longer change, so that every answer given keeps the meaning it was given. What
#: may still change (the level and promise, moderation and proposal settings, the longest
#: open answer, the panel) is logged with before and after, marked ``after_open``.
WORDING_FIELDS = (
    "kind",
    "text",
    "description",
    "max_choices",
    "scale_min",
    "scale_max",
    "min_label",
    "max_label",
    "budget_total",
    "budget_unit",
    "evaluation",
)


def question_asked(question: Question) -> bool:
    """Whether the question has been asked: opened once, or given an answer (any source,
    counted or not) or a hand count."""
    return question.has_been_opened or question.responses.exists() or question.hand_counts.exists()


def _wording(spec: QuestionSpec) -> dict:
    """What of ``spec`` binds once the question has been asked, as ``_apply`` stores it."""
    stored = Question(kind=spec.kind)
    _apply(stored, spec)
    wording = {name: getattr(stored, name) for name in WORDING_FIELDS}
    if spec.kind in OPTION_KINDS:
        wording["options"] = [(o.id, o.text.strip()) for o in spec.options]
    return wording


def _check_wording(question: Question, spec: QuestionSpec) -> None:
    """Refuse (``question_asked``) a change of an asked question's wording."""
    if question_asked(question) and _wording(spec) != _wording(question_spec_of(question)):
        raise DesignError("question_asked")


def _has_answers(option: Option) -> bool:
    return option.response_items.exists() or option.votes.exists() or option.hand_counts.exists()


def _answer_conflicts(question: Question, spec: QuestionSpec) -> list[Problem]:
    """Settings that counted answers would no longer fit. The settings that make what an
    answer means cannot change once there are answers (``_check_wording``); the longest
    open answer can, but not below an answer already counted."""
    counted = question.responses.filter(status=ResponseStatus.COUNTED)
    if spec.kind == K.OPEN_TEXT and any(
        len(t) > spec.max_length for t in counted.values_list("text", flat=True)
    ):
        conflict = _("answers already given would no longer fit this")
        return [Problem("max_length", "answers_conflict", conflict)]
    return []


def question_update(*, user, question: Question, spec: QuestionSpec) -> Question:
    """Change a question's text, settings and options. Options keep their identity through
    ``OptionSpec.id``; options left out are removed.

    Once the question has been asked (``question_asked``: opened, answered or counted by
    hands) its wording is binding: a change of its kind, text, explanation, options or of
    a setting in ``WORDING_FIELDS`` is refused with ``DesignError("question_asked")`` and
    nothing changes. The other settings may still change; the log then marks the edit
    ``after_open`` with before and after. Also raises ``AccessDenied``,
    ``DesignError("design_invalid")``, ``DesignError("option_has_responses")`` (removing
    an option that has answers) and ``DesignError("design_invalid")`` with an
    ``answers_conflict`` problem (a longest open answer shorter than one already given).
    """
    session = question.session
    process = session.process
    permissions.require(user, process, "design")
    _check_editable(session)

    with transaction.atomic():
        question = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
        # Before the settings are checked: an asked question's wording is not for
        # changing at all, whatever the new settings would be.
        _check_wording(question, spec)
        _validate(spec, session)
        before = question_to_dict(question)
        current = {o.pk: o for o in designed_options(question)}
        given_ids = [o.id for o in spec.options if o.id is not None]
        kept_ids = set(given_ids)
        if len(given_ids) != len(kept_ids):
            raise DesignError(
                problems=[Problem("options", "duplicate_option", _("names the same option twice"))]
            )
        unknown = kept_ids - set(current)
        if unknown:
            raise DesignError(
                problems=[
                    Problem(
                        "options", "unknown_option", _("refers to an option of another question")
                    )
                ]
            )
        keeps_options = spec.kind in OPTION_KINDS
        removed = [o for pk, o in current.items() if pk not in kept_ids or not keeps_options]
        for option in removed:
            if _has_answers(option):
                raise DesignError("option_has_responses", params={"option": option.text})
        conflicts = _answer_conflicts(question, spec)
        if conflicts:
            raise DesignError(problems=conflicts)

        _apply(question, spec)
        question.save()
        _panel_set(question, spec)
        for option in removed:
            option.delete()
        if keeps_options:
            for position, item in enumerate(spec.options, start=1):
                if item.id is None:
                    Option.objects.create(
                        question=question, position=position, text=item.text.strip()
                    )
                else:
                    option = current[item.id]
                    option.text, option.position = item.text.strip(), position
                    option.save(update_fields=["text", "position"])
        Question.objects.filter(pk=question.pk).rules_changed()
        after = question_to_dict(question)
        if before != after:
            log_append(
                process=process,
                action="question.edited",
                actor=actor_for(user),
                data={
                    "question": question.pk,
                    "after_open": question.has_been_opened,
                    "state": question.state,
                    **changed(before, after),
                },
            )
    _announce(question, "edited")
    return question


def question_delete(*, user, question: Question) -> None:
    """Remove a question that was never opened. Raises ``AccessDenied`` and
    ``DesignError("question_locked")``."""
    session = question.session
    process = session.process
    permissions.require(user, process, "design")
    _check_editable(session)
    if question.has_been_opened or question.responses.exists():
        raise DesignError("question_locked")
    record = {"session": session.pk, "question": question.pk, **question_to_dict(question)}
    question_id = question.pk
    with transaction.atomic():
        question.options.all().delete()
        question.delete()
        log_append(process=process, action="question.deleted", actor=actor_for(user), data=record)
    _announce(question, "deleted", question_id=question_id)


def question_move(*, user, question: Question, offset: int) -> None:
    """Move a question one place earlier (``-1``) or later (``+1``) in its session."""
    session = question.session
    process = session.process
    permissions.require(user, process, "design")
    _check_editable(session)
    with transaction.atomic():
        ordered = list(session.questions.select_for_update(no_key=True).order_by("position", "id"))
        moved = move_in_order(ordered, question.pk, offset)
        if moved is None:
            return
        log_append(
            process=process,
            action="question.moved",
            actor=actor_for(user),
            data={"question": question.pk, "from": moved[0], "to": moved[1]},
        )
    _announce(question, "moved")
