"""Domain errors. Every error has a stable ``code`` (tests and clients rely on it) and a
translatable message.

The codes, by area:

* ``DesignError`` (designing processes, sessions and questions): ``design_invalid`` (with
  a list of problems), ``question_asked`` (the wording of a question that has been asked),
  ``option_has_responses``, ``question_locked``, ``kind_locked`` (no longer given:
  ``question_asked`` covers it), ``session_has_activity``, ``process_incomplete``,
  ``process_state``, ``last_organiser``, ``invitation_expired``, ``invitation_used``,
  ``unknown_user``, ``import_invalid`` (a design file; with problems).
* ``AccessDenied``: ``not_staff`` (no role on this process), ``role_required``.
* ``RecordImmutable``: ``record_immutable`` (a log entry or hand count was to be changed).
* ``InputRejected`` (an answer, a proposed statement, a join, a realtime message): see
  ``INPUT_CODES`` below; ``docs/realtime-protocol.md`` lists them for clients.
* ``FacilitationError`` (running a session): ``question_state``, ``session_ended``,
  ``reason_required``, ``not_moderated``, ``no_such_question``, ``session_not_ended``,
  ``reopen_expired``, ``paper_waiting``.
* ``FollowUpError`` (what was done with the input): ``follow_up_draft``,
  ``follow_up_question``, ``follow_up_outcome``, ``follow_up_reasoning``,
  ``follow_up_date``.
* ``ExportError`` (council outputs made on request): ``export_format``.
* ``following.services.FollowError`` (following a process by e-mail): ``following_off``,
  ``process_not_public``, ``invalid_email``, ``too_many_pending``, ``unknown_token``,
  ``expired_token``.
* Reading forms from photos and scans (``InputRejected``, and ``PageOutcome.reason``):
  see ``services.reading``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .numbers import number

ERROR_MESSAGES: dict[str, Promise] = {
    "design_invalid": _("the design has problems"),
    "import_invalid": _("the design file has problems"),
    "option_has_responses": _("the option “%(option)s” already has answers and cannot be removed"),
    "question_locked": _("this question has been opened and can no longer be removed"),
    "question_asked": _(
        "This question has been asked: its wording and options can no longer change, so "
        "that every answer keeps the meaning it was given."
    ),
    # No longer given (``question_asked`` covers the kind); kept for earlier refusals.
    "kind_locked": _("the kind of a question that has been opened cannot change"),
    "session_has_activity": _("this session has questions that were opened; it cannot be removed"),
    "process_incomplete": _("the process is not complete enough to publish"),
    "process_state": _("this cannot be done while the process is %(state)s"),
    "last_organiser": _("a process needs at least one organiser"),
    "invitation_expired": _("this invitation has expired"),
    "invitation_used": _("this invitation has already been used"),
    "unknown_user": _("there is no staff account with that user name"),
    "not_staff": _("you have no role on this process"),
    "invitation_needed": _("Taking part from elsewhere needs the invitation code you were sent."),
    "invitation_wrong": _("This invitation code is not right. Check it and try again."),
    "too_many_joins": _(
        "Very many phones joined from this network in the last minute. Wait a minute and "
        "try again, or ask a facilitator."
    ),
    "not_organiser": _("your account may not start processes; ask the site's administrator"),
    "role_required": _("your role on this process does not allow this"),
    "record_immutable": _("log entries and hand counts cannot be changed or deleted"),
    # Running a session
    "question_state": _("this question cannot go from “%(from)s” to “%(to)s”"),
    "session_ended": _("this session has ended"),
    "reason_required": _("give a reason for hiding this"),
    "not_moderated": _(
        "only open answers, proposed statements and questions to the panel are moderated"
    ),
    "no_such_question": _("there is no such question on this agenda"),
    # reopening an ended session, closing paper counting
    "session_not_ended": _("this session has not ended"),
    "reopen_expired": _(
        "this session ended more than %(minutes)s minutes ago and can no longer be reopened"
    ),
    "paper_waiting": _(
        "forms still waiting for their second entry: %(n)s. They do not count once paper "
        "counting closes."
    ),
}

#: Codes of ``InputRejected``, with the message a participant sees.
INPUT_CODES: dict[str, Promise] = {
    "malformed": _("The message could not be read."),
    "internal": _("Something went wrong on the server. Nothing was changed; try again."),
    "unknown_type": _("This kind of message is not known."),
    "message_too_large": _("The message is too large."),
    "rate_limited": _("Too many messages at once. Wait a moment and try again."),
    "not_allowed": _("This is not allowed for participants."),
    "not_joined": _("Join the session first."),
    "unknown_session": _("There is no session with this code."),
    "session_ended": _("This session has ended."),
    "invalid_client_id": _("The message has no valid id."),
    "unknown_question": _("This question does not exist."),
    "wrong_session": _("This question belongs to another session."),
    "question_not_open": _("This question is not open yet."),
    "question_closed": _("This question is closed. Answers are no longer counted."),
    "invalid_answer": _("This answer does not fit the question."),
    "no_choice": _("Choose an option first."),
    "invalid_option": _("That option is not part of this question."),
    "too_many_choices": _("You chose more options than allowed."),
    "duplicate_choice": _("An option was given more than once."),
    "out_of_range": _("That value is outside the scale."),
    "ranking_invalid": _("Give each option a different place, starting at 1, without gaps."),
    "budget_not_total": _("The points must add up exactly to the total."),
    "empty_text": _("Write something first."),
    "text_too_long": _("The text is longer than allowed."),
    "invalid_statement": _("That statement is not part of this question."),
    "adding_not_allowed": _("Adding statements is not possible for this question."),
    "proposals_full": _(
        "This question takes no more proposals: there are as many as the facilitator can "
        "moderate. You can still vote on the statements."
    ),
    "unknown_card": _("This attendee card is not known for this session."),
    # Follow-up
    "follow_up_draft": _("a process that has not been published has no input to follow up"),
    "follow_up_question": _("this question is not part of this process"),
    "follow_up_outcome": _("choose what was done with the input"),
    "follow_up_reasoning": _("explain what was done with the input, in at most %(max)d characters"),
    "follow_up_date": _("give the date of the decision, not later than today"),
    # Council outputs
    "export_format": _("there is no such output; choose one of: %(formats)s"),
    # Paper and hands
    "sheet_forged": _("This form's code is not genuine: its signature does not match."),
    "unknown_sheet": _(
        "No form with this code was printed. Check the code on the paper and type it again."
    ),
    "code_mismatch": _(
        "The code printed on this photo is not the code you typed: is it the code of "
        "another form? Type the code printed under this page's QR code."
    ),
    "page_mismatch": _(
        "This is another page of the form than the page number chosen: choose the number "
        "printed at the bottom of the page."
    ),
    "sheet_other_session": _("This form belongs to another session."),
    "sheet_counted": _("This form has already been counted (a copy?). It is not counted again."),
    "sheet_voided": _("This form has been voided."),
    "sheet_in_review": _("The entries of this form differ; the facilitator is reviewing it."),
    "sheet_not_in_review": _("This form is not waiting for review."),
    "paper_closed": _("Paper counting for this session has closed."),
    "same_teller": _("The second entry must come from another teller."),
    "paper_review_pending": _(
        "Forms or attendee-card answers still wait for review; settle them before closing."
    ),
    "invalid_count": _("Choose a number from 1 to %(max)s."),
    "print_not_retryable": _("This print run is fine; there is nothing to try again."),
    "reason_required": _("Give a reason."),
    "not_held": _("This answer is not waiting for review."),
    "hands_invalid": _("A count of hands is a whole number from 0 to %(max)s."),
    "hands_not_for_kind": _(
        "Hands can be counted for choices, scales and questions asked on paper only."
    ),
    # ``services.hands.hands_unlikely``: recorded once confirmed.
    "hands_unlikely": _(
        "%(total)s hands in all: far more than this room has shown (phones joined: "
        "%(phones)s; paper forms entered: %(paper)s). Nothing was recorded. Check the "
        "numbers; if they are right, confirm to record them."
    ),
    "own_question": _("This is your own question; you cannot upvote it."),
    "upvotes_off": _("Upvoting is switched off for this question round."),
    "invalid_panel_member": _("That person is not on the panel for this question round."),
    "names_not_allowed": _("Questions in this round are anonymous; leave the name empty."),
    "name_too_long": _("The name is longer than 60 characters."),
    "asked_unknown": _("That question is not in this question round."),
    "merge_invalid": _(
        "These two questions cannot be merged: choose two different questions of the same "
        "round, both approved and neither merged already."
    ),
    "answer_mode": _("Choose how the panel answered."),
    "answer_text": _("Type the answer's summary, in at most %(max)s characters."),
    "answer_due": _("Give the date by which the written answer will be given."),
    "no_qna_round": _("This session has no round of questions to the panel."),
    # the dossier
    "document_too_large": _("The document is too large (at most 20 MB)."),
    "document_required": _(
        "Choose a file (PDF, PNG or JPEG). Is the document on another website? "
        "Add a link to it instead."
    ),
    "not_document": _("This file is not a PDF, PNG or JPEG."),
    "document_already_added": _(
        "This file is already in the dossier, as “%(title)s”. Nothing was added. To change "
        "its title or summary, take that document out of the dossier first."
    ),
    "summary_required": _("Write a short summary in plain language."),
    "summary_too_long": _("The summary is longer than %(max)s characters."),
    "alt_text_required": _("Say in words what the image shows (its alternative text)."),
    "title_required": _("Give a title."),
    "invalid_date": _("Give a date."),
    "invalid_kind": _("Choose a type."),
    "invalid_url": _("Give a web address that starts with https:// or http://."),
    "unknown_document": _("This document or link is not in the dossier."),
    "decision_in_future": _(
        "A decision is recorded once the council has taken it: give a date that is not in "
        "the future."
    ),
    # learning from sessions: the evaluation set, the facilitator's notes
    "evaluation_exists": _("This session already has an evaluation."),
    "note_empty": _("Type a note first."),
    "note_too_long": _("A note is at most %(max)s characters."),
    # Reading forms from photos and scans
    "file_too_large": _("The file is too large (at most 100 MB)."),
    "not_image": _("This file is not a photo (JPEG, PNG) or a scan (PDF, TIFF)."),
    "image_too_large": _("This picture has too many pixels to read (at most 60 million)."),
    "too_many_pages": _(
        "This file has too many pages: a teller's photo may hold 8 pages, a scan 1,000."
    ),
    "read_failed": _("Reading this file failed, and it was not counted. Take the photo again."),
    "same_image": _("This very file has been read before. Nothing is counted twice."),
    "no_form": _(
        "No paper form was found in this picture: all four black squares in the form's "
        "corners must be in it."
    ),
    "corner_missing": _(
        "A corner of the form is cut off or covered. "
        "Photograph the whole page, with all four black squares."
    ),
    "too_blurred": _(
        "The photo is too blurred to find the form's corners. Hold the phone still, let it "
        "focus, and take the photo again."
    ),
    "poor_fit": _(
        "The form is folded, curled or photographed too much from the side. "
        "Lay it flat and photograph it from above."
    ),
    "qr_unreadable": _(
        "The form's QR code cannot be read (blurred or covered). Hold still and try again."
    ),
    "qr_foreign": _("The QR code in this picture is not one of this system's forms."),
    "layout_mismatch": _(
        "This page was printed in another version of the form than its code says."
    ),
    "layout_unsupported": _("This form's layout cannot be read by this version of the reader."),
    # No longer given (a photo taken again now replaces a reading in review); kept for
    # pages refused with it before.
    "reading_in_review": _("A reading of this form is waiting for review."),
    "reading_not_in_review": _("This reading is not waiting for review."),
    "reading_not_waiting": _(
        "This reading is not waiting for a confirmation: it has been confirmed or decided "
        "already, and there is nothing more to do."
    ),
    "page_replaced": _("A later reading of this form took the place of this one."),
    "scan_not_stale": _("This file is being read; there is nothing to resume."),
    "page_read": _(
        "This page does not wait for a typed code: it has been read, or it was not found."
    ),
    # Erasing texts (erase_text)
    "invalid_reason": _("This is not a reason for erasing a text."),
    "unknown_text": _("A text to erase is not one of this process's texts."),
}
ERROR_MESSAGES.update(INPUT_CODES)

#: The limits some messages name, filled in when an error gives none (the same as the
#: services' ``print_runs.MAX_BATCH``, ``hands.MAX_HANDS``, ``qna.ANSWER_MAX``,
#: ``dossier.SUMMARY_MAX`` and ``models.notes.NOTE_MAX_LENGTH``; a test keeps them so).
ERROR_PARAMS: dict[str, dict] = {
    "invalid_count": {"max": 2000},
    "hands_invalid": {"max": 100_000},
    "answer_text": {"max": 2000},
    "summary_too_long": {"max": 1000},
    "note_too_long": {"max": 2000},
}


def params_of(code: str, params: dict | None = None) -> dict:
    """An error's parameters, with the limits its message names (``ERROR_PARAMS``)."""
    return {**ERROR_PARAMS.get(code, {}), **(params or {})}


_WHOLE = re.compile(r"%\((\w+)\)d")


def fill(template, params: dict | None) -> str:
    """A message with its parameters, each number written as the active language writes
    it (``1.000.000`` in Dutch, by ``numbers.number``): ``%(max)d`` and ``%(max)s`` alike."""
    text = str(template)
    if not params:
        return text
    shown = {
        key: number(value)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        else value
        for key, value in params.items()
    }
    return _WHOLE.sub(r"%(\1)s", text) % shown


@dataclass(frozen=True)
class Problem:
    """One problem in a design, at a path such as ``sessions[0].questions[3].options``."""

    path: str
    code: str
    template: Any
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return fill(self.template, self.params)

    def under(self, prefix: str) -> Problem:
        path = f"{prefix}.{self.path}" if self.path else prefix
        return Problem(path, self.code, self.template, self.params)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InspraakError(Exception):
    """Base of all domain errors."""

    default_code: ClassVar[str] = "error"

    def __init__(self, code: str | None = None, *, params: dict | None = None, problems=()):
        self.code = code or self.default_code
        self.params = params or {}
        self.problems: list[Problem] = list(problems)
        super().__init__(self.code)

    @property
    def message(self) -> str:
        template = ERROR_MESSAGES.get(self.code, self.code)
        return fill(template, params_of(self.code, self.params))

    def __str__(self) -> str:
        if self.problems:
            return "\n".join(str(p) for p in self.problems)
        return f"{self.code}: {self.message}"


class DesignError(InspraakError):
    default_code = "design_invalid"


class AccessDenied(InspraakError):
    default_code = "not_staff"


class RecordImmutable(InspraakError):
    default_code = "record_immutable"


class InputRejected(InspraakError):
    """An input was refused and nothing was changed. ``code`` is one of ``INPUT_CODES``."""

    default_code = "invalid_answer"


class FacilitationError(InspraakError):
    default_code = "question_state"


class FollowUpError(InspraakError):
    default_code = "follow_up_outcome"


class ExportError(InspraakError):
    default_code = "export_format"
