"""Helpers for the operations tests: other processes (background jobs, a Daphne, the
backup commands) working on the test database and the test's MEDIA_ROOT."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def database_env(db: dict) -> dict[str, str]:
    """``SQLITE_PATH`` or ``DATABASE_URL`` naming the database ``db`` (a DATABASES entry)."""
    if db["ENGINE"].endswith("sqlite3"):
        return {"SQLITE_PATH": str(db["NAME"])}
    host, port = db["HOST"] or "localhost", db["PORT"] or 5432
    return {"DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"}


def process_env(**overrides: str) -> dict[str, str]:
    """The environment of a production-like process on the test database and the test's
    MEDIA_ROOT (unless ``overrides`` say otherwise)."""
    env = {**os.environ, "DEBUG": "0", "HTTPS": "0", "SECRET_KEY": settings.SECRET_KEY}
    env.pop("DATABASE_URL", None)
    env.pop("SQLITE_PATH", None)
    env.update(database_env(settings.DATABASES["default"]))
    env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


@pytest.fixture
def in_children(monkeypatch):
    """Background processes started from the test see the test's database and media."""

    def apply(**overrides: str) -> dict[str, str]:
        env = process_env(**overrides)
        for key in ("DATABASE_URL", "SQLITE_PATH"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            if os.environ.get(key) != value:
                monkeypatch.setenv(key, value)
        return env

    return apply
