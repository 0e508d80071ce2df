"""The open-data export: one JSON document (``inspraak.export/1``) with the process, its
results, every raw response and hand count, the follow-ups and the whole log, written
as a stream. ``docs/export-format.md`` describes it, with a JSON Schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from sessions_app import checkpoints
from sessions_app.models import Process

from . import data


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=False)


def _array(items: Iterable) -> Iterator[str]:
    yield "["
    first = True
    for item in items:
        yield ("\n  " if first else ",\n  ") + _dump(item)
        first = False
    yield "\n ]" if not first else "]"


class _Counter:
    """Counts what passes through, for the integrity part at the end of the file."""

    def __init__(self, items: Iterable[dict]):
        self.items = items
        self.count = 0
        self.counted = 0
        self.last: dict | None = None

    def __iter__(self):
        for item in self.items:
            self.count += 1
            self.counted += item.get("status") == "counted"
            self.last = item
            yield item


def chunks(process: Process, *, staff: bool = False) -> Iterator[str]:
    """The document, piece by piece (the large arrays one element at a time), read in one
    transaction, so that the results, the raw responses and the log agree with each other
    even while a session goes on."""
    signed = []
    with data.snapshot():
        process.refresh_from_db(fields=["log_seq", "log_head"])
        yield from _document(process, signed, staff)
    # The export's own head, kept with the others once the snapshot is closed.
    if signed:
        checkpoints.head_keep(process, signed[0])


def _document(process: Process, signed: list, staff: bool) -> Iterator[str]:
    questions = data.questions_of(process)
    yield "{\n"
    head = {
        "format": data.FORMAT,
        # The staff variant holds texts the public one withholds: never to be published.
        "variant": "staff" if staff else "public",
        "generated_at": data.generated_at(),
        "time_zone": data.time_zone(),
        "process": data.process_part(process),
        "sessions": data.sessions_part(process),
        "questions": [data.question_part(question, staff=staff) for question in questions],
        "results": data.results_part(questions),
        "opinion_maps": data.opinion_maps_part(questions),
        "follow_ups": data.follow_ups_part(process),
        "panel_answers": data.panel_answers_part(process),
    }
    for key, value in head.items():
        yield f" {_dump(key)}: {_dump(value)},\n"
    yield f' "texts": {_dump(data.texts_part(process, staff=staff))},\n'
    responses = _Counter(data.responses(process, staff=staff))
    yield ' "responses": '
    yield from _array(responses)
    hands = _Counter(data.hand_counts(process))
    yield ',\n "hand_counts": '
    yield from _array(hands)
    log = _Counter(data.log_entries(process))
    yield ',\n "log": '
    yield from _array(log)
    heads = checkpoints.heads_upto(process, process.log_seq)
    if process.log_seq and (not heads or heads[-1]["size"] != process.log_seq):
        head = checkpoints.head_of_size(process, process.log_seq)
        signed.append(head)
        heads.append(head)
    yield f',\n "signing_key": {_dump(checkpoints.public_key())}'
    yield f',\n "tree_heads": {_dump(heads)}'
    integrity = {
        "responses": responses.count,
        "responses_counted": responses.counted,
        "hand_counts": hands.count,
        "log_entries": log.count,
        "log_head": log.last["hash"] if log.last else None,
        "process_log_head": process.log_head or None,
        "process_log_seq": process.log_seq,
        "verify": "python manage.py verify_log --export FILE.json",
    }
    yield f',\n "integrity": {_dump(integrity)}\n}}\n'


def write(process: Process, stream: TextIO) -> None:
    """The public open data."""
    for piece in chunks(process):
        stream.write(piece)


def write_staff(process: Process, stream: TextIO) -> None:
    """The staff-only variant: every kept text and moderation reason included."""
    for piece in chunks(process, staff=True):
        stream.write(piece)
