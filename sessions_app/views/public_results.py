"""The public process page's results, shaped for people: grouped under their session,
rows sorted by outcome, plain words instead of method names, numbers in the page's
language, identical open answers counted once, and the geometry of an inline SVG chart
per question (drawn by ``templates/includes/public_chart.html``, so it needs no
JavaScript). The numbers are those of ``results.question_results``, as everywhere, and
written by ``sessions_app.numbers`` as the council report writes them (``3,65``, ``50%``):
a council compares the two."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sessions_app.exports.report_text import statement_share
from sessions_app.models import Moderation, Question, QuestionKind, QuestionState, SessionState
from sessions_app.numbers import number, percent
from sessions_app.opinion.summary import summary as opinion_summary
from sessions_app.results import panel_answered, results_final
from sessions_app.services.opinion import map_refresh

from .strings import groups_none, opinion_strings

K = QuestionKind
SOURCE_KEYS = ("room", "remote", "paper", "hands")

#: Chart geometry in SVG units. The chart is drawn about as wide as a phone's column
#: (and no wider on a desktop, see the stylesheet), so its text stays readable everywhere.
WIDTH = 300
BAR_WIDTH = 200
FONT = 14
LINE = 18
BAR = 14
GAP = 14
LABEL_CHARS = 36


NONE = "\N{EN DASH}"  # no value: nobody answered, ranked or voted


def num(value) -> str:
    """``numbers.number``, with an en dash for no value (``None``)."""
    return NONE if value is None else number(value)


def amount(value, unit: str) -> str:
    """A budget amount with its unit, as the report writes the number (an average with
    its two decimals): ``€ 1.234`` for a currency sign, ``30 punten`` without a unit, else
    ``12 uur``."""
    text = number(value)
    if not unit:
        # An average (a float) is "points" unless it is exactly one.
        count = 1 if value == 1 else 2
        return ngettext("%(n)s point", "%(n)s points", count) % {"n": text}
    if len(unit) == 1 and not unit.isalnum():
        return f"{unit}\N{NO-BREAK SPACE}{text}"
    return f"{text}\N{NO-BREAK SPACE}{unit}"


def sessions_with_results(questions: list[Question], results: list[dict]) -> list[dict]:
    """Each session that has published results, in agenda order, with its items."""
    sessions: dict[int, dict] = {}
    for question, result in zip(questions, results, strict=True):
        entry = sessions.setdefault(question.session_id, {"session": question.session, "items": []})
        entry["items"].append(question_item(question, result))
    return list(sessions.values())


def question_item(question: Question, result: dict) -> dict:
    """What the page shows of one question: a sentence or two, the chart, the table and,
    for open questions, the answers grouped."""
    kind = question.kind
    respondents = result["respondents"]["total"]
    ended = question.session.state == SessionState.ENDED
    item = {
        "question": question,
        "kind": kind,
        "final": results_final(question.session.state, result["provisional"]),
        "awaiting_paper": ended and result["provisional"],
        "respondents": respondents,
        "chart": None,
        "table": None,
        "facts": [],
        "answers": None,
        "opinion": None,
        "asked": None,
    }
    shape = {
        K.SINGLE_CHOICE: _choice,
        K.MULTIPLE_CHOICE: _choice,
        K.SCALE: _scale,
        K.RANKING: _ranking,
        K.BUDGET: _budget,
        K.OPEN_TEXT: _open_text,
        K.STATEMENTS: _statements,
        K.QNA: _qna,
    }[kind]
    shape(question, result, item)
    # Written as the report writes it (``1.234`` in Dutch); ``respondents`` picks the plural.
    item["respondents_text"] = number(item["respondents"])
    return item


def _source_cells(counts: dict) -> list[str]:
    return [num(counts.get(key)) if counts.get(key) is not None else "" for key in SOURCE_KEYS]


def _source_columns() -> list[str]:
    return [_("in the room"), _("remote"), _("paper"), _("hands")]


def _choice(question, result, item) -> None:
    respondents = item["respondents"]
    options = sorted(
        enumerate(result["options"]), key=lambda pair: (-pair[1]["counts"]["total"], pair[0])
    )
    rows = []
    for _position, option in options:
        counts = option["counts"]
        rows.append(
            {
                "name": option["text"],
                "note": _("%(n)s of %(total)s participants (%(percent)s%%)")
                % {
                    "n": num(counts["total"]),
                    "total": num(respondents),
                    "percent": number(option["percent"]),
                },
                "cells": [
                    *_source_cells(counts),
                    num(counts["total"]),
                    percent(option["percent"]),
                ],
                "segments": counts,
                "value": f"{num(counts['total'])} ({percent(option['percent'])})",
            }
        )
    item["facts"].append(_("Most chosen first."))
    item["table"] = {
        "head": [_("option"), *_source_columns(), _("total"), "%"],
        "rows": rows,
    }
    item["chart"] = _bar_chart(question, rows, "sources")


def _scale(question, result, item) -> None:
    rows = []
    low, high = question.scale_min, question.scale_max
    for line in result["distribution"]:
        value = line["value"]
        label = num(value)
        if value == low and question.min_label:
            label = f"{label} ({question.min_label})"
        elif value == high and question.max_label:
            label = f"{label} ({question.max_label})"
        rows.append(
            {
                "name": label,
                "note": "",
                "cells": [*_source_cells(line["counts"]), num(line["counts"]["total"])],
                "segments": line["counts"],
                "value": num(line["counts"]["total"]),
            }
        )
    if result["mean"] is not None:
        item["facts"].append(
            _(
                "On average %(mean)s on a scale from %(low)s to %(high)s; the middle answer is %(median)s."
            )
            % {
                "mean": num(result["mean"]),
                "low": num(low),
                "high": num(high),
                "median": num(result["median"]),
            }
        )
    item["table"] = {
        "head": [_("answer"), *_source_columns(), _("total")],
        "rows": rows,
    }
    item["chart"] = _bar_chart(question, rows, "sources")


def _ranking(question, result, item) -> None:
    size = len(result["options"])
    options = sorted(
        enumerate(result["options"]),
        key=lambda pair: (
            pair[1]["mean_rank"] is None,
            pair[1]["mean_rank"] or 0,
            -pair[1]["borda"]["total"],
            pair[0],
        ),
    )
    rows = []
    for _position, option in options:
        mean = option["mean_rank"]
        note = (
            _("on average in place %(place)s of %(size)s") % {"place": num(mean), "size": num(size)}
            if mean is not None
            else _("nobody put this in order")
        )
        rows.append(
            {
                "name": option["text"],
                "note": note,
                "cells": [
                    num(mean),
                    num(option["first_choices"]),
                    num(option["ranked_by"]),
                    *_source_cells(option["borda"])[:3],
                    num(option["borda"]["total"]),
                ],
                "place": mean,
                "value": num(mean),
            }
        )
    item["facts"].append(_("Highest average place first (place 1 is the favourite)."))
    item["facts"].append(
        _(
            "Points: a first place gives %(size)s points, a second %(second)s, and so on; "
            "the table shows them by where the answers came from."
        )
        % {"size": num(size), "second": num(max(size - 1, 0))}
    )
    item["table"] = {
        "head": [
            _("option"),
            _("average place"),
            _("first choice of"),
            _("put in order by"),
            _("points in the room"),
            _("points remote"),
            _("points on paper"),
            _("points in total"),
        ],
        "rows": rows,
    }
    item["chart"] = _place_chart(question, rows, size)


def _budget(question, result, item) -> None:
    unit = question.budget_unit
    options = sorted(
        enumerate(result["options"]), key=lambda pair: (-pair[1]["points"]["total"], pair[0])
    )
    rows = []
    for _position, option in options:
        points = option["points"]
        note = (
            _("on average %(average)s of %(total)s per participant")
            % {
                "average": amount(option["average"], unit),
                "total": amount(result["total_points"], unit),
            }
            if option["average"] is not None
            else ""
        )
        rows.append(
            {
                "name": option["text"],
                "note": note,
                "cells": [
                    *_source_cells(points)[:3],
                    num(points["total"]),
                    num(option["average"]),
                ],
                "segments": points,
                "value": amount(points["total"], unit),
            }
        )
    item["facts"].append(
        _("Each participant shared out %(total)s. Largest amount first.")
        % {"total": amount(result["total_points"], unit)}
    )
    unit_name = unit or _("points")
    item["table"] = {
        "head": [
            _("option"),
            *_source_columns()[:3],
            _("total (%(unit)s)") % {"unit": unit_name},
            _("average per participant"),
        ],
        "rows": rows,
    }
    item["chart"] = _bar_chart(question, rows, "sources")


def _open_text(question, result, item) -> None:
    item["answers"] = grouped_answers(answer["text"] for answer in result["approved"])
    shown = len(result["approved"])
    item["facts"].append(
        ngettext("%(n)s answer is shown here.", "%(n)s answers are shown here.", shown)
        % {"n": num(shown)}
    )
    if result["pending"] or result["hidden"]:
        item["facts"].append(
            ngettext(
                "Not shown: %(pending)s still waiting for a moderator, %(hidden)s hidden by "
                "a moderator.",
                "Not shown: %(pending)s still waiting for a moderator, %(hidden)s hidden by "
                "a moderator.",
                result["pending"],
            )
            % {"pending": num(result["pending"]), "hidden": num(result["hidden"])}
        )


def _qna(question, result, item) -> None:
    """A Q&A round: the questions that were asked and approved, most votes first, with
    the panel's answers; a written answer promised by a date that passed is overdue."""
    item["respondents"] = result["respondents"]["total"]
    item["asked"] = [
        {
            **a,
            "due_date": date.fromisoformat(a["answer"]["due"])
            if a["answer"] and a["answer"]["due"]
            else None,
        }
        for a in result["asked"]
    ]
    answered = sum(1 for a in result["asked"] if panel_answered(a["answer"]))
    item["facts"].append(
        ngettext(
            "%(n)s question was asked to the panel; %(answered)s answered.",
            "%(n)s questions were asked to the panel; %(answered)s answered.",
            len(result["asked"]),
        )
        % {"n": num(len(result["asked"])), "answered": num(answered)}
    )
    overdue = sum(1 for a in result["asked"] if a["answer"] and a["answer"]["overdue"])
    if overdue:
        item["facts"].append(
            ngettext(
                "%(n)s written answer is overdue.", "%(n)s written answers are overdue.", overdue
            )
            % {"n": num(overdue)}
        )


def grouped_answers(texts: Iterable[str]) -> list[dict]:
    """Answers that say the same (ignoring case and spacing) as one line with a count,
    most often given first; an erased answer counts, as "(text erased)", last."""
    groups: dict[str, dict] = {}
    erased = 0
    for text in texts:
        if not text:
            erased += 1
            continue
        key = " ".join(text.split()).casefold()
        group = groups.setdefault(key, {"text": text, "count": 0, "erased": False})
        group["count"] += 1
    found = sorted(groups.values(), key=lambda g: -g["count"])  # stable: first given first
    if erased:
        found.append({"text": "", "count": erased, "erased": True})
    return found


def _statements(question, result, item) -> None:
    statements = []
    for position, statement in enumerate(result["statements"]):
        agree, disagree, passed = (statement[key]["total"] for key in ("agree", "disagree", "pass"))
        votes = agree + disagree + passed
        statements.append((position, statement, agree, disagree, passed, votes))
    statements.sort(key=lambda s: (s[5] == 0, -(s[2] / s[5]) if s[5] else 0, -s[5], s[0]))
    rows = []
    for _position, statement, agree, disagree, passed, votes in statements:
        by_source = [
            sum(statement[key][source] for key in ("agree", "disagree", "pass"))
            for source in ("room", "remote", "paper")
        ]
        # As the report works them out: to one decimal, a half up.
        shares = statement_share({**statement, "votes": votes})
        note = (
            _("%(agree)s%% agree, %(disagree)s%% disagree, %(pass)s%% pass (%(n)s votes)")
            % {
                "agree": num(shares["agree"]),
                "disagree": num(shares["disagree"]),
                "pass": num(shares["pass"]),
                "n": num(votes),
            }
            if votes
            else _("no votes yet")
        )
        rows.append(
            {
                "name": statement["text"],
                "note": note,
                "cells": [
                    num(agree),
                    num(disagree),
                    num(passed),
                    num(votes),
                    percent(shares["agree"]) if votes else NONE,
                    *(num(n) for n in by_source),
                ],
                "segments": {"agree": agree, "pass": passed, "disagree": disagree},
                "value": _("%(percent)s%% agree") % {"percent": num(shares["agree"])}
                if votes
                else "\N{EN DASH}",
            }
        )
    item["facts"].append(_("Most agreed with first."))
    item["table"] = {
        "head": [
            _("statement"),
            _("agree"),
            _("disagree"),
            _("pass"),
            _("votes"),
            _("% agree"),
            _("votes in the room"),
            _("votes remote"),
            _("votes on paper"),
        ],
        "rows": rows,
    }
    item["chart"] = _bar_chart(question, rows, "votes", share=True)
    if question.state == QuestionState.CLOSED:
        item["opinion"] = opinion_map(question)


# --- charts -----------------------------------------------------------------------------


def _label_lines(text: str) -> list[str]:
    return textwrap.wrap(text, LABEL_CHARS, break_long_words=True) or [""]


def _chart_base(question: Question, rows: list[dict]) -> dict:
    return {
        "id": f"chart-{question.pk}",
        "title": _("Chart: %(question)s") % {"question": question.text},
        "desc": " ".join(f"{row['name']}: {row['note'] or row['value']}." for row in rows),
        "width": WIDTH,
        "bar_width": BAR_WIDTH,
        "font": FONT,
        "rows": [],
    }


def _bar_chart(question: Question, rows: list[dict], legend: str, *, share: bool = False) -> dict:
    """Horizontal bars, one per row, split into coloured parts (by source, or agree /
    pass / disagree), the longest bar full width (``share``: every bar full width)."""
    chart = _chart_base(question, rows)
    chart["legend"] = legend
    longest = max((sum(v or 0 for v in _parts(row, legend).values()) for row in rows), default=0)
    y = 0
    for row in rows:
        lines = _label_lines(row["name"])
        parts = _parts(row, legend)
        whole = sum(v or 0 for v in parts.values())
        scale = (whole if share else longest) or 1
        x = 0.0
        segments = []
        for key, value in parts.items():
            if not value:
                continue
            width = BAR_WIDTH * value / scale
            segments.append({"key": key, "x": round(x, 1), "width": round(width, 1)})
            x += width
        bar_y = y + LINE * len(lines) + 4
        chart["rows"].append(
            {
                "lines": [
                    {"text": text, "y": y + LINE * (n + 1) - 4} for n, text in enumerate(lines)
                ],
                "bar_y": bar_y,
                "segments": segments,
                "value": row["value"],
                "value_x": round(x, 1) + 6 if not share else BAR_WIDTH + 6,
                "value_y": bar_y + BAR - 2,
            }
        )
        y = bar_y + BAR + GAP
    chart["height"] = max(y, 1)
    return chart


def _parts(row: dict, legend: str) -> dict:
    if legend == "votes":
        return row["segments"]
    return {key: row["segments"].get(key) or 0 for key in SOURCE_KEYS}


def _place_chart(question: Question, rows: list[dict], size: int) -> dict:
    """One line per option from place 1 to the last place, with a dot at its average
    place: further left is more favoured."""
    chart = _chart_base(question, rows)
    chart["legend"] = "places"
    chart["ticks"] = []
    step = BAR_WIDTH / max(size - 1, 1)
    y = 0
    for row in rows:
        lines = _label_lines(row["name"])
        bar_y = y + LINE * len(lines) + 4
        place = row["place"]
        chart["rows"].append(
            {
                "lines": [
                    {"text": text, "y": y + LINE * (n + 1) - 4} for n, text in enumerate(lines)
                ],
                "bar_y": bar_y,
                "track_y": bar_y + BAR / 2,
                "ticks": [round(step * n, 1) for n in range(size)],
                "dot_x": round(step * (place - 1), 1) if place is not None else None,
                "value": row["value"],
                "value_x": BAR_WIDTH + 10,
                "value_y": bar_y + BAR - 2,
            }
        )
        y = bar_y + BAR + GAP
    chart["first_label"] = _("place 1")
    chart["last_label"] = _("place %(n)s") % {"n": num(size)}
    chart["axis_y"] = y + 4
    chart["height"] = y + LINE + 4
    return chart


# --- the opinion map -------------------------------------------------------------------


def opinion_map(question: Question) -> dict:
    """The opinion map of a closed statements question, as an SVG's geometry and the
    groups in words (what sets each group apart, common ground, where they differ)."""
    words = opinion_strings()
    texts = {
        option.pk: option.text
        for option in question.options.all()
        if option.moderation == Moderation.APPROVED
    }
    shown = opinion_summary(map_refresh(question), texts)
    if not shown or not shown["groups"]:
        threshold = shown["threshold"] if shown else 0
        reason = (
            words["groups_alike"]
            if shown and shown["reason"] == "alike"
            else groups_none(threshold).format(n=num(threshold))
        )
        needed = shown.get("votes_needed", 0) if shown else 0
        if needed and shown["reason"] != "alike":
            more = words["groups_needed_one"] if needed == 1 else words["groups_needed"]
            reason = f"{reason} {more.format(n=needed)}"
        return {"id": f"map-{question.pk}", "words": words, "groups": [], "reason": reason}
    points = [*shown["dots"], *([*g["center"], g["label"]] for g in shown["groups"])]
    reach = max(0.001, *(max(abs(x), abs(y)) for x, y, _label in points)) * 1.15

    def at(value: float) -> float:
        return round(100 * value / reach, 1)

    groups = []
    for group in shown["groups"]:
        groups.append(
            {
                "label": group["label"],
                "name": group["name"],
                "title": words["group_size"].format(name=group["name"], n=num(group["size"])),
                "x": at(group["center"][0]),
                "y": at(-group["center"][1]),
                "lines": [
                    {
                        "text": line["text"],
                        "vote": (
                            words["agrees"] if line["direction"] == "agree" else words["disagrees"]
                        ).format(percent=num(line["percent"])),
                    }
                    for line in group["representative"]
                ],
            }
        )

    def overall(lines: list[dict]) -> list[dict]:
        return [
            {
                "text": line["text"],
                "split": " · ".join(
                    [
                        words["agree_share"].format(percent=num(line["agree"])),
                        *(
                            words["group_agree"].format(name=g["name"], percent=num(g["agree"]))
                            for g in line["by_group"]
                        ),
                    ]
                ),
            }
            for line in lines
        ]

    names = ", ".join(g["title"] for g in groups)
    return {
        "id": f"map-{question.pk}",
        "label": words["map_label"].format(groups=names),
        "dots": [
            {"x": at(x), "y": at(-y), "label": "none" if label is None else label}
            for x, y, label in shown["dots"]
        ],
        "groups": groups,
        "consensus": overall(shown["consensus"]),
        "divisive": overall(shown["divisive"]),
        "placed": shown["placed"],
        "voters": shown["voters"],
        # Who the dots are: not everyone who voted (docs/opinion-map.md, "Who is placed").
        "who": ngettext(
            "{placed} of the {voters} people who voted are on the map: those who voted on "
            "at least {n} statement.",
            "{placed} of the {voters} people who voted are on the map: those who voted on "
            "at least {n} statements.",
            shown["threshold"],
        ).format(placed=num(shown["placed"]), voters=num(shown["voters"]), n=shown["threshold"]),
        "words": words,
    }
