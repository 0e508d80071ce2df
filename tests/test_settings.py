"""Configuration by environment, with safe defaults."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-key-0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c",
    "ALLOWED_HOSTS": "inspraak.zuiderhaven.nl",
    "EMAIL_URL": "smtp://inspraak:secret@mail.zuiderhaven.nl:587/?tls=True",
}
#: The mail settings a developer's shell may hold: each test says its own.
MAIL = {"EMAIL_URL", "EMAIL_HOST"}


def run(code_or_args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DEBUG", "SECRET_KEY", "HTTPS", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", *MAIL}
    }
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_in(env: dict, expression: str):
    code = (
        "import os, json; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
        "from django.conf import settings;"
        f"print(json.dumps({expression}, default=str))"
    )
    result = run(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_passes_with_production_variables():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_a_mail_server_production_drops_mails_and_check_deploy_warns():
    """A reset mail printed on the console would put its link and address in the journal:
    outside DEBUG, with no EMAIL_URL or EMAIL_HOST, mails go nowhere, and the deploy
    check says so."""
    bare = {k: v for k, v in PRODUCTION.items() if k not in MAIL}
    assert settings_in(bare, "settings.EMAIL_BACKEND") == (
        "django.core.mail.backends.dummy.EmailBackend"
    )
    assert settings_in({"DEBUG": "1"}, "settings.EMAIL_BACKEND") == (
        "django.core.mail.backends.console.EmailBackend"
    )
    assert settings_in(PRODUCTION, "settings.EMAIL_BACKEND") == (
        "django.core.mail.backends.smtp.EmailBackend"
    )
    assert settings_in({**bare, "EMAIL_HOST": "mail.zuiderhaven.nl"}, "settings.EMAIL_BACKEND") == (
        "django.core.mail.backends.smtp.EmailBackend"
    )
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **bare)
    assert result.returncode != 0
    assert "sessions_app.W001" in result.stdout + result.stderr
    assert "No mail server is configured" in result.stdout + result.stderr
    # A plain check (no --deploy) stays quiet: a developer's machine needs no mail server.
    assert run(["manage.py", "check", "--fail-level", "WARNING"], **bare).returncode == 0
    # Mails asked for on the console outside DEBUG: warned about too.
    console = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **{**bare, "EMAIL_URL": "console:"},
    )
    assert "sessions_app.W002" in console.stdout + console.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run(["manage.py", "check"], DEBUG="0", ALLOWED_HOSTS="x")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_debug_defaults_off_and_production_is_https_only():
    values = settings_in(
        PRODUCTION,
        "[settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS]",
    )
    assert values == [False, True, True, 31536000]


def test_defaults_are_sqlite_and_the_in_process_layer():
    db, layer = settings_in(
        {"DEBUG": "1"},
        "[settings.DATABASES['default'], settings.CHANNEL_LAYERS['default']['BACKEND']]",
    )
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert layer == "channels.layers.InMemoryChannelLayer"


def test_database_url_and_redis_url_switch_backends():
    env = {
        **PRODUCTION,
        "DATABASE_URL": "postgres://inspraak:geheim@db.internal:5432/inspraak",
        "REDIS_URL": "redis://cache.internal:6379/0",
    }
    db, layer = settings_in(
        env, "[settings.DATABASES['default'], settings.CHANNEL_LAYERS['default']]"
    )
    assert (db["ENGINE"], db["NAME"], db["HOST"]) == (
        "django.db.backends.postgresql",
        "inspraak",
        "db.internal",
    )
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    host = layer["CONFIG"]["hosts"][0]
    assert host["address"] == "redis://cache.internal:6379/0"
    # Both must be explicit: redis-py's 5 s default timeout kills consumers blocked on
    # the layer's 5 s BZPOPMIN, and the default pool is far too small.
    assert host["socket_timeout"] > 5
    assert host["max_connections"] >= 1000


def test_time_zone_and_languages():
    values = settings_in(
        {"DEBUG": "1"},
        "[settings.TIME_ZONE, settings.LANGUAGE_CODE, [c for c, _ in settings.LANGUAGES]]",
    )
    assert values == ["Europe/Amsterdam", "nl", ["nl", "en"]]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="WAL is a SQLite setting")
@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20000
        # The log's file is cut back to 64 MB each time it starts afresh.
        cursor.execute("PRAGMA journal_size_limit")
        assert cursor.fetchone()[0] == 64 * 1024 * 1024


@pytest.mark.django_db
def test_without_a_mail_server_the_reset_page_answers_alike_and_prints_nothing(
    client, make_user, settings, capsys
):
    """With the dummy backend (production without a mail server) the reset request
    answers as for any address, and neither the link nor the address reaches stdout."""
    from django.core import mail
    from django.urls import reverse

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    user = make_user("frits")
    user.email = "frits@voorbeeldstad.nl"
    user.save()
    capsys.readouterr()
    known = client.post(reverse("password_reset"), {"email": "frits@voorbeeldstad.nl"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("password_reset_done")
    printed = capsys.readouterr()
    assert "frits@voorbeeldstad.nl" not in printed.out + printed.err
    assert "/reset/" not in printed.out + printed.err
    assert not getattr(mail, "outbox", [])  # nothing was kept either
