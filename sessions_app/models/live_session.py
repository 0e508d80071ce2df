from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import SessionMode, SessionState

#: Join codes avoid characters that are easily confused when read from a projector or
#: typed on a phone: no 0/O/D, 1/I/L, 2/Z, 5/S, 8/B, U/V.
JOIN_CODE_ALPHABET = "ACEFGHJKMNPQRTWXY34679"
JOIN_CODE_LENGTH = 6


class LiveSession(models.Model):
    """One meeting of a process, with a venue, a mode, a join code and an agenda."""

    process = models.ForeignKey("Process", on_delete=models.CASCADE, related_name="sessions")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("start time"))
    ends_at = models.DateTimeField(_("end time"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    mode = models.CharField(
        _("mode"), max_length=10, choices=SessionMode.choices, default=SessionMode.HYBRID
    )
    join_code = models.CharField(_("join code"), max_length=12, unique=True)
    #: Joining from elsewhere (the remote link) needs ``invitation_code``, which the
    #: organisers send to those they invite; the room's QR code does not.
    remote_invitation = models.BooleanField(
        _("remote participants need an invitation code"), default=False
    )
    invitation_code = models.CharField(_("invitation code"), max_length=12, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=SessionState.choices, default=SessionState.PLANNED
    )
    current_question = models.ForeignKey(
        "Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: Paper counting stays open after the room has moved on; results are provisional
    #: until the facilitator closes it.
    paper_closed_at = models.DateTimeField(null=True, blank=True)
    #: When the session was ended; it may be reopened for a short while after (see
    #: ``SESSION_REOPEN_MINUTES``).
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")
        ordering = ["position", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mode__in=SessionMode.values), name="livesession_mode_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=SessionState.values), name="livesession_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="livesession_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_evaluation(self) -> bool:
        """Whether the agenda has evaluation questions (from prefetched questions when
        there are)."""
        return any(question.evaluation for question in self.questions.all())
