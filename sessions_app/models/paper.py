from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import EntryMethod, EntryState, SheetState


class FormLayout(models.Model):
    """Where every box of a printed form sits, in mm, as data. The PDF is drawn from it
    and the photo reader reads with it; sheets record the version they were printed with.
    The version is a hash of the data, so the same questions give the same layout."""

    session = models.ForeignKey("LiveSession", on_delete=models.PROTECT, related_name="layouts")
    version = models.CharField(max_length=20)
    large_print = models.BooleanField(default=False)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("form layout")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "version"], name="formlayout_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.version


class PrintBatch(models.Model):
    """One print run of paper forms (or attendee cards), made in the background so that a
    facilitator can follow its progress."""

    class Kind(models.TextChoices):
        FORMS = "forms", _("paper forms")
        CARDS = "cards", _("attendee cards")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("being made")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    session = models.ForeignKey(
        "LiveSession", on_delete=models.PROTECT, related_name="print_batches"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FORMS)
    count = models.PositiveIntegerField()
    large_print = models.BooleanField(default=False)
    with_cards = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    progress = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    #: The print form's id, so a double click makes one print run.
    client_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(count__gte=1, count__lte=2000), name="printbatch_count_range"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=models.F("count")),
                name="printbatch_progress_range",
            ),
            models.UniqueConstraint(
                fields=["created_by", "client_id"],
                condition=~models.Q(client_id=""),
                name="printbatch_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} x {self.count}"


class PaperSheet(models.Model):
    """One printed form, with an unguessable code (printed as a signed QR and as short
    characters) and the layout version it was printed with."""

    session = models.ForeignKey("LiveSession", on_delete=models.PROTECT, related_name="sheets")
    code = models.CharField(_("sheet code"), max_length=16, unique=True)
    serial = models.PositiveIntegerField(_("number"))
    layout_version = models.CharField(max_length=20)
    large_print = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=SheetState.choices, default=SheetState.PRINTED)
    #: Two entries agreed (double entry), or the facilitator settled a conflict.
    verified = models.BooleanField(default=False)
    void_reason = models.TextField(blank=True)
    card = models.ForeignKey(
        "AttendeeCard", null=True, blank=True, on_delete=models.PROTECT, related_name="sheets"
    )
    batch = models.ForeignKey(
        PrintBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="sheets"
    )
    #: The participant that stands for this sheet once it is entered.
    participant = models.OneToOneField(
        "Participant", null=True, blank=True, on_delete=models.PROTECT, related_name="sheet"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("paper sheet")
        constraints = [
            models.UniqueConstraint(fields=["session", "serial"], name="papersheet_serial_unique"),
            models.CheckConstraint(
                condition=models.Q(state__in=SheetState.values), name="papersheet_state_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(state=SheetState.VOIDED) | ~models.Q(void_reason=""),
                name="papersheet_void_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def code_printed(self) -> str:
        """The code as the form prints it under its QR code (``4NTF-TQ47``)."""
        from printables.paper_form import readable

        return readable(self.code)


class SheetEntry(models.Model):
    """One transcription of a paper sheet, typed by a teller or read from a photo.

    ``answers`` maps question ids to the values read. Under double entry two entries must
    agree; only one entry per sheet is ever accepted, which the database enforces.
    """

    sheet = models.ForeignKey(PaperSheet, on_delete=models.PROTECT, related_name="entries")
    teller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(
        max_length=12, choices=EntryMethod.choices, default=EntryMethod.MANUAL
    )
    answers = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=EntryState.choices, default=EntryState.RECORDED)
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sheet entry")
        verbose_name_plural = _("sheet entries")
        constraints = [
            models.UniqueConstraint(
                fields=["sheet"],
                condition=models.Q(state=EntryState.ACCEPTED),
                name="sheetentry_one_accepted_per_sheet",
            ),
            models.UniqueConstraint(
                fields=["teller", "client_id"],
                condition=~models.Q(client_id=""),
                name="sheetentry_client_id_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=EntryState.values), name="sheetentry_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(method__in=EntryMethod.values), name="sheetentry_method_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet_id}/{self.pk} ({self.state})"
