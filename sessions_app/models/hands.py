from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .immutable import AppendOnlyModel


class HandCount(AppendOnlyModel):
    """An aggregate show-of-hands count for one option (or one scale value) of a question.

    Append-only: a correction is a new row that ``replaces`` the earlier one; the latest row
    per option counts.
    """

    question = models.ForeignKey("Question", on_delete=models.PROTECT, related_name="hand_counts")
    option = models.ForeignKey(
        "Option", null=True, blank=True, on_delete=models.PROTECT, related_name="hand_counts"
    )
    scale_value = models.SmallIntegerField(null=True, blank=True)
    count = models.PositiveIntegerField(_("hands"))
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        base_manager_name = "objects"
        verbose_name = _("hand count")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(option__isnull=False, scale_value__isnull=True)
                | models.Q(option__isnull=True, scale_value__isnull=False),
                name="handcount_option_xor_value",
            ),
            models.UniqueConstraint(
                fields=["entered_by", "client_id"],
                condition=~models.Q(client_id=""),
                name="handcount_client_id_unique",
            ),
        ]
