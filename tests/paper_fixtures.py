"""Helpers shared by the paper tests: a session with one question of each kind, printed."""

from __future__ import annotations

import pytest

from sessions_app.models import Role
from sessions_app.services.participation import response_submit
from sessions_app.services.print_runs import print_batch_create
from sessions_app.services.printing import form_layout
from sessions_app.specs import OptionSpec


@pytest.fixture
def paper_session(live_session, make_question):
    questions = {
        "choice": make_question("single_choice"),
        "multiple": make_question("multiple_choice"),
        "scale": make_question("scale"),
        "ranking": make_question("ranking"),
        "budget": make_question("budget"),
        "text": make_question("open_text"),
        "statements": make_question(
            "statements",
            options=[OptionSpec("Meer bomen."), OptionSpec("Geen auto's.")],
            participants_may_add=True,
        ),
    }
    return live_session, questions


@pytest.fixture
def printed(paper_session, organiser):
    def print_sheets(count=3, *, large=False, cards=False):
        session, _questions = paper_session
        layout = form_layout(session=session, large_print=large, with_cards=cards)
        batch = print_batch_create(
            user=organiser, session=session, count=count, layout=layout, with_cards=cards
        )
        return list(batch.sheets.order_by("serial"))

    return print_sheets


def option(question, index=0):
    return question.options.order_by("position")[index].pk


@pytest.fixture
def teller(make_user, grant, paper_session):
    session, _questions = paper_session
    user = make_user("tom")
    grant(session.process, user, Role.TELLER)
    return user


def phone_answer(participant, question, index: int, client_id: str):
    """The phone chooses option ``index`` of a choice question."""
    return response_submit(
        participant=participant,
        question_id=question.pk,
        answer={"option": option(question, index)},
        client_id=client_id,
    )


@pytest.fixture
def double_entry(paper_session, make_user, grant):
    """The process in double entry, with two tellers (tom and tess)."""
    from sessions_app.models import EntryMode, Process

    session, _questions = paper_session
    Process.objects.filter(pk=session.process_id).update(entry_mode=EntryMode.DOUBLE)
    session.process.refresh_from_db()
    tellers = []
    for name in ("tom", "tess"):
        teller = make_user(name)
        grant(session.process, teller, Role.TELLER)
        tellers.append(teller)
    return tellers
