"""The evidence checks at scale: verifying a process's log of about 100,000 entries
(the chain, every row against its entry, every written text against its commitment, the
signed heads) and checking receipts, each beside a baseline measured in the same run.

    python -m bench.evidence [--responses 100000] [--checks 500]

It fills a throwaway SQLite database through the real write path (``bench.exports.fill``:
answers in batches, a quarter of them written text, so a quarter of the entries hold a
commitment), then, in this order:

- the chain alone (``selectors.log_verify``): the baseline, what ``verify_log`` did before
  rows were bound to the log;
- every row against the log (``binding.rows_verify``), and the stored heads against a tree
  built afresh (``checkpoints.heads_verify``);
- all of ``manage.py verify_log SLUG``;
- receipt checks (``receipts.receipt_check``): the first one (which grows the kept tree
  from the whole log), then the median and 95th percentile of ``--checks`` more, beside
  reading one log entry by its number (the baseline).

Prints one JSON line; ``docs/performance.md`` has the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.exports import fill, throwaway_env

from . import description


def timed(step) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def measure(responses: int, checks: int) -> dict:
    from django.core.management import call_command

    from sessions_app import binding, checkpoints, receipts, selectors
    from sessions_app.models import LogEntry, Process, TextContent

    codes: list[str] = []
    started = time.perf_counter()
    slug = fill(responses, codes)
    filled = time.perf_counter() - started
    process = Process.objects.get(slug=slug)
    checkpoints.trees_forget()
    checkpoints.head_sign(process)  # a head to check, as the daily tick makes
    out = {
        "responses": responses,
        "log_entries": process.log_seq,
        "commitments": TextContent.objects.filter(process=process).count(),
        "fill_seconds": round(filled, 1),
        "baseline_chain_seconds": round(timed(lambda: selectors.log_verify(process=process)), 2),
        "rows_seconds": round(timed(lambda: binding.rows_verify(process=process)), 2),
        "heads_seconds": round(timed(lambda: checkpoints.heads_verify(process)), 2),
    }
    out["verify_log_seconds"] = round(
        timed(lambda: call_command("verify_log", slug, stdout=io.StringIO())), 2
    )
    checkpoints.trees_forget()
    sample = random.Random(7).sample(codes, min(checks + 1, len(codes)))
    out["receipt_first_ms"] = round(
        timed(lambda: receipts.receipt_check(process, sample[0])) * 1e3, 1
    )
    times = [timed(lambda c=c: receipts.receipt_check(process, c)) * 1e3 for c in sample[1:]]
    seqs = random.Random(8).sample(range(1, process.log_seq + 1), len(times))
    base = [timed(lambda s=s: LogEntry.objects.get(process=process, seq=s)) * 1e3 for s in seqs]
    out["receipt_median_ms"] = round(statistics.median(times), 2)
    out["receipt_p95_ms"] = round(statistics.quantiles(times, n=20)[-1], 2)
    out["baseline_entry_read_median_ms"] = round(statistics.median(base), 2)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="inspraak-evidence-"))
    os.environ.update(throwaway_env(directory))
    import django

    django.setup()
    try:
        print(json.dumps(measure(args.responses, args.checks)))
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
