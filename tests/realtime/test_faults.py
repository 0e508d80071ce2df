"""Faults survived, run through the scripted scenarios of ``bench/faults.py`` against real
Daphne processes: a server killed with SIGKILL in the middle of a burst, a fifth of the
phones reconnecting at once, and (on PostgreSQL) Redis restarting under two servers.
Nothing acknowledged may be lost, nothing counted twice."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def scenario(*args: str) -> dict:
    run = subprocess.run(
        [sys.executable, "-m", "bench.faults", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert run.stdout, run.stderr[-3000:]
    result = json.loads(run.stdout.splitlines()[-1])
    assert run.returncode == (0 if result["ok"] else 1)
    return result


def test_a_server_killed_mid_burst_loses_no_acknowledged_answer():
    result = scenario("kill", "--phones", "200", "--window", "4")
    assert 0 < result["acked_before_kill"] < 200  # the kill came in the middle
    assert result["reconnect_attempts"] > 0
    assert result["database"] == {
        "acknowledged": 200,
        "lost": 0,
        "not_counting": 0,
        "double_counted": 0,
        "counted": 200,
    }
    assert result["presenter_shows_all_s"] is not None
    assert result["ok"]


def test_a_fifth_reconnecting_at_once_changes_nothing():
    result = scenario("reconnect", "--phones", "250")
    assert result["reconnected_at_once"] == 50
    assert result["resent_acks"] == {"duplicate": 50}  # resent, recognised, not recounted
    assert result["database"]["counted"] == 250 and result["database"]["lost"] == 0
    assert result["ok"]


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL") or not shutil.which("redis-server"),
    reason="needs PostgreSQL (DATABASE_URL) and redis-server; .ci/run provides both",
)
def test_a_redis_restart_under_two_servers_is_survived():
    result = scenario("redis", "--phones", "200")
    assert result["servers"] == 2
    assert all(seconds is not None for seconds in result["presenters_after_restart_s"])
    assert result["database"]["counted"] == 200 and result["database"]["lost"] == 0
    assert result["ok"]
