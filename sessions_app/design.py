"""The design file format ``inspraak.process/1``: model → dict for export and for the log's
before/after records, and dict → specs for import. See ``docs/process-format.md``."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from .models import LiveSession, Option, Process, Question, QuestionKind, StatementOrigin
from .rules import KIND_FIELDS, PROPOSALS_DEFAULT, QNA_LENGTH_DEFAULT, options_path
from .specs import (
    MilestoneSpec,
    OptionSpec,
    PanelMemberSpec,
    ProcessSpec,
    QuestionSpec,
    SessionSpec,
)

FORMAT = "inspraak.process/1"
K = QuestionKind


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def format_datetime(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return timezone.localtime(moment, _tz()).isoformat()


def parse_moment(value: str) -> datetime | None:
    """An ISO 8601 date-time; without an offset it is read in the process time zone."""
    moment = parse_datetime(value)
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, _tz())
    return moment


def designed_options(question: Question) -> list[Option]:
    """The options that belong to the design (not statements added by participants)."""
    return [o for o in question.options.all() if o.origin == StatementOrigin.ORGANISER]


def question_to_dict(question: Question) -> dict:
    data: dict = {"kind": question.kind, "text": question.text}
    if question.description:
        data["description"] = question.description
    fields = KIND_FIELDS[question.kind]
    if "options" in fields or "statements" in fields:
        data[options_path(question.kind)] = [o.text for o in designed_options(question)]
    if "max_choices" in fields:
        data["max_choices"] = question.max_choices
    if "min" in fields:
        data["min"] = question.scale_min
        data["max"] = question.scale_max
        data["min_label"] = question.min_label
        data["max_label"] = question.max_label
    if "total" in fields:
        data["total"] = question.budget_total
        if question.budget_unit:
            data["unit"] = question.budget_unit
    if "max_length" in fields:
        data["max_length"] = question.max_length
    if "participants_may_add" in fields:
        data["participants_may_add"] = question.participants_may_add
    if "max_proposals" in fields:
        data["max_proposals"] = question.max_proposals
    if question.kind == K.QNA:
        data["names"] = question.qna_names
        data["premoderate"] = question.qna_premoderate
        data["upvotes"] = question.qna_upvotes
        data["panel"] = [member.name for member in question.panel.all()] if question.pk else []
    if question.level:
        data["level"] = question.level
    if question.promise:
        data["promise"] = question.promise
    if question.evaluation:
        data["evaluation"] = True
    return data


def session_to_dict(session: LiveSession, *, with_questions: bool = True) -> dict:
    data = {
        "title": session.title,
        "starts_at": format_datetime(session.starts_at),
        "ends_at": format_datetime(session.ends_at),
        "venue": session.venue,
        "mode": session.mode,
        "remote_invitation": session.remote_invitation,
    }
    if data["ends_at"] is None:
        del data["ends_at"]
    if with_questions:
        data["questions"] = [question_to_dict(q) for q in session.questions.all()]
    return data


def process_fields_to_dict(process: Process) -> dict:
    fields = {
        "title": process.title,
        "language": process.language,
        "purpose": process.purpose,
        "level": process.level,
        "promise": process.promise,
        "decision_maker": process.decision_maker,
        "paper_entry": process.entry_mode,
        "card_rule": process.card_rule,
    }
    # Only when the process sets its own (the installation's defaults otherwise).
    if process.retention_photos_days is not None or process.retention_texts_months is not None:
        fields["retention"] = {
            "photos_days": process.retention_photos_days,
            "texts_months": process.retention_texts_months,
        }
    return fields


def timeline_to_list(process: Process) -> list[dict]:
    return [
        {"date": m.date.isoformat(), "label": m.label, "kind": m.kind}
        for m in process.milestones.all()
    ]


def panel_to_list(process: Process) -> list[dict]:
    return [{"name": m.name, "role": m.role} for m in process.panel.all()]


def dossier_to_dict(process: Process) -> dict:
    """The dossier's metadata (not its files), in the order the items were added: the
    documents and links still in it. A list without items is left out."""
    documents = [
        {
            "title": d.title,
            "kind": d.kind,
            "date": d.date.isoformat(),
            "summary": d.summary,
            "alt_text": d.alt_text,
            "sha256": d.sha256,
            "content_type": d.content_type,
        }
        for d in process.documents.filter(removed_at__isnull=True).order_by("id")
    ]
    links = [
        {
            "title": link.title,
            "url": link.url,
            "date": link.date.isoformat(),
            "summary": link.summary,
        }
        for link in process.links.filter(removed_at__isnull=True).order_by("id")
    ]
    return {name: items for name, items in (("documents", documents), ("links", links)) if items}


def process_to_dict(process: Process) -> dict:
    """The whole design of ``process`` in the file format."""
    process = Process.objects.prefetch_related(
        "milestones", "panel", "sessions__questions__options", "sessions__questions__panel"
    ).get(pk=process.pk)
    data = {
        "format": FORMAT,
        **process_fields_to_dict(process),
        "timeline": timeline_to_list(process),
    }
    panel = panel_to_list(process)
    if panel:
        data["panel"] = panel
    dossier = dossier_to_dict(process)
    if dossier:
        data["dossier"] = dossier
    data["sessions"] = [session_to_dict(s) for s in process.sessions.all()]
    return data


def changed(before: dict, after: dict) -> dict:
    """The keys whose values differ, as ``{"before": {...}, "after": {...}}``."""
    keys = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    return {
        "before": {k: before.get(k) for k in keys},
        "after": {k: after.get(k) for k in keys},
    }


# --- dict → specs (the data is already checked against the JSON Schema) ----------------


def _text(value):
    """A text of the file as the designer's forms keep it: without surrounding spaces
    (a value of the wrong type is left for the schema's check to name)."""
    return value.strip() if isinstance(value, str) else value


def process_spec_from(data: dict) -> ProcessSpec:
    return ProcessSpec(
        title=_text(data.get("title", "")),
        language=data.get("language", "nl"),
        purpose=_text(data.get("purpose", "")),
        level=data.get("level", "consult"),
        promise=_text(data.get("promise", "")),
        decision_maker=_text(data.get("decision_maker", "")),
        entry_mode=data.get("paper_entry", "single"),
        card_rule=data.get("card_rule", "latest_wins"),
        retention_photos_days=data.get("retention", {}).get("photos_days"),
        retention_texts_months=data.get("retention", {}).get("texts_months"),
    )


def milestone_specs_from(data: dict) -> list[MilestoneSpec]:
    return [
        MilestoneSpec(
            date=parse_date(m["date"]), label=_text(m["label"]), kind=m.get("kind", "other")
        )
        for m in data.get("timeline", [])
    ]


def panel_specs_from(data: dict) -> list[PanelMemberSpec]:
    return [PanelMemberSpec(name=m["name"], role=m.get("role", "")) for m in data.get("panel", [])]


def session_spec_from(data: dict) -> SessionSpec:
    ends = data.get("ends_at")
    return SessionSpec(
        title=_text(data["title"]),
        starts_at=parse_moment(data["starts_at"]),
        ends_at=parse_moment(ends) if ends else None,
        venue=_text(data.get("venue", "")),
        mode=data.get("mode", "hybrid"),
        remote_invitation=data.get("remote_invitation", False),
    )


def question_spec_from(data: dict) -> QuestionSpec:
    kind = data["kind"]
    texts = data.get(options_path(kind), [])
    return QuestionSpec(
        kind=kind,
        text=data["text"],
        description=data.get("description", ""),
        options=[OptionSpec(text=t) for t in texts],
        max_choices=data.get("max_choices"),
        scale_min=data.get("min"),
        scale_max=data.get("max"),
        min_label=data.get("min_label", ""),
        max_label=data.get("max_label", ""),
        budget_total=data.get("total"),
        budget_unit=data.get("unit", ""),
        max_length=data.get("max_length", {K.OPEN_TEXT: 500, K.QNA: QNA_LENGTH_DEFAULT}.get(kind)),
        participants_may_add=data.get("participants_may_add", False),
        max_proposals=data.get("max_proposals", PROPOSALS_DEFAULT),
        level=data.get("level", ""),
        promise=data.get("promise", ""),
        qna_names=data.get("names", False),
        qna_premoderate=data.get("premoderate", True),
        qna_upvotes=data.get("upvotes", True),
        panel=list(data.get("panel", [])),
        evaluation=bool(data.get("evaluation", False)),
    )


def is_date(value: str) -> bool:
    try:
        return isinstance(parse_date(value), date)
    except ValueError:
        return False


def is_moment(value: str) -> bool:
    try:
        return parse_moment(value) is not None
    except ValueError:
        return False
