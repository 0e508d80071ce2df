from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import FollowUpOutcome


class FollowUp(models.Model):
    """What was done with the input: for one question, or (question empty) the process."""

    process = models.ForeignKey("Process", on_delete=models.CASCADE, related_name="follow_ups")
    question = models.ForeignKey(
        "Question", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=FollowUpOutcome.choices)
    reasoning = models.TextField(_("reasoning"))
    decided_on = models.DateField(_("date of the decision"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        ordering = ["-decided_on", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=FollowUpOutcome.values),
                name="followup_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.decided_on})"
