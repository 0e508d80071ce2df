from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: The longest note a facilitator can type.
NOTE_MAX_LENGTH = 2000


class FacilitatorNote(models.Model):
    """A note the facilitator types in the console during or after a session ("the
    microphone failed at 20:10", "many people left after question 3"), time-stamped and
    private to the process's staff: shown in the session report, never on a public page,
    in the log or in the open data."""

    session = models.ForeignKey("LiveSession", on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("facilitator's note")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(text=""), name="facilitatornote_text_present"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]
