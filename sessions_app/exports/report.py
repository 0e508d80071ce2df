"""The council report (PDF, reportlab platypus with reportlab graphics), in the process's
language: a cover, the purpose, level and promise, each question with a chart, its split
by source and whether it is final, highlights of the open answers, the paper
reconciliation, the follow-up, and a summary of the log with its chain head.

All numbers come from ``data`` (the one result function). Every text from people goes
through ``escape`` before it becomes a platypus paragraph, so markup in an answer prints
as the characters it is.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import BinaryIO
from xml.sax.saxutils import escape

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Circle, Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from printables import fonts
from sessions_app.models import FollowUpOutcome, Level, Process, QuestionKind
from sessions_app.opinion.summary import exported as opinion_exported
from sessions_app.opinion.summary import group_colour
from sessions_app.opinion.summary import summary as opinion_summary

from . import data
from .lines import SOURCES, result_lines, source_names

#: One colour per source, the same as on the presenter (and distinguishable in grey).
SOURCE_COLOURS = {
    "room": colors.HexColor("#1f5fa8"),
    "remote": colors.HexColor("#6aa6e0"),
    "paper": colors.HexColor("#c2571a"),
    "hands": colors.HexColor("#8a8a8a"),
}
HIGHLIGHTS = 12
#: The tallest chart (points) and the most lines it shows (the most answered ones).
CHART_HEIGHT = 600
CHART_LINES = 40
WIDTH = A4[0] - 40 * mm


def _styles() -> dict[str, ParagraphStyle]:
    fonts.register()
    base = ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=10, leading=14)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11),
        "title": ParagraphStyle("title", parent=base, fontName=fonts.BOLD, fontSize=24, leading=30),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=16,
            leading=20,
            spaceBefore=6,
            spaceAfter=6,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=12,
            leading=16,
            spaceBefore=10,
            spaceAfter=4,
        ),
        "mono": ParagraphStyle("mono", parent=base, fontName="Courier", fontSize=8, leading=10),
    }


def _p(text, style) -> Paragraph:
    text = "" if text is None else str(text)
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _date(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    return formats.date_format(value, "DATE_FORMAT")


def _table(rows: list[list], widths: list[float], style) -> Table:
    table = Table(
        [[c if isinstance(c, Paragraph) else _p(c, style) for c in row] for row in rows],
        colWidths=widths,
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), fonts.BOLD),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _chart(lines: list[tuple[str, dict]], names: dict[str, str]) -> Drawing:
    """A horizontal bar per line, stacked by source, with a legend; bars get thinner as
    lines get more, so that the chart fits a page (``CHART_LINES`` at most)."""
    bar = min(14, (CHART_HEIGHT - 54) / (1.4 * len(lines)))
    height = 30 + bar * len(lines) * 1.4 + 24
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 34
    chart.width, chart.height = WIDTH - 170, height - 50
    chart.data = [[counts.get(source) or 0 for _name, counts in lines] for source in SOURCES]
    chart.categoryAxis.categoryNames = [name[:40] for name, _counts in lines]
    chart.categoryAxis.labels.fontName = fonts.REGULAR
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.reverseDirection = True
    chart.valueAxis.labels.fontName = fonts.REGULAR
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.valueMin = 0
    chart.categoryAxis.style = "stacked"
    for index, source in enumerate(SOURCES):
        chart.bars[index].fillColor = SOURCE_COLOURS[source]
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 150, 12
    legend.fontName = fonts.REGULAR
    legend.fontSize = 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [(SOURCE_COLOURS[s], names[s]) for s in SOURCES]
    drawing.add(legend)
    return drawing


def write(process: Process, stream: BinaryIO) -> None:
    with translation.override(process.language), data.snapshot():
        process.refresh_from_db(fields=["log_seq", "log_head"])
        story = _story(process, _styles())
        document = SimpleDocTemplate(
            stream,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=18 * mm,
            bottomMargin=18 * mm,
            title=process.title,
            author=process.decision_maker or "Inspraak",
            subject=_("Report for the council"),
        )
        document.build(story, onFirstPage=_footer, onLaterPages=_footer)


def _footer(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont(fonts.REGULAR, 8)
    canvas.drawString(20 * mm, 10 * mm, document.title)
    canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, str(document.page))
    canvas.restoreState()


def _story(process: Process, st: dict) -> list:
    names = source_names()
    part = data.process_part(process)
    questions = data.questions_of(process)
    parts = [data.question_part(q) for q in questions]
    results = data.results_part(questions)
    levels = dict(Level.choices)
    story: list = [
        Spacer(1, 40 * mm),
        _p(_("Report for the council"), st["h2"]),
        _p(process.title, st["title"]),
        Spacer(1, 8 * mm),
        _p(_("Who decides: %(who)s") % {"who": part["decision_maker"]}, st["body"]),
        _p(
            _("Participation level: %(level)s") % {"level": levels.get(part["level"], "")},
            st["body"],
        ),
        _p(_("Made on %(date)s") % {"date": _date(timezone.now())}, st["body"]),
        PageBreak(),
        _p(_("Purpose, level and promise"), st["h1"]),
        _p(_("Why the input was asked for"), st["h2"]),
        _p(part["purpose"], st["body"]),
        _p(_("How much say participants had"), st["h2"]),
        _p(levels.get(part["level"], ""), st["body"]),
        _p(_("What will be done with the input"), st["h2"]),
        _p(part["promise"], st["body"]),
        _p(_("Results"), st["h1"]),
    ]
    split_header = [_("option or value"), *(names[k] for k in (*SOURCES, "total")), "%"]
    widths = [WIDTH - 6 * 17 * mm, *[17 * mm] * 6]
    for number, (qpart, result) in enumerate(zip(parts, results, strict=True), start=1):
        lines = list(result_lines(qpart, result))
        respondents = result["respondents"]
        block = [
            _p(f"{number}. {qpart['text']}", st["h2"]),
            _p(
                (
                    _("Provisional: paper forms may still be entered.")
                    if result["provisional"]
                    else _("Final.")
                )
                + " "
                + _(
                    "Participants: %(total)d (in the room %(room)d, remote %(remote)d, paper %(paper)d, hands %(hands)d)."
                )
                % respondents,
                st["small"],
            ),
        ]
        charted = [
            (name, counts)
            for name, counts, _percent, _note in lines
            if any(counts.get(s) for s in SOURCES)
        ]
        if charted and qpart["kind"] != QuestionKind.OPEN_TEXT:
            if len(charted) > CHART_LINES:
                block.append(
                    _p(
                        _(
                            "The chart shows the %(n)d lines with the most answers; the table has all."
                        )
                        % {"n": CHART_LINES},
                        st["small"],
                    )
                )
                most = sorted(charted, key=lambda line: -(line[1].get("total") or 0))
                keep = {id(line) for line in most[:CHART_LINES]}
                charted = [line for line in charted if id(line) in keep]
            block.append(_chart(charted, names))
        rows = [split_header] + [
            [
                name + (f" ({note})" if note else ""),
                *(counts.get(k, "") for k in (*SOURCES, "total")),
                percent if percent is not None else "",
            ]
            for name, counts, percent, note in lines
        ]
        block.append(_table(rows, widths, st["small"]))
        story.append(KeepTogether(block[:3]))
        story.extend(block[3:])
    story += _opinion_maps(parts, data.opinion_maps_part(questions), st)
    story += _open_text(parts, results, st)
    story += _paper(process, st)
    story += _follow_up(process, parts, st)
    story += _log_summary(process, st)
    return story


def _opinion_drawing(view: dict) -> Drawing:
    """The map: every placed participant a dot in their group's colour, each group's
    letter at its centre (colour is never the only cue)."""
    side = 80 * mm
    drawing = Drawing(side, side)
    points = [*view["dots"], *([*g["center"], g["label"]] for g in view["groups"])]
    reach = max([0.001, *(max(abs(x), abs(y)) for x, y, _label in points)]) * 1.15
    half = side / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return half + half * x / reach, half + half * y / reach

    grey = colors.HexColor("#c9d0d8")
    drawing.add(Line(0, half, side, half, strokeColor=grey, strokeWidth=0.5))
    drawing.add(Line(half, 0, half, side, strokeColor=grey, strokeWidth=0.5))
    for x, y, label in view["dots"]:
        cx, cy = at(x, y)
        colour = colors.HexColor(group_colour(label))
        drawing.add(Circle(cx, cy, 1.6, fillColor=colour, strokeColor=None))
    for group in view["groups"]:
        cx, cy = at(*group["center"])
        drawing.add(
            Circle(
                cx,
                cy,
                9,
                fillColor=colors.white,
                strokeColor=colors.HexColor(group_colour(group["label"])),
                strokeWidth=2,
            )
        )
        drawing.add(
            String(
                cx, cy - 3.5, group["name"], fontName=fonts.BOLD, fontSize=10, textAnchor="middle"
            )
        )
    return drawing


def _opinion_maps(parts: list[dict], maps: list[dict], st: dict) -> list:
    """A section per statements question: the map, what sets each group apart, where
    they agree and where they differ."""
    if not maps:
        return []
    out = [PageBreak(), _p(_("Opinion maps"), st["h1"])]
    by_id = {p["id"]: (number, p) for number, p in enumerate(parts, start=1)}
    for found in maps:
        number, qpart = by_id[found["question"]]
        texts = {o["id"]: o["text"] for o in qpart["options"]}
        view = opinion_summary(opinion_exported(found), texts)
        heading = _p(f"{number}. {qpart['text']}", st["h2"])
        explained = _p(
            _(
                "%(placed)d of %(voters)d participants are on the map: those who voted on "
                "at least %(threshold)d statements. Dots close together voted alike."
            )
            % {
                "placed": view["placed"],
                "voters": view["voters"],
                "threshold": view["threshold"],
            },
            st["small"],
        )
        if not view["groups"]:
            out += [
                heading,
                explained,
                _p(_("There are no groups: too few votes, or everyone voted alike."), st["body"]),
            ]
            continue
        rows = [[_("group"), _("people"), _("what sets the group apart")]]
        for group in view["groups"]:
            lines = [
                (
                    _("agrees %(percent)s%%")
                    if line["direction"] == "agree"
                    else _("disagrees %(percent)s%%")
                )
                % {"percent": line["percent"]}
                + f": {line['text']}"
                for line in group["representative"]
            ]
            rows.append(
                [_("Group %(name)s") % {"name": group["name"]}, group["size"], "\n".join(lines)]
            )
        block = [
            KeepTogether([heading, explained, _opinion_drawing(view)]),
            Spacer(1, 3 * mm),
            _table(rows, [25 * mm, 18 * mm, WIDTH - 43 * mm], st["small"]),
        ]
        for title, lines in (
            (_("Where the groups agree"), view["consensus"]),
            (_("Where the groups differ"), view["divisive"]),
        ):
            if not lines:
                continue
            block.append(_p(title, st["h2"]))
            for line in lines:
                split = " · ".join(
                    _("%(name)s: %(percent)s%%") % {"name": g["name"], "percent": g["agree"]}
                    for g in line["by_group"]
                )
                block.append(_p(f"{line['text']} ({_('agree')}: {split})", st["body"]))
        out.extend(block)
    return out


def _open_text(parts: list[dict], results: list[dict], st: dict) -> list:
    out = [_p(_("Open answers: highlights"), st["h1"])]
    any_text = False
    for qpart, result in zip(parts, results, strict=True):
        if qpart["kind"] != QuestionKind.OPEN_TEXT:
            continue
        approved = result["approved"]
        out.append(_p(qpart["text"], st["h2"]))
        out.append(
            _p(
                _(
                    "%(shown)d of %(approved)d approved answers; %(pending)d awaiting moderation, %(hidden)d hidden."
                )
                % {
                    "shown": min(HIGHLIGHTS, len(approved)),
                    "approved": len(approved),
                    "pending": result["pending"],
                    "hidden": result["hidden"],
                },
                st["small"],
            )
        )
        for answer in approved[:HIGHLIGHTS]:
            any_text = True
            shown = f"“{answer['text']}”" if answer["text"] else _("(text erased)")
            out.append(_p(shown, st["body"]))
    if not any_text:
        out.append(_p(_("There are no approved open answers."), st["body"]))
    return out


def _paper(process: Process, st: dict) -> list:
    labels = {
        "printed": _("printed"),
        "counted": _("counted"),
        "verified": _("of which entered twice alike"),
        "entered": _("entered, waiting"),
        "conflict": _("entries differ"),
        "voided": _("voided"),
        "not_returned": _("not returned"),
    }
    rows = [[_("meeting"), *labels.values()]]
    for session in data.sessions_part(process):
        rows.append([session["title"], *(session["paper"][k] for k in labels)])
    width = (WIDTH - 45 * mm) / len(labels)
    return [
        _p(_("Paper reconciliation"), st["h1"]),
        _table(rows, [45 * mm, *[width] * len(labels)], st["small"]),
    ]


def _follow_up(process: Process, parts: list[dict], st: dict) -> list:
    outcomes = dict(FollowUpOutcome.choices)
    texts = {p["id"]: p["text"] for p in parts}
    out = [_p(_("Follow-up: what was done with the input"), st["h1"])]
    follow_ups = data.follow_ups_part(process)
    for follow_up in follow_ups:
        about = (
            texts.get(follow_up["question"])
            if follow_up["question"]
            else _("The process as a whole")
        )
        out.append(_p(about, st["h2"]))
        out.append(
            _p(
                f"{outcomes.get(follow_up['outcome'], follow_up['outcome'])} · {_date(datetime.fromisoformat(follow_up['decided_on']).date())}",
                st["small"],
            )
        )
        out.append(_p(follow_up["reasoning"], st["body"]))
    if not follow_ups:
        out.append(_p(_("Nothing has been recorded yet."), st["body"]))
    return out


def _log_summary(process: Process, st: dict) -> list:
    actions: Counter = Counter()
    first = last = None
    count = 0
    for entry in data.log_entries(process):
        count += 1
        actions[entry["action"]] += 1
        first = first or entry["at"]
        last = entry["at"]
    rows = [[_("what"), _("entries")]] + [[a, n] for a, n in sorted(actions.items())]
    return [
        _p(_("Transparency log"), st["h1"]),
        _p(
            _("%(count)d entries, from %(first)s to %(last)s (UTC). Chain head:")
            % {"count": count, "first": first or "", "last": last or ""},
            st["body"],
        ),
        _p(process.log_head, st["mono"]),
        _p(
            _(
                "Anyone can check the chain and recount every result from the open data: python manage.py verify_log --export FILE.json."
            ),
            st["small"],
        ),
        Spacer(1, 4 * mm),
        _table(rows, [WIDTH - 30 * mm, 30 * mm], st["small"]),
    ]
