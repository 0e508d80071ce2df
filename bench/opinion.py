"""The opinion map's recomputation time, beside a baseline measured in the same run.

    python -m bench.opinion [--sizes 1000x200,2000x5000] [--runs 5] [--import]

Synthetic votes (seeded): each participant leans to one of three camps, votes on 10 to 80
of the statements (up to 180 when there are thousands), and follows the camp's view three
times out of four. The recomputation is ``opinion.groups.opinion_map`` as the live tick
runs it, in the server's worker process (``sessions_app.workers``: the lowest priority,
one numeric thread): the vote matrix, PCA, base clusters, groups for k = 2..5 with
silhouettes, stable labels, and every statement's and group's statistics. Each size is
timed twice: with the machine quiet, and with another process keeping a core busy (as a
server answering phones does). The baseline is the least any recomputation does:
building the vote matrix from the same votes and filling it with the column means (numpy
alone). The real Polis conversations are timed too, with the agreement of our groups
with Polis's (ARI). ``--import`` also times ``import_polis`` on a generated conversation
of 5,000 comments, 2,000 voters and 200,000 votes (``bench.polis_files``), in a throwaway
SQLite database.

Prints one JSON line; ``docs/opinion-map.md`` has the figures. Not a test: no timing is
asserted anywhere.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from pathlib import Path

import numpy as np

from sessions_app.opinion.groups import opinion_map
from sessions_app.opinion.polis import FLAGS, read_conversation

from . import description

#: Targets of the recomputation in the worker: participants x statements → seconds.
TARGETS = {(1000, 200): 1.0, (2000, 5000): 10.0}
POLIS = Path(__file__).resolve().parents[1] / "tests" / "data" / "polis"


def synthetic(participants: int, statements: int, seed: int = 1) -> list[tuple[int, int, int]]:
    rng = np.random.default_rng(seed)
    lean = rng.integers(0, 3, participants)
    stance = rng.choice([-1, 0, 1], size=(3, statements))
    most = 80 if statements <= 1000 else 180
    votes = []
    for person in range(participants):
        chosen = rng.choice(
            statements, size=min(statements, rng.integers(10, most + 1)), replace=False
        )
        for statement in chosen:
            follows = rng.random() < 0.75
            vote = stance[lean[person], statement] if follows else rng.choice([-1, 0, 1])
            votes.append((person, int(statement), int(vote)))
    return votes


def baseline(votes, statements: int) -> None:
    people = sorted({p for p, _s, _v in votes})
    row = {p: i for i, p in enumerate(people)}
    matrix = np.full((len(people), statements), np.nan)
    for person, statement, vote in votes:
        matrix[row[person], statement] = vote
    means = np.nan_to_num(np.nanmean(matrix, axis=0), nan=0.0)
    np.where(np.isnan(matrix), means, matrix)


def timed(function, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def polis_groups(folder: Path) -> dict[int, int]:
    """Polis's own group of each participant it grouped (``participants-votes.csv``)."""
    with (folder / "participants-votes.csv").open(encoding="utf-8") as f:
        return {
            int(r["participant"]): int(r["group-id"]) for r in csv.DictReader(f) if r["group-id"]
        }


def matrix_conversation(folder: Path) -> tuple[list, list, list]:
    """(votes, statements, hidden) of a conversation kept as Polis's vote matrix alone
    (``participants-votes.csv``: each participant's latest vote per comment, no times)
    and its comments' moderation (``comments-moderation.csv``: ``comment-id``,
    ``moderated``, and ``is-meta`` where the source had it)."""
    votes = []
    with (folder / "participants-votes.csv").open(encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows)
        # The comments follow the counts (newer exports have an ``xid`` column too).
        first = header.index("n-disagree") + 1
        comments = [int(c) for c in header[first:]]
        for row in rows:
            voter = int(row[0])
            votes.extend(
                (voter, comment, int(cell))
                for comment, cell in zip(comments, row[first:], strict=True)
                if cell != ""
            )
    with (folder / "comments-moderation.csv").open(encoding="utf-8") as f:
        moderation = list(csv.DictReader(f))
    hidden = [
        int(r["comment-id"])
        for r in moderation
        if r["moderated"].strip() == "-1" or FLAGS.get((r.get("is-meta") or "").strip().lower())
    ]
    statements = sorted({int(r["comment-id"]) for r in moderation} | set(comments))
    return votes, statements, hidden


def polis_figures() -> list[dict]:
    """Our groups against Polis's on each conversation in ``tests/data/polis/``: read as
    ``import_polis`` reads it (votes in time order) where its ``votes.csv`` is there,
    else from its vote matrix (``matrix_conversation``)."""
    from sklearn.metrics import adjusted_rand_score

    figures = []
    for folder in sorted(p for p in POLIS.iterdir() if p.is_dir()):
        if (folder / "votes.csv").exists():
            conversation = read_conversation(folder)
            votes = [(v.voter, v.comment, v.vote) for v in conversation.votes]
            statements = [c.id for c in conversation.comments]
            hidden = [c.id for c in conversation.comments if c.moderated == -1 or c.meta]
        else:
            votes, statements, hidden = matrix_conversation(folder)
        theirs = polis_groups(folder)
        started = time.perf_counter()
        found = opinion_map(votes, statements=statements, hidden=hidden)
        seconds = time.perf_counter() - started
        both = sorted(set(found.labels) & set(theirs))
        figures.append(
            {
                "conversation": folder.name,
                "statements": len(statements),
                "participants": len({v[0] for v in votes}),
                "participants_placed": len(found.positions),
                "polis_grouped": len(theirs),
                "compared": len(both),
                "polis_groups": len(set(theirs.values())),
                "groups": len(found.groups),
                "ari": round(
                    adjusted_rand_score([theirs[p] for p in both], [found.labels[p] for p in both]),
                    3,
                ),
                "different": _different(theirs, found.labels, both),
                "silhouettes": found.silhouettes,
                "seconds": round(seconds, 3),
            }
        )
    return figures


def _different(theirs: dict, ours: dict, both: list) -> int:
    """Participants in a different group, under the best matching of the labels."""
    from scipy.optimize import linear_sum_assignment

    a = sorted({theirs[p] for p in both})
    b = sorted({ours[p] for p in both})
    overlap = np.zeros((len(a), len(b)))
    for p in both:
        overlap[a.index(theirs[p]), b.index(ours[p])] += 1
    rows, cols = linear_sum_assignment(-overlap)
    return int(len(both) - overlap[rows, cols].sum())


def _spin() -> None:  # pragma: no cover (a separate process, killed when done)
    while True:
        pass


def in_worker(inputs: dict, runs: int, *, busy: bool) -> list[float]:
    """Seconds of ``serialize.compute`` in the server's worker process (as the live tick
    runs it), ``runs`` times; with ``busy``, while another process spins on a core."""
    import multiprocessing

    from sessions_app.opinion.serialize import compute
    from sessions_app.workers import worker_pool, worker_pool_reset

    spinner = None
    if busy:
        spinner = multiprocessing.get_context("spawn").Process(target=_spin, daemon=True)
        spinner.start()
    try:
        pool = worker_pool()
        pool.submit(compute, inputs).result()  # warm up: the worker's imports
        return [pool.submit(compute, inputs).result()[1] for _ in range(runs)]
    finally:
        if spinner is not None:
            spinner.terminate()
            spinner.join()
        worker_pool_reset()


def size_figures(participants: int, statements: int, runs: int) -> dict:
    votes = synthetic(participants, statements)
    columns = list(range(statements))
    inputs = {"votes": votes, "statements": columns, "hidden": [], "previous": {}}
    base = timed(lambda: baseline(votes, statements), runs)
    quiet = in_worker(inputs, runs, busy=False)
    busy = in_worker(inputs, runs, busy=True)
    found = opinion_map(votes, statements=columns)
    target = TARGETS.get((participants, statements))
    return {
        "participants": participants,
        "statements": statements,
        "votes": len(votes),
        "placed": len(found.positions),
        "groups": len(found.groups),
        "silhouettes": found.silhouettes,
        "recompute_s_median": round(statistics.median(quiet), 3),
        "recompute_s_max": round(max(quiet), 3),
        "busy_core_s_median": round(statistics.median(busy), 3),
        "busy_core_s_max": round(max(busy), 3),
        "baseline_matrix_s_median": round(statistics.median(base), 3),
        "target_s": target,
        "target_met": None
        if target is None
        else max(statistics.median(quiet), statistics.median(busy)) <= target,
    }


def import_figures() -> dict:
    """``import_polis`` of 5,000 comments, 2,000 voters and 200,000 votes, timed as a
    command (Django's start included), in a throwaway SQLite database
    (``bench.exports.throwaway_env``)."""
    import shutil
    import subprocess
    import sys
    import tempfile

    from .exports import throwaway_env
    from .polis_files import write_conversation

    directory = Path(tempfile.mkdtemp(prefix="inspraak-polis-"))
    try:
        written = write_conversation(
            directory / "conversation", comments=5000, voters=2000, votes=200_000
        )
        env = throwaway_env(directory)
        manage = [sys.executable, str(Path(__file__).resolve().parents[1] / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
        started = time.perf_counter()
        subprocess.run(
            [*manage, "import_polis", str(directory / "conversation")],
            env=env,
            check=True,
            capture_output=True,
        )
        return {**written, "import_s": round(time.perf_counter() - started, 1)}
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--sizes", default="1000x200,2000x5000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--import", dest="import_", action="store_true")
    args = parser.parse_args(argv)
    sizes = [tuple(int(n) for n in size.split("x")) for size in args.sizes.split(",")]
    result = {
        "tool": "inspraak.bench.opinion/2",
        "sizes": [size_figures(p, s, args.runs) for p, s in sizes],
        "polis": polis_figures() if POLIS.is_dir() else [],
    }
    if args.import_:
        result["import"] = import_figures()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
