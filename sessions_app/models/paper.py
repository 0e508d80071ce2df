from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import EntryMethod, EntryState, SheetState


class PaperSheet(models.Model):
    """One printed form, with an unguessable code (printed as a signed QR and as short
    characters) and the layout version it was printed with."""

    session = models.ForeignKey("LiveSession", on_delete=models.PROTECT, related_name="sheets")
    code = models.CharField(_("sheet code"), max_length=16, unique=True)
    serial = models.PositiveIntegerField(_("number"))
    layout_version = models.CharField(max_length=20)
    large_print = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=SheetState.choices, default=SheetState.PRINTED)
    void_reason = models.TextField(blank=True)
    card = models.ForeignKey(
        "AttendeeCard", null=True, blank=True, on_delete=models.PROTECT, related_name="sheets"
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
