"""Words and numbers for the council report, in the active language: numbers and dates as
the reader writes them (``36,5`` and ``3 december 2026`` in Dutch; numbers by
``sessions_app.numbers``, as on the public page), one sentence per question for the
summary, and open answers grouped when people wrote the same thing.

Pure functions over the plain parts of ``data``: no database, no reportlab.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sessions_app.models import QuestionKind
from sessions_app.numbers import number, percent, rounded
from sessions_app.results import panel_answered
from sessions_app.selectors import SessionDay

from .lines import unit_name

K = QuestionKind


def local(moment: datetime | str | None) -> datetime | None:
    """An aware time (or its ISO text) in the installation's time zone."""
    if not moment:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE))


def day(value: date | datetime | str | None) -> str:
    """A date in words (``3 december 2026``)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = local(value).date()
    return formats.date_format(value, "DATE_FORMAT")


def clock(value: datetime | str | None) -> str:
    return formats.time_format(local(value), "TIME_FORMAT") if value else ""


def when(starts: str | None, ends: str | None) -> str:
    """A session's date and hours: ``3 december 2026, 19:30-21:30`` (with an en dash)."""
    if not starts:
        return ""
    hours = clock(starts)
    if ends and day(ends) == day(starts):
        hours = f"{hours}\N{EN DASH}{clock(ends)}"
    return f"{day(starts)}, {hours}"


def session_when(session: dict) -> str:
    """A session (a part of ``data.sessions_part``) by its day, as every output says it
    (``selectors.SessionDay``): its date and hours as planned (``when``), or, when it was
    held on another day, both days: ``gepland 12 maart 2026, gehouden 19 maart 2026``."""
    starts, held = session["starts_at"], session.get("held_on")
    if not starts:
        return ""
    found = SessionDay(
        planned=local(starts).date(), held=date.fromisoformat(held) if held else None
    )
    if not found.moved:
        return when(starts, session["ends_at"])
    return _("planned %(planned)s, held %(held)s") % {
        "planned": day(found.planned),
        "held": day(found.held),
    }


def _same(text: str) -> str:
    """What makes two answers 'the same': case, spacing and closing punctuation aside."""
    return re.sub(r"\s+", " ", text).strip().rstrip(".!?…").strip().casefold()


def grouped_answers(approved: list[dict]) -> list[tuple[str, int]]:
    """Approved open answers as (text, how many wrote it), most often first, then in the
    order they were approved; the text shown is the first one written. Erased texts are
    left out (they are counted apart)."""
    groups: dict[str, list] = {}
    for answer in approved:
        text = (answer.get("text") or "").strip()
        if not text:
            continue
        group = groups.setdefault(_same(text), [text, 0, len(groups)])
        group[1] += 1
    ordered = sorted(groups.values(), key=lambda g: (-g[1], g[2]))
    return [(text, count) for text, count, _order in ordered]


def statement_share(statement: dict) -> dict[str, float]:
    """A statement's agree, disagree and pass as a percentage of its votes, to one
    decimal a half up (as the public page shows them too)."""
    votes = statement["votes"] or 0
    return {
        key: float(rounded(100 * statement[key]["total"] / votes, 1)) if votes else 0.0
        for key in ("agree", "disagree", "pass")
    }


def most_agreed(statements: list[dict], n: int) -> list[dict]:
    """The statements most agreed with (by share of votes, then by votes)."""
    voted = [s for s in statements if s["votes"]]
    return sorted(voted, key=lambda s: (-statement_share(s)["agree"], -s["votes"]))[:n]


def most_divided(statements: list[dict], n: int, *, leaving: list[dict] = ()) -> list[dict]:
    """The statements where agree and disagree come closest, each side having at least a
    fifth of the votes; ``leaving`` out those already shown."""
    shown = {s["id"] for s in leaving}
    found = []
    for statement in statements:
        share = statement_share(statement)
        if statement["id"] in shown or min(share["agree"], share["disagree"]) < 20:
            continue
        found.append((abs(share["agree"] - share["disagree"]), -statement["votes"], statement))
    return [s for *_key, s in sorted(found, key=lambda f: f[:2])][:n]


def _leaders(options: list[dict], value) -> list[dict]:
    best = max((value(o) for o in options), default=None)
    if not best:
        return []
    return [o for o in options if value(o) == best]


def _names(options: list[dict]) -> str:
    return " / ".join(o["text"] or "" for o in options)


def outcome(part: dict, result: dict) -> str:
    """The main outcome of one question in a sentence: the leading option, the average,
    the statement most agreed with."""
    answers = result["respondents"]["total"]
    kind = part["kind"]
    if kind == K.QNA:
        asked = result["asked"]
        if not asked:
            return _("No questions were asked.")
        answered = sum(1 for a in asked if panel_answered(a["answer"]))
        votes = asked[0]["votes"]["total"]
        return (
            ngettext(
                "%(count)s question to the panel, %(answered)s answered;",
                "%(count)s questions to the panel, %(answered)s answered;",
                len(asked),
            )
            % {"count": number(len(asked)), "answered": number(answered)}
            + " "
            + ngettext(
                "most upvoted: “%(text)s” (%(votes)s vote).",
                "most upvoted: “%(text)s” (%(votes)s votes).",
                votes,
            )
            % {"text": asked[0]["text"] or _("(text erased)"), "votes": number(votes)}
        )
    if not answers:
        return _("No answers yet.")
    if kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE):
        leaders = _leaders(result["options"], lambda o: o["counts"]["total"])
        if not leaders:
            return _("Nobody chose an option.")
        return _("Most chosen: %(option)s, %(percent)s (%(count)s of %(total)s).") % {
            "option": _names(leaders),
            "percent": percent(leaders[0]["percent"]),
            "count": number(leaders[0]["counts"]["total"]),
            "total": number(answers),
        }
    if kind == K.SCALE:
        return ngettext(
            "Average %(mean)s on a scale from %(min)s to %(max)s (%(count)s answer).",
            "Average %(mean)s on a scale from %(min)s to %(max)s (%(count)s answers).",
            answers,
        ) % {
            "mean": number(result["mean"]),
            "min": number(part["scale_min"]),
            "max": number(part["scale_max"]),
            "count": number(answers),
        }
    if kind == K.RANKING:
        leaders = _leaders(result["options"], lambda o: o["borda"]["total"])
        if not leaders:
            return _("Nobody ranked the options.")
        return ngettext(
            "Ranked highest: %(option)s (average place %(rank)s, %(count)s answer).",
            "Ranked highest: %(option)s (average place %(rank)s, %(count)s answers).",
            answers,
        ) % {
            "option": _names(leaders),
            "rank": number(leaders[0]["mean_rank"]),
            "count": number(answers),
        }
    if kind == K.BUDGET:
        leaders = _leaders(result["options"], lambda o: o["points"]["total"])
        if not leaders:
            return _("Nobody shared out the budget.")
        return ngettext(
            "Most %(unit)s: %(option)s (on average %(average)s of %(total)s, %(count)s answer).",
            "Most %(unit)s: %(option)s (on average %(average)s of %(total)s, %(count)s answers).",
            answers,
        ) % {
            "unit": unit_name(part),
            "option": _names(leaders),
            "average": number(leaders[0]["average"]),
            "total": number(result["total_points"]),
            "count": number(answers),
        }
    if kind == K.OPEN_TEXT:
        groups = grouped_answers(result["approved"])
        published = len(result["approved"])
        said = ngettext(
            "%(count)s answer published.", "%(count)s answers published.", published
        ) % {"count": number(published)}
        if groups and groups[0][1] > 1:
            said += " " + _("Written most often: “%(text)s” (%(count)s times).") % {
                "text": groups[0][0],
                "count": number(groups[0][1]),
            }
        return said
    top = most_agreed(result["statements"], 1)
    if not top:
        return _("Nobody voted on the statements yet.")
    return ngettext(
        "Most agreed: “%(text)s” (%(percent)s agree, %(count)s vote).",
        "Most agreed: “%(text)s” (%(percent)s agree, %(count)s votes).",
        top[0]["votes"],
    ) % {
        "text": top[0]["text"],
        "percent": percent(statement_share(top[0])["agree"]),
        "count": number(top[0]["votes"]),
    }
