"""Several Daphne processes on PostgreSQL and Redis serve one session: phones spread over
them, every answer (and every upvote of a question to the panel) counts once, and a
presenter on either shows the exact total. Runs the
load tool (``bench/``) small, as ``.ci/run`` does with PostgreSQL and Redis running."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
    reason="needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL); .ci/run starts both",
)


def test_two_servers_count_every_answer_once_and_both_presenters_show_the_total():
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            *("--phones", "400", "--servers", "2", "--window", "5"),
            *("--sheets", "20", "--tellers", "2", "--qna", "40"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout.splitlines()[-1])
    assert (figures["servers"], figures["database"], figures["layer"]) == (
        2,
        "postgresql",
        "redis",
    )
    assert figures["app"]["connect"]["phones_per_server"] == [200, 200]
    burst = figures["app"]["burst"]
    assert burst["acks"] == {"counted": 400}
    assert burst["duplicates_acked_as_duplicate"] == burst["duplicates_sent"] == 40
    assert (burst["paper_entries"], burst["paper_errors"]) == (20, [])
    correct = figures["correctness"]
    assert (correct["lost"], correct["double_counted"]) == (0, 0)
    assert correct["counted_in_database"] == correct["expected_total"] == 420
    # Answers went to both servers; each presenter saw all of them.
    assert correct["presenters_show"] == [420, 420]
    # The Q&A phase: 400 phones upvoted 3 questions each, over both servers; every upvote
    # counts once, and both presenters reached the exact sum.
    qna = figures["app"]["qna"]
    assert qna["acks"] == {"counted": 1200}
    assert qna["duplicates_acked_as_duplicate"] == qna["duplicates_sent"] == 40
    assert qna["exact_total_after_last_upvote_ms"] is not None
    assert correct["qna"] == {
        "expected_upvotes": 1200,
        "counted_in_database": 1200,
        "lost": 0,
        "double_counted": 0,
        "exact": True,
    }
