"""The cost of writing phones' answers: one batch of the websocket's group commit
(``participation.responses_submit``) beside the same answers written one at a time
(``participation.response_submit``, the single path), in the same run, on a throwaway
database.

    python -m bench.batch [--sizes 8,50,250] [--rounds 40] [--kind open_text]
                          [--database-url postgres://…]

For each batch size it writes ``rounds`` batches of fresh answers (half of them changing
an earlier answer, as in a live session) and prints, per batch size, the median and the
90th percentile of the CPU time and of the wall time of one batch (``cpu_ms_per_batch``,
``cpu_ms_per_batch_p90``, ``wall_ms_per_batch``, ``wall_ms_per_batch_p90``) and the median
CPU time per answer (``cpu_ms_per_answer``); then the single path's CPU time per answer
(``single_cpu_ms_per_answer``). One JSON line. The CPU time is this process's (the
database's own work is counted too on SQLite, which runs in the process; on PostgreSQL
the server's is not: the wall time shows it). ``--kind open_text`` writes written answers instead of choices: each
is kept apart as a salted commitment, which the log holds instead of the text.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from . import description


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--sizes", default="8,50,250", help="batch sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=40, help="batches per size")
    parser.add_argument("--single", type=int, default=200, help="answers on the single path")
    parser.add_argument("--kind", choices=("single_choice", "open_text"), default="single_choice")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="inspraak-batch-") as directory:
        drop = _environment(Path(directory), args.database_url)
        try:
            figures = run(sizes=sizes, rounds=args.rounds, single=args.single, kind=args.kind)
        finally:
            drop()
    figures["database"] = "postgresql" if args.database_url else "sqlite"
    figures["kind"] = args.kind
    print(json.dumps(figures))
    return figures


def _environment(directory: Path, database_url: str):
    """Settings for a throwaway database; returns what drops it afterwards."""
    from .exports import throwaway_env

    os.environ.update(throwaway_env(directory))
    os.environ.pop("DATABASE_URL", None)
    drop = lambda: None  # noqa: E731 - nothing to drop for a temporary SQLite file
    if database_url:
        from .stack import drop_postgres, fresh_postgres

        os.environ["DATABASE_URL"], handle = fresh_postgres(database_url)
        drop = lambda: drop_postgres(handle)  # noqa: E731

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", "-v0")
    return drop


def _town_hall(phones: int, kind: str = "single_choice"):
    """A published process whose session has an open question of ``kind`` (a single
    choice, or open text), and ``phones`` phones joined; returns the question and the
    participants."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from sessions_app.models import Participant
    from sessions_app.services.facilitation import question_open
    from sessions_app.services.live_sessions import live_session_create
    from sessions_app.services.participation import participant_join
    from sessions_app.services.processes import process_create, process_publish
    from sessions_app.services.questions import question_create
    from sessions_app.specs import OptionSpec, ProcessSpec, QuestionSpec, SessionSpec
    from sessions_app.staff_permissions import organise_grant

    organiser = get_user_model().objects.create_user(username="bench-batch")
    organise_grant(organiser)
    process = process_create(
        user=organiser,
        spec=ProcessSpec(
            title="Herinrichting Stationsplein",
            purpose="Het plein wordt opnieuw ingericht.",
            promise="De raad weegt de uitkomst mee.",
            decision_maker="Gemeenteraad",
        ),
    )
    session = live_session_create(
        user=organiser,
        process=process,
        spec=SessionSpec(title="Inloopavond", starts_at=timezone.now(), venue="Stadhuis"),
    )
    question = question_create(
        user=organiser,
        session=session,
        spec=QuestionSpec(
            kind="single_choice",
            text="Wat moet er met de fietsenstalling gebeuren?",
            options=[OptionSpec(text=t) for t in ("Onder de grond", "Op het plein", "Weg")],
        )
        if kind == "single_choice"
        else QuestionSpec(kind="open_text", text="Wat mag niet vergeten worden?", max_length=500),
    )
    process_publish(user=organiser, process=process)
    question_open(user=organiser, question=question)
    for _ in range(phones):
        participant_join(session=session, via="room")
    participants = list(Participant.objects.filter(session=session).order_by("pk"))
    return question, participants


def p90(values: list[float]) -> float:
    """The 90th percentile, nearest rank: the value that nine in ten of ``values`` do not
    exceed (with 40 rounds, the 36th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def run(*, sizes: list[int], rounds: int, single: int, kind: str = "single_choice") -> dict:
    from sessions_app.services.participation import (
        Submission,
        response_submit,
        responses_submit,
    )

    phones = max(sizes) * 2
    question, participants = _town_hall(phones, kind)
    options = list(question.options.values_list("pk", flat=True))
    serial = iter(range(10**9))

    def answer(participant) -> Submission:
        n = next(serial)
        if kind == "open_text":
            shown = {"text": f"Meer bankjes in de schaduw bij de fontein, graag ({n})"}
        else:
            shown = {"option": options[n % 3]}
        return Submission(participant, question.pk, shown, f"bench-{n:010d}")

    figures: dict = {"batches": {}}
    for size in sizes:
        cpu, wall = [], []
        for round_ in range(rounds):
            # Alternate halves of the phones: every other batch changes earlier answers.
            start = (round_ % 2) * size
            batch = [answer(p) for p in participants[start : start + size]]
            cpu_before, wall_before = time.process_time(), time.perf_counter()
            results = responses_submit(batch)
            cpu.append(time.process_time() - cpu_before)
            wall.append(time.perf_counter() - wall_before)
            failed = [r for r in results if not hasattr(r, "status")]
            if failed:
                raise RuntimeError(f"refused in the benchmark: {failed[0]!r}")
        figures["batches"][str(size)] = {
            "cpu_ms_per_batch": round(statistics.median(cpu) * 1000, 3),
            "cpu_ms_per_batch_p90": round(p90(cpu) * 1000, 3),
            "wall_ms_per_batch": round(statistics.median(wall) * 1000, 3),
            "wall_ms_per_batch_p90": round(p90(wall) * 1000, 3),
            "cpu_ms_per_answer": round(statistics.median(cpu) * 1000 / size, 4),
        }
    cpu_before = time.process_time()
    for index in range(single):
        item = answer(participants[index % len(participants)])
        response_submit(
            participant=item.participant,
            question_id=item.question_id,
            answer=item.answer,
            client_id=item.client_id,
        )
    figures["single_cpu_ms_per_answer"] = round(
        (time.process_time() - cpu_before) * 1000 / single, 4
    )
    return figures


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
