from __future__ import annotations

import inspect
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import translation

from config.socket_routes import CODE, SOCKET_ROUTES
from sessions_app import permissions
from sessions_app.models import Process


def staff_process(request, slug: str, capability: str) -> Process:
    """The process, if the logged-in user has ``capability`` on it. Anything else is a 404,
    so staff of one process cannot even learn that another exists."""
    process = get_object_or_404(Process, slug=slug)
    if not permissions.has_capability(request.user, process, capability):
        raise Http404
    return process


def use_process_language(request, process: Process) -> None:
    """Public and participant pages speak the process's language unless the visitor chose
    one with the language switch."""
    if not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        translation.activate(process.language)
        request.LANGUAGE_CODE = process.language


def absolute_url(request, path: str) -> str:
    """An absolute link for QR codes and shared links: ``SITE_URL`` if set, else the host
    of this request."""
    base = settings.SITE_URL or f"{request.scheme}://{request.get_host()}"
    return base + path


def socket_path(audience: str, code: str) -> str:
    """The path of ``audience``'s websocket for the session with join code ``code`` (one
    of ``config.socket_routes``, which ``realtime.routing`` serves)."""
    return "/" + SOCKET_ROUTES[audience].replace(CODE, quote(code, safe=""))


def post_or_back(back):
    """For a view that takes a POST and shows its outcome at its own address: a GET
    there (the page reloaded later, a tab restored, the back button) is sent on to
    ``back(**kwargs)``, the page the form was on, instead of a blank 405. Other methods
    are refused as ``require_POST`` refuses them."""

    def decorate(view):
        def elsewhere(request, kwargs):
            if request.method in ("GET", "HEAD"):
                return HttpResponseRedirect(back(**kwargs))
            return HttpResponseNotAllowed(["POST"])

        if inspect.iscoroutinefunction(view):

            @wraps(view)
            async def wrapped_async(request, *args, **kwargs):
                if request.method != "POST":
                    return elsewhere(request, kwargs)
                return await view(request, *args, **kwargs)

            return wrapped_async

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method != "POST":
                return elsewhere(request, kwargs)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
