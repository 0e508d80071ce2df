"""Every result-bearing row checked against the log entries that made it.

The hash chain proves that the log was not changed; this proves that the rows the results
are counted from say what the log says. Reading the log once from the start, it works out
what every row must be now:

- each answer (``Response``): its question, participant, source, statement, number,
  chosen options with their values (``ResponseItem``) and written text, from the
  ``response.counted`` / ``response.held`` or ``paper.counted`` entry that made it; its
  status from every later entry that changed it (``supersedes``, ``superseded``,
  ``held``, ``restored``, ``paper.voided``, ``card.resolved``); its moderation state;
- each paper entry (``SheetEntry``): the answers logged when it was recorded;
- each show-of-hands count (``HandCount``): the rows of its ``hands.counted`` entry;
- each proposed statement's moderation state and text;
- each kept text (``TextContent``): its commitment, and that every copy shows it; each
  erased one: empty everywhere, and named by a ``content.erased`` entry;
- votes imported from Polis: the digest their ``polis.imported`` entry holds;
- the dossier's documents and links; the timeline's steps (``Milestone``), as the last
  ``process.created`` / ``process.timeline_edited`` left them with every later
  ``process.decided`` applied.

It then reads the rows and names the first that differs. Kept apart from the chain check
(``logchain``) and from Django's ORM only where reading needs it.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from sessions_app.logchain import (
    ChainReport,
    canonical_json,
    canonical_text,
    format_time,
    text_commitment,
    verify_chain,
)
from sessions_app.models import (
    DossierDocument,
    DossierLink,
    HandCount,
    Milestone,
    Moderation,
    Option,
    PanelAnswer,
    Process,
    Response,
    ResponseItem,
    ResponseStatus,
    SheetEntry,
    TextContent,
    TextKind,
)

S = ResponseStatus
VOTES = {"agree": 1, "disagree": -1, "pass": 0, "up": 1, "withdrawn": 0}


@dataclass(frozen=True)
class RowProblem:
    """The first row that does not match the log. ``table``: ``response``,
    ``paper_entry``, ``hand_count``, ``statement`` (also a question asked to the panel),
    ``panel_answer``, ``dossier_document``, ``dossier_link``, ``milestone`` or ``text``;
    ``seq``: the log entry that vouches for the row (None when none does); ``reason``: a code
    (``not_logged``, ``missing``, ``differs``, ``status_differs``,
    ``moderation_differs``, ``text_differs``, ``commitment_mismatch``,
    ``erased_unlogged``, ``import_differs``); ``field``, ``stored`` and ``logged``: what
    differs."""

    table: str
    row_id: object
    seq: int | None
    reason: str
    field: str = ""
    stored: object = None
    logged: object = None


@dataclass
class _Answer:
    seq: int
    question: int
    participant: str | None
    source: str
    statement: int | None
    number: int | None
    items: frozenset
    #: ("commitment", hex), ("clear", text) for entries written before commitments, or None.
    text: tuple | None
    sheet: str | None = None


@dataclass
class _Expected:
    answers: dict[int, _Answer] = field(default_factory=dict)
    status: dict[int, tuple[str, int]] = field(default_factory=dict)
    moderation: dict[int, tuple[str, int]] = field(default_factory=dict)
    statements: dict[int, tuple[str, int]] = field(default_factory=dict)
    statement_text: dict[int, tuple[str, int]] = field(default_factory=dict)
    statement_author: dict[int, str] = field(default_factory=dict)
    entries: dict[int, tuple[dict, int]] = field(default_factory=dict)
    hands: dict[int, tuple[dict, int]] = field(default_factory=dict)
    sheet_responses: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    sheet_participant: dict[str, str] = field(default_factory=dict)
    #: Each counted sheet's answers as logged, by sheet code.
    sheet_answers: dict[str, dict] = field(default_factory=dict)
    commitments: dict[str, int] = field(default_factory=dict)
    erased: dict[str, int] = field(default_factory=dict)
    imports: list[tuple[str, int]] = field(default_factory=list)
    #: Questions asked to the panel: (panel member, name commitment), merges, answers.
    asked: dict[int, tuple[int | None, str | None, int]] = field(default_factory=dict)
    merged: dict[int, tuple[int | None, int]] = field(default_factory=dict)
    panel_answers: dict[int, tuple[dict, int]] = field(default_factory=dict)
    #: The dossier: documents and links as logged, and those taken out.
    documents: dict[int, tuple[dict, int]] = field(default_factory=dict)
    links: dict[int, tuple[dict, int]] = field(default_factory=dict)
    removed: dict[tuple[str, int], int] = field(default_factory=dict)
    #: The timeline as logged (``{date, label, kind}`` in order), and the entry that set it.
    timeline: tuple[list, int] | None = None


def answer_shape(shown: dict) -> tuple[int | None, frozenset, tuple | None]:
    """What an answer as logged stores: (number, items, text)."""
    items: Iterable = ()
    number = None
    if "option" in shown:
        items = [(shown["option"], 1)]
    elif "options" in shown:
        items = [(o, 1) for o in shown["options"]]
    elif "ranking" in shown:
        items = [(o, rank) for rank, o in enumerate(shown["ranking"], start=1)]
    elif "allocation" in shown:
        items = [(int(o), amount) for o, amount in shown["allocation"].items()]
    elif "value" in shown:
        number = shown["value"]
    elif "vote" in shown:
        number = VOTES[shown["vote"]]
    text = None
    if shown.get("text_commitment"):
        text = ("commitment", shown["text_commitment"])
    elif shown.get("text"):
        text = ("clear", shown["text"])
    return number, frozenset(items), text


def _set_status(expected: _Expected, ids: Iterable, status: str, seq: int) -> None:
    for pk in ids or ():
        expected.status[pk] = (status, seq)


def _commitments_in(value, seq: int, found: dict[str, int]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_commitment") and isinstance(item, str):
                found.setdefault(item, seq)
            else:
                _commitments_in(item, seq, found)
    elif isinstance(value, list):
        for item in value:
            _commitments_in(item, seq, found)


def expected_from(entries: Iterable[tuple[int, str, str, dict]]) -> _Expected:
    """Replay ``(seq, actor, action, data)`` entries in order."""
    e = _Expected()
    for seq, actor, action, data in entries:
        replay(e, seq, actor, action, data)
    return e


def replay(
    e: _Expected, seq: int, actor: str, action: str, data: dict, text: str | None = None
) -> None:
    """What one entry says the rows must be (``_Expected``, updated in place). ``text``:
    the entry's data as stored, when at hand (most entries name no commitment, which the
    text shows at a glance)."""
    if text is None or "_commitment" in text:
        _commitments_in(data, seq, e.commitments)
    if action in ("response.counted", "response.held"):
        pk = data["response"]
        number, items, text = answer_shape(data["answer"])
        e.answers[pk] = _Answer(
            seq,
            data["question"],
            data["participant"],
            data.get("source", "online"),
            data["answer"].get("statement"),
            number,
            items,
            text,
        )
        held = action == "response.held"
        e.status[pk] = (S.HELD if held else S.COUNTED, seq)
        if "supersedes" in data:
            _set_status(e, [data["supersedes"]], S.SUPERSEDED, seq)
        if not held and data.get("card_conflict") is not None:
            _set_status(e, [data["card_conflict"]], S.SUPERSEDED, seq)
        if text is not None:
            e.moderation[pk] = (Moderation.PENDING, seq)
    elif action == "paper.counted" and "responses" in data:
        _paper_counted(e, seq, data)
    elif (
        action
        in (
            "paper.entered",
            "paper.verified",
            "paper.conflict",
            "paper.resolved",
            "paper.reviewed",
        )
        and "answers" in data
    ):
        e.entries[data["entry"]] = (data["answers"], seq)
    elif action == "paper.voided":
        _set_status(e, e.sheet_responses.get(data["sheet"], ()), S.VOIDED, seq)
        _set_status(e, data.get("restored"), S.COUNTED, seq)
        author = e.sheet_participant.get(data["sheet"])
        for statement, (state, _seq) in list(e.statements.items()):
            if state == Moderation.PENDING and e.statement_author.get(statement) == author:
                e.statements[statement] = (Moderation.HIDDEN, seq)
    elif action == "card.resolved":
        _set_status(e, [data["response"]], S.COUNTED if data["counted"] else S.REJECTED, seq)
        _set_status(e, data.get("superseded"), S.SUPERSEDED, seq)
    elif action == "participant.card":
        _set_status(e, data.get("held"), S.HELD, seq)
        _set_status(e, data.get("superseded"), S.SUPERSEDED, seq)
    elif action == "statement.proposed":
        pk = data["statement"]
        e.statements[pk] = (Moderation.PENDING, seq)
        e.statement_author[pk] = actor.removeprefix("participant:")
        if data.get("text_commitment"):
            e.statement_text[pk] = (data["text_commitment"], seq)
    elif action == "qna.asked":
        pk = data["asked"]
        e.statements[pk] = (Moderation.APPROVED if data.get("shown") else Moderation.PENDING, seq)
        e.statement_author[pk] = actor.removeprefix("participant:")
        if data.get("text_commitment"):
            e.statement_text[pk] = (data["text_commitment"], seq)
        e.asked[pk] = (data.get("panel_member"), data.get("name_commitment"), seq)
        e.merged[pk] = (None, seq)
    elif action == "qna.merged":
        for pk in (data["asked"], *data.get("also_moved", ())):
            e.merged[pk] = (data["into"], seq)
    elif action == "qna.answered":
        e.panel_answers[data["answer"]] = (data, seq)
    elif action == "dossier.document_added":
        e.documents[data["document"]] = (data, seq)
    elif action == "dossier.link_added":
        e.links[data["link"]] = (data, seq)
    elif action == "dossier.removed":
        key = ("document", data["document"]) if "document" in data else ("link", data["link"])
        e.removed[key] = seq
    elif action == "process.created" and "timeline" in data:
        e.timeline = (_steps(data["timeline"]), seq)
    elif action == "process.timeline_edited":
        e.timeline = (_steps(data["after"]), seq)
    elif action == "process.decided":
        from sessions_app.services.dossier import decision_timeline

        steps = e.timeline[0] if e.timeline else []
        e.timeline = (decision_timeline(steps, day=data["date"], summary=data["summary"]), seq)
    elif action in ("moderation.approved", "moderation.hidden"):
        state = Moderation.APPROVED if action.endswith("approved") else Moderation.HIDDEN
        if "response" in data:
            e.moderation[data["response"]] = (state, seq)
        elif "statement" in data:
            e.statements[data["statement"]] = (state, seq)
    elif action == "hands.counted":
        for row in data.get("rows", ()):
            e.hands[row["id"]] = (row, seq)
    elif action == "content.erased":
        for commitment in data["commitments"]:
            e.erased[commitment] = seq
    elif action == "polis.imported" and "responses_digest" in data:
        e.imports.append((data["responses_digest"], seq))


def _steps(timeline: list) -> list[dict]:
    """Timeline steps as logged; entries written before steps had a type mean ``other``."""
    return [
        {"date": step["date"], "label": step["label"], "kind": step.get("kind", "other")}
        for step in timeline
    ]


def _paper_counted(e: _Expected, seq: int, data: dict) -> None:
    """A sheet's answers, matched to the rows it made by question (and statement)."""
    sheet, participant = data["sheet"], data["participant"]
    e.sheet_participant[sheet] = participant
    e.entries.setdefault(data["entry"], (data["answers"], seq))
    e.sheet_responses[sheet].extend(data["responses"])
    held = set(data.get("held", ()))
    for pk in data["responses"]:
        e.status[pk] = (S.HELD if pk in held else S.COUNTED, seq)
    _set_status(e, data.get("superseded"), S.SUPERSEDED, seq)
    # Which row is which answer is read from the rows (``_paper_match``).
    for pk in data["responses"]:
        e.answers[pk] = _Answer(seq, 0, participant, "paper", None, None, frozenset(), None, sheet)
    e.sheet_answers[sheet] = data["answers"]


def _paper_expected(logged: dict, question: int, statement: int | None) -> tuple | None:
    """The (number, items, text) a paper row for ``question`` / ``statement`` must have,
    from its sheet's logged answers; None when the sheet has no such answer."""
    shown = logged.get(str(question))
    if shown is None:
        return None
    if "votes" in shown:
        vote = shown["votes"].get(str(statement))
        return None if vote is None else (VOTES[vote], frozenset(), None)
    return answer_shape(shown)


RESPONSE_FIELDS = (
    "id",
    "question_id",
    "participant__public_id",
    "source",
    "statement_id",
    "number",
    "text",
    "status",
    "moderation",
    "sheet__code",
)


def _entries(process: Process) -> Iterator[tuple[int, str, str, dict]]:
    """The entries up to the head the process records now (not as ``process`` was read)."""
    head = Process.objects.filter(pk=process.pk).values_list("log_seq", flat=True).get()
    return (
        process.log_entries.order_by("seq")
        .filter(seq__lte=head)
        .values_list("seq", "actor", "action", "data")
        .iterator(chunk_size=2000)
    )


def rows_verify(*, process: Process, expected: _Expected | None = None) -> RowProblem | None:
    """The first row of ``process`` that does not match its log, or None. ``expected``:
    the log already replayed (``evidence_verify`` does it while checking the chain)."""
    e = expected if expected is not None else expected_from(_entries(process))
    texts = {
        row[0]: row
        for row in TextContent.objects.filter(process=process).values_list(
            "commitment",
            "salt",
            "text",
            "erased_at",
            "response_id",
            "option_id",
            "entry_id",
            "entry_question",
            "field",
            "id",
        )
    }
    for check in (
        _responses,
        _entries_check,
        _hands,
        _statements,
        _asked,
        _dossier,
        _timeline,
        _texts,
    ):
        problem = check(process, e, texts)
        if problem is not None:
            return problem
    return None


def evidence_verify(
    *, process: Process, hashes: list[str] | None = None
) -> tuple[ChainReport, RowProblem | None]:
    """The chain of ``process``'s log up to the head it recorded (as
    ``selectors.log_verify``) and, when it holds, every row against the log: the log is
    read once, and each entry is hashed as stored and replayed in the same pass.
    ``hashes``: a list that receives the entries' stored hashes in order (for
    ``checkpoints.heads_verify``)."""
    head_seq, head_hash = (
        Process.objects.filter(pk=process.pk).values_list("log_seq", "log_head").get()
    )
    e = _Expected()
    # SQLite keeps each entry's data as the canonical text that was hashed; PostgreSQL
    # keeps it as jsonb, written back in its own form, so it is serialised again.
    # Its times too are kept as text there, in UTC: read as stored, not as datetimes.
    stored_as_text = connection.vendor == "sqlite"
    entries_read = process.log_entries.filter(seq__lte=head_seq).order_by("seq")
    if stored_as_text:
        entries_read = entries_read.annotate(at=Cast("created_at", TextField()))
    rows = (
        entries_read.annotate(text=Cast("data", TextField()))
        .values_list(
            "id",
            "seq",
            "at" if stored_as_text else "created_at",
            "actor",
            "action",
            "text",
            "prev_hash",
            "hash",
        )
        .iterator(chunk_size=5000)
    )

    def entries():
        for pk, seq, created, actor, action, text, prev, digest in rows:
            data = json.loads(text)
            replay(e, seq, actor, action, data, text)
            if hashes is not None:
                hashes.append(digest)
            yield {
                "id": pk,
                "seq": seq,
                "at": _sqlite_time(created) if stored_as_text else format_time(created),
                "actor": actor,
                "action": action,
                "data_text": text if stored_as_text else canonical_text(data),
                "prev": prev,
                "hash": digest,
            }

    report = verify_chain(process.slug, entries())
    if report.ok and (report.count != head_seq or report.head != (head_hash or report.head)):
        missing = report.count < head_seq
        report = replace(
            report,
            ok=False,
            broken_seq=report.count + 1 if missing else report.count,
            reason="head_mismatch",
        )
    if not report.ok:
        return report, None
    return report, rows_verify(process=process, expected=e)


def export_rows_verify(data: dict) -> RowProblem | None:
    """The first answer or show-of-hands count of an export (the open data's
    ``responses`` and ``hand_counts``) that does not match the export's own log, or None:
    results recounted from rows changed together with them still match the log only if
    the rows do. Written texts are checked against their commitments apart
    (``texts_check``); the export's log must hold its chain (``verify_chain``)."""
    e = expected_from(
        (entry["seq"], entry["actor"], entry["action"], entry["data"])
        for entry in data.get("log", [])
    )
    responses = data.get("responses", [])
    rows = (
        (
            r["id"],
            r["question"],
            r["participant"],
            r["source"],
            r["statement"],
            r["number"],
            r["text"],
            r["status"],
            r["moderation"] or "",
            r["sheet"],
        )
        for r in responses
    )
    items = {r["id"]: {tuple(item) for item in r["items"]} for r in responses}
    problem = _responses_check(rows, items, e)
    if problem is not None:
        return problem
    return _hands_check(
        (
            (h["id"], h["option"], h["scale_value"], h["count"], h["replaces"])
            for h in data.get("hand_counts", [])
        ),
        e,
    )


def _sqlite_time(stored: str) -> str:
    """A time as SQLite keeps it (``YYYY-MM-DD HH:MM:SS[.ffffff]``, UTC) in the chain's
    form (``format_time``)."""
    if len(stored) == 19:
        stored += ".000000"
    return f"{stored[:10]}T{stored[11:26]}Z"


def _items_of(process: Process) -> dict[int, set]:
    found: dict[int, set] = defaultdict(set)
    for response, option, value in ResponseItem.objects.filter(
        response__question__session__process=process
    ).values_list("response_id", "option_id", "value"):
        found[response].add((option, value))
    return found


def _text_of(texts: dict, commitment: str) -> str | None:
    row = texts.get(commitment)
    return None if row is None else row[2]


def _responses(process: Process, e: _Expected, texts: dict) -> RowProblem | None:
    by_response_text = {row[4]: row for row in texts.values() if row[4] and row[8] == TextKind.TEXT}
    rows = Response.objects.filter(question__session__process=process).order_by("id")

    def text_check(pk, seq, text, wanted):
        return _text_check(pk, seq, text, wanted, texts, by_response_text)

    return _responses_check(
        rows.values_list(*RESPONSE_FIELDS).iterator(chunk_size=2000),
        _items_of(process),
        e,
        text_check,
    )


def _responses_check(rows, items: dict, e: _Expected, text_check=None) -> RowProblem | None:
    """``rows`` (``RESPONSE_FIELDS``, in id order) against the log replayed (``e``);
    ``items``: each row's (option, value) pairs by id; ``text_check(pk, seq, text,
    wanted)``: a written text's problem, if any (None: texts are not looked at here)."""
    seen = set()
    imported = []
    for (
        pk,
        question,
        participant,
        source,
        statement,
        number,
        text,
        status,
        moderation,
        sheet,
    ) in rows:
        logged = e.answers.get(pk)
        mine = frozenset(items.get(pk, ()))
        if logged is None:
            imported.append((pk, participant, statement, number, status))
            continue
        seen.add(pk)

        def differs(name, stored, wanted, logged=logged, pk=pk):
            return RowProblem("response", pk, logged.seq, "differs", name, stored, wanted)

        if logged.sheet is not None:
            shape = _paper_expected(e.sheet_answers[logged.sheet], question, statement)
            if shape is None:
                return differs("question", question, None)
            if sheet != logged.sheet:
                return differs("sheet", sheet, logged.sheet)
            want_number, want_items, want_text = shape
            if logged.participant != participant:
                return differs("participant", participant, logged.participant)
            if source != "paper":
                return differs("source", source, "paper")
        else:
            want_number, want_items, want_text = logged.number, logged.items, logged.text
            for name, stored, wanted in (
                ("question", question, logged.question),
                ("participant", participant, logged.participant),
                ("source", source, logged.source),
                ("statement", statement, logged.statement),
            ):
                if stored != wanted:
                    return differs(name, stored, wanted)
        if number != want_number:
            return differs("number", number, want_number)
        if mine != want_items:
            return differs(
                "items", [list(i) for i in sorted(mine)], [list(i) for i in sorted(want_items)]
            )
        problem = None if text_check is None else text_check(pk, logged.seq, text, want_text)
        if problem is not None:
            return problem
        want_status, status_seq = e.status.get(pk, (S.COUNTED, logged.seq))
        if status != want_status:
            return RowProblem(
                "response", pk, status_seq, "status_differs", "status", status, want_status
            )
        if pk in e.moderation:
            want, moderation_seq = e.moderation[pk]
            if moderation != want:
                return RowProblem(
                    "response",
                    pk,
                    moderation_seq,
                    "moderation_differs",
                    "moderation",
                    moderation,
                    want,
                )
    for pk, logged in e.answers.items():
        if pk not in seen:
            return RowProblem("response", pk, logged.seq, "missing")
    return _imports_check(e, imported)


def _text_check(pk, seq, text, wanted, texts, by_response_text) -> RowProblem | None:
    if wanted is None:
        if text:
            return RowProblem("response", pk, seq, "text_differs", "text", text, None)
        return None
    how, value = wanted
    if how == "clear":
        return (
            None
            if text == value
            else RowProblem("response", pk, seq, "text_differs", "text", text, value)
        )
    kept = _text_of(texts, value)
    if kept is None:
        return RowProblem("text", value, seq, "missing")
    if text != kept:
        return RowProblem("response", pk, seq, "text_differs", "text", text, kept)
    if by_response_text.get(pk, (value,))[0] != value:
        return RowProblem(
            "response", pk, seq, "text_differs", "commitment", by_response_text[pk][0], value
        )
    return None


def imported_digest(rows: Iterable[tuple]) -> str:
    """The digest ``polis.imported`` holds of the votes it stored: the SHA-256 of the
    canonical JSON list of ``[id, participant, statement, number, status]`` in id order."""
    return hashlib.sha256(canonical_json(sorted(list(r) for r in rows))).hexdigest()


def _imports_check(e: _Expected, imported: list[tuple]) -> RowProblem | None:
    if not imported:
        return None
    if not e.imports:
        return RowProblem("response", imported[0][0], None, "not_logged")
    digest, seq = e.imports[-1]
    if imported_digest(imported) != digest:
        return RowProblem("response", None, seq, "import_differs")
    return None


def _entries_check(process: Process, e: _Expected, texts: dict) -> RowProblem | None:
    by_entry: dict[int, dict] = defaultdict(dict)
    for row in texts.values():
        if row[6]:
            by_entry[row[6]][(row[7], row[8])] = row[0]
    seen = set()
    for pk, answers in (
        SheetEntry.objects.filter(sheet__session__process=process)
        .order_by("id")
        .values_list("id", "answers")
        .iterator(chunk_size=2000)
    ):
        if pk not in e.entries:
            return RowProblem("paper_entry", pk, None, "not_logged")
        seen.add(pk)
        logged, seq = e.entries[pk]
        shown = {}
        for key, answer in answers.items():
            shown[key] = dict(answer)
            for name in (TextKind.TEXT, TextKind.PROPOSAL):
                commitment = by_entry[pk].get((int(key), name))
                if commitment is None:
                    continue
                kept = _text_of(texts, commitment)
                if shown[key].pop(name, "") != kept:
                    return RowProblem("paper_entry", pk, seq, "text_differs", name)
                shown[key][f"{name}_commitment"] = commitment
        if shown != logged:
            return RowProblem("paper_entry", pk, seq, "differs", "answers", shown, logged)
    for pk, (_answers, seq) in e.entries.items():
        if pk not in seen:
            return RowProblem("paper_entry", pk, seq, "missing")
    return None


def _hands(process: Process, e: _Expected, texts: dict) -> RowProblem | None:
    return _hands_check(
        HandCount.objects.filter(question__session__process=process)
        .order_by("id")
        .values_list("id", "option_id", "scale_value", "count", "replaces_id"),
        e,
    )


def _hands_check(rows, e: _Expected) -> RowProblem | None:
    """Show-of-hands ``rows`` (id, option, scale value, count, the count it replaces)
    against the log replayed (``e``)."""
    seen = set()
    for pk, option, value, count, replaces in rows:
        if pk not in e.hands:
            return RowProblem("hand_count", pk, None, "not_logged")
        seen.add(pk)
        row, seq = e.hands[pk]
        for name, stored in (
            ("option", option),
            ("value", value),
            ("count", count),
            ("replaces", replaces),
        ):
            if row[name] != stored:
                return RowProblem("hand_count", pk, seq, "differs", name, stored, row[name])
    for pk, (_row, seq) in e.hands.items():
        if pk not in seen:
            return RowProblem("hand_count", pk, seq, "missing")
    return None


def _statements(process: Process, e: _Expected, texts: dict) -> RowProblem | None:
    wanted = set(e.statements) | set(e.statement_text)
    found = {
        pk: (moderation, text)
        for pk, moderation, text in Option.objects.filter(pk__in=wanted).values_list(
            "pk", "moderation", "text"
        )
    }
    for pk in sorted(wanted):
        if pk not in found:
            seq = (e.statements.get(pk) or e.statement_text[pk])[1]
            return RowProblem("statement", pk, seq, "missing")
        moderation, text = found[pk]
        if pk in e.statements and moderation != e.statements[pk][0]:
            state, seq = e.statements[pk]
            return RowProblem(
                "statement", pk, seq, "moderation_differs", "moderation", moderation, state
            )
        if pk in e.statement_text:
            commitment, seq = e.statement_text[pk]
            kept = _text_of(texts, commitment)
            if kept is None:
                return RowProblem("text", commitment, seq, "missing")
            if text != kept:
                return RowProblem("statement", pk, seq, "text_differs", "text", text, kept)
    return None


def _asked(process: Process, e: _Expected, texts: dict) -> RowProblem | None:
    """Questions asked to the panel: whom they address, the asker's name, merges, and
    the panel's answers."""
    found = {
        pk: rest
        for pk, *rest in Option.objects.filter(pk__in=set(e.asked) | set(e.merged)).values_list(
            "pk", "panel_member_id", "display_name", "merged_into_id"
        )
    }
    for pk, (member, name_commitment, seq) in sorted(e.asked.items()):
        if pk not in found:
            return RowProblem("statement", pk, seq, "missing")
        stored_member, name, merged_into = found[pk]
        if stored_member != member:
            return RowProblem(
                "statement", pk, seq, "differs", "panel_member", stored_member, member
            )
        wanted = _text_of(texts, name_commitment) if name_commitment else ""
        if name != wanted:
            return RowProblem("statement", pk, seq, "text_differs", "display_name", name, wanted)
        into, merge_seq = e.merged.get(pk, (None, seq))
        if merged_into != into:
            return RowProblem(
                "statement", pk, merge_seq, "differs", "merged_into", merged_into, into
            )
    seen = set()
    for pk, asked, mode, text, due in (
        PanelAnswer.objects.filter(asked__question__session__process=process)
        .order_by("id")
        .values_list("id", "asked_id", "mode", "text", "due")
    ):
        if pk not in e.panel_answers:
            return RowProblem("panel_answer", pk, None, "not_logged")
        seen.add(pk)
        logged, seq = e.panel_answers[pk]
        for name, stored, wanted in (
            ("asked", asked, logged["asked"]),
            ("mode", mode, logged["mode"]),
            ("text", text, logged["text"]),
            ("due", due.isoformat() if due else None, logged["due"]),
        ):
            if stored != wanted:
                return RowProblem("panel_answer", pk, seq, "differs", name, stored, wanted)
    for pk, (_row, seq) in e.panel_answers.items():
        if pk not in seen:
            return RowProblem("panel_answer", pk, seq, "missing")
    return None


def _dossier(process: Process, e: _Expected, texts: dict) -> RowProblem | None:
    """The dossier's documents and links against their log entries: what was published,
    whether it was taken out, and each document's file against its logged SHA-256."""
    from sessions_app.services.dossier import document_path

    for table, rows, logged, fields in (
        (
            "dossier_document",
            DossierDocument.objects.filter(process=process).order_by("id"),
            e.documents,
            ("title", "kind", "date", "sha256", "size", "content_type", "summary"),
        ),
        (
            "dossier_link",
            DossierLink.objects.filter(process=process).order_by("id"),
            e.links,
            ("title", "url", "date", "summary"),
        ),
    ):
        key = table.removeprefix("dossier_")
        seen = set()
        for row in rows:
            if row.pk not in logged:
                return RowProblem(table, row.pk, None, "not_logged")
            seen.add(row.pk)
            data, seq = logged[row.pk]
            for name in fields:
                stored = getattr(row, name)
                stored = stored.isoformat() if name == "date" else stored
                if stored != data.get(name):
                    return RowProblem(table, row.pk, seq, "differs", name, stored, data.get(name))
            removed_seq = e.removed.get((key, row.pk))
            if (row.removed_at is not None) != (removed_seq is not None):
                return RowProblem(
                    table,
                    row.pk,
                    removed_seq or seq,
                    "differs",
                    "removed",
                    row.removed_at is not None,
                    removed_seq is not None,
                )
            if table == "dossier_document":
                path = document_path(row)
                if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() != row.sha256:
                    return RowProblem(table, row.pk, seq, "differs", "file", None, row.sha256)
        for pk, (_data, seq) in logged.items():
            if pk not in seen:
                return RowProblem(table, pk, seq, "missing")
    return None


def _timeline(process: Process, e: _Expected, texts: dict) -> RowProblem | None:
    """The timeline's steps, in order, against the log (``_Expected.timeline``)."""
    rows = list(
        Milestone.objects.filter(process=process)
        .order_by("position", "id")
        .values_list("id", "date", "label", "kind")
    )
    logged, seq = e.timeline if e.timeline is not None else ([], None)
    for index, (pk, day, label, kind) in enumerate(rows):
        if index >= len(logged):
            return RowProblem("milestone", pk, None, "not_logged")
        want = logged[index]
        for name, stored in (("date", day.isoformat()), ("label", label), ("kind", kind)):
            if stored != want[name]:
                return RowProblem("milestone", pk, seq, "differs", name, stored, want[name])
    if len(logged) > len(rows):
        return RowProblem("milestone", len(rows) + 1, seq, "missing")
    return None


def _texts(process: Process, e: _Expected, texts: dict) -> RowProblem | None:
    for commitment, seq in e.commitments.items():
        if commitment not in texts:
            return RowProblem("text", commitment, seq, "missing")
    for commitment, salt, text, erased_at, *_rest in sorted(texts.values(), key=lambda r: r[9]):
        seq = e.commitments.get(commitment)
        if seq is None:
            return RowProblem("text", commitment, None, "not_logged")
        if erased_at is None:
            if text_commitment(salt, text) != commitment:
                return RowProblem("text", commitment, seq, "commitment_mismatch")
        elif text or salt:
            return RowProblem("text", commitment, seq, "differs", "erased")
        elif commitment not in e.erased:
            return RowProblem("text", commitment, seq, "erased_unlogged")
    return None


TABLES = {
    "response": lambda: _("answer"),
    "paper_entry": lambda: _("paper entry"),
    "hand_count": lambda: _("hand count"),
    "statement": lambda: _("statement"),
    "panel_answer": lambda: _("panel answer"),
    "dossier_document": lambda: _("dossier document"),
    "dossier_link": lambda: _("dossier link"),
    "milestone": lambda: _("timeline step"),
    "text": lambda: _("text"),
}

REASONS = {
    "not_logged": lambda: _("no log entry made it"),
    "missing": lambda: _("the log made it, but it is not there"),
    "differs": lambda: _("it differs from the log"),
    "status_differs": lambda: _("its status differs from the log"),
    "moderation_differs": lambda: _("its moderation differs from the log"),
    "text_differs": lambda: _("its text differs from the text the log vouches for"),
    "commitment_mismatch": lambda: _("its text does not match the log's commitment"),
    "erased_unlogged": lambda: _("it was erased without a log entry saying so"),
    "import_differs": lambda: _("the imported votes differ from the digest the log holds"),
}


def describe(problem: RowProblem) -> str:
    """One sentence naming the row, the entry that vouches for it and what differs."""
    what = TABLES.get(problem.table, lambda: problem.table)()
    text = _("%(what)s %(id)s") % {"what": what, "id": problem.row_id}
    if problem.seq is not None:
        text += " " + _("(log entry %(seq)d)") % {"seq": problem.seq}
    text += ": " + REASONS.get(problem.reason, lambda: problem.reason)()
    if problem.field:
        text += " " + _("(%(field)s: stored %(stored)s, logged %(logged)s)") % {
            "field": problem.field,
            "stored": _shown(problem.stored),
            "logged": _shown(problem.logged),
        }
    return text


def _shown(value) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"
