"""The council's workbook (XLSX, openpyxl in write-only mode): the process, the results
split by source, a sheet with a native chart per question, every raw response, the open
text, the paper reconciliation, the follow-up, the log and how to verify it.

All numbers come from ``data`` (and so from ``results.question_results``). Text that a
spreadsheet would read as a formula is written as text. Times are local to the process's
time zone (spreadsheets know no time zones), and say so in the header.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sessions_app.models import (
    DocumentKind,
    FollowUpOutcome,
    Level,
    Moderation,
    Process,
    QuestionKind,
    ResponseStatus,
    SessionState,
)
from sessions_app.numbering import agenda_numbers, question_label
from sessions_app.numbers import number as figure
from sessions_app.opinion.summary import group_colour
from sessions_app.results import results_final
from sessions_app.selectors import session_days
from sessions_app.session_report import session_report

from . import data
from .lines import SOURCES, answer_note, result_lines, source_names, unit_name
from .xlsx import SIGNED, Formatted, RowWriter


class Sheet:
    """A write-only sheet whose rows are written by ``xlsx.RowWriter``: text is never a
    formula, aware times become local and plain (spreadsheets know no time zones).

    Every sheet prints landscape on A4, one page wide. A sheet with a table names its
    ``header`` row: the rows down to it stay in view when scrolling (frozen) and print
    at the top of every page, and the table below it gets a filter; ``filter_at`` moves
    the filter to a later table of the sheet (there is one filter per sheet)."""

    def __init__(
        self,
        book: Workbook,
        title: str,
        widths: dict[str, int] | None = None,
        *,
        header: int | None = 1,
    ):
        ws = book.create_sheet(title[:31])
        for column, width in (widths or {}).items():
            ws.column_dimensions[column].width = width  # before the first row: cols come first
        # Written with the sheet's top, before the first row.
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages down as it takes
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = True
        if header:
            ws.freeze_panes = f"A{header + 1}"
            ws.print_title_rows = f"1:{header}"
        self.ws = ws
        self.filter_row = header
        self.filter_columns = 0
        self.writer = RowWriter(ws, on_close=self._close)
        self.zone = ZoneInfo(settings.TIME_ZONE)

    def filter_at(self, row: int | None) -> None:
        self.filter_row = row

    def _close(self) -> None:
        """Once the last row is written: the filter covers the table's heading and rows
        (a table without rows still gets one on its heading)."""
        last = self.rows
        if self.filter_row and last >= self.filter_row and self.filter_columns:
            end = get_column_letter(self.filter_columns)
            self.ws.auto_filter.ref = f"A{self.filter_row}:{end}{last}"

    @property
    def rows(self) -> int:
        return self.writer.index

    def row(self, *values, bold: bool = False, wrap: bool = False) -> int:
        number = self.writer.append(values, bold=bold, wrap=wrap)
        if number == self.filter_row:
            self.filter_columns = len(values)
        return number

    def local(self, moment: datetime | None) -> datetime | None:
        """An aware time as the plain local time a spreadsheet shows."""
        return moment.astimezone(self.zone).replace(tzinfo=None) if moment else None

    def header(self, *values) -> int:
        return self.row(*values, bold=True)


def _local(text: str | None) -> datetime | None:
    """An export time (ISO 8601, already in the process's time zone) as a plain local
    time."""
    return datetime.fromisoformat(text).replace(tzinfo=None) if text else None


def _choices(model_choices) -> dict[str, str]:
    return {value: str(label) for value, label in model_choices}


def write(process: Process, stream: BinaryIO) -> None:
    with translation.override(process.language), data.snapshot():
        process.refresh_from_db(fields=["log_seq", "log_head"])
        book = Workbook(write_only=True)
        questions = data.questions_of(process)
        parts = [data.question_part(q) for q in questions]
        results = data.results_part(questions)
        labels = _Names(process, parts)
        _process_sheet(book, process)
        states = dict(process.sessions.values_list("pk", "state"))
        _results_sheet(book, labels, parts, results, states)
        for part, result in zip(parts, results, strict=True):
            if not part["evaluation"] and labels.sheet(part):
                _question_sheet(book, labels, part, result, states[part["session"]])
        for found in data.opinion_maps_part(questions):
            _opinion_sheet(book, labels, found)
        counts = _responses_sheets(book, process, labels, parts)
        _paper_sheet(book, process)
        _follow_up_sheet(book, process, labels, parts)
        _qna_sheet(book, labels, parts, results)
        _session_report_sheet(book, process)
        log_count, head = _log_sheet(book, process)
        _integrity_sheet(book, process, counts, log_count, head)
        book.save(stream)


def _process_sheet(book: Workbook, process: Process) -> None:
    sheet = Sheet(book, _("Process"), {"A": 28, "B": 90})
    part = data.process_part(process)
    sheet.row(process.title, bold=True)
    rows = [
        (_("purpose"), part["purpose"]),
        (_("participation level"), _choices(Level.choices).get(part["level"], part["level"])),
        (_("promise: what will be done with the input"), part["promise"]),
        (_("who decides"), part["decision_maker"]),
        (_("state"), process.get_state_display()),
        (_("published"), _local(part["published_at"])),
        (_("closed"), _local(part["closed_at"])),
    ]
    for label, value in rows:
        sheet.row(label, value, wrap=True)
    _dossier_rows(sheet, process)
    sheet.row()
    sheet.header(_("Meetings"))
    sheet.filter_at(sheet.rows + 1)
    sheet.header(
        _("title"),
        _("start time"),
        _("end time"),
        _("venue"),
        _("mode"),
        _("state"),
        _("held on another day"),
    )
    sessions = list(process.sessions.all())
    days = session_days(sessions=sessions)
    for session in sessions:
        day = days[session.pk]
        sheet.row(
            session.title,
            sheet.local(session.starts_at),
            sheet.local(session.ends_at),
            session.venue,
            session.get_mode_display(),
            session.get_state_display(),
            # Only when it differs from the planned day (the start time's).
            day.held if day.moved else None,
        )


def _dossier_rows(sheet: Sheet, process: Process) -> None:
    """The dossier as the public page shows it (``data.dossier_part``), as a table on the
    Process sheet: the council's latest decision, each document with its SHA-256 (the
    one the log holds) and where to download it, each link. Nothing when it is empty."""
    dossier = data.dossier_part(process)
    if not (dossier["documents"] or dossier["links"] or dossier["decision"]):
        return
    kinds = _choices(DocumentKind.choices)
    sheet.row()
    sheet.header(_("Dossier: the background"))
    sheet.header(
        _("title"),
        _("summary in plain language"),
        _("type"),
        _("date"),
        _("fingerprint (SHA-256)"),
        _("address"),
    )
    decision = dossier["decision"]
    if decision:
        sheet.row(
            _("The council's decision"),
            decision["summary"],
            "",
            date.fromisoformat(decision["date"]) if decision["date"] else None,
            "",
            decision["url"],
            wrap=True,
        )
    for document in dossier["documents"]:
        path = reverse("public:dossier_document", args=[process.slug, document["id"]])
        sheet.row(
            document["title"],
            document["summary"],
            capfirst(kinds.get(document["kind"], document["kind"])),
            date.fromisoformat(document["date"]),
            document["sha256"],
            # A whole address when one is known (``data.public_url``), else the path.
            data.public_url(path) or path,
            wrap=True,
        )
    for link in dossier["links"]:
        sheet.row(
            link["title"],
            link["summary"],
            _("Council document elsewhere"),
            date.fromisoformat(link["date"]),
            "",
            link["url"],
            wrap=True,
        )


class _Names:
    """How the workbook names each question: by its number on its session's paper form
    (``numbering.agenda_numbers``), as the report, the public page and the form do.

    - ``label``: ``3. Text``; when the process has questions in more than one meeting,
      with the meeting's title first (``Tweede avond, 3. Text``), as the report names a
      question outside its session's section; a Q&A round (no number) by its text.
    - ``sheet``: the question's own sheet, ``Q3``, or ``M2 Q3`` (the second meeting on
      the Process sheet, its question 3) with more than one meeting; none for a Q&A
      round.
    - ``cell``: the question in a row of the Responses and Open text sheets: its
      number, or its sheet's name with more than one meeting; a round's label."""

    def __init__(self, process: Process, parts: list[dict]):
        self.numbers = agenda_numbers(parts)
        sessions = list(process.sessions.values_list("pk", "title"))
        self.titles = dict(sessions)
        self.meetings = {pk: place for place, (pk, _title) in enumerate(sessions, start=1)}
        self.several = len({part["session"] for part in parts}) > 1
        self.parts = {part["id"]: part for part in parts}

    def number(self, part: dict) -> int | None:
        return self.numbers.get(part["id"])

    def label(self, part: dict) -> str:
        session = self.titles[part["session"]] if self.several else ""
        return question_label(self.number(part), part["text"], session)

    def sheet(self, part: dict) -> str | None:
        number = self.number(part)
        if number is None:
            return None
        if self.several:
            return _("M%(meeting)d Q%(n)d") % {
                "meeting": self.meetings[part["session"]],
                "n": number,
            }
        return _("Q%(n)d") % {"n": number}

    def map_sheet(self, part: dict) -> str:
        if self.several:
            return _("Map M%(meeting)d Q%(n)d") % {
                "meeting": self.meetings[part["session"]],
                "n": self.number(part),
            }
        return _("Map Q%(n)d") % {"n": self.number(part)}

    def cell(self, question_id: int) -> int | str | None:
        part = self.parts.get(question_id)
        if part is None:
            return None
        if self.number(part) is None:
            return self.label(part)
        return self.sheet(part) if self.several else self.number(part)


def _results_sheet(
    book: Workbook,
    labels: _Names,
    parts: list[dict],
    results: list[dict],
    states: dict[int, str],
) -> None:
    names = source_names()
    sheet = Sheet(book, _("Results"), {"A": 50, "B": 36})
    sheet.header(
        _("question"),
        _("option or value"),
        *(names[key] for key in (*SOURCES, "total")),
        _("percent"),
        _("notes"),
    )
    for part, result in zip(parts, results, strict=True):
        if part["evaluation"]:
            continue  # in the session report
        label = labels.label(part)
        respondents = result["respondents"]
        final = results_final(states[part["session"]], result["provisional"])
        state = _("final") if final else _("provisional")
        sheet.row(
            label,
            _("respondents"),
            *(respondents[key] for key in (*SOURCES, "total")),
            None,
            state,
            bold=True,
        )
        for name, counts, percent, note in result_lines(part, result):
            sheet.row(label, name, *(counts.get(key) for key in (*SOURCES, "total")), percent, note)


def _question_sheet(book: Workbook, labels: _Names, part: dict, result: dict, state: str) -> None:
    """The question, its table by source, and a bar chart of it (stacked by source);
    ``state``: its session's (final as the report has it, ``results.results_final``)."""
    names = source_names()
    sheet = Sheet(book, labels.sheet(part), {"A": 44}, header=3)
    sheet.row(labels.label(part), bold=True)
    if results_final(state, result["provisional"]):
        sheet.row(_("final"))
    elif state == SessionState.ENDED:
        sheet.row(_("provisional: paper forms may still be entered"))
    else:
        sheet.row(_("provisional: the session has not ended"))
    first = sheet.header(_("option or value"), *(names[key] for key in (*SOURCES, "total")))
    lines = [
        (name, counts)
        for name, counts, _percent, _note in result_lines(part, result)
        if part["kind"] != QuestionKind.SCALE or name not in (_("mean"), _("median"))
    ]
    for name, counts in lines:
        sheet.row(name, *(counts.get(key) for key in (*SOURCES, "total")))
    if part["kind"] == QuestionKind.SCALE:
        sheet.row(_("mean"), None, None, None, None, result["mean"])
        sheet.row(_("median"), None, None, None, None, result["median"])
    if not lines or part["kind"] == QuestionKind.OPEN_TEXT:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = part["text"][:120]
    chart.y_axis.title = _("answers") if part["kind"] != QuestionKind.BUDGET else unit_name(part)
    chart.height, chart.width = 4 + 0.8 * len(lines), 22
    values = Reference(sheet.ws, min_col=2, max_col=5, min_row=first, max_row=first + len(lines))
    categories = Reference(sheet.ws, min_col=1, min_row=first + 1, max_row=first + len(lines))
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(categories)
    sheet.ws.add_chart(chart, "H2")


def _opinion_sheet(book: Workbook, labels: _Names, found: dict) -> None:
    """A statements question's opinion map: its groups and what sets each apart, every
    statement's votes by group, every placed participant's group and position, and a
    native scatter chart of them, a series per group."""
    part = labels.parts[found["question"]]
    texts = {o["id"]: o["text"] for o in part["options"]}
    sheet = Sheet(book, labels.map_sheet(part), {"A": 16, "B": 60, "C": 12})
    sheet.row(f"{labels.label(part)} · {_('opinion map')}", bold=True)
    sheet.row(
        ngettext(
            "%(placed)s of %(voters)s participants are on the map: those who voted on at "
            "least %(threshold)s statement. How it is computed: docs/opinion-map.md.",
            "%(placed)s of %(voters)s participants are on the map: those who voted on at "
            "least %(threshold)s statements. How it is computed: docs/opinion-map.md.",
            found["threshold"],
        )
        % {key: figure(found[key]) for key in ("placed", "voters", "threshold")}
    )
    sheet.row()
    names = {g["label"]: g["name"] for g in found["groups"]}
    sheet.header(_("group"), _("people"), _("centre x"), _("centre y"))
    for group in found["groups"]:
        sheet.row(_("Group %(name)s") % {"name": group["name"]}, group["size"], *group["center"])
    sheet.row()
    sheet.header(
        _("group"),
        _("statement"),
        _("vote"),
        # Smoothed, as docs/opinion-map.md defines it: not the plain share of the votes.
        _("smoothed rate"),
        _("others' smoothed rate"),
        "z",
        _("z (vs others)"),
    )
    for group in found["groups"]:
        for rep in group["representative"]:
            sheet.row(
                names[group["label"]],
                texts.get(rep["statement"], rep["statement"]),
                _("agree") if rep["direction"] == "agree" else _("disagree"),
                rep["rate"],
                rep["rest_rate"],
                rep["rate_z"],
                rep["ratio_z"],
            )
    sheet.row()
    labels = [g["label"] for g in found["groups"]]
    sheet.header(
        _("statement"),
        _("text"),
        _("agree"),
        _("disagree"),
        _("pass"),
        _("consensus"),
        _("divisiveness"),
        _("hidden"),
        *(
            f"{names[label]}: {vote}"
            for label in labels
            for vote in (_("agree"), _("disagree"), _("pass"))
        ),
    )
    for stat in found["statements"]:
        sheet.row(
            stat["statement"],
            texts.get(stat["statement"], ""),
            stat["agree"],
            stat["disagree"],
            stat["pass"],
            stat["consensus_agree"],
            stat["divisiveness"],
            _("yes") if stat["hidden"] else "",
            *(n for label in labels for n in stat["by_group"].get(str(label), [0, 0, 0])),
        )
    sheet.row()
    sheet.filter_at(sheet.rows + 1)  # the longest table: everyone on the map
    first = sheet.header(_("participant"), _("external id"), _("group"), "x", "y") + 1
    people = sorted(found["participants"], key=lambda p: (p["group"] is None, p["group"] or 0))
    for person in people:
        sheet.row(
            person["participant"],
            person["external_id"],
            names.get(person["group"], ""),
            person["x"],
            person["y"],
        )
    if not found["groups"]:
        return
    chart = ScatterChart()
    chart.title = _("Opinion map")
    chart.style = 13
    chart.x_axis.title, chart.y_axis.title = "x", "y"
    chart.height, chart.width = 12, 14
    row = first
    for group in found["groups"]:
        size = sum(1 for p in people if p["group"] == group["label"])
        xs = Reference(sheet.ws, min_col=4, min_row=row, max_row=row + size - 1)
        ys = Reference(sheet.ws, min_col=5, min_row=row, max_row=row + size - 1)
        series = Series(ys, xs, title=_("Group %(name)s") % {"name": group["name"]})
        series.marker.symbol = "circle"
        series.marker.size = 6
        colour = group_colour(group["label"]).lstrip("#")
        series.marker.graphicalProperties.solidFill = colour
        series.marker.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.noFill = True
        chart.series.append(series)
        row += size
    sheet.ws.add_chart(chart, "J2")


def _answer_text(response: dict, options: dict[int, str], kind: str = "") -> str | int:
    """A response in words: options by name (with their place or points where those
    count), a vote, or a scale's value as a number (a cell Excel reads as one)."""
    if response["statement"] is not None and kind == QuestionKind.QNA:
        vote = _("upvote") if response["number"] == 1 else _("upvote withdrawn")
        return f"{options.get(response['statement'], response['statement'])}: {vote}"
    if response["statement"] is not None:
        vote = {1: _("agree"), -1: _("disagree"), 0: _("pass")}.get(response["number"], "")
        return f"{options.get(response['statement'], response['statement'])}: {vote}"
    if response["items"] and kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
        return "; ".join(str(options.get(o, o)) for o, _value in response["items"])
    if response["items"]:
        return "; ".join(f"{options.get(o, o)} = {v}" for o, v in response["items"])
    if response["number"] is not None:
        return response["number"]
    return response["text"]


def _responses_sheets(book: Workbook, process: Process, labels: _Names, parts: list[dict]) -> dict:
    """The Responses sheet and the Open text sheet, filled in one pass over the rows."""
    names = source_names()
    statuses = _choices(ResponseStatus.choices)
    moderation = _choices(Moderation.choices)
    options = {o["id"]: o["text"] for part in parts for o in part["options"]}
    numbers = {part["id"]: labels.cell(part["id"]) for part in parts}
    open_ids = {part["id"] for part in parts if part["kind"] == QuestionKind.OPEN_TEXT}
    kinds = {part["id"]: part["kind"] for part in parts}
    sheet = Sheet(book, _("Responses"), {"D": 18, "E": 50, "I": 20})
    texts = Sheet(book, _("Open text"), {"C": 70})
    sheet.header(
        _("response"),
        _("question"),
        _("participant"),
        _("source"),
        _("answer"),
        _("status"),
        _("sheet code"),
        _("teller"),
        _("time (%(zone)s)") % {"zone": data.time_zone()},
        _("replaces response"),
    )
    # As in the open data: a text withheld from the public (waiting, hidden) is blank, and
    # the moderators' reasons are in the staff variant only.
    texts.header(_("question"), _("response"), _("text"), _("moderation"))
    counts = {"responses": 0, "counted": 0}
    for response in data.responses(process):
        counts["responses"] += 1
        counted = response["status"] == ResponseStatus.COUNTED
        counts["counted"] += counted
        sheet.row(
            response["id"],
            numbers.get(response["question"]),
            response["external_id"] or response["participant"],
            names[response["channel"]],
            _answer_text(response, options, kinds.get(response["question"], "")),
            statuses.get(response["status"], response["status"]),
            response["sheet"],
            response["teller"],
            _local(response["created_at"]),
            response["supersedes"],
        )
        if counted and response["question"] in open_ids:
            texts.row(
                numbers[response["question"]],
                response["id"],
                response["text"],
                moderation.get(response["moderation"] or "", ""),
            )
    return counts


def _paper_sheet(book: Workbook, process: Process) -> None:
    sheet = Sheet(book, _("Paper"), {"A": 36})
    labels = {
        "printed": _("printed"),
        "not_returned": _("not returned"),
        "being_read": _("read from a picture, not yet counted"),
        "entered": _("entered, waiting"),
        "conflict": _("entries differ"),
        "counted": _("counted"),
        "verified": _("of which entered twice alike"),
        "voided": _("voided"),
    }
    sheet.header(_("meeting"), *labels.values())
    for session in data.sessions_part(process):
        sheet.row(session["title"], *(session["paper"][key] for key in labels))


def _follow_up_sheet(book: Workbook, process: Process, labels: _Names, parts: list[dict]) -> None:
    outcomes = _choices(FollowUpOutcome.choices)
    sheet = Sheet(book, _("Follow-up"), {"A": 44, "C": 80})
    sheet.header(_("about"), _("outcome"), _("reasoning"), _("date of the decision"))
    agenda = [part["id"] for part in parts]
    for follow_up in data.in_agenda_order(data.follow_ups_part(process), agenda):
        question = follow_up["question"]
        about = labels.label(labels.parts[question]) if question else _("the process as a whole")
        sheet.row(
            about,
            outcomes.get(follow_up["outcome"], follow_up["outcome"]),
            follow_up["reasoning"],
            datetime.fromisoformat(follow_up["decided_on"]).date(),
            wrap=True,
        )


def _session_report_sheet(book: Workbook, process: Process) -> None:
    """The session report of every session held (``sessions_app.session_report``):
    turnout by source and per question with the drop-off, the shares, answers per minute
    (with a native chart), moderation and the evaluation's results. The facilitator's
    notes are private to staff and not in this file."""
    held = [s for s in process.sessions.all() if s.state != SessionState.PLANNED]
    if not held:
        return
    names = source_names()
    columns = (*SOURCES, "total")
    sheet = Sheet(book, _("Session report"), {"A": 50, "B": 16, "G": 18, "H": 18})
    sheet.filter_at(None)  # a table per session and part, none for the whole sheet
    sheet.row(
        _(
            "Per session held: who took part, the drop-off, moderation, the evaluation and answers per minute"
        ),
        bold=True,
    )
    sheet.row()
    for session in held:
        found = session_report(session)
        turnout, shares = found["turnout"], found["shares"]
        day = found["session"]["day"]
        if day.moved:
            # The planned start, then the day it was held instead.
            sheet.row(
                session.title,
                sheet.local(session.starts_at),
                _("held on"),
                day.held,
                bold=True,
            )
        else:
            sheet.row(session.title, sheet.local(session.starts_at), bold=True)
        if found["provisional"]:
            sheet.row(_("Paper forms may still be entered: these numbers are provisional."))
        sheet.header(
            _("who took part"),
            _("phones in the room"),
            _("phones from elsewhere"),
            _("paper forms"),
            _("people (phones and paper)"),
            _("hands (largest count)"),
        )
        sheet.row(
            _("people"), *(turnout[k] for k in ("room", "remote", "paper", "people", "hands"))
        )
        sheet.row(_("share of the people (%)"), shares["room"], shares["remote"], shares["paper"])
        sheet.row()
        sheet.header(_("share of the people"), _("percent"))
        sheet.row(_("phones"), shares["phones"])
        sheet.row(_("in the room, phones and paper"), shares["in_room"])
        sheet.row()
        if found["questions"]:
            sheet.header(
                _("question"),
                *(names[key] for key in columns),
                _("change from the question before"),
                _("of the first question's answers (%)"),
            )
            for item in found["questions"]:
                sheet.row(
                    question_label(item["number"], item["text"]),
                    *(item["respondents"].get(key, 0) for key in columns),
                    # As the report writes it: "+3" more than the question before, "-2" fewer.
                    None if item["drop"] is None else Formatted(-item["drop"], SIGNED),
                    item["of_first"],
                    wrap=True,
                )
            sheet.row()
        moderation = found["moderation"]
        sheet.header(_("moderation"), pgettext("how many", "number"))
        for label, key in (
            (_("statements proposed and approved"), "statements_approved"),
            (_("statements proposed and hidden"), "statements_hidden"),
            (_("statements proposed, waiting"), "statements_pending"),
            (_("questions to the panel approved"), "qna_approved"),
            (_("questions to the panel hidden"), "qna_hidden"),
            (_("questions to the panel waiting"), "qna_pending"),
            (_("questions to the panel merged"), "qna_merged"),
            (_("open answers hidden"), "answers_hidden"),
            (_("answers held for review"), "answers_held"),
        ):
            sheet.row(label, moderation[key])
        sheet.row()
        for item in found["evaluation"]:
            result = item["result"]
            sheet.row(_("Evaluation: %(question)s") % {"question": item["text"]}, bold=True)
            if item["kind"] == QuestionKind.SCALE:
                sheet.header(_("value"), *(names[key] for key in columns))
                for line in result["distribution"]:
                    sheet.row(line["value"], *(line["counts"][key] for key in columns))
                sheet.row(_("mean"), None, None, None, None, result["mean"])
            elif result.get("options"):
                sheet.header(_("answer"), *(names[key] for key in columns), _("percent"))
                for option in result["options"]:
                    sheet.row(
                        option["text"],
                        *(option["counts"][key] for key in columns),
                        option["percent"],
                    )
            sheet.row()
        minutes = found["per_minute"]["minutes"]
        if minutes:
            sheet.header(_("minute"), _("answers from phones"))
            first = sheet.rows
            for minute in minutes:
                sheet.row(sheet.local(minute["at"]).strftime("%H:%M"), minute["n"])
            chart = BarChart()
            chart.title = _("Answers per minute: %(session)s") % {"session": session.title[:80]}
            chart.y_axis.title = _("answers")
            chart.legend = None
            chart.height, chart.width = 7, 24
            values = Reference(sheet.ws, min_col=2, min_row=first, max_row=first + len(minutes))
            labels = Reference(sheet.ws, min_col=1, min_row=first + 1, max_row=first + len(minutes))
            chart.add_data(values, titles_from_data=True)
            chart.set_categories(labels)
            # Beside its own numbers.
            sheet.ws.add_chart(chart, f"D{first}")
        sheet.row()


def _qna_sheet(book: Workbook, labels: _Names, parts: list[dict], results: list[dict]) -> None:
    """Questions to the panel: every shown question of each Q&A round, with who asked
    (a chosen name), whom it addressed, where it came from, its upvotes by source, the
    questions merged into it and the panel's answer."""
    rounds = [
        (part, result)
        for part, result in zip(parts, results, strict=True)
        if part["kind"] == QuestionKind.QNA
    ]
    if not rounds:
        return
    names = source_names()
    sheet = Sheet(book, _("Questions to the panel"), {"A": 36, "B": 60, "K": 50, "L": 50})
    sheet.header(
        _("round"),
        _("question asked"),
        _("name"),
        _("to"),
        _("from"),
        *(names[key] for key in ("room", "remote", "hands", "total")),
        _("merged questions"),
        _("answer"),
        _("answered in writing by"),
    )
    for part, result in rounds:
        for asked in result["asked"]:
            answer = asked["answer"]
            sheet.row(
                labels.label(part),
                asked["text"] or _("(text erased)"),
                asked["name"],
                asked["panel_member"]["name"] if asked["panel_member"] else "",
                _("paper") if asked["source"] == "paper" else _("online"),
                *(asked["votes"][key] for key in ("room", "remote", "hands", "total")),
                " | ".join(m["text"] or _("(text erased)") for m in asked["merged"]),
                answer_note(asked),
                datetime.fromisoformat(answer["due"]).date() if answer and answer["due"] else None,
                wrap=True,
            )


def _log_sheet(book: Workbook, process: Process) -> tuple[int, str | None]:
    sheet = Sheet(book, _("Log"), {"B": 28, "D": 24, "E": 60, "F": 66, "G": 66})
    sheet.header("seq", _("at (UTC)"), _("who"), _("what"), _("details"), "prev", "hash")
    count, head = 0, None
    for entry in data.log_entries(process):
        count, head = entry["seq"], entry["hash"]
        sheet.row(
            entry["seq"],
            entry["at"],
            entry["actor"],
            entry["action"],
            json.dumps(entry["data"], ensure_ascii=False, sort_keys=True),
            entry["prev"],
            entry["hash"],
        )
    return count, head


def _integrity_sheet(
    book: Workbook, process: Process, counts: dict, log_count: int, head: str | None
) -> None:
    sheet = Sheet(book, _("Integrity"), {"A": 36, "B": 90})
    sheet.filter_at(None)  # a list of facts, not a table
    sheet.row(_("How to check this workbook"), bold=True)
    rows = [
        (_("log entries"), log_count),
        (_("chain head (hash of the last entry)"), head),
        (_("responses (all)"), counts["responses"]),
        (_("responses counted"), counts["counted"]),
        (
            _("how to verify"),
            _(
                "Each log entry's hash is the SHA-256 of its canonical JSON with the hash "
                "before it. The process's public log page checks the whole chain in your "
                'browser ("Check this log"); its chain head must equal the one above. '
                "To also recount every result from the raw responses, download the open "
                "data (JSON) and run: python manage.py verify_log --export FILE.json."
            ),
        ),
    ]
    for label, value in rows:
        sheet.row(label, value, wrap=True)
