"""Faults, as scripted scenarios against real servers; each prints one JSON line and
exits non-zero when something was lost or counted twice.

    python -m bench.faults kill       # SIGKILL the server in the middle of a burst
    python -m bench.faults reconnect  # 20 % of the phones reconnect at the same moment
    python -m bench.faults redis      # restart Redis under two servers (PostgreSQL)

The simulated phones behave as the real phone page does: an answer is kept until its ack
arrives; when the connection drops they reconnect with backoff, say hello, and send the
unacknowledged answer again with its original client id.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time

from websockets.exceptions import InvalidHandshake, WebSocketException

from .load import Socket, new_id, percentiles
from .stack import Stack

#: No scenario may take longer than this many seconds.
LIMIT = 240
RETRYABLE = (OSError, asyncio.TimeoutError, WebSocketException, InvalidHandshake, RuntimeError)


class Phone:
    """A phone that never gives up on an answer (within the scenario's limit)."""

    def __init__(self, urls: list[str], code: str, cookie: str, index: int):
        self.urls = urls
        self.code = code
        self.cookie = cookie
        self.index = index
        self.socket: Socket | None = None
        self.reconnects = 0

    def _new_socket(self) -> Socket:
        url = self.urls[self.index % len(self.urls)]
        return Socket(f"ws://{url}/ws/s/{self.code}/", [("Cookie", self.cookie)])

    async def connect(self) -> None:
        socket = self._new_socket()
        await socket.open()
        self.socket = socket

    async def drop(self) -> None:
        if self.socket is not None:
            await self.socket.close()
            self.socket = None

    async def deliver(self, message: dict, deadline: float) -> dict:
        """Send until acknowledged; returns the ack."""
        backoff = 0.25
        while time.monotonic() < deadline:
            try:
                if self.socket is None or self.socket.reader is None or self.socket.reader.done():
                    await self.drop()
                    self.reconnects += 1
                    await self.connect()
                # As the phone page: wait for the ack while the socket is open (a slow
                # ack is not a reason to reconnect); a closed socket fails the wait at once.
                _ms, ack = await self.socket.request(message, message["client_id"], timeout=30)
                return ack
            except RETRYABLE:
                await self.drop()
                await asyncio.sleep(backoff * (1 + random.random()))
                backoff = min(backoff * 2, 2.0)
        raise RuntimeError(f"phone {self.index}: not delivered within the limit")


async def open_question(stack: Stack) -> None:
    plan = stack.plan
    console = Socket(
        f"ws://{stack.running[0].url}/ws/facilitate/{plan['code']}/",
        [("Cookie", f"sessionid={plan['facilitator']}")],
    )
    await console.open()
    command = {"type": "command", "id": "open", "command": "open", "question": plan["question"]}
    _ms, result = await console.request(command, "open")
    await console.close()
    if not result.get("ok"):
        raise RuntimeError(f"could not open the question: {result}")


async def presenter_total(url: str, code: str, want: int, within: float) -> float | None:
    """Seconds until a fresh presenter on ``url`` shows ``want`` answers (rounded), or
    None."""
    started = time.monotonic()
    socket = Socket(f"ws://{url}/ws/present/{code}/", [])
    await socket.open()
    try:
        while time.monotonic() - started < within:
            question = (socket.last_snapshot or {}).get("question") or {}
            if question.get("respondents") == want:
                return round(time.monotonic() - started, 3)
            await asyncio.sleep(0.02)
        return None
    finally:
        await socket.close()


async def ready_phones(stack: Stack) -> list[Phone]:
    """The question opened and every phone of the plan connected."""
    await open_question(stack)
    phones = make_phones(stack)
    for phone in phones:
        await phone.connect()
    return phones


def intact(check: dict, phones: int) -> bool:
    """Nothing acknowledged is missing, nothing counts twice, every phone counts once."""
    return check["lost"] == 0 and check["double_counted"] == 0 and check["counted"] == phones


def make_phones(stack: Stack) -> list[Phone]:
    plan = stack.plan
    urls = [server.url for server in stack.running]
    return [
        Phone(urls, plan["code"], f"{plan['cookie_name']}={cookie}", index)
        for index, cookie in enumerate(plan["phones"])
    ]


def answer_message(stack: Stack) -> dict:
    plan = stack.plan
    return {
        "type": "answer",
        "client_id": new_id(),
        "question": plan["question"],
        "answer": {"option": random.choice(plan["options"])},
    }


def database_check(stack: Stack, acked: dict[int, str]) -> dict:
    """Every acknowledged answer is stored and counts; one counting answer per phone."""
    stack.django()
    from sessions_app.models import Response, ResponseStatus

    rows = list(
        Response.objects.filter(question_id=stack.plan["question"]).values_list(
            "participant_id", "client_id", "status"
        )
    )
    counted: dict[int, int] = {}
    stored = {client_id: status for _p, client_id, status in rows}
    for participant, _client, status in rows:
        if status == ResponseStatus.COUNTED:
            counted[participant] = counted.get(participant, 0) + 1
    return {
        "acknowledged": len(acked),
        "lost": sum(1 for client_id in acked.values() if client_id not in stored),
        "not_counting": sum(
            1 for client_id in acked.values() if stored.get(client_id) != ResponseStatus.COUNTED
        ),
        "double_counted": sum(n - 1 for n in counted.values() if n > 1),
        "counted": sum(counted.values()),
    }


# --- SIGKILL in the middle of a burst -------------------------------------------------


async def kill_scenario(stack: Stack, window: float) -> dict:
    phones = await ready_phones(stack)
    deadline = time.monotonic() + LIMIT
    acked: dict[int, str] = {}
    acked_at: dict[int, float] = {}
    statuses: dict[str, int] = {}
    events: dict[str, float] = {}

    async def answer(phone: Phone) -> None:
        await asyncio.sleep(random.uniform(0, window))
        message = answer_message(stack)
        ack = await phone.deliver(message, deadline)
        statuses[ack["status"]] = statuses.get(ack["status"], 0) + 1
        acked[phone.index] = message["client_id"]
        acked_at[phone.index] = time.monotonic()

    async def kill() -> None:
        await asyncio.sleep(window / 2)
        server = stack.running[0]
        port = int(server.url.rsplit(":", 1)[1])
        events["killed"] = time.monotonic()
        events["acked_before_kill"] = len(acked)
        await asyncio.to_thread(stack.stop_server, server, kill=True)
        stack.running[0] = await asyncio.to_thread(stack.start_server, port)
        events["restarted"] = time.monotonic()

    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(kill(), *(answer(phone) for phone in phones)), LIMIT)
    settled = max(acked_at.values())
    shown = await presenter_total(stack.running[0].url, stack.plan["code"], len(phones), 10)
    for phone in phones:
        await phone.drop()
    check = await asyncio.to_thread(database_check, stack, acked)
    return {
        "scenario": "kill",
        "phones": len(phones),
        "window_s": window,
        "acked_before_kill": events["acked_before_kill"],
        "restart_s": round(events["restarted"] - events["killed"], 2),
        "all_acked_s_after_kill": round(settled - events["killed"], 2),
        "acks": statuses,
        "reconnect_attempts": sum(phone.reconnects for phone in phones),
        "presenter_shows_all_s": shown,
        "database": check,
        "ok": intact(check, len(phones)) and check["not_counting"] == 0 and shown is not None,
        "took_s": round(time.monotonic() - started, 1),
    }


# --- 20 % reconnect at once ------------------------------------------------------------


async def reconnect_scenario(stack: Stack, share: float) -> dict:
    phones = await ready_phones(stack)
    deadline = time.monotonic() + LIMIT
    sent: dict[int, dict] = {}

    async def first(phone: Phone) -> None:
        sent[phone.index] = answer_message(stack)
        await phone.deliver(sent[phone.index], deadline)

    await asyncio.wait_for(asyncio.gather(*(first(phone) for phone in phones)), LIMIT)
    storm = random.sample(phones, round(len(phones) * share))
    await asyncio.gather(*(phone.drop() for phone in storm))
    started = time.monotonic()
    times: list[float] = []
    statuses: dict[str, int] = {}

    async def back(phone: Phone) -> None:
        began = time.monotonic()
        await phone.connect()
        times.append((time.monotonic() - began) * 1000)
        # The page resends what it is not sure of, with the same client id.
        ack = await phone.deliver(sent[phone.index], deadline)
        statuses[ack["status"]] = statuses.get(ack["status"], 0) + 1

    await asyncio.wait_for(asyncio.gather(*(back(phone) for phone in storm)), LIMIT)
    resynced = time.monotonic() - started
    shown = await presenter_total(stack.running[0].url, stack.plan["code"], len(phones), 10)
    for phone in phones:
        await phone.drop()
    acked = {index: message["client_id"] for index, message in sent.items()}
    check = await asyncio.to_thread(database_check, stack, acked)
    return {
        "scenario": "reconnect",
        "phones": len(phones),
        "reconnected_at_once": len(storm),
        "reconnect_ms": percentiles(times),
        "all_resynced_s": round(resynced, 2),
        "resent_acks": statuses,
        "presenter_shows_all_s": shown,
        "database": check,
        "ok": statuses == {"duplicate": len(storm)}
        and intact(check, len(phones))
        and shown is not None,
    }


# --- Redis restarts under two servers ------------------------------------------------


async def redis_scenario(stack: Stack) -> dict:
    phones = await ready_phones(stack)
    deadline = time.monotonic() + LIMIT
    acked: dict[int, str] = {}

    async def answer(phone: Phone) -> None:
        message = answer_message(stack)
        await phone.deliver(message, deadline)
        acked[phone.index] = message["client_id"]

    half = len(phones) // 2
    await asyncio.gather(*(answer(phone) for phone in phones[:half]))
    before = [
        await presenter_total(server.url, stack.plan["code"], half, 10) for server in stack.running
    ]
    await asyncio.to_thread(stack.stop_redis)
    stopped = time.monotonic()
    await asyncio.sleep(1)
    await asyncio.to_thread(stack.start_redis)
    # Once Redis is back the other half answers; the presenters must catch up. Timed from
    # the stop: 1 s away, the restart, the second half's answers, both presenters exact.
    await asyncio.gather(*(answer(phone) for phone in phones[half:]))
    after = await asyncio.gather(
        *(
            presenter_total(server.url, stack.plan["code"], len(phones), 30)
            for server in stack.running
        )
    )
    caught_up = time.monotonic() - stopped
    for phone in phones:
        await phone.drop()
    check = await asyncio.to_thread(database_check, stack, acked)
    return {
        "scenario": "redis",
        "phones": len(phones),
        "servers": len(stack.running),
        "presenters_before_restart_s": before,
        "presenters_after_restart_s": after,
        "exact_again_s_after_restart": round(caught_up, 2),
        "database": check,
        "ok": all(x is not None for x in before + list(after)) and intact(check, len(phones)),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Inspraak fault scenarios")
    parser.add_argument("scenario", choices=["kill", "reconnect", "redis"])
    parser.add_argument("--phones", type=int, default=500)
    parser.add_argument("--window", type=float, default=6.0, help="kill: seconds to answer in")
    parser.add_argument("--share", type=float, default=0.2, help="reconnect: share at once")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL server (needed for redis); else SQLite",
    )
    args = parser.parse_args(argv)
    random.seed(args.seed)
    if args.scenario == "redis" and not args.database_url:
        parser.error("the redis scenario needs --database-url (two servers share PostgreSQL)")
    from .stack import _raise_file_limit

    _raise_file_limit()
    with Stack(
        phones=args.phones,
        tellers=0,
        sheets=0,
        servers=2 if args.scenario == "redis" else 1,
        database_url=args.database_url,
        own_redis=args.scenario == "redis",
    ) as stack:
        if args.scenario == "kill":
            result = asyncio.run(kill_scenario(stack, args.window))
        elif args.scenario == "reconnect":
            result = asyncio.run(reconnect_scenario(stack, args.share))
        else:
            result = asyncio.run(redis_scenario(stack))
    result["database_backend"] = "postgresql" if args.database_url else "sqlite"
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
