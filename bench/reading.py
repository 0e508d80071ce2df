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
``BENCH_READING_DEBUG=1`` prints every box read wrong to standard error.

    python -m bench.reading --realistic --sheets 72

The realistic set (``bench.realistic``, a generator apart from the reader's own): forms
filled in with ballpoint, felt-tip and pencil, with the marks people really make
(corrections, scribble-outs, circled labels, notes in the margin, digits, writing), and
each sheet captured with one named fault (perspective, rotation, shadow, crease, curl,
low JPEG quality, small and large photos, blur, a thumb, clutter, a photocopy of a
photocopy, grey and black-and-white scans), in normal and large print by turns of 18
sheets (one pass through the faults each). Prints a table by
fault and in total (refused by reason, accepted without review, silent errors, box
accuracy, seconds per sheet for the image work, for the ``read_forms`` command on the
same pictures, and for decoding them alone; and the share accepted once a page the
teller is told to take again, blurred, coarse, at 150 dpi or in black and white, is
taken again: ``realistic.retake``), the trade-off between a confidence
threshold and the share accepted, and one JSON line at the end. Its target of 80 %
accepted without review is checked on all the sheets read (``total``), not on those that
need no person. With ``--realistic`` only: ``--faults`` (only the sheets with these
faults), ``--no-command``, ``--wider`` (a probe beyond the set: the same sheets' values
drawn from wider ranges, ``realistic.WIDER``), ``BENCH_READING_DEBUG`` (each silent error; ``=all``: also each
question sent to a person needlessly) and ``BENCH_READING_BOXES=FILE`` (every box's
measures as JSON lines); without it, ``--faults``, ``--no-command`` and ``--wider`` are
refused.
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

from . import description
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
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--sheets", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--writing",
        type=float,
        default=0.0,
        help="share of sheets with handwriting in the open answer (must go to review)",
    )
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="the realistic set (bench.realistic), tabulated by fault",
    )
    parser.add_argument(
        "--no-command",
        action="store_true",
        help="with --realistic: do not time the read_forms command on the same pictures",
    )
    parser.add_argument(
        "--faults",
        default="",
        help="with --realistic: only the sheets with these faults (comma-separated)",
    )
    parser.add_argument(
        "--wider",
        action="store_true",
        help="with --realistic: a probe beyond the set, its values drawn from wider ranges",
    )
    args = parser.parse_args(argv)
    if not args.realistic and (args.faults or args.no_command or args.wider):
        parser.error(
            "--faults, --no-command and --wider apply to the realistic set: add --realistic"
        )
    directory = Path(tempfile.mkdtemp(prefix="inspraak-reading-"))
    try:
        _setup(directory)
        if args.realistic:
            from .realistic import DEGRADATIONS

            faults = frozenset(filter(None, args.faults.split(",")))
            unknown = faults - set(DEGRADATIONS)
            if unknown:
                parser.error(f"unknown faults: {', '.join(sorted(unknown))}")
            figures = run_realistic(
                args.sheets,
                args.seed,
                command=not args.no_command,
                faults=faults,
                wider=args.wider,
            )
            print(table(figures))
            print(json.dumps(figures))
        else:
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
    from sessions_app.reading.page import ReadRefused, images
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
        try:
            read, areas = read_pictures(photos, layout)
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


#: Confidence thresholds of the trade-off curve: an answer read as sure but less confident
#: than the threshold is treated as one for review. 0 is the reader as it is.
THRESHOLDS = (0.0, 0.6, 0.7, 0.8, 0.9, 0.95)
REALISTIC_TARGETS = {"silent_errors": 0, "accepted_without_review": 0.8, "seconds_per_sheet": 0.2}


def run_realistic(
    sheets: int,
    seed: int,
    *,
    command: bool = True,
    faults: frozenset = frozenset(),
    wider: bool = False,
) -> dict:
    """The realistic set on the demo's upcoming meeting, normal and large print, each sheet
    printed for real (its own signed code), so that the ``read_forms`` command reads the
    same pictures as a scanner's files would be read. ``wider``: the values drawn from
    ``realistic.WIDER``, a probe beyond the set's ranges."""
    import io

    from django.core.management import call_command

    from sessions_app.demo import fill_in_rows
    from sessions_app.models import LiveSession, SessionState
    from sessions_app.services.print_runs import print_batch_create
    from sessions_app.services.printing import form_layout, sheet_url

    from .realistic import large_print_of

    session = LiveSession.objects.exclude(state=SessionState.ENDED).order_by("position").first()
    questions = list(session.questions.order_by("position"))
    layouts = {large: form_layout(session=session, large_print=large) for large in (False, True)}
    wanted = Counter(large_print_of(index) for index in range(sheets))
    printed = {
        large: list(
            print_batch_create(
                user=None, session=session, count=wanted[large], layout=layouts[large]
            ).sheets.order_by("serial")
        )
        for large in wanted
    }
    directory = Path(tempfile.mkdtemp(prefix="inspraak-realistic-"))
    statuses: Counter = Counter()

    def row(index: int, large: bool) -> tuple[str, str]:
        sheet = printed[large][sum(1 for i in range(index) if large_print_of(i) == large)]
        return sheet.code, sheet_url("http://bench.test", sheet)

    def read_forms(pictures: list[bytes], index: int) -> float:
        paths = []
        for number, picture in enumerate(pictures):
            suffix = ".png" if picture[:4] == b"\x89PNG" else ".jpg"
            paths.append(directory / f"sheet-{index}-{number}{suffix}")
            paths[-1].write_bytes(picture)
        output = io.StringIO()
        started = time.perf_counter()
        call_command("read_forms", *map(str, paths), "--json", stdout=output)
        spent = time.perf_counter() - started
        statuses.update(json.loads(line)["status"] for line in output.getvalue().splitlines())
        return spent

    try:
        figures = realistic_figures(
            sheets,
            seed,
            layouts={large: layout.data for large, layout in layouts.items()},
            questions=fill_in_rows(questions),
            row=row,
            command=read_forms if command else None,
            faults=faults,
            wider=wider,
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    figures["command_statuses"] = dict(statuses)
    return figures


def realistic_figures(
    sheets: int,
    seed: int,
    *,
    layouts: dict,
    questions: list[dict],
    row,
    command=None,
    faults: frozenset = frozenset(),
    wider: bool = False,
) -> dict:
    """Generate ``sheets`` realistic sheets (``bench.realistic``), read each with the
    reader's own functions and tally the figures by fault. ``layouts``: large print
    (bool) → layout data (a missing one: the other is used); ``questions``:
    ``demo.fill_in_rows``; ``row(index, large)``: the sheet's code and QR address;
    ``command(pictures, index)``: the seconds a command takes to read them (optional);
    ``faults``: only the sheets with these faults (all when empty; a sheet keeps its
    index, so it is the same sheet as in a whole run); ``wider``: values drawn from
    ``realistic.WIDER`` instead of ``realistic.SET``."""
    import numpy as np

    from printables import paper_form
    from printables.strings import form_strings
    from sessions_app.reading.answers import read_answers
    from sessions_app.reading.page import ReadRefused, images
    from sessions_app.reading.synthetic import box_key
    from sessions_app.reading.work import box_json

    from .realistic import (
        DEGRADATIONS,
        RETAKES,
        SET,
        WIDER,
        degradation_of,
        large_print_of,
        make_sheet,
        sheet_rng,
    )

    kinds = {q["id"]: {"kind": q["kind"], "max_choices": q["max_choices"]} for q in questions}
    ranges = WIDER if wider else SET
    strings = form_strings()
    tallies = {name: _tally() for name in DEGRADATIONS}
    by_mark: dict[str, Counter] = {}
    outcomes = []  # per sheet: refused?, [(sure, confidence, wrong)]
    dump_to = os.environ.get("BENCH_READING_BOXES")
    dump = open(dump_to, "w") if dump_to else None  # noqa: SIM115
    for index in range(sheets):
        degradation = degradation_of(index)
        if faults and degradation not in faults:
            continue
        large = large_print_of(index)
        layout = layouts.get(large) or layouts[not large]
        code, url = row(index, large)
        pdf = paper_form.render(layout, [paper_form.SheetRow(code, url)], strings, title="bench")
        pictures, filled = make_sheet(
            pdf, layout, questions, sheet_rng(seed, index), degradation, ranges
        )
        tally = tallies[degradation]
        tally["sheets"] += 1
        tally["needs_review"] += any(t["review"] for t in filled.truth.values())
        started = time.perf_counter()
        for picture in pictures:
            images(picture)
        tally["decoding_s"].append(time.perf_counter() - started)
        started = time.perf_counter()
        try:
            pages = read_each(pictures, layout)
            boxes = [b for page in pages for b in page[0]]
            areas = [a for page in pages for a in page[1]]
        except ReadRefused as problem:
            tally["reading_s"].append(time.perf_counter() - started)
            tally["refused"][problem.code] += 1
            # A QR code that cannot be read: is the sheet's own code among the readings of
            # the code printed under it (``code.candidates``), which the teller is offered?
            tally["code_read"] += problem.code == "qr_unreadable" and code in problem.detail.split(
                ","
            )
            outcomes.append((True, []))
            if command:
                tally["command_s"].append(command(pictures, index))
            # The teller does as the refusal asks: types the code printed under a QR code
            # that cannot be read, takes a picture too blurred to find the form again;
            # and then, like any sheet, takes again a page the reading says to.
            done = _as_asked(pdf, layout, filled, pictures, url, kinds, (seed, index), ranges)
            if done is not None:
                tally["typed"] += done[2]
                tally["retaken"] += done[3]
                tally["accepted_retake"] += done[0]
                tally["silent_retake"] += done[1]
            continue
        answers = read_answers(boxes, kinds, areas)
        tally["reading_s"].append(time.perf_counter() - started)
        if command:
            tally["command_s"].append(command(pictures, index))
        for box in boxes:
            expected = filled.boxes.get(box_key(box.key), {"empty"})
            if dump is not None:  # BENCH_READING_BOXES: every box's measures, for thresholds
                measures = {k: v for k, v in box_json(box).items() if k != "found"}
                where = {"sheet": index, "fault": degradation, "ink": filled.ink}
                dump.write(json.dumps({**where, **measures, "expected": sorted(expected)}) + "\n")
            tally["boxes"] += 1
            tally["boxes_right"] += box.state in expected
            tally["empty_as_marked"] += expected == {"empty"} and box.state == "marked"
        judged = []
        for question_id, truth in filled.truth.items():
            reading = answers.get(question_id)
            if reading is None:
                continue
            wrong = truth["review"] or reading.answer != truth["answer"]
            judged.append((reading.sure, reading.confidence, wrong))
            silent = reading.sure and wrong
            debug = os.environ.get("BENCH_READING_DEBUG")
            if debug and (silent or (debug == "all" and not reading.sure and not truth["review"])):
                # Every silent error; with "all", every question sent to a person needlessly.
                states = [
                    (b.key, b.state, b.confidence, b.strong, b.faint, b.low, b.span, b.runs)
                    for b in reading.boxes
                    if silent or b.state == "unsure" or b.confidence < 0.6
                ]
                strays = [a.ink for a in reading.areas if a.written]
                print(
                    "SILENT" if silent else "REVIEW",
                    index,
                    degradation,
                    question_id,
                    truth,
                    reading.answer,
                    reading.reasons,
                    states,
                    strays,
                    file=sys.stderr,
                )
            tally["questions"] += 1
            tally["silent"] += silent
            for trick in set(truth["tricks"]) or {"blank"}:
                counts = by_mark.setdefault(trick, Counter())
                counts["questions"] += 1
                counts["sure"] += reading.sure
                counts["silent"] += silent
        accepted = all(sure for sure, _c, _w in judged)
        tally["accepted"] += accepted
        tally["accepted_clean"] += accepted and not any(t["review"] for t in filled.truth.values())
        tally["silent_on_accepted"] += sum(w for _s, _c, w in judged) if accepted else 0
        outcomes.append((False, judged))
        # The teller told to take a picture again (blurred, coarse, 150 dpi, black and
        # white) does.
        hinted = [i for i, page in enumerate(pages) if page[2] in RETAKES]
        again = None
        if not accepted and hinted:
            tally["retaken"] += 1
            again = _retaken(pdf, layout, filled, pages, hinted, kinds, (seed, index), ranges)
        tally["accepted_retake"] += accepted or (again is not None and again[0])
        tally["silent_retake"] += again[1] if again is not None else 0

    if dump is not None:
        dump.close()

    def summary(group: list[dict]) -> dict:
        merged = _tally()
        for tally in group:
            for key, value in tally.items():
                merged[key] = merged[key] + value
        count = max(1, merged["sheets"])
        seconds = {
            name: round(statistics.median(merged[f"{name}_s"]), 3) if merged[f"{name}_s"] else None
            for name in ("reading", "command", "decoding")
        }
        return {
            "sheets": merged["sheets"],
            "refused": dict(merged["refused"]),
            "qr_unreadable_code_read": merged["code_read"],
            "accepted_without_review": round(merged["accepted"] / count, 4),
            "accepted_of_clean": round(
                merged["accepted_clean"] / max(1, merged["sheets"] - merged["needs_review"]), 4
            ),
            "silent_errors": merged["silent"],
            "silent_on_accepted": merged["silent_on_accepted"],
            "retaken": merged["retaken"],
            "code_typed": merged["typed"],
            "accepted_after_retake": round(merged["accepted_retake"] / count, 4),
            "silent_after_retake": merged["silent_retake"],
            "questions": merged["questions"],
            "box_accuracy": round(merged["boxes_right"] / max(1, merged["boxes"]), 4),
            "empty_as_marked": merged["empty_as_marked"],
            "seconds_per_sheet": seconds,
            "seconds_per_sheet_p95": round(float(np.percentile(merged["reading_s"], 95)), 3)
            if merged["reading_s"]
            else None,
        }

    by_degradation = {name: summary([t]) for name, t in tallies.items() if t["sheets"]}
    total = summary(list(tallies.values()))
    tradeoff = []
    for threshold in THRESHOLDS:
        accepted = silent = 0
        for refused, judged in outcomes:
            sure = [(s and c >= threshold, w) for s, c, w in judged]
            accepted += not refused and all(s for s, _w in sure)
            silent += sum(1 for s, w in sure if s and w)
        tradeoff.append(
            {
                "threshold": threshold,
                "accepted": round(accepted / max(1, len(outcomes)), 4),
                "silent_errors": silent,
            }
        )
    return {
        "tool": "inspraak.bench.reading.realistic/1",
        "sheets": len(outcomes),
        "seed": seed,
        "wider": wider,
        "total": total,
        "by_degradation": by_degradation,
        "by_mark": {name: dict(counts) for name, counts in sorted(by_mark.items())},
        "tradeoff": tradeoff,
        "targets_met": {
            "silent_errors": total["silent_errors"] == REALISTIC_TARGETS["silent_errors"],
            "accepted_without_review": total["accepted_without_review"]
            >= REALISTIC_TARGETS["accepted_without_review"],
            "seconds_per_sheet": (total["seconds_per_sheet"]["reading"] or 0)
            <= REALISTIC_TARGETS["seconds_per_sheet"],
        },
    }


def _as_asked(
    pdf, layout, filled, pictures, url, kinds, where, ranges
) -> tuple[bool, int, bool, bool] | None:
    """A sheet refused, read as its teller is asked to go on: a page whose QR code cannot
    be read is read with the code typed (``find_page``'s ``qr_text``, as
    ``reading.page_read_typed`` does; the teller types it right), a page too blurred to
    find the form is taken again in focus (``realistic.retake``); then the pages the
    reading says to take again are (``_retaken``). Whether it is accepted then, its
    silent errors, whether a code was typed and whether a picture was taken again; None
    when a page is still refused (a corner cut off, a picture too blurred twice)."""
    from sessions_app.reading.answers import read_answers
    from sessions_app.reading.page import ReadRefused

    from .realistic import RETAKES, retake

    rng = random.Random(f"asked-{where[0]}-{where[1]}")
    pages, typed, taken = [], False, False
    for number, (picture, layout_page) in enumerate(zip(pictures, layout["pages"], strict=True)):
        try:
            pages.append(read_one(picture, layout, layout_page))
            continue
        except ReadRefused as problem:
            code = problem.code
        try:
            if code == "qr_unreadable":
                typed = True
                pages.append(read_one(picture, layout, layout_page, qr_text=url))
            elif code == "too_blurred":
                taken = True
                again = retake(pdf, layout, filled, number, "blurred", rng, ranges)
                pages.append(read_one(again, layout, layout_page))
            else:
                return None
        except ReadRefused:
            return None
    answers = read_answers(
        [b for page in pages for b in page[0]], kinds, [a for page in pages for a in page[1]]
    )
    accepted, silent = _judged(answers, filled, where, "as asked")
    hinted = [i for i, page in enumerate(pages) if page[2] in RETAKES]
    if not accepted and hinted:
        taken = True
        again = _retaken(pdf, layout, filled, pages, hinted, kinds, where, ranges)
        accepted = again is not None and again[0]
        silent += again[1] if again is not None else 0
    return accepted, silent, typed, taken


def _retaken(pdf, layout, filled, pages, hinted, kinds, where, ranges) -> tuple[bool, int] | None:
    """The sheet read again with its hinted pages taken again (``realistic.retake``, with
    the ``ranges`` the sheet was made with): whether it is accepted now, and its silent
    errors; None when a page taken again is refused."""
    from sessions_app.reading.answers import read_answers
    from sessions_app.reading.page import ReadRefused

    from .realistic import retake

    rng = random.Random(f"retake-{where[0]}-{where[1]}")
    pages = list(pages)
    try:
        for i in hinted:
            picture = retake(pdf, layout, filled, i, pages[i][2], rng, ranges)
            pages[i] = read_one(picture, layout, layout["pages"][i])
    except ReadRefused:
        return None
    answers = read_answers(
        [b for page in pages for b in page[0]], kinds, [a for page in pages for a in page[1]]
    )
    return _judged(answers, filled, where, "taken again")


def _judged(answers, filled, where, how: str) -> tuple[bool, int]:
    """Whether a sheet read again (``_retaken``: "taken again"; ``_as_asked``: "as
    asked") is accepted, and its silent errors (each printed with
    ``BENCH_READING_DEBUG``, with ``how``)."""
    accepted, silent = True, 0
    for question_id, truth in filled.truth.items():
        reading = answers.get(question_id)
        if reading is None:
            continue
        accepted &= reading.sure
        wrong = reading.sure and (truth["review"] or reading.answer != truth["answer"])
        silent += wrong
        if wrong and os.environ.get("BENCH_READING_DEBUG"):
            states = [
                (b.key, b.state, b.confidence, b.strong, b.faint, b.span, b.runs)
                for b in reading.boxes
            ]
            print(
                f"SILENT ({how})",
                where,
                question_id,
                truth,
                reading.answer,
                states,
                file=sys.stderr,
            )
    return accepted, silent


def read_pictures(pictures: list[bytes], layout: dict) -> tuple[list, list]:
    """Every page of one form, photographed or scanned, read as the reader does it: its
    boxes and areas. Raises ``ReadRefused`` for a page that cannot be read."""
    pages = read_each(pictures, layout)
    return [b for p in pages for b in p[0]], [a for p in pages for a in p[1]]


def read_each(pictures: list[bytes], layout: dict) -> list[tuple[list, list, str]]:
    """``read_pictures`` page by page, with the kind of picture each is
    (``marks.capture_of``: what the teller is told, "" for a sharp picture)."""
    return [
        read_one(picture, layout, layout_page)
        for picture, layout_page in zip(pictures, layout["pages"], strict=True)
    ]


def read_one(
    picture: bytes, layout: dict, layout_page: dict, qr_text: str | None = None
) -> tuple[list, list, str]:
    """One page of ``read_each`` (``qr_text``: what its QR code says, typed by a person)."""
    from sessions_app.reading.page import find_page, images
    from sessions_app.reading.work import read_page_captured

    [gray] = images(picture)
    page = find_page(gray, layout, qr_text)
    _image, boxes, areas, capture = read_page_captured(page.image, layout_page, page.resolution)
    return boxes, areas, capture


def _tally() -> dict:
    return {
        "sheets": 0,
        "needs_review": 0,
        "refused": Counter(),
        "code_read": 0,
        "accepted": 0,
        "accepted_clean": 0,
        "retaken": 0,
        "typed": 0,
        "accepted_retake": 0,
        "silent_retake": 0,
        "silent": 0,
        "silent_on_accepted": 0,
        "questions": 0,
        "boxes": 0,
        "boxes_right": 0,
        "empty_as_marked": 0,
        "reading_s": [],
        "command_s": [],
        "decoding_s": [],
    }


def table(figures: dict) -> str:
    """The realistic figures as a Markdown table by fault, then the trade-off curve and the
    silent errors by kind of mark."""

    def line(name: str, row: dict) -> str:
        refused = ", ".join(f"{code} {n}" for code, n in sorted(row["refused"].items())) or "0"
        seconds = row["seconds_per_sheet"]
        timing = " / ".join(
            "-" if seconds[k] is None else f"{seconds[k]:.3f}"
            for k in ("command", "reading", "decoding")
        )
        return (
            f"| {name} | {row['sheets']} | {refused} | {row['accepted_without_review']:.0%} "
            f"({row['accepted_of_clean']:.0%}) | {row['silent_errors']} ({row['silent_on_accepted']}) "
            f"| {row['accepted_after_retake']:.0%} ({row['retaken']}; "
            f"{row['silent_after_retake']}) "
            f"| {row['box_accuracy']:.2%} | {row['empty_as_marked']} | {timing} |"
        )

    lines = [
        "| fault | sheets | refused | accepted without review (of sheets needing none) "
        "| silent errors (on accepted sheets) "
        "| accepted once the teller does as asked: a picture taken again, a code typed "
        "(sheets taken again; silent errors) "
        "| boxes right | empty read as marked "
        "| s/sheet: command / image work / decoding |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [line(name, row) for name, row in figures["by_degradation"].items()]
    lines.append(line("**total**", figures["total"]))
    lines += ["", "| confidence threshold | accepted | silent errors |", "|---|---|---|"]
    lines += [
        f"| {row['threshold']:.2f} | {row['accepted']:.0%} | {row['silent_errors']} |"
        for row in figures["tradeoff"]
    ]
    lines += ["", "| mark | questions | read as sure | silent errors |", "|---|---|---|---|"]
    lines += [
        f"| {name} | {row.get('questions', 0)} | {row.get('sure', 0)} | {row.get('silent', 0)} |"
        for name, row in figures["by_mark"].items()
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
