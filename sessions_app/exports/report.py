"""The council report (PDF, reportlab platypus with reportlab graphics), in the process's
language, written for a clerk to hand to councillors:

1. a one-page summary: who took part, by source; the main outcome of every question;
   what happens next (the promise, who decides, the follow-up, the next steps);
2. the process: its purpose, how much say participants had, its dossier (the documents
   and links the public page shows, each document with its SHA-256 as the log holds it),
   its timeline;
3. the results grouped by session, each under a heading with its date, venue and
   state, so that an open session's provisional results never pass for final ones; per
   question a bar per line beside its full label and its split by source; for
   statements the most agreed and the most divided as a chart and the rest as a table;
   open answers grouped when people wrote the same;
4. the paper reconciliation, the follow-up, and the transparency log in plain words.

Numbers and dates are written as the process's language writes them (``report_text``).
All numbers come from ``data`` (the one result function). Every text from people goes
through ``escape`` before it becomes a platypus paragraph, so markup in an answer prints
as the characters it is.
"""

from __future__ import annotations

from datetime import date
from typing import BinaryIO
from xml.sax.saxutils import escape

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Circle, Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from printables import fonts
from sessions_app.log_words import describe
from sessions_app.models import (
    DocumentKind,
    FollowUpOutcome,
    Level,
    LiveSession,
    Process,
    ProcessState,
    QuestionKind,
    SessionMode,
    SessionState,
)
from sessions_app.numbering import agenda_numbers, question_label
from sessions_app.numbers import signed
from sessions_app.opinion.summary import exported as opinion_exported
from sessions_app.opinion.summary import group_colour
from sessions_app.opinion.summary import summary as opinion_summary
from sessions_app.results import results_final
from sessions_app.session_report import session_report

from . import data
from . import report_text as words
from .lines import SOURCES, answer_note, source_names
from .report_charts import SOURCE_COLOURS, VOTE_COLOURS, legend, stacked_bar

K = QuestionKind
WIDTH = A4[0] - 40 * mm
BAR = 34 * mm
PAD = 3
#: The narrowest a column of numbers is, so that "in de zaal" takes two lines, not three.
NUMBER_WIDTH = 15 * mm
#: Statements shown as a chart in each list (most agreed, most divided).
CHARTED = 5
#: Groups of identical open answers printed per question; the workbook has them all.
OPEN_GROUPS = 40
GREY = colors.HexColor("#555555")
VOTES = ("agree", "disagree", "pass")


def _styles() -> dict[str, ParagraphStyle]:
    fonts.register()
    base = ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=10, leading=14)
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11)
    return {
        "body": base,
        "small": small,
        "note": ParagraphStyle("note", parent=small, fontSize=7.5, leading=9.5, textColor=GREY),
        "cell": ParagraphStyle("cell", parent=small, splitLongWords=False),
        "head": ParagraphStyle("head", parent=small, fontName=fonts.BOLD, splitLongWords=False),
        "title": ParagraphStyle(
            "title", parent=base, fontName=fonts.BOLD, fontSize=22, leading=27, spaceAfter=4
        ),
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
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=8,
            spaceAfter=3,
        ),
        "mono": ParagraphStyle("mono", parent=base, fontName="Courier", fontSize=8, leading=10),
    }


def _p(text, style) -> Paragraph:
    text = "" if text is None else str(text)
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _label(text: str, note: str, st: dict) -> Paragraph:
    """A line's full label, with its note small and grey beneath it."""
    shown = escape(text or "")
    if note:
        shown += f'<br/><font size="7.5" color="#555555">{escape(note)}</font>'
    return Paragraph(shown, st["cell"])


def _min_width(cells: list, style: ParagraphStyle, *, whole: bool = False) -> float:
    """The narrowest a column can be without breaking a word of any of its cells (or,
    ``whole``, without wrapping them at all)."""
    widest = 0.0
    for cell in cells:
        text = cell if isinstance(cell, str) else ""
        for word in [text] if whole else text.split() or [""]:
            widest = max(widest, stringWidth(word, style.fontName, style.fontSize))
    return widest + 2 * PAD + 1


def _widths(
    rows: list[list], st: dict, *, flex: int = 0, fixed: dict | None = None, whole=()
) -> list:
    """Column widths: each column as narrow as its longest word (so a heading never
    breaks inside a word), the ``whole`` ones as their longest cell, ``fixed`` ones as
    given, and the ``flex`` column the rest."""
    fixed = fixed or {}
    columns = len(rows[0])
    widths = []
    for index in range(columns):
        if index in fixed:
            widths.append(fixed[index])
            continue
        cells = [row[index] for row in rows]
        widths.append(
            max(
                NUMBER_WIDTH if index else 0,
                _min_width(cells[:1], st["head"]),
                _min_width(cells[1:], st["cell"], whole=index in whole),
            )
        )
    widths[flex] = max(30 * mm, WIDTH - sum(w for i, w in enumerate(widths) if i != flex))
    return widths


def _table(rows: list[list], widths: list[float], st: dict, *, numbers_from: int = 99) -> Table:
    """A table with a bold heading row repeated on every page; text cells become
    paragraphs (so they wrap), drawings stay as they are; columns from ``numbers_from``
    are right-aligned."""

    def cell(value, head: bool, right: bool):
        if not isinstance(value, (str, int, float)) and value is not None:
            return value
        style = st["head"] if head else st["cell"]
        if right:
            style = ParagraphStyle(f"{style.name}-r", parent=style, alignment=2)
        return _p(value, style)

    table = Table(
        [
            [cell(v, r == 0, c >= numbers_from) for c, v in enumerate(row)]
            for r, row in enumerate(rows)
        ],
        colWidths=widths,
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
                ("VALIGN", (0, 1), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), PAD),
                ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


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
            lang=process.language,
        )
        document.build(story, onFirstPage=_footer, onLaterPages=_footer)


def _footer(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont(fonts.REGULAR, 8)
    canvas.drawString(20 * mm, 10 * mm, document.title)
    canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, str(document.page))
    canvas.restoreState()


class _Session:
    """One session with its questions, numbered as on its paper form
    (``numbering.agenda_numbers``: a Q&A round has no number, None)."""

    def __init__(self, found: dict):
        self.data = found
        self.questions: list[tuple[int | None, dict, dict]] = []

    @property
    def answers(self) -> int:
        return sum(result["respondents"]["total"] for _n, _part, result in self.questions)

    @property
    def held(self) -> bool:
        return self.data["state"] != SessionState.PLANNED or self.answers > 0

    @property
    def final(self) -> bool:
        return results_final(
            self.data["state"], any(result["provisional"] for _n, _part, result in self.questions)
        )

    def status(self) -> str:
        if not self.held:
            return _("Not held yet.")
        if self.final:
            return _("Ended. These results are final.")
        if self.data["state"] == SessionState.ENDED:
            return _("Ended, but paper forms may still be entered: these results are provisional.")
        return _("Still in progress: these results are provisional.")

    def place(self) -> str:
        """Its day (both days when it was held on another day than planned), its venue
        and its mode."""
        modes = dict(SessionMode.choices)
        bits = [
            words.session_when(self.data),
            self.data["venue"],
            str(modes.get(self.data["mode"], "")),
        ]
        return capfirst(" · ".join(bit for bit in bits if bit))


def _sessions(process: Process, parts: list[dict], results: list[dict]) -> list[_Session]:
    sessions = {found["id"]: _Session(found) for found in data.sessions_part(process)}
    numbers = agenda_numbers(parts)
    for part, result in zip(parts, results, strict=True):
        session = sessions[part["session"]]
        session.questions.append((numbers.get(part["id"]), part, result))
    return list(sessions.values())


def _story(process: Process, st: dict) -> list:
    part = data.process_part(process)
    questions = data.questions_of(process)
    parts = [data.question_part(q) for q in questions]
    results = data.results_part(questions)
    sessions = _sessions(process, parts, results)
    maps = {found["question"]: found for found in data.opinion_maps_part(questions)}
    follow_ups = data.in_agenda_order(data.follow_ups_part(process), (p["id"] for p in parts))
    numbers = {
        qpart["id"]: (session, number, qpart["text"])
        for session in sessions
        for number, qpart, _result in session.questions
    }
    story = _summary(process, part, sessions, follow_ups, numbers, st)
    story += [PageBreak(), *_about(process, part, data.dossier_part(process), st)]
    for index, session in enumerate(s for s in sessions if s.held):
        story += _session_results(session, maps, st, first=index == 0)
    waiting = [s for s in sessions if not s.held]
    if waiting:
        story += [CondPageBreak(40 * mm), _p(_("Sessions not held yet"), st["h1"])]
        for session in waiting:
            story.append(
                _p(
                    ngettext(
                        "%(title)s (%(when)s): %(count)s question planned, no answers yet.",
                        "%(title)s (%(when)s): %(count)s questions planned, no answers yet.",
                        len(session.questions),
                    )
                    % {
                        "title": session.data["title"],
                        "when": session.place(),
                        "count": words.number(len(session.questions)),
                    },
                    st["body"],
                )
            )
    story += _paper(sessions, st)
    story += _follow_up(follow_ups, numbers, st)
    story += _log(process, st)
    return story


# -- page 1: the summary ---------------------------------------------------------------


def _summary(process, part, sessions, follow_ups, numbers, st) -> list:
    levels = dict(Level.choices)
    held = [s for s in sessions if s.held]
    story: list = [
        _p(_("Report for the council"), st["h3"]),
        _p(process.title, st["title"]),
        _p(
            " · ".join(
                [
                    _("Who decides: %(who)s") % {"who": part["decision_maker"]},
                    _("Participation level: %(level)s") % {"level": levels.get(part["level"], "")},
                    _("Made on %(date)s") % {"date": words.day(timezone.now())},
                ]
            ),
            st["small"],
        ),
        _p(_("Summary"), st["h1"]),
        _p(_("Who took part"), st["h3"]),
    ]
    story += (
        _turnout(process, held, st) if held else [_p(_("Nobody has taken part yet."), st["small"])]
    )
    story.append(_p(_("Main outcomes"), st["h3"]))
    rows = [[_("question"), _("main outcome")]]
    for session in held:
        if len(held) > 1:
            rows.append([_p(session.data["title"], st["head"]), ""])
        for number, qpart, result in session.questions:
            if qpart.get("evaluation"):
                continue
            said = words.outcome(qpart, result)
            if result["respondents"]["total"] and not session.final:
                said += " " + _("(provisional)")
            rows.append([question_label(number, qpart["text"]), said])
    if len(rows) > 1:
        story.append(_table(rows, [62 * mm, WIDTH - 62 * mm], st))
    else:
        story.append(_p(_("There are no results yet."), st["small"]))
    story += [
        _p(_("What happens next"), st["h3"]),
        _p(part["promise"], st["small"]),
        _p(_("Who decides: %(who)s") % {"who": part["decision_maker"]}, st["small"]),
    ]
    outcomes = dict(FollowUpOutcome.choices)
    if follow_ups:
        story.append(_p(_("What was done with the input so far:"), st["small"]))
        for follow_up in follow_ups:
            story.append(
                _p(
                    "\N{BULLET} "
                    + _("%(about)s: %(outcome)s (%(date)s)")
                    % {
                        "about": _about_question(follow_up["question"], numbers),
                        "outcome": outcomes.get(follow_up["outcome"], follow_up["outcome"]),
                        "date": words.day(follow_up["decided_on"]),
                    },
                    st["small"],
                )
            )
    else:
        story.append(_p(_("No follow-up has been recorded yet."), st["small"]))
    today = timezone.localdate()
    upcoming = [step for step in part["timeline"] if date.fromisoformat(step["date"]) >= today]
    if upcoming:
        story.append(_p(_("Next steps:"), st["small"]))
        story += [
            _p(f"\N{BULLET} {words.day(step['date'])}: {step['label']}", st["small"])
            for step in upcoming[:4]
        ]
    return story


def _turnout(process: Process, held: list[_Session], st: dict) -> list:
    """People per source and session: phones and laptops in the room and remote (each
    person once), paper forms, and the largest show of hands on one question."""
    names = source_names()
    people = data.participation_part(process)
    rows = [[_("session"), *(names[s] for s in SOURCES), names["total"]]]
    totals = dict.fromkeys((*SOURCES, "total"), 0)
    for session in held:
        found = dict(people.get(session.data["id"], {}))
        found["hands"] = max(
            (result["respondents"]["hands"] for _n, _part, result in session.questions),
            default=0,
        )
        found["total"] = sum(found.get(s, 0) for s in SOURCES)
        for key in totals:
            totals[key] += found.get(key, 0)
        rows.append([session.data["title"], *(words.number(found.get(k, 0)) for k in totals)])
    if len(held) > 1:
        rows.append([names["total"], *(words.number(totals[k]) for k in totals)])
    return [
        _table(rows, _widths(rows, st), st, numbers_from=1),
        Spacer(1, 1 * mm),
        _p(
            _(
                "In the room and remote: people who answered on a phone or laptop, each "
                "counted once. Paper: forms counted. Hands: the largest show of hands on "
                "one question."
            ),
            st["note"],
        ),
    ]


def _about_question(question_id, numbers) -> str:
    if question_id is None or question_id not in numbers:
        return _("The process as a whole")
    session, number, text = numbers[question_id]
    return question_label(number, text, session.data["title"])


# -- the process ------------------------------------------------------------------------


def _about(process: Process, part: dict, dossier: dict, st: dict) -> list:
    """Purpose, level and promise, then the dossier and the timeline: in the order of
    the public page."""
    levels = dict(Level.choices)
    story = [
        _p(_("Purpose, level and promise"), st["h1"]),
        _p(_("Why the input was asked for"), st["h2"]),
        _p(part["purpose"], st["body"]),
        _p(_("How much say participants had"), st["h2"]),
        _p(levels.get(part["level"], ""), st["body"]),
        _p(_("What will be done with the input"), st["h2"]),
        _p(part["promise"], st["body"]),
    ]
    story += _dossier(process, dossier, st)
    if part["timeline"]:
        rows = [[_("date"), _("what happens")]] + [
            [words.day(step["date"]), step["label"]] for step in part["timeline"]
        ]
        story += [
            _p(_("Timeline"), st["h2"]),
            _table(rows, _widths(rows, st, flex=1, whole={0}), st),
        ]
    return story


def _dossier_url(process: Process) -> str | None:
    """The dossier on the public page, as a whole address (``data.public_url``), or None."""
    return data.public_url(reverse("public:process", args=[process.slug]) + "#dossier")


def _dossier(process: Process, dossier: dict, st: dict) -> list:
    """The dossier as the public page shows it (``data.dossier_part``): the council's
    latest decision, each document with its type, date, summary and SHA-256 (the one the
    log holds, so the report binds the same files), and each link. Nothing taken out of
    the dossier; no section when it is empty."""
    if not (dossier["documents"] or dossier["links"] or dossier["decision"]):
        return []
    kinds = dict(DocumentKind.choices)
    url = _dossier_url(process)
    if url:
        about = _(
            "What residents can read as background on the public page (%(url)s), newest "
            "first. Each document's fingerprint (SHA-256) is the one in the transparency "
            "log, so a downloaded copy can be checked against it."
        ) % {"url": url}
    else:  # no address known: no bare path a reader could not type
        about = _(
            "What residents can read as background on the process's public page, newest "
            "first. Each document's fingerprint (SHA-256) is the one in the transparency "
            "log, so a downloaded copy can be checked against it."
        )
    story: list = [_p(_("Dossier: the background"), st["h2"]), _p(about, st["small"])]
    decision = dossier["decision"]
    if decision:
        block = [
            _p(_("The council's decision"), st["h3"]),
            _p(f"{_('Decided on')} {words.day(decision['date'])}", st["small"]),
            _p(decision["summary"], st["body"]),
        ]
        if decision["url"]:
            block.append(_p(decision["url"], st["small"]))
        story.append(KeepTogether(block))
    for document in dossier["documents"]:
        kind = capfirst(str(kinds.get(document["kind"], document["kind"])))
        block = [
            _p(document["title"], st["h3"]),
            _p(f"{kind} · {words.day(document['date'])}", st["small"]),
            _p(document["summary"], st["body"]),
        ]
        if document["alt_text"]:
            block.append(
                _p(_("What the image shows: %(text)s") % {"text": document["alt_text"]}, st["note"])
            )
        block += [
            _p(_("Fingerprint (SHA-256, also in the public log):"), st["small"]),
            _p(document["sha256"], st["mono"]),
        ]
        story.append(KeepTogether(block))
    for link in dossier["links"]:
        meta = " · ".join([_("Council document elsewhere"), words.day(link["date"]), link["url"]])
        story.append(
            KeepTogether(
                [
                    _p(link["title"], st["h3"]),
                    _p(meta, st["small"]),
                    _p(link["summary"], st["body"]),
                ]
            )
        )
    return story


# -- results, per session ---------------------------------------------------------------


def _session_results(session: _Session, maps: dict, st: dict, *, first: bool) -> list:
    """A session under its own heading, on a new page (the first may follow the
    process's description when there is room)."""
    story: list = [
        CondPageBreak(120 * mm) if first else PageBreak(),
        _p(session.data["title"], st["h1"]),
        _p(session.place(), st["body"]),
        _p(session.status(), st["h3"]),
    ]
    for number, qpart, result in session.questions:
        if not qpart.get("evaluation"):
            story += _question(number, qpart, result, maps.get(qpart["id"]), session, st)
    story += _session_report(session, st)
    return story


def _session_report(session: _Session, st: dict) -> list:
    """The session report (``sessions_app.session_report``): turnout by source and per
    question with the drop-off, the shares, answers per minute, moderation and the
    evaluation. The facilitator's notes are private to staff and not in this file."""
    found = session_report(LiveSession.objects.get(pk=session.data["id"]))
    names = source_names()
    turnout, shares = found["turnout"], found["shares"]
    story: list = [
        CondPageBreak(60 * mm),
        _p(_("Session report: %(title)s") % {"title": session.data["title"]}, st["h2"]),
        _p(_("Who took part"), st["h3"]),
    ]
    rows = [
        [
            _("phones in the room"),
            _("phones from elsewhere"),
            _("paper forms"),
            _("people (phones and paper)"),
            _("hands (largest count)"),
        ],
        [words.number(turnout[k]) for k in ("room", "remote", "paper", "people", "hands")],
    ]
    story.append(_table(rows, [WIDTH / 5] * 5, st, numbers_from=0))
    story.append(
        _p(
            _(
                "Paper: %(paper)s%% of the people, phones: %(phones)s%%. In the room (phones "
                "there and paper forms): %(room)s%%, from elsewhere: %(remote)s%%."
            )
            % {
                "paper": words.number(shares["paper"]),
                "phones": words.number(shares["phones"]),
                "room": words.number(shares["in_room"]),
                "remote": words.number(shares["remote"]),
            },
            st["small"],
        )
    )
    if found["questions"]:
        story.append(_p(_("Answers per question, and who dropped off"), st["h3"]))
        rows = [
            [
                _("question"),
                *(names[s] for s in (*SOURCES, "total")),
                _("change from the question before"),
                _("of the first question's answers"),
            ]
        ]
        for item in found["questions"]:
            counts = item["respondents"]
            drop = item["drop"]
            rows.append(
                [
                    question_label(item["number"], item["text"]),
                    *(words.number(counts.get(s, 0)) for s in (*SOURCES, "total")),
                    # A difference: "+3" more than the question before, "-2" fewer.
                    "" if drop is None else signed(-drop),
                    words.percent(item["of_first"]),
                ]
            )
        story.append(_table(rows, _widths(rows, st), st, numbers_from=1))
    minutes = found["per_minute"]
    story.append(_p(_("Answers per minute"), st["h3"]))
    if minutes["minutes"]:
        story.append(
            _p(
                _(
                    "%(total)s answers from phones; at most %(peak)s in one minute, "
                    "%(median)s in a typical minute."
                )
                % {
                    "total": words.number(minutes["total"]),
                    "peak": words.number(minutes["peak"]),
                    "median": words.number(minutes["median"]),
                },
                st["small"],
            )
        )
        story.append(_minute_chart(minutes["minutes"]))
    else:
        story.append(_p(_("No question was opened in this session."), st["small"]))
    moderation = found["moderation"]
    story += [
        _p(_("Moderation"), st["h3"]),
        _p(
            _(
                "Statements proposed by participants: %(sa)s approved, %(sh)s hidden, %(sp)s "
                "waiting. Questions to the panel: %(qa)s approved, %(qh)s hidden, %(qp)s "
                "waiting, %(qm)s merged. Open answers hidden: %(ah)s. Answers held for "
                "review: %(held)s."
            )
            % {
                "sa": moderation["statements_approved"],
                "sh": moderation["statements_hidden"],
                "sp": moderation["statements_pending"],
                "qa": moderation["qna_approved"],
                "qh": moderation["qna_hidden"],
                "qp": moderation["qna_pending"],
                "qm": moderation["qna_merged"],
                "ah": moderation["answers_hidden"],
                "held": moderation["answers_held"],
            },
            st["small"],
        ),
    ]
    if found["evaluation"]:
        story.append(_p(_("What the participants thought of the session"), st["h3"]))
        for item in found["evaluation"]:
            result = item["result"]
            story.append(_p(item["text"], st["body"]))
            if item["kind"] == K.SCALE:
                rows = [[_("value"), *(names[s] for s in (*SOURCES, "total"))]]
                for line in result["distribution"]:
                    rows.append(
                        [
                            str(line["value"]),
                            *(words.number(line["counts"][s]) for s in (*SOURCES, "total")),
                        ]
                    )
                story.append(_table(rows, _widths(rows, st), st, numbers_from=1))
                if result.get("mean") is not None:
                    story.append(
                        _p(
                            _("Average: %(mean)s") % {"mean": words.number(result["mean"])},
                            st["small"],
                        )
                    )
            elif result.get("options"):
                rows = [[_("answer"), *(names[s] for s in (*SOURCES, "total")), _("percent")]]
                for option in result["options"]:
                    rows.append(
                        [
                            option["text"],
                            *(words.number(option["counts"][s]) for s in (*SOURCES, "total")),
                            words.percent(option["percent"]),
                        ]
                    )
                story.append(_table(rows, _widths(rows, st), st, numbers_from=1))
    return story


def _minute_chart(minutes: list[dict]) -> Drawing:
    """Answers per minute as bars, with the clock time of every tenth minute."""
    drawing = Drawing(WIDTH, 40 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y = 10 * mm, 8 * mm
    chart.width, chart.height = WIDTH - 12 * mm, 30 * mm
    chart.data = [[m["n"] for m in minutes]]
    chart.bars[0].fillColor = colors.HexColor("#1f5f8b")
    chart.bars[0].strokeColor = None
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = fonts.REGULAR
    chart.valueAxis.labels.fontSize = 7
    chart.categoryAxis.categoryNames = [
        m["at"].astimezone(timezone.get_current_timezone()).strftime("%H:%M") if i % 10 == 0 else ""
        for i, m in enumerate(minutes)
    ]
    chart.categoryAxis.labels.fontName = fonts.REGULAR
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.tickDown = 0
    drawing.add(chart)
    return drawing


def _question(number, qpart, result, found_map, session, st) -> list:
    respondents = result["respondents"]
    if not session.final and respondents["total"]:
        state = _("Provisional.")
    elif respondents["total"]:
        state = _("Final.")
    else:
        state = ""
    head = [
        _p(question_label(number, qpart["text"]), st["h2"]),
        _p(
            " ".join(
                bit
                for bit in (
                    state,
                    _(
                        "Answers: %(total)s (in the room %(room)s, remote %(remote)s, "
                        "paper %(paper)s, hands %(hands)s)."
                    )
                    % {key: words.number(value) for key, value in respondents.items()},
                )
                if bit
            ),
            st["small"],
        ),
    ]
    kind = qpart["kind"]
    if kind == K.QNA and not result["asked"]:
        return [KeepTogether([*head, _p(_("No questions were asked."), st["small"])])]
    if not respondents["total"] and kind != K.QNA:
        return [KeepTogether([*head, _p(_("No answers yet."), st["small"])])]
    if kind == K.OPEN_TEXT:
        body = _open_answers(result, st)
    elif kind == K.STATEMENTS:
        body = _statements(result, st)
        if found_map:
            body += _opinion_map(found_map, qpart, st)
    else:
        body = _by_source(qpart, result, st)
    # The heading stays with the start of what it heads.
    return [KeepTogether([*head, *body[:2]]), *body[2:]]


def _source_legend(st: dict) -> Drawing:
    names = source_names()
    return legend([(SOURCE_COLOURS[s], names[s]) for s in SOURCES], width=WIDTH)


def _by_source(qpart: dict, result: dict, st: dict) -> list:
    """A row per option (or scale value): its full label, a bar stacked by source, and
    the numbers by source; sorted by result, except a scale's values."""
    names = source_names()
    kind = qpart["kind"]
    with_percent = kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE)
    lines: list[tuple[str, str, dict, float | None]] = []
    intro = ""
    after = ""
    if kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE):
        for option in result["options"]:
            lines.append((option["text"], "", option["counts"], option["percent"]))
        if kind == K.MULTIPLE_CHOICE:
            intro = _(
                "People could choose more than one option; the percentages are of the "
                "people who answered."
            )
    elif kind == K.SCALE:
        for line in result["distribution"]:
            lines.append((words.number(line["value"]), "", line["counts"], None))
        after = _("Average %(mean)s, median %(median)s.") % {
            "mean": words.number(result["mean"]),
            "median": words.number(result["median"]),
        }
    elif kind == K.RANKING:
        size = len(result["options"])
        intro = _(
            "Each answer gives %(most)s points to its first choice, one point fewer to the "
            "next, and so on; the bar shows each option's points."
        ) % {"most": words.number(size)}
        for option in result["options"]:
            note = _("average place %(rank)s · first choice of %(first)s") % {
                "rank": words.number(option["mean_rank"]) or "\N{EN DASH}",
                "first": words.number(option["first_choices"]),
            }
            lines.append((option["text"], note, option["borda"], None))
    elif kind == K.QNA:
        intro = _(
            "Residents asked the panel these questions; the bar shows the upvotes, and the "
            "hands counted for a question asked on paper. Below each: what the panel did "
            "with it."
        )
        for asked in result["asked"]:
            note = answer_note(asked)
            if asked["panel_member"]:
                note = _("to %(name)s") % {"name": asked["panel_member"]["name"]} + " · " + note
            if asked["merged"]:
                note += " · " + _("asked in the same words: %(texts)s") % {
                    "texts": " | ".join(m["text"] or _("(text erased)") for m in asked["merged"])
                }
            lines.append((asked["text"] or _("(text erased)"), note, asked["votes"], None))
    elif kind == K.BUDGET:
        unit = words.unit_name(qpart)
        intro = _(
            "Each person shared out %(total)s %(unit)s over the options; the bar shows the "
            "%(unit)s each option got."
        ) % {"total": words.number(result["total_points"]), "unit": unit}
        for option in result["options"]:
            note = _("on average %(average)s of %(total)s") % {
                "average": words.number(option["average"]) or "\N{EN DASH}",
                "total": words.number(result["total_points"]),
            }
            lines.append((option["text"], note, option["points"], None))
    if kind != K.SCALE:
        lines.sort(key=lambda line: -(line[2].get("total") or 0))
    largest = max((line[2].get("total") or 0 for line in lines), default=0)
    header = [_("option or value"), "", *(names[k] for k in (*SOURCES, "total"))]
    if with_percent:
        header.append("%")
    rows = [header]
    for text, note, counts, share in lines:
        row = [
            _label(text, note, st),
            stacked_bar(counts, SOURCES, SOURCE_COLOURS, largest=largest, width=BAR - 2 * PAD),
            *(words.number(counts.get(k) or 0) for k in (*SOURCES, "total")),
        ]
        if with_percent:
            row.append(words.number(share))
        rows.append(row)
    plain = [header] + [
        ["", "", *(words.number(c.get(k) or 0) for k in (*SOURCES, "total")), words.number(s)][
            : len(header)
        ]
        for _t, _n, c, s in lines
    ]
    widths = _widths(plain, st, fixed={1: BAR})
    out = []
    if intro:
        out.append(_p(intro, st["note"]))
    out += [_table(rows, widths, st, numbers_from=2), Spacer(1, 1.5 * mm), _source_legend(st)]
    if after:
        out.append(_p(after, st["small"]))
    return out


def _statements(result: dict, st: dict) -> list:
    """The most agreed and the most divided statements as bars of agree, disagree and
    pass; every other statement in a table with the same numbers."""
    statements = result["statements"]
    top = words.most_agreed(statements, CHARTED)
    divided = words.most_divided(statements, CHARTED, leaving=top)
    shown = {s["id"] for s in (*top, *divided)}
    rest = [s for s in words.most_agreed(statements, len(statements)) if s["id"] not in shown]
    rest += [s for s in statements if not s["votes"]]
    vote_names = {"agree": _("agree"), "disagree": _("disagree"), "pass": _("pass")}
    header = [_("statement"), "", *vote_names.values(), _("votes")]

    def numbers(statement: dict) -> list[str]:
        share = words.statement_share(statement)
        return [*(words.percent(share[v]) for v in VOTES), words.number(statement["votes"])]

    def chart(title: str, explained: str, chosen: list[dict]) -> list:
        if not chosen:
            return []
        rows = [header] + [
            [
                _label(s["text"], "", st),
                stacked_bar(
                    words.statement_share(s),
                    VOTES,
                    VOTE_COLOURS,
                    largest=100,
                    width=BAR - 2 * PAD,
                ),
                *numbers(s),
            ]
            for s in chosen
        ]
        plain = [header] + [["", "", *numbers(s)] for s in chosen]
        return [
            KeepTogether(
                [
                    _p(title, st["h3"]),
                    _p(explained, st["note"]),
                    _table(rows, _widths(plain, st, fixed={1: BAR}), st, numbers_from=2),
                ]
            )
        ]

    out = chart(
        _("Most agreed"),
        _("The statements with the largest share of agree votes."),
        top,
    )
    out += chart(
        _("Most divided"),
        _("The statements where agree and disagree come closest."),
        divided,
    )
    out += [
        Spacer(1, 1.5 * mm),
        legend([(VOTE_COLOURS[v], vote_names[v]) for v in VOTES], width=WIDTH),
    ]
    if rest:
        rows = [[_("statement"), *vote_names.values(), _("votes")]] + [
            [s["text"], *numbers(s)] for s in rest
        ]
        out += [
            _p(_("The other statements"), st["h3"]),
            _table(rows, _widths(rows, st), st, numbers_from=1),
        ]
    out.append(_p(_("The split by source of every vote is in the workbook."), st["note"]))
    return out


def _open_answers(result: dict, st: dict) -> list:
    """The published answers, people who wrote the same thing counted together."""
    approved = result["approved"]
    groups = words.grouped_answers(approved)
    erased = sum(1 for answer in approved if not (answer.get("text") or "").strip())
    # Two sentences, each with its own number: "1 wacht op moderatie", "2 wachten".
    said = (
        ngettext(
            "%(approved)s answer published;",
            "%(approved)s answers published;",
            len(approved),
        )
        % {"approved": words.number(len(approved))}
        + " "
        + ngettext(
            "%(pending)s awaiting moderation, %(hidden)s hidden. Hidden answers are not printed.",
            "%(pending)s awaiting moderation, %(hidden)s hidden. Hidden answers are not printed.",
            result["pending"],
        )
        % {
            "pending": words.number(result["pending"]),
            "hidden": words.number(result["hidden"]),
        }
    )
    if erased:
        said += " " + ngettext("%(n)s text was erased.", "%(n)s texts were erased.", erased) % {
            "n": words.number(erased)
        }
    out = [_p(said, st["small"])]
    if not groups:
        return out
    rows = [[_("answer"), _("times")]] + [
        [f"“{text}”", words.number(count)] for text, count in groups[:OPEN_GROUPS]
    ]
    out.append(_table(rows, _widths(rows, st), st, numbers_from=1))
    if len(groups) > OPEN_GROUPS:
        out.append(
            _p(
                ngettext(
                    "%(n)s other answer is in the workbook.",
                    "%(n)s other answers are in the workbook.",
                    sum(c for _t, c in groups[OPEN_GROUPS:]),
                )
                % {"n": words.number(sum(c for _t, c in groups[OPEN_GROUPS:]))},
                st["note"],
            )
        )
    return out


def _opinion_drawing(view: dict) -> Drawing:
    """The map: every placed participant a dot in their group's colour, each group's
    letter at its centre (colour is never the only cue)."""
    side = 70 * mm
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


def _opinion_map(found: dict, qpart: dict, st: dict) -> list:
    """The statements' opinion map, what sets each group apart, and where the groups
    agree and differ."""
    texts = {o["id"]: o["text"] for o in qpart["options"]}
    view = opinion_summary(opinion_exported(found), texts)
    heading = _p(_("Opinion map"), st["h3"])
    explained = _p(
        ngettext(
            "%(placed)s of %(voters)s participants are on the map: those who voted on "
            "at least %(threshold)s statement. Dots close together voted alike.",
            "%(placed)s of %(voters)s participants are on the map: those who voted on "
            "at least %(threshold)s statements. Dots close together voted alike.",
            view["threshold"],
        )
        % {
            "placed": words.number(view["placed"]),
            "voters": words.number(view["voters"]),
            "threshold": words.number(view["threshold"]),
        },
        st["small"],
    )
    if not view["groups"]:
        return [
            heading,
            explained,
            _p(_("There are no groups: too few votes, or everyone voted alike."), st["small"]),
        ]
    rows = [[_("group"), _("people"), _("what sets the group apart")]]
    for group in view["groups"]:
        lines = [
            (
                _("agrees %(percent)s%%")
                if line["direction"] == "agree"
                else _("disagrees %(percent)s%%")
            )
            % {"percent": words.number(line["percent"])}
            + f": {line['text']}"
            for line in group["representative"]
        ]
        rows.append(
            [
                _("Group %(name)s") % {"name": group["name"]},
                words.number(group["size"]),
                "\n".join(lines),
            ]
        )
    out = [
        KeepTogether([heading, explained, _opinion_drawing(view)]),
        Spacer(1, 3 * mm),
        _table(rows, _widths(rows, st, flex=2, whole={0}), st),
    ]
    for title, lines in (
        (_("Where the groups agree"), view["consensus"]),
        (_("Where the groups differ"), view["divisive"]),
    ):
        if not lines:
            continue
        block = [_p(title, st["h3"])]
        for line in lines:
            split = " · ".join(
                _("%(name)s: %(percent)s%%")
                % {"name": g["name"], "percent": words.number(g["agree"])}
                for g in line["by_group"]
            )
            block.append(_p(f"{line['text']} ({_('agree')}: {split})", st["small"]))
        out.append(KeepTogether(block))
    return out


# -- paper, follow-up and the log -------------------------------------------------------


def _paper(sessions: list[_Session], st: dict) -> list:
    labels = {
        "printed": _("printed"),
        "counted": _("counted"),
        "verified": _("of which entered twice alike"),
        "entered": _("entered, waiting"),
        "conflict": _("entries differ"),
        "voided": _("voided"),
        "not_returned": _("not returned"),
        "being_read": _("read from a picture, not yet counted"),
    }
    used = [s for s in sessions if s.data["paper"]["printed"]]
    if not used:
        return []
    rows = [[_("meeting"), *labels.values()]]
    for session in used:
        rows.append(
            [session.data["title"], *(words.number(session.data["paper"][k]) for k in labels)]
        )
    return [
        CondPageBreak(50 * mm),
        _p(_("Paper reconciliation"), st["h1"]),
        _table(rows, _widths(rows, st), st, numbers_from=1),
    ]


def _follow_up(follow_ups: list[dict], numbers: dict, st: dict) -> list:
    outcomes = dict(FollowUpOutcome.choices)
    out = [CondPageBreak(50 * mm), _p(_("Follow-up: what was done with the input"), st["h1"])]
    for follow_up in follow_ups:
        out.append(_p(_about_question(follow_up["question"], numbers), st["h3"]))
        out.append(
            _p(
                f"{outcomes.get(follow_up['outcome'], follow_up['outcome'])} · "
                f"{words.day(follow_up['decided_on'])}",
                st["small"],
            )
        )
        out.append(_p(follow_up["reasoning"], st["body"]))
    if not follow_ups:
        out.append(_p(_("Nothing has been recorded yet."), st["body"]))
    return out


def _public_log_url(process: Process) -> str | None:
    """The public log page as a whole address a reader can type (``data.public_url``:
    ``SITE_URL``, else the address the report was asked for from), or None."""
    return data.public_url(reverse("public:log", args=[process.slug]))


def _log(process: Process, st: dict) -> list:
    """What the log holds, in plain words: per kind of entry a sentence, how many there
    are, and the first and last day; the code itself small, for those who check."""
    kinds: dict[str, list] = {}
    count = 0
    first = last = None
    for entry in data.log_entries(process):
        count += 1
        found = kinds.setdefault(entry["action"], [0, entry["at"], entry["at"]])
        found[0] += 1
        found[2] = entry["at"]
        first = first or entry["at"]
        last = entry["at"]
    url = _public_log_url(process)
    # Without a known address the sentence names the page but prints no bare path.
    if process.state == ProcessState.DRAFT and url:
        check = _(
            "Every step that shaped these results is written in a log in which each entry "
            "seals the one before it, so a later change would show. Once the process is "
            "published, anyone can check the log on its public page: %(url)s"
        ) % {"url": url}
    elif process.state == ProcessState.DRAFT:
        check = _(
            "Every step that shaped these results is written in a log in which each entry "
            "seals the one before it, so a later change would show. Once the process is "
            "published, anyone can check the log on the process's public page."
        )
    elif url:
        check = _(
            "Every step that shaped these results is written in a log in which each entry "
            "seals the one before it, so a later change would show. Anyone can check the "
            "log, without special software, on the public page: %(url)s"
        ) % {"url": url}
    else:
        check = _(
            "Every step that shaped these results is written in a log in which each entry "
            "seals the one before it, so a later change would show. Anyone can check the "
            "log, without special software, on the process's public page."
        )
    rows = [[_("what happened"), _("times"), _("when"), _("code")]]
    for action, (times, since, until) in kinds.items():
        period = words.day(since)
        if words.day(until) != period:
            period = f"{period} \N{EN DASH} {words.day(until)}"
        rows.append([describe(action), words.number(times), period, _p(action, st["note"])])
    plain = [[r[0], r[1], r[2], ""] for r in rows]
    widths = _widths(plain, st, whole={2})
    widths[3] = _min_width(list(kinds), st["note"], whole=True)
    widths[0] = WIDTH - sum(widths[1:])
    return [
        CondPageBreak(60 * mm),
        _p(_("Transparency log"), st["h1"]),
        _p(check, st["body"]),
        Spacer(1, 2 * mm),
        _p(
            ngettext(
                "%(count)s entry, from %(first)s to %(last)s.",
                "%(count)s entries, from %(first)s to %(last)s.",
                count,
            )
            % {
                "count": words.number(count),
                "first": words.day(first),
                "last": words.day(last),
            },
            st["small"],
        ),
        _p(_("Fingerprint of the last entry (the chain head):"), st["small"]),
        _p(process.log_head, st["mono"]),
        Spacer(1, 3 * mm),
        _table(rows, widths, st, numbers_from=1),
    ]
