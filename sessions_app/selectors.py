"""Reads. Keyword-only and typed; they return querysets, plain rows or reports."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.dateparse import parse_date

from .logchain import ChainReport, format_time, verify_chain
from .models import (
    EntryState,
    FollowUp,
    HandCount,
    Invitation,
    LiveSession,
    LogEntry,
    Moderation,
    OpinionMapState,
    Option,
    PaperSheet,
    Process,
    ProcessState,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Role,
    SessionState,
    SheetEntry,
    SheetReading,
    SheetState,
    StaffRole,
)
from .opinion.groups import OpinionMap, opinion_map


def processes_for_user(*, user) -> QuerySet[Process]:
    """Processes on which ``user`` has any role, newest first."""
    return Process.objects.filter(staff_roles__user=user).distinct().order_by("-created_at")


def roles_by_process(*, user) -> dict[int, list[str]]:
    roles: dict[int, list[str]] = {}
    for process_id, role in StaffRole.objects.filter(user=user).values_list("process_id", "role"):
        roles.setdefault(process_id, []).append(role)
    return roles


#: How recent a running session's start, or an opening or closing of one of its
#: questions, must be for it to count as one a teller is at work on; how long after its
#: end a session whose paper counting is still open counts so; and how long after its
#: planned start a session that has not started still counts as coming
#: (``teller_landing_session``).
TELLER_LANDING_WINDOW = timedelta(hours=24)


def teller_landing_session(*, user, now=None) -> LiveSession | None:
    """The one session a teller is at work on, for the page a login lands on; None when
    the account is not a teller only, or when there is no single such session.

    Only for an account whose every role is teller (no organiser, facilitator or reviewer
    role on any process) and that may not start processes. Among the sessions of the
    processes it tells for (not closed): the one that is *open now*: running (live) and
    not forgotten, that is, planned to start within the last ``TELLER_LANDING_WINDOW``
    or with a question opened or closed within it (a session left running last week is
    not tonight's); or ended less than ``TELLER_LANDING_WINDOW`` ago with its paper
    counting still open. With none open, the *next coming* one: not started, with the
    earliest planned start that is at most ``TELLER_LANDING_WINDOW`` ago (or later). Two
    open at once, or two coming at the same earliest start, is no single session:
    None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser or user.is_staff or user.has_perm("sessions_app.organise"):
        return None
    roles = set(StaffRole.objects.filter(user=user).values_list("role", flat=True))
    if roles != {Role.TELLER}:
        return None
    now = now or timezone.now()
    since = now - TELLER_LANDING_WINDOW
    sessions = LiveSession.objects.filter(
        process__staff_roles__user=user, process__staff_roles__role=Role.TELLER
    ).exclude(process__state=ProcessState.CLOSED)
    recent_questions = Question.objects.filter(session=OuterRef("pk")).filter(
        Q(opened_at__range=(since, now)) | Q(closed_at__range=(since, now))
    )
    open_now = list(
        sessions.filter(
            Q(state=SessionState.LIVE, starts_at__range=(since, now))
            | Q(Exists(recent_questions), state=SessionState.LIVE)
            | Q(state=SessionState.ENDED, paper_closed_at__isnull=True, ended_at__gte=since)
        )
        .distinct()
        .order_by("starts_at", "id")[:2]
    )
    if open_now:
        return open_now[0] if len(open_now) == 1 else None
    coming = list(
        sessions.filter(state=SessionState.PLANNED, starts_at__gte=since)
        .distinct()
        .order_by("starts_at", "id")[:2]
    )
    if not coming or (len(coming) == 2 and coming[1].starts_at == coming[0].starts_at):
        return None
    return coming[0]


def public_processes() -> QuerySet[Process]:
    return Process.objects.exclude(state=ProcessState.DRAFT).order_by("-published_at")


def process_agenda(*, process: Process) -> list[LiveSession]:
    """Sessions in agenda order with their questions and options, in three queries."""
    return list(
        process.sessions.prefetch_related(
            Prefetch("questions", queryset=Question.objects.prefetch_related("options"))
        )
    )


def process_staff(*, process: Process) -> QuerySet[StaffRole]:
    return process.staff_roles.select_related("user").order_by("role", "user__username")


def open_invitations(*, process: Process) -> QuerySet[Invitation]:
    return process.invitations.filter(accepted_at__isnull=True).order_by("-created_at")


def process_follow_ups(*, process: Process) -> list[FollowUp]:
    """The follow-ups of a process, newest decision first, each with its question."""
    return list(
        FollowUp.objects.filter(process=process)
        .select_related("question__session")
        .order_by("-decided_on", "-created_at", "-id")
    )


def dossier_shown(*, process: Process) -> dict:
    """What the process's dossier shows now, on the public page and in the council report:
    ``documents`` and ``links`` not taken out of it, newest first, and ``decision``: the
    council's decision as last recorded, read from the log (``process.decided``:
    ``date``, ``summary``, ``url``), or None."""
    entry = (
        LogEntry.objects.filter(process=process, action="process.decided")
        .order_by("-seq")
        .values_list("data", flat=True)
        .first()
    )
    decision = None
    if entry is not None:
        decision = {
            "date": parse_date(entry["date"]),
            "summary": entry["summary"],
            "url": entry["url"],
        }
    return {
        "documents": list(process.documents.filter(removed_at__isnull=True)),
        "links": list(process.links.filter(removed_at__isnull=True)),
        "decision": decision,
    }


def written_answers(*, process: Process, public: bool = False) -> list[dict]:
    """The questions to the panel whose answer was promised in writing, with the promise
    and (once given) the written answer: ``asked`` (the Option), ``text`` (the question's,
    "" once erased), ``hidden`` (``public``: a question not approved, or hidden after it
    was answered, keeps its text off the public page), ``due``, ``overdue``, ``answer``
    (the written answer's text, or ""), ``answered_on``. Due dates first."""
    from .models import PanelAnswer, PanelAnswerMode

    latest: dict[int, PanelAnswer] = {}
    promised: dict[int, PanelAnswer] = {}
    for answer in (
        PanelAnswer.objects.filter(asked__question__session__process=process)
        .select_related("asked__question")
        .order_by("id")
    ):
        latest[answer.asked_id] = answer
        if answer.mode == PanelAnswerMode.IN_WRITING:
            promised[answer.asked_id] = answer
    today = timezone.localdate()
    found = []
    for asked_id, promise in promised.items():
        now = latest[asked_id]
        written = now.mode == PanelAnswerMode.WRITTEN
        if now.mode not in (PanelAnswerMode.IN_WRITING, PanelAnswerMode.WRITTEN):
            continue  # answered otherwise later (in the room, or a summary)
        hidden = public and promise.asked.moderation != Moderation.APPROVED
        found.append(
            {
                "asked": promise.asked,
                "text": "" if hidden else promise.asked.text,
                "hidden": hidden,
                "due": promise.due if not written else (now.due or promise.due),
                "overdue": not written and promise.due < today,
                "answer": now.text if written else "",
                "answered_on": timezone.localdate(now.created_at) if written else None,
            }
        )
    return sorted(found, key=lambda item: (item["due"], item["asked"].pk))


def process_log(*, process: Process) -> QuerySet[LogEntry]:
    return LogEntry.objects.filter(process=process).order_by("seq")


def log_chain_rows(*, process: Process, upto: int) -> Iterator[dict]:
    """The log's entries up to ``seq`` ``upto``, in order, as the chain hashes them
    (``at`` in UTC), read in chunks; each also has its row ``id``."""
    for row in (
        process_log(process=process)
        .filter(seq__lte=upto)
        .values("id", "seq", "created_at", "actor", "action", "data", "prev_hash", "hash")
        .iterator(chunk_size=2000)
    ):
        yield {
            "id": row["id"],
            "seq": row["seq"],
            "at": format_time(row["created_at"]),
            "actor": row["actor"],
            "action": row["action"],
            "data": row["data"],
            "prev": row["prev_hash"],
            "hash": row["hash"],
        }


def log_verify(*, process: Process) -> ChainReport:
    """Recompute the chain of ``process`` from the stored rows, up to the head the process
    recorded (entries appended while this runs are left for the next check).

    Besides the chain itself, the last entry must be that head, so a log cut short at its
    end fails too (reason ``head_mismatch``).
    """
    head_seq, head_hash = (
        Process.objects.filter(pk=process.pk).values_list("log_seq", "log_head").get()
    )
    report = verify_chain(process.slug, log_chain_rows(process=process, upto=head_seq))
    if report.ok and (report.count != head_seq or report.head != (head_hash or report.head)):
        missing = report.count < head_seq
        return replace(
            report,
            ok=False,
            broken_seq=report.count + 1 if missing else report.count,
            reason="head_mismatch",
        )
    return report


#: A question to the panel that waits for a facilitator and is shown to its asker only
#: (``participant_answers``, and the snapshots' ``realtime.snapshots._qna_waiting``):
#: pending, and not erased (an erased one has nothing to show).
ASKED_WAITING = Q(moderation=Moderation.PENDING) & ~Q(text="")


def participant_answers(participant) -> dict:
    """The participant's counting answers in this session, in the realtime protocol's
    answer shapes; statements as ``{statement id: vote}``; a Q&A round as ``{asked id:
    "up" | "withdrawn", "own": [ids of the participant's own questions], "waiting": [{"id",
    "text"} of those that wait for a facilitator]}``."""
    from .answers import UPVOTE_NAMES, VOTE_NAMES

    rows = (
        Response.objects.filter(participant=participant, status=ResponseStatus.COUNTED)
        .select_related("question")
        .prefetch_related("items")
    )
    answers: dict[str, object] = {}
    for question_id, asked_id, waits, text in (
        Option.objects.filter(author=participant, question__kind=QuestionKind.QNA)
        .annotate(waits=ExpressionWrapper(ASKED_WAITING, output_field=BooleanField()))
        .values_list("question_id", "pk", "waits", "text")
    ):
        # A Q&A round: the phone's own questions (marked, and not upvoted by it), and
        # those still waiting for a facilitator (shown to their asker only).
        round_ = answers.setdefault(str(question_id), {})
        round_.setdefault("own", []).append(asked_id)
        if waits:
            round_.setdefault("waiting", []).append({"id": asked_id, "text": text})
    for response in rows:
        question = response.question
        if question.kind == QuestionKind.QNA:
            answers.setdefault(str(question.pk), {})[str(response.statement_id)] = UPVOTE_NAMES[
                response.number
            ]
            continue
        if question.kind == QuestionKind.STATEMENTS:
            answers.setdefault(str(question.pk), {})[str(response.statement_id)] = VOTE_NAMES[
                response.number
            ]
            continue
        answers[str(question.pk)] = response_answer(response)
    return answers


def response_answer(response: Response) -> dict:
    """One stored answer in the protocol's shape; a statement vote as ``{"votes":
    {statement id: vote}}`` (the shape ``describe_answer`` reads)."""
    from .answers import UPVOTE_NAMES, VOTE_NAMES, Answer

    if response.question.kind == QuestionKind.STATEMENTS:
        return {"votes": {str(response.statement_id): VOTE_NAMES[response.number]}}
    if response.question.kind == QuestionKind.QNA:
        return {"votes": {str(response.statement_id): UPVOTE_NAMES[response.number]}}
    answer = Answer(
        items=tuple((item.option_id, item.value) for item in response.items.all()),
        number=response.number,
        text=response.text,
    )
    return answer.as_json(response.question.kind)


MODERATION_QUEUE_LIMIT = 50


def moderation_queue(session: LiveSession) -> dict:
    """Open answers and proposed statements waiting for a facilitator, oldest first."""
    texts = (
        Response.objects.filter(
            question__session=session, moderation=Moderation.PENDING, status=ResponseStatus.COUNTED
        )
        .order_by("created_at", "id")
        .values("pk", "question_id", "text")[:MODERATION_QUEUE_LIMIT]
    )
    statements = (
        Option.objects.filter(question__session=session, moderation=Moderation.PENDING)
        .order_by("created_at", "id")
        .values("pk", "question_id", "text")[:MODERATION_QUEUE_LIMIT]
    )
    return {
        "texts": [{"id": t["pk"], "question": t["question_id"], "text": t["text"]} for t in texts],
        "statements": [
            {"id": s["pk"], "question": s["question_id"], "text": s["text"]} for s in statements
        ],
    }


def form_rows(*, session: LiveSession, qna_cards: bool = False) -> dict:
    """Plain data about a session for its paper form (``printables.layout``): its
    questions, without its Q&A rounds; ``qna_cards``: its Q&A rounds only, for the
    question cards residents write a question to the panel on."""
    questions = []
    agenda = session.questions.order_by("position", "id").prefetch_related("options", "panel")
    agenda = (
        agenda.filter(kind=QuestionKind.QNA) if qna_cards else agenda.exclude(kind=QuestionKind.QNA)
    )
    for question in agenda:
        approved = [
            {"id": o.pk, "text": o.text}
            for o in question.options.all()
            if o.moderation == Moderation.APPROVED
        ]
        row = {
            "id": question.pk,
            "kind": question.kind,
            "text": question.text,
            "description": question.description,
        }
        if question.kind == QuestionKind.STATEMENTS:
            row["statements"] = approved
            row["participants_may_add"] = question.participants_may_add
        elif question.kind == QuestionKind.QNA:
            # A question card: a writing area and a tick row of the panel (what residents
            # ask during the evening is never printed).
            row["panel"] = [
                {"id": m.pk, "text": f"{m.name}, {m.role}" if m.role else m.name}
                for m in question.panel.all()
            ]
        elif approved:
            row["options"] = approved
        row.update(
            {
                key: value
                for key, value in (
                    ("max_choices", question.max_choices),
                    ("min", question.scale_min),
                    ("max", question.scale_max),
                    ("min_label", question.min_label),
                    ("max_label", question.max_label),
                    ("total", question.budget_total),
                    ("max_length", question.max_length),
                )
                if value not in (None, "")
            }
        )
        questions.append(row)
    return {"process": session.process.title, "session": session.title, "questions": questions}


def paper_reconciliation(*, session: LiveSession) -> dict:
    """How many sheets were printed and where they are now. ``being_read``: handed in and
    read from a picture, not yet entered (pages still to come, waiting for review, or set
    aside for a teller to type), the rest of the sheets still printed being
    ``not_returned``. ``verified`` is the part of ``counted`` that two entries gave alike
    (two tellers, or the reader and a teller) or a reviewer settled."""
    by_state = dict(session.sheets.order_by().values_list("state").annotate(n=Count("id")))
    being_read = (
        session.sheets.filter(
            state=SheetState.PRINTED,
            readings__status__in=[
                SheetReading.Status.PAGES,
                SheetReading.Status.REVIEW,
                SheetReading.Status.DROPPED,
            ],
        )
        .distinct()
        .count()
    )
    return {
        "printed": sum(by_state.values()),
        "not_returned": by_state.get(SheetState.PRINTED, 0) - being_read,
        "being_read": being_read,
        "entered": by_state.get(SheetState.ENTERED, 0),
        "verified": session.sheets.filter(state=SheetState.COUNTED, verified=True).count(),
        "conflict": by_state.get(SheetState.CONFLICT, 0),
        "counted": by_state.get(SheetState.COUNTED, 0),
        "voided": by_state.get(SheetState.VOIDED, 0),
    }


def sheets_in_conflict(*, session: LiveSession):
    """Sheets whose two entries differ, each with its entries for side-by-side review and
    ``differs``: the question ids (as strings) where they do."""
    sheets = list(
        session.sheets.filter(state=SheetState.CONFLICT)
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=SheetEntry.objects.filter(state=EntryState.CONFLICT).select_related(
                    "teller", "reading"
                ),
            )
        )
        .order_by("serial")
    )
    for sheet in sheets:
        entries = list(sheet.entries.all())
        keys = set().union(*(entry.answers.keys() for entry in entries)) if entries else set()
        sheet.differs = {
            key for key in keys if len({repr(e.answers.get(key)) for e in entries}) > 1
        }
    return sheets


def held_responses(*, session: LiveSession):
    """Answers held because the same attendee card had already answered, each with
    ``answer`` (what it says) and ``counted``: the card's answer that counts now (with its
    own ``answer``), to compare side by side."""
    held = list(
        Response.objects.filter(question__session=session, status=ResponseStatus.HELD)
        .select_related("question", "card")
        .prefetch_related("items", "question__options")
        .order_by("created_at")[:100]
    )
    counted = {
        (r.question_id, r.card_id, r.statement_id): r
        for r in Response.objects.filter(
            question__session=session,
            status=ResponseStatus.COUNTED,
            card_id__in={r.card_id for r in held},
        )
        .select_related("question")
        .prefetch_related("items")
    }
    for response in held:
        response.answer = response_answer(response)
        response.counted = counted.get(
            (response.question_id, response.card_id, response.statement_id)
        )
        if response.counted is not None:
            response.counted.answer = response_answer(response.counted)
    return held


def question_votes(question: Question) -> list[tuple[int, int, int]]:
    """(participant, statement, vote) of every counted vote on a statements question
    (phones and paper alike; a changed vote has already superseded the earlier one),
    oldest first."""
    return list(
        Response.objects.filter(
            question=question, status=ResponseStatus.COUNTED, statement__isnull=False
        )
        .order_by("created_at", "id")
        .values_list("participant_id", "statement_id", "number")
    )


def question_statements(question: Question) -> list[tuple[int, str]]:
    """(statement, moderation) of each of the question's statements, in order."""
    return list(question.options.order_by("position", "id").values_list("pk", "moderation"))


def question_map(
    question: Question,
    *,
    previous: Mapping[int, int] | None = None,
    k_state: Mapping | None = None,
) -> OpinionMap:
    """The map of ``question`` (a statements question) computed here and now, participants
    keyed by their row id, hidden statements left out; ``previous`` is the last map's
    labels, for stable group colours, and ``k_state`` its number of groups smoothed."""
    if question.kind != QuestionKind.STATEMENTS:
        raise ValueError("only a statements question has an opinion map")
    statements = question_statements(question)
    return opinion_map(
        question_votes(question),
        statements=[pk for pk, _moderation in statements],
        hidden=[pk for pk, moderation in statements if moderation == Moderation.HIDDEN],
        previous=previous,
        k_state=k_state,
    )


def stored_map(question_id: int) -> dict | None:
    """The question's live map as last stored (``services.opinion.map_store``), or None."""
    return (
        OpinionMapState.objects.filter(question_id=question_id)
        .values_list("data", flat=True)
        .first()
    )


def map_signatures(question_ids: list[int]) -> list[tuple[int, str]]:
    """(question, signature) of each of these questions that has a stored opinion map."""
    if not question_ids:
        return []
    return list(
        OpinionMapState.objects.filter(question_id__in=question_ids).values_list(
            "question_id", "signature"
        )
    )


def participation(**where) -> dict[int, dict[str, int]]:
    """How many took part, per session id, among the counted responses that match
    ``where`` (``question__session=…`` or ``question__session__process=…``): distinct
    participants on a phone in the room and remote, distinct paper forms counted. Hands
    have no identity, so they are not here (the outputs take the largest show of hands on
    one question). The console, the council report and the session report all count so."""
    from .results import channel

    found: dict[int, dict[str, int]] = {}
    rows = (
        Response.objects.filter(status=ResponseStatus.COUNTED, **where)
        .values("question__session_id", "source", "participant__joined_via")
        .annotate(people=Count("participant", distinct=True), sheets=Count("sheet", distinct=True))
        .order_by()
    )
    for row in rows:
        counts = found.setdefault(row["question__session_id"], {"room": 0, "remote": 0, "paper": 0})
        where_from = channel(row["source"], row["participant__joined_via"])
        counts[where_from] += row["sheets"] if where_from == "paper" else row["people"]
    return found


def session_participation(*, session: LiveSession) -> dict[str, int]:
    """``participation`` of one session."""
    return participation(question__session=session).get(
        session.pk, {"room": 0, "remote": 0, "paper": 0}
    )


@dataclass(frozen=True)
class SessionDay:
    """The day a session was planned for and the day it was held, both local to the
    installation's time zone (``TIME_ZONE``, as every time in the outputs). ``held`` is
    None while the session has not run. The council's outputs say the planned day, or,
    when the session was held on another day (``moved``), both days."""

    planned: date
    held: date | None

    @property
    def moved(self) -> bool:
        """Held, and on another day than planned."""
        return self.held is not None and self.held != self.planned


def session_day(
    *,
    starts_at: datetime,
    first_opened: datetime | None,
    ended_at: datetime | None,
    counted: bool = False,
) -> SessionDay:
    """Which day a session was held: the day its first question was opened (a question
    keeps the time it was first opened, even when opened again later), or, when none was
    ever opened, the day the session was ended, but only when something of it was
    ``counted`` (``sessions_counted``: answers, a show of hands, paper forms entered); a
    session ended without any of that (called off from the console) was not held, and
    neither was one never run: None. The one rule every output follows
    (``session_days`` reads the times and the counts for it)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    ran = first_opened or (ended_at if counted else None)
    return SessionDay(
        planned=starts_at.astimezone(zone).date(),
        held=ran.astimezone(zone).date() if ran else None,
    )


def sessions_counted(*, session_ids: Iterable[int]) -> set[int]:
    """Which of ``session_ids`` have anything counted: an answer to one of their
    questions (a ``Response``, whatever its state), a show of hands (a ``HandCount``), or
    a paper form entered (``services.hands.ENTERED_SHEETS``: typed or read, not voided).
    One query."""
    from .services.hands import ENTERED_SHEETS  # services import the selectors

    ids = list(session_ids)
    if not ids:
        return set()
    session = OuterRef("pk")
    return set(
        LiveSession.objects.filter(pk__in=ids)
        .filter(
            Exists(Response.objects.filter(question__session=session))
            | Exists(HandCount.objects.filter(question__session=session))
            | Exists(PaperSheet.objects.filter(session=session, state__in=ENTERED_SHEETS))
        )
        .values_list("pk", flat=True)
    )


def session_days(*, sessions: Iterable[LiveSession]) -> dict[int, SessionDay]:
    """``session_day`` of each of ``sessions``, by session id, in at most two queries: the
    first openings, and what was counted of the sessions ended without one (only then)."""
    sessions = list(sessions)
    opened = dict(
        Question.objects.filter(session__in=[s.pk for s in sessions], opened_at__isnull=False)
        .order_by()
        .values("session_id")
        .annotate(first=Min("opened_at"))
        .values_list("session_id", "first")
    )
    counted = sessions_counted(
        session_ids=[s.pk for s in sessions if s.pk not in opened and s.ended_at is not None]
    )
    return {
        s.pk: session_day(
            starts_at=s.starts_at,
            first_opened=opened.get(s.pk),
            ended_at=s.ended_at,
            counted=s.pk in counted,
        )
        for s in sessions
    }


def log_chain_page(*, process: Process, after: int, upto: int) -> list[dict]:
    """The log's entries with ``after`` < ``seq`` ≤ ``upto``, in order, as the chain
    hashes them (``log_chain_rows``' shape, without the row id): a page of the public
    log's JSON."""
    return [
        {
            "seq": row["seq"],
            "at": format_time(row["created_at"]),
            "actor": row["actor"],
            "action": row["action"],
            "data": row["data"],
            "prev": row["prev_hash"],
            "hash": row["hash"],
        }
        for row in process_log(process=process)
        .filter(seq__gt=after, seq__lte=upto)
        .values("seq", "created_at", "actor", "action", "data", "prev_hash", "hash")
    ]
