"""Public pages: no account needed."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.utils import translation

from sessions_app import selectors
from sessions_app.models import Level, Process, ProcessState
from sessions_app.models.choices import LEVEL_EXPLANATIONS


def index(request):
    return render(request, "public/index.html", {"processes": selectors.public_processes()})


def process_page(request, slug):
    process = get_object_or_404(Process.objects.exclude(state=ProcessState.DRAFT), slug=slug)
    # A process speaks its own language unless the visitor chose one.
    if not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        translation.activate(process.language)
        request.LANGUAGE_CODE = process.language
    context = {
        "process": process,
        "agenda": selectors.process_agenda(process=process),
        "milestones": process.milestones.all(),
        "level_explanation": LEVEL_EXPLANATIONS.get(process.level),
        "levels": Level.choices,
    }
    return render(request, "public/process.html", context)
