"""Backups and their restore (``manage.py backup DIR``, ``manage.py restore DIR``).

A backup is a directory ``inspraak-YYYYMMDDTHHMMSSZ`` holding:

- the database: SQLite through its online backup API (a consistent copy while the server
  keeps writing; a file copy of a database in WAL mode is not), or PostgreSQL through
  ``pg_dump --format=custom``, with the password given in ``PGPASSWORD``, never on the
  command line;
- ``media.tar``: ``MEDIA_ROOT`` (print runs, exports, the photos and scans kept as
  evidence), without the background queue and half-written files;
- ``signing-key.pub``: the public half of the key that signs the logs' tree heads, to
  check the restored heads against (the private key is never in a backup);
- ``manifest.json``: format, time, versions, the database's migrations, and the size and
  SHA-256 of each file, checked before anything is restored.

It is written under a dot-name and renamed when complete: a directory with the final name
is a whole backup. A restore goes into an empty database and an empty ``MEDIA_ROOT`` only,
so it can never mix two installations' data.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

import django
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

FORMAT = "inspraak.backup/1"
MANIFEST = "manifest.json"
MEDIA = "media.tar"
PUBLIC_KEY = "signing-key.pub"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
NAME = re.compile(r"inspraak-\d{8}T\d{6}Z")
#: Under MEDIA_ROOT and not backed up: the background jobs' queue and locks, and a
#: file system's own directory when MEDIA_ROOT is a mount point.
NOT_MEDIA = {".background", "lost+found"}
CHUNK = 1 << 20


class BackupRefused(Exception):
    """A backup cannot be made or restored; ``code`` says why (``not_a_backup``,
    ``format``, ``damaged``, ``vendor``, ``not_empty``, ``media_not_empty``, ``tool``)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Restored:
    """What a restore did, and what is left to do."""

    path: Path
    manifest: dict
    media_files: int = 0
    notes: list[str] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- Backup ----------------------------------------------------------------------------


def backup_create(directory: Path, *, now: datetime | None = None) -> Path:
    """Write a dated backup into ``directory``; its path."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    name = f"inspraak-{now:%Y%m%dT%H%M%SZ}"
    directory.mkdir(parents=True, exist_ok=True)
    target, partial = directory / name, directory / f".{name}.partial"
    if target.exists():
        raise BackupRefused("exists", _("%(path)s exists already.") % {"path": target})
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    try:
        vendor = connection.vendor
        if vendor not in DATABASE_FILES:
            raise BackupRefused(
                "vendor", _("Backups cover SQLite and PostgreSQL, not %(v)s.") % {"v": vendor}
            )
        database = partial / DATABASE_FILES[vendor]
        versions = _dump_sqlite(database) if vendor == "sqlite" else _dump_postgres(database)
        media = _archive_media(partial / MEDIA)
        key = _public_key()
        (partial / PUBLIC_KEY).write_text(f"{key['public_key']} {key['key_id']}\n")
        files = [database.name, MEDIA, PUBLIC_KEY]
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat().replace("+00:00", "Z"),
            "versions": {
                "inspraak": _version("inspraak"),
                "django": django.get_version(),
                "python": sys.version.split()[0],
                **versions,
            },
            "database": {"vendor": vendor, "file": database.name},
            "migrations": _migrations(),
            "signing_key": key,
            "media": media,
            "files": {
                name: {
                    "bytes": (partial / name).stat().st_size,
                    "sha256": sha256_of(partial / name),
                }
                for name in files
            },
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return target


def _dump_sqlite(path: Path) -> dict:
    """The online backup API, in one step: a read transaction over the whole copy, so it
    is one consistent state while writers go on (in WAL mode they are not blocked)."""
    source = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=30)
    try:
        copy = sqlite3.connect(path)
        try:
            source.backup(copy)
            # One self-contained file, not a database that expects a write-ahead log.
            copy.execute("PRAGMA journal_mode=DELETE")
            if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupRefused("damaged", _("The copy of the database is damaged."))
        finally:
            copy.close()
    finally:
        source.close()
    return {"database": f"SQLite {sqlite3.sqlite_version}"}


def postgres_env() -> dict[str, str]:
    """libpq's variables for the configured database: the password travels in the
    environment of pg_dump and pg_restore, never on a command line (``ps`` shows those)."""
    db = settings.DATABASES["default"]
    values = {
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": db.get("NAME") or "",
        "PGSSLMODE": (db.get("OPTIONS") or {}).get("sslmode", ""),
    }
    return {**os.environ, **{key: value for key, value in values.items() if value}}


def _run_tool(command: list[str]) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed commands, no shell
            command, env=postgres_env(), capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise BackupRefused(
            "tool",
            _("%(tool)s is not installed (Debian: postgresql-client).") % {"tool": command[0]},
        ) from None
    if done.returncode != 0:
        raise BackupRefused(
            "tool",
            _("%(tool)s failed: %(error)s") % {"tool": command[0], "error": done.stderr.strip()},
        )
    return done.stdout.strip()


def _dump_postgres(path: Path) -> dict:
    # pg_dump reads one snapshot: the dump is consistent while the server writes.
    _run_tool(["pg_dump", "--format=custom", "--no-password", f"--file={path}"])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return {"database": f"PostgreSQL {server}", "pg_dump": _run_tool(["pg_dump", "--version"])}


def _media_members(root: Path):
    """What of MEDIA_ROOT goes into a backup, in a stable order: everything but the
    background queue and dot-files (half-written exports, progress counters, probes)."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in NOT_MEDIA or any(part.startswith(".") for part in relative.parts):
            continue
        yield path, relative.as_posix()


def _archive_media(path: Path) -> dict:
    root = Path(settings.MEDIA_ROOT)
    files = size = 0
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        if root.is_dir():
            for member, name in _media_members(root):
                try:
                    archive.add(member, arcname=name, recursive=False)
                except FileNotFoundError:
                    continue  # removed meanwhile (retention, an expired export)
                if member.is_file():
                    files, size = files + 1, size + member.stat().st_size
    return {"files": files, "bytes": size}


def _public_key() -> dict:
    from sessions_app import checkpoints

    key = checkpoints.public_key()
    return {"public_key": key["public_key"], "key_id": key["key_id"]}


def _migrations() -> dict[str, list[str]]:
    from django.db.migrations.recorder import MigrationRecorder

    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def backups_prune(directory: Path, *, keep_days: int, now: datetime | None = None) -> list[Path]:
    """Remove the backups in ``directory`` made more than ``keep_days`` ago (none when
    ``keep_days`` is 0); the ones removed. Only directories this module wrote are touched."""
    if keep_days <= 0:
        return []
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    removed = []
    for path in sorted(directory.iterdir()):
        if not (path.is_dir() and NAME.fullmatch(path.name)):
            continue
        try:
            manifest = json.loads((path / MANIFEST).read_text())
            made = datetime.fromisoformat(manifest["created_at"].replace("Z", "+00:00"))
        except (OSError, ValueError, KeyError):
            continue
        if manifest.get("format") == FORMAT and made < cutoff:
            shutil.rmtree(path)
            removed.append(path)
    return removed


# --- Restore ---------------------------------------------------------------------------


def manifest_read(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        found = sorted(p.name for p in source.glob("inspraak-*") if p.is_dir())
        hint = (
            _(" It holds these backups: %(names)s.") % {"names": ", ".join(found)} if found else ""
        )
        raise BackupRefused(
            "not_a_backup",
            _("%(path)s is not a backup made by manage.py backup (no readable %(manifest)s).")
            % {"path": source, "manifest": MANIFEST}
            + hint,
        ) from None
    if manifest.get("format") != FORMAT:
        raise BackupRefused(
            "format", _("This backup's format is not %(format)s.") % {"format": FORMAT}
        )
    return manifest


def backup_check(source: Path, manifest: dict) -> None:
    """Every file the manifest lists is there with its size and SHA-256; raises
    ``BackupRefused("damaged")`` naming the first that is not."""
    vendor = manifest["database"]["vendor"]
    expected = {DATABASE_FILES.get(vendor), MEDIA, PUBLIC_KEY}
    files = manifest.get("files", {})
    if set(files) != expected:
        raise BackupRefused("damaged", _("The manifest does not list this backup's files."))
    for name, facts in sorted(files.items()):
        path = source / name
        if not path.is_file():
            raise BackupRefused("damaged", _("%(name)s is missing.") % {"name": name})
        if path.stat().st_size != facts["bytes"] or sha256_of(path) != facts["sha256"]:
            raise BackupRefused(
                "damaged",
                _("%(name)s is not the file that was backed up (its SHA-256 differs).")
                % {"name": name},
            )


def database_tables() -> int:
    """The tables (and views, sequences) in the configured database; 0 when it is empty."""
    if connection.vendor == "sqlite":
        path = Path(settings.DATABASES["default"]["NAME"])
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size:
            return 1  # a write-ahead log without its database: not ours to overwrite
        if not path.exists() or path.stat().st_size == 0:
            return 0
        probe = sqlite3.connect(path)
        try:
            return probe.execute(
                "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')"
                " AND name NOT LIKE 'sqlite_%'"
            ).fetchone()[0]
        finally:
            probe.close()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND n.nspname NOT LIKE 'pg_toast%%' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
        )
        return cursor.fetchone()[0]


def _media_entries() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if p.name not in NOT_MEDIA)


def backup_restore(source: Path) -> Restored:
    """Restore the backup in ``source`` into the configured database and MEDIA_ROOT,
    which must both be empty. Everything is checked before anything is written."""
    manifest = manifest_read(source)
    backup_check(source, manifest)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupRefused(
            "vendor",
            _("This is a %(backup)s backup; the configured database is %(here)s.")
            % {"backup": vendor, "here": connection.vendor},
        )
    tables = database_tables()
    if tables:
        raise BackupRefused(
            "not_empty",
            _(
                "The database is not empty (%(count)d tables). A backup is restored into an "
                "empty database only: create a new one, point DATABASE_URL or SQLITE_PATH at "
                "it and run restore again."
            )
            % {"count": tables},
        )
    if entries := _media_entries():
        raise BackupRefused(
            "media_not_empty",
            _("MEDIA_ROOT (%(path)s) is not empty (%(names)s): restore into an empty one.")
            % {"path": settings.MEDIA_ROOT, "names": ", ".join(entries[:5])},
        )
    database = source / manifest["database"]["file"]
    if vendor == "sqlite":
        _restore_sqlite(database)
    else:
        _run_tool(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--no-password",
                f"--dbname={settings.DATABASES['default']['NAME']}",
                str(database),
            ]
        )
    restored = Restored(path=source, manifest=manifest)
    restored.media_files = _extract_media(source / MEDIA)
    restored.notes = _afterwards(manifest)
    return restored


def _restore_sqlite(backup: Path) -> None:
    connection.close()
    target = Path(settings.DATABASES["default"]["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=WAL")
        finally:
            copy.close()
    finally:
        source.close()


def _extract_media(archive: Path) -> int:
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        # "data": no absolute paths, no links out of MEDIA_ROOT, no devices.
        tar.extractall(root, members=members, filter="data")
    return sum(1 for member in members if member.isfile())


def _afterwards(manifest: dict) -> list[str]:
    """What the operator should know after a restore: migrations to run, another key."""
    from django.db.migrations.loader import MigrationLoader

    notes = []
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    backed_up = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    missing = [key for key in loader.graph.leaf_nodes() if key not in backed_up]
    unknown = [key for key in sorted(backed_up) if key not in loader.graph.nodes]
    if missing:
        notes.append(_("This code has newer migrations: run manage.py migrate."))
    if unknown:
        notes.append(
            _("The backup was made by a newer version (migrations this code lacks: %(names)s).")
            % {"names": ", ".join(f"{app}.{name}" for app, name in unknown[:5])}
        )
    key = _public_key()
    if key["public_key"] != manifest["signing_key"]["public_key"]:
        notes.append(
            _(
                "SIGNING_KEY is not the key of the backed-up installation (%(old)s): set it, "
                "or the heads signed from now on use another key."
            )
            % {"old": manifest["signing_key"]["key_id"]}
        )
    return notes
