"""Sum up load-tool runs (the JSON line each ``bench.load`` run prints) in two Markdown
tables: the median of the runs for each figure beside its target, and the app beside the
echo baseline.

    python -m bench.load --phones 5000 > run-1.json   # three times
    python -m bench.report run-*.json

The first table, ``| figure | measured | target | met |``, gives for each figure the median
of the runs and, where the runs differ, their lowest and highest ``(a to b)``, against the
first run's targets (``bench.load.targets_for``): phones connected, answers in the window,
acknowledgement p95 and p99, presenter exact after the last counted input, server CPU
during the burst, memory per connection, app ÷ echo throughput, lost or double-counted
answers. The second, ``| beside the echo baseline | app | echo |``, sets the medians of the
app's saturation beside the echo's: throughput per second, CPU per message, p95 with all
phones at once, memory per connection, seconds to connect every phone. The before/after
tables of ``docs/performance.md`` were put together from such runs.
"""

from __future__ import annotations

import argparse
import json
import statistics

from . import description
from .load import targets_for


def fmt(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def rows(runs: list[dict]) -> list[tuple[str, str, str, str]]:
    """(figure, measured, target, met?) per line, against the first run's targets (runs
    of one table share their database and their tellers)."""
    targets = targets_for(runs[0])

    def pick(path: str) -> list:
        found = []
        for run in runs:
            value = run
            for key in path.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            found.append(value)
        return [v for v in found if v is not None]

    def line(name, path, target, better="low", unit=""):
        found = pick(path)
        value = _median(found)
        if value is None:
            return (name, "n/a", f"{target}{unit}", "no")
        met = value <= target if better == "low" else value >= target
        spread = f" ({fmt(min(found))} to {fmt(max(found))})" if min(found) != max(found) else ""
        return (
            name,
            f"{fmt(value)}{unit}{spread}",
            f"{'≤' if better == 'low' else '≥'} {target:,}{unit}",
            "yes" if met else "**no**",
        )

    lost = [r["correctness"]["lost"] + r["correctness"]["double_counted"] for r in runs]
    return [
        line("phones connected", "app.connect.phones", targets["phones_connected"], "high"),
        line("answers in the window", "app.burst.answers", targets["phones_connected"], "high"),
        line("acknowledgement p95", "app.burst.ack_ms.p95", targets["ack_p95_ms"], unit=" ms"),
        line("acknowledgement p99", "app.burst.ack_ms.p99", targets["ack_p99_ms"], unit=" ms"),
        line(
            "presenter exact after the last counted input",
            "app.presenter.exact_total_after_last_answer_ms",
            targets["exact_total_ms"],
            unit=" ms",
        ),
        line(
            "server CPU during the burst",
            "app.burst.server_cpu_pct_of_one_core",
            targets["cpu_burst_pct"],
            unit=" %",
        ),
        line(
            "memory per connection",
            "app.memory_per_connection_kb",
            targets["memory_per_connection_kb"],
            unit=" KB",
        ),
        line("app ÷ echo throughput", "throughput_ratio", targets["throughput_ratio"], "high"),
        (
            "lost or double-counted answers",
            str(max(lost)),
            "0",
            "yes" if max(lost) == 0 and all(r["correctness"]["exact"] for r in runs) else "**no**",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument(
        "paths", nargs="+", metavar="RUN.json", help="a file holding a bench.load run's output"
    )
    args = parser.parse_args(argv)
    runs = []
    for path in args.paths:
        try:
            with open(path) as file:
                runs.append(json.loads(file.read().splitlines()[-1]))
        except (OSError, ValueError, IndexError) as problem:
            parser.error(f"{path}: not a bench.load run ({problem or 'empty'})")
    print(f"{len(runs)} run(s): the median, and (lowest to highest) where they differ\n")
    print("| figure | measured | target | met |")
    print("|---|---|---|---|")
    for name, measured, target, met in rows(runs):
        print(f"| {name} | {measured} | {target} | {met} |")
    echo = {
        "frames per second": _median([r["echo"]["frames_per_s"] for r in runs]),
        "round trip p95 (all at once)": _median([r["echo"]["round_trip_ms"]["p95"] for r in runs]),
        "CPU per frame (ms)": _median([r["echo"]["cpu_ms_per_frame"] for r in runs]),
        "memory per connection (KB)": _median(
            [r["echo"]["memory_per_connection_kb"] for r in runs]
        ),
        "connect all (s)": _median([r["echo"]["connect_s"] for r in runs]),
    }
    app = {
        "answers per second (saturation)": _median(
            [r["app"]["saturation"]["answers_per_s"] for r in runs]
        ),
        "saturation ack p95 (all at once)": _median(
            [r["app"]["saturation"]["ack_ms"]["p95"] for r in runs]
        ),
        "CPU per answer (ms, saturation)": _median(
            [r["app"]["saturation"]["cpu_ms_per_answer"] for r in runs]
        ),
        "memory per connection (KB)": _median([r["app"]["memory_per_connection_kb"] for r in runs]),
        "connect all (s)": _median([r["app"]["connect"]["total_s"] for r in runs]),
    }
    print("\n| beside the echo baseline | app | echo |")
    print("|---|---|---|")
    pairs = [
        (
            "throughput (per second, all phones at once)",
            "answers per second (saturation)",
            "frames per second",
        ),
        ("CPU per message (ms)", "CPU per answer (ms, saturation)", "CPU per frame (ms)"),
        (
            "p95, all phones at once (ms)",
            "saturation ack p95 (all at once)",
            "round trip p95 (all at once)",
        ),
        ("memory per connection (KB)", "memory per connection (KB)", "memory per connection (KB)"),
        ("connecting every phone (s)", "connect all (s)", "connect all (s)"),
    ]
    for name, a, e in pairs:
        print(f"| {name} | {fmt(app[a])} | {fmt(echo[e])} |")


if __name__ == "__main__":
    main()
