"""How well the photo reader reads hand-filled forms: a generator prints forms of the demo
session, fills them with simulated pen marks, turns them into phone-like photos and
reads them back.

    python -m bench.reading --sheets 200

1. Print ``--sheets`` forms of the demo's upcoming meeting (each its own QR code).
2. Fill each at random like a person would: one choice (sometimes a first choice taken
   back by filling its box in, the printed correction rule), up to two of a multiple
   choice, a scale value, a ranking of some options, a vote on most statements; crosses,
   ticks and light thin ticks; now and then a stray dot in an empty box. Budget digits
   and open text stay empty (a person reads those), except that ``--writing`` writes in
   the open answer of that share of sheets: it must go to review, never pass unseen.
3. Photograph every page: turned up to ±12°, at an angle, blurred, unevenly lit, JPEG
   quality 35 to 90.
4. Read every page back with ``sessions_app.reading`` (boxes and writing areas) and
   compare with what was filled in.

Prints one JSON line: box accuracy, the share of sheets accepted without review, silent
errors (a wrong answer accepted without review: must be 0), the reading time per sheet
beside a baseline (only decoding the JPEGs), and the figures by mark kind.
``docs/paper-reading.md`` has them. Not a test: nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from .exports import throwaway_env

TARGETS = {"silent_errors": 0, "accepted_without_review": 0.95, "seconds_per_sheet": 0.2}


def _setup(directory: Path):
    os.environ.update(throwaway_env(directory))
    for name in ("DATABASE_URL", "REDIS_URL"):  # a throwaway SQLite, whatever is set
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", "-v0")
    call_command("seed_demo", password=secrets.token_urlsafe(12), stdout=open(os.devnull, "w"))  # noqa: SIM115


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--writing",
        type=float,
        default=0.0,
        help="share of sheets with handwriting in the open answer (must go to review)",
    )
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="inspraak-reading-"))
    try:
        _setup(directory)
        print(json.dumps(run(args.sheets, args.seed, args.writing)))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run(sheets: int, seed: int, writing: float = 0.0) -> dict:
    import numpy as np

    from printables import paper_form
    from printables.strings import form_strings
    from sessions_app.demo import fill_in_rows
    from sessions_app.models import LiveSession, SessionState
    from sessions_app.reading.answers import read_answers
    from sessions_app.reading.marks import read_areas, read_boxes
    from sessions_app.reading.page import ReadRefused, find_page, images
    from sessions_app.reading.synthetic import box_key, fill_in, photograph_form
    from sessions_app.services.printing import form_layout

    rng = random.Random(seed)
    session = LiveSession.objects.exclude(state=SessionState.ENDED).order_by("position").first()
    questions = list(session.questions.order_by("position"))
    kinds = {q.pk: {"kind": q.kind, "max_choices": q.max_choices} for q in questions}
    plain = fill_in_rows(questions)
    layout = form_layout(session=session, large_print=False).data
    boxes_total = boxes_right = 0
    by_kind: Counter = Counter()
    by_kind_right: Counter = Counter()
    accepted = silent = refused = 0
    questions_sure = questions_total = 0
    reading_s: list[float] = []
    decoding_s: list[float] = []
    reasons: Counter = Counter()
    handwriting: Counter = Counter(written=0, sent_to_review=0)
    for number in range(sheets):
        code = f"B{number:07d}"
        pdf = paper_form.render(
            layout,
            [paper_form.SheetRow(code, f"http://bench.test/t/{code}/")],
            form_strings(),
            title="bench",
        )
        marks, truth = fill_in(rng, plain, layout)
        written = rng.random() < writing
        if written:
            for area in (a for page in layout["pages"] for a in page["areas"]):
                if area["kind"] == "text":
                    truth[area["question"]] = "written"
        photos = photograph_form(
            pdf, layout, marks, rng, writing="Meer bankjes bij de vijver" if written else ""
        )
        started = time.perf_counter()
        for photo in photos:
            images(photo)
        decoding_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        read = []
        areas = []
        try:
            for photo, layout_page in zip(photos, layout["pages"], strict=True):
                [gray] = images(photo)
                page = find_page(gray, layout)
                read += read_boxes(page.image, layout_page)
                areas += read_areas(page.image, layout_page)
        except ReadRefused as problem:
            refused += 1
            reasons[problem.code] += 1
            reading_s.append(time.perf_counter() - started)
            continue
        answers = read_answers(read, kinds, areas)
        reading_s.append(time.perf_counter() - started)
        for box in read:
            kind = marks.get(box_key(box.key), "empty")
            expected = {"fill": "filled", "dot": "empty", "empty": "empty"}.get(kind, "marked")
            boxes_total += 1
            by_kind[kind] += 1
            if box.state == expected:
                boxes_right += 1
                by_kind_right[kind] += 1
            elif os.environ.get("BENCH_READING_DEBUG"):
                print(kind, box.state, box.strong, box.faint, box.low, file=sys.stderr)
        sheet_sure = True
        for question_id, reading in answers.items():
            questions_total += 1
            if truth.get(question_id) == "written":
                handwriting["written"] += 1
                handwriting["sent_to_review"] += "handwriting" in reading.reasons
            if reading.sure:
                questions_sure += 1
                if reading.answer != truth.get(question_id):
                    silent += 1
            else:
                sheet_sure = False
                reasons.update(reading.reasons)
        accepted += sheet_sure
    per_sheet = statistics.median(reading_s) if reading_s else None
    figures = {
        "tool": "inspraak.bench.reading/1",
        "sheets": sheets,
        "pages_per_sheet": len(layout["pages"]),
        "boxes": boxes_total,
        "box_accuracy": round(boxes_right / max(1, boxes_total), 4),
        "box_accuracy_by_mark": {
            kind: round(by_kind_right[kind] / by_kind[kind], 4) for kind in sorted(by_kind)
        },
        "accepted_without_review": round(accepted / max(1, sheets), 4),
        "questions_sure": round(questions_sure / max(1, questions_total), 4),
        "silent_errors": silent,
        "refused_sheets": refused,
        "review_reasons": dict(reasons),
        "handwriting": dict(handwriting),
        "seconds_per_sheet_median": round(per_sheet, 3) if per_sheet else None,
        "seconds_per_sheet_p95": round(float(np.percentile(reading_s, 95)), 3)
        if reading_s
        else None,
        "baseline_decoding_seconds_per_sheet": round(statistics.median(decoding_s), 3),
    }
    figures["targets_met"] = {
        "silent_errors": silent == TARGETS["silent_errors"],
        "accepted_without_review": figures["accepted_without_review"]
        >= TARGETS["accepted_without_review"],
        "seconds_per_sheet": (per_sheet or 0) <= TARGETS["seconds_per_sheet"],
    }
    return figures


if __name__ == "__main__":
    main()
