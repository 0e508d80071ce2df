from __future__ import annotations

import secrets

from django.db import transaction
from django.db.models import Max

from sessions_app import permissions
from sessions_app.design import changed, session_to_dict
from sessions_app.exceptions import DesignError
from sessions_app.identifiers import random_code
from sessions_app.models import LiveSession, Process, ProcessState
from sessions_app.models.live_session import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH
from sessions_app.rules import session_problems
from sessions_app.signals import send_on_commit, session_changed
from sessions_app.specs import SessionSpec

from .log import actor_for, log_append
from .ordering import move_in_order

SESSION_FIELDS = ("title", "starts_at", "ends_at", "venue", "mode", "remote_invitation")
#: Invitation codes for remote participants (``LiveSession.remote_invitation``).
INVITATION_CODE_LENGTH = 8


def new_join_code() -> str:
    """A fresh join code. With 22⁶ ≈ 113 million codes a clash is rare; the unique
    constraint stops the one that slips between this check and the insert."""
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if not LiveSession.objects.filter(join_code=code).exists():
            return code


def _check_editable(process: Process) -> None:
    if process.state == ProcessState.CLOSED:
        raise DesignError("process_state", params={"state": process.get_state_display()})


def live_session_create(*, user, process: Process, spec: SessionSpec) -> LiveSession:
    """Add a session at the end of the process's agenda, with a fresh join code.

    Raises ``AccessDenied``, ``DesignError("design_invalid")`` and
    ``DesignError("process_state")`` on a closed process.
    """
    if user is not None:
        permissions.require(user, process, "design")
    _check_editable(process)
    problems = session_problems(spec)
    if problems:
        raise DesignError(problems=problems)
    position = (process.sessions.aggregate(m=Max("position"))["m"] or 0) + 1
    with transaction.atomic():
        session = LiveSession.objects.create(
            process=process,
            position=position,
            join_code=new_join_code(),
            invitation_code=random_code(INVITATION_CODE_LENGTH),
            **{name: getattr(spec, name) for name in SESSION_FIELDS},
        )
        log_append(
            process=process,
            action="session.created",
            actor=actor_for(user),
            data={
                "session": session.pk,
                "join_code": session.join_code,
                **session_to_dict(session, with_questions=False),
            },
        )
    send_on_commit(session_changed, process_id=process.pk, session_id=session.pk, action="created")
    return session


def live_session_update(*, user, session: LiveSession, spec: SessionSpec) -> LiveSession:
    """Change a session's title, times, venue or mode. Raises ``AccessDenied`` and
    ``DesignError``."""
    process = session.process
    permissions.require(user, process, "design")
    _check_editable(process)
    problems = session_problems(spec)
    if problems:
        raise DesignError(problems=problems)
    with transaction.atomic():
        # Compare with what is stored: a bound ModelForm has already changed ``session``.
        stored = LiveSession.objects.select_for_update(no_key=True).get(pk=session.pk)
        before = session_to_dict(stored, with_questions=False)
        for name in SESSION_FIELDS:
            setattr(stored, name, getattr(spec, name))
            setattr(session, name, getattr(spec, name))
        after = session_to_dict(stored, with_questions=False)
        if before == after:
            return session
        stored.save(update_fields=list(SESSION_FIELDS))
        log_append(
            process=process,
            action="session.edited",
            actor=actor_for(user),
            data={"session": session.pk, **changed(before, after)},
        )
    send_on_commit(session_changed, process_id=process.pk, session_id=session.pk, action="edited")
    return session


def live_session_delete(*, user, session: LiveSession) -> None:
    """Remove a session that never ran a question.

    Raises ``AccessDenied`` and ``DesignError("session_has_activity")``.
    """
    process = session.process
    permissions.require(user, process, "design")
    _check_editable(process)
    if session.questions.filter(opened_at__isnull=False).exists() or session.sheets.exists():
        raise DesignError("session_has_activity")
    record = {"session": session.pk, **session_to_dict(session)}
    session_id = session.pk
    with transaction.atomic():
        session.delete()
        log_append(process=process, action="session.deleted", actor=actor_for(user), data=record)
    send_on_commit(session_changed, process_id=process.pk, session_id=session_id, action="deleted")


def live_session_move(*, user, session: LiveSession, offset: int) -> None:
    """Move a session one place earlier (``offset=-1``) or later (``+1``) on the agenda."""
    process = session.process
    permissions.require(user, process, "design")
    _check_editable(process)
    with transaction.atomic():
        ordered = list(
            process.sessions.select_for_update(no_key=True).order_by("position", "starts_at", "id")
        )
        moved = move_in_order(ordered, session.pk, offset)
        if moved is None:
            return
        log_append(
            process=process,
            action="session.moved",
            actor=actor_for(user),
            data={"session": session.pk, "from": moved[0], "to": moved[1]},
        )
    send_on_commit(session_changed, process_id=process.pk, session_id=session.pk, action="moved")
