"""A real Daphne serving the test database, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from playwright.async_api import expect

from bench.stack import launch_daphne, stop_daphne

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# An assertion waits as long as an action does (``set_default_timeout`` below): on a
# loaded two-core machine a phone's answer, saved and acknowledged after the commit, took
# longer than Playwright's 5 s once.
expect.set_options(timeout=10_000)


@pytest.fixture(autouse=True)
def _fast_password_hashing():
    """Accounts made here log in on the separate Daphne, which uses the real hashers."""


def server_env(static_root: Path) -> dict[str, str]:
    """The environment of a production-like server on the test database."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DEBUG": "0",
        "HTTPS": "0",
        # The same key as the tests, so codes signed here (sheet QR codes) verify there.
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(static_root.parent / "media"),
        "PYTHONUNBUFFERED": "1",
    }
    if db["ENGINE"].endswith("sqlite3"):
        env["SQLITE_PATH"] = str(db["NAME"])
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    return env


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("static")
    env = server_env(root)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return root


@pytest.fixture(scope="session")
def daphne_url(django_db_setup, django_db_blocker, static_root):
    """``daphne config.asgi:application`` on a free loopback port, on the test database."""
    server = launch_daphne(env=server_env(static_root), directory=static_root.parent)
    yield f"http://{server.url}"
    stop_daphne(server)


@pytest.fixture(autouse=True)
async def _close_worker_connections():
    """The ORM runs in ``sync_to_async``'s worker thread and the writer thread; close
    their connections so the test database can be dropped at the end (PostgreSQL refuses
    while a session is open)."""
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections

    from sessions_app import writer

    await sync_to_async(connections.close_all)()
    await sync_to_async(writer.close_connections, thread_sensitive=False)()


@pytest.fixture
async def browser():
    """Playwright's async API: its event loop runs only inside the test, so Django's ORM
    (through ``sync_to_async``) and fixture teardown stay outside any running loop."""
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}; install Debian's chromium or set CHROMIUM_PATH"
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # Every page of every test is watched for what the Content-Security-Policy blocked
        # (an inline script or style, a resource from elsewhere): none is allowed.
        blocked: list[str] = []

        def watch(context):
            context.on(
                "console",
                lambda message: (
                    blocked.append(f"{message.location.get('url')}: {message.text}")
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            return context

        new_context, new_page = instance.new_context, instance.new_page

        async def watched_context(*args, **kwargs):
            return watch(await new_context(*args, **kwargs))

        async def watched_page(*args, **kwargs):
            page = await new_page(*args, **kwargs)
            watch(page.context)
            return page

        instance.new_context, instance.new_page = watched_context, watched_page
        instance.csp_blocked = blocked  # a test that provokes a block takes it from here
        yield instance
        await instance.close()
        assert blocked == [], "the Content-Security-Policy blocked something"


@pytest.fixture
async def page(browser):
    context = await browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = await context.new_page()
    yield page
    await context.close()
