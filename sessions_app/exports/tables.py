"""CSV files for spreadsheets, in one ZIP: the results, every raw response, the hand
counts, the follow-ups and the log. UTF-8 with a byte order mark, so that Excel reads the
accents right; a cell that a spreadsheet would take for a formula is prefixed with an
apostrophe, so it stays text (the JSON export keeps the text exactly as given).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable
from typing import BinaryIO

from sessions_app.models import Process

from . import data

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SPLIT = ("room", "remote", "paper", "hands", "total")


def inert(value):
    """``value`` as a spreadsheet may show it: text that starts like a formula gets a
    leading apostrophe; numbers (negative ones too) stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv(archive: zipfile.ZipFile, name: str, rows: Iterable[Iterable]) -> None:
    """One file of the archive, written row by row (``utf-8-sig`` writes the BOM)."""
    with archive.open(name, "w") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        for row in rows:
            writer.writerow([inert(value) for value in row])
        text.flush()
        text.detach()


def _results(parts: list[dict], results: list[dict]) -> Iterable[list]:
    yield ["question", "question_text", "line", "line_text", *SPLIT, "percent"]
    for part, result in zip(parts, results, strict=True):
        respondents = result["respondents"]
        yield [part["id"], part["text"], "respondents", "", *(respondents[k] for k in SPLIT), ""]
        for option in result.get("options", []):
            counts = option.get("counts") or option.get("borda") or option.get("points")
            yield [
                part["id"],
                part["text"],
                option["id"],
                option["text"],
                *(counts[k] for k in SPLIT),
                option.get("percent", ""),
            ]
        for line in result.get("distribution", []):
            counts = line["counts"]
            yield [part["id"], part["text"], line["value"], "", *(counts[k] for k in SPLIT), ""]
        for statement in result.get("statements", []):
            for vote in ("agree", "disagree", "pass"):
                counts = statement[vote]
                yield [
                    part["id"],
                    part["text"],
                    f"{statement['id']}:{vote}",
                    statement["text"],
                    *(counts[k] for k in SPLIT),
                    "",
                ]
        for asked in result.get("asked", []):
            counts = asked["votes"]
            yield [
                part["id"],
                part["text"],
                asked["id"],
                asked["text"],
                *(counts[k] for k in SPLIT),
                "",
            ]


#: Every field of a response in the open data (``data.responses``), in its order.
RESPONSE_COLUMNS = (
    "id",
    "question",
    "participant",
    "external_id",
    "joined_via",
    "source",
    "channel",
    "statement",
    "number",
    "text",
    "text_commitment",
    "text_erased",
    "items",
    "status",
    "reject_code",
    "client_id",
    "sheet",
    "teller",
    "moderation",
    "moderation_reason",
    "moderated_at",
    "supersedes",
    "created_at",
    "status_changed_at",
)
HAND_COUNT_COLUMNS = (
    "id",
    "question",
    "option",
    "scale_value",
    "count",
    "replaces",
    "entered_by",
    "created_at",
)
FOLLOW_UP_COLUMNS = ("id", "question", "outcome", "reasoning", "decided_on", "recorded_at")
LOG_COLUMNS = ("seq", "at", "actor", "action", "data", "prev", "hash")


def _rows(items: Iterable[dict], columns: tuple[str, ...]) -> Iterable[list]:
    yield list(columns)
    for item in items:
        yield [
            json.dumps(item[key], ensure_ascii=False, sort_keys=True)
            if isinstance(item[key], (dict, list))
            else item[key]
            for key in columns
        ]


def write(process: Process, stream: BinaryIO) -> None:
    with data.snapshot():
        process.refresh_from_db(fields=["log_seq", "log_head"])
        questions = data.questions_of(process)
        parts = [data.question_part(q) for q in questions]
        results = data.results_part(questions)
        files = {
            "results.csv": _results(parts, results),
            "responses.csv": _rows(data.responses(process), RESPONSE_COLUMNS),
            "hand_counts.csv": _rows(data.hand_counts(process), HAND_COUNT_COLUMNS),
            "follow_ups.csv": _rows(data.follow_ups_part(process), FOLLOW_UP_COLUMNS),
            "log.csv": _rows(data.log_entries(process), LOG_COLUMNS),
        }
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, rows in files.items():
                _csv(archive, f"{process.slug}/{name}", rows)
