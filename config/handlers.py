"""Django's ASGI handler, running each request as a threaded WSGI server would.

Two costs of Django's own ASGI handler, measured with a teller's form (four times what
its view costs by itself):

- It runs each request's synchronous code in a ``ThreadSensitiveContext`` of its own,
  which asgiref gives a new thread; and Django's database connections belong to a
  thread. So every request started a thread and opened a database connection (on SQLite
  its pragmas and functions, on PostgreSQL a whole new session) and dropped both.
- It builds the middleware chain for async, so each of our synchronous middleware (all
  of Django's) hops from the event loop to a thread and back for its request and again
  for its response: some twenty thread hops a request.

Here the middleware chain and the view run synchronously, in one hop, on one of
``HTTP_THREADS`` threads that live as long as the server and keep their connections as
``CONN_MAX_AGE`` says. A large body that ``config.http_guard`` kept on disk is given to
Django as that file (``read_body``), so the event loop never copies it. Asynchronous views still work (Django runs them from the
synchronous chain as it does under WSGI).
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler

from config import http_guard

#: The body file ``config.http_guard`` kept for the request being handled, if any.
_kept_body: contextvars.ContextVar = contextvars.ContextVar("kept_body", default=None)


class PooledASGIHandler(ASGIHandler):
    def __init__(self, threads: int):
        super().__init__()
        names = itertools.count(1)
        self.executors = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"inspraak-http-{next(names)}")
            for _ in range(threads)
        ]
        #: Requests in progress on each thread; a request goes to the least busy one.
        self.busy = [0] * threads
        self.lock = threading.Lock()

    def load_middleware(self, is_async=False):
        """The synchronous chain (as under WSGI), awaited in one hop to the request's
        thread."""
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            # A large body was kept on disk by the guard: Django reads it from there.
            token = next(
                (v for k, v in scope.get("headers", ()) if k == http_guard.BODY_HEADER), None
            )
            if token is not None:
                scope = {
                    **scope,
                    "headers": [h for h in scope["headers"] if h[0] != http_guard.BODY_HEADER],
                }
                _kept_body.set(http_guard.take_body(token.decode("latin1")))
        with self.lock:
            index = min(range(len(self.busy)), key=self.busy.__getitem__)
            self.busy[index] += 1
        try:
            # An outer context with an executor: Django's own context inside it keeps it.
            async with ThreadSensitiveContext(executor=self.executors[index]):
                await super().__call__(scope, receive, send)
        finally:
            with self.lock:
                self.busy[index] -= 1

    async def read_body(self, receive):
        body = await super().read_body(receive)  # empty when the guard kept the body
        kept = _kept_body.get()
        if kept is None:
            return body
        body.close()
        _kept_body.set(None)
        kept.seek(0)
        return kept


def get_asgi_application():
    """As ``django.core.asgi.get_asgi_application``, on ``settings.HTTP_THREADS``
    long-lived threads."""
    django.setup(set_prefix=False)
    from django.conf import settings

    return PooledASGIHandler(settings.HTTP_THREADS)
