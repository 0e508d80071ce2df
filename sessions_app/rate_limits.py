"""Requests counted per network address, for the public forms a script could flood (a
join, a receipt check, a request to follow by e-mail). Nothing personal is kept: the
counts live in this server process's cache under a keyed hash of the address, in six
buckets of a sixth of the window each, so a burst across a bucket's turn is counted too."""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache


def bucket_keys(kind: str, address: str, window: float, now: float) -> list[str]:
    """The cache keys of the six buckets of ``window`` seconds up to ``now``, oldest first
    (the last is the current one)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256)
    current = int(now // (window / 6))
    return [
        f"inspraak:{kind}:{digest.hexdigest()[:24]}:{bucket}"
        for bucket in range(current - 5, current + 1)
    ]


def count_one(keys: list[str], window: float) -> int:
    """Count one request in the current bucket (``keys[-1]``); returns its new count."""
    timeout = round(window * 7 / 6)
    cache.add(keys[-1], 0, timeout=timeout)
    try:
        return cache.incr(keys[-1])
    except ValueError:  # expired in between
        cache.set(keys[-1], 1, timeout=timeout)
        return 1


def count_allowed(
    kind: str, address: str, limit: int, window: float, now: float | None = None
) -> bool:
    """Count one request of ``kind`` from ``address`` unless it had ``limit`` in the last
    ``window`` seconds; whether it may go ahead."""
    keys = bucket_keys(kind, address, window, time.time() if now is None else now)
    if sum(cache.get_many(keys).values()) >= limit:
        return False
    count_one(keys, window)
    return True
