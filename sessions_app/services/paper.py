"""Paper: printing forms, tellers entering them (single or blind double entry), review of
conflicts, voiding, closing paper counting, attendee cards, and show-of-hands counts.

Paper answers go through the same answer rules (``answers.parse_answer``) and the same
storage (``responses.store_response``) as phones. A sheet counts at most once: the
database allows one accepted entry per sheet, and a sheet that counted refuses any
further entry, so a photocopy is caught.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass, replace

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from sessions_app import permissions
from sessions_app.answers import STATEMENT_MAX, QuestionRules, clean_text, parse_answer
from sessions_app.exceptions import InputRejected
from sessions_app.models import (
    AttendeeCard,
    EntryMethod,
    EntryMode,
    EntryState,
    FormLayout,
    HandCount,
    JoinedVia,
    LiveSession,
    Moderation,
    Option,
    PaperSheet,
    Participant,
    PrintBatch,
    ProcessState,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    SessionState,
    SheetEntry,
    SheetReading,
    SheetState,
    Source,
    StatementOrigin,
)
from sessions_app.models.live_session import JOIN_CODE_ALPHABET
from sessions_app.signals import question_changed, send_on_commit, session_changed

from .log import actor_for, log_append
from .participation import CLIENT_ID, _public_id
from .responses import restore_superseded, store_response

SHEET_CODE_LENGTH = 8
CARD_CODE_LENGTH = 8
SIGNING_SALT = "inspraak.sheet"
MAX_BATCH = 2000
HAND_KINDS = {QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE, QuestionKind.SCALE}
MAX_HANDS = 100_000


def _code(length: int) -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(length))


def normalise_code(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch.isalnum())


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


# --- printing ----------------------------------------------------------------------------


def layout_store(*, session: LiveSession, data: dict) -> FormLayout:
    layout, _created = FormLayout.objects.get_or_create(
        session=session,
        version=data["version"],
        defaults={"data": data, "large_print": data["large_print"]},
    )
    return layout


def print_batch_create(
    *,
    user,
    session: LiveSession,
    count: int,
    layout: FormLayout,
    with_cards: bool = False,
    client_id: str = "",
) -> PrintBatch:
    """Issue ``count`` sheets with fresh codes (and attendee cards, one per sheet) for a
    print run; the PDF is made afterwards. A repeated ``client_id`` (a double click)
    returns the first run. Raises ``AccessDenied``, ``InputRejected("invalid_count")`` and
    ``("session_ended")``. ``user`` None is the ``print_forms`` command."""
    if user is not None:
        permissions.require(user, session.process, "facilitate")
    if client_id and user is not None:
        earlier = PrintBatch.objects.filter(created_by=user, client_id=client_id).first()
        if earlier is not None:
            return earlier
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_BATCH:
        raise InputRejected("invalid_count")
    if session.process.state == ProcessState.CLOSED:
        raise InputRejected("session_ended")
    try:
        return _print_batch_insert(user, session, count, layout, with_cards, client_id)
    except IntegrityError:
        # The same client id raced in from a second click: that run stands.
        earlier = PrintBatch.objects.filter(created_by=user, client_id=client_id).first()
        if earlier is None:
            raise
        return earlier


def _print_batch_insert(user, session, count, layout, with_cards, client_id) -> PrintBatch:
    with transaction.atomic():
        # One print run at a time per session, so serial numbers never collide.
        LiveSession.objects.select_for_update(no_key=True).filter(pk=session.pk).exists()
        batch = PrintBatch.objects.create(
            session=session,
            count=count,
            large_print=layout.large_print,
            with_cards=with_cards,
            created_by=user,
            client_id=client_id if user is not None else "",
        )
        first = (
            PaperSheet.objects.filter(session=session).aggregate(m=Max("serial"))["m"] or 0
        ) + 1
        cards = _issue_cards(session, count) if with_cards else [None] * count
        codes = _fresh_codes(PaperSheet, count, SHEET_CODE_LENGTH)
        PaperSheet.objects.bulk_create(
            PaperSheet(
                session=session,
                code=code,
                serial=first + index,
                layout_version=layout.version,
                large_print=layout.large_print,
                batch=batch,
                card=card,
            )
            for index, (code, card) in enumerate(zip(codes, cards, strict=True))
        )
        log_append(
            process=session.process,
            action="paper.printed",
            actor=actor_for(user),
            data={
                "session": session.pk,
                "batch": batch.pk,
                "count": count,
                "serials": [first, first + count - 1],
                "layout": layout.version,
                "large_print": layout.large_print,
                "cards": with_cards,
            },
        )
    # Printed forms make results provisional: screens should say so at once.
    send_on_commit(
        session_changed, process_id=session.process_id, session_id=session.pk, action="printed"
    )
    return batch


def print_batch_failed(batch: PrintBatch, error: str) -> None:
    """A print run could not be made: its sheets were never printed, so they are voided
    (and so out of the reconciliation's "not returned")."""
    with transaction.atomic():
        serials = list(batch.sheets.order_by("serial").values_list("serial", flat=True))
        batch.sheets.filter(state=SheetState.PRINTED).update(
            state=SheetState.VOIDED, void_reason="print run failed", state_changed_at=timezone.now()
        )
        PrintBatch.objects.filter(pk=batch.pk).update(
            state=PrintBatch.State.FAILED, error=error[:500], finished_at=timezone.now()
        )
        log_append(
            process=batch.session.process,
            action="paper.print_failed",
            actor="system",
            data={"batch": batch.pk, "serials": [serials[0], serials[-1]] if serials else []},
        )


def _fresh_codes(model, count: int, length: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {_code(length) for _ in range(count - len(codes))}
        taken = set(model.objects.filter(code__in=wanted).values_list("code", flat=True))
        codes |= wanted - taken
    return sorted(codes)


def _issue_cards(session: LiveSession, count: int) -> list[AttendeeCard]:
    codes = _fresh_codes(AttendeeCard, count, CARD_CODE_LENGTH)
    return AttendeeCard.objects.bulk_create(
        AttendeeCard(session=session, code=code) for code in codes
    )


def cards_issue(*, user, session: LiveSession, count: int) -> list[AttendeeCard]:
    """Make ``count`` attendee cards with personal codes. Raises ``AccessDenied`` and
    ``InputRejected("invalid_count")``."""
    permissions.require(user, session.process, "facilitate")
    if not isinstance(count, int) or not 1 <= count <= MAX_BATCH:
        raise InputRejected("invalid_count")
    with transaction.atomic():
        cards = _issue_cards(session, count)
        log_append(
            process=session.process,
            action="cards.issued",
            actor=actor_for(user),
            data={"session": session.pk, "count": count},
        )
    return cards


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
    sheet was printed with, so a later change to the agenda does not shift the paper."""
    order, printed = _printed(sheet.session_id, sheet.layout_version)
    questions = {
        q.pk: q
        for q in Question.objects.filter(pk__in=order)
        .select_related("session__process")
        .prefetch_related("options")
    }
    result = []
    for question_id in order:
        question = questions.get(question_id)
        if question is None:  # removed after printing (only possible before it opened)
            continue
        options = {o.pk: o for o in question.options.all()}
        question.printed = [options[pk] for pk in printed[question_id] if pk in options]
        result.append(question)
    return result


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
    return replace(QuestionRules.of(question), options=frozenset(o.pk for o in question.printed))


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


def lock_sheet(sheet: PaperSheet) -> PaperSheet:
    """The sheet read again and locked for the rest of the transaction (entries of one
    sheet are decided one at a time)."""
    return (
        PaperSheet.objects.select_for_update(of=("self",), no_key=True)
        .select_related("session__process", "card")
        .get(pk=sheet.pk)
    )


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
    entry = (
        SheetEntry.objects.filter(teller=user, client_id=client_id).select_related("sheet").first()
    )
    if entry is None:
        return None
    if entry.sheet_id != sheet.pk:
        raise InputRejected("invalid_client_id")  # an id already used for another form
    return EntryOutcome("duplicate", entry.pk, entry.sheet.state)


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
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise InputRejected("invalid_client_id")
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
    entry = SheetEntry.objects.create(
        sheet=sheet, teller=teller, method=method, answers=_json_keys(clean), client_id=client_id
    )
    data = {"sheet": sheet.code, "entry": entry.pk, "method": method}
    if process.entry_mode == EntryMode.SINGLE:
        count_entry(sheet, entry, actor=actor, printed=printed)
        return EntryOutcome("counted", entry.pk, sheet.state)
    if not earlier:
        _set_state(sheet, SheetState.ENTERED)
        log_append(process=process, action="paper.entered", actor=actor_for(actor), data=data)
        return EntryOutcome("waiting", entry.pk, sheet.state)
    first = earlier[0]
    if teller is not None and first.teller_id == teller.pk:
        raise InputRejected("same_teller")
    if first.answers == entry.answers:
        _set_state(sheet, SheetState.VERIFIED, verified=True)
        log_append(
            process=process,
            action="paper.verified",
            actor=actor_for(actor),
            data={**data, "matches": first.pk},
        )
        count_entry(sheet, first, actor=actor, second=entry, printed=printed)
        return EntryOutcome("counted", entry.pk, sheet.state)
    SheetEntry.objects.filter(pk__in=[first.pk, entry.pk]).update(state=EntryState.CONFLICT)
    _set_state(sheet, SheetState.CONFLICT)
    _readings_follow(sheet)
    log_append(
        process=process,
        action="paper.conflict",
        actor=actor_for(actor),
        data={**data, "other": first.pk, "answers": [first.answers, entry.answers]},
    )
    _announce(sheet)
    return EntryOutcome("conflict", entry.pk, sheet.state)


def mark_verified(sheet: PaperSheet) -> None:
    """The sheet's entries were settled by a person (a facilitator's review)."""
    _set_state(sheet, SheetState.VERIFIED, verified=True)


def _readings_follow(sheet: PaperSheet) -> None:
    """Photo readings whose entry was accepted, set aside or put in conflict say so."""
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


def _json_keys(clean: dict[int, dict]) -> dict[str, dict]:
    return {str(k): v for k, v in clean.items()}


def _set_state(sheet: PaperSheet, state: str, *, verified: bool | None = None) -> None:
    sheet.state = state
    sheet.state_changed_at = timezone.now()
    fields = {"state": state, "state_changed_at": sheet.state_changed_at}
    if verified is not None:
        sheet.verified = fields["verified"] = verified
    PaperSheet.objects.filter(pk=sheet.pk).update(**fields)


def _announce(sheet: PaperSheet, question_ids=()) -> None:
    session = sheet.session
    if not question_ids:
        send_on_commit(
            session_changed, process_id=session.process_id, session_id=session.pk, action="paper"
        )
    for question_id in question_ids:
        send_on_commit(
            question_changed,
            process_id=session.process_id,
            session_id=session.pk,
            question_id=question_id,
            action="paper",
        )


def count_entry(
    sheet: PaperSheet,
    entry: SheetEntry,
    *,
    actor,
    second: SheetEntry | None = None,
    printed=None,
) -> None:
    """Make the sheet count from ``entry``: a participant stands for the sheet, each
    answered question becomes a paper response (with the entry's teller), the sheet is
    counted. ``actor`` is who made it count (the confirming teller, the facilitator)."""
    process = sheet.session.process
    SheetEntry.objects.filter(pk=entry.pk).update(state=EntryState.ACCEPTED)
    if second is not None:
        SheetEntry.objects.filter(pk=second.pk).update(state=EntryState.DISCARDED)
    participant = Participant.objects.create(
        session=sheet.session, public_id=_public_id(), joined_via=JoinedVia.PAPER, card=sheet.card
    )
    PaperSheet.objects.filter(pk=sheet.pk).update(participant=participant)
    questions = {q.pk: q for q in printed or sheet_questions(sheet)}
    teller = entry.teller
    held = []

    def store(question, answer):
        stored = store_response(
            question=question,
            participant=participant,
            answer=answer,
            source=Source.PAPER,
            sheet=sheet,
            sheet_entry=entry,
            teller=teller,
        )
        if stored.held:
            held.append(stored.response.pk)

    for key, raw in entry.answers.items():
        question = questions[int(key)]
        rules = _rules(question)
        if question.kind == QuestionKind.STATEMENTS:
            for sid, vote in raw.get("votes", {}).items():
                store(question, parse_answer(rules, {"statement": int(sid), "vote": vote}))
            if raw.get("proposal"):
                Option.objects.create(
                    question=question,
                    position=question.options.count() + 1,
                    text=raw["proposal"],
                    origin=StatementOrigin.PARTICIPANT,
                    author=participant,
                    moderation=Moderation.PENDING,
                )
            continue
        store(question, parse_answer(rules, raw))
    _set_state(sheet, SheetState.COUNTED)
    _readings_follow(sheet)
    log_append(
        process=process,
        action="paper.counted",
        actor=actor_for(actor),
        data={
            "sheet": sheet.code,
            "entry": entry.pk,
            "teller": teller.get_username() if teller else None,
            "participant": participant.public_id,
            "card": sheet.card.code if sheet.card_id else None,
            "answers": entry.answers,
            "held": held,
        },
    )
    _announce(sheet, [int(key) for key in entry.answers] or ())


# --- review, voiding, closing --------------------------------------------------------------


def sheet_conflict_resolve(
    *, user, sheet: PaperSheet, entry_id: int | None = None, answers=None
) -> EntryOutcome:
    """Settle a sheet in conflict: accept one of its entries, or the facilitator's own
    reading (``answers``). The other entries are discarded. Raises ``AccessDenied`` and
    ``InputRejected("sheet_not_in_review")`` and the answer codes."""
    permissions.require(user, sheet.session.process, "facilitate")
    with transaction.atomic():
        sheet = lock_sheet(sheet)
        if sheet.state != SheetState.CONFLICT:
            raise InputRejected("sheet_not_in_review")
        entries = list(sheet.entries.filter(state=EntryState.CONFLICT))
        if answers is not None:
            chosen = SheetEntry.objects.create(
                sheet=sheet,
                teller=user,
                method=EntryMethod.RESOLUTION,
                answers=_json_keys(parse_sheet_answers(sheet, answers)),
            )
        else:
            chosen = next((e for e in entries if e.pk == entry_id), None)
            if chosen is None:
                raise InputRejected("sheet_not_in_review")
        SheetEntry.objects.filter(pk__in=[e.pk for e in entries if e.pk != chosen.pk]).update(
            state=EntryState.DISCARDED
        )
        _set_state(sheet, SheetState.VERIFIED, verified=True)
        log_append(
            process=sheet.session.process,
            action="paper.resolved",
            actor=actor_for(user),
            data={"sheet": sheet.code, "entry": chosen.pk, "method": chosen.method},
        )
        count_entry(sheet, chosen, actor=user)
    return EntryOutcome("counted", chosen.pk, sheet.state)


def sheet_void(*, user, sheet: PaperSheet, reason: str) -> PaperSheet:
    """Take a sheet out of the count, with a reason (a spoiled form, a duplicate). Its
    answers, if it had counted, become ``voided``; answers of the same attendee card that
    it had replaced count again; a statement it proposed is hidden. Raises
    ``AccessDenied`` and ``InputRejected("reason_required")`` / ``("sheet_voided")``."""
    permissions.require(user, sheet.session.process, "facilitate")
    reason = clean_text(reason or "")[:500]
    if not reason:
        raise InputRejected("reason_required")
    with transaction.atomic():
        sheet = lock_sheet(sheet)
        if sheet.state == SheetState.VOIDED:
            raise InputRejected("sheet_voided")
        active = list(
            Response.objects.filter(
                sheet=sheet, status__in=[ResponseStatus.COUNTED, ResponseStatus.HELD]
            ).values_list("pk", "question_id")
        )
        Response.objects.filter(sheet=sheet).exclude(status=ResponseStatus.VOIDED).update(
            status=ResponseStatus.VOIDED, status_changed_at=timezone.now()
        )
        restored = restore_superseded([pk for pk, _question in active])
        if sheet.participant_id:
            Option.objects.filter(
                author_id=sheet.participant_id, moderation=Moderation.PENDING
            ).update(moderation=Moderation.HIDDEN, moderation_reason=reason)
        PaperSheet.objects.filter(pk=sheet.pk).update(void_reason=reason)
        sheet.void_reason = reason
        _set_state(sheet, SheetState.VOIDED)
        _readings_follow(sheet)
        log_append(
            process=sheet.session.process,
            action="paper.voided",
            actor=actor_for(user),
            data={
                "sheet": sheet.code,
                "reason": reason,
                "answers_voided": len(active),
                "restored": restored,
            },
        )
        _announce(sheet, sorted({question for _pk, question in active}))
    return sheet


def paper_close(*, user, session: LiveSession, reopen: bool = False) -> LiveSession:
    """Close (or reopen) paper counting for a session; while open, results are marked
    provisional. Closing waits until no form or card answer awaits review. Raises
    ``AccessDenied``, ``InputRejected("paper_review_pending")`` and ``("paper_closed")``
    (reopening on a closed process)."""
    permissions.require(user, session.process, "facilitate")
    closed_at = None if reopen else timezone.now()
    if (session.paper_closed_at is None) == (closed_at is None):
        return session
    if reopen and session.process.state == ProcessState.CLOSED:
        raise InputRejected("paper_closed")
    if not reopen and (
        session.sheets.filter(state=SheetState.CONFLICT).exists()
        or SheetReading.objects.filter(
            sheet__session=session, status=SheetReading.Status.REVIEW
        ).exists()
        or Response.objects.filter(question__session=session, status=ResponseStatus.HELD).exists()
    ):
        raise InputRejected("paper_review_pending")
    with transaction.atomic():
        LiveSession.objects.filter(pk=session.pk).update(paper_closed_at=closed_at)
        session.paper_closed_at = closed_at
        log_append(
            process=session.process,
            action="paper.reopened" if reopen else "paper.closed",
            actor=actor_for(user),
            data={"session": session.pk},
        )
    send_on_commit(
        session_changed, process_id=session.process_id, session_id=session.pk, action="paper"
    )
    return session


def card_conflict_resolve(*, user, response: Response, keep_new: bool) -> Response:
    """Settle an answer held because the same attendee card already answered: count the
    held one (the other is superseded) or reject it. Either way the person counts once.
    Raises ``AccessDenied`` and ``InputRejected("not_held")``."""
    question = response.question
    permissions.require(user, question.session.process, "facilitate")
    with transaction.atomic():
        response = Response.objects.select_for_update(no_key=True).get(pk=response.pk)
        if response.status != ResponseStatus.HELD:
            raise InputRejected("not_held")
        now = timezone.now()
        other = Response.objects.filter(
            question=question,
            card_id=response.card_id,
            statement_id=response.statement_id,
            status=ResponseStatus.COUNTED,
        )
        if keep_new:
            earlier = other.values_list("pk", flat=True).first()
            other.update(status=ResponseStatus.SUPERSEDED, status_changed_at=now)
            Response.objects.filter(pk=response.pk).update(
                status=ResponseStatus.COUNTED, status_changed_at=now, supersedes_id=earlier
            )
        else:
            Response.objects.filter(pk=response.pk).update(
                status=ResponseStatus.REJECTED, reject_code="card_duplicate", status_changed_at=now
            )
        log_append(
            process=question.session.process,
            action="card.resolved",
            actor=actor_for(user),
            data={"question": question.pk, "response": response.pk, "counted": keep_new},
        )
    send_on_commit(
        question_changed,
        process_id=question.session.process_id,
        session_id=question.session_id,
        question_id=question.pk,
        action="card",
    )
    response.refresh_from_db()
    return response


# --- show of hands -------------------------------------------------------------------------


def hand_count_record(
    *, user, question: Question, counts: dict, client_id: str = ""
) -> list[HandCount]:
    """Record counted hands per option (or scale value). A changed count is a new row that
    replaces the latest one; unchanged counts add nothing. Raises ``AccessDenied`` and
    ``InputRejected`` with ``hands_not_for_kind``, ``invalid_option``, ``out_of_range``."""
    session = question.session
    permissions.require(user, session.process, "facilitate")
    if session.state == SessionState.ENDED or session.process.state == ProcessState.CLOSED:
        raise InputRejected("session_ended")
    if question.kind not in HAND_KINDS:
        raise InputRejected("hands_not_for_kind")
    if not isinstance(counts, dict) or not counts:
        raise InputRejected("invalid_answer")
    if question.kind == QuestionKind.SCALE:
        valid = set(question.scale_values)
        field = "scale_value"
    else:
        valid = set(
            question.options.filter(moderation=Moderation.APPROVED).values_list("pk", flat=True)
        )
        field = "option_id"
    wanted = {}
    for key, value in counts.items():
        try:
            target, number = int(key), int(value)
        except (TypeError, ValueError):
            raise InputRejected("invalid_answer") from None
        if target not in valid:
            raise InputRejected("invalid_option")
        if isinstance(value, bool) or not 0 <= number <= MAX_HANDS:
            raise InputRejected("out_of_range")
        wanted[target] = number
    if client_id and HandCount.objects.filter(entered_by=user, client_id=client_id).exists():
        return []
    with transaction.atomic():
        Question.objects.select_for_update(no_key=True).filter(pk=question.pk).exists()
        latest = {}
        for row in HandCount.objects.filter(question=question).order_by("id"):
            latest[getattr(row, field)] = row
        created = []
        for target, number in sorted(wanted.items()):
            before = latest.get(target)
            if before is not None and before.count == number:
                continue
            if before is None and number == 0:
                continue
            created.append(
                HandCount.objects.create(
                    question=question,
                    replaces=before,
                    entered_by=user,
                    client_id=client_id if not created else "",
                    **{field: target, "count": number},
                )
            )
        if created:
            log_append(
                process=session.process,
                action="hands.counted",
                actor=actor_for(user),
                data={
                    "question": question.pk,
                    "counts": {str(h.option_id or h.scale_value): h.count for h in created},
                    "corrects": [h.replaces_id for h in created if h.replaces_id],
                },
            )
    if created:
        send_on_commit(
            question_changed,
            process_id=session.process_id,
            session_id=session.pk,
            question_id=question.pk,
            action="hands",
        )
    return created
