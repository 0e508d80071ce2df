"""The dossier: the organiser's page to add documents and links, and the public download
of a document (its SHA-256 is in the log and beside the link)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from config.middleware import body_limit
from sessions_app.exceptions import DesignError, InputRejected
from sessions_app.models import DocumentKind, DossierDocument, Process, ProcessState
from sessions_app.services import dossier

from .common import staff_process


def dossier_items(process: Process) -> dict:
    """What the dossier shows now: its documents and links, newest first."""
    return {
        "documents": list(process.documents.filter(removed_at__isnull=True)),
        "links": list(process.links.filter(removed_at__isnull=True)),
    }


@login_required
@body_limit(dossier.DOCUMENT_MAX_BYTES)
def dossier_page(request, slug: str):
    """Add a document (with its summary and, for an image, its alternative text) or a
    link, or take one out. Plain forms; each posts and the page shows the dossier again."""
    process = staff_process(request, slug, "design")
    if request.method == "POST":
        post = request.POST
        try:
            action = post.get("action")
            if action == "document":
                upload = request.FILES.get("file")
                if upload is None:
                    raise InputRejected("not_document")
                if upload.size > dossier.DOCUMENT_MAX_BYTES:
                    raise InputRejected("document_too_large")
                dossier.document_add(
                    user=request.user,
                    process=process,
                    content=upload.read(),
                    title=post.get("title"),
                    kind=post.get("kind"),
                    day=post.get("date"),
                    summary=post.get("summary"),
                    alt_text=post.get("alt_text", ""),
                )
                messages.success(request, _("The document is in the dossier."))
            elif action == "link":
                dossier.link_add(
                    user=request.user,
                    process=process,
                    title=post.get("title"),
                    url=post.get("url"),
                    day=post.get("date"),
                    summary=post.get("summary"),
                )
                messages.success(request, _("The link is in the dossier."))
            elif action == "remove":
                dossier.item_remove(
                    user=request.user,
                    process=process,
                    document_id=_int(post.get("document")),
                    link_id=_int(post.get("link")),
                )
                messages.success(request, _("Taken out of the dossier."))
            else:
                raise InputRejected("invalid_answer")
        except (InputRejected, DesignError) as error:
            messages.error(request, error.message)
        return redirect("designer:dossier", slug=process.slug)
    context = {"process": process, "kinds": DocumentKind.choices, **dossier_items(process)}
    return render(request, "designer/dossier.html", context)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def document_file(request, slug: str, document_id: int):
    """A published process's dossier document, as it was added (its SHA-256 is in the
    log)."""
    document = get_object_or_404(
        DossierDocument.objects.exclude(process__state=ProcessState.DRAFT),
        pk=document_id,
        process__slug=slug,
        removed_at__isnull=True,
    )
    path = dossier.document_path(document)
    if not path.exists():
        raise Http404
    response = FileResponse(
        path.open("rb"),
        content_type=document.content_type,
        filename=f"{slug}-{document.pk}{path.suffix}",
        as_attachment=not document.is_image,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
