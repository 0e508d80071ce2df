"""Big request bodies against a real Daphne, while a projector's websocket measures
ping to pong: no request stalls the others by more than 200 ms or grows the server by
more than 100 MB; an anonymous body is never parsed; a body over the limit gets 413 early.
"""

import asyncio
import json
import socket
import time

import psutil
import pytest
import websockets
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from bench.stack import launch_daphne, stop_daphne
from sessions_app.models import FormScan, Role
from sessions_app.services.processes import process_publish
from tests.conftest import PASSWORD

from .conftest import server_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MB = 1024 * 1024


@pytest.fixture
def server(static_root):
    server = launch_daphne(env=server_env(static_root), directory=static_root.parent)
    yield server
    stop_daphne(server)


@pytest.fixture
def room(live_session, make_question, organiser, make_user, grant):
    make_question("single_choice")
    process_publish(user=organiser, process=live_session.process)
    teller = make_user("tessa")
    grant(live_session.process, teller, Role.TELLER)
    return live_session, teller


def post_raw(port: int, path: str, *, length: int | None, send: int, cookie: str = "") -> dict:
    """A multipart POST written by hand: headers (with ``length``, or chunked without),
    then up to ``send`` bytes of body in 1 MB pieces while the server takes them. Returns
    the status line, the bytes the server took and the seconds until the answer."""
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: multipart/form-data; boundary=xyz",
    ]
    head.append(f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked")
    if cookie:
        head.append(f"Cookie: {cookie}")
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    piece = b"--xyz\r\n" + b"0" * (MB - 7)
    taken = 0
    sock.settimeout(0.05)
    answer = b""
    while taken < send:
        try:
            answer += sock.recv(4096)
            if answer:
                break
        except TimeoutError:
            pass
        except OSError:
            break
        chunk = piece if length is not None else f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        try:
            sock.sendall(chunk)
        except OSError:  # the server closed: it refused the rest
            break
        taken += len(piece)
    sock.settimeout(30)
    try:
        while b"\r\n" not in answer:
            more = sock.recv(4096)
            if not more:
                break
            answer += more
    except OSError:
        pass
    sock.close()
    return {
        "status": answer.split(b"\r\n", 1)[0].decode(errors="replace"),
        "sent": taken,
        "seconds": time.monotonic() - started,
    }


async def pings(url: str, code: str, stop: asyncio.Event, sockets: int = 5) -> list[float]:
    """Round trips of ping to pong on projectors' sockets until ``stop``: a ping every
    50 ms in all, spread over ``sockets`` sockets so that none passes its rate limit (5 a
    second)."""
    origin = url.replace("ws://", "http://")
    times: list[float] = []

    async def one(offset: float):
        async with websockets.connect(
            f"{url}/ws/present/{code}/", additional_headers=[("Origin", origin)]
        ) as ws:
            await ws.recv()  # welcome
            await asyncio.sleep(offset)
            while not stop.is_set():
                started = time.perf_counter()
                await ws.send(json.dumps({"type": "ping"}))
                while json.loads(await ws.recv())["type"] != "pong":
                    pass
                times.append(time.perf_counter() - started)
                await asyncio.sleep(0.05 * sockets)

    await asyncio.gather(*(one(0.05 * n) for n in range(sockets)))
    return times


async def while_measured(server, code: str, attack):
    """Run ``attack`` in a thread while pings run; the worst round trip, the server's
    growth in resident memory (sampled every 20 ms) and the attack's result."""
    process = psutil.Process(server.pid)
    before = process.memory_info().rss
    peak = before
    stop = asyncio.Event()
    task = asyncio.create_task(pings(f"ws://{server.url}", code, stop))
    await asyncio.sleep(0.3)
    future = asyncio.get_running_loop().run_in_executor(None, attack)
    while not future.done():
        peak = max(peak, process.memory_info().rss)
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    stop.set()
    times = await task
    return max(times), (peak - before) / MB, future.result()


async def test_big_anonymous_bodies_are_refused_early_and_stall_no_one(server, room):
    session, _teller = room
    port = int(server.url.rsplit(":", 1)[1])
    photo = reverse("paper:teller_photo", args=[session.pk])

    # 300 MB announced: refused on its headers, before the body.
    worst, growth, result = await while_measured(
        server, session.join_code, lambda: post_raw(port, photo, length=300 * MB, send=300 * MB)
    )
    assert result["status"].startswith("HTTP/1.1 413")
    assert result["sent"] < 50 * MB
    assert worst < 0.2, worst
    assert growth < 100, growth

    # 30 MB sent without a length (chunked): refused once it passes the anonymous limit.
    worst, growth, result = await while_measured(
        server, session.join_code, lambda: post_raw(port, photo, length=None, send=30 * MB)
    )
    assert result["status"].startswith("HTTP/1.1 413")
    assert worst < 0.2, worst
    assert growth < 100, growth


async def test_a_forged_session_cookie_gets_no_body_parsed(server, room):
    """A cookie that looks like a staff session lets the body through Daphne's layer (to
    disk); Django refuses it before any parser, because no one is signed in."""
    session, _teller = room
    port = int(server.url.rsplit(":", 1)[1])
    before = await sync_to_async(FormScan.objects.count)()
    for path in (
        reverse("paper:teller_photo", args=[session.pk]),
        reverse("paper:scan_upload", args=[session.process.slug, session.pk]),
        reverse("designer:process_import"),
    ):
        worst, growth, result = await while_measured(
            server,
            session.join_code,
            lambda path=path: post_raw(
                port, path, length=60 * MB, send=60 * MB, cookie="sessionid=forged"
            ),
        )
        assert result["status"].startswith("HTTP/1.1 413"), (path, result)
        assert worst < 0.2, (path, worst)
        assert growth < 100, (path, growth)
    assert await sync_to_async(FormScan.objects.count)() == before


async def test_a_teller_upload_within_the_limit_is_read_from_disk(server, room):
    """A signed-in teller's 40 MB file reaches the view (which refuses it as no image)
    without stalling the room; over the page's limit, 413 before parsing."""
    session, teller = room
    port = int(server.url.rsplit(":", 1)[1])
    client = Client()
    await sync_to_async(client.login)(username=teller.username, password=PASSWORD)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    photo = reverse("paper:teller_photo", args=[session.pk])
    worst, growth, result = await while_measured(
        server,
        session.join_code,
        lambda: post_raw(port, photo, length=40 * MB, send=40 * MB, cookie=cookie),
    )
    # Past the size checks: the CSRF check refuses the hand-written form (403).
    assert result["status"].startswith("HTTP/1.1 403"), result
    assert worst < 0.2, worst
    assert growth < 100, growth
    design = reverse("designer:process_import")
    result = await asyncio.to_thread(
        post_raw, port, design, length=5 * MB, send=5 * MB, cookie=cookie
    )
    assert result["status"].startswith("HTTP/1.1 413"), result


def test_the_guard_passes_ordinary_requests_through(server):
    """A small form and a page: unchanged by the guard (no 413, no lost body)."""
    port = int(server.url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    body = b"code=ABC123"
    sock.sendall(
        b"POST /j/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port
        + b"Content-Type: application/x-www-form-urlencoded\r\n"
        + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        + body
    )
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    sock.close()
    # Through to Django, which parsed the form for its CSRF check (and refused it).
    assert answer.startswith(b"HTTP/1.1 403"), answer[:80]


async def frame_outcome(server, code: str, frame: str | bytes, *, as_text_bytes=False):
    """Send one frame on a projector's socket: the message that came back, or the close
    code the socket was closed with."""
    origin = f"http://{server.url}"
    async with websockets.connect(
        f"ws://{server.url}/ws/present/{code}/",
        additional_headers=[("Origin", origin)],
        max_size=None,
    ) as ws:
        await ws.recv()  # welcome
        await ws.send(frame, text=True) if as_text_bytes else await ws.send(frame)
        try:
            return json.loads(await asyncio.wait_for(ws.recv(), 10))
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


async def test_frames_refused_below_the_application_close_with_their_code(server, room):
    session, _teller = room
    code = session.join_code
    # Over the protocol's 16 KB: answered, and the socket stays.
    assert (await frame_outcome(server, code, "x" * 20_000))["code"] == "message_too_large"
    # Over Daphne's 1 MiB: closed with 1009 (message too big), not dropped.
    assert await frame_outcome(server, code, "x" * (2 * MB)) == 1009
    # A text frame that is not UTF-8: closed with 1007 (invalid payload), not dropped.
    assert await frame_outcome(server, code, b"\xff\xfe{}", as_text_bytes=True) == 1007
