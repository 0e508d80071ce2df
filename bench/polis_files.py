"""A Polis conversation export of any size, written as Polis writes it (``comments.csv``,
``votes.csv``, ``summary.csv``), for the import's tests and benchmark:

    python -m bench.polis_files DIR [--comments 5000] [--voters 2000] [--votes 200000]

It prints the counts written as one JSON line (``comments``, ``voters``, ``votes``).

Voters lean to one of three camps and vote their camp's view three times out of four;
every comment gets votes (a voter votes on a random sample); one vote in fifty is a
changed vote on a comment voted on before; one comment in twenty is moderated out, one in
ten not moderated. Timestamps are milliseconds, as in Polis's own export.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from sessions_app.opinion.polis import COMMENT_COLUMNS, VOTE_COLUMNS

from . import description

START_MS = 1_700_000_000_000


def write_conversation(
    directory: Path, *, comments: int, voters: int, votes: int, seed: int = 1
) -> dict:
    """Write the three files into ``directory`` (created); returns the counts written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    moderated = rng.choice([1, 0, -1], size=comments, p=[0.85, 0.10, 0.05])
    with (directory / "comments.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(COMMENT_COLUMNS)
        for cid in range(comments):
            out.writerow(
                [
                    START_MS + cid * 1000,
                    "",
                    cid,
                    int(rng.integers(0, voters)),
                    0,
                    0,
                    int(moderated[cid]),
                    f"Statement {cid}: the square should have more of thing {cid % 97}.",
                ]
            )
    lean = rng.integers(0, 3, voters)
    stance = rng.choice([-1, 0, 1], size=(3, comments), p=[0.4, 0.2, 0.4])
    changed = votes // 50
    fresh = votes - changed
    # Every comment has a vote (comment c from voter c mod voters); the rest of each
    # voter's votes are a random sample, so that the fresh votes add up to about ``fresh``.
    extra = rng.multinomial(max(0, fresh - comments), np.full(voters, 1 / voters))
    written = 0
    pairs = []
    with (directory / "votes.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(VOTE_COLUMNS)
        at = START_MS + comments * 1000
        for voter in range(voters):
            own = set(range(voter, comments, voters))
            sample = rng.choice(comments, size=min(comments, int(extra[voter])), replace=False)
            chosen = sorted(own.union(int(c) for c in sample))
            follows = rng.random(len(chosen)) < 0.75
            mine = rng.choice([-1, 0, 1], size=len(chosen))
            for cid, follow, vote_own in zip(chosen, follows, mine, strict=True):
                at += int(rng.integers(1, 500))
                vote = int(stance[lean[voter], cid]) if follow else int(vote_own)
                out.writerow([at, "", cid, voter, vote])
                written += 1
                if len(pairs) < changed and rng.random() < 0.05:
                    pairs.append((cid, voter))
        wanted = max(changed, votes - written)
        while len(pairs) < wanted:
            cid = int(rng.integers(0, comments))
            pairs.append((cid, cid % voters))  # a vote given before, changed
        del pairs[wanted:]
        for cid, voter in pairs:
            at += int(rng.integers(1, 500))
            out.writerow([at, "", cid, voter, int(rng.choice([-1, 0, 1]))])
            written += 1
    with (directory / "summary.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["topic", "A large generated conversation"])
        out.writerow(["url", "https://pol.is/generated"])
        out.writerow(["conversation-description", "Generated for the import's benchmark."])
    return {"comments": comments, "voters": voters, "votes": written}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("directory", type=Path)
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--votes", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    written = write_conversation(
        args.directory,
        comments=args.comments,
        voters=args.voters,
        votes=args.votes,
        seed=args.seed,
    )
    print(json.dumps(written))


if __name__ == "__main__":
    main()
