"""The realtime protocol ``inspraak.realtime/1``: message types, limits and builders.
Documented in ``docs/realtime-protocol.md`` with a JSON Schema per message."""

from __future__ import annotations

import json

from django.utils import translation

from sessions_app.exceptions import ERROR_MESSAGES

PROTOCOL = "inspraak.realtime/1"
MAX_MESSAGE_BYTES = 16 * 1024

#: Close codes sent after an ``error`` when a connection cannot be served.
CLOSE_NOT_JOINED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_UNKNOWN_SESSION = 4404

FACILITATOR_TYPES = frozenset({"command"})


def dumps(message: dict) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def message_for(code: str, language: str, params: dict | None = None) -> str:
    with translation.override(language):
        text = str(ERROR_MESSAGES.get(code, code))
        return text % params if params else text


def error(code: str, language: str, params: dict | None = None) -> dict:
    return {"type": "error", "code": code, "message": message_for(code, language, params)}


def parse(text_data: str | None, bytes_data: bytes | None) -> dict:
    """Decode one incoming frame. Raises ``ValueError`` with the error code."""
    if text_data is None:
        raise ValueError("malformed")
    if len(text_data.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise ValueError("message_too_large")
    try:
        message = json.loads(text_data)
    except json.JSONDecodeError:
        raise ValueError("malformed") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ValueError("malformed")
    return message
