"""The opinion map's recomputation time, beside a baseline measured in the same run.

    python -m bench.opinion [--participants 1000] [--statements 200] [--runs 5]

Synthetic votes (seeded): each participant leans to one of three camps, votes on 10 to 80
of the statements, and follows the camp's view three times out of four. The recomputation
is ``opinion.groups.opinion_map`` as the live tick runs it: the vote matrix, PCA, k-means
for k = 2..5 with silhouettes, stable labels, and every statement's and group's
statistics. The baseline is the least any recomputation does: building the vote matrix
from the same votes and filling it with the column means (numpy alone). The real Polis
conversations are timed too, with the agreement of our groups with Polis's (ARI).

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
from sessions_app.opinion.polis import read_conversation

TARGET_SECONDS = 1.0
POLIS = Path(__file__).resolve().parents[1] / "tests" / "data" / "polis"


def synthetic(participants: int, statements: int, seed: int = 1) -> list[tuple[int, int, int]]:
    rng = np.random.default_rng(seed)
    lean = rng.integers(0, 3, participants)
    stance = rng.choice([-1, 0, 1], size=(3, statements))
    votes = []
    for person in range(participants):
        for statement in rng.choice(statements, size=rng.integers(10, 81), replace=False):
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


def polis_figures() -> list[dict]:
    from sklearn.metrics import adjusted_rand_score

    figures = []
    for folder in sorted(p for p in POLIS.iterdir() if p.is_dir()):
        # The conversation as ``import_polis`` reads it (votes in time order).
        conversation = read_conversation(folder)
        with (folder / "participants-votes.csv").open(encoding="utf-8") as f:
            theirs = {
                int(r["participant"]): int(r["group-id"])
                for r in csv.DictReader(f)
                if r["group-id"]
            }
        votes = [(v.voter, v.comment, v.vote) for v in conversation.votes]
        statements = [c.id for c in conversation.comments]
        hidden = [c.id for c in conversation.comments if c.moderated == -1]
        started = time.perf_counter()
        found = opinion_map(votes, statements=statements, hidden=hidden)
        seconds = time.perf_counter() - started
        both = sorted(set(found.labels) & set(theirs))
        figures.append(
            {
                "conversation": folder.name,
                "participants_placed": len(found.positions),
                "polis_grouped": len(theirs),
                "compared": len(both),
                "groups": len(found.groups),
                "ari": round(
                    adjusted_rand_score([theirs[p] for p in both], [found.labels[p] for p in both]),
                    3,
                ),
                "different": _different(theirs, found.labels, both),
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--statements", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    votes = synthetic(args.participants, args.statements)
    columns = list(range(args.statements))
    opinion_map(votes, statements=columns)  # warm up: imports, BLAS threads
    base = timed(lambda: baseline(votes, args.statements), args.runs)
    full = timed(lambda: opinion_map(votes, statements=columns), args.runs)
    found = opinion_map(votes, statements=columns)
    result = {
        "tool": "inspraak.bench.opinion/1",
        "participants": args.participants,
        "statements": args.statements,
        "votes": len(votes),
        "placed": len(found.positions),
        "groups": len(found.groups),
        "recompute_s_median": round(statistics.median(full), 3),
        "recompute_s_max": round(max(full), 3),
        "baseline_matrix_s_median": round(statistics.median(base), 3),
        "target_s": TARGET_SECONDS,
        "target_met": statistics.median(full) <= TARGET_SECONDS,
        "polis": polis_figures() if POLIS.is_dir() else [],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
