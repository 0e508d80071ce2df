"""The realtime protocol ``inspraak.realtime/1``: message types, limits and builders.
Documented in ``docs/realtime-protocol.md`` with a JSON Schema per message."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import fastjsonschema
from django.utils import translation

from sessions_app.exceptions import ERROR_MESSAGES, fill, params_of

PROTOCOL = "inspraak.realtime/1"
MAX_MESSAGE_BYTES = 16 * 1024

#: Close codes sent after an ``error`` when a connection cannot be served.
CLOSE_NOT_JOINED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_UNKNOWN_SESSION = 4404
#: Closed by the server, without an ``error`` first: more than ``MAX_OVER_LIMIT`` frames
#: in a row over the client's rate limit (WebSocket's "policy violation").
CLOSE_POLICY = 1008
MAX_OVER_LIMIT = 100

FACILITATOR_TYPES = frozenset({"command"})


def dumps(message: dict) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def message_for(code: str, language: str, params: dict | None = None) -> str:
    with translation.override(language):
        return fill(ERROR_MESSAGES.get(code, code), params_of(code, params))


def error(code: str, language: str, params: dict | None = None) -> dict:
    return {"type": "error", "code": code, "message": message_for(code, language, params)}


#: A surrogate written as an escape: JSON allows ``"\\ud800"`` alone, which no text can
#: hold (it cannot be stored or sent back). Checked only when the frame has one at all.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse(text_data: str | None, bytes_data: bytes | None) -> dict:
    """Decode one incoming frame. Raises ``ValueError`` with the error code."""
    if text_data is None:
        raise ValueError("malformed")
    if len(text_data) > MAX_MESSAGE_BYTES or len(text_data.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise ValueError("message_too_large")
    try:
        # No client message has a fractional number: such numbers are read as Decimal,
        # which the schema's integers refuse; NaN and Infinity are not JSON at all.
        message = json.loads(text_data, parse_float=Decimal, parse_constant=_not_json)
    except (ValueError, RecursionError):  # RecursionError: nested too deep to decode
        raise ValueError("malformed") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ValueError("malformed")
    if _SURROGATE_ESCAPE.search(text_data):
        try:
            json.dumps(message, ensure_ascii=False, default=str).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            raise ValueError("malformed") from None
    return message


def _not_json(constant: str):
    raise ValueError(constant)


# --- the schema at the edge ------------------------------------------------------------

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "docs" / "realtime-protocol.schema.json").read_text(
        encoding="utf-8"
    )
)
#: What a client may send, each checked against its message type's definition, compiled
#: to Python once (``fastjsonschema``: about a tenth of ``jsonschema``'s cost per message;
#: ``docs/performance.md`` has the figures).
INCOMING = ("hello", "ping", "answer", "propose", "ask", "command")


def _inlined(node, definitions: dict):
    """``node`` with every ``{"$ref": "#/$defs/x"}`` replaced by the definition itself,
    and ``oneOf`` checked as ``anyOf``: the schema's alternatives exclude each other (each
    answer shape requires its own field and allows no other), so the first that fits is
    the only one, and the others need not be tried."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inlined(definitions[node["$ref"].rsplit("/", 1)[1]], definitions)
        return {
            ("anyOf" if key == "oneOf" else key): _inlined(value, definitions)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_inlined(value, definitions) for value in node]
    return node


_VALIDATORS = {
    kind: fastjsonschema.compile(_inlined(SCHEMA["$defs"][kind], SCHEMA["$defs"]))
    for kind in INCOMING
}
#: A refusal's code by the field that broke the schema; anything else is ``malformed``.
_FIELD_CODES = {
    "client_id": "invalid_client_id",
    "answer": "invalid_answer",
    "command": "unknown_type",
    "decision": "invalid_answer",
    "mode": "answer_mode",  # a panel's answer: an unknown mode
    "due": "answer_due",  # a panel's answer: not a date (YYYY-MM-DD, a real day)
    "counts": "hands_invalid",  # a show of hands: a count that is not a whole number
}
#: Fields over their length whose service names its own code (as the protocol's table),
#: by message type: an asker's chosen name, the summary of a panel's answer (the only
#: command with a ``text``). Any other text over its length is ``text_too_long``.
_LENGTH_CODES = {("ask", "display_name"): "name_too_long", ("command", "text"): "answer_text"}
#: The longest open text answer (``{"text": ...}``) the schema takes. The answer shapes
#: are alternatives, so a text over it fails them all rather than its ``maxLength``.
OPEN_TEXT_MAX = next(
    shape["properties"]["text"]["maxLength"]
    for shape in SCHEMA["$defs"]["answer_value"]["oneOf"]
    if shape.get("required") == ["text"]
)


def check(message: dict) -> str | None:
    """The error code for an incoming message that its type's schema refuses (a field of
    the wrong type or range, one too many or missing), or None. ``message["type"]`` must
    be one of ``INCOMING``; numbers with a fraction or exponent were read as ``Decimal``
    by ``parse``, so they are never integers."""
    try:
        _VALIDATORS[message["type"]](message)
    except fastjsonschema.JsonSchemaValueException as error:
        return _code_of(error, message)
    return None


def _code_of(error, message: dict) -> str:
    path = error.path[1:]  # the first is "data", the message itself
    if error.rule == "maxLength":
        field = path[0] if path else None
        return _LENGTH_CODES.get((message.get("type"), field), "text_too_long")
    if path == ["answer"]:
        answer = message.get("answer")
        if answer == {}:
            return "no_choice"  # an empty answer: nothing chosen
        if (
            isinstance(answer, dict)
            and answer.keys() == {"text"}
            and isinstance(answer["text"], str)
            and len(answer["text"]) > OPEN_TEXT_MAX
        ):
            return "text_too_long"  # an open text over its length
    if path == ["counts"] and error.rule == "propertyNames":
        return "invalid_option"  # a key that is no option id or scale value
    if path:
        field = path[0]
    elif error.rule == "required":
        field = next((name for name in error.rule_definition if name not in message), None)
    else:
        field = None
    return _FIELD_CODES.get(field, "malformed")
