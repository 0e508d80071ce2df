"""The websocket origin check: a socket is accepted only from a page of this site.

Channels' ``AllowedHostsOriginValidator`` compares the Origin's host name with
``ALLOWED_HOSTS`` and nothing else, so a page on another port of the same host, or served
over plain HTTP where the site is HTTPS, could open sockets as the site's own pages. Here,
as Django's CSRF check does for forms, the Origin must equal scheme, host and port of the
request itself (its Host header, which must be an allowed host, and its scheme: ``wss`` is
HTTPS, and so is a trusted proxy's ``X-Forwarded-Proto: https``), or be one of
``CSRF_TRUSTED_ORIGINS`` or the origin of ``SITE_URL``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_key(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an origin or URL (the scheme's port if none is given),
    or None if it is not an http(s) origin."""
    try:
        parts = urlsplit(url.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def _secure(scope) -> bool:
    if scope.get("scheme") == "wss":
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        # ("HTTP_X_FORWARDED_PROTO", "https") -> the header b"x-forwarded-proto".
        name = proxy[0].removeprefix("HTTP_").replace("_", "-").lower().encode()
        value = _header(scope, name)
        return value is not None and value.split(",")[0].strip() == proxy[1]
    return False


def trusted_origins() -> set[tuple[str, str, int]]:
    keys = {origin_key(origin) for origin in settings.CSRF_TRUSTED_ORIGINS if "*" not in origin}
    if settings.SITE_URL:
        keys.add(origin_key(settings.SITE_URL))
    keys.discard(None)
    return keys


def origin_allowed(scope) -> bool:
    origin = _header(scope, b"origin")
    key = origin_key(origin) if origin else None
    if key is None:
        return False
    if key in trusted_origins():
        return True
    host = _header(scope, b"host")
    if not host:
        return False
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    own = origin_key(f"{'https' if _secure(scope) else 'http'}://{host}")
    return key == own


class SameOriginValidator:
    """ASGI middleware for websockets: a socket from another origin is refused at the
    handshake (HTTP 403), before any consumer runs."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
