"""Public pages: no account needed."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from sessions_app import selectors
from sessions_app.exports import data
from sessions_app.exports.lines import result_lines
from sessions_app.models import Level, Process, ProcessState, QuestionState
from sessions_app.models.choices import LEVEL_EXPLANATIONS

from .common import use_process_language


def index(request):
    return render(request, "public/index.html", {"processes": selectors.public_processes()})


def process_page(request, slug):
    process = get_object_or_404(Process.objects.exclude(state=ProcessState.DRAFT), slug=slug)
    use_process_language(request, process)
    context = {
        "process": process,
        "agenda": selectors.process_agenda(process=process),
        "milestones": process.milestones.all(),
        "level_explanation": LEVEL_EXPLANATIONS.get(process.level),
        "levels": Level.choices,
        "follow_ups": selectors.process_follow_ups(process=process),
        "results": _published_results(process),
    }
    return render(request, "public/process.html", context)


def _published_results(process: Process) -> list[dict]:
    """The results of the questions whose results were shown or that are closed, each
    with its lines (option or value, counts by source, percent)."""
    questions = [
        q
        for q in data.questions_of(process)
        if q.results_revealed or q.state == QuestionState.CLOSED
    ]
    return [
        {
            "question": question,
            "result": result,
            "lines": [
                {"name": name, "counts": counts, "percent": percent, "note": note}
                for name, counts, percent, note in result_lines(
                    data.question_part(question), result
                )
            ],
        }
        for question, result in zip(questions, data.results_part(questions), strict=True)
    ]


def process_log(request, slug):
    """The transparency log, for anyone: every entry's time, actor, action and hash, newest
    first, a page at a time, with the chain head to compare an export against."""
    process = get_object_or_404(Process.objects.exclude(state=ProcessState.DRAFT), slug=slug)
    use_process_language(request, process)
    page = Paginator(selectors.process_log(process=process).order_by("-seq"), 100).get_page(
        request.GET.get("page")
    )
    return render(request, "public/log.html", {"process": process, "page": page})
