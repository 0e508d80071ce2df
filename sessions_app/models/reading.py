from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FormScan(models.Model):
    """One file given to the photo reader (a teller's photo, a scanner's PDF, a file on
    the command line): the evidence. Its SHA-256 is unique, so the same file is never
    read twice. The file itself is kept only when a form was found in it (a photo
    without a form may show people, and is not kept)."""

    class Origin(models.TextChoices):
        PHOTO = "photo", _("teller's photo")
        UPLOAD = "upload", _("uploaded scan")
        COMMAND = "command", _("command line")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("being read")
        DONE = "done", _("read")
        FAILED = "failed", _("failed")

    session = models.ForeignKey(
        "LiveSession", null=True, blank=True, on_delete=models.PROTECT, related_name="scans"
    )
    sha256 = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    #: Where the file is kept under MEDIA_ROOT ('' when it is not kept).
    file = models.CharField(max_length=200, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    reader_version = models.CharField(max_length=40)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    pages = models.PositiveIntegerField(default=0)
    progress = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("form scan")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=models.F("pages")) | models.Q(pages=0),
                name="formscan_progress_range",
            ),
        ]

    def __str__(self) -> str:
        return self.sha256[:12]


class SheetReading(models.Model):
    """What the reader made of one paper sheet, from the pages read of it: the answers
    per question with their confidence and reasons, and what became of it."""

    class Status(models.TextChoices):
        PAGES = "pages", _("waiting for its other pages")
        COUNTED = "counted", _("counted")
        ENTERED = "entered", _("one of two entries: waiting for the other")
        CONFLICT = "conflict", _("differs from the other entry")
        REVIEW = "review", _("to review")
        SETTLED = "settled", _("reviewed")
        DROPPED = "dropped", _("set aside")

    sheet = models.ForeignKey("PaperSheet", on_delete=models.PROTECT, related_name="readings")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PAGES)
    #: Question id → {"answer", "sure", "confidence", "reasons"}.
    answers = models.JSONField(default=dict)
    entry = models.OneToOneField(
        "SheetEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="reading"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sheet reading")
        constraints = [
            # One reading at a time gathers a sheet's pages or waits for a person.
            models.UniqueConstraint(
                fields=["sheet"],
                condition=models.Q(status__in=["pages", "review"]),
                name="sheetreading_one_open_per_sheet",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet_id}/{self.pk} ({self.status})"


class PageReading(models.Model):
    """One page of a scan (a photo is one page): the form found on it, or why not."""

    class Status(models.TextChoices):
        READ = "read", _("read")
        REFUSED = "refused", _("refused")

    scan = models.ForeignKey(FormScan, on_delete=models.CASCADE, related_name="page_readings")
    index = models.PositiveIntegerField()  # the page in the file, from 0
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    sheet = models.ForeignKey(
        "PaperSheet", null=True, blank=True, on_delete=models.PROTECT, related_name="page_readings"
    )
    sheet_reading = models.ForeignKey(
        SheetReading, null=True, blank=True, on_delete=models.PROTECT, related_name="pages"
    )
    #: The form's own page number (1, 2 …) as its QR code says.
    form_page = models.PositiveIntegerField(null=True, blank=True)
    fit_mm = models.FloatField(null=True, blank=True)
    #: Every box and writing area read: key, state, confidence, where it was found (px).
    boxes = models.JSONField(default=list)
    areas = models.JSONField(default=list)
    #: A picture that can lose a light mark without a trace, blurs or thins it
    #: (``reading.marks.capture_of``): ``black_white``, ``photocopy``, ``coarse``,
    #: ``blurred``, ``low_resolution``; blank for none.
    capture = models.CharField(max_length=20, blank=True, default="")
    #: The page straightened onto the layout, kept for the review's crops.
    image = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("page reading")
        constraints = [
            models.UniqueConstraint(fields=["scan", "index"], name="pagereading_page_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scan_id}#{self.index} ({self.status})"
