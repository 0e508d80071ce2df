"""The council outputs at scale: time and peak memory of each export of a process with
100,000 responses, beside a baseline in the same run (reading the same rows and writing
nothing).

    python -m bench.exports --responses 100000

It makes a throwaway SQLite database, fills it through the real write path (participants
as rows, answers through ``responses_submit`` in batches, so every answer has its log
entry), then runs each export in a fresh process and reads that process's peak resident
memory. Prints one JSON line; ``docs/export-format.md`` has the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import description

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("baseline", "json", "xlsx", "pdf", "csv")
#: Each format must finish within this many seconds, or the run fails loudly.
LIMIT = 600
QUESTIONS = 4


def throwaway_env(directory: Path) -> dict:
    """The environment of a run on its own SQLite file and media folder in ``directory``
    (used by the other benchmarks too)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="localhost",
        SQLITE_PATH=str(directory / "exports.sqlite3"),
        MEDIA_ROOT=str(directory / "media"),
        PYTHONUNBUFFERED="1",
    )
    return env


def fill(responses: int, receipts: list | None = None) -> str:
    """In this process (Django set up): a published process whose questions hold
    ``responses`` answers in all; returns its slug. ``receipts``: collects each counted
    answer's receipt code (``bench.evidence`` checks them)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from sessions_app.bulk import insert_rows
    from sessions_app.models import JoinedVia, Participant
    from sessions_app.services.facilitation import question_open
    from sessions_app.services.live_sessions import live_session_create
    from sessions_app.services.participation import Submission, responses_submit
    from sessions_app.services.processes import process_create, process_publish
    from sessions_app.services.questions import question_create
    from sessions_app.specs import OptionSpec, ProcessSpec, QuestionSpec, SessionSpec
    from sessions_app.staff_permissions import organise_grant

    call_command("migrate", "--noinput", "-v0")
    organiser = get_user_model().objects.create_user(username="bench-exports")
    organise_grant(organiser)
    process = process_create(
        user=organiser,
        spec=ProcessSpec(
            title="Begroting 2027",
            purpose="Waar gaat het geld van de wijk naartoe?",
            promise="De raad weegt de uitkomst mee bij de begroting.",
            decision_maker="Gemeenteraad",
        ),
    )
    session = live_session_create(
        user=organiser,
        process=process,
        spec=SessionSpec(title="Wijkavond", starts_at=timezone.now(), venue="Wijkcentrum"),
    )
    options = [OptionSpec(t) for t in ("Groen", "Spelen", "Verlichting", "Fietsen", "Bankjes")]
    specs = [
        QuestionSpec(kind="single_choice", text="Wat eerst?", options=options),
        QuestionSpec(kind="scale", text="Hoe tevreden bent u?", scale_min=1, scale_max=5),
        QuestionSpec(kind="ranking", text="Rangschik", options=options),
        QuestionSpec(kind="open_text", text="Nog iets?", max_length=300),
    ]
    questions = [question_create(user=organiser, session=session, spec=s) for s in specs]
    process_publish(user=organiser, process=process)
    people = responses // QUESTIONS
    stamp = secrets.token_hex(3)
    pks = insert_rows(
        Participant,
        (
            {
                "session_id": session.pk,
                "token": f"bench-{stamp}-{n}",
                "public_id": f"p-{stamp}{n:07d}",
                "joined_via": JoinedVia.ROOM if n % 5 else JoinedVia.REMOTE,
                "created_at": timezone.now(),
            }
            for n in range(people)
        ),
    )
    phones = list(Participant.objects.filter(pk__in=pks).order_by("pk"))
    for question in questions:
        question_open(user=organiser, question=question)
    ids = {
        q.pk: list(q.options.order_by("position").values_list("pk", flat=True)) for q in questions
    }

    def answer(question, n: int):
        if question.kind == "single_choice":
            return {"option": ids[question.pk][n % 5]}
        if question.kind == "scale":
            return {"value": 1 + n % 5}
        if question.kind == "ranking":
            order = ids[question.pk]
            return {"ranking": order[n % 5 :] + order[: n % 5]}
        return {"text": f"=Opmerking {n} over de wijk" if n % 97 == 0 else f"Opmerking {n}"}

    for question in questions:
        for start in range(0, people, 250):
            batch = [
                Submission(phone, question.pk, answer(question, n), f"x{question.pk}-{n:08d}")
                for n, phone in enumerate(phones[start : start + 250], start=start)
            ]
            results = responses_submit(batch)
            if receipts is not None:
                receipts.extend(r.receipt for r in results if getattr(r, "receipt", ""))
    return process.slug


def run(fmt: str, slug: str, out: Path) -> dict:
    """In this process (Django set up): one export, timed, with the resident memory
    before and at its peak."""
    from sessions_app.exports import data, open_data, report, tables, workbook
    from sessions_app.models import Process

    process = Process.objects.get(slug=slug)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if fmt == "baseline":
        with data.snapshot():
            rows = sum(1 for _ in data.responses(process)) + sum(
                1 for _ in data.log_entries(process)
            )
        size = 0
    else:
        writers = {
            "json": open_data.write,
            "xlsx": workbook.write,
            "pdf": report.write,
            "csv": tables.write,
        }
        if fmt == "json":
            with out.open("w", encoding="utf-8") as stream:
                writers[fmt](process, stream)
        else:
            with out.open("wb") as stream:
                writers[fmt](process, stream)
        rows, size = None, out.stat().st_size
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "format": fmt,
        "seconds": round(elapsed, 2),
        "rss_before_mb": round(before / 1024, 1),
        "rss_peak_mb": round(peak / 1024, 1),
        "grew_mb": round((peak - before) / 1024, 1),
        "bytes": size,
        **({"rows_read": rows} if rows is not None else {}),
    }


def _child(args: list[str], env: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.exports", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=LIMIT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.exports {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database and files")
    parser.add_argument("--internal", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.internal:  # a child: fill, or run one export
        import django

        django.setup()
        if args.internal[0] == "fill":
            print(json.dumps({"slug": fill(int(args.internal[1]))}))
        else:
            print(json.dumps(run(args.internal[1], args.internal[2], Path(args.internal[3]))))
        return
    directory = Path(tempfile.mkdtemp(prefix="inspraak-exports-"))
    try:
        env = throwaway_env(directory)
        started = time.perf_counter()
        slug = _child(["--internal", "fill", str(args.responses)], env)["slug"]
        filled = time.perf_counter() - started
        figures = [
            _child(["--internal", "run", fmt, slug, str(directory / f"out.{fmt}")], env)
            for fmt in FORMATS
        ]
        result = {
            "tool": "inspraak.bench.exports/1",
            "responses": args.responses,
            "fill_s": round(filled, 1),
            "exports": figures,
            "targets_met": {
                f["format"]: f["seconds"] <= 10 for f in figures if f["format"] != "baseline"
            },
        }
        print(json.dumps(result))
    finally:
        if args.keep:
            print(f"kept: {directory}", file=sys.stderr)
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
