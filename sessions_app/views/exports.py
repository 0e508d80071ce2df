"""Council outputs from the process page, for organisers, facilitators and reviewers
(a 404 for anyone else): a button asks for one, a page follows it being made in the
background (``services.exports``), and the file is downloaded from there. A finished job
older than ``exports.KEEP_FOR``, or made before a text of its process was erased, is
deleted when it is opened and answers a 404, as a removed one does."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sessions_app import permissions
from sessions_app.exceptions import ExportError
from sessions_app.models import ExportJob
from sessions_app.services import background, exports

from .common import staff_process


@login_required
@require_POST
def export_create(request, slug: str):
    fmt = request.POST.get("format", "")
    process = staff_process(request, slug, exports.capability(fmt))
    try:
        job, new = exports.export_request(user=request.user, process=process, fmt=fmt)
    except ExportError as error:
        messages.error(request, error.message)
        return redirect("designer:process_detail", slug=process.slug)
    if new:
        # The request's own address (its host checked against ALLOWED_HOSTS), for the
        # file's links when SITE_URL is not set: a printed report carries a whole address.
        base_url = request.build_absolute_uri("/")
        transaction.on_commit(lambda: exports.start_export(job, base_url))
    return redirect("designer:export_page", slug=process.slug, job_id=job.pk)


def _job(request, slug: str, job_id: int) -> ExportJob:
    """The export job, for those who may ask for its format: a facilitator or reviewer
    gets a 404 for an organiser's staff variant, as for the request itself."""
    process = staff_process(request, slug, "review")
    job = get_object_or_404(ExportJob.objects.select_related("process"), pk=job_id, process=process)
    if not permissions.has_capability(request.user, process, exports.capability(job.format)):
        raise Http404
    if exports.withdrawn(job):
        exports.discard(job)
        raise Http404
    return job


def _status(job: ExportJob, done: int) -> str:
    if job.state == ExportJob.State.DONE:
        return _("Ready: %(size)s.") % {"size": filesizeformat(job.size)}
    if job.state == ExportJob.State.FAILED:
        return _("Failed.")
    if job.state == ExportJob.State.PENDING or not job.total:
        return _("Waiting to start.")
    return _("%(percent)d%% read (%(done)s of %(total)s rows).") % {
        "percent": min(100, 100 * done // job.total),
        "done": number_format(done, force_grouping=True),
        "total": number_format(job.total, force_grouping=True),
    }


@login_required
def export_page(request, slug: str, job_id: int):
    job = _job(request, slug, job_id)
    if job.state == ExportJob.State.PENDING:
        background.dispatch()  # still queued: starts now if a slot is free
    done = exports.rows_read(job)
    status = _status(job, done)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {"state": job.state, "progress": done, "total": job.total, "status": status}
        )
    return render(
        request,
        "designer/export.html",
        {
            "process": job.process,
            "job": job,
            "done": done,
            "status": status,
            "stale": exports.is_stale(job),
        },
    )


@login_required
def export_file(request, slug: str, job_id: int):
    job = _job(request, slug, job_id)
    path = exports.file_path(job)
    if job.state != ExportJob.State.DONE or path is None or not path.exists():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=exports.download_name(job),
        content_type=exports.content_type(job),
    )
