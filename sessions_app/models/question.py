from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Level, Moderation, QuestionKind, QuestionState, StatementOrigin

K = QuestionKind


class QuestionQuerySet(models.QuerySet):
    def rules_changed(self) -> int:
        """Note that what these questions accept changed (their settings, their options,
        or which options are approved): their ``revision`` goes up, so that rules read
        earlier (``answers.QuestionRules``, cached by the answer batches) are read again.
        Every service that changes any of that calls it, in the same transaction."""
        return self.update(revision=models.F("revision") + 1)


class Question(models.Model):
    """One agenda item of a live session, of one of seven kinds.

    Settings that only some kinds use are plain nullable columns, so the database can check
    them per kind.
    """

    session = models.ForeignKey("LiveSession", on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    description = models.TextField(_("explanation"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=QuestionState.choices, default=QuestionState.DRAFT
    )
    results_revealed = models.BooleanField(_("results shown"), default=False)
    level = models.CharField(
        _("participation level for this question"), max_length=20, choices=Level.choices, blank=True
    )
    promise = models.TextField(_("promise for this question"), blank=True)

    max_choices = models.PositiveSmallIntegerField(
        _("maximum number of choices"), null=True, blank=True
    )
    scale_min = models.SmallIntegerField(_("lowest value"), null=True, blank=True)
    scale_max = models.SmallIntegerField(_("highest value"), null=True, blank=True)
    min_label = models.CharField(_("label of the lowest value"), max_length=80, blank=True)
    max_label = models.CharField(_("label of the highest value"), max_length=80, blank=True)
    budget_total = models.PositiveIntegerField(_("total to spend"), null=True, blank=True)
    #: What the budget is counted in ("euro", "punten"); empty reads as points.
    budget_unit = models.CharField(_("unit"), max_length=20, blank=True)
    max_length = models.PositiveIntegerField(
        _("maximum length (characters)"), null=True, blank=True
    )
    participants_may_add = models.BooleanField(_("participants may add statements"), default=False)
    #: A moderation setting, not a data limit: the most statements participants may
    #: propose from their phones (what a facilitator can moderate in a room).
    max_proposals = models.PositiveIntegerField(_("most proposals from phones"), default=200)
    # Questions to the panel (kind ``qna``).
    #: Askers may give a display name; otherwise every question is anonymous.
    qna_names = models.BooleanField(_("askers may give a display name"), default=False)
    #: A facilitator approves each question before anyone else sees it.
    qna_premoderate = models.BooleanField(
        _("approve questions before they are shown"), default=True
    )
    qna_upvotes = models.BooleanField(_("participants may upvote questions"), default=True)
    #: The panel members residents may address a question to.
    panel = models.ManyToManyField("PanelMember", blank=True, related_name="+")
    #: The asked question the panel is answering now (on the presenter, large).
    pinned = models.ForeignKey(
        "Option", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: Goes up whenever what the question accepts changes (``rules_changed``).
    #: A question of the session's evaluation (how clear, heard, how joined, again?):
    #: answered like any other, but kept apart from the process's results and shown in
    #: the session report.
    evaluation = models.BooleanField(_("evaluation of the session"), default=False)
    revision = models.PositiveIntegerField(default=0)

    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("question")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=K.values), name="question_kind_valid"
            ),
            models.CheckConstraint(condition=~models.Q(text=""), name="question_text_not_empty"),
            models.CheckConstraint(
                condition=models.Q(state__in=QuestionState.values), name="question_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(level="") | models.Q(level__in=Level.values),
                name="question_level_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=K.SCALE)
                | models.Q(
                    scale_min__isnull=False,
                    scale_max__isnull=False,
                    scale_min__lt=models.F("scale_max"),
                ),
                name="question_scale_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=K.MULTIPLE_CHOICE) | models.Q(max_choices__gte=1),
                name="question_multiple_max",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=K.BUDGET) | models.Q(budget_total__gt=0),
                name="question_budget_total",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=K.OPEN_TEXT)
                | models.Q(max_length__gte=1, max_length__lte=5000),
                name="question_open_text_length",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=K.QNA) | models.Q(max_length__gte=1, max_length__lte=2000),
                name="question_qna_length",
            ),
            models.CheckConstraint(
                condition=models.Q(state=QuestionState.DRAFT) | models.Q(opened_at__isnull=False),
                name="question_opened_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=QuestionState.CLOSED) | models.Q(closed_at__isnull=False),
                name="question_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def has_been_opened(self) -> bool:
        return self.opened_at is not None

    @property
    def is_open(self) -> bool:
        return self.state == QuestionState.OPEN

    @property
    def is_openable(self) -> bool:
        return self.state != QuestionState.OPEN

    @property
    def results_hidden(self) -> bool:
        return not self.results_revealed

    @property
    def scale_values(self) -> list[int]:
        if self.scale_min is None or self.scale_max is None:
            return []
        return list(range(self.scale_min, self.scale_max + 1))

    @property
    def effective_level(self) -> str:
        return self.level or self.session.process.level

    @property
    def effective_promise(self) -> str:
        return self.promise or self.session.process.promise


class Option(models.Model):
    """An option of a choice, ranking or budget question, one statement of a statements
    question, or one question asked to the panel in a Q&A round (kind ``qna``).
    Statements added by participants wait for moderation; asked questions do when the
    round says so (``Question.qna_premoderate``)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveIntegerField(default=0)
    text = models.CharField(_("text"), max_length=500)
    origin = models.CharField(
        max_length=20, choices=StatementOrigin.choices, default=StatementOrigin.ORGANISER
    )
    author = models.ForeignKey(
        "Participant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderation = models.CharField(
        max_length=10, choices=Moderation.choices, default=Moderation.APPROVED
    )
    moderation_reason = models.TextField(blank=True)
    #: An identifier from an imported conversation (the Polis comment id).
    external_id = models.CharField(max_length=64, blank=True)
    #: The proposing phone's id for this proposal, so a resent proposal is not added twice.
    client_id = models.CharField(max_length=64, blank=True)
    # Questions to the panel (kind ``qna``).
    #: The panel member the question is addressed to, if any.
    panel_member = models.ForeignKey(
        "PanelMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: The name the asker chose to show (when the round allows names); erasable like the
    #: text (``TextKind.NAME``).
    display_name = models.CharField(max_length=60, blank=True)
    #: The asked question this one was merged into as a duplicate (both texts are kept;
    #: its upvotes count for the other).
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    #: The question card this question was written on (paper), if any.
    sheet = models.ForeignKey(
        "PaperSheet", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("option")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(moderation__in=Moderation.values), name="option_moderation_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(origin__in=StatementOrigin.values), name="option_origin_valid"
            ),
            # A participant's statement, or one imported from their comment in Polis, may
            # be erased (``services.texts.erase``).
            models.CheckConstraint(
                condition=~models.Q(text="")
                | models.Q(origin__in=[StatementOrigin.PARTICIPANT, StatementOrigin.IMPORT]),
                name="option_text_not_empty",
            ),
            models.UniqueConstraint(
                fields=["author", "client_id"],
                condition=~models.Q(client_id=""),
                name="option_client_id_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True)
                | ~models.Q(merged_into=models.F("id")),
                name="option_not_merged_into_itself",
            ),
            models.UniqueConstraint(
                fields=["question", "external_id"],
                condition=~models.Q(external_id=""),
                name="option_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.text
