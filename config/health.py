"""Probes for a load balancer, systemd or a container runtime.

- ``/healthz``: the process is up and answers. Touches nothing else, so a database
  outage does not get every server process restarted.
- ``/readyz``: the process can serve: the database answers a query, a message sent on
  the channel layer comes back (in-memory or Redis), and ``MEDIA_ROOT`` takes a new
  file. JSON with each check, its outcome and its time in milliseconds; 200 when all
  pass, 503 naming the ones that failed.

``ProbeMiddleware`` answers both first in the middleware, before the host check, the
HTTPS redirect, sessions and the rest: a probe on ``http://127.0.0.1:PORT/healthz`` works
whatever ``ALLOWED_HOSTS`` and ``HTTPS`` say, sets no cookie, and costs no template or
session. The same views are in ``config.urls`` for ``reverse()``.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import time
from collections.abc import Callable

from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers

#: Seconds the channel layer's round trip may take before it counts as failed.
CHANNEL_TIMEOUT = 2.0


def _probe_response(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    add_never_cache_headers(response)
    return response


def healthz(request):
    return _probe_response({"status": "ok"})


def check_database() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone()[0] != 1:
            raise RuntimeError("unexpected answer")


def check_channel_layer() -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    async_to_sync(_round_trip)(layer)


async def _round_trip(layer) -> None:
    """Send a message to a new channel of this process and receive it back."""
    nonce = secrets.token_hex(8)
    channel = await layer.new_channel("readyz.")
    await layer.send(channel, {"type": "readyz.ping", "nonce": nonce})
    message = await asyncio.wait_for(layer.receive(channel), CHANNEL_TIMEOUT)
    if message.get("nonce") != nonce:
        raise RuntimeError("a different message came back")


def check_media() -> None:
    from django.conf import settings

    with tempfile.NamedTemporaryFile(dir=settings.MEDIA_ROOT, prefix=".readyz-") as probe:
        probe.write(b"ok")
        probe.flush()


#: name → check; a check raises when it fails.
CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "media": check_media,
}


def readyz(request):
    checks, failed = {}, []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        outcome: dict = {"ok": True}
        try:
            check()
        except Exception as error:
            # The error's kind only: its text may name paths or hosts.
            outcome = {"ok": False, "error": type(error).__name__}
            failed.append(name)
        outcome["ms"] = round((time.perf_counter() - started) * 1000, 2)
        checks[name] = outcome
    body: dict = {"status": "fail" if failed else "ok", "checks": checks}
    if failed:
        body["failed"] = failed
    return _probe_response(body, status=503 if failed else 200)


PROBES = {"/healthz": healthz, "/readyz": readyz}


class ProbeMiddleware:
    """Answers ``/healthz`` and ``/readyz`` (GET or HEAD) before any other middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
