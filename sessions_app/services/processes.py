from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from sessions_app import permissions
from sessions_app.design import changed, panel_to_list, process_fields_to_dict, timeline_to_list
from sessions_app.exceptions import AccessDenied, DesignError, Problem
from sessions_app.models import (
    LiveSession,
    Milestone,
    Option,
    PanelMember,
    Process,
    ProcessState,
    Question,
    QuestionState,
    Role,
    SessionState,
    StaffRole,
    StatementOrigin,
)
from sessions_app.rules import (
    milestone_problems,
    panel_problems,
    process_problems,
    publish_problems,
)
from sessions_app.signals import process_changed, send_on_commit
from sessions_app.specs import PROCESS_FIELDS, MilestoneSpec, PanelMemberSpec, ProcessSpec

from .facilitation import session_end
from .log import actor_for, log_append
from .reconciliation import paper_close

#: The site-wide permission to start processes.
ORGANISE = "sessions_app.organise"

#: Slugs that would collide with the designer's own addresses (/manage/new/ …).
RESERVED_SLUGS = frozenset({"new", "import", "invitations", "learning", "p", "static", "media"})


def _unique_slug(title: str) -> str:
    base = slugify(title)[:60].strip("-") or "traject"
    slug, n = base, 1
    while slug in RESERVED_SLUGS or Process.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _check_not_closed(process: Process) -> None:
    if process.state == ProcessState.CLOSED:
        raise DesignError("process_state", params={"state": process.get_state_display()})


def process_spec_of(process: Process) -> ProcessSpec:
    return ProcessSpec(**{name: getattr(process, name) for name in PROCESS_FIELDS})


def process_create(
    *,
    user,
    spec: ProcessSpec,
    milestones: list[MilestoneSpec] = (),
    panel: list[PanelMemberSpec] = (),
) -> Process:
    """Create a draft process; ``user`` (if any) becomes its organiser.

    Raises ``AccessDenied("not_organiser")`` for an account without the site's
    ``organise`` permission (``manage.py organisers``), and ``DesignError("design_invalid")``
    with the problems found. ``user`` None is an operator's command.
    """
    if user is not None and not user.has_perm(ORGANISE):
        raise AccessDenied("not_organiser")
    problems = process_problems(spec) + panel_problems(list(panel))
    if problems:
        raise DesignError(problems=problems)
    with transaction.atomic():
        process = Process.objects.create(
            slug=_unique_slug(spec.title),
            created_by=user,
            **{name: getattr(spec, name) for name in PROCESS_FIELDS},
        )
        for position, item in enumerate(milestones):
            Milestone.objects.create(
                process=process,
                date=item.date,
                label=item.label,
                kind=item.kind,
                position=position,
            )
        for position, item in enumerate(panel):
            PanelMember.objects.create(
                process=process, name=item.name.strip(), role=item.role.strip(), position=position
            )
        data = {
            **process_fields_to_dict(process),
            "slug": process.slug,
            "timeline": timeline_to_list(process),
        }
        if panel:
            data["panel"] = panel_to_list(process)
        log_append(process=process, action="process.created", actor=actor_for(user), data=data)
        if user is not None:
            StaffRole.objects.create(
                process=process, user=user, role=Role.ORGANISER, granted_by=user
            )
            log_append(
                process=process,
                action="staff.granted",
                actor=actor_for(user),
                data={"user": user.get_username(), "role": Role.ORGANISER},
            )
    send_on_commit(process_changed, process_id=process.pk, action="created")
    return process


def public_text_problems(spec: ProcessSpec) -> list[Problem]:
    """The texts publishing requires (``publish_problems``: purpose, promise, who decides)
    that ``spec`` leaves empty, with the messages publishing gives."""
    return [
        problem
        for problem in publish_problems(spec=spec, session_question_counts=[1])
        if problem.code == "required_to_publish"
    ]


def process_update(*, user, process: Process, spec: ProcessSpec) -> Process:
    """Change a process's texts and settings; the log records before and after.

    A published process keeps the texts publishing required (``public_text_problems``):
    emptying one is refused like an invalid value, and nothing changes.

    Raises ``AccessDenied``, ``DesignError("design_invalid")`` and
    ``DesignError("process_state")`` on a closed process.
    """
    permissions.require(user, process, "design")
    _check_not_closed(process)
    problems = process_problems(spec)
    if problems:
        raise DesignError(problems=problems)
    with transaction.atomic():
        # Compare with what is stored, not with the caller's instance (a bound ModelForm
        # has already copied the new values onto it).
        stored = Process.objects.select_for_update(no_key=True).get(pk=process.pk)
        _check_not_closed(stored)
        if stored.state != ProcessState.DRAFT:
            # What publishing required stays required while the public can read it.
            problems = public_text_problems(spec)
            if problems:
                raise DesignError(problems=problems)
        before = process_fields_to_dict(stored)
        for name in PROCESS_FIELDS:
            setattr(stored, name, getattr(spec, name))
            setattr(process, name, getattr(spec, name))
        after = process_fields_to_dict(stored)
        if before == after:
            return process
        stored.save(update_fields=[*PROCESS_FIELDS, "updated_at"])
        log_append(
            process=process,
            action="process.edited",
            actor=actor_for(user),
            data=changed(before, after),
        )
    send_on_commit(process_changed, process_id=process.pk, action="edited")
    return process


def milestones_replace(*, user, process: Process, milestones: list[MilestoneSpec]) -> None:
    """Replace the timeline. Raises ``AccessDenied``, ``DesignError`` for empty labels or an
    unknown type of step (``unknown_milestone_kind``) and ``DesignError("process_state")``
    on a closed process."""
    permissions.require(user, process, "design")
    _check_not_closed(process)
    problems = milestone_problems(milestones)
    if problems:
        raise DesignError(problems=problems)
    before = timeline_to_list(process)
    with transaction.atomic():
        process.milestones.all().delete()
        for position, item in enumerate(milestones):
            Milestone.objects.create(
                process=process,
                date=item.date,
                label=item.label,
                kind=item.kind,
                position=position,
            )
        after = timeline_to_list(process)
        if before != after:
            log_append(
                process=process,
                action="process.timeline_edited",
                actor=actor_for(user),
                data={"before": before, "after": after},
            )
    send_on_commit(process_changed, process_id=process.pk, action="timeline_edited")


def panel_replace(*, user, process: Process, panel: list[PanelMemberSpec]) -> None:
    """Set the process's panel: members are kept by name (their role and order change),
    new names are added, and names left out are removed, unless a resident already
    addressed a question to them (``DesignError`` with ``panel_member_addressed``).
    Logged (``process.panel_edited``) with before and after."""
    permissions.require(user, process, "design")
    _check_not_closed(process)
    problems = panel_problems(panel)
    if problems:
        raise DesignError(problems=problems)
    before = panel_to_list(process)
    with transaction.atomic():
        current = {m.name: m for m in process.panel.all()}
        wanted = {item.name.strip(): item for item in panel}
        gone = [m for name, m in current.items() if name not in wanted]
        addressed = set(
            Option.objects.filter(panel_member__in=gone).values_list(
                "panel_member__name", flat=True
            )
        )
        if addressed:
            raise DesignError(
                problems=[
                    Problem(
                        "panel",
                        "panel_member_addressed",
                        _("%(text)s was asked a question and stays on the panel"),
                        {"text": sorted(addressed)[0]},
                    )
                ]
            )
        PanelMember.objects.filter(pk__in=[m.pk for m in gone]).delete()
        for position, (name, item) in enumerate(wanted.items()):
            member = current.get(name)
            if member is None:
                PanelMember.objects.create(
                    process=process, name=name, role=item.role.strip(), position=position
                )
            else:
                PanelMember.objects.filter(pk=member.pk).update(
                    role=item.role.strip(), position=position
                )
        after = panel_to_list(process)
        if before != after:
            log_append(
                process=process,
                action="process.panel_edited",
                actor=actor_for(user),
                data={"before": before, "after": after},
            )
    send_on_commit(process_changed, process_id=process.pk, action="panel_edited")


def process_publish(*, user, process: Process) -> Process:
    """Make a draft process public. What a rehearsal in the draft left of the sessions'
    and questions' states is set back (``rehearsal_reset``), so that the evening starts
    as planned; the log keeps the rehearsal and names what was set back.

    Raises ``AccessDenied``, ``DesignError("process_state")`` if it is not a draft and
    ``DesignError("process_incomplete")`` with the missing pieces.
    """
    permissions.require(user, process, "design")
    with transaction.atomic():
        stored = Process.objects.select_for_update(no_key=True).get(pk=process.pk)
        if stored.state != ProcessState.DRAFT:
            raise DesignError("process_state", params={"state": stored.get_state_display()})
        counts = [s.questions.count() for s in process.sessions.all()]
        problems = publish_problems(spec=process_spec_of(stored), session_question_counts=counts)
        if problems:
            raise DesignError("process_incomplete", problems=problems)
        reset = rehearsal_reset(process)
        process.state = ProcessState.PUBLISHED
        process.published_at = timezone.now()
        process.save(update_fields=["state", "published_at", "updated_at"])
        log_append(
            process=process,
            action="process.published",
            actor=actor_for(user),
            data={"rehearsal_reset": reset} if any(reset.values()) else {},
        )
    send_on_commit(process_changed, process_id=process.pk, action="published")
    return process


def _not_asked() -> Q:
    """A question as it is before anyone opened or showed it."""
    return Q(state=QuestionState.DRAFT, opened_at__isnull=True, results_revealed=False)


def _with_input(process: Process):
    """The sessions of ``process`` that hold input: an answer (counted or not), a show of
    hands or a proposal on one of their questions, or a paper form of theirs entered or
    read from a photo (waiting for its second entry or for a person included)."""
    questions = Question.objects.filter(session__process=process).filter(
        Q(responses__isnull=False)
        | Q(hand_counts__isnull=False)
        | Q(options__origin=StatementOrigin.PARTICIPANT)
    )
    return process.sessions.filter(
        Q(pk__in=questions.values("session_id"))
        | Q(sheets__entries__isnull=False)
        | Q(sheets__readings__isnull=False)
        | Q(scans__isnull=False)
    )


def rehearsal_left(process: Process) -> dict[str, list[int]]:
    """What a rehearsal in the draft ``process`` left: the ``sessions`` it ran (or whose
    questions it opened or showed) that hold no input (``_with_input``), to be set back
    whole at publication with their ``questions`` (``rehearsal_reset``); and ``kept``,
    the sessions it ran that do hold input, which stay as they are, since that input
    counts as any does. A session is set back whole or not at all: a question set back
    in a session left ended could never be asked."""
    pristine_question = _not_asked()
    touched = process.sessions.filter(
        ~Q(state=SessionState.PLANNED)
        | Q(current_question__isnull=False)
        | Q(ended_at__isnull=False)
        | Q(paper_closed_at__isnull=False)
        | Q(pk__in=Question.objects.exclude(pristine_question).values("session_id"))
    )
    held = set(_with_input(process).values_list("pk", flat=True))
    run = set(touched.values_list("pk", flat=True))
    reset = sorted(run - held)
    questions = Question.objects.filter(session__in=reset).exclude(pristine_question)
    return {
        "sessions": reset,
        "questions": sorted(questions.values_list("pk", flat=True)),
        "kept": sorted(run & held),
    }


def rehearsal_reset(process: Process) -> dict[str, list[int]]:
    """Set back what a rehearsal in the draft ``process`` left where it left no input
    (``rehearsal_left``): those sessions go back to planned (no question on screen, not
    ended, paper counting open) and their questions to not asked (draft, never opened,
    results hidden). The evening's first opening then dates a question, and its wording
    binds from then on. Returns the ids set back: ``{"sessions": [...], "questions":
    [...]}``. Called by ``process_publish``, inside its transaction (which locks the
    process); input that arrives meanwhile keeps its session as it is."""
    left = rehearsal_left(process)
    sessions = LiveSession.objects.filter(pk__in=left["sessions"]).exclude(
        pk__in=_with_input(process).values("pk")
    )
    reset = sorted(sessions.values_list("pk", flat=True))
    questions = sorted(
        Question.objects.filter(session__in=reset)
        .exclude(_not_asked())
        .values_list("pk", flat=True)
    )
    Question.objects.filter(pk__in=questions).update(
        state=QuestionState.DRAFT, opened_at=None, closed_at=None, results_revealed=False
    )
    LiveSession.objects.filter(pk__in=reset).update(
        state=SessionState.PLANNED, current_question=None, ended_at=None, paper_closed_at=None
    )
    return {"sessions": reset, "questions": questions}


def process_close(*, user, process: Process) -> Process:
    """Close a published process: it stays public, its sessions end (open questions
    close), paper counting closes (results become final) and no session can run any more.

    Raises ``AccessDenied`` and ``DesignError("process_state")``.
    """
    permissions.require(user, process, "design")
    with transaction.atomic():
        stored = Process.objects.select_for_update(no_key=True).get(pk=process.pk)
        if stored.state != ProcessState.PUBLISHED:
            raise DesignError("process_state", params={"state": stored.get_state_display()})
        for session in process.sessions.exclude(state=SessionState.ENDED):
            session_end(user=user, session=session)
        for session in process.sessions.filter(
            paper_closed_at__isnull=True, sheets__isnull=False
        ).distinct():
            paper_close(user=user, session=session)
        process.state = ProcessState.CLOSED
        process.closed_at = timezone.now()
        process.save(update_fields=["state", "closed_at", "updated_at"])
        log_append(process=process, action="process.closed", actor=actor_for(user), data={})
    send_on_commit(process_changed, process_id=process.pk, action="closed")
    return process
