"""The facilitator's own notes on a session ("the microphone failed at 20:10"): typed in
the console, time-stamped, private to the process's staff, shown in the session report.
Not logged (the log is public) and not in any export.

Error codes (``InputRejected``): ``note_empty``, ``note_too_long``.
"""

from __future__ import annotations

from sessions_app import permissions
from sessions_app.exceptions import InputRejected
from sessions_app.models import FacilitatorNote, LiveSession
from sessions_app.models.notes import NOTE_MAX_LENGTH


def note_add(*, user, session: LiveSession, text: str) -> FacilitatorNote:
    permissions.require(user, session.process, "facilitate")
    text = (text or "").strip()
    if not text:
        raise InputRejected("note_empty")
    if len(text) > NOTE_MAX_LENGTH:
        raise InputRejected("note_too_long")
    return FacilitatorNote.objects.create(session=session, text=text, author=user)


def session_notes(*, session: LiveSession) -> list[FacilitatorNote]:
    return list(session.notes.select_related("author"))
