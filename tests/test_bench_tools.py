"""The benchmark tools' own plumbing, without a server or a run: the load tool's targets
and verdict, its refusals, ``bench.report``'s command line and tables, the batch tool's
90th percentile and the ``--help`` descriptions. No database."""

from __future__ import annotations

import copy
import json

import pytest

from bench import description, load, report
from bench.batch import p90


def a_run(**changes) -> dict:
    """The figures of one ``bench.load`` run, as it prints them, cut to what is judged."""
    run = {
        "database": "sqlite",
        "echo": {
            "frames_per_s": 2000.0,
            "round_trip_ms": {"p95": 900.0},
            "cpu_ms_per_frame": 0.3,
            "memory_per_connection_kb": 30.0,
            "connect_s": 40.0,
        },
        "app": {
            "connect": {"phones": 5000, "total_s": 55.0},
            "burst": {
                "answers": 5000,
                "ack_ms": {"p95": 90.0, "p99": 140.0},
                "paper_entries": 40,
                "server_cpu_pct_of_one_core": 44.0,
            },
            "presenter": {"exact_total_after_last_answer_ms": 200},
            "memory_per_connection_kb": 45.0,
            "saturation": {
                "answers_per_s": 1400.0,
                "ack_ms": {"p95": 2500.0},
                "cpu_ms_per_answer": 0.6,
            },
            "qna": {"ack_ms": {"p95": 80.0}, "exact_total_after_last_upvote_ms": 210},
        },
        "throughput_ratio": 0.7,
        "correctness": {
            "lost": 0,
            "double_counted": 0,
            "exact": True,
            "qna": {"exact": True},
        },
    }
    for path, value in changes.items():
        *parents, key = path.split("__")
        place = run
        for parent in parents:
            place = place[parent]
        place[key] = value
    return run


def test_every_target_is_printed_beside_a_boolean_verdict_under_the_same_key():
    run = a_run()
    targets, met = load.target_values(run), load.verdict(run)
    assert (
        set(targets)
        == set(met)
        == {
            "phones_connected",
            "ack_p95",
            "ack_p99",
            "exact_total",
            "server_cpu",
            "memory_per_connection",
            "throughput_ratio",
            "nothing_lost_or_doubled",
            "qna_ack_p95",
            "qna_exact_total",
            "qna_nothing_lost_or_doubled",
        }
    )
    assert all(value is True for value in met.values())
    # SQLite is held to more; tellers in the burst tighten the p99.
    assert targets["server_cpu"] == 45
    assert targets["throughput_ratio"] == 0.6
    assert targets["ack_p99"] == 150
    assert (targets["phones_connected"], targets["memory_per_connection"]) == (5000, 50)


def test_postgresql_without_tellers_and_without_qna_has_its_own_targets():
    run = a_run(database="postgresql", app__burst__paper_entries=0, app__qna=None)
    targets = load.target_values(run)
    assert (targets["server_cpu"], targets["throughput_ratio"], targets["ack_p99"]) == (
        50,
        0.5,
        250,
    )
    assert not any(key.startswith("qna_") for key in targets)
    assert set(load.verdict(run)) == set(targets)


def test_a_run_with_fewer_phones_than_the_target_fails_phones_connected():
    met = load.verdict(a_run(app__connect={"phones": 1000, "total_s": 9.0}))
    assert met["phones_connected"] is False
    assert load.verdict(a_run(app__memory_per_connection_kb=51.0))["memory_per_connection"] is (
        False
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--qna", "2"],
        ["--qna", "-1"],
        ["--servers", "2", "--database-url", "", "--redis-url", ""],
    ],
)
def test_the_load_tool_refuses_what_it_cannot_run(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        load.main(argv)
    assert stop.value.code == 2


def test_the_load_tools_help_shows_the_defaults(capsys):
    with pytest.raises(SystemExit) as stop:
        load.main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "(default: 1000)" in out
    assert "(default: 200)" in out


def test_report_help_and_missing_runs(capsys):
    with pytest.raises(SystemExit) as stop:
        report.main(["--help"])
    assert stop.value.code == 0
    assert "RUN.json" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        report.main([])
    assert stop.value.code == 2


def test_report_prints_the_two_tables_with_the_spread(tmp_path, capsys):
    paths = []
    for number, p95 in enumerate((80.0, 90.0, 120.0)):
        run = copy.deepcopy(a_run())
        run["app"]["burst"]["ack_ms"]["p95"] = p95
        path = tmp_path / f"run-{number}.json"
        path.write_text("some log line\n" + json.dumps(run) + "\n")
        paths.append(str(path))
    report.main(paths)
    out = capsys.readouterr().out
    assert "| figure | measured | target | met |" in out
    assert "| acknowledgement p95 | 90 ms (80 to 120) | ≤ 100 ms | yes |" in out
    assert "| beside the echo baseline | app | echo |" in out


def test_p90_is_the_nearest_rank():
    assert p90([float(n) for n in range(1, 41)]) == 36.0
    assert p90([3.0]) == 3.0


def test_help_descriptions_are_the_first_paragraph_on_one_line():
    doc = "The first line\nand the second:\n\n    python -m bench.x\n"
    assert description(doc) == "The first line and the second."
    from bench import reading

    assert description(reading.__doc__).endswith("reads them back.")


@pytest.mark.parametrize("argv", [["--faults", "curl"], ["--no-command"], ["--wider"]])
def test_the_reading_bench_refuses_realistic_options_without_realistic(argv):
    from bench import reading

    with pytest.raises(SystemExit) as stop:
        reading.main(argv)
    assert stop.value.code == 2
