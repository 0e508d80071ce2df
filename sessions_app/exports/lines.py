"""Results as lines for people to read: one line per option, scale value or statement
vote, with its counts by source, its percentage and a note. The workbook, the PDF report
and the public page show results this way; the numbers are those of
``results.question_results``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from sessions_app.models import QuestionKind
from sessions_app.numbers import number
from sessions_app.results import SOURCES

__all__ = ["SOURCES", "answer_note", "result_lines", "source_names", "unit_name"]

NONE = "\N{EN DASH}"  # no value (nobody ranked it, nobody gave points)


def unit_name(part: dict) -> str:
    """A budget's unit as every output names it ("euro"), or "points" when it has none."""
    return part.get("budget_unit") or _("points")


def source_names() -> dict[str, str]:
    return {
        "room": _("in the room"),
        "remote": _("remote"),
        "paper": _("paper"),
        "hands": _("hands"),
        "total": _("total"),
    }


def answer_note(asked: dict) -> str:
    """What the panel did with an asked question, in words (dates as the reader's
    language writes them)."""
    from datetime import date

    from django.utils.formats import date_format

    answer = asked["answer"]
    if answer is None:
        return _("not answered")
    mode = answer["mode"]
    if mode == "summary":
        return _("answered: %(text)s") % {"text": answer["text"]}
    if mode == "in_room":
        return _("answered in the room")
    if mode == "written":
        return _("answered in writing: %(text)s") % {"text": answer["text"]}
    due = date_format(date.fromisoformat(answer["due"]), "j F Y")
    if answer["overdue"]:
        return _("overdue: a written answer was promised by %(due)s") % {"due": due}
    return _("will be answered in writing by %(due)s") % {"due": due}


def result_lines(part: dict, result: dict):
    """(name, counts by source, percent, note) for each line of a question's results."""
    kind = part["kind"]
    if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
        for option in result["options"]:
            yield option["text"], option["counts"], option["percent"], ""
    elif kind == QuestionKind.SCALE:
        for line in result["distribution"]:
            yield line["value"], line["counts"], None, ""  # a number, as Excel should read it
        yield _("mean"), {"total": result["mean"]}, None, ""
        yield _("median"), {"total": result["median"]}, None, ""
    elif kind == QuestionKind.RANKING:
        for option in result["options"]:
            note = _("mean rank %(rank)s; ranked by %(n)d; first choice of %(first)d") % {
                "rank": number(option["mean_rank"]) if option["mean_rank"] is not None else NONE,
                "n": option["ranked_by"],
                "first": option["first_choices"],
            }
            yield option["text"], option["borda"], None, _("Borda points") + "; " + note
    elif kind == QuestionKind.BUDGET:
        for option in result["options"]:
            note = _("average %(average)s of %(total)s") % {
                "average": number(option["average"]) if option["average"] is not None else NONE,
                "total": number(result["total_points"]),
            }
            yield option["text"], option["points"], None, unit_name(part) + "; " + note
    elif kind == QuestionKind.STATEMENTS:
        votes = {"agree": _("agree"), "disagree": _("disagree"), "pass": _("pass")}
        for statement in result["statements"]:
            for vote, name in votes.items():
                yield f"{statement['text']}: {name}", statement[vote], None, ""
    elif kind == QuestionKind.QNA:
        for asked in result["asked"]:
            yield asked["text"] or _("(text erased)"), asked["votes"], None, answer_note(asked)
    elif kind == QuestionKind.OPEN_TEXT:
        yield _("approved"), {"total": len(result["approved"])}, None, ""
        yield _("awaiting moderation"), {"total": result["pending"]}, None, ""
        yield _("hidden"), {"total": result["hidden"]}, None, ""
