"""Paper sheets and their entry: a sheet's signed code, the questions as printed on it,
tellers' transcriptions (single or blind double entry, and the photo reader's readings)
and the moment a sheet counts. Print runs and attendee cards are ``print_runs``; review,
voiding and closing paper counting are ``reconciliation``; show of hands is ``hands``.

Paper answers go through the same answer rules (``answers.parse_answer``) as phones and
are stored by the same module (``counting``). A sheet counts at most once: the database
allows one accepted entry per sheet, and a sheet that counted refuses any further entry,
so a photocopy is caught.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from sessions_app import permissions
from sessions_app.answers import STATEMENT_MAX, QuestionRules, clean_text, parse_answer
from sessions_app.bulk import instances_by_pk, select_by_pk, select_where
from sessions_app.exceptions import InputRejected
from sessions_app.identifiers import client_id_check, normalise_code
from sessions_app.models import (
    EntryMethod,
    EntryMode,
    EntryState,
    FormLayout,
    LiveSession,
    PanelMember,
    PaperSheet,
    Process,
    ProcessState,
    Question,
    QuestionKind,
    SheetEntry,
    SheetReading,
    SheetState,
)
from sessions_app.signals import send_on_commit, session_changed

from . import counting, texts
from .log import actor_for, log_append

SIGNING_SALT = "inspraak.sheet"


# --- codes -------------------------------------------------------------------------------


def sheet_token(sheet: PaperSheet) -> str:
    """The signed form of a sheet's code, as the QR code carries it."""
    return signing.Signer(salt=SIGNING_SALT).sign(sheet.code)


def sheet_from_token(token: str) -> PaperSheet:
    """The sheet behind a QR code. Raises ``InputRejected("sheet_forged")`` for a code whose
    signature does not match and ``("unknown_sheet")`` for a valid one nobody printed."""
    try:
        code = signing.Signer(salt=SIGNING_SALT).unsign(token)
    except signing.BadSignature:
        raise InputRejected("sheet_forged") from None
    sheet = PaperSheet.objects.select_related("session__process").filter(code=code).first()
    if sheet is None:
        raise InputRejected("unknown_sheet")
    return sheet


def sheet_from_code(*, session: LiveSession, code: str) -> PaperSheet:
    """A sheet typed in by its readable code, for a teller counting ``session``.
    Raises ``unknown_sheet`` and ``sheet_other_session``."""
    sheet = (
        PaperSheet.objects.select_related("session__process")
        .filter(code=normalise_code(code))
        .first()
    )
    if sheet is None:
        raise InputRejected("unknown_sheet")
    if sheet.session_id != session.pk:
        raise InputRejected("sheet_other_session")
    return sheet


# --- entry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryOutcome:
    """``status``: ``counted``, ``waiting`` (for the second, blind entry), ``conflict``
    (the two entries differ: the facilitator reviews) or ``duplicate`` (a replay)."""

    status: str
    entry_id: int
    sheet_state: str


def sheet_questions(sheet: PaperSheet) -> list[Question]:
    """The questions as printed on this sheet, in the printed order, each with
    ``printed``: its options or statements as they were on paper. Read from the layout the
    sheet was printed with, so a later change to the agenda does not shift the paper.

    Kept per server process for each layout, and read again when any of its questions'
    revisions moved on (a design edit, a moderation): a teller's form asks for them twice
    per sheet. Each call gets its own copies, joined to the sheet's session as read now."""
    order, printed = _printed(sheet.session_id, sheet.layout_version)
    key = (sheet.session_id, sheet.layout_version)
    revisions = tuple(sorted(select_by_pk(Question, order, ("revision",))))
    held = _SHEET_QUESTIONS.get(key)
    if held is None or held[0] != revisions:
        if len(_SHEET_QUESTIONS) > 1000:
            _SHEET_QUESTIONS.clear()
        questions = {
            q.pk: q for q in Question.objects.filter(pk__in=order).prefetch_related("options")
        }
        result = []
        for question_id in order:
            question = questions.get(question_id)
            if question is None:  # removed after printing (only possible before it opened)
                continue
            options = {o.pk: o for o in question.options.all()}
            question.printed = [options[pk] for pk in printed[question_id] if pk in options]
            result.append(question)
        held = _SHEET_QUESTIONS[key] = (revisions, result)
    copies = []
    for question in held[1]:
        question = copy.copy(question)
        question.session = sheet.session
        copies.append(question)
    return copies


#: (session id, layout version) -> (its questions' (id, revision), its questions).
_SHEET_QUESTIONS: dict[tuple[int, str], tuple[tuple, list[Question]]] = {}


def caches_clear() -> None:
    """Forget the kept layouts and their questions (see ``services.caches_clear``)."""
    _SHEET_QUESTIONS.clear()
    _printed.cache_clear()


@functools.lru_cache(maxsize=64)
def _printed(session_id: int, version: str) -> tuple[list[int], dict[int, list[int]]]:
    """What a layout printed: the question ids in order and each one's options or
    statements. Cached: a layout version is a hash of its content and never changes."""
    layout = FormLayout.objects.get(session_id=session_id, version=version).data
    order: list[int] = []
    printed: dict[int, list[int]] = {}
    for page in layout["pages"]:
        for box in page["boxes"]:
            question_id = box["question"]
            if question_id not in printed:
                order.append(question_id)
                printed[question_id] = []
            target = box.get("option", box.get("statement"))
            if target is not None and target not in printed[question_id]:
                printed[question_id].append(target)
        for area in page["areas"]:
            if area["question"] not in printed:
                order.append(area["question"])
                printed[area["question"]] = []
    return order, printed


def _rules(question: Question) -> QuestionRules:
    """Paper is read against what was printed, not against later moderation."""
    return QuestionRules.of(question, options=frozenset(o.pk for o in question.printed))


def parse_sheet_answers(sheet: PaperSheet, answers, printed=None) -> dict[int, dict]:
    """Check a teller's entry against the sheet's printed questions. ``answers`` maps
    question ids to answers in the protocol's shapes; statements as ``{"votes": {statement
    id: vote}, "proposal": text}``. Blank questions are left out. Returns the normalised
    entry; raises ``InputRejected`` with the first problem. ``printed``: the sheet's
    ``sheet_questions``, when already read."""
    if not isinstance(answers, dict):
        raise InputRejected("invalid_answer")
    questions = {q.pk: q for q in printed or sheet_questions(sheet)}
    clean: dict[int, dict] = {}
    for key, raw in answers.items():
        try:
            question = questions[int(key)]
        except (KeyError, TypeError, ValueError):
            raise InputRejected("unknown_question") from None
        rules = _rules(question)
        if question.kind == QuestionKind.QNA:
            asked = _paper_question(question, raw)
            if asked:
                clean[question.pk] = asked
            continue
        if question.kind == QuestionKind.STATEMENTS:
            if not isinstance(raw, dict) or not isinstance(raw.get("votes", {}), dict):
                raise InputRejected("invalid_answer")
            votes = {
                str(parse_answer(rules, {"statement": sid, "vote": vote}).statement): vote
                for sid, vote in raw.get("votes", {}).items()
            }
            proposal = raw.get("proposal", "")
            if not isinstance(proposal, str):
                raise InputRejected("invalid_answer")
            proposal = clean_text(proposal)
            if len(proposal) > STATEMENT_MAX:
                raise InputRejected("text_too_long")
            if proposal and not question.participants_may_add:
                raise InputRejected("adding_not_allowed")
            if votes or proposal:
                clean[question.pk] = {"votes": dict(sorted(votes.items())), "proposal": proposal}
        else:
            clean[question.pk] = parse_answer(rules, raw).as_json(question.kind)
    return dict(sorted(clean.items()))


def _paper_question(question: Question, raw) -> dict | None:
    """A question to the panel written on paper, as a teller typed it: ``{"proposal":
    text, "panel_member": id or null}``; None when nothing was written (a tick alone asks
    nothing). Raises ``invalid_answer``, ``text_too_long``, ``invalid_panel_member``."""
    if not isinstance(raw, dict):
        raise InputRejected("invalid_answer")
    text = raw.get("proposal", "")
    if not isinstance(text, str):
        raise InputRejected("invalid_answer")
    text = clean_text(text)
    if not text:
        return None
    if len(text) > (question.max_length or 0):
        raise InputRejected("text_too_long")
    member = raw.get("panel_member")
    if member in (None, ""):
        member = None
    else:
        try:
            member = int(member)
        except (TypeError, ValueError):
            raise InputRejected("invalid_panel_member") from None
        if not question.panel.filter(pk=member).exists():
            raise InputRejected("invalid_panel_member")
    return {"proposal": text, "panel_member": member}


def lock_sheet(sheet: PaperSheet) -> PaperSheet:
    """The sheet read again and locked for the rest of the transaction (entries of one
    sheet are decided one at a time), with what ``sheet_check`` needs of its session and
    process read again too. Plain SQL by key: every entry passes here."""
    [locked] = instances_by_pk(PaperSheet, [sheet.pk], lock=True)
    session = sheet.session
    [(_pk, closed_at, process_id)] = select_by_pk(
        LiveSession, [session.pk], ("paper_closed_at", "process_id")
    )
    [(_pk, state)] = select_by_pk(Process, [process_id], ("state",))
    session.paper_closed_at, session.process.state = closed_at, state
    locked.session = session
    return locked


def sheet_check(sheet: PaperSheet) -> None:
    """Raise the refusal a teller would meet entering ``sheet`` now, if any."""
    if sheet.state == SheetState.VOIDED:
        raise InputRejected("sheet_voided")
    if sheet.state == SheetState.COUNTED:
        raise InputRejected("sheet_counted")
    if sheet.state == SheetState.CONFLICT:
        raise InputRejected("sheet_in_review")
    if (
        sheet.session.paper_closed_at is not None
        or sheet.session.process.state == ProcessState.CLOSED
    ):
        raise InputRejected("paper_closed")


def _replay(user, client_id: str, sheet: PaperSheet) -> EntryOutcome | None:
    found = select_where(
        SheetEntry, ("sheet_id",), [{"teller_id": user.pk, "client_id": client_id}]
    )
    if not found:
        return None
    [(entry_id, sheet_id)] = found
    if sheet_id != sheet.pk:
        raise InputRejected("invalid_client_id")  # an id already used for another form
    [(_pk, state)] = select_by_pk(PaperSheet, [sheet_id], ("state",))
    return EntryOutcome("duplicate", entry_id, state)


def sheet_entry_record(
    *,
    user,
    sheet: PaperSheet,
    answers,
    client_id: str,
    method: str = EntryMethod.MANUAL,
    session=None,
    printed=None,
) -> EntryOutcome:
    """Record one teller's transcription of a sheet.

    Single entry: the sheet counts at once. Double entry: the first entry waits; a second
    one by another teller that matches makes the sheet count; one that differs sends the
    sheet to the facilitator's review. A repeated ``client_id`` returns the first outcome.

    Raises ``AccessDenied``; ``InputRejected`` with ``invalid_client_id``,
    ``sheet_other_session`` (when ``session`` is given and differs), ``sheet_voided``,
    ``sheet_counted`` (a photocopy of a counted sheet), ``sheet_in_review``,
    ``paper_closed``, ``same_teller`` and the answer codes. ``printed``: the sheet's
    ``sheet_questions``, when the caller has read them already.
    """
    permissions.require(user, sheet.session.process, "enter_paper")
    client_id_check(client_id)
    replay = _replay(user, client_id, sheet)
    if replay is not None:
        return replay
    if session is not None and sheet.session_id != session.pk:
        raise InputRejected("sheet_other_session")
    printed = printed or sheet_questions(sheet)
    clean = parse_sheet_answers(sheet, answers, printed)
    try:
        with transaction.atomic():
            sheet = lock_sheet(sheet)
            sheet_check(sheet)
            return entry_add(
                sheet,
                clean,
                teller=user,
                actor=user,
                method=method,
                client_id=client_id,
                printed=printed,
            )
    except IntegrityError:
        # A race: the same submit twice at once, or another teller's entry counted first.
        replay = _replay(user, client_id, sheet)
        if replay is not None:
            return replay
        sheet.refresh_from_db()
        sheet_check(sheet)
        raise


def entry_add(
    sheet: PaperSheet,
    clean: dict[int, dict],
    *,
    teller,
    actor,
    method: str,
    client_id: str = "",
    printed=None,
) -> EntryOutcome:
    """Add one entry of checked answers (``parse_sheet_answers``) to a sheet that may take
    one, inside the caller's transaction with the sheet locked and checked
    (``sheet_check``): single entry counts it; double entry waits for, matches or
    conflicts with the other entry. ``teller`` None is the photo reader, whose entry is
    independent of any teller's (a teller may confirm what it read); two entries of the
    same teller are refused (``same_teller``)."""
    process = sheet.session.process
    earlier = list(sheet.entries.filter(state=EntryState.RECORDED))
    entry, logged = entry_create(
        sheet, clean, teller=teller, method=method, client_id=client_id, process=process
    )
    data = {"sheet": sheet.code, "entry": entry.pk, "method": method, "answers": logged}
    if process.entry_mode == EntryMode.SINGLE:
        count_entry(sheet, entry, actor=actor, printed=printed)
        return EntryOutcome("counted", entry.pk, sheet.state)
    if not earlier:
        sheet_state_set(sheet, SheetState.ENTERED)
        log_append(process=process, action="paper.entered", actor=actor_for(actor), data=data)
        return EntryOutcome("waiting", entry.pk, sheet.state)
    first = earlier[0]
    if teller is not None and first.teller_id == teller.pk:
        raise InputRejected("same_teller")
    if first.answers == entry.answers:
        sheet_state_set(sheet, SheetState.VERIFIED, verified=True)
        log_append(
            process=process,
            action="paper.verified",
            actor=actor_for(actor),
            data={**data, "matches": first.pk},
        )
        count_entry(sheet, first, actor=actor, second=entry, printed=printed)
        return EntryOutcome("counted", entry.pk, sheet.state)
    SheetEntry.objects.filter(pk__in=[first.pk, entry.pk]).update(state=EntryState.CONFLICT)
    sheet_state_set(sheet, SheetState.CONFLICT)
    sheet_readings_follow(sheet)
    log_append(
        process=process,
        action="paper.conflict",
        actor=actor_for(actor),
        data={**data, "other": first.pk},
    )
    _announce_conflict(sheet)
    return EntryOutcome("conflict", entry.pk, sheet.state)


def entry_create(
    sheet: PaperSheet,
    clean: dict[int, dict],
    *,
    teller,
    method: str,
    client_id: str = "",
    process=None,
) -> tuple[SheetEntry, dict]:
    """Store one entry of checked answers (``parse_sheet_answers``) and its written texts
    apart (``texts.entry_texts``); returns the entry and its answers as the log writes
    them (texts as commitments). The only place that creates a ``SheetEntry``."""
    entry = SheetEntry.objects.create(
        sheet=sheet, teller=teller, method=method, answers=json_keys(clean), client_id=client_id
    )
    process = process or sheet.session.process
    return entry, texts.entry_texts(process.pk, entry.pk, entry.answers)


def mark_verified(sheet: PaperSheet) -> None:
    """The sheet's entries were settled by a person (a facilitator's review)."""
    sheet_state_set(sheet, SheetState.VERIFIED, verified=True)


def sheet_readings_follow(sheet: PaperSheet) -> None:
    """Photo readings whose entry was accepted, set aside or put in conflict say so."""
    if not SheetReading.objects.filter(sheet=sheet).exists():
        return  # typed in: nothing to follow (most sheets)
    readings = SheetReading.objects.filter(sheet=sheet, entry__isnull=False)
    Status = SheetReading.Status
    readings.filter(entry__state=EntryState.ACCEPTED, status=Status.ENTERED).update(
        status=Status.COUNTED
    )
    readings.filter(entry__state=EntryState.CONFLICT).update(status=Status.CONFLICT)
    readings.filter(entry__state=EntryState.DISCARDED).exclude(status=Status.SETTLED).update(
        status=Status.DROPPED
    )
    if sheet.state == SheetState.VOIDED:
        readings.filter(status=Status.ENTERED).update(status=Status.DROPPED)
    if sheet.state in (SheetState.VOIDED, SheetState.COUNTED):
        # A reading still gathering pages or waiting for review is no longer needed (the
        # form was typed in, or voided): it leaves the review queue.
        SheetReading.objects.filter(sheet=sheet, status__in=[Status.PAGES, Status.REVIEW]).update(
            status=Status.DROPPED, decided_at=timezone.now()
        )


def json_keys(clean: dict[int, dict]) -> dict[str, dict]:
    return {str(k): v for k, v in clean.items()}


def sheet_state_set(sheet: PaperSheet, state: str, *, verified: bool | None = None) -> None:
    sheet.state = state
    sheet.state_changed_at = timezone.now()
    fields = {"state": state, "state_changed_at": sheet.state_changed_at}
    if verified is not None:
        sheet.verified = fields["verified"] = verified
    PaperSheet.objects.filter(pk=sheet.pk).update(**fields)


def _announce_conflict(sheet: PaperSheet) -> None:
    session = sheet.session
    send_on_commit(
        session_changed, process_id=session.process_id, session_id=session.pk, action="paper"
    )


def count_entry(
    sheet: PaperSheet,
    entry: SheetEntry,
    *,
    actor,
    second: SheetEntry | None = None,
    printed=None,
) -> None:
    """Make the sheet count from ``entry`` (``second``: the matching entry, set aside),
    inside the caller's transaction with the sheet locked: its answers are counted
    (``counting.sheet_count``) and the sheet is counted. ``actor`` is who made it count
    (the confirming teller, the facilitator)."""
    SheetEntry.objects.filter(pk=entry.pk).update(state=EntryState.ACCEPTED)
    if second is not None:
        SheetEntry.objects.filter(pk=second.pk).update(state=EntryState.DISCARDED)
    questions = {q.pk: q for q in printed or sheet_questions(sheet)}
    counted = []
    for key, raw in entry.answers.items():
        question = questions[int(key)]
        rules = _rules(question)
        if question.kind == QuestionKind.QNA:
            member = raw.get("panel_member")
            counted.append(
                counting.SheetAnswers(
                    question,
                    (),
                    raw.get("proposal", ""),
                    panel_member=PanelMember.objects.filter(pk=member).first() if member else None,
                )
            )
            continue
        if question.kind == QuestionKind.STATEMENTS:
            votes = tuple(
                parse_answer(rules, {"statement": int(sid), "vote": vote})
                for sid, vote in raw.get("votes", {}).items()
            )
            counted.append(counting.SheetAnswers(question, votes, raw.get("proposal", "")))
        else:
            counted.append(counting.SheetAnswers(question, (parse_answer(rules, raw),)))
    counting.sheet_count(sheet=sheet, entry=entry, questions=counted, actor=actor)
    sheet_state_set(sheet, SheetState.COUNTED)
    sheet_readings_follow(sheet)
