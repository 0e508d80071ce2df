from django.db import models
from django.utils.translation import gettext_lazy as _


class OpinionMapState(models.Model):
    """The latest opinion map of a statements question, as the projector, the phones and
    the exports show it. Recomputed on the server's tick when the votes (or the hidden
    statements) changed; ``signature`` says which votes it was made from, and its labels
    are the starting point of the next map's, so group colours stay put."""

    question = models.OneToOneField(
        "Question", on_delete=models.CASCADE, primary_key=True, related_name="opinion_map"
    )
    signature = models.CharField(max_length=200)
    #: ``opinion.serialize.to_data`` of the map
    data = models.JSONField()
    computed_at = models.DateTimeField(auto_now=True)
    #: How long the computation took, in seconds.
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("opinion map")

    def __str__(self) -> str:
        return f"{self.question_id} ({self.signature})"
