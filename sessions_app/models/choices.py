"""Enumerations shared by models, services, forms and the design file format.

The stored values are the keys used in files (``co-produce``, ``single_choice``…); the
labels are translatable.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Language(models.TextChoices):
    NL = "nl", _("Dutch")
    EN = "en", _("English")


class Level(models.TextChoices):
    """The Dutch municipal participation ladder, from least to most influence."""

    INFORM = "inform", pgettext_lazy("ladder", "inform")
    CONSULT = "consult", pgettext_lazy("ladder", "consult")
    ADVISE = "advise", pgettext_lazy("ladder", "advise")
    CO_PRODUCE = "co-produce", pgettext_lazy("ladder", "co-produce")
    CO_DECIDE = "co-decide", pgettext_lazy("ladder", "co-decide")


LEVEL_EXPLANATIONS = {
    Level.INFORM: _("You are told what has been decided and why. Your input is not asked for."),
    Level.CONSULT: _("Your opinion is asked. The decision maker weighs it but is not bound by it."),
    Level.ADVISE: _("You give advice. The decision maker follows it, or explains why not."),
    Level.CO_PRODUCE: _(
        "Residents and the municipality work out the plan together; the result is "
        "adopted unless there are weighty reasons."
    ),
    Level.CO_DECIDE: _("The outcome is adopted as it is: participants decide."),
}


class ProcessState(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    CLOSED = "closed", _("closed")


class EntryMode(models.TextChoices):
    SINGLE = "single", _("single entry")
    DOUBLE = "double", _("double entry (two tellers, blind)")


class CardRule(models.TextChoices):
    LATEST_WINS = "latest_wins", _("the latest answer wins")
    FLAG_FOR_REVIEW = "flag_for_review", _("flag for review")


class SessionMode(models.TextChoices):
    IN_ROOM = "in_room", _("in the room")
    HYBRID = "hybrid", _("hybrid")
    ONLINE = "online", _("online")


class SessionState(models.TextChoices):
    PLANNED = "planned", _("planned")
    LIVE = "live", _("live")
    ENDED = "ended", _("ended")


class MilestoneKind(models.TextChoices):
    """What a step on a process's timeline is."""

    PLAN = "plan", _("plan published")
    SESSION = "session", _("session")
    DECISION = "decision", _("council decision")
    FOLLOW_UP = "follow_up", _("follow-up")
    OTHER = "other", _("other step")


class QuestionKind(models.TextChoices):
    SINGLE_CHOICE = "single_choice", _("single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("multiple choice")
    SCALE = "scale", _("scale")
    RANKING = "ranking", _("ranking")
    BUDGET = "budget", _("budget")
    OPEN_TEXT = "open_text", _("open text")
    STATEMENTS = "statements", _("statements")
    QNA = "qna", _("questions to the panel")


#: Kinds whose answers pick from the question's options.
OPTION_KINDS = frozenset(
    {
        QuestionKind.SINGLE_CHOICE,
        QuestionKind.MULTIPLE_CHOICE,
        QuestionKind.RANKING,
        QuestionKind.BUDGET,
        QuestionKind.STATEMENTS,
    }
)


class PanelAnswerMode(models.TextChoices):
    """How the panel answered a question asked in a Q&A round."""

    SUMMARY = "summary", _("answered; summary on the record")
    IN_ROOM = "in_room", _("answered in the room")
    IN_WRITING = "in_writing", _("will be answered in writing")
    WRITTEN = "written", _("answered in writing")


class QuestionState(models.TextChoices):
    DRAFT = "draft", _("not yet opened")
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class Source(models.TextChoices):
    ONLINE = "online", _("online")
    PAPER = "paper", _("paper")
    HANDS = "hands", _("show of hands")


class JoinedVia(models.TextChoices):
    ROOM = "room", _("in the room")
    REMOTE = "remote", _("remote")
    PAPER = "paper", _("paper form")
    IMPORT = "import", _("imported")


class ResponseStatus(models.TextChoices):
    COUNTED = "counted", _("counted")
    SUPERSEDED = "superseded", _("superseded")
    REJECTED = "rejected", _("rejected")
    VOIDED = "voided", _("voided")
    HELD = "held", _("held for review")


class Moderation(models.TextChoices):
    PENDING = "pending", _("awaiting moderation")
    APPROVED = "approved", _("approved")
    HIDDEN = "hidden", _("hidden")


class StatementOrigin(models.TextChoices):
    ORGANISER = "organiser", _("organiser")
    PARTICIPANT = "participant", _("participant")
    IMPORT = "import", _("imported")


class SheetState(models.TextChoices):
    PRINTED = "printed", _("printed")
    ENTERED = "entered", _("entered")
    VERIFIED = "verified", _("verified")
    CONFLICT = "conflict", _("in conflict")
    COUNTED = "counted", _("counted")
    VOIDED = "voided", _("voided")


class EntryMethod(models.TextChoices):
    MANUAL = "manual", _("typed by a teller")
    PHOTO = "photo", _("read from a photo")
    CONFIRMATION = "confirmation", _("a reading confirmed by a teller")
    RESOLUTION = "resolution", _("resolved in review")


class EntryState(models.TextChoices):
    RECORDED = "recorded", _("recorded")
    ACCEPTED = "accepted", _("accepted")
    CONFLICT = "conflict", _("in conflict")
    DISCARDED = "discarded", _("discarded")


class Role(models.TextChoices):
    ORGANISER = "organiser", _("organiser")
    FACILITATOR = "facilitator", _("facilitator")
    TELLER = "teller", _("teller")
    REVIEWER = "reviewer", _("reviewer")


class FollowUpOutcome(models.TextChoices):
    DECIDED = "decided", _("decided")
    ADOPTED = "adopted", _("adopted")
    PARTLY_ADOPTED = "partly_adopted", _("partly adopted")
    NOT_ADOPTED = "not_adopted", _("not adopted")
