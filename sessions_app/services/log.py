"""The transparency log: append one hash-chained entry per change."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from following.news import NEWS_ACTIONS
from sessions_app.bulk import Prepared, insert_rows, select_by_pk, update_by_pk
from sessions_app.logchain import GENESIS_HASH, canonical_text, entry_hash_of_text, format_time
from sessions_app.models import LogEntry, Process

SYSTEM = "system"


def actor_for(user) -> str:
    """The log's name for a staff account, or ``system`` for commands and imports."""
    if user is None or not getattr(user, "is_authenticated", False):
        return SYSTEM
    return f"staff:{user.get_username()}"


def _json_safe(data: dict) -> dict:
    # Dates, lazy strings and the like become plain JSON values, exactly as they will be
    # read back from the database, so that the hash is computed over what is stored.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def log_append(*, process: Process, action: str, actor: str, data: dict | None = None) -> LogEntry:
    """Append an entry to ``process``'s log and return it.

    Runs inside the caller's transaction (or its own). The process row is locked while the
    entry is chained, so concurrent writers get consecutive sequence numbers.
    """
    [(pk, row)] = _append(process, [(action, actor, data)])
    entry = LogEntry(pk=pk, process=process, **{k: v for k, v in row.items() if k != "process_id"})
    entry._state.adding, entry._state.db = False, "default"  # as if read back
    return entry


def log_append_many(
    *, process: Process, entries: list[tuple[str, str, dict | None]], plain: bool = False
) -> None:
    """Append ``(action, actor, data)`` entries to ``process``'s log in this order, under
    one lock of the process row and with one insert: the chain is exactly as if each had
    been appended alone. ``plain``: the caller promises data of JSON's own types only
    (string keys, lists, strings, numbers, None), which is then not normalised first."""
    if entries:
        _append(process, entries, plain=plain, keys=False)


def _append(
    process: Process, entries, *, plain: bool = False, keys: bool = True
) -> list[tuple[int | None, dict]]:
    """Chain and insert ``entries``; returns each row's key (None without ``keys``) and
    fields."""
    # No savepoint: inside a caller's transaction the lock and the inserts belong to it (a
    # failure rolls all of it back); called alone, this is its own transaction.
    # Every row lock in the services is FOR NO KEY UPDATE (``no_key=True``): PostgreSQL's
    # deferred foreign-key checks take KEY SHARE locks at commit, which a plain FOR UPDATE
    # blocks, and two writers (an answer batch, a paper entry) then deadlock.
    with transaction.atomic(savepoint=False):
        # The process row read and written as plain SQL: every change of every process
        # passes here, an answer batch many times a second (sessions_app.bulk).
        found = select_by_pk(Process, [process.pk], ("log_seq", "log_head"), lock=True)
        if not found:
            raise Process.DoesNotExist(process.pk)
        [(_pk, seq, head)] = found
        now = timezone.now()
        at = format_time(now)
        prev = head or GENESIS_HASH
        rows, stored = [], []
        for action, actor, data in entries:
            payload = (data or {}) if plain else _json_safe(data or {})
            # Serialised once: hashed as part of the entry and stored as it is.
            text = canonical_text(payload)
            seq += 1
            digest = entry_hash_of_text(
                process=process.slug,
                seq=seq,
                at=at,
                actor=actor,
                action=action,
                data_text=text,
                prev=prev,
            )
            row = {
                "process_id": process.pk,
                "seq": seq,
                "created_at": now,
                "actor": actor,
                "action": action,
                "data": payload,
                "prev_hash": prev,
                "hash": digest,
                "receipt": payload.get("receipt"),
            }
            rows.append(row)
            stored.append({**row, "data": Prepared(text)})
            prev = digest
        # One statement of plain rows: an answer batch logs hundreds of entries at once.
        pks = insert_rows(LogEntry, stored, keys=keys) or [None] * len(stored)
        update_by_pk(Process, process.pk, {"log_seq": seq, "log_head": prev})
    process.log_seq, process.log_head = seq, prev
    # Following by e-mail: news for followers? The action names first, so the phones'
    # answers make no query here.
    if not NEWS_ACTIONS.isdisjoint(action for action, _actor, _data in entries):
        from following.hooks import news_appended

        news_appended(process, entries)
    return list(zip(pks, rows, strict=True))
