"""What the screens show of a stored opinion map (``serialize.to_data``): the groups with
their representative statements in words, the consensus and the divisive statements,
and the dots. Shares are plain ones (of the votes given), as people read them; the
smoothed rates stay in the data for those who check the arithmetic."""

from __future__ import annotations

import string

REPRESENTATIVE_SHOWN = 3
#: The groups' colours on every screen and in every file (as in the stylesheet): apart
#: for the common colour-vision deficiencies; groups are also always named by letter.
GROUP_COLOURS = ("#0072b2", "#c75c00", "#007a5a", "#a8437f", "#6b5a00")
CONSENSUS_SHOWN = 3
DIVISIVE_SHOWN = 3


def group_name(label: int) -> str:
    """A, B, C…: groups are named by letter on every screen and in every file."""
    letters = string.ascii_uppercase
    return letters[label] if 0 <= label < len(letters) else str(label + 1)


def _share(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def group_colour(label: int | None) -> str:
    return GROUP_COLOURS[label % len(GROUP_COLOURS)] if label is not None else "#7c8591"


def exported(opinion_map: dict) -> dict:
    """An export's map (``data.opinion_maps_part``) in the stored map's shape, for
    ``summary``."""
    return {
        **opinion_map,
        "positions": {
            p["participant"]: [p["x"], p["y"], p["group"]] for p in opinion_map["participants"]
        },
    }


def summary(data: dict | None, texts: dict[int, str], *, dots: bool = True) -> dict | None:
    """The screen's view of ``data``; ``texts`` maps statement ids to their text. Without
    ``dots`` (phones), only the groups and the statements."""
    if not data:
        return None
    stats = {s["statement"]: s for s in data["statements"]}

    def line(statement_id: int, **extra) -> dict:
        return {"statement": statement_id, "text": texts.get(statement_id, ""), **extra}

    groups = []
    for group in data["groups"]:
        label = str(group["label"])
        lines = []
        for rep in group["representative"][:REPRESENTATIVE_SHOWN]:
            agree, disagree, passed = stats[rep["statement"]]["by_group"].get(label, [0, 0, 0])
            part = agree if rep["direction"] == "agree" else disagree
            lines.append(
                line(
                    rep["statement"],
                    direction=rep["direction"],
                    percent=_share(part, agree + disagree + passed),
                )
            )
        groups.append(
            {
                "label": group["label"],
                "name": group_name(group["label"]),
                "size": group["size"],
                "center": group["center"],
                "representative": lines,
            }
        )

    def overall(statement_id: int) -> dict:
        s = stats[statement_id]
        votes = s["agree"] + s["disagree"] + s["pass"]
        return line(
            statement_id,
            agree=_share(s["agree"], votes),
            disagree=_share(s["disagree"], votes),
            # A group that cast no vote on it has no share to show (never a null).
            by_group=[
                {
                    "name": group_name(int(label)),
                    "label": int(label),
                    "agree": _share(counts[0], sum(counts)),
                }
                for label, counts in sorted(s["by_group"].items(), key=lambda kv: int(kv[0]))
                if sum(counts)
            ],
        )

    found = {
        "reason": data["reason"],
        "threshold": data["threshold"],
        "votes_needed": data.get("votes_needed", 0),
        # number of groups (as text) → its silhouette: why the map has as many as it has
        "silhouettes": data.get("silhouettes") or {},
        "voters": data["voters"],
        "placed": data["placed"],
        "groups": groups,
        "consensus": [overall(s) for s in data["consensus"][:CONSENSUS_SHOWN]],
        "divisive": [overall(s) for s in data["divisive"][:DIVISIVE_SHOWN]],
    }
    if dots:
        found["dots"] = [[x, y, label] for x, y, label in data["positions"].values()]
    return found
