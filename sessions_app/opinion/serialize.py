"""An opinion map as plain data (JSON): what is stored, sent to screens and exported.
Also the function a worker process runs, so that the map is computed away from the
server's event loop."""

from __future__ import annotations

import time

from .groups import OpinionMap, opinion_map


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(float(value), places)


def to_data(found: OpinionMap) -> dict:
    """The map as JSON-able data; participants and statements by their ids (as text for
    participants: JSON object keys)."""
    return {
        "reason": found.reason,
        "threshold": found.threshold,
        "voters": len(found.votes_by_participant),
        "placed": len(found.positions),
        "silhouette": _round(found.silhouette),
        "silhouettes": {str(k): _round(v) for k, v in found.silhouettes.items()},
        "best_k": found.best_k,
        "k_state": dict(found.k_state),
        "votes_needed": found.votes_needed,
        "explained": [_round(x) for x in found.explained],
        "positions": {
            str(p): [_round(x), _round(y), found.labels.get(p)]
            for p, (x, y) in found.positions.items()
        },
        "groups": [
            {
                "label": g.label,
                "size": len(g.members),
                "center": [_round(g.center[0]), _round(g.center[1])],
                "representative": [
                    {
                        "statement": r.statement,
                        "direction": r.direction,
                        "rate": _round(r.rate),
                        "rest_rate": _round(r.rest_rate),
                        "ratio": _round(r.ratio),
                        "rate_z": _round(r.rate_z),
                        "ratio_z": _round(r.ratio_z),
                        "metric": _round(r.metric),
                    }
                    for r in g.representative
                ],
            }
            for g in found.groups
        ],
        "statements": [
            {
                "statement": s.statement,
                "hidden": s.hidden,
                "agree": s.agree,
                "disagree": s.disagree,
                "pass": s.passed,
                "by_group": {str(label): list(counts) for label, counts in s.by_group.items()},
                "consensus_agree": _round(s.consensus_agree),
                "consensus_disagree": _round(s.consensus_disagree),
                "divisiveness": _round(s.divisiveness),
            }
            for s in found.statements
        ],
        "consensus": [s.statement for s in found.consensus(5)] if found.groups else [],
        "divisive": [s.statement for s in found.divisive(5)] if found.groups else [],
    }


def previous_labels(data: dict | None) -> dict[int, int]:
    """participant id → group label of a stored map."""
    if not data:
        return {}
    return {
        int(p): entry[2] for p, entry in data.get("positions", {}).items() if entry[2] is not None
    }


def previous_k_state(data: dict | None) -> dict:
    """The k smoother's state of a stored map (``OpinionMap.k_state``)."""
    return dict((data or {}).get("k_state") or {})


def compute(inputs: dict) -> tuple[dict, float]:
    """Run in a worker process: the map of ``inputs`` (``opinion_map``'s arguments) as
    data, and the seconds it took."""
    started = time.perf_counter()
    found = opinion_map(
        inputs["votes"],
        statements=inputs["statements"],
        hidden=inputs["hidden"],
        previous=inputs["previous"],
        k_state=inputs.get("k_state"),
    )
    return to_data(found), time.perf_counter() - started
