"""The process designer, for organisers. Views parse input, call a service and render."""

from __future__ import annotations

import json
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.middleware import body_limit
from sessions_app import binding, permissions, selectors
from sessions_app.design import process_to_dict
from sessions_app.exceptions import DesignError, FacilitationError, FollowUpError, InputRejected
from sessions_app.forms import (
    FollowUpForm,
    ImportForm,
    InvitationForm,
    LiveSessionForm,
    MilestoneFormSet,
    PanelFormSet,
    ProcessForm,
    QuestionForm,
    StaffGrantForm,
    add_problems,
    milestone_specs,
    option_formset,
    option_rows,
    option_rows_typed,
    option_specs,
    panel_specs,
    problem_sentence,
    sentence,
)
from sessions_app.models import (
    ExportJob,
    LiveSession,
    Moderation,
    Option,
    PanelAnswerMode,
    ProcessState,
    Question,
    QuestionKind,
    StaffRole,
)
from sessions_app.models.choices import LEVEL_EXPLANATIONS, OPTION_KINDS
from sessions_app.numbering import number_questions
from sessions_app.rules import CONTINUING_CODES, OPEN_TEXT_DEFAULT, publish_problems
from sessions_app.services import (
    design_io,
    followups,
    live_sessions,
    processes,
    qna,
    questions,
    staff,
)
from sessions_app.services.questions import question_spec_of

from .common import staff_process
from .dossier import timeline_steps


def _attempt(request, action, success: str, *, process=None) -> bool:
    """Run a service for a button press; report the outcome as a message."""
    try:
        action()
    except DesignError as error:
        messages.error(request, sentence(error.message))
        for text in _problem_sentences(error.problems, process):
            messages.error(request, text)
        return False
    except InputRejected as error:  # e.g. closing while paper forms wait for review
        messages.error(request, error.message)
        return False
    messages.success(request, success)
    return True


def _problem_sentences(problems, process=None) -> list[str]:
    """Problems of a whole process as sentences; one about a session names it."""
    titles = [s.title for s in process.sessions.all()] if process is not None else []
    out = []
    for problem in problems:
        match = re.match(r"sessions\[(\d+)\]", problem.path)
        if match and int(match.group(1)) < len(titles):
            out.append(f"{titles[int(match.group(1))]}: {problem_sentence(problem)}")
        else:
            out.append(problem_sentence(problem))
    return out


def _confirm(request, process, **context):
    """The page that asks before an action that cannot be undone. Without JavaScript it is
    where the button leads; with it, its question shows in a dialog on the same page."""
    return render(request, "designer/confirm.html", {"process": process, **context})


@login_required
def process_list(request):
    user = request.user
    roles = selectors.roles_by_process(user=user)
    items = [
        {"process": p, "roles": roles.get(p.pk, [])}
        for p in selectors.processes_for_user(user=user)
    ]
    # A teller with more than one session, or none open (``accounts.login_landing``),
    # lands here after logging in: the way to the forms they count (from the roles
    # loaded above, not a query per process).
    counting = permissions.CAPABILITIES["enter_paper"]
    counts_paper = any(counting & set(item["roles"]) for item in items)
    return render(
        request, "designer/process_list.html", {"items": items, "counts_paper": counts_paper}
    )


@login_required
@permission_required(processes.ORGANISE, raise_exception=True)
def process_create(request):
    form = ProcessForm(request.POST or None)
    formset = MilestoneFormSet(request.POST or None, prefix="timeline")
    panel = _panel_formset(request)
    if (
        request.method == "POST"
        and form.is_valid()
        and formset.is_valid()
        and (not panel.is_bound or panel.is_valid())
    ):
        try:
            process = processes.process_create(
                user=request.user,
                spec=form.to_spec(),
                milestones=milestone_specs(formset),
                panel=panel_specs(panel) if panel.is_bound else [],
            )
        except DesignError as error:
            add_problems(form, error.problems, ProcessForm.FIELD_MAP)
        else:
            messages.success(request, _("The process has been created. Add a session next."))
            return redirect("designer:process_detail", slug=process.slug)
    return render(
        request,
        "designer/process_form.html",
        {"form": form, "formset": formset, "panel": panel, "levels": LEVEL_EXPLANATIONS},
        status=400 if request.method == "POST" else 200,
    )


def _panel_formset(request, initial=()):
    """The process form's panel rows; a form posted without them (an older page, a
    script) leaves the panel as it is."""
    posted = request.method == "POST" and "panel-TOTAL_FORMS" in request.POST
    return PanelFormSet(request.POST if posted else None, initial=list(initial), prefix="panel")


@login_required
def process_detail(request, slug):
    process = staff_process(request, slug, "view")
    agenda = selectors.process_agenda(process=process)
    # Each question's number as on its session's paper form (a Q&A round has none).
    number_questions(q for session in agenda for q in session.questions.all())
    context = {
        "process": process,
        "agenda": agenda,
        "has_questions": any(session.questions.all() for session in agenda),
        "timeline": timeline_steps(process),
        "panel": process.panel.all(),
        "can_design": permissions.has_capability(request.user, process, "design"),
        "can_review": permissions.has_capability(request.user, process, "review"),
        "can_facilitate": permissions.has_capability(request.user, process, "facilitate"),
        "roles": sorted(permissions.user_roles(request.user, process)),
        "kinds": QuestionKind.choices,
        "level_explanation": LEVEL_EXPLANATIONS.get(process.level),
        "export_titles": ExportJob.TITLES.items(),
    }
    return render(request, "designer/process_detail.html", context)


@login_required
def process_edit(request, slug):
    process = staff_process(request, slug, "design")
    initial_timeline = [
        {"date": m.date, "label": m.label, "kind": m.kind} for m in process.milestones.all()
    ]
    form = ProcessForm(request.POST or None, instance=process)
    formset = MilestoneFormSet(request.POST or None, initial=initial_timeline, prefix="timeline")
    panel = _panel_formset(
        request, initial=[{"name": m.name, "role": m.role} for m in process.panel.all()]
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and formset.is_valid()
        and (not panel.is_bound or panel.is_valid())
    ):
        try:
            # All of it or nothing: a refused panel leaves the texts as they were too.
            with transaction.atomic():
                processes.process_update(user=request.user, process=process, spec=form.to_spec())
                processes.milestones_replace(
                    user=request.user, process=process, milestones=milestone_specs(formset)
                )
                if panel.is_bound:
                    processes.panel_replace(
                        user=request.user, process=process, panel=panel_specs(panel)
                    )
        except DesignError as error:
            add_problems(form, error.problems, ProcessForm.FIELD_MAP)
            if not error.problems:
                form.add_error(None, sentence(error.message))
            # The form copied what was typed onto the process; the page names it as stored.
            process.refresh_from_db()
        else:
            messages.success(request, _("The process has been saved."))
            return redirect("designer:process_detail", slug=process.slug)
    return render(
        request,
        "designer/process_form.html",
        {
            "form": form,
            "formset": formset,
            "panel": panel,
            "process": process,
            "levels": LEVEL_EXPLANATIONS,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def process_publish(request, slug):
    """GET asks (and says what is still missing); POST publishes."""
    process = staff_process(request, slug, "design")
    if request.method == "GET" and process.state != ProcessState.DRAFT:
        return redirect("designer:process_detail", slug=process.slug)
    if request.method == "GET":
        counts = [s.questions.count() for s in process.sessions.all()]
        problems = publish_problems(
            spec=processes.process_spec_of(process), session_question_counts=counts
        )
        return _confirm(
            request,
            process,
            action="publish",
            problems=_problem_sentences(problems, process),
            public_url=request.build_absolute_uri(process.get_absolute_url()),
            rehearsal=processes.rehearsal_left(process),
        )
    _attempt(
        request,
        lambda: processes.process_publish(user=request.user, process=process),
        _("The process is published. Its public page is online."),
        process=process,
    )
    return redirect("designer:process_detail", slug=process.slug)


@login_required
@require_http_methods(["GET", "POST"])
def process_close(request, slug):
    process = staff_process(request, slug, "design")
    if request.method == "GET" and process.state != ProcessState.PUBLISHED:
        return redirect("designer:process_detail", slug=process.slug)
    if request.method == "GET":
        return _confirm(request, process, action="close")
    _attempt(
        request,
        lambda: processes.process_close(user=request.user, process=process),
        _("The process is closed."),
    )
    return redirect("designer:process_detail", slug=process.slug)


@login_required
def process_export(request, slug):
    process = staff_process(request, slug, "view")
    body = json.dumps(process_to_dict(process), ensure_ascii=False, indent=2)
    response = HttpResponse(body + "\n", content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{process.slug}.inspraak.json"'
    return response


@login_required
@permission_required(processes.ORGANISE, raise_exception=True)
@body_limit(design_io.MAX_FILE_BYTES)
def process_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            data = design_io.load_design_file(form.cleaned_data["file"].read())
            process = design_io.process_import(user=request.user, data=data)
        except DesignError as error:
            problems = [_file_problem(problem) for problem in error.problems]
        else:
            messages.success(request, _("The design has been imported as a new draft process."))
            uploads = design_io.documents_to_upload(data, request.user)
            for document in uploads:
                messages.warning(
                    request,
                    _(
                        "Upload this file: “%(title)s” (SHA-256 %(sha256)s). The design file "
                        "lists it in the dossier, but this site does not have the file yet."
                    )
                    % {"title": document["title"], "sha256": document["sha256"]},
                )
            if uploads:
                return redirect("designer:dossier", slug=process.slug)
            return redirect("designer:process_detail", slug=process.slug)
    return render(request, "designer/process_import.html", {"form": form, "problems": problems})


def _file_problem(problem) -> dict:
    """A design file's problem for the page: its path, and a sentence that either goes on
    from the path ("… is required.") or follows it ("…: A ranking needs …")."""
    if problem.path and problem.code in CONTINUING_CODES:
        return {"path": problem.path, "goes_on": True, "text": problem.message.rstrip(".") + "."}
    return {"path": problem.path, "goes_on": False, "text": problem_sentence(problem)}


@login_required
def follow_up(request, slug):
    """What was done with the input: the organiser records it per question or for the
    whole process; earlier records stay as history."""
    process = staff_process(request, slug, "design")
    agenda = list(
        # The session evaluation is about the meetings, not input for the decision.
        Question.objects.filter(session__process=process, evaluation=False)
        .select_related("session")
        .order_by("session__position", "session__starts_at", "session_id", "position", "id")
    )
    form = FollowUpForm(request.POST or None, questions=agenda)
    if request.method == "POST" and form.is_valid():
        try:
            followups.follow_up_record(
                user=request.user,
                process=process,
                question_id=form.cleaned_data["question"],
                outcome=form.cleaned_data["outcome"],
                reasoning=form.cleaned_data["reasoning"],
                decided_on=form.cleaned_data["decided_on"],
            )
        except FollowUpError as error:
            field = {"follow_up_reasoning": "reasoning", "follow_up_date": "decided_on"}
            # The services word their messages as fragments; the page shows sentences.
            form.add_error(field.get(error.code, "question"), sentence(error.message))
        else:
            messages.success(request, _("The follow-up is recorded and shown on the public page."))
            return redirect("designer:follow_up", slug=process.slug)
    context = {
        "process": process,
        "form": form,
        "follow_ups": selectors.process_follow_ups(process=process),
        "written_answers": selectors.written_answers(process=process),
    }
    return render(request, "designer/follow_up.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def written_answer(request, slug, asked_id: int):
    """The written answer the panel promised in a Q&A round, given later (also after the
    session ended): logged, on the public page, and announced in the feed."""
    process = staff_process(request, slug, "facilitate")
    asked = get_object_or_404(
        Option.objects.select_related("question__session__process"),
        pk=asked_id,
        question__session__process=process,
        question__kind=QuestionKind.QNA,
    )
    try:
        qna.qna_answer(
            user=request.user,
            asked=asked,
            mode=PanelAnswerMode.WRITTEN,
            text=request.POST.get("text", ""),
            client_id=request.POST.get("form_id", ""),
        )
    except (InputRejected, FacilitationError) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The written answer is recorded and shown on the public page."))
    return redirect(reverse("designer:follow_up", args=[process.slug]) + "#written-answers")


@login_required
def process_log(request, slug):
    process = staff_process(request, slug, "view")
    report, problem = binding.evidence_verify(process=process)
    entries = selectors.process_log(process=process).order_by("-seq")[:500]
    return render(
        request,
        "designer/process_log.html",
        {
            "process": process,
            "report": report,
            "rows_problem": binding.describe(problem) if problem else "",
            "entries": entries,
        },
    )


# --- sessions -------------------------------------------------------------------------


def _session_of(process, session_id) -> LiveSession:
    return get_object_or_404(LiveSession, pk=session_id, process=process)


@login_required
def session_form(request, slug, session_id=None):
    process = staff_process(request, slug, "design")
    session = _session_of(process, session_id) if session_id else None
    form = LiveSessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        try:
            if session is None:
                session = live_sessions.live_session_create(
                    user=request.user, process=process, spec=form.to_spec()
                )
            else:
                live_sessions.live_session_update(
                    user=request.user, session=session, spec=form.to_spec()
                )
        except DesignError as error:
            add_problems(form, error.problems, {})
            if not error.problems:
                form.add_error(None, error.message)
        else:
            messages.success(request, _("The session has been saved."))
            return redirect(
                reverse("designer:process_detail", args=[process.slug]) + f"#session-{session.pk}"
            )
    return render(
        request,
        "designer/session_form.html",
        {"form": form, "process": process, "session": session},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_delete(request, slug, session_id):
    process = staff_process(request, slug, "design")
    session = _session_of(process, session_id)
    if request.method == "GET":
        return _confirm(
            request,
            process,
            action="session_delete",
            session=session,
            question_count=session.questions.count(),
            back=reverse("designer:process_detail", args=[process.slug]) + f"#session-{session.pk}",
        )
    _attempt(
        request,
        lambda: live_sessions.live_session_delete(user=request.user, session=session),
        _("The session has been removed."),
    )
    return redirect("designer:process_detail", slug=process.slug)


@login_required
@require_POST
def session_move(request, slug, session_id, direction):
    process = staff_process(request, slug, "design")
    session = _session_of(process, session_id)
    offset = _offset(direction)
    _attempt(
        request,
        lambda: live_sessions.live_session_move(user=request.user, session=session, offset=offset),
        _("The agenda has been reordered."),
    )
    return redirect(
        reverse("designer:process_detail", args=[process.slug]) + f"#session-{session.pk}"
    )


def _offset(direction: str) -> int:
    if direction not in {"up", "down"}:
        raise Http404
    return -1 if direction == "up" else 1


# --- questions ------------------------------------------------------------------------


def _question_of(process, question_id) -> Question:
    return get_object_or_404(
        Question.objects.select_related("session__process"),
        pk=question_id,
        session__process=process,
    )


def _question_initial(question: Question | None, kind: str) -> tuple[dict, list[dict]]:
    if question is None:
        defaults = {
            "kind": kind,
            "max_choices": 2,
            "scale_min": 1,
            "scale_max": 5,
            "budget_total": 100,
        }
        return {
            **defaults,
            "max_length": OPEN_TEXT_DEFAULT,
            "qna_max_length": 300,
            "qna_premoderate": True,
            "qna_upvotes": True,
        }, []
    spec = question_spec_of(question)
    initial = {
        "kind": spec.kind,
        "text": spec.text,
        "description": spec.description,
        "max_choices": spec.max_choices,
        "scale_min": spec.scale_min,
        "scale_max": spec.scale_max,
        "min_label": spec.min_label,
        "max_label": spec.max_label,
        "budget_total": spec.budget_total,
        "budget_unit": spec.budget_unit,
        "max_length": spec.max_length,
        "qna_max_length": spec.max_length if spec.kind == QuestionKind.QNA else 300,
        "qna_names": spec.qna_names,
        "qna_premoderate": spec.qna_premoderate,
        "qna_upvotes": spec.qna_upvotes,
        "panel": spec.panel,
        "participants_may_add": spec.participants_may_add,
        "max_proposals": spec.max_proposals,
        "level": spec.level,
        "promise": spec.promise,
        "evaluation": spec.evaluation,
    }
    options = [
        {"id": o.id, "text": o.text, "ORDER": i} for i, o in enumerate(spec.options, start=1)
    ]
    return initial, options


def _typed_question(post) -> dict:
    """The question form's fields as typed, read without validating (to show them again)."""
    typed = post.dict()
    typed["participants_may_add"] = "participants_may_add" in post
    for name in ("qna_names", "qna_premoderate", "qna_upvotes", "evaluation"):
        typed[name] = name in post
    typed["panel"] = post.getlist("panel")
    return typed


@login_required
def question_form(request, slug, session_id=None, question_id=None):
    process = staff_process(request, slug, "design")
    question = _question_of(process, question_id) if question_id else None
    session = question.session if question else _session_of(process, session_id)
    kind = request.GET.get("kind", QuestionKind.SINGLE_CHOICE)
    if kind not in QuestionKind.values:
        raise Http404
    initial, option_initial = _question_initial(question, kind)
    initial["rendered_kind"] = initial["kind"]
    panel_names = list(process.panel.values_list("name", flat=True))
    # Once asked, the wording is binding: shown read-only, kept as it is on saving. A page
    # shown before the question was asked still sends its wording: the service then
    # refuses any change of it (``question_asked``) rather than it being dropped unseen.
    asked = question is not None and questions.question_asked(question)
    read_only = asked and not (request.method == "POST" and "text" in request.POST)
    # The page has no control for ``evaluation`` (the evaluation set is added as a whole):
    # saving the form keeps it as it is.
    locked = questions.WORDING_FIELDS if read_only else ("evaluation",)
    if request.method == "POST" and "add_row" in request.POST and not asked:
        # Without JavaScript, "Add a row" comes here: show what was typed again, with one
        # empty row more, and save nothing.
        typed = _typed_question(request.POST)
        current_kind = typed.get("kind") if typed.get("kind") in QuestionKind.values else kind
        typed["rendered_kind"] = current_kind
        form = QuestionForm(initial={**initial, **typed}, panel_names=panel_names)
        formset = option_formset(current_kind, option_rows_typed(request.POST), more=1)
        focus = formset.forms[-1].prefix if formset.forms else ""
        return render(
            request,
            "designer/question_form.html",
            _question_context(process, session, question, form, formset, focus_prefix=focus),
        )
    data = request.POST or None
    form = QuestionForm(data, initial=initial, panel_names=panel_names, locked=locked)
    if not asked and form.kind_changed():
        # Without JavaScript the settings of the newly chosen kind were hidden: show them
        # (and what was typed) before anything is saved with settings nobody saw.
        typed = _typed_question(request.POST)
        typed["rendered_kind"] = typed["kind"]
        form = QuestionForm(initial={**initial, **typed}, panel_names=panel_names)
        formset = option_formset(typed["kind"], option_rows_typed(request.POST))
        context = _question_context(
            process,
            session,
            question,
            form,
            formset,
            notice=_(
                "You chose another kind of question. Check the settings for this kind of "
                "question, then save again."
            ),
        )
        return render(request, "designer/question_form.html", context, status=400)
    formset = option_formset(kind, option_initial, data=data, locked=read_only)
    option_errors = []
    saving = request.method == "POST" and "add_row" not in request.POST
    if saving and form.is_valid() and (read_only or formset.is_valid()):
        options = question_spec_of(question).options if read_only else option_specs(formset)
        spec = form.to_spec(options)
        try:
            if question is None:
                question = questions.question_create(user=request.user, session=session, spec=spec)
            else:
                questions.question_update(user=request.user, question=question, spec=spec)
        except DesignError as error:
            if error.code == "question_asked":
                # Asked since the page was shown: show it again read-only, as it is.
                form = QuestionForm(
                    initial=initial, panel_names=panel_names, locked=questions.WORDING_FIELDS
                )
                formset = option_formset(kind, option_initial, locked=True)
                context = _question_context(
                    process, session, question, form, formset, notice=sentence(error.message)
                )
                return render(request, "designer/question_form.html", context, status=400)
            add_problems(form, error.problems, QuestionForm.FIELD_MAP)
            if not read_only:
                option_errors = _option_problems_to_rows(error.problems, option_rows(formset))
            if not error.problems:
                form.add_error(None, sentence(error.message))
        else:
            messages.success(request, _("The question has been saved."))
            return redirect(
                reverse("designer:process_detail", args=[process.slug]) + f"#question-{question.pk}"
            )
    context = _question_context(
        process, session, question, form, formset, option_errors=option_errors
    )
    return render(request, "designer/question_form.html", context)


def _question_context(process, session, question, form, formset, **extra) -> dict:
    return {
        "form": form,
        "formset": formset,
        "option_errors": [],
        "process": process,
        "session": session,
        "question": question,
        "current_kind": form["kind"].value() or QuestionKind.SINGLE_CHOICE,
        "option_kinds": sorted(OPTION_KINDS),
        "asked": bool(question and questions.question_asked(question)),
        **extra,
    }


def _option_problems_to_rows(problems, rows) -> list[str]:
    """Put each problem of one option beside its row; return the sentences about the list
    as a whole (too few, too many), shown above it."""
    about_list = []
    for problem in problems:
        match = re.fullmatch(r"(?:options|statements)(?:\[(\d+)\])?", problem.path)
        if not match:
            continue
        index = match.group(1)
        if index is not None and int(index) < len(rows):
            row = rows[int(index)]
            number = row.prefix.rsplit("-", 1)[-1]
            subject = _("Row %(n)s") % {"n": int(number) + 1}
            row.add_error("text", problem_sentence(problem, subject))
        else:
            about_list.append(problem_sentence(problem, _("This list")))
    return about_list


@login_required
@require_http_methods(["GET", "POST"])
def question_delete(request, slug, question_id):
    process = staff_process(request, slug, "design")
    question = _question_of(process, question_id)
    if request.method == "GET":
        return _confirm(
            request,
            process,
            action="question_delete",
            question=question,
            session=question.session,
            back=reverse("designer:process_detail", args=[process.slug])
            + f"#question-{question.pk}",
        )
    _attempt(
        request,
        lambda: questions.question_delete(user=request.user, question=question),
        _("The question has been removed."),
    )
    return redirect(
        reverse("designer:process_detail", args=[process.slug]) + f"#session-{question.session_id}"
    )


@login_required
@require_POST
def question_move(request, slug, question_id, direction):
    process = staff_process(request, slug, "design")
    question = _question_of(process, question_id)
    offset = _offset(direction)
    _attempt(
        request,
        lambda: questions.question_move(user=request.user, question=question, offset=offset),
        _("The agenda has been reordered."),
    )
    return redirect(
        reverse("designer:process_detail", args=[process.slug]) + f"#question-{question.pk}"
    )


@login_required
def question_preview(request, slug, question_id):
    process = staff_process(request, slug, "view")
    question = _question_of(process, question_id)
    return render(
        request,
        "designer/question_preview.html",
        {
            "process": process,
            "question": question,
            "options": list(question.options.filter(moderation=Moderation.APPROVED)),
        },
    )


# --- staff ----------------------------------------------------------------------------


@login_required
def staff_page(request, slug):
    process = staff_process(request, slug, "design")
    grant_form = StaffGrantForm(prefix="grant")
    invite_form = InvitationForm(prefix="invite")
    new_invitation = None
    if request.method == "POST" and "grant-username" in request.POST:
        grant_form = StaffGrantForm(request.POST, prefix="grant")
        if grant_form.is_valid():
            try:
                staff.staff_grant_by_username(
                    user=request.user, process=process, **grant_form.cleaned_data
                )
            except DesignError as error:
                grant_form.add_error("username", error.message)
            else:
                messages.success(request, _("The role has been given."))
                return redirect("designer:staff", slug=process.slug)
    elif request.method == "POST":
        invite_form = InvitationForm(request.POST, prefix="invite")
        if invite_form.is_valid():
            new_invitation = staff.invitation_create(
                user=request.user, process=process, **invite_form.cleaned_data
            )
            invite_form = InvitationForm(prefix="invite")
    context = {
        "process": process,
        "staff": selectors.process_staff(process=process),
        "invitations": selectors.open_invitations(process=process),
        "grant_form": grant_form,
        "invite_form": invite_form,
        "new_invitation": new_invitation,
    }
    return render(request, "designer/staff.html", context)


@login_required
@require_POST
def staff_revoke(request, slug, role_id):
    process = staff_process(request, slug, "design")
    staff_role = get_object_or_404(StaffRole, pk=role_id, process=process)
    _attempt(
        request,
        lambda: staff.staff_revoke(user=request.user, staff_role=staff_role),
        _("The role has been taken away."),
    )
    return redirect("designer:staff", slug=process.slug)
