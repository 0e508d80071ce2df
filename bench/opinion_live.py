"""Live opinion maps under load: the same town hall of phones voting on statements, once
with live maps off (the baseline, ``OPINION_TICK=0``) and once on, on the same machine in
the same run. The question is whether the answers' acknowledgements stay as fast with the
map as without it.

    python -m bench.opinion_live --phones 500 --statements 12 --window 20

Each phone joins a camp (three camps, each with its own view of every statement) and, at
random moments within the window, votes on ``--votes`` of the statements, following its
camp four times out of five, waiting for each acknowledgement. A presenter is connected
and the results are shown, so with maps on the server computes a map every tick while
votes come in and sends it to the projector. Prints one JSON line; ``docs/opinion-map.md``
has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import time

from . import description
from .load import Socket, Usage, new_id, open_all, percentiles
from .stack import Stack, _raise_file_limit, cores


async def town_hall(stack: Stack, args) -> dict:
    plan = stack.plan
    url = stack.running[0].url
    code, question, statements = plan["code"], plan["question"], plan["options"]
    usage = Usage([server.pid for server in stack.running])
    rng = random.Random(args.seed)
    maps: list[tuple[float, int, int]] = []  # (when, groups, placed) seen by the presenter

    def seen(at: float, message: dict) -> None:
        opinion = (message.get("question") or {}).get("opinion")
        if opinion:
            maps.append((at, len(opinion["groups"]), opinion["placed"]))

    presenter = Socket(f"ws://{url}/ws/present/{code}/", [])
    presenter.on_snapshot = seen
    await presenter.open()
    phones = [
        Socket(
            f"ws://{url}/ws/s/{code}/",
            [("Cookie", f"{plan['cookie_name']}={cookie}")],
        )
        for cookie in plan["phones"]
    ]
    await open_all(phones, args.concurrency)
    await asyncio.sleep(1)

    stance = [[rng.choice(("agree", "disagree", "pass")) for _ in statements] for _ in range(3)]
    acks: list[float] = []
    refused: dict[str, int] = {}
    last_sent = [0.0]

    async def vote_all(socket: Socket, camp: int, delays: list[float], chosen: list[int]) -> None:
        for delay, index in zip(delays, chosen, strict=True):
            await asyncio.sleep(delay)
            vote = (
                stance[camp][index]
                if rng.random() < 0.8
                else rng.choice(("agree", "disagree", "pass"))
            )
            client_id = new_id()
            message = {
                "type": "answer",
                "client_id": client_id,
                "question": question,
                "answer": {"statement": statements[index], "vote": vote},
            }
            last_sent[0] = max(last_sent[0], time.perf_counter())
            ms, ack = await socket.request(message, client_id, timeout=60)
            acks.append(ms)
            if ack.get("status") == "rejected":
                refused[ack.get("code", "?")] = refused.get(ack.get("code", "?"), 0) + 1

    plans = []
    for socket in phones:
        chosen = rng.sample(range(len(statements)), min(args.votes, len(statements)))
        moments = sorted(rng.uniform(0, args.window) for _ in chosen)
        delays = [b - a for a, b in zip([0.0, *moments], moments, strict=False)]
        plans.append(vote_all(socket, rng.randrange(3), delays, chosen))
    cpu_before = usage.cpu()
    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*plans), args.window + 120)
    burst = time.perf_counter() - started
    cpu = (usage.cpu() - cpu_before) / burst * 100
    # Wait for the map made from every vote (maps on).
    settle_deadline = time.perf_counter() + 30
    final_map_s = None
    while args.tick > 0 and time.perf_counter() < settle_deadline:
        done = [at for at, groups, placed in maps if placed == len(phones) and at >= last_sent[0]]
        if done:
            final_map_s = round(done[0] - last_sent[0], 2)
            break
        await asyncio.sleep(0.1)
    # The map's worker process (a child of the server): its CPU over the whole run.
    worker_cpu = sum(
        child.cpu_times().user + child.cpu_times().system
        for process in usage.processes
        for child in process.children(recursive=True)
    )
    for socket in [presenter, *phones]:
        await socket.close()
    return {
        "votes": len(acks),
        "refused": refused,
        "ack_ms": percentiles(acks),
        "cpu_burst_pct": round(cpu, 1),
        "map_worker_cpu_s": round(worker_cpu, 1),
        "map_updates_on_projector": len({placed for _at, _groups, placed in maps}),
        "groups_at_end": maps[-1][1] if maps else None,
        "placed_at_end": maps[-1][2] if maps else None,
        "final_map_after_last_vote_s": final_map_s,
    }


def stored_maps(stack: Stack) -> dict:
    path = stack.env.get("SQLITE_PATH")
    if not path:
        return {}
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT seconds FROM sessions_app_opinionmapstate").fetchall()
    return {
        "computations_stored": len(rows),
        "last_compute_s": round(rows[-1][0], 3) if rows else None,
    }


def run(args, tick: float) -> dict:
    os.environ["OPINION_TICK"] = str(tick)
    args.tick = tick
    with Stack(
        phones=args.phones, tellers=0, sheets=0, statements=args.statements, reveal=True
    ) as stack:
        figures = asyncio.run(town_hall(stack, args))
        figures.update(stored_maps(stack))
    return {"opinion_tick_s": tick, **figures}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--phones", type=int, default=500)
    parser.add_argument("--statements", type=int, default=12)
    parser.add_argument("--votes", type=int, default=8, help="statements each phone votes on")
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--tick", type=float, default=2.0, help="the opinion tick with maps on")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    _server_cores, client_cores = cores()
    os.sched_setaffinity(0, client_cores)
    _raise_file_limit()
    tick = args.tick
    baseline = run(args, 0)
    with_map = run(args, tick)
    p95_off, p95_on = baseline["ack_ms"].get("p95"), with_map["ack_ms"].get("p95")
    print(
        json.dumps(
            {
                "tool": "inspraak.bench.opinion_live/1",
                "phones": args.phones,
                "statements": args.statements,
                "votes_per_phone": args.votes,
                "window_s": args.window,
                "maps_off": baseline,
                "maps_on": with_map,
                "ack_p95_ratio_on_vs_off": round(p95_on / p95_off, 2) if p95_off else None,
            }
        )
    )


if __name__ == "__main__":
    main()
