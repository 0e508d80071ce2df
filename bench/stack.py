"""The server side of a load run: a throwaway database, the town hall from
``bench.prepare``, and one or more Daphne processes on loopback, pinned to their own
core(s) so that the load tool's client runs beside them, not on top of them."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _raise_file_limit() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _split_cores() -> tuple[set[int], set[int]]:
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return set(available), set(available)
    return {available[0]}, set(available[1:])


#: Read once, before the load tool pins itself to its own cores.
_CORES = _split_cores()


def cores() -> tuple[set[int], set[int]]:
    """(server cores, client cores): the first core for the servers, the rest for the
    client; with one core they share it."""
    return _CORES


def fresh_postgres(url: str) -> tuple[str, str]:
    """A database of its own beside the one ``url`` names, made empty: its URL, and the
    handle ``drop_postgres`` takes to drop it afterwards."""
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'inspraak'}_bench"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), f"{admin}|{name}"


def drop_postgres(handle: str) -> None:
    """Drop a database made by ``fresh_postgres`` (this process's connections first)."""
    import psycopg

    admin, name = handle.split("|")
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: S110 - Django may not be set up here
        pass
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def launch_daphne(
    *,
    env: dict,
    directory: Path,
    port: int | None = None,
    preexec=None,
    warm: bool = True,
    args: tuple[str, ...] = (),
) -> Server:
    """``daphne config.asgi:application`` on a loopback port, started and listening (and,
    with ``warm``, past its first requests: the URL configuration and the views are
    imported on the first one, as on a server that has run for a while). ``args`` are
    more of Daphne's options (the deployment test passes the systemd unit's). Used by the
    load tool and the browser tests."""
    port = port or _free_port()
    log = directory / f"daphne-{port}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            # Twisted listens with a backlog of 50: a storm of reconnecting phones then
            # overflows it and waits for SYN retries (1 s, 3 s, ...) before even queueing.
            "-e",
            f"tcp:port={port}:interface=127.0.0.1:backlog=2048",
            # Slow handshakes under a connection storm are queued, not dropped.
            "--websocket_connect_timeout",
            "60",
            *args,
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        preexec_fn=preexec,
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Daphne exited:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            time.sleep(0.1)
            continue
        if warm:
            for path in ("/", "/accounts/login/"):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30).read()
        return Server(f"127.0.0.1:{port}", process, log)
    process.kill()
    raise RuntimeError(f"Daphne did not listen within {STARTUP_SECONDS} s")


def stop_daphne(server: Server, *, kill: bool = False) -> None:
    if server.process.poll() is None:
        if kill:
            server.process.kill()
        else:
            server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


@dataclass
class Stack:
    """Use as a context manager: everything it starts is stopped and removed on exit."""

    phones: int
    tellers: int = 2
    sheets: int = 20
    servers: int = 1
    reveal: bool = False
    #: A statements question with this many statements (open and on screen) instead of a
    #: single choice.
    statements: int = 0
    #: A Q&A round with this many asked questions, for the load tool's Q&A phase.
    qna: int = 0
    #: Tellers photograph the sheets (phone photos made by ``bench.prepare``) instead of
    #: typing them.
    photos: bool = False
    database_url: str = ""
    redis_url: str = ""
    #: Start a Redis of its own (``redis-server`` on a free port), which can be restarted.
    own_redis: bool = False
    keep: bool = False
    directory: Path = field(init=False)
    env: dict = field(init=False)
    plan: dict = field(init=False)
    running: list[Server] = field(init=False, default_factory=list)
    _bench_db: str = field(init=False, default="")
    _redis: subprocess.Popen | None = field(init=False, default=None)
    _redis_port: int = field(init=False, default=0)

    def __enter__(self) -> Stack:
        self.directory = Path(tempfile.mkdtemp(prefix="inspraak-bench-"))
        try:
            self._setup()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _setup(self) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DEBUG="0",
            HTTPS="0",
            SECRET_KEY=secrets.token_urlsafe(40),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            STATIC_ROOT=str(self.directory / "static"),
            MEDIA_ROOT=str(self.directory / "media"),
            INSPRAAK_ECHO_BASELINE="1",
            PYTHONUNBUFFERED="1",
        )
        if self.database_url:
            env["DATABASE_URL"] = self._fresh_postgres(self.database_url)
        else:
            env["SQLITE_PATH"] = str(self.directory / "bench.sqlite3")
        if self.own_redis:
            self._redis_port = _free_port()
            self.start_redis()
            env["REDIS_URL"] = f"redis://127.0.0.1:{self._redis_port}/0"
        elif self.redis_url:
            env["REDIS_URL"] = self.redis_url
        self.env = env
        self._manage("migrate", "--noinput", "-v0")
        self._manage("collectstatic", "--noinput", "-v0")
        plan = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.prepare",
                "--phones",
                str(self.phones),
                "--tellers",
                str(self.tellers),
                "--sheets",
                str(self.sheets),
                *(["--reveal"] if self.reveal else []),
                *(["--statements", str(self.statements)] if self.statements else []),
                *(["--qna", str(self.qna)] if self.qna else []),
                *(["--photos", str(self.directory / "photos")] if self.photos else []),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        self.plan = json.loads(plan.stdout)
        for _ in range(self.servers):
            self.running.append(self.start_server())

    def _manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def _fresh_postgres(self, url: str) -> str:
        """A database of its own beside the given one, dropped afterwards."""
        fresh, self._bench_db = fresh_postgres(url)
        return fresh

    def start_server(self, port: int | None = None) -> Server:
        """Start one Daphne on loopback, on the server core(s), and wait until it serves."""
        server_cores, _client = cores()

        def pin() -> None:
            os.sched_setaffinity(0, server_cores)
            _raise_file_limit()

        return launch_daphne(env=self.env, directory=self.directory, port=port, preexec=pin)

    def stop_server(self, server: Server, *, kill: bool = False) -> None:
        stop_daphne(server, kill=kill)

    def start_redis(self) -> None:
        """Start (or start again) the stack's own Redis, empty, on its port."""
        self._redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self._redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self._redis_port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("Redis did not start")

    def stop_redis(self) -> None:
        if self._redis is not None and self._redis.poll() is None:
            self._redis.kill()
            self._redis.wait(timeout=10)

    def django(self):
        """Set this process up with the servers' settings, to check the database after a
        run (call once, before any Django import)."""
        os.environ.update(self.env)
        for key in ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH"):
            if key not in self.env:
                os.environ.pop(key, None)
        import django

        django.setup()

    def __exit__(self, *exc) -> None:
        for server in self.running:
            self.stop_server(server)
        self.stop_redis()
        if self._bench_db:
            drop_postgres(self._bench_db)
        if not self.keep:
            shutil.rmtree(self.directory, ignore_errors=True)
