"""How many phones may join from one network address: a room's worth a minute.

A whole room often shares one public address (the venue's Wi-Fi, a carrier's NAT), so
the limit is generous: 600 joins in any minute from one address (1,000 phones arriving
over two minutes all get in), while a script that joins and votes in a loop is stopped
at a room's worth. Nothing personal is stored: the counters live in this server
process's cache, under a keyed hash of the address, for a minute.

The console shows the busiest address's joins in the last minute when it passes
``SPIKE``, so a facilitator sees a flood as it happens.
"""

from __future__ import annotations

import time

from django.core.cache import cache

from sessions_app.rate_limits import bucket_keys, count_one

#: Joins from one address in any 60 s.
PER_MINUTE = 600
#: From this many joins a minute from one address, the console is told.
SPIKE = 100


def _buckets(address: str, now: float) -> list[str]:
    return bucket_keys("joins", address, 60, now)


def joins_last_minute(address: str, now: float | None = None) -> int:
    keys = _buckets(address, time.time() if now is None else now)
    return sum(cache.get_many(keys).values())


def join_allowed(address: str, session, now: float | None = None) -> bool:
    """Count a join from ``address`` unless it has had ``PER_MINUTE`` in the last minute.
    Notes a spike for ``session``'s console; returns whether the join may go ahead."""
    keys = _buckets(address, time.time() if now is None else now)
    counts = cache.get_many(keys)
    earlier = sum(counts.get(key, 0) for key in keys[:-1])
    if earlier + counts.get(keys[-1], 0) >= PER_MINUTE:
        _note_spike(session, earlier + counts.get(keys[-1], 0))
        return False
    recent = earlier + count_one(keys, 60)
    if recent >= SPIKE:
        _note_spike(session, recent)
    return True


def _note_spike(session, count: int) -> None:
    key = f"inspraak:join-spike:{session.pk}"
    before = cache.get(key) or 0
    cache.set(key, max(before, count), timeout=60)
    # Tell the console at each further hundred (not at every join).
    if count // SPIKE > before // SPIKE:
        from sessions_app.signals import session_changed

        session_changed.send(
            sender=None, process_id=session.process_id, session_id=session.pk, action="joins"
        )


def busiest_network(session_id: int) -> int:
    """The most joins from one address in the last minute, if it passed ``SPIKE``; else 0."""
    return cache.get(f"inspraak:join-spike:{session_id}") or 0
