"""Public pages: no account needed."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from sessions_app import selectors
from sessions_app.models import Level, Process, ProcessState
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
    }
    return render(request, "public/process.html", context)
