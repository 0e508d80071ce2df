"""The cost of checking every incoming frame against the protocol's schema, per message,
beside the decoding alone (the baseline, measured in the same run) and beside the
``jsonschema`` library on the same schema:

    python -m bench.schema [--messages 20000]

Prints one JSON line: microseconds per message for ``parse`` alone, ``parse`` with our
check (``realtime.protocol.check``: the schema compiled by ``fastjsonschema``), and with
``jsonschema``'s validator; and what the check costs 5,000 phones answering once.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from . import description


def messages(count: int) -> list[str]:
    """Frames as phones send them: mostly answers of every kind, some pings and hellos."""
    shapes = [
        {"option": 12},
        {"options": [12, 14]},
        {"value": 4},
        {"ranking": [14, 12, 13]},
        {"allocation": {"12": 60, "13": 40}},
        {"text": "Meer bomen en bankjes op het plein, graag met schaduw."},
        {"statement": 21, "vote": "agree"},
    ]
    frames = []
    for index in range(count):
        if index % 10 == 8:
            frames.append(json.dumps({"type": "ping"}))
        elif index % 10 == 9:
            frames.append(json.dumps({"type": "hello", "last_version": index}))
        else:
            frames.append(
                json.dumps(
                    {
                        "type": "answer",
                        "client_id": f"bench-{index:012d}",
                        "question": 100 + index % 7,
                        "answer": shapes[index % 7],
                    }
                )
            )
    return frames


def per_message(frames: list[str], step) -> float:
    """Microseconds per frame: the best of three passes."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for frame in frames:
            step(frame)
        best = min(best, time.perf_counter() - started)
    return round(best / len(frames) * 1e6, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from jsonschema import Draft202012Validator

    from realtime import protocol

    schema = protocol.SCHEMA
    library = {
        kind: Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": schema["$defs"]})
        for kind in protocol.INCOMING
    }
    frames = messages(args.messages)

    def parse(frame):
        return protocol.parse(frame, None)

    def ours(frame):
        message = protocol.parse(frame, None)
        assert protocol.check(message) is None

    def jsonschema_library(frame):
        message = protocol.parse(frame, None)
        assert library[message["type"]].is_valid(message)

    parse_us = per_message(frames, parse)
    ours_us = per_message(frames, ours)
    library_us = per_message(frames, jsonschema_library)
    print(
        json.dumps(
            {
                "messages": len(frames),
                "parse_us": parse_us,
                "parse_and_check_us": ours_us,
                "check_us": round(ours_us - parse_us, 2),
                "jsonschema_check_us": round(library_us - parse_us, 2),
                "check_ms_for_5000_answers": round((ours_us - parse_us) * 5000 / 1000, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
