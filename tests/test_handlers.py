"""Django's ASGI handler as a threaded WSGI server runs it (``config.handlers``): each
request's middleware and view on one long-lived thread, which keeps its database
connection, instead of a new thread and a new connection for every request."""

import threading
from unittest import mock

import pytest
from channels.testing import HttpCommunicator
from django.db.backends.base.base import BaseDatabaseWrapper

from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def get(path: str) -> dict:
    page = HttpCommunicator(application, "GET", path, headers=[(b"host", b"testserver")])
    return await page.get_response(timeout=10)


async def test_requests_reuse_their_threads_and_database_connections():
    from sessions_app.views import participate

    opened, threads = [], []
    real_connect, real_session = BaseDatabaseWrapper.connect, participate._session

    def connect(self):
        opened.append(threading.current_thread().name)
        return real_connect(self)

    def session(code):
        threads.append(threading.current_thread().name)
        return real_session(code)  # reads the database

    with (
        mock.patch.object(BaseDatabaseWrapper, "connect", connect),
        mock.patch.object(participate, "_session", session),
    ):
        for _ in range(5):
            response = await get("/j/?code=ABCDEF")
            assert response["status"] == 404  # no such session: read from the database
    assert len(threads) == 5
    assert all(name.startswith("inspraak-http-") for name in threads)
    # Django's own handler: five threads, five connections. Here: at most one new one.
    assert len(opened) <= 1
