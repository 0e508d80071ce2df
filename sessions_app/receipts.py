"""Receipts: a participant checks that their answer is in the log, counts, and is proven
to be in the signed log.

A phone gets a receipt code with each newly stored answer (``identifiers.receipt_new``);
the log entry holds only its hash (in its data, and beside it in an indexed column). Whoever holds the
code finds the entry; whoever does not learns nothing: the hash cannot be turned back
into a code, and a guess is one of about 2**71.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.utils.translation import gettext as _

from sessions_app import checkpoints, merkle
from sessions_app.identifiers import normalise_code, receipt_hash, sheet_receipt
from sessions_app.models import (
    LogEntry,
    PaperSheet,
    Process,
    Question,
    Response,
    ResponseStatus,
    SheetState,
)
from sessions_app.numbers import number
from sessions_app.rate_limits import count_allowed

#: Checks of receipts from one address per minute (a person checks a few; a script that
#: guesses codes is stopped, though a guess would not succeed anyway).
CHECKS_PER_MINUTE = 30


def check_allowed(address: str, now: float | None = None) -> bool:
    """Count a check from ``address`` unless it had ``CHECKS_PER_MINUTE`` in the last
    minute (``rate_limits``: per server process, under a keyed hash of the address);
    whether it may go ahead."""
    return count_allowed("receipts", address, CHECKS_PER_MINUTE, 60, now)


@dataclass(frozen=True)
class Checked:
    """What a receipt shows its holder."""

    entry: LogEntry
    question: Question | None
    #: The answer as its holder reads it.
    answer: list[str]
    #: The answer's status now: counted, superseded, voided, held, rejected.
    status: str
    #: For a replaced answer: whether a later answer of the same person counts instead.
    replaced_by_own: bool
    head: dict
    leaf_index: int
    proof: list[str]
    proven: bool
    signing_key: dict

    def as_json(self) -> dict:
        """The proof to keep and check offline (``verify_log --export FILE --receipt CODE``
        does the same against an export; see ``docs/transparency-log.md``)."""
        return {
            "format": "inspraak.receipt-proof/1",
            "process": self.head["process"],
            "seq": self.entry.seq,
            "entry_hash": self.entry.hash,
            "receipt_hash": self.entry.data.get("receipt"),
            "status": self.status,
            "leaf_index": self.leaf_index,
            "tree_size": self.head["size"],
            "proof": self.proof,
            "tree_head": self.head,
            "signing_key": self.signing_key,
        }


def receipt_check(process: Process, code: str) -> Checked | None:
    """The entry of ``process``'s log that holds ``code``'s receipt, its status, and its
    inclusion proof against a signed head that covers it; None when no entry holds it."""
    wanted = receipt_hash(code)
    if not wanted:
        return None
    entry = LogEntry.objects.filter(process=process, receipt=wanted).first()
    if entry is None or entry.data.get("receipt") != wanted:
        return None  # the column says other than the hashed data: trust the data
    seq = entry.seq
    head = checkpoints.head_sign(process, fresh=False)
    if head.size < seq:
        head = checkpoints.head_sign(process)
    tree = checkpoints.tree(process, head.size)
    proof = tree.inclusion_proof(seq - 1, head.size)
    status, replaced_by_own = _status(entry)
    question_id = entry.data.get("question")
    question = Question.objects.filter(pk=question_id).first() if question_id else None
    if question is not None:
        words = answer_words(question, entry.data.get("answer") or {})
    else:
        words = _sheet_words(entry.data.get("answers") or {})
    return Checked(
        entry=entry,
        question=question,
        answer=words,
        status=status,
        replaced_by_own=replaced_by_own,
        head=head.as_json(),
        leaf_index=seq - 1,
        proof=proof,
        proven=merkle.verify_inclusion(entry.hash, seq - 1, head.size, proof, head.root),
        signing_key=checkpoints.public_key(),
    )


#: A paper form in these states has been received but does not count yet: entered once
#: (its second, blind entry to come), both entries agree (being counted), or they differ
#: (a facilitator decides).
RECEIVED = (SheetState.ENTERED, SheetState.VERIFIED, SheetState.CONFLICT)


def paper_waiting(process: Process, code: str) -> bool:
    """Whether ``code`` is the tear-off receipt of a paper form of ``process`` that was
    received and is not counted yet (``RECEIVED``): nothing of it is in the log so far.
    Receipts are derived from sheet codes (``identifiers.sheet_receipt``), so the forms
    waiting are derived again and compared; nothing is looked up by the code itself."""
    wanted = normalise_code(code)
    if not receipt_hash(wanted):
        return False
    codes = PaperSheet.objects.filter(session__process=process, state__in=RECEIVED).values_list(
        "code", flat=True
    )
    return any(hmac.compare_digest(sheet_receipt(sheet), wanted) for sheet in codes.iterator())


def answer_words(question: Question | None, shown: dict) -> list[str]:
    """An answer as logged, in words: the options' texts, the value, the vote."""
    if question is None:
        return []
    names = dict(question.options.values_list("pk", "text"))
    votes = {"agree": _("agree"), "disagree": _("disagree"), "pass": _("pass")}
    if "option" in shown:
        return [names.get(shown["option"], "?")]
    if "options" in shown:
        return [names.get(o, "?") for o in shown["options"]]
    if "ranking" in shown:
        return [f"{rank}. {names.get(o, '?')}" for rank, o in enumerate(shown["ranking"], 1)]
    if "allocation" in shown:
        return [f"{names.get(int(o), '?')}: {number(n)}" for o, n in shown["allocation"].items()]
    if "value" in shown:
        return [str(shown["value"])]
    if "vote" in shown:
        return [f"{names.get(shown.get('statement'), '?')}: {votes.get(shown['vote'], '?')}"]
    if "text_commitment" in shown:
        return [_("your written answer (kept apart from the log, which holds its commitment)")]
    return []


def _sheet_words(answers: dict) -> list[str]:
    """A paper form's answers in words, question by question."""
    questions = Question.objects.in_bulk([int(k) for k in answers if k.isdigit()])
    lines = []
    for key, shown in answers.items():
        question = questions.get(int(key)) if key.isdigit() else None
        if question is None:
            continue
        if "votes" in shown:
            words = [
                w
                for statement, vote in shown["votes"].items()
                for w in answer_words(question, {"statement": int(statement), "vote": vote})
            ]
        else:
            words = answer_words(question, shown)
        lines.append(f"{question.text} {'; '.join(words)}")
    return lines


def _status(entry: LogEntry) -> tuple[str, bool]:
    ids = entry.data.get("responses") or [entry.data.get("response")]
    rows = list(
        Response.objects.filter(pk__in=[i for i in ids if i]).values_list(
            "status", "participant_id", "question_id", "statement_id"
        )
    )
    if not rows:
        return "", False
    statuses = {row[0] for row in rows}
    status = statuses.pop() if len(statuses) == 1 else "mixed"
    own = False
    if status == ResponseStatus.SUPERSEDED:
        _old, participant, question, statement = rows[0]
        own = Response.objects.filter(
            participant_id=participant,
            question_id=question,
            statement_id=statement,
            status=ResponseStatus.COUNTED,
        ).exists()
    return status, own
