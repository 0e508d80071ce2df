"""The session evaluation: an optional closing set of questions, from a template, that
asks the participants about the evening itself (how clear it was what would happen with
their input, whether they felt heard, how they took part, would they come again).

The questions are ordinary questions of the session (answered on phones and on paper,
counted and logged like any other) marked ``evaluation``: they are kept apart from the
process's results (the public page, the council's result sections) and shown in the
session report (``sessions_app.session_report``).

Error codes: ``evaluation_exists`` (``InputRejected``); those of ``question_create``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from sessions_app import permissions
from sessions_app.exceptions import InputRejected
from sessions_app.models import LiveSession, Question, QuestionKind
from sessions_app.specs import OptionSpec, QuestionSpec

from .questions import question_create

K = QuestionKind


def evaluation_template() -> list[QuestionSpec]:
    """The template's questions, in the active language."""
    return [
        QuestionSpec(
            kind=K.SCALE,
            text=_("How clear was it to you what will be done with the input of this meeting?"),
            scale_min=1,
            scale_max=5,
            min_label=_("not clear at all"),
            max_label=_("completely clear"),
            evaluation=True,
        ),
        QuestionSpec(
            kind=K.SCALE,
            text=_("Did you feel heard?"),
            scale_min=1,
            scale_max=5,
            min_label=_("not at all"),
            max_label=_("completely"),
            evaluation=True,
        ),
        QuestionSpec(
            kind=K.SINGLE_CHOICE,
            text=_("How did you take part?"),
            options=[
                OptionSpec(text=_("On my phone, in the room")),
                OptionSpec(text=_("On my phone, from elsewhere")),
                OptionSpec(text=_("On a paper form")),
                OptionSpec(text=_("By raising my hand, or only listening")),
            ],
            evaluation=True,
        ),
        QuestionSpec(
            kind=K.SINGLE_CHOICE,
            text=_("Would you come to a meeting like this again?"),
            options=[
                OptionSpec(text=_("Yes")),
                OptionSpec(text=_("Maybe")),
                OptionSpec(text=_("No")),
            ],
            evaluation=True,
        ),
    ]


def evaluation_add(*, user, session: LiveSession) -> list[Question]:
    """Add the template's evaluation questions at the end of the session's agenda, in
    the process's language. Raises ``InputRejected("evaluation_exists")`` when the
    session has evaluation questions already, and what ``question_create`` raises."""
    permissions.require(user, session.process, "design")
    with transaction.atomic():
        if session.questions.filter(evaluation=True).exists():
            raise InputRejected("evaluation_exists")
        with translation.override(session.process.language):
            specs = evaluation_template()
        return [question_create(user=user, session=session, spec=spec) for spec in specs]
