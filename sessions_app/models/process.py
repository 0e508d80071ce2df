from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import CardRule, EntryMode, Language, Level, MilestoneKind, ProcessState


class Process(models.Model):
    """One participation process, e.g. "Redesign of Stationsplein"."""

    slug = models.SlugField(_("short name in links"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.NL
    )
    purpose = models.TextField(_("purpose"), blank=True)
    level = models.CharField(
        _("participation level"), max_length=20, choices=Level.choices, default=Level.CONSULT
    )
    promise = models.TextField(_("promise: what will be done with the input"), blank=True)
    decision_maker = models.CharField(_("who decides"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=ProcessState.choices, default=ProcessState.DRAFT
    )
    entry_mode = models.CharField(
        _("paper entry"), max_length=10, choices=EntryMode.choices, default=EntryMode.SINGLE
    )
    card_rule = models.CharField(
        _("when one attendee card answers both on phone and on paper"),
        max_length=20,
        choices=CardRule.choices,
        default=CardRule.LATEST_WINS,
    )
    #: How long this process keeps form photos and written text (``manage.py purge``);
    #: empty takes the installation's default (``RETENTION_PHOTOS_DAYS``,
    #: ``RETENTION_TEXTS_MONTHS``).
    retention_photos_days = models.PositiveSmallIntegerField(
        _("keep form photos for (days after paper counting closed)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
    )
    retention_texts_months = models.PositiveSmallIntegerField(
        _("keep written answers for (months after the process closed)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(120)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    #: The log's last sequence number and hash, kept so that a log cut short at its end
    #: is noticed too. Written only by the log service.
    log_seq = models.PositiveIntegerField(default=0)
    log_head = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("process")
        verbose_name_plural = _("processes")
        ordering = ["-created_at"]
        #: Site-wide: who may start processes at all (roles on a process are StaffRole).
        permissions = [("organise", _("may create and import participation processes"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=Level.values), name="process_level_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ProcessState.values), name="process_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(language__in=Language.values), name="process_language_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(entry_mode__in=EntryMode.values),
                name="process_entry_mode_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(card_rule__in=CardRule.values), name="process_card_rule_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(state=ProcessState.DRAFT) | models.Q(published_at__isnull=False),
                name="process_published_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=ProcessState.CLOSED) | models.Q(closed_at__isnull=False),
                name="process_closed_has_date",
            ),
            models.CheckConstraint(condition=~models.Q(title=""), name="process_title_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("public:process", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        return self.state != ProcessState.DRAFT


class Milestone(models.Model):
    """One dated step on a process's timeline, e.g. "1 March 2027: council decides"."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="milestones")
    date = models.DateField(_("date"))
    label = models.CharField(_("what happens"), max_length=200)
    kind = models.CharField(
        _("type of step"), max_length=12, choices=MilestoneKind.choices, default=MilestoneKind.OTHER
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("timeline step")
        # The organiser's order, as designed (usually by date, but theirs to choose).
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(label=""), name="milestone_label_not_empty"),
            models.CheckConstraint(
                condition=models.Q(kind__in=MilestoneKind.values), name="milestone_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.label}"


class PanelMember(models.Model):
    """Someone on the panel of a process's sessions (the alderman, a councillor, the
    project leader), whom residents can address a question to in a Q&A round."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="panel")
    name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("role"), max_length=120, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("panel member")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="panelmember_name_not_empty"),
            models.UniqueConstraint(fields=["process", "name"], name="panelmember_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name
