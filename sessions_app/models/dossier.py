from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    PLAN = "plan", _("plan or drawing")
    PROPOSAL = "proposal", _("council proposal")
    DECISION = "decision", _("earlier decision")
    BUDGET = "budget", _("budget")
    REPORT = "report", _("report or study")
    OTHER = "other", _("other")


class DossierDocument(models.Model):
    """A document of a process's dossier (a PDF or an image), with a short summary in
    plain language (and, for an image, its alternative text), for residents who follow
    the process. The file is kept under its SHA-256, which the log holds: a changed
    document is a new one, and visibly so."""

    process = models.ForeignKey("Process", on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("type"), max_length=12, choices=DocumentKind.choices)
    date = models.DateField(_("date"))
    summary = models.TextField(_("summary in plain language"))
    alt_text = models.CharField(
        _("what the image shows (alternative text)"), max_length=500, blank=True
    )
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    #: Taken out of the dossier (logged); the file stays as evidence of what was shown.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dossier document")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=DocumentKind.values), name="dossierdocument_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(summary=""), name="dossierdocument_summary_present"
            ),
            models.CheckConstraint(
                condition=~models.Q(content_type__startswith="image/") | ~models.Q(alt_text=""),
                name="dossierdocument_image_alt_text",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class DossierLink(models.Model):
    """A link from a process's dossier to a council document elsewhere (an Open
    Raadsinformatie or municipal page), with a short summary."""

    process = models.ForeignKey("Process", on_delete=models.CASCADE, related_name="links")
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("address"), max_length=500)
    date = models.DateField(_("date"))
    summary = models.TextField(_("summary in plain language"))
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dossier link")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(summary=""), name="dossierlink_summary_present"
            ),
            models.CheckConstraint(
                condition=models.Q(url__startswith="https://")
                | models.Q(url__startswith="http://"),
                name="dossierlink_url_web",
            ),
        ]

    def __str__(self) -> str:
        return self.title
