"""The load tool: N simulated phones, a presenter per server, the console and tellers,
against real Daphne processes, speaking ``inspraak.realtime/1``.

    python -m bench.load --phones 5000 --window 20

It runs, in one go and on the same server:

1. the **echo baseline**: N sockets on a bare echo consumer, each sending one
   answer-sized frame at once: connect time, round-trip latency, frames per second and
   memory per connection of the stack itself; ``--rounds`` times, on a fresh server before
   the town hall and again after it, so that a machine whose speed drifts is measured on
   both sides of the app;
2. the **town hall**: N phones connect (spread over the servers) and say hello; the
   console opens the question; every phone answers at a random moment within the window,
   10 % send the same answer again (a duplicate), and tellers enter paper forms over HTTP
   meanwhile; the presenter's snapshots are timed until they show the exact total;
3. the **saturation**: every phone changes its answer at the same moment, ``--rounds``
   times, for the app's throughput (the median round) beside the echo's (the median of
   all its rounds);
4. the **Q&A phase** (``--qna N``, the default 200): the console opens a round of N
   questions asked to the panel and puts it on screen; every phone upvotes three of them
   at random moments within the window (10 % send one upvote twice, with the same client
   id); the presenter's snapshots are timed until the sum of the upvotes they show
   (``qna.votes``) is exact;
5. the **check**: the database must hold exactly one counting answer per phone, the one
   acknowledged last, plus the paper, and exactly the upvotes acknowledged; nothing
   lost, nothing counted twice.

It prints one JSON line of figures, with ``targets`` (the value each target is checked
against) and ``targets_met`` (whether it was met: a boolean under the same key). Server
and client run on separate cores; everything binds to loopback; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from . import description
from .stack import Stack, cores

#: Each phase must end within this many seconds, or the run fails loudly.
PHASE_LIMIT = 300
#: Seconds between setting the Q&A phase's upvotes going and the start of its window.
LEAD_IN = 0.5
IDLE_SECONDS = 5
_TARGETS = {
    "phones_connected": 5000,
    "ack_p95_ms": 100,
    "ack_p99_ms": 250,
    #: While tellers enter paper forms in the same burst.
    "ack_p99_tellers_ms": 150,
    "exact_total_ms": 250,
    "cpu_burst_pct": 50,
    "memory_per_connection_kb": 50,
    "throughput_ratio": 0.5,
}
#: The targets per database: the default stack (SQLite) is held to more.
TARGETS = {
    "sqlite": {**_TARGETS, "cpu_burst_pct": 45, "throughput_ratio": 0.6},
    "postgresql": _TARGETS,
}


class ToolPauses:
    """The load tool's own garbage collections that took ``LONG`` seconds or more: the
    tool holds thousands of sockets in one Python process, and while it collects it reads
    none of them, so the acknowledgements that arrive meanwhile look late. Reported per
    phase (``tool_gc_pauses_ms``) so that such a stall is not taken for the server's."""

    LONG = 0.02

    def __init__(self):
        self.pauses: list[tuple[float, float]] = []  # (perf_counter at the end, seconds)
        self._began: float | None = None

    def __call__(self, phase: str, _info: dict) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._began = now
        elif self._began is not None:
            if now - self._began >= self.LONG:
                self.pauses.append((now, now - self._began))
            self._began = None

    def within(self, start: float, end: float) -> list[int]:
        return [round(took * 1000) for at, took in self.pauses if start <= at <= end]


TOOL_PAUSES = ToolPauses()
#: The tool's collections run as seldom as the server's (``config/asgi.py``); unlike the
#: server, it also freezes its sockets out of them once they are connected.
GC_THRESHOLDS = (10_000, 20, 50)


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {
        "n": len(ordered),
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1], 1),
    }


def new_id() -> str:
    return uuid.uuid4().hex


#: How the server's snapshots begin (``realtime.protocol.dumps``: compact, type first).
SNAPSHOT_START = '{"type":"snapshot"'


class Socket:
    """One websocket client with a reader task that hands messages to waiters."""

    def __init__(self, url: str, headers: list[tuple[str, str]] = ()):
        self.url = url
        # From a page of the same origin, as the browser's socket (``realtime/origin.py``).
        self.headers = [("Origin", "http://" + url.split("://", 1)[1].split("/", 1)[0]), *headers]
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.acks: dict[str, asyncio.Future] = {}
        self.snapshot_seen = asyncio.Event()
        #: The latest snapshot as it came, decoded only when someone reads it
        #: (``last_snapshot``): 5,000 phones' sockets share this process, and decoding
        #: every snapshot of a room sent to all of them at once would hold up the acks
        #: arriving meanwhile, in this tool and not on the server.
        self._snapshot_text: str | None = None
        self._snapshot: dict | None = None
        self.on_snapshot = None
        self.participant = None

    @property
    def last_snapshot(self) -> dict | None:
        if self._snapshot_text is not None:
            self._snapshot, self._snapshot_text = json.loads(self._snapshot_text), None
        return self._snapshot

    async def open(self, *, hello: bool = True) -> float:
        started = time.perf_counter()
        self.ws = await connect(
            self.url,
            additional_headers=self.headers,
            open_timeout=120,
            ping_interval=None,
            close_timeout=2,
            compression=None,
            max_size=2**22,
        )
        if not hello:  # the echo baseline: a bare socket
            return time.perf_counter() - started
        welcome = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"refused: {welcome}")
        self.participant = welcome.get("participant")
        self.reader = asyncio.create_task(self._read())
        await self.ws.send(json.dumps({"type": "hello", "last_version": None}))
        await asyncio.wait_for(self.snapshot_seen.wait(), 60)
        return time.perf_counter() - started

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                if text.startswith(SNAPSHOT_START) and self.on_snapshot is None:
                    self._snapshot_text = text
                    self.snapshot_seen.set()
                    continue
                message = json.loads(text)
                kind = message.get("type")
                if kind == "ack":
                    waiter = self.acks.pop(message.get("client_id"), None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result((time.perf_counter(), message))
                elif kind == "snapshot":
                    self._snapshot, self._snapshot_text = message, None
                    self.snapshot_seen.set()
                    if self.on_snapshot is not None:
                        self.on_snapshot(time.perf_counter(), message)
                elif kind == "result":
                    waiter = self.acks.pop(message.get("id"), None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result((time.perf_counter(), message))
        except ConnectionClosed:
            return
        finally:
            # Whoever waits for an answer on this socket learns at once that none will come.
            for waiter in self.acks.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("the connection closed"))
            self.acks.clear()

    async def request(self, message: dict, key: str, timeout: float = 60) -> tuple[float, dict]:
        """Send and wait for the ack (or command result) with ``key``; returns the round
        trip in ms and the answer."""
        waiter = asyncio.get_running_loop().create_future()
        self.acks[key] = waiter
        started = time.perf_counter()
        await self.ws.send(json.dumps(message))
        done, answer = await asyncio.wait_for(waiter, timeout)
        return (done - started) * 1000, answer

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


async def open_all(sockets: list[Socket], concurrency: int, *, hello: bool = True) -> list[float]:
    """Open sockets with at most ``concurrency`` handshakes in flight; connect times in
    ms."""
    gate = asyncio.Semaphore(concurrency)

    async def one(socket: Socket) -> float:
        async with gate:
            return await socket.open(hello=hello) * 1000

    return list(await asyncio.wait_for(asyncio.gather(*(one(s) for s in sockets)), PHASE_LIMIT))


PY_SPY = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")


class Profiler:
    """``--profile DIR``: py-spy samples each server process during a phase, written as
    collapsed stacks (``DIR/<phase>-<pid>.txt``, for flame graphs) with a summary of the
    functions that took the most time."""

    def __init__(self, directory: str | None, pids: list[int]):
        self.directory = directory
        self.pids = pids
        self.running: list[tuple[subprocess.Popen, str]] = []

    def start(self, phase: str) -> None:
        if not self.directory:
            return
        os.makedirs(self.directory, exist_ok=True)
        for pid in self.pids:
            path = os.path.join(self.directory, f"{phase}-{pid}.txt")
            command = [
                PY_SPY,
                "record",
                "--pid",
                str(pid),
                "--rate",
                "250",
                "--format",
                "raw",
                "--gil",
            ]
            process = subprocess.Popen(
                [*command, "--nonblocking", "-o", path],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.running.append((process, path))

    def stop(self) -> None:
        for process, path in self.running:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            summarise(path)
        self.running = []


def summarise(path: str, top: int = 25) -> None:
    """Beside a collapsed-stacks file, the functions by inclusive share of the samples."""
    inclusive: dict[str, int] = {}
    total = 0
    try:
        lines = open(path).read().splitlines()  # noqa: SIM115 - read at once
    except OSError:
        return
    for line in lines:
        stack, _space, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for frame in set(stack.split(";")):
            inclusive[frame] = inclusive.get(frame, 0) + int(count)
    ranked = sorted(inclusive.items(), key=lambda item: -item[1])[:top]
    with open(path.removesuffix(".txt") + ".top.txt", "w") as out:
        for frame, count in ranked:
            out.write(f"{100 * count / max(1, total):5.1f}%  {frame}\n")


class Usage:
    """CPU and memory of the server processes."""

    def __init__(self, pids: list[int]):
        self.processes = [psutil.Process(pid) for pid in pids]

    def cpu(self) -> float:
        return sum(p.cpu_times().user + p.cpu_times().system for p in self.processes)

    def system(self) -> float:
        """The kernel's share of ``cpu``: mostly the sockets' sends and receives."""
        return sum(p.cpu_times().system for p in self.processes)

    def rss(self) -> list[int]:
        return [p.memory_info().rss for p in self.processes]


# --- the echo baseline ----------------------------------------------------------------


async def echo_baseline(
    stack: Stack, phones: int, concurrency: int, frame: str, rounds: int
) -> dict:
    """On a Daphne of its own (the same command and settings, started fresh), so that
    neither run's memory is counted in the other's."""
    server = await asyncio.to_thread(stack.start_server)
    try:
        return await _echo(server, phones, concurrency, frame, rounds)
    finally:
        await asyncio.to_thread(stack.stop_server, server)


async def _echo(server, phones: int, concurrency: int, frame: str, rounds: int) -> dict:
    usage = Usage([server.pid])
    before = usage.rss()[0]
    sockets = [Socket(f"ws://{server.url}/ws/echo/", []) for _ in range(phones)]
    started = time.perf_counter()
    connect_ms = await open_all(sockets, concurrency, hello=False)
    connect_s = time.perf_counter() - started
    await asyncio.sleep(1)
    memory = (usage.rss()[0] - before) / phones / 1024

    async def round_trip(socket: Socket) -> float:
        sent = time.perf_counter()
        await socket.ws.send(frame)
        await asyncio.wait_for(socket.ws.recv(), 60)
        return (time.perf_counter() - sent) * 1000

    per_second, cpu_ms, latencies = [], [], []
    for _ in range(rounds):
        await asyncio.sleep(0.5)
        cpu_before = usage.cpu()
        started = time.perf_counter()
        latencies = await asyncio.wait_for(
            asyncio.gather(*(round_trip(s) for s in sockets)), PHASE_LIMIT
        )
        per_second.append(phones / (time.perf_counter() - started))
        cpu_ms.append((usage.cpu() - cpu_before) * 1000 / phones)
    for socket in sockets:
        await socket.ws.close()
    return {
        "connect_s": round(connect_s, 2),
        "connect_ms": percentiles(connect_ms),
        "round_trip_ms": percentiles(latencies),
        "frames_per_s": round(statistics.median(per_second), 1),
        "rounds_frames_per_s": [round(n, 1) for n in per_second],
        "cpu_ms_per_frame": round(statistics.median(cpu_ms), 3),
        "memory_per_connection_kb": round(memory, 1),
    }


def echo_both_sides(before: dict, after: dict) -> dict:
    """The echo measured before and after the town hall, as one baseline: its rounds'
    median frames per second and CPU; connect time and memory from the first (the second
    Daphne ran beside nothing either)."""
    rounds = before["rounds_frames_per_s"] + after["rounds_frames_per_s"]
    return {
        **before,
        "frames_per_s": round(statistics.median(rounds), 1),
        "rounds_frames_per_s": rounds,
        "cpu_ms_per_frame": round(
            statistics.median([before["cpu_ms_per_frame"], after["cpu_ms_per_frame"]]), 3
        ),
    }


# --- tellers --------------------------------------------------------------------------


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CLIENT_FIELD = re.compile(r'name="client_id" value="([^"]+)"')


def enter_sheet(
    base: str, session_cookie: str, path: str, question: int, option: int
) -> tuple[float, float]:
    """A teller's entry over HTTP, as the phone form does it: open, fill in, save. Returns
    when the save was sent (``perf_counter``) and how long it took in ms."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    opener.addheaders = [("Cookie", f"sessionid={session_cookie}")]
    page = opener.open(f"http://{base}{path}", timeout=60).read().decode()
    csrf = CSRF_FIELD.search(page).group(1)
    client_id = CLIENT_FIELD.search(page).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf, "client_id": client_id, f"q{question}-option": option}
    ).encode()
    request = urllib.request.Request(
        f"http://{base}{path}",
        data=body,
        headers={"Cookie": f"sessionid={session_cookie}; csrftoken={csrf}"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        if response.status != 200:
            raise RuntimeError(f"entry refused: {response.status}")
    return started, (time.perf_counter() - started) * 1000


def photograph_sheet(
    base: str, session_cookie: str, page_path: str, photo: str
) -> tuple[float, float]:
    """A teller's photo of a sheet over HTTP, as the phone's camera input sends it: open
    the teller page, upload the photo (multipart), get the reading back. Returns when the
    upload was sent and how long the reading took in ms."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    opener.addheaders = [("Cookie", f"sessionid={session_cookie}")]
    page = opener.open(f"http://{base}{page_path}", timeout=60).read().decode()
    csrf = CSRF_FIELD.search(page).group(1)
    boundary = secrets.token_hex(16)
    data = Path(photo).read_bytes()
    body = b"".join(
        [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{csrf}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
            f'filename="{Path(photo).name}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode(),
            data,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    request = urllib.request.Request(
        f"http://{base}{page_path}photo/",
        data=body,
        headers={
            "Cookie": f"sessionid={session_cookie}; csrftoken={csrf}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        if response.status != 200 or b"message-success" not in response.read():
            raise RuntimeError(f"photo not counted: {response.status}")
    return started, (time.perf_counter() - started) * 1000


# --- the town hall --------------------------------------------------------------------


@dataclass
class Presenter:
    socket: Socket
    updates: list[tuple[float, int]] = field(default_factory=list)

    def seen(self, at: float, message: dict) -> None:
        question = message.get("question") or {}
        self.updates.append((at, question.get("respondents", 0)))

    def first_time_at(self, total: int) -> float | None:
        return next((at for at, n in self.updates if n == total), None)


@dataclass
class QnaPresenter:
    """The presenter during the Q&A phase: the sum of the upvotes it shows."""

    socket: Socket
    updates: list[tuple[float, int]] = field(default_factory=list)

    def seen(self, at: float, message: dict) -> None:
        round_ = (message.get("question") or {}).get("qna")
        if round_ is not None:
            self.updates.append((at, round_["votes"]))

    def first_time_at(self, total: int) -> float | None:
        return next((at for at, n in self.updates if n == total), None)


async def until_open(phones: list[Socket], question: int, limit: float = 30) -> None:
    """Wait until every phone's last snapshot shows ``question`` open."""

    def is_open(socket: Socket) -> bool:
        snapshot = socket.last_snapshot or {}
        return any(
            q["id"] == question and q["state"] == "open" for q in snapshot.get("questions", [])
        )

    deadline = time.perf_counter() + limit
    while not all(is_open(p) for p in phones):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"not every phone saw question {question} open within {limit} s")
        await asyncio.sleep(0.05)


async def town_hall(stack: Stack, args, echo_frame_size: list[int]) -> dict:
    plan = stack.plan
    code, question, options = plan["code"], plan["question"], plan["options"]
    urls = [server.url for server in stack.running]
    usage = Usage([server.pid for server in stack.running])
    rng = random.Random(args.seed)

    presenters = []
    for url in urls:
        socket = Socket(f"ws://{url}/ws/present/{code}/", [])
        presenter = Presenter(socket)
        socket.on_snapshot = presenter.seen
        presenters.append(presenter)
        await socket.open()
    console = Socket(
        f"ws://{urls[0]}/ws/facilitate/{code}/",
        [("Cookie", f"sessionid={plan['facilitator']}")],
    )
    await console.open()

    await asyncio.sleep(0.5)
    rss_before = usage.rss()
    phones = [
        Socket(
            f"ws://{urls[index % len(urls)]}/ws/s/{code}/",
            [("Cookie", f"{plan['cookie_name']}={cookie}")],
        )
        for index, cookie in enumerate(plan["phones"])
    ]
    profiler = Profiler(args.profile, [server.pid for server in stack.running])
    profiler.start("connect")
    cpu_before, client_before = usage.cpu(), time.process_time()
    started = time.perf_counter()
    connect_ms = await open_all(phones, args.concurrency)
    connect_s = time.perf_counter() - started
    connect_cpu = (usage.cpu() - cpu_before) / connect_s * 100 / len(urls)
    client_cpu = (time.process_time() - client_before) / connect_s * 100
    profiler.stop()
    # The sockets live to the end: out of the tool's collections from here on (a full
    # one over 5,000 of them took 0.3 s). (The server freezes only what its start made.)
    gc.collect()
    gc.freeze()
    await asyncio.sleep(1)
    rss_after = usage.rss()
    # What thousands of open, quiet connections cost by themselves.
    idle_before = usage.cpu()
    await asyncio.sleep(IDLE_SECONDS)
    idle_cpu = (usage.cpu() - idle_before) / IDLE_SECONDS * 100 / len(urls)
    per_server = [len(range(i, len(phones), len(urls))) for i in range(len(urls))]
    memory_kb = max(
        (after - before) / max(1, n) / 1024
        for before, after, n in zip(rss_before, rss_after, per_server, strict=True)
    )

    # The facilitator opens the question; every phone must see it.
    command = {"type": "command", "id": "open-1", "command": "open", "question": question}
    opened_at = time.perf_counter()
    _ms, result = await console.request(command, "open-1")
    if not result.get("ok"):
        raise RuntimeError(f"open refused: {result}")

    await until_open(phones, question)
    open_reach_s = time.perf_counter() - opened_at

    # The burst: every phone answers once within the window, some send it twice.
    expected_last: dict[str, str] = {}
    acks: list[float] = []
    statuses: dict[str, int] = {}
    duplicates_sent = 0
    duplicate_acks = 0
    last_sent = [0.0]  # when the last counted input was sent (phones and tellers)

    async def answer(socket: Socket, delay: float, resend: bool) -> None:
        nonlocal duplicates_sent, duplicate_acks
        await asyncio.sleep(delay)
        client_id = new_id()
        message = {
            "type": "answer",
            "client_id": client_id,
            "question": question,
            "answer": {"option": rng.choice(options)},
        }
        sent = time.perf_counter()
        ms, ack = await socket.request(message, client_id)
        acks.append(ms)
        statuses[ack["status"]] = statuses.get(ack["status"], 0) + 1
        if ack["status"] == "counted":
            expected_last[socket.participant] = client_id
            last_sent[0] = max(last_sent[0], sent)
        if resend:
            duplicates_sent += 1
            _ms, again = await socket.request(message, client_id)
            duplicate_acks += again["status"] == "duplicate"

    sheets = plan["photos"] or plan["sheets"]
    teller_ms: list[float] = []
    teller_errors: list[str] = []

    def tellers(window_start: float) -> None:
        lock = threading.Lock()
        queue = list(enumerate(sheets))
        schedule = sorted(rng.uniform(0, args.window) for _ in sheets)

        def work(cookie: str) -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    index, path = queue.pop(0)
                wait = window_start + schedule[index] - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                try:
                    if plan["photos"]:
                        sent, ms = photograph_sheet(
                            urls[index % len(urls)], cookie, plan["teller_page"], path
                        )
                    else:
                        sent, ms = enter_sheet(
                            urls[index % len(urls)], cookie, path, question, options[0]
                        )
                    with lock:
                        teller_ms.append(ms)
                        last_sent[0] = max(last_sent[0], sent)
                except Exception as exc:
                    with lock:
                        teller_errors.append(repr(exc))

        threads = [
            threading.Thread(target=work, args=(cookie,), daemon=True) for cookie in plan["tellers"]
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(PHASE_LIMIT)

    resenders = set(rng.sample(range(len(phones)), round(len(phones) * args.duplicates)))
    for presenter in presenters:
        presenter.updates.clear()
    profiler.start("burst")
    cpu_before, system_before = usage.cpu(), usage.system()
    burst_start = time.perf_counter()
    teller_task = asyncio.create_task(asyncio.to_thread(tellers, burst_start))
    await asyncio.wait_for(
        asyncio.gather(
            *(
                answer(phone, rng.uniform(0, args.window), index in resenders)
                for index, phone in enumerate(phones)
            )
        ),
        args.window + PHASE_LIMIT,
    )
    await asyncio.wait_for(teller_task, PHASE_LIMIT)
    burst_end = time.perf_counter()
    cpu_burst = (usage.cpu() - cpu_before) / (burst_end - burst_start) * 100
    system_burst = (usage.system() - system_before) / (burst_end - burst_start) * 100
    profiler.stop()
    # From the moment the last counted input was sent (an answer, a teller's save): the
    # presenter's exact total includes its ack's way and the broadcaster's tick.
    last_input = last_sent[0]

    expected_total = len(expected_last) + len(teller_ms)
    deadline = time.perf_counter() + 10
    while any(p.first_time_at(expected_total) is None for p in presenters):
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.02)
    shown = [p.first_time_at(expected_total) for p in presenters]
    exact_ms = (
        max((at - last_input) * 1000 for at in shown)
        if all(at is not None for at in shown)
        else None
    )
    in_window = [at for p in presenters for at, _n in p.updates if burst_start <= at <= burst_end]
    update_rate = len(in_window) / len(presenters) / (burst_end - burst_start)

    # Saturation: everyone changes their answer at the same moment, a few times.
    saturation: list[float] = []

    async def change(socket: Socket) -> None:
        client_id = new_id()
        current = rng.choice(options)
        message = {
            "type": "answer",
            "client_id": client_id,
            "question": question,
            "answer": {"option": current},
        }
        ms, ack = await socket.request(message, client_id)
        saturation.append(ms)
        if ack["status"] == "counted":
            expected_last[socket.participant] = client_id

    per_second, cpu_ms = [], []
    profiler.start("saturation")
    for _ in range(args.rounds):
        await asyncio.sleep(1.5)
        saturation.clear()
        cpu_before = usage.cpu()
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(change(p) for p in phones)), PHASE_LIMIT)
        per_second.append(len(phones) / (time.perf_counter() - started))
        cpu_ms.append((usage.cpu() - cpu_before) * 1000 / len(phones))
    profiler.stop()
    await asyncio.sleep(1.5)
    final_shown = [(p.updates[-1][1] if p.updates else None) for p in presenters]

    qna = None
    if plan.get("qna"):
        profiler.start("qna")
        qna = await qna_phase(plan["qna"], phones, presenters, console, usage, args, rng)
        profiler.stop()

    for socket in [*phones, console, *(p.socket for p in presenters)]:
        await socket.close()
    return {
        "qna": qna,
        "connect": {
            "phones": len(phones),
            "phones_per_server": per_server,
            "total_s": round(connect_s, 2),
            "per_phone_ms": percentiles(connect_ms),
            "server_cpu_pct_of_one_core": round(connect_cpu, 1),
            "client_cpu_pct_of_one_core": round(client_cpu, 1),
            "idle_server_cpu_pct_of_one_core": round(idle_cpu, 1),
        },
        "open_reaches_all_phones_s": round(open_reach_s, 2),
        "burst": {
            "window_s": args.window,
            "answers": len(phones),
            "acks": dict(sorted(statuses.items())),
            "ack_ms": percentiles(acks),
            "duplicates_sent": duplicates_sent,
            "duplicates_acked_as_duplicate": duplicate_acks,
            "paper_entries": len(teller_ms),
            "paper_errors": teller_errors[:5],
            "teller_save_ms": percentiles(teller_ms),
            "server_cpu_pct_of_one_core": round(cpu_burst / len(urls), 1),
            "server_system_cpu_pct_of_one_core": round(system_burst / len(urls), 1),
            "tool_gc_pauses_ms": TOOL_PAUSES.within(burst_start, burst_end),
        },
        "presenter": {
            "updates_per_s": round(update_rate, 2),
            "exact_total_after_last_answer_ms": None if exact_ms is None else round(exact_ms),
        },
        "memory_per_connection_kb": round(memory_kb, 1),
        "saturation": {
            "answers_per_s": round(statistics.median(per_second), 1),
            "rounds_answers_per_s": [round(n, 1) for n in per_second],
            "ack_ms": percentiles(saturation),
            "cpu_ms_per_answer": round(statistics.median(cpu_ms), 3),
        },
        "_expected_last": expected_last,
        "_expected_total": expected_total,
        "_final_shown": final_shown,
    }


async def qna_phase(plan: dict, phones, presenters, console, usage, args, rng) -> dict:
    """Every phone upvotes three of the round's questions within the window; the
    presenter must show the exact sum of upvotes, coalesced (never a frame per vote)."""
    question, asked = plan["question"], plan["asked"]
    for number, command in enumerate(("open", "show")):
        key = f"qna-{number}"
        _ms, result = await console.request(
            {"type": "command", "id": key, "command": command, "question": question}, key
        )
        if not result.get("ok"):
            raise RuntimeError(f"{command} refused: {result}")

    await until_open(phones, question)
    watchers = []
    for presenter in presenters:
        watcher = QnaPresenter(presenter.socket)
        presenter.socket.on_snapshot = watcher.seen
        watchers.append(watcher)
    acks: list[float] = []
    timeline: list[tuple[float, float]] = []  # (sent at, ms to the ack)
    statuses: dict[str, int] = {}
    counted: dict[str, set[int]] = {}
    duplicates = {"sent": 0, "acked_as_duplicate": 0}
    last_sent = [0.0]
    frame_bytes: list[int] = []

    async def upvotes(socket: Socket, resend: bool) -> None:
        chosen = rng.sample(asked, 3)
        # Three moments drawn at random within the window, so the 15,000 upvotes come
        # at an even 750 a second (three waits of up to a third of it each, one after
        # the other, crowded them into its first half: 1,900 a second at the peak).
        moments = sorted(rng.uniform(0, args.window) for _ in chosen)
        for position, (target, moment) in enumerate(zip(chosen, moments, strict=True)):
            await asyncio.sleep(max(0.0, started + moment - time.perf_counter()))
            client_id = new_id()
            message = {
                "type": "answer",
                "client_id": client_id,
                "question": question,
                "answer": {"statement": target, "vote": "up"},
            }
            sent = time.perf_counter()
            ms, ack = await socket.request(message, client_id)
            acks.append(ms)
            timeline.append((sent, ms))
            statuses[ack["status"]] = statuses.get(ack["status"], 0) + 1
            if ack["status"] == "counted":
                counted.setdefault(socket.participant, set()).add(target)
                last_sent[0] = max(last_sent[0], sent)
            if resend and position == 0:
                duplicates["sent"] += 1
                _ms, again = await socket.request(message, client_id)
                duplicates["acked_as_duplicate"] += again["status"] == "duplicate"

    resenders = set(rng.sample(range(len(phones)), round(len(phones) * args.duplicates)))
    # The window opens ``LEAD_IN`` after the phones' upvotes are set going: starting
    # 5,000 tasks keeps the tool from reading its sockets for about 0.1 s, which belongs
    # to no second of the window.
    started = time.perf_counter() + LEAD_IN  # (read by ``upvotes`` once they run)
    voting = asyncio.gather(*(upvotes(p, i in resenders) for i, p in enumerate(phones)))
    await asyncio.sleep(max(0.0, started - time.perf_counter()))
    cpu_before, cpu_from = usage.cpu(), time.perf_counter()
    await asyncio.wait_for(voting, args.window + PHASE_LIMIT)
    ended = time.perf_counter()
    cpu = (usage.cpu() - cpu_before) / (ended - cpu_from) * 100 / len(presenters)
    expected = sum(len(targets) for targets in counted.values())
    deadline = time.perf_counter() + 10
    while any(w.first_time_at(expected) is None for w in watchers):
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.02)
    shown = [w.first_time_at(expected) for w in watchers]
    exact_ms = (
        max((at - last_sent[0]) * 1000 for at in shown)
        if all(at is not None for at in shown)
        else None
    )
    in_window = [at for w in watchers for at, _n in w.updates if started <= at <= ended]
    for phone in phones[:1]:
        frame_bytes.append(len(json.dumps(phone.last_snapshot or {})))
    return {
        "questions": len(asked),
        "phones": len(phones),
        "window_s": args.window,
        "upvotes": sum(statuses.values()),
        "acks": dict(sorted(statuses.items())),
        "ack_ms": percentiles(acks),
        # Where the slow acks were: the p95 of the upvotes sent in each second.
        "ack_p95_ms_by_second": [
            percentiles([ms for at, ms in timeline if second <= at - started < second + 1]).get(
                "p95"
            )
            for second in range(math.ceil(args.window))
        ],
        "duplicates_sent": duplicates["sent"],
        "duplicates_acked_as_duplicate": duplicates["acked_as_duplicate"],
        "server_cpu_pct_of_one_core": round(cpu, 1),
        "presenter_updates_per_s": round(len(in_window) / len(watchers) / (ended - started), 2),
        "exact_total_after_last_upvote_ms": None if exact_ms is None else round(exact_ms),
        "phone_snapshot_bytes": frame_bytes[0] if frame_bytes else None,
        "tool_gc_pauses_ms": TOOL_PAUSES.within(started, ended),
        "_expected": {who: sorted(targets) for who, targets in counted.items()},
        "_question": question,
    }


def qna_check(stack: Stack, qna: dict) -> dict:
    """The round's counting upvotes in the database against the acknowledged ones."""
    from sessions_app.models import Response, ResponseStatus

    stored: dict[str, list[int]] = {}
    for who, statement in Response.objects.filter(
        question_id=qna["_question"], status=ResponseStatus.COUNTED, number=1
    ).values_list("participant__public_id", "statement_id"):
        stored.setdefault(who, []).append(statement)
    expected = qna["_expected"]
    lost = sum(len(set(targets) - set(stored.get(who, []))) for who, targets in expected.items())
    doubled = sum(len(v) - len(set(v)) for v in stored.values())
    extra = sum(len(set(v) - set(expected.get(who, []))) for who, v in stored.items())
    total = sum(len(v) for v in expected.values())
    return {
        "expected_upvotes": total,
        "counted_in_database": sum(len(v) for v in stored.values()),
        "lost": lost,
        "double_counted": doubled + extra,
        "exact": lost == 0 and doubled == 0 and extra == 0,
    }


def check(stack: Stack, hall: dict) -> dict:
    """What the database holds, against what the phones were told."""
    stack.django()
    from sessions_app.models import Response, ResponseStatus

    question = stack.plan["question"]
    counted = list(
        Response.objects.filter(question_id=question, status=ResponseStatus.COUNTED).values_list(
            "participant__public_id", "client_id", "source"
        )
    )
    phones = [(who, client) for who, client, source in counted if source == "online"]
    paper = sum(1 for *_rest, source in counted if source == "paper")
    per_phone: dict[str, int] = {}
    for who, _client in phones:
        per_phone[who] = per_phone.get(who, 0) + 1
    expected = hall["_expected_last"]
    held = dict(phones)
    lost = sum(1 for who, client in expected.items() if held.get(who) != client)
    qna = qna_check(stack, hall["qna"]) if hall.get("qna") else None
    return {
        "qna": qna,
        "expected_total": hall["_expected_total"],
        "counted_in_database": len(counted),
        "paper_counted": paper,
        "presenters_show": hall["_final_shown"],
        "lost": lost,
        "double_counted": sum(n - 1 for n in per_phone.values() if n > 1),
        "exact": len(counted) == hall["_expected_total"]
        and lost == 0
        and all(n == hall["_expected_total"] for n in hall["_final_shown"]),
    }


def targets_for(figures: dict) -> dict:
    """The targets a run is held to: by its database, and with tellers in the burst a
    tighter acknowledgement p99."""
    targets = dict(TARGETS[figures.get("database", "sqlite")])
    if figures.get("app", figures).get("burst", {}).get("paper_entries"):
        targets["ack_p99_ms"] = targets["ack_p99_tellers_ms"]
    return targets


def target_values(figures: dict) -> dict:
    """The value each key of ``targets_met`` is checked against, under the same keys, in
    its figure's unit: phones (at least), ms, % of one core, KB per connection, app ÷ echo
    (at least), and 0 answers or upvotes lost or counted twice."""
    targets = targets_for(figures)
    values = {
        "phones_connected": targets["phones_connected"],
        "ack_p95": targets["ack_p95_ms"],
        "ack_p99": targets["ack_p99_ms"],
        "exact_total": targets["exact_total_ms"],
        "server_cpu": targets["cpu_burst_pct"],
        "memory_per_connection": targets["memory_per_connection_kb"],
        "throughput_ratio": targets["throughput_ratio"],
        "nothing_lost_or_doubled": 0,
    }
    if figures["app"].get("qna"):
        values |= {
            "qna_ack_p95": targets["ack_p95_ms"],
            "qna_exact_total": targets["exact_total_ms"],
            "qna_nothing_lost_or_doubled": 0,
        }
    return values


def verdict(figures: dict) -> dict:
    """Whether each target of ``target_values`` was met: every value a boolean."""
    targets = target_values(figures)
    hall = figures["app"]
    ack = hall["burst"]["ack_ms"]
    exact = hall["presenter"]["exact_total_after_last_answer_ms"]
    ratio = figures["throughput_ratio"]
    correct = figures["correctness"]
    met = {
        "phones_connected": hall["connect"]["phones"] >= targets["phones_connected"],
        "ack_p95": ack.get("p95", 1e9) <= targets["ack_p95"],
        "ack_p99": ack.get("p99", 1e9) <= targets["ack_p99"],
        "exact_total": exact is not None and exact <= targets["exact_total"],
        "server_cpu": hall["burst"]["server_cpu_pct_of_one_core"] <= targets["server_cpu"],
        "memory_per_connection": hall["memory_per_connection_kb"]
        <= targets["memory_per_connection"],
        "throughput_ratio": ratio >= targets["throughput_ratio"],
        "nothing_lost_or_doubled": correct["lost"] == 0
        and correct["double_counted"] == 0
        and correct["exact"],
    }
    if hall.get("qna"):
        qna = hall["qna"]
        exact_qna = qna["exact_total_after_last_upvote_ms"]
        met |= {
            "qna_ack_p95": qna["ack_ms"].get("p95", 1e9) <= targets["qna_ack_p95"],
            "qna_exact_total": exact_qna is not None and exact_qna <= targets["qna_exact_total"],
            "qna_nothing_lost_or_doubled": bool(correct["qna"] and correct["qna"]["exact"]),
        }
    return {key: bool(value) for key, value in met.items()}


async def measure(stack: Stack, args) -> dict:
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    gc.callbacks.append(TOOL_PAUSES)
    try:
        return await _measure(stack, args)
    finally:
        gc.callbacks.remove(TOOL_PAUSES)
        gc.unfreeze()
        gc.set_threshold(*thresholds)


async def _measure(stack: Stack, args) -> dict:
    frame = json.dumps(
        {
            "type": "answer",
            "client_id": new_id(),
            "question": stack.plan["question"],
            "answer": {"option": stack.plan["options"][0]},
        }
    )
    before = await echo_baseline(stack, args.phones, args.concurrency, frame, args.rounds)
    await asyncio.sleep(2)
    hall = await town_hall(stack, args, [len(frame)])
    await asyncio.sleep(2)
    after = await echo_baseline(stack, args.phones, args.concurrency, frame, args.rounds)
    return {"echo": echo_both_sides(before, after), "app": hall}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument(
        "--phones", type=int, default=1000, help="simulated phones (default: %(default)s)"
    )
    parser.add_argument(
        "--window", type=float, default=20.0, help="seconds to answer in (default: %(default)s)"
    )
    parser.add_argument(
        "--duplicates",
        type=float,
        default=0.1,
        help="share of the phones that send an answer twice (default: %(default)s)",
    )
    parser.add_argument(
        "--tellers", type=int, default=2, help="tellers entering paper (default: %(default)s)"
    )
    parser.add_argument(
        "--sheets", type=int, default=50, help="paper forms entered (default: %(default)s)"
    )
    parser.add_argument(
        "--paper",
        choices=("typed", "photo"),
        default="typed",
        help="tellers type the forms in, or photograph them (read by the photo reader) "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="Daphne processes; more than one needs --database-url and --redis-url "
        "(default: %(default)s)",
    )
    parser.add_argument("--reveal", action="store_true", help="results shown on the phones")
    parser.add_argument(
        "--concurrency", type=int, default=200, help="handshakes in flight (default: %(default)s)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=7,
        help="seed of the phones' random moments and choices (default: %(default)s)",
    )
    parser.add_argument(
        "--qna",
        type=int,
        default=200,
        help="questions in the Q&A phase, at least 3 (every phone upvotes three); 0: no Q&A "
        "phase (default: %(default)s)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="saturation rounds (app, and echo on each side) (default: %(default)s)",
    )
    parser.add_argument("--profile", metavar="DIR", help="sample the servers with py-spy")
    parser.add_argument("--keep", action="store_true", help="keep the servers' logs")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL server to use (a fresh database is made beside it) "
        "(default: $DATABASE_URL; if empty, SQLite)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", ""),
        help="Redis for the channel layer (default: $REDIS_URL; if empty, the in-process layer)",
    )
    args = parser.parse_args(argv)
    if args.servers > 1 and not (args.database_url and args.redis_url):
        parser.error("several servers need --database-url and --redis-url")
    if args.qna and args.qna < 3:
        parser.error("--qna needs at least 3 questions (every phone upvotes three), or 0")
    _server_cores, client_cores = cores()
    os.sched_setaffinity(0, client_cores)
    from .stack import _raise_file_limit

    _raise_file_limit()
    with Stack(
        phones=args.phones,
        tellers=args.tellers,
        sheets=args.sheets,
        photos=args.paper == "photo",
        qna=args.qna,
        servers=args.servers,
        reveal=args.reveal,
        database_url=args.database_url,
        redis_url=args.redis_url,
        keep=args.keep,
    ) as stack:
        if args.keep:
            print(f"logs in {stack.directory}", file=sys.stderr)
        measured = asyncio.run(measure(stack, args))
        correctness = check(stack, measured["app"])
    app = {k: v for k, v in measured["app"].items() if not k.startswith("_")}
    if app.get("qna"):
        app["qna"] = {k: v for k, v in app["qna"].items() if not k.startswith("_")}
    figures = {
        "tool": "inspraak.bench/1",
        "phones": args.phones,
        "servers": args.servers,
        "database": "postgresql" if args.database_url else "sqlite",
        "layer": "redis" if args.redis_url else "in-process",
        "revealed_on_phones": args.reveal,
        "paper_entered_by": args.paper,
        "cores": {"server": sorted(cores()[0]), "client": sorted(client_cores)},
        "echo": measured["echo"],
        "app": app,
        "throughput_ratio": round(
            app["saturation"]["answers_per_s"] / measured["echo"]["frames_per_s"], 3
        ),
        "correctness": correctness,
    }
    figures["targets"] = target_values(figures)
    figures["targets_met"] = verdict(figures)
    print(json.dumps(figures))
    return figures


def _all_exact(figures: dict) -> bool:
    correct = figures["correctness"]
    return correct["exact"] and (correct["qna"] is None or correct["qna"]["exact"])


if __name__ == "__main__":
    sys.exit(0 if _all_exact(main()) else 1)
