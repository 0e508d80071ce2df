from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportJob(models.Model):
    """One council output (workbook, report, open data or tables) written in a separate,
    lower-priority process, so that a large export never holds up the live session's
    websockets; progress is saved as the rows are read so staff can follow it."""

    class Format(models.TextChoices):
        XLSX = "xlsx", _("results for the council (Excel)")
        PDF = "pdf", _("report for the council (PDF)")
        JSON = "json", _("open data (JSON)")
        JSON_STAFF = "json-staff", _("open data with withheld texts (JSON, staff only)")
        CSV = "csv", _("tables (CSV, zip)")

    #: Each output's name on the designer's button that asks for it and as the title of
    #: the page that then follows it (``designer/export.html``): the same words on both.
    TITLES = {
        Format.XLSX: _("Results for the council (Excel)"),
        Format.PDF: _("Report for the council (PDF)"),
        Format.JSON: _("Open data (JSON)"),
        Format.CSV: _("Tables (CSV, zip)"),
        Format.JSON_STAFF: _("Open data with withheld texts (JSON, staff only)"),
    }

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("being made")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    process = models.ForeignKey("Process", on_delete=models.CASCADE, related_name="export_jobs")
    format = models.CharField(max_length=12, choices=Format.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    #: Rows read so far, of about ``total`` (responses, hand counts and log entries).
    progress = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    #: The log entry the output goes up to: a later request with the log still there
    #: gets this file instead of a new one (nothing has changed).
    log_seq = models.PositiveBigIntegerField(null=True, blank=True)
    file = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["process", "format", "state"], name="exportjob_lookup")]

    def __str__(self) -> str:
        return f"{self.process_id}.{self.format} ({self.state})"

    @property
    def title(self) -> str:
        return str(self.TITLES.get(self.format, self.get_format_display()))
