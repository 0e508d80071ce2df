"""Everything a council output is made of, read from the database once per export.

The small parts (the process, its sessions and questions, the results, the follow-ups)
are plain lists and dicts; the large ones (responses, hand counts, log entries) are
iterators over streamed queries (2,000 rows a fetch), so an export of a hundred thousand
responses keeps its memory flat. Times are ISO 8601 in the process's time zone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from sessions_app import results as results_module
from sessions_app.design import panel_to_list, process_fields_to_dict, timeline_to_list
from sessions_app.models import (
    FollowUp,
    HandCount,
    Moderation,
    Option,
    PanelAnswer,
    Participant,
    Process,
    Question,
    QuestionKind,
    Response,
    ResponseItem,
    StatementOrigin,
    TextContent,
    TextKind,
)
from sessions_app.opinion.serialize import previous_k_state, previous_labels, to_data
from sessions_app.opinion.summary import group_name
from sessions_app.selectors import (
    dossier_shown,
    log_chain_rows,
    paper_reconciliation,
    participation,
    question_map,
    session_days,
    stored_map,
)

FORMAT = "inspraak.export/1"
CHUNK = 2000


@contextlib.contextmanager
def snapshot():
    """One consistent view of the database for a whole export: a transaction that only
    reads. On PostgreSQL it sees no commit made after its first read; on SQLite it begins
    DEFERRED (a read transaction of WAL), not IMMEDIATE as this project's writes do, which
    would hold the write lock, and so every answer, for the whole export."""
    outermost = not connection.in_atomic_block
    if not outermost:
        # Inside a caller's transaction (a test), the caller's view is the one there is.
        with transaction.atomic():
            yield
        return
    connection.ensure_connection()
    mode = getattr(connection, "transaction_mode", None)
    if connection.vendor == "sqlite":
        connection.transaction_mode = "DEFERRED"
    try:
        with transaction.atomic():
            if connection.vendor == "sqlite":
                connection.transaction_mode = mode  # only this BEGIN was deferred
            elif connection.vendor == "postgresql":
                # Only the transaction's first statement may set this.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield
    finally:
        if connection.vendor == "sqlite":
            connection.transaction_mode = mode


_when = results_module.local_time


def _day(value) -> str | None:
    return value.isoformat() if value else None


def process_part(process: Process) -> dict:
    """The process's fields as its design file has them, with its slug, state and dates."""
    return {
        "slug": process.slug,
        **process_fields_to_dict(process),
        "state": process.state,
        "published_at": _when(process.published_at),
        "closed_at": _when(process.closed_at),
        "timeline": timeline_to_list(process),
        "panel": panel_to_list(process),
    }


def questions_of(process: Process) -> list[Question]:
    """The process's questions in agenda order, with their sessions and options."""
    return list(
        Question.objects.filter(session__process=process)
        .select_related("session")
        .prefetch_related(
            Prefetch("options", queryset=Option.objects.order_by("position", "id")), "panel"
        )
        .order_by("session__position", "session__starts_at", "session_id", "position", "id")
    )


def sessions_part(process: Process) -> list[dict]:
    """The sessions with their times as planned and ``held_on``: the day each was held
    (``selectors.session_day``), ``YYYY-MM-DD``, or None while it has not run."""
    sessions = list(process.sessions.all())
    days = session_days(sessions=sessions)
    return [
        {
            "id": session.pk,
            "title": session.title,
            "starts_at": _when(session.starts_at),
            "ends_at": _when(session.ends_at),
            "held_on": _day(days[session.pk].held),
            "venue": session.venue,
            "mode": session.mode,
            "state": session.state,
            "paper_closed_at": _when(session.paper_closed_at),
            "paper": paper_reconciliation(session=session),
        }
        for session in sessions
    ]


def participation_part(process: Process) -> dict[int, dict[str, int]]:
    """Per session id, how many people answered from each channel
    (``selectors.participation``)."""
    return participation(question__session__process=process)


#: Statements a person wrote (a participant's own, a comment imported from Polis): their
#: text is public only once approved.
WRITTEN = (StatementOrigin.PARTICIPANT, StatementOrigin.IMPORT)


def _shown(option: Option, staff: bool) -> bool:
    return staff or option.origin not in WRITTEN or option.moderation == Moderation.APPROVED


def question_part(question: Question, *, staff: bool = False) -> dict:
    """A question and its options; a participant's statement (or question to the panel)
    that is not approved keeps its text, and its asker's display name, to the staff
    variant. A Q&A round carries its settings (``qna``) and, per asked question, whom it
    addressed, the question it was merged into and the card it was written on."""
    part = {
        "id": question.pk,
        "session": question.session_id,
        "position": question.position,
        "kind": question.kind,
        "text": question.text,
        "description": question.description,
        "state": question.state,
        "results_revealed": question.results_revealed,
        "evaluation": question.evaluation,
        "max_choices": question.max_choices,
        "scale_min": question.scale_min,
        "scale_max": question.scale_max,
        "budget_total": question.budget_total,
        "budget_unit": question.budget_unit,
        "opened_at": _when(question.opened_at),
        "closed_at": _when(question.closed_at),
        "options": [
            {
                "id": option.pk,
                "position": option.position,
                "text": option.text if _shown(option, staff) else None,
                "origin": option.origin,
                "moderation": option.moderation,
                **(
                    {
                        "display_name": option.display_name if _shown(option, staff) else None,
                        "panel_member": option.panel_member_id,
                        "merged_into": option.merged_into_id,
                        "source": "paper" if option.sheet_id else "online",
                    }
                    if question.kind == QuestionKind.QNA
                    else {}
                ),
            }
            for option in question.options.all()
        ],
    }
    if question.kind == QuestionKind.QNA:
        part["qna"] = {
            "names": question.qna_names,
            "premoderate": question.qna_premoderate,
            "upvotes": question.qna_upvotes,
            "max_length": question.max_length,
            "panel": [{"id": m.pk, "name": m.name, "role": m.role} for m in question.panel.all()],
            "pinned": question.pinned_id,
        }
    return part


def results_part(questions: list[Question]) -> list[dict]:
    """``results.question_results`` for every question: the numbers every output shows."""
    provisional: dict[int, bool] = {}
    found = []
    for question in questions:
        if question.session_id not in provisional:
            provisional[question.session_id] = results_module.paper_provisional(question.session)
        found.append(
            results_module.question_results(
                question=question,
                session=question.session,
                provisional=provisional[question.session_id],
            )
        )
    return found


def follow_ups_part(process: Process) -> list[dict]:
    return [
        {
            "id": follow_up.pk,
            "question": follow_up.question_id,
            "outcome": follow_up.outcome,
            "reasoning": follow_up.reasoning,
            "decided_on": follow_up.decided_on.isoformat(),
            "recorded_at": _when(follow_up.created_at),
        }
        for follow_up in FollowUp.objects.filter(process=process).order_by(
            "question_id", "decided_on", "id"
        )
    ]


def in_agenda_order(follow_ups: list[dict], question_ids) -> list[dict]:
    """``follow_ups`` as the council report and the workbook list them: the process as a
    whole first, then by their question's place on the agenda (``question_ids``, in
    agenda order), each question's by the date of the decision. The open data keeps the
    order of ``follow_ups_part``."""
    place = {question: index for index, question in enumerate(question_ids)}
    return sorted(
        follow_ups,
        key=lambda f: (
            f["question"] is not None,
            place.get(f["question"], len(place)),
            f["decided_on"],
            f["id"],
        ),
    )


def dossier_part(process: Process) -> dict:
    """The dossier as the public page shows it (``selectors.dossier_shown``: nothing
    taken out of it): ``documents`` (with the SHA-256 the log holds), ``links``, newest
    first, and the council's latest ``decision`` or None. Dates are ``YYYY-MM-DD``."""
    shown = dossier_shown(process=process)
    decision = shown["decision"]
    return {
        "documents": [
            {
                "id": document.pk,
                "title": document.title,
                "kind": document.kind,
                "date": document.date.isoformat(),
                "summary": document.summary,
                "alt_text": document.alt_text,
                "sha256": document.sha256,
                "content_type": document.content_type,
                "size": document.size,
            }
            for document in shown["documents"]
        ],
        "links": [
            {
                "id": link.pk,
                "title": link.title,
                "url": link.url,
                "date": link.date.isoformat(),
                "summary": link.summary,
            }
            for link in shown["links"]
        ],
        "decision": (
            {
                "date": decision["date"].isoformat() if decision["date"] else None,
                "summary": decision["summary"],
                "url": decision["url"],
            }
            if decision
            else None
        ),
    }


def panel_answers_part(process: Process) -> list[dict]:
    """Every record of the panel's answers (append-only: the latest per asked question
    stands), in the order they were made."""
    return [
        {
            "id": answer.pk,
            "asked": answer.asked_id,
            "question": answer.asked.question_id,
            "mode": answer.mode,
            "text": answer.text,
            "due": answer.due.isoformat() if answer.due else None,
            "recorded_at": _when(answer.created_at),
        }
        for answer in PanelAnswer.objects.filter(asked__question__session__process=process)
        .select_related("asked")
        .order_by("id")
    ]


#: Told how many rows of the large parts were read, a chunk at a time (see ``reporting``).
_progress: ContextVar[Callable[[int], None] | None] = ContextVar("export_progress", default=None)


@contextlib.contextmanager
def reporting(callback: Callable[[int], None]):
    """While inside, every read of responses, hand counts and log entries calls
    ``callback(rows)`` with the rows read since its last call: an export's progress."""
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


#: The address an export was asked for from (``site``), for its links when ``SITE_URL`` is
#: not set.
_site: ContextVar[str] = ContextVar("export_site", default="")


def site_address(url: str) -> str:
    """``url`` as the base of the site's addresses: its scheme, host and path, without a
    query or a trailing slash (``https://gemeente.nl/inspraak``, as ``SITE_URL`` is
    read), or "" when it is not an http(s) address with a host (a user name or password
    in it included)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    if parts.username is not None or parts.password is not None:
        return ""
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


@contextlib.contextmanager
def site(url: str):
    """While inside, ``public_url`` makes addresses on ``url``'s scheme and host (the
    address of the request that asked for the export) when ``SITE_URL`` is not set."""
    token = _site.set(site_address(url) if url else "")
    try:
        yield
    finally:
        _site.reset(token)


def public_url(path: str) -> str | None:
    """``path`` (``/p/SLUG/log/``) as a whole address a reader can type: on ``SITE_URL``,
    else on the address the export was asked for from (``site``); None when neither is
    known (a management command without ``SITE_URL`` or ``--base-url``): an output then
    leaves the link out rather than print a bare path."""
    base = settings.SITE_URL or _site.get()
    return base.rstrip("/") + path if base else None


def rows_to_read(process: Process) -> int:
    """About how many rows ``reporting`` will count for a whole export of ``process``."""
    return (
        Response.objects.filter(question__session__process=process).count()
        + HandCount.objects.filter(question__session__process=process).count()
        + process.log_seq
    )


def _counted(rows: Iterator) -> Iterator:
    report = _progress.get()
    if report is None:
        yield from rows
        return
    done = 0
    for done, row in enumerate(rows, start=1):
        if done % CHUNK == 0:
            report(CHUNK)
        yield row
    if done % CHUNK:
        report(done % CHUNK)


def _streamed(queryset, fields: tuple[str, ...]) -> Iterator[tuple]:
    """Rows of ``queryset`` as tuples, in one query read ``CHUNK`` at a time (a server-side
    cursor on PostgreSQL): flat memory, and inside ``snapshot`` one consistent view."""
    return queryset.values_list(*fields).iterator(chunk_size=CHUNK)


RESPONSE_FIELDS = (
    "id",
    "question_id",
    "participant__public_id",
    "participant__joined_via",
    "participant__external_id",
    "source",
    "statement_id",
    "number",
    "text",
    "status",
    "reject_code",
    "client_id",
    "sheet__code",
    "teller__username",
    "moderation",
    "moderation_reason",
    "moderated_at",
    "supersedes_id",
    "created_at",
    "status_changed_at",
)


def _response_texts(process: Process) -> dict[int, tuple[str, str]]:
    """Each written answer's text commitment and erasure reason (empty when kept)."""
    return {
        response: (commitment, erased)
        for response, commitment, erased in TextContent.objects.filter(
            process=process, field=TextKind.TEXT, response__isnull=False
        ).values_list("response_id", "commitment", "erased_reason")
    }


def responses(process: Process, *, staff: bool = False) -> Iterator[dict]:
    """Every response of the process, whatever its status, with its items.

    Written text is published only when a facilitator approved it; otherwise (and when
    it was erased) ``text`` is null, and ``text_commitment`` still names it. Moderation
    reasons are left out. ``staff``: the staff-only variant, with every kept text and
    reason.

    Two streamed queries in response order, the responses and their items, merged as
    they come: no query per chunk and no list of ids sent back to the database."""
    written = _response_texts(process)
    rows = _counted(
        _streamed(
            Response.objects.filter(question__session__process=process).order_by("id"),
            RESPONSE_FIELDS,
        )
    )
    items = _streamed(
        ResponseItem.objects.filter(response__question__session__process=process).order_by(
            "response_id", "option_id"
        ),
        ("response_id", "option_id", "value"),
    )
    pending = next(items, None)
    channel = results_module.channel
    for (
        response_id,
        question_id,
        public_id,
        joined_via,
        external_id,
        source,
        statement_id,
        number,
        text,
        status,
        reject_code,
        client_id,
        sheet_code,
        teller,
        moderation,
        moderation_reason,
        moderated_at,
        supersedes_id,
        created_at,
        status_changed_at,
    ) in rows:
        commitment, erased = written.get(response_id, (None, ""))
        shown = text and (staff or moderation == Moderation.APPROVED)
        found = []
        while pending is not None and pending[0] <= response_id:
            if pending[0] == response_id:
                found.append([pending[1], pending[2]])
            pending = next(items, None)
        yield {
            "id": response_id,
            "question": question_id,
            "participant": public_id,
            "external_id": external_id or None,
            "joined_via": joined_via,
            "source": source,
            "channel": channel(source, joined_via),
            "statement": statement_id,
            "number": number,
            "text": text if shown else None,
            "text_commitment": commitment,
            "text_erased": erased or None,
            "items": found,
            "status": status,
            "reject_code": reject_code or None,
            "client_id": client_id or None,
            "sheet": sheet_code,
            "teller": teller,
            "moderation": moderation or None,
            "moderation_reason": (moderation_reason or None) if staff else None,
            "moderated_at": _when(moderated_at),
            "supersedes": supersedes_id,
            "created_at": _when(created_at),
            "status_changed_at": _when(status_changed_at),
        }


HAND_COUNT_FIELDS = (
    "id",
    "question_id",
    "option_id",
    "scale_value",
    "count",
    "replaces_id",
    "entered_by__username",
    "created_at",
)


def hand_counts(process: Process) -> Iterator[dict]:
    queryset = HandCount.objects.filter(question__session__process=process).order_by("id")
    for (
        hand_id,
        question_id,
        option_id,
        scale_value,
        count,
        replaces_id,
        entered_by,
        created_at,
    ) in _counted(_streamed(queryset, HAND_COUNT_FIELDS)):
        yield {
            "id": hand_id,
            "question": question_id,
            "option": option_id,
            "scale_value": scale_value,
            "count": count,
            "replaces": replaces_id,
            "entered_by": entered_by,
            "created_at": _when(created_at),
        }


def texts_part(process: Process, *, staff: bool = False) -> list[dict]:
    """The texts behind the log's commitments that this export publishes, each with its
    salt so that anyone can check it (``logchain.text_commitment``): approved answers
    and statements (every kept text in the staff variant); an erased text as its
    commitment and the reason. Withheld texts (awaiting moderation, hidden, moderation
    reasons) are not listed: their commitments stay in the log."""
    rows = TextContent.objects.filter(process=process).order_by("id")
    approved = set(
        Response.objects.filter(
            question__session__process=process, moderation=Moderation.APPROVED
        ).values_list("pk", flat=True)
    )
    statements = set(
        Option.objects.filter(
            question__session__process=process, moderation=Moderation.APPROVED
        ).values_list("pk", flat=True)
    )
    found = []
    for commitment, kind, salt, text, erased, response, option in rows.values_list(
        "commitment", "field", "salt", "text", "erased_reason", "response_id", "option_id"
    ):
        if erased:
            found.append({"commitment": commitment, "field": kind, "erased": erased})
            continue
        public = kind != TextKind.REASON and (response in approved or option in statements)
        if staff or public:
            found.append({"commitment": commitment, "field": kind, "salt": salt, "text": text})
    return found


def log_entries(process: Process) -> Iterator[dict]:
    """The log as it is hashed (``at`` in UTC, exactly as in the chain), up to the head
    the process recorded when the export began."""
    for entry in _counted(log_chain_rows(process=process, upto=process.log_seq)):
        del entry["id"]
        yield entry


def generated_at() -> str:
    return _when(timezone.now())


def time_zone() -> str:
    return settings.TIME_ZONE


def opinion_maps_part(questions: list[Question]) -> list[dict]:
    """The opinion map of each statements question, computed from the votes in this
    snapshot (with the live map's labels, so its groups keep their letters): the groups,
    every placed participant's group and position, and the statements' figures."""
    found = []
    for question in questions:
        if question.kind != QuestionKind.STATEMENTS:
            continue
        live = stored_map(question.pk)
        computed = to_data(
            question_map(question, previous=previous_labels(live), k_state=previous_k_state(live))
        )
        ids = [int(p) for p in computed["positions"]]
        people = {
            pk: (public_id, external_id or None)
            for pk, public_id, external_id in Participant.objects.filter(pk__in=ids).values_list(
                "pk", "public_id", "external_id"
            )
        }
        found.append(
            {
                "question": question.pk,
                "reason": computed["reason"],
                "threshold": computed["threshold"],
                "voters": computed["voters"],
                "placed": computed["placed"],
                "silhouette": computed["silhouette"],
                "silhouettes": computed["silhouettes"],
                "best_k": computed.get("best_k"),
                "votes_needed": computed["votes_needed"],
                "explained_variance": computed["explained"],
                "groups": [
                    {**group, "name": group_name(group["label"])} for group in computed["groups"]
                ],
                "participants": [
                    {
                        "participant": people[int(p)][0],
                        "external_id": people[int(p)][1],
                        "group": label,
                        "x": x,
                        "y": y,
                    }
                    for p, (x, y, label) in sorted(
                        computed["positions"].items(), key=lambda kv: int(kv[0])
                    )
                ],
                "statements": computed["statements"],
                "consensus": computed["consensus"],
                "divisive": computed["divisive"],
            }
        )
    return found
