from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Moderation, ResponseStatus, Source

S = ResponseStatus


class Response(models.Model):
    """One answer to one question (for statements: one vote on one statement).

    Provenance: the participant (a phone, or the participant that stands for a paper sheet),
    the sheet and entry with its teller for paper, and the client-generated id. Earlier
    answers are kept with status ``superseded``; exactly one answer per participant and
    question (and statement) counts, which the database enforces.

    The answer itself: ``number`` for a scale value or a statement vote (+1 agree,
    -1 disagree, 0 pass), ``text`` for open text, and ``items`` for chosen, ranked or
    budgeted options.
    """

    question = models.ForeignKey("Question", on_delete=models.PROTECT, related_name="responses")
    participant = models.ForeignKey(
        "Participant", on_delete=models.PROTECT, related_name="responses"
    )
    statement = models.ForeignKey(
        "Option", null=True, blank=True, on_delete=models.PROTECT, related_name="votes"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    number = models.IntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=S.choices, default=S.COUNTED)
    reject_code = models.CharField(max_length=40, blank=True)
    client_id = models.CharField(max_length=64, blank=True)

    sheet = models.ForeignKey(
        "PaperSheet", null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    sheet_entry = models.ForeignKey(
        "SheetEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    teller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    card = models.ForeignKey(
        "AttendeeCard", null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )

    #: Open text is held until a facilitator approves or hides it; other kinds leave it empty.
    moderation = models.CharField(max_length=10, choices=Moderation.choices, blank=True)
    moderation_reason = models.TextField(blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    #: The answer this one replaced (the participant's earlier one, or the same attendee
    #: card's answer from the other source), so that voiding this one can restore it.
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_by"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("response")
        indexes = [models.Index(fields=["question", "status"], name="response_question_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "participant"],
                condition=models.Q(status=S.COUNTED, statement__isnull=True),
                name="response_one_counting_per_participant",
            ),
            models.UniqueConstraint(
                fields=["question", "participant", "statement"],
                condition=models.Q(status=S.COUNTED, statement__isnull=False),
                name="response_one_counting_per_statement",
            ),
            # One person, one counting answer, across phone and paper: an attendee card
            # ties a phone and a sheet to the same person.
            models.UniqueConstraint(
                fields=["question", "card"],
                condition=models.Q(status=S.COUNTED, card__isnull=False, statement__isnull=True),
                name="response_one_counting_per_card",
            ),
            models.UniqueConstraint(
                fields=["question", "card", "statement"],
                condition=models.Q(status=S.COUNTED, card__isnull=False, statement__isnull=False),
                name="response_one_counting_per_card_statement",
            ),
            models.UniqueConstraint(
                fields=["participant", "client_id"],
                condition=~models.Q(client_id=""),
                name="response_client_id_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=S.values), name="response_status_valid"
            ),
            # Hands are aggregate counts (HandCount), never individual responses.
            models.CheckConstraint(
                condition=models.Q(source__in=[Source.ONLINE, Source.PAPER]),
                name="response_source_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(source=Source.PAPER) | models.Q(sheet__isnull=False),
                name="response_paper_has_sheet",
            ),
            models.CheckConstraint(
                condition=models.Q(statement__isnull=True) | models.Q(number__in=[-1, 0, 1]),
                name="response_vote_value",
            ),
            models.CheckConstraint(
                condition=models.Q(moderation="") | models.Q(moderation__in=Moderation.values),
                name="response_moderation_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=S.REJECTED) | ~models.Q(reject_code=""),
                name="response_rejected_has_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}/{self.participant_id}/{self.status}"


class ResponseItem(models.Model):
    """One option within an answer: chosen (value 1), its rank (1 = first) or the amount
    given to it. Options with items cannot be deleted (PROTECT)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="items")
    option = models.ForeignKey("Option", on_delete=models.PROTECT, related_name="response_items")
    value = models.IntegerField(default=1)

    class Meta:
        verbose_name = _("response item")
        constraints = [
            models.UniqueConstraint(fields=["response", "option"], name="responseitem_unique"),
            models.CheckConstraint(
                condition=models.Q(value__gte=0), name="responseitem_value_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.option_id}={self.value}"
