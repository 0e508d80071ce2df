from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from sessions_app import permissions
from sessions_app.models import Process


def staff_process(request, slug: str, capability: str) -> Process:
    """The process, if the logged-in user has ``capability`` on it. Anything else is a 404,
    so staff of one process cannot even learn that another exists."""
    process = get_object_or_404(Process, slug=slug)
    if not permissions.has_capability(request.user, process, capability):
        raise Http404
    return process
