from django.db import models
from django.utils.translation import gettext_lazy as _

from .immutable import AppendOnlyModel


class LogEntry(AppendOnlyModel):
    """One line of a process's transparency log.

    Each entry stores the SHA-256 of its canonical JSON form, which includes the previous
    entry's hash; see ``sessions_app.logchain`` for the exact form. Rows cannot be updated or
    deleted through the ORM.
    """

    process = models.ForeignKey("Process", on_delete=models.PROTECT, related_name="log_entries")
    seq = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    actor = models.CharField(max_length=160)
    action = models.CharField(max_length=60)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    #: The receipt hash the entry's data holds (``data["receipt"]``), kept beside it so a
    #: receipt is found by an index; the check reads it against the hashed data.
    receipt = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        base_manager_name = "objects"
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")
        ordering = ["process", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["process", "seq"], name="logentry_seq_unique"),
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="logentry_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"
