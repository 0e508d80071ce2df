"""Logs: one line per record, as JSON (``LOG_FORMAT=json``, the default without ``DEBUG``)
or as text, each carrying the id of the request, websocket or background job it belongs
to, and none of the personal data a participation site must not keep.

What keeps personal data out, in order:

- our own access line (``RequestLogMiddleware``, ``WebsocketRequestId``) names the URL
  *pattern* (``/j/<str:code>/answer/<int:question_id>/``), never the path (a phone's link
  holds its code), never the query string, the body or the client's address;
- Daphne's own access log, which prints every client's address and full path, is switched
  off (``silence_daphne_access_log``), whatever the command line asks;
- ``PrivacyFilter``, on the handler every record passes: a request's path in Django's
  own messages becomes its pattern, the arguments of loggers known to print the client
  (django-axes: user name, address) are dropped, and any IP address left in a message is
  replaced by ``[ip]``.

Only the standard library is imported here: settings import this module.
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
import logging
import os
import re
import secrets
import time
from datetime import UTC, datetime

#: Fields of the request, websocket or job being handled: ``request_id``, or ``job`` and
#: ``job_id``. Set per request (each runs in a context of its own) and per job process.
_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("log_context", default=None)

#: What a client may send as ``X-Request-ID`` and have used: a token, as a proxy makes
#: (nginx's ``$request_id``, a UUID), not free text.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
REQUEST_ID_HEADER = "X-Request-ID"

#: Extra fields a record may carry into the JSON line. A whitelist: Django attaches the
#: request object itself to some records, whose text holds the path and query string.
EXTRA_FIELDS = ("method", "route", "status", "duration_ms", "audience", "outcome")

#: Loggers whose messages name the client (django-axes: "login failure by {user name,
#: address}"): their text is kept, their arguments are not.
ARGUMENTS_DROPPED = ("axes",)

access_log = logging.getLogger("inspraak.access")


def context_set(**fields) -> contextvars.Token:
    """Attach ``fields`` to every record logged from here on in this context (a request's
    or a job's)."""
    return _context.set(fields)


def context_get() -> dict:
    return _context.get() or {}


def context_reset(token: contextvars.Token) -> None:
    _context.reset(token)


def request_id(offered: str | None = None) -> str:
    """The request id: the one offered (a proxy's ``X-Request-ID``) when it is a sane
    token, else a new random one."""
    if offered and SANE_REQUEST_ID.fullmatch(offered):
        return offered
    return secrets.token_hex(16)


# --- Filters and formatters -------------------------------------------------------------


class ContextFilter(logging.Filter):
    """Adds the current request's or job's fields to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in context_get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:.])")


def _ip_free(text: str) -> str:
    """``text`` with every IPv4 or IPv6 address replaced by ``[ip]``."""

    def replace(match: re.Match) -> str:
        try:
            ipaddress.ip_address(match.group(0))
        except ValueError:
            return match.group(0)
        return "[ip]"

    return _IPV6.sub(replace, _IPV4.sub(replace, text))


class PrivacyFilter(logging.Filter):
    """Takes paths, clients' details and IP addresses out of the message (see the module's
    docstring). It renders the message once, so formatters see it without arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and isinstance(record.args, tuple):
            # Django's "Not Found: /j/CODE/...", "Forbidden (CSRF …): /path".
            path, route = getattr(request, "path", None), route_of(request)
            record.args = tuple(route if arg == path else arg for arg in record.args)
        if record.args and record.name.split(".")[0] in ARGUMENTS_DROPPED:
            if isinstance(record.args, dict):
                record.args = dict.fromkeys(record.args, "-")
            else:
                record.args = tuple("-" for _ in record.args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            message = str(record.msg)
        record.msg, record.args = _ip_free(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _ip_free(record.exc_text)
        record.request = None  # never rendered by anything after this
        return True


def route_of(request) -> str:
    """The URL pattern a request matched (``/j/<str:code>/``), not its path: a path may
    hold a phone's code. ``/static/`` for static files, ``-`` when nothing matched."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return "/" + match.route
    from django.conf import settings

    static = "/" + settings.STATIC_URL.lstrip("/")
    if getattr(request, "path", "").startswith(static):
        return static
    return "-"


class JSONFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (UTC), ``level``, ``logger``, ``message``,
    ``pid``, the context (``request_id`` or ``job``/``job_id``), the whitelisted extra
    fields, and ``exception`` with its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key in ("request_id", "job", "job_id", *EXTRA_FIELDS):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a developer's console: time, level, logger, ``[request id or job]``, message."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(tag)s%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "job", None):
            record.tag = f"[{record.job}#{getattr(record, 'job_id', '') or '-'}] "
        elif getattr(record, "request_id", None):
            record.tag = f"[{record.request_id[:12]}] "
        else:
            record.tag = ""
        return super().format(record)


def logging_config(*, fmt: str, level: str) -> dict:
    """``LOGGING`` for settings: one handler on standard error (the journal under systemd,
    the container's log under Docker), in ``fmt`` (``json`` or ``text``)."""
    if fmt not in {"json", "text"}:
        raise ValueError(f"LOG_FORMAT must be json or text, not {fmt!r}")
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "config.logging.ContextFilter"},
            "privacy": {"()": "config.logging.PrivacyFilter"},
        },
        "formatters": {
            "json": {"()": "config.logging.JSONFormatter"},
            "text": {"()": "config.logging.TextFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["context", "privacy"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # 4xx responses are in the access line already; 5xx stay (with their traceback).
            "django.request": {"level": "ERROR"},
        },
    }
    if level.upper() == "DEBUG":
        # Daphne's DEBUG lines name each client's address and port.
        config["loggers"]["daphne"] = {"level": "INFO"}
    return config


# --- Requests and websockets ------------------------------------------------------------


class RequestLogMiddleware:
    """Gives each HTTP request an id (the proxy's ``X-Request-ID`` when sane), sends it
    back in the response's ``X-Request-ID`` header, attaches it to every record logged
    while the request is handled, and writes one access line: method, URL pattern,
    status and time taken. First in ``MIDDLEWARE``, so redirects and refusals by the
    middleware after it are logged too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request_id(request.META.get("HTTP_X_REQUEST_ID"))
        # Not reset afterwards: under ASGI each request is a task with its own context,
        # and Django logs a failed request's error after the middleware has returned.
        context_set(request_id=rid)
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = rid
        method = request.method if request.method and request.method.isalpha() else "-"
        route = route_of(request)
        access_log.info(
            "%s %s %s",
            method[:10],
            route,
            response.status_code,
            extra={
                "method": method[:10],
                "route": route,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response


class WebsocketRequestId:
    """ASGI middleware for websockets: an id per connection, attached to every record
    logged while it is open, and one access line when it closes (audience's URL pattern
    and how long it was open). Daphne sends no headers with the handshake's answer, so
    the id is not returned to the client."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        offered = next(
            (v.decode("latin1") for k, v in scope.get("headers", ()) if k == b"x-request-id"),
            None,
        )
        rid = request_id(offered)
        token = context_set(request_id=rid)
        started = time.perf_counter()
        try:
            return await self.app(scope, receive, send)
        finally:
            route = _socket_route(scope.get("path", ""))
            access_log.info(
                "WS %s closed",
                route,
                extra={
                    "method": "WS",
                    "route": route,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            context_reset(token)


def _socket_route(path: str) -> str:
    from config.socket_routes import SOCKET_ROUTES

    path = path.lstrip("/")
    for route in SOCKET_ROUTES.values():
        if path.startswith(route.split("<", 1)[0]):
            return "/" + route
    return "-"


def silence_daphne_access_log() -> None:
    """Daphne's access log (on by default, to standard output) prints each client's IP
    address and the full path with its query string, outside Python's logging. Our own
    access line replaces it; this makes Daphne's a no-op whatever ``--access-log`` or
    ``-v`` says. Call it before Daphne builds its server (importing ``config.asgi`` is
    before)."""
    try:
        from daphne import cli
    except ImportError:  # pragma: no cover - Daphne is a dependency
        return
    cli.AccessLogGenerator = _NoAccessLog


class _NoAccessLog:
    def __init__(self, stream):
        pass

    def __call__(self, protocol, action, details):
        pass


def log_format_default(debug: bool) -> str:
    """``text`` for a developer (``DEBUG``), read on a console; ``json`` otherwise, read by
    journald, a container's log driver or a log collector, which need fields, not prose."""
    return os.environ.get("LOG_FORMAT", "").strip().lower() or ("text" if debug else "json")
