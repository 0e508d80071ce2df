"""The restore test: back up the seeded demo, restore it into an empty database (a new
SQLite file, or a new PostgreSQL database), and show that every log verifies there and
that the council's open data is byte-identical apart from its time stamp. A damaged
backup and a database that is not empty are refused."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from sessions_app.backups import FORMAT, backup_create, backups_prune
from sessions_app.models import Process
from tests.ops.conftest import ROOT, database_env, process_env

pytestmark = pytest.mark.django_db(transaction=True)
RESTORE_DB = "test_inspraak_restore"


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (but the background queue) with its SHA-256."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".background" not in path.relative_to(root).parts
    }


def without_time_stamp(text: str) -> str:
    data = json.loads(text)
    assert data.pop("generated_at")
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


@pytest.fixture
def empty_target(tmp_path):
    """The environment of an empty database and MEDIA_ROOT to restore into."""
    media = {"MEDIA_ROOT": str(tmp_path / "restored-media")}
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        yield {**media, "SQLITE_PATH": str(tmp_path / "restored.sqlite3")}
        return
    import psycopg

    url = database_env(db)["DATABASE_URL"]
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as admin_connection:
        admin_connection.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)')
        admin_connection.execute(f'CREATE DATABASE "{RESTORE_DB}"')
    yield {**media, "DATABASE_URL": urlunsplit(urlsplit(url)._replace(path=f"/{RESTORE_DB}"))}
    with psycopg.connect(admin, autocommit=True) as admin_connection:
        admin_connection.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)')


def test_a_restored_backup_verifies_and_exports_the_same(tmp_path, empty_target):
    call_command("seed_demo", "--password", "demo-wachtwoord", stdout=io.StringIO())
    slugs = list(Process.objects.order_by("slug").values_list("slug", flat=True))
    assert slugs
    original = {}
    for slug in slugs:
        path = tmp_path / f"{slug}.json"
        call_command(
            "export_results", slug, "--format", "json", "-o", str(path), stderr=io.StringIO()
        )
        original[slug] = path.read_text(encoding="utf-8")
    media = tree(Path(settings.MEDIA_ROOT))
    assert any(name.startswith("demo-photos/") for name in media)  # evidence-like files

    out = io.StringIO()
    call_command("backup", str(tmp_path / "backups"), stdout=out)
    backup = Path(out.getvalue().strip())
    assert re.fullmatch(r"inspraak-\d{8}T\d{6}Z", backup.name)
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["format"] == FORMAT
    assert set(manifest["files"]) == {manifest["database"]["file"], "media.tar", "signing-key.pub"}
    assert "sessions_app" in manifest["migrations"] and manifest["media"]["files"] == len(media)
    with tarfile.open(backup / "media.tar") as archive:
        assert sorted(m.name for m in archive.getmembers() if m.isfile()) == sorted(media)

    # A damaged copy (one byte of one photo) is refused before anything is written.
    damaged = tmp_path / "damaged" / backup.name
    damaged.parent.mkdir()
    subprocess.run(["cp", "-a", str(backup), str(damaged)], check=True)
    with (damaged / "media.tar").open("r+b") as stream:
        stream.seek(5000)
        byte = stream.read(1)
        stream.seek(5000)
        stream.write(bytes([byte[0] ^ 1]))
    env = process_env(**empty_target)
    if "SQLITE_PATH" in empty_target:
        env.pop("DATABASE_URL", None)
    refused = manage(env, "restore", str(damaged))
    assert refused.returncode != 0
    # Commands speak the site's language (LANGUAGE_CODE, Dutch).
    assert "media.tar is niet het bestand waarvan een back-up is gemaakt" in refused.stderr
    assert not Path(empty_target["MEDIA_ROOT"]).exists()

    # The real one, into the same (still empty) database.
    restored = manage(env, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "is hersteld: de database en" in restored.stdout
    assert "SIGNING_KEY" not in restored.stdout  # the same key signs on

    verified = manage(env, "verify_log")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    for slug in slugs:
        assert slug in verified.stdout
        exported = manage(env, "export_results", slug, "--format", "json")
        assert exported.returncode == 0, exported.stderr
        assert exported.stdout != original[slug]  # made at another time...
        assert without_time_stamp(exported.stdout) == without_time_stamp(original[slug])
        # ... and byte for byte the same once the time stamp is the same.
        stamp = json.loads(original[slug])["generated_at"]
        again = re.sub(
            r'"generated_at": "[^"]+"', f'"generated_at": "{stamp}"', exported.stdout, count=1
        )
        assert again == original[slug]
    assert tree(Path(empty_target["MEDIA_ROOT"])) == media

    # A database that is not empty (this one, now) is refused.
    again = manage(env, "restore", str(backup))
    assert again.returncode != 0 and "De database is niet leeg" in again.stderr


def test_old_backups_are_removed_and_nothing_else(tmp_path, settings):
    now = datetime(2027, 3, 1, 12, tzinfo=UTC)
    old = backup_create(tmp_path, now=now - timedelta(days=31))
    recent = backup_create(tmp_path, now=now - timedelta(days=29))
    other = tmp_path / "inspraak-notes"
    other.mkdir()
    assert backups_prune(tmp_path, keep_days=30, now=now) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([recent.name, other.name])
    assert backups_prune(tmp_path, keep_days=0, now=now + timedelta(days=400)) == []


def test_the_backup_command_prints_its_path_then_removes_old_backups(tmp_path):
    old = backup_create(tmp_path, now=datetime.now(UTC) - timedelta(days=40))
    out = io.StringIO()
    call_command("backup", str(tmp_path), "--keep-days", "30", stdout=out, stderr=out)
    [made] = [p for p in tmp_path.iterdir() if p != old]
    lines = out.getvalue().splitlines()
    assert lines[0] == str(made)
    assert len(lines) == 2 and str(old) in lines[1]
    assert not old.exists()


def test_a_failing_removal_does_not_hide_the_new_backup(tmp_path, monkeypatch):
    old = backup_create(tmp_path, now=datetime.now(UTC) - timedelta(days=40))
    rmtree = shutil.rmtree

    def refuse(path, ignore_errors=False, **options):
        if ignore_errors:  # the command's own clean-up of a half-written backup
            return rmtree(path, ignore_errors=True, **options)
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(shutil, "rmtree", refuse)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="Permission denied"):
        call_command("backup", str(tmp_path), "--keep-days", "30", stdout=out, stderr=err)
    [made] = [p for p in tmp_path.iterdir() if p != old]
    assert out.getvalue().splitlines() == [str(made)]
    assert old.exists()


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="pg_dump reads one snapshot by itself; this is SQLite's backup API",
)
def test_an_sqlite_backup_is_one_state_while_the_server_writes(
    tmp_path, live_session, organiser, make_question
):
    import sqlite3
    import threading

    from django.db import connection

    from sessions_app.services.participation import participant_join
    from sessions_app.services.processes import process_publish

    make_question("single_choice")
    process_publish(user=organiser, process=live_session.process)
    stop, joined = threading.Event(), []

    def phones_joining():
        try:
            while not stop.is_set():
                joined.append(participant_join(session=live_session, via="room"))
        finally:
            connection.close()

    writer = threading.Thread(target=phones_joining)
    writer.start()
    try:
        backups = []
        for index in range(5):
            while len(joined) < 10 * (index + 1):
                time.sleep(0.005)
            backups.append(backup_create(tmp_path, now=datetime(2027, 3, 1, 12, index, tzinfo=UTC)))
    finally:
        stop.set()
        writer.join()
    seen = []
    for backup in backups:
        copy = sqlite3.connect(backup / "database.sqlite3")
        people = copy.execute("SELECT count(*) FROM sessions_app_participant").fetchone()[0]
        joins, last, count = copy.execute(
            "SELECT sum(action = 'participant.joined'), max(seq), count(*)"
            " FROM sessions_app_logentry WHERE process_id = ?",
            [live_session.process_id],
        ).fetchone()
        copy.close()
        # Each join wrote a participant and its log entry in one transaction: a copy holds
        # both or neither, and the log has no gap.
        assert people == joins and last == count
        seen.append(people)
    assert seen == sorted(seen) and seen[0] >= 10 and seen[-1] <= len(joined)
