from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import JoinedVia


class AttendeeCard(models.Model):
    """A personal code handed out at the door. The same code joins a phone and is printed on
    that person's paper sheet, so one person counts once across sources without anyone
    recording who they are."""

    session = models.ForeignKey("LiveSession", on_delete=models.CASCADE, related_name="cards")
    code = models.CharField(_("card code"), max_length=16, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attendee card")

    def __str__(self) -> str:
        return self.code


class Participant(models.Model):
    """A pseudonymous participant of one live session. No personal data: a phone holds the
    random ``token`` in a signed cookie; exports show only ``public_id``."""

    session = models.ForeignKey(
        "LiveSession", on_delete=models.CASCADE, related_name="participants"
    )
    token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    public_id = models.CharField(max_length=16, unique=True)
    joined_via = models.CharField(max_length=10, choices=JoinedVia.choices)
    card = models.ForeignKey(
        AttendeeCard, null=True, blank=True, on_delete=models.PROTECT, related_name="participants"
    )
    #: An identifier from an imported conversation (the Polis voter id).
    external_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participant")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(joined_via__in=JoinedVia.values),
                name="participant_joined_via_valid",
            ),
            models.UniqueConstraint(
                fields=["session", "external_id"],
                condition=~models.Q(external_id=""),
                name="participant_external_id_unique",
            ),
            # A phone participant always has a token; paper and imported ones never do.
            models.CheckConstraint(
                condition=models.Q(
                    joined_via__in=[JoinedVia.ROOM, JoinedVia.REMOTE], token__isnull=False
                )
                | models.Q(joined_via__in=[JoinedVia.PAPER, JoinedVia.IMPORT], token__isnull=True),
                name="participant_token_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.public_id
