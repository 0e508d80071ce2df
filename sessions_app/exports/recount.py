"""Recount an open-data export: recompute every question's published numbers from the
raw responses and hand counts in the file, and name each number that differs.

Pure Python, no Django and no database, so that anyone can run it (or port it) on an
export file; ``docs/export-format.md`` states the same rules in words.

The rules, as ``sessions_app.results`` applies them:

- only responses with status ``counted`` count;
- a response's channel is ``paper`` for source ``paper``, else ``room`` for a participant
  who joined in the room, else ``remote``;
- of the hand counts, one that another ``replaces`` no longer stands; of the rest, the
  latest (highest id) per option or scale value stands;
- only approved options count.
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import median
from typing import NamedTuple

from sessions_app.logchain import canonical_text, text_commitment

SOURCES = ("room", "remote", "paper", "hands")
VOTES = {1: "agree", -1: "disagree", 0: "pass"}


def _split() -> dict[str, int]:
    return dict.fromkeys((*SOURCES, "total"), 0)


def _add(counts: dict, key: str, n: int) -> None:
    counts[key] += n
    counts["total"] += n


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def channel(response: dict) -> str:
    if response["source"] == "paper":
        return "paper"
    return "room" if response["joined_via"] == "room" else "remote"


def standing_hands(rows: Iterable[dict]) -> dict[tuple[str, int], int]:
    rows = sorted(rows, key=lambda row: -row["id"])
    replaced = {row["replaces"] for row in rows if row["replaces"] is not None}
    latest: dict[tuple[str, int], int] = {}
    for row in rows:
        if row["id"] in replaced:
            continue
        key = (
            ("option", row["option"])
            if row["option"] is not None
            else ("value", row["scale_value"])
        )
        latest.setdefault(key, row["count"])
    return latest


def recount_question(question: dict, counted: list[dict], hands: list[dict]) -> dict:
    """The numbers of ``results.question_results`` for one question."""
    kind = question["kind"]
    options = [o for o in question["options"] if o["moderation"] == "approved"]
    respondents = _split()
    if kind == "qna":
        return _recount_qna(question, counted, hands)
    if kind == "statements":
        seen: set[tuple[str, str]] = set()
        for response in counted:
            key = (channel(response), response["participant"])
            if key not in seen:
                seen.add(key)
                _add(respondents, key[0], 1)
    else:
        for response in counted:
            _add(respondents, channel(response), 1)
    result: dict = {"respondents": respondents}
    standing = standing_hands(hands)
    if kind in ("single_choice", "multiple_choice"):
        counts = {o["id"]: _split() for o in options}
        for response in counted:
            for option, _value in response["items"]:
                if option in counts:
                    _add(counts[option], channel(response), 1)
        hand_total = 0
        for o in options:
            n = standing.get(("option", o["id"]), 0)
            _add(counts[o["id"]], "hands", n)
            hand_total = hand_total + n if kind == "single_choice" else max(hand_total, n)
        _add(respondents, "hands", hand_total)
        result["options"] = [
            {
                "id": o["id"],
                "counts": counts[o["id"]],
                "percent": _percent(counts[o["id"]]["total"], respondents["total"]),
            }
            for o in options
        ]
    elif kind == "scale":
        values = list(range(question["scale_min"], question["scale_max"] + 1))
        counts = {value: _split() for value in values}
        for response in counted:
            if response["number"] in counts:
                _add(counts[response["number"]], channel(response), 1)
        for value in values:
            n = standing.get(("value", value), 0)
            _add(counts[value], "hands", n)
            _add(respondents, "hands", n)
        weights = [(value, counts[value]["total"]) for value in values]
        n = sum(weight for _value, weight in weights)
        result["distribution"] = [{"value": v, "counts": counts[v]} for v in values]
        result["mean"] = round(sum(v * w for v, w in weights) / n, 2) if n else None
        result["median"] = float(median(v for v, w in weights for _ in range(w))) if n else None
    elif kind == "ranking":
        size = len(options)
        stats = {
            o["id"]: {"borda": _split(), "rank_sum": 0, "ranked_by": 0, "first": 0} for o in options
        }
        for response in counted:
            for option, rank in response["items"]:
                entry = stats.get(option)
                if entry is None:
                    continue
                _add(entry["borda"], channel(response), size - rank + 1)
                entry["rank_sum"] += rank
                entry["ranked_by"] += 1
                entry["first"] += rank == 1
        result["options"] = [
            {
                "id": o["id"],
                "borda": stats[o["id"]]["borda"],
                "mean_rank": round(stats[o["id"]]["rank_sum"] / stats[o["id"]]["ranked_by"], 2)
                if stats[o["id"]]["ranked_by"]
                else None,
                "ranked_by": stats[o["id"]]["ranked_by"],
                "first_choices": stats[o["id"]]["first"],
            }
            for o in options
        ]
    elif kind == "budget":
        sums = {o["id"]: _split() for o in options}
        for response in counted:
            for option, amount in response["items"]:
                if option in sums:
                    _add(sums[option], channel(response), amount)

        def average(points: dict, key: str) -> float | None:
            return round(points[key] / respondents[key], 2) if respondents[key] else None

        result["options"] = [
            {
                "id": o["id"],
                "points": sums[o["id"]],
                "average": average(sums[o["id"]], "total"),
                "average_by_source": {
                    key: average(sums[o["id"]], key) for key in ("room", "remote", "paper")
                },
            }
            for o in options
        ]
    elif kind == "open_text":
        result["pending"] = sum(1 for r in counted if r["moderation"] == "pending")
        result["hidden"] = sum(1 for r in counted if r["moderation"] == "hidden")
        result["approved_ids"] = sorted(r["id"] for r in counted if r["moderation"] == "approved")
    elif kind == "statements":
        votes = {o["id"]: {key: _split() for key in VOTES.values()} for o in options}
        for response in counted:
            entry = votes.get(response["statement"])
            if entry is not None and response["number"] in VOTES:
                _add(entry[VOTES[response["number"]]], channel(response), 1)
        result["pending"] = sum(1 for o in question["options"] if o["moderation"] == "pending")
        result["statements"] = [
            {
                "id": o["id"],
                **votes[o["id"]],
                "votes": sum(votes[o["id"]][key]["total"] for key in VOTES.values()),
            }
            for o in options
        ]
    return result


def _recount_qna(question: dict, counted: list[dict], hands: list[dict]) -> dict:
    """A Q&A round: the people who upvoted (each once per channel), and per shown asked
    question its upvotes by distinct people, counting those of the questions merged into
    it, plus the standing hands."""
    roots = {o["id"]: o.get("merged_into") or o["id"] for o in question["options"]}
    shown = [
        o["id"]
        for o in question["options"]
        if o["moderation"] == "approved" and not o.get("merged_into")
    ]
    votes = {pk: _split() for pk in shown}
    respondents = _split()
    voters: set[tuple[str, str]] = set()
    seen: set[tuple[int, str, str]] = set()
    for response in counted:
        if response["number"] != 1:
            continue
        where = channel(response)
        if (where, response["participant"]) not in voters:
            voters.add((where, response["participant"]))
            _add(respondents, where, 1)
        root = roots.get(response["statement"])
        if root in votes and (root, where, response["participant"]) not in seen:
            seen.add((root, where, response["participant"]))
            _add(votes[root], where, 1)
    for (target, key), n in standing_hands(hands).items():
        root = roots.get(key) if target == "option" else None
        if root in votes:
            _add(votes[root], "hands", n)
    return {"respondents": respondents, "asked_votes": {str(pk): votes[pk] for pk in shown}}


def _published_view(published: dict) -> dict:
    """The published result reduced to what ``recount_question`` computes."""
    view = dict(published)
    if published.get("kind") == "qna":
        view["asked_votes"] = {str(a["id"]): a["votes"] for a in published.get("asked", [])}
    if published.get("kind") == "open_text":
        view["approved_ids"] = sorted(item["id"] for item in published.get("approved", []))
    return view


class Difference(NamedTuple):
    """A published value the raw data does not give. ``path`` names it, e.g.
    ``question 12.options[0].counts.paper``."""

    path: str
    published: object
    recounted: object


def differences(expected: dict, found, path: str) -> list[Difference]:
    """Where ``found`` (published) differs from ``expected`` (recounted)."""
    if isinstance(expected, dict):
        if not isinstance(found, dict):
            return [Difference(path, found, expected)]
        out = []
        for key, value in expected.items():
            out += differences(value, found.get(key), f"{path}.{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(found, list) or len(found) != len(expected):
            return [Difference(path, found, expected)]
        out = []
        for index, (value, other) in enumerate(zip(expected, found, strict=True)):
            out += differences(value, other, f"{path}[{index}]")
        return out
    if expected != found:
        return [Difference(path, found, expected)]
    return []


def recount(export: dict) -> list[Difference]:
    """Every published value that the raw data in ``export`` does not give; empty when
    all agree."""
    counted: dict[int, list[dict]] = {}
    for response in export.get("responses", []):
        if response["status"] == "counted":
            counted.setdefault(response["question"], []).append(response)
    hands: dict[int, list[dict]] = {}
    for row in export.get("hand_counts", []):
        hands.setdefault(row["question"], []).append(row)
    published = {result["question"]: result for result in export.get("results", [])}
    problems = []
    for question in export.get("questions", []):
        qid = question["id"]
        if qid not in published:
            problems.append(Difference(f"question {qid}", None, "a result"))
            continue
        expected = recount_question(question, counted.get(qid, []), hands.get(qid, []))
        problems += differences(expected, _published_view(published[qid]), f"question {qid}")
    return problems


def texts_check(data: dict) -> list[str]:
    """The commitments of an export whose text does not hold: a published text whose salt
    and text do not give its commitment, a commitment the log does not hold, or an
    answer's published text that is not the text behind its commitment."""
    logged = canonical_text([entry.get("data") for entry in data.get("log", [])])
    texts = {}
    bad = []
    for item in data.get("texts", []):
        commitment = item["commitment"]
        texts[commitment] = item.get("text")
        if f'"{commitment}"' not in logged or (
            "salt" in item and text_commitment(item["salt"], item["text"]) != commitment
        ):
            bad.append(commitment)
    for response in data.get("responses", []):
        if response.get("text") is not None:
            commitment = response.get("text_commitment")
            if commitment is None or texts.get(commitment) != response["text"]:
                bad.append(commitment or f"response {response['id']}")
    return list(dict.fromkeys(bad))  # a text changed is one problem, however often shown
