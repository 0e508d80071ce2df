from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import PanelAnswerMode
from .immutable import AppendOnlyModel

M = PanelAnswerMode


class PanelAnswer(AppendOnlyModel):
    """What the panel did with one asked question (an ``Option`` of a ``qna`` question):
    answered with a summary typed by a clerk, answered in the room, or promised in
    writing by a date; later the written answer itself.

    Append-only: a new record for the same question supersedes the earlier one (the
    latest counts), so the log and the rows tell the same story.
    """

    asked = models.ForeignKey("Option", on_delete=models.PROTECT, related_name="panel_answers")
    mode = models.CharField(_("answer"), max_length=12, choices=M.choices)
    #: The clerk's summary, or the written answer.
    text = models.TextField(_("answer"), blank=True)
    #: The date a written answer is due (mode ``in_writing``).
    due = models.DateField(_("answered in writing by"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        base_manager_name = "objects"
        verbose_name = _("panel answer")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mode__in=M.values), name="panelanswer_mode_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(mode__in=[M.SUMMARY, M.WRITTEN]) | ~models.Q(text=""),
                name="panelanswer_text_present",
            ),
            models.CheckConstraint(
                condition=~models.Q(mode=M.IN_WRITING) | models.Q(due__isnull=False),
                name="panelanswer_due_present",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asked_id}: {self.mode}"
