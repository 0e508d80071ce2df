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
