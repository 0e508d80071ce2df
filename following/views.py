"""The pages of following by e-mail: the request (on the process's page, and its own page
when it needs saying again), "check your mailbox", confirm and unsubscribe. A link from a
mail opens a page with one button, so that a link scanner opening it changes nothing;
the unsubscribe address also takes RFC 8058's one-click POST."""

from __future__ import annotations

import contextlib
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sessions_app.models import Process, ProcessState
from sessions_app.views.common import absolute_url, use_process_language

from . import services
from .services import FollowError

#: What a mail program sends to the ``List-Unsubscribe`` address (RFC 8058).
ONE_CLICK = "One-Click"


def _public_process(slug: str) -> Process:
    if not services.enabled():
        raise Http404
    return get_object_or_404(Process.objects.exclude(state=ProcessState.DRAFT), slug=slug)


def _link_page(view):
    """A page of following (the form, and those opened from a mail's link): not cached
    and not indexed. A mail link's address holds the token; the site's
    ``Referrer-Policy: same-origin`` sends it to this site only (``no-referrer`` would
    make the button's POST fail the CSRF check: ``Origin: null``)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not services.enabled():
            raise Http404
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        return response

    return never_cache(wrapped)


@_link_page
@require_http_methods(["GET", "POST"])
def follow(request, slug):
    """Ask to follow: the same answer ("check your mailbox") whether or not the address
    is known."""
    process = _public_process(slug)
    use_process_language(request, process)
    email, error = "", None
    if request.method == "POST":
        email = request.POST.get("email", "")
        try:
            services.follow_request(
                process=process,
                email=email,
                base_url=absolute_url(request, ""),
                network=request.META.get("REMOTE_ADDR", ""),
            )
        except FollowError as refusal:
            error = refusal
        else:
            return redirect("following:sent", slug=process.slug)
    context = {"process": process, "email": email[:254], "error": error}
    return render(request, "following/follow.html", context, status=400 if error else 200)


@_link_page
def sent(request, slug):
    process = _public_process(slug)
    use_process_language(request, process)
    context = {"process": process, "hours": settings.FOLLOW_CONFIRM_HOURS}
    return render(request, "following/sent.html", context)


def _link_error(request, refusal: FollowError):
    process = refusal.params.get("process")
    if process is not None:
        use_process_language(request, process)
    status = 410 if refusal.code == "expired_token" else 404
    context = {"error": refusal, "process": process}
    return render(request, "following/link_error.html", context, status=status)


@_link_page
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """GET: a page with one button; POST: confirmed."""
    try:
        follower = services.confirmable(token)
    except FollowError as refusal:
        return _link_error(request, refusal)
    process = follower.process
    use_process_language(request, process)
    if request.method == "POST":
        try:
            follower = services.confirm(token)
        except FollowError as refusal:
            return _link_error(request, refusal)
    elif follower.confirmed_at is None:
        return render(request, "following/confirm.html", {"process": process})
    return render(request, "following/confirmed.html", {"process": process})


@csrf_exempt  # the token authorises; a mail program's one-click POST has no CSRF token
@_link_page
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET: a page with one button; POST (the button, or a mail program's one-click
    ``List-Unsubscribe=One-Click``): the address is deleted."""
    one_click = request.method == "POST" and request.POST.get("List-Unsubscribe") == ONE_CLICK
    try:
        follower = services.stoppable(token)
    except FollowError as refusal:
        if one_click:
            return HttpResponse(status=404)
        return _link_error(request, refusal)
    process = follower.process
    if request.method == "GET":
        use_process_language(request, process)
        return render(request, "following/unsubscribe.html", {"process": process})
    with contextlib.suppress(FollowError):  # removed meanwhile (two clicks): as asked
        services.unsubscribe(token)
    if one_click:
        with translation.override(process.language):
            return HttpResponse(
                str(services.UNSUBSCRIBED) + "\n", content_type="text/plain; charset=utf-8"
            )
    use_process_language(request, process)
    return render(request, "following/unsubscribed.html", {"process": process})
