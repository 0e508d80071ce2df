"""A request-size guard in Daphne's HTTP layer, in front of any parser.

Daphne (through Twisted) receives a request's whole body before the application sees the
request; Twisted then parses a form's body (a multipart one whole, in memory) for
arguments Daphne never reads, and Daphne hands all of the body to the application at
once, as chunks in memory, all on the event loop: a 300 MB upload grew the server by
gigabytes and held every other connection for seconds, whoever sent it and wherever it
went. Here Twisted parses nothing, and as the body arrives:

- a body over the limit is refused with 413 and the connection closed, as soon as its
  declared length (or, without one, its received length) shows it, and nothing more of it
  is kept: ``MAX_ANONYMOUS_REQUEST_BYTES`` for a request without a session cookie (no
  staff member is signed in; the phones' forms are a few kilobytes),
  ``MAX_REQUEST_BYTES`` otherwise;
- a body within the limit stays in the file Twisted wrote it to (on disk, from 100 KB
  on); the application is given an empty body and the file's token in a header of its
  own, and ``config.handlers`` gives Django that file to read from, in the request's
  thread. So the event loop never copies a large body, and the server's memory does not
  grow with it.

Whether the session is a signed-in staff member's, and each page's own limit, is checked
before Django parses the body (``config.middleware.RequestBodyGuardMiddleware``).

``install()`` swaps Daphne's request class for this one, and has its websockets close
with a code rather than drop when a frame is refused below the application
(``config.asgi`` calls it when it is imported, as Daphne imports the application before
it listens).
"""

from __future__ import annotations

import secrets
import threading
from io import BytesIO

#: The header that carries a kept body's token from here to ``config.handlers``; a
#: client's own header of this name is removed.
BODY_HEADER = b"x-inspraak-body-file"
#: Bodies from this size on are passed as a file instead of as chunks.
FILE_FROM = 64 * 1024

_bodies: dict[str, object] = {}
_lock = threading.Lock()


def take_body(token: str):
    """The kept body file of ``token`` (once), or None."""
    with _lock:
        return _bodies.pop(token, None)


def _limits() -> tuple[int, int, str]:
    from django.conf import settings

    return (
        settings.MAX_ANONYMOUS_REQUEST_BYTES,
        settings.MAX_REQUEST_BYTES,
        settings.SESSION_COOKIE_NAME,
    )


def refusal(limit: int) -> bytes:
    # Below Django, so in both of the site's languages; the size in whole megabytes (or
    # kilobytes), as people read it.
    size = f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit // 2**10} KB"
    text = (
        f"Dit is te groot om hier te versturen: ten hoogste {size}.\n"
        f"This is too large to send here: at most {size}.\n"
    )
    body = text.encode()
    return (
        b"HTTP/1.1 413 Request Entity Too Large\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"Connection: close\r\n\r\n" + body
    )


def install() -> None:
    from daphne import http_protocol, ws_protocol

    if getattr(http_protocol.WebRequest, "guarded", False):
        return

    # A websocket frame Daphne refuses below the application (a message over its 1 MiB,
    # a text frame that is not UTF-8) is closed with a closing handshake and its code
    # (1009, 1007) instead of a dropped connection (1006), so the client can tell why.
    factory_init = ws_protocol.WebSocketFactory.__init__

    def closing_handshake_init(self, *args, **kwargs):
        factory_init(self, *args, **kwargs)
        self.setProtocolOptions(failByDrop=False)

    ws_protocol.WebSocketFactory.__init__ = closing_handshake_init

    class GuardedRequest(http_protocol.WebRequest):
        guarded = True
        refused = False
        received = 0
        limit = 0
        token = None

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # Twisted parses every POST body it has received (a multipart one whole, in
            # memory, with the e-mail parser) into ``request.args``, on the event loop,
            # before the application sees the request. Daphne never reads ``args``.
            self._parsePOSTFormSubmission = False

        def gotLength(self, length):
            anonymous, signed_in, cookie = _limits()
            self.limit = signed_in if cookie.encode() in self.received_cookies else anonymous
            super().gotLength(length)
            if length is not None and length > self.limit:
                self._refuse()

        def handleContentChunk(self, data):
            if self.refused:
                return
            self.received += len(data)
            if self.received > self.limit:
                self._refuse()
                return
            super().handleContentChunk(data)

        def _refuse(self):
            """Answer 413 at once and close: the rest of the body is not read."""
            self.refused = True
            # No "100 Continue" after the refusal (Twisted would send it for the
            # client's "Expect: 100-continue" once this returns).
            self.requestHeaders.removeHeader(b"Expect")
            # What was kept is dropped; Twisted still expects a file to find empty.
            kept, self.content = self.content, BytesIO()
            kept.close()
            transport = self.channel.transport
            transport.write(refusal(self.limit))
            transport.loseConnection()

        def process(self):
            if self.refused:
                return None
            self.requestHeaders.removeHeader(BODY_HEADER)
            if self.received >= FILE_FROM:
                # The body stays in Twisted's file; the application gets its token.
                self.token = secrets.token_hex(16)
                self.content.seek(0)
                with _lock:
                    _bodies[self.token] = self.content
                self.content = BytesIO()
                self.requestHeaders.setRawHeaders(BODY_HEADER, [self.token.encode()])
            return super().process()

        def connectionLost(self, reason):
            self._forget()
            return super().connectionLost(reason)

        def finish(self):
            self._forget()
            return super().finish()

        def _forget(self):
            if self.token is not None:
                body = take_body(self.token)
                if body is not None:
                    body.close()
                self.token = None

    http_protocol.WebRequest = GuardedRequest
