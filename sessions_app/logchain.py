"""The transparency log's hash chain, independent of Django and the database.

An entry's hash is the SHA-256 (hex) of the UTF-8 bytes of its canonical JSON form::

    {"action": ..., "actor": ..., "at": ..., "data": ..., "prev": ...,
     "process": ..., "seq": ..., "v": 1}

Canonical JSON means: keys sorted, no whitespace (separators ``,`` and ``:``), non-ASCII
characters written as themselves (not ``\\u`` escapes), no NaN or infinity. ``at`` is the
UTC time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. ``prev`` is the previous entry's hash, or 64
zeros for the first entry. ``seq`` starts at 1 and has no gaps.

``docs/transparency-log.md`` describes the same rules for third-party verifiers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS_HASH = "0" * 64
CHAIN_VERSION = 1


def canonical_text(value) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def canonical_json(value) -> bytes:
    return canonical_text(value).encode("utf-8")


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(*, process: str, seq: int, at: str, actor: str, action: str, data, prev: str) -> str:
    payload = {
        "v": CHAIN_VERSION,
        "process": process,
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "data": data,
        "prev": prev,
    }
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def entry_hash_of_text(
    *, process: str, seq: int, at: str, actor: str, action: str, data_text: str, prev: str
) -> str:
    """``entry_hash`` for an entry whose data is already in canonical JSON
    (``data_text``, as the log stores it): the same bytes, put together around it rather
    than serialised again (the keys in their sorted order)."""
    text = (
        f'{{"action":{_string(action)},"actor":{_string(actor)},"at":{_string(at)},'
        f'"data":{data_text},"prev":{_string(prev)},"process":{_string(process)},'
        f'"seq":{int(seq)},"v":{CHAIN_VERSION}}}'
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: A JSON string as ``canonical_json`` writes it (non-ASCII as itself).
_string = json.encoder.encode_basestring


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    head: str
    broken_seq: int | None = None
    broken_id: object = None
    #: Why the chain broke: ``seq_gap``, ``prev_mismatch``, ``hash_mismatch``,
    #: ``unreadable`` or (checked by the caller against a stored head) ``head_mismatch``.
    reason: str = ""


def verify_chain(process: str, entries: Iterable[Mapping]) -> ChainReport:
    """Check entries (in ``seq`` order) of one process. Each is a mapping with ``seq``,
    ``at``, ``actor``, ``action``, ``data``, ``prev`` and ``hash`` (and optionally ``id``).

    Returns a report naming the first broken entry and why: a gap or reordering in ``seq``,
    a ``prev`` that is not the previous hash, or a hash that does not match the content.
    An entry may carry its data already in canonical JSON as ``data_text`` (as the log
    stores it), which is hashed as it is.
    """
    prev = GENESIS_HASH
    count = 0
    for count, entry in enumerate(entries, start=1):
        seq = entry.get("seq")
        where = {"broken_seq": seq, "broken_id": entry.get("id")}
        if seq != count:
            return ChainReport(False, count - 1, prev, reason="seq_gap", **where)
        if entry.get("prev") != prev:
            return ChainReport(
                False,
                count - 1,
                prev,
                reason="prev_mismatch",
                **where,
            )
        try:
            text = entry["data_text"] if "data_text" in entry else canonical_text(entry["data"])
            computed = entry_hash_of_text(
                process=process,
                seq=seq,
                at=entry["at"],
                actor=entry["actor"],
                action=entry["action"],
                data_text=text,
                prev=entry["prev"],
            )
        except (KeyError, TypeError, ValueError):
            return ChainReport(False, count - 1, prev, reason="unreadable", **where)
        if computed != entry.get("hash"):
            return ChainReport(False, count - 1, prev, reason="hash_mismatch", **where)
        prev = computed
    return ChainReport(True, count, prev)


SALT_BYTES = 16


def text_commitment(salt: str, text: str) -> str:
    """The log's commitment to a piece of free text: the lowercase hex SHA-256 of the
    salt's raw bytes (``salt`` is 32 hex characters, 16 random bytes) followed by the
    text's UTF-8 bytes. The log holds this instead of the text, so the text can be erased
    while the chain still verifies."""
    return hashlib.sha256(bytes.fromhex(salt) + text.encode("utf-8")).hexdigest()
