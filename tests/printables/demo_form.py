"""The demo's evening form as plain rows (``selectors.form_rows`` shape): the seven
questions of ``seed_demo``'s evening, one of each kind, the last with statements (its
Q&A round is not on the form). Shared
by the layout tests; taken from the demo design so the two never drift apart."""

import datetime

from django.utils import translation

from printables.strings import form_strings
from sessions_app.management.commands.seed_demo import DEMO_TITLE, demo_design

ROW_FIELDS = ("max_choices", "min", "max", "min_label", "max_label", "total", "max_length")


def _evening() -> dict:
    return demo_design(datetime.date(2027, 1, 8))["sessions"][0]


#: The statements of the demo's statements question, in order.
STATEMENTS = next(q for q in _evening()["questions"] if q["kind"] == "statements")["statements"]


def demo_questions(statements: int = 7) -> list[dict]:
    rows = []
    # The form leaves the Q&A round out (it has question cards of its own).
    printed = [q for q in _evening()["questions"] if q["kind"] != "qna"]
    for number, question in enumerate(printed, start=1):
        row = {
            "id": number,
            "kind": question["kind"],
            "text": question["text"],
            "description": question.get("description", ""),
        }
        row.update({key: question[key] for key in ROW_FIELDS if key in question})
        if "options" in question:
            row["options"] = [
                {"id": number * 100 + n, "text": text} for n, text in enumerate(question["options"])
            ]
        if question["kind"] == "statements":
            row["statements"] = [
                {"id": number * 100 + n, "text": text}
                for n, text in enumerate(question["statements"][:statements])
            ]
            row["participants_may_add"] = question.get("participants_may_add", False)
        rows.append(row)
    return rows


def demo_form(statements: int = 7, *, privacy: str = "") -> dict:
    with translation.override("nl"):
        strings = form_strings()
    form = {
        "process": DEMO_TITLE,
        "session": _evening()["title"],
        "questions": demo_questions(statements),
        "strings": strings,
    }
    if privacy:
        form["privacy"] = privacy
    return form
