"""Plain data describing a design, shared by the designer forms, the services and the
design file import. Validation lives in ``rules.py``."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime


@dataclass
class OptionSpec:
    text: str
    id: int | None = None


@dataclass
class QuestionSpec:
    kind: str
    text: str
    description: str = ""
    options: list[OptionSpec] = field(default_factory=list)
    max_choices: int | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    min_label: str = ""
    max_label: str = ""
    budget_total: int | None = None
    budget_unit: str = ""
    max_length: int | None = None
    participants_may_add: bool = False
    #: the most statements participants may propose from phones (``rules.PROPOSALS_MAX``)
    max_proposals: int = 200
    level: str = ""
    promise: str = ""
    # questions to the panel (kind ``qna``)
    qna_names: bool = False
    qna_premoderate: bool = True
    qna_upvotes: bool = True
    #: The names of the process's panel members residents may address.
    panel: list[str] = field(default_factory=list)
    #: Part of the session's evaluation: kept apart from the process's results.
    evaluation: bool = False


@dataclass
class SessionSpec:
    title: str
    starts_at: datetime | None
    ends_at: datetime | None = None
    venue: str = ""
    mode: str = "hybrid"
    remote_invitation: bool = False


@dataclass
class MilestoneSpec:
    date: date
    label: str
    #: What the step is (``MilestoneKind``): plan, session, decision, follow_up or other.
    kind: str = "other"


@dataclass
class PanelMemberSpec:
    name: str
    role: str = ""


@dataclass
class ProcessSpec:
    title: str
    language: str = "nl"
    purpose: str = ""
    level: str = "consult"
    promise: str = ""
    decision_maker: str = ""
    entry_mode: str = "single"
    card_rule: str = "latest_wins"
    retention_photos_days: int | None = None
    retention_texts_months: int | None = None


#: The process fields a designer edits, in form order.
PROCESS_FIELDS = tuple(f.name for f in fields(ProcessSpec))
