"""Response headers that concern every page."""

from __future__ import annotations


class PrivateForStaffMiddleware:
    """Whatever a signed-in member of staff is sent (pages, form photos, exports, print
    runs) is ``Cache-Control: private, no-store``: no shared cache or browser history keeps
    a copy. A response that sets its own ``Cache-Control`` keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response


#: Room for a multipart form's boundaries and other fields around a declared file limit.
FORM_OVERHEAD = 256 * 1024


def body_limit(max_bytes: int):
    """Declare that a view accepts a request body (an upload) of up to ``max_bytes``
    from a signed-in member of staff; ``RequestBodyGuardMiddleware`` refuses more before
    the body is parsed."""

    def declare(view):
        view.body_limit = max_bytes + FORM_OVERHEAD
        view.body_limit_shown = max_bytes  # what the page's form says beside its field
        return view

    return declare


class RequestBodyGuardMiddleware:
    """Before anything parses a request's body (Django's CSRF check reads a form's
    fields, before any view or login check): a body over ``MAX_ANONYMOUS_REQUEST_BYTES``
    is refused with 413 unless a member of staff is signed in and the view declared a
    larger limit (``body_limit``), which it may not exceed either. Daphne's HTTP layer
    has already bounded the body (``config.http_guard``); this is the finer check."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from django.conf import settings

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = shown = settings.MAX_ANONYMOUS_REQUEST_BYTES
        if length > limit and request.user.is_authenticated:
            limit = getattr(view_func, "body_limit", limit)
            shown = getattr(view_func, "body_limit_shown", limit)
        if length > limit:
            return too_large(request, shown)
        return None


def too_large(request, size: int):
    """413 as a page of the site: the size the form allows, that nothing was saved, and
    the way back to the form (the same address, fetched again)."""
    from django.shortcuts import render
    from django.template.defaultfilters import filesizeformat

    return render(
        request,
        "413.html",
        {"size": filesizeformat(size), "back": request.get_full_path()},
        status=413,
    )
