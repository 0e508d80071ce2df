"""Questions to the panel (a ``qna`` item on a session's agenda).

Residents ask on a phone or on a paper question card; the room upvotes; the facilitator
approves, merges duplicates, hides with a reason and pins the question being answered; a
clerk records the panel's answer. Each asked question is an ``Option`` of the ``qna``
question, so it shares the statements' machinery: its text is stored apart and can be
erased (``services.texts``), it waits for moderation when the round says so, and an
upvote is a vote on it (``Answer(statement=…, number=1)``; withdrawn: ``number=0``)
written by ``counting`` like every answer, with a client id and an acknowledgement after
commit.

Error codes (``InputRejected``): those of ``participation.load_open_question``,
``adding_not_allowed``, ``invalid_answer``, ``empty_text``, ``text_too_long``,
``invalid_panel_member``, ``names_not_allowed``, ``name_too_long``, ``proposals_full``,
``invalid_client_id`` (asking); ``asked_unknown``, ``merge_invalid``, ``answer_mode``,
``answer_text``, ``answer_due`` (the facilitator's and clerk's actions); upvotes add
``own_question`` and ``upvotes_off`` to the codes of ``answers.parse_answer``.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from sessions_app import permissions
from sessions_app.answers import clean_text
from sessions_app.exceptions import FacilitationError, InputRejected
from sessions_app.identifiers import client_id_check
from sessions_app.models import (
    Moderation,
    Option,
    PanelAnswer,
    PanelAnswerMode,
    PanelMember,
    Participant,
    ProcessState,
    Question,
    QuestionKind,
)
from sessions_app.signals import process_changed, question_changed, send_on_commit

from . import counting
from .log import actor_for, log_append

NAME_MAX = 60
ANSWER_MAX = 2000
M = PanelAnswerMode


def _announce(question: Question, action: str) -> None:
    send_on_commit(
        question_changed,
        process_id=question.session.process_id,
        session_id=question.session_id,
        question_id=question.pk,
        action=action,
    )


def _panel_member(question: Question, value) -> PanelMember | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputRejected("invalid_panel_member")
    try:
        pk = int(value)
    except ValueError:
        raise InputRejected("invalid_panel_member") from None
    member = question.panel.filter(pk=pk).first()
    if member is None:
        raise InputRejected("invalid_panel_member")
    return member


def _checked(
    question: Question, text, panel_member, display_name
) -> tuple[str, PanelMember | None, str]:
    """The asked text, the addressed panel member and the display name, checked against
    the round's settings."""
    if question.kind != QuestionKind.QNA:
        raise InputRejected("adding_not_allowed")
    if not isinstance(text, str) or not isinstance(display_name, str):
        raise InputRejected("invalid_answer")
    text = clean_text(text)
    if not text:
        raise InputRejected("empty_text")
    if len(text) > (question.max_length or 0):
        raise InputRejected("text_too_long")
    name = " ".join(clean_text(display_name).split())
    if name and not question.qna_names:
        raise InputRejected("names_not_allowed")
    if len(name) > NAME_MAX:
        raise InputRejected("name_too_long")
    return text, _panel_member(question, panel_member), name


def qna_ask(
    *,
    participant: Participant,
    question_id,
    text,
    client_id,
    panel_member=None,
    display_name="",
) -> tuple[Option, bool]:
    """A phone asks the panel a question. It waits for a facilitator when the round
    moderates first, and is shown at once otherwise. Returns (asked, created); a repeated
    ``client_id`` returns the first with ``created`` false and changes nothing."""
    from .participation import load_open_question

    client_id = client_id_check(client_id)
    existing = Option.objects.filter(author=participant, client_id=client_id).first()
    if existing is not None:
        return existing, False
    question = load_open_question(participant, question_id)
    text, member, name = _checked(question, text, panel_member, display_name)
    try:
        asked = counting.statement_add(
            question=question,
            text=text,
            author=participant,
            client_id=client_id,
            cap=question.max_proposals,
            panel_member=member,
            display_name=name,
        )
    except IntegrityError:
        return Option.objects.get(author=participant, client_id=client_id), False
    return asked, True


# --- the facilitator --------------------------------------------------------------------


def _facilitated(user, question: Question) -> None:
    permissions.require(user, question.session.process, "facilitate")
    if question.kind != QuestionKind.QNA:
        raise FacilitationError("not_moderated")


def asked_of(question: Question, asked_id) -> Option:
    """One asked question of the round ``question``. Raises ``asked_unknown``."""
    if isinstance(asked_id, bool) or not isinstance(asked_id, int | str):
        raise InputRejected("asked_unknown")
    try:
        pk = int(asked_id)
    except ValueError:
        raise InputRejected("asked_unknown") from None
    asked = Option.objects.filter(pk=pk, question=question).first()
    if asked is None:
        raise InputRejected("asked_unknown")
    return asked


def qna_merge(*, user, asked: Option, into: Option) -> Option:
    """Merge the duplicate ``asked`` into ``into``: both texts are kept, the duplicate is
    no longer shown on its own, and its upvotes (and hands) count for ``into``; a person
    who upvoted both counts once. Questions merged into the duplicate earlier move along.
    Both must be approved (``merge_invalid``). Logged (``qna.merged``)."""
    question = into.question
    _facilitated(user, question)
    with transaction.atomic():
        pinned = (
            Question.objects.select_for_update(no_key=True)
            .filter(pk=question.pk)
            .values_list("pinned_id", flat=True)
            .get()
        )
        asked.refresh_from_db()
        into.refresh_from_db()
        if (
            asked.pk == into.pk
            or asked.question_id != into.question_id
            or asked.merged_into_id is not None
            or into.merged_into_id is not None
            or into.moderation != Moderation.APPROVED
            # A duplicate's text is published under the question it joins: only once
            # approved (one waiting may say what its asker would not want public).
            or asked.moderation != Moderation.APPROVED
        ):
            raise InputRejected("merge_invalid")
        moved = list(Option.objects.filter(merged_into=asked).values_list("pk", flat=True))
        Option.objects.filter(pk__in=[asked.pk, *moved]).update(merged_into=into)
        asked.merged_into = into
        if pinned == asked.pk:
            Question.objects.filter(pk=question.pk).update(pinned=into)
        Question.objects.filter(pk=question.pk).rules_changed()
        log_append(
            process=question.session.process,
            action="qna.merged",
            actor=actor_for(user),
            data={
                "question": question.pk,
                "asked": asked.pk,
                "into": into.pk,
                "also_moved": moved,
            },
        )
    _announce(question, "qna_merged")
    return asked


def qna_pin(*, user, question: Question, asked: Option | None) -> Question:
    """Pin the asked question the panel answers now (``None``: unpin). Logged
    (``qna.pinned``)."""
    _facilitated(user, question)
    if asked is not None and (
        asked.question_id != question.pk
        or asked.merged_into_id is not None
        or asked.moderation != Moderation.APPROVED
    ):
        raise InputRejected("asked_unknown")
    with transaction.atomic():
        Question.objects.filter(pk=question.pk).update(pinned=asked)
        question.pinned = asked
        log_append(
            process=question.session.process,
            action="qna.pinned",
            actor=actor_for(user),
            data={"question": question.pk, "asked": asked.pk if asked else None},
        )
    _announce(question, "qna_pinned")
    return question


def _due(value) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def qna_answer(*, user, asked: Option, mode, text="", due=None, client_id="") -> PanelAnswer:
    """Record what the panel did with an asked question: ``summary`` (a clerk's summary in
    ``text``), ``in_room`` (answered in the room), ``in_writing`` (to be answered in
    writing by ``due``) or ``written`` (the written answer, ``text``). A new record takes
    the place of the earlier one. Facilitators record it during the session; organisers
    and facilitators may give a written answer later, also after the session ended.
    Logged (``qna.answered``); a written answer is announced in the process's feed.
    A repeated ``client_id`` of the same user returns the first record."""
    question = asked.question
    process = question.session.process
    permissions.require(user, process, "facilitate")
    if question.kind != QuestionKind.QNA:
        raise FacilitationError("not_moderated")
    if process.state == ProcessState.DRAFT:
        raise FacilitationError("follow_up_draft")
    if client_id:
        client_id = client_id_check(client_id)
        earlier = PanelAnswer.objects.filter(recorded_by=user, client_id=client_id).first()
        if earlier is not None:
            return earlier
    if not isinstance(mode, str) or mode not in M.values:
        raise InputRejected("answer_mode")
    if asked.merged_into_id is not None or asked.moderation != Moderation.APPROVED:
        raise InputRejected("asked_unknown")
    text = clean_text(text) if isinstance(text, str) else ""
    due_date = _due(due)
    if mode in (M.SUMMARY, M.WRITTEN):
        if not text or len(text) > ANSWER_MAX:
            raise InputRejected("answer_text")
    else:
        text = ""
    if mode == M.IN_WRITING:
        if due_date is None:
            raise InputRejected("answer_due")
    else:
        due_date = None
    with transaction.atomic():
        answer = PanelAnswer.objects.create(
            asked=asked, mode=mode, text=text, due=due_date, recorded_by=user, client_id=client_id
        )
        log_append(
            process=process,
            action="qna.answered",
            actor=actor_for(user),
            data={
                "question": question.pk,
                "asked": asked.pk,
                "answer": answer.pk,
                "mode": mode,
                "text": text,
                "due": due_date.isoformat() if due_date else None,
            },
        )
    _announce(question, "qna_answered")
    if mode == M.WRITTEN:
        send_on_commit(process_changed, process_id=process.pk, action="qna_written")
    return answer
