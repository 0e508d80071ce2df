"""Issue 18, the facilitator: reopening an ended session within its grace period, a
question opened again hiding its results, closing paper counting while forms wait for
their second entry, the rule of a show of hands, and no null shares on the screens."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from freezegun import freeze_time

from sessions_app.exceptions import AccessDenied, FacilitationError
from sessions_app.models import EntryMode, LogEntry, Process, Role, SessionState
from sessions_app.opinion.groups import opinion_map
from sessions_app.opinion.serialize import to_data
from sessions_app.opinion.summary import summary
from sessions_app.services import facilitation, paper
from sessions_app.services.hands import hand_count_record, hands_rule_applies
from sessions_app.services.participation import participant_join, session_accepts_people
from sessions_app.services.processes import process_publish
from tests.paper_fixtures import option, paper_session, printed  # noqa: F401

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 4, 20, 30, tzinfo=UTC)


def actions(process) -> list[str]:
    return list(
        LogEntry.objects.filter(process=process).order_by("seq").values_list("action", flat=True)
    )


@pytest.fixture
def evening(live_session, make_question, organiser, make_user, grant):
    question = make_question("single_choice")
    process_publish(user=organiser, process=live_session.process)
    facilitator = make_user("fenna")
    grant(live_session.process, facilitator, Role.FACILITATOR)
    live_session.refresh_from_db()
    return live_session, question, facilitator


def test_an_ended_session_reopens_within_the_grace_period(evening):
    session, question, fenna = evening
    with freeze_time(T0):
        facilitation.question_open(user=fenna, question=question)
        facilitation.session_end(user=fenna, session=session)
    session.refresh_from_db()
    assert session.state == SessionState.ENDED and session.ended_at == T0
    assert not session_accepts_people(session)
    with freeze_time(T0 + timedelta(minutes=29)):
        assert facilitation.session_reopenable(session)
        facilitation.session_reopen(user=fenna, session=session)
    session.refresh_from_db()
    assert (session.state, session.ended_at) == (SessionState.LIVE, None)
    assert actions(session.process)[-2:] == ["session.ended", "session.reopened"]
    entry = LogEntry.objects.filter(process=session.process).order_by("seq").last()
    assert entry.data == {"session": session.pk}
    # Phones can join again; the question closed by the end stays closed.
    assert session_accepts_people(session)
    participant_join(session=session, via="room")
    question.refresh_from_db()
    assert question.state == "closed"


def test_reopening_after_the_grace_period_is_refused(evening, settings):
    settings.SESSION_REOPEN_MINUTES = 10
    session, _question, fenna = evening
    with freeze_time(T0):
        facilitation.session_end(user=fenna, session=session)
    session.refresh_from_db()
    assert facilitation.session_reopen_until(session) == T0 + timedelta(minutes=10)
    before = actions(session.process)
    with freeze_time(T0 + timedelta(minutes=10, seconds=1)):
        assert not facilitation.session_reopenable(session)
        with pytest.raises(FacilitationError) as caught:
            facilitation.session_reopen(user=fenna, session=session)
    assert caught.value.code == "reopen_expired"
    assert "10" in caught.value.message
    session.refresh_from_db()
    assert session.state == SessionState.ENDED
    assert actions(session.process) == before  # nothing logged


def test_only_a_facilitator_reopens_and_only_an_ended_session(evening, make_user, grant):
    session, _question, fenna = evening
    with pytest.raises(FacilitationError) as caught:
        facilitation.session_reopen(user=fenna, session=session)
    assert caught.value.code == "session_not_ended"
    facilitation.session_end(user=fenna, session=session)
    teller = make_user("tom")
    grant(session.process, teller, Role.TELLER)
    with pytest.raises(AccessDenied):
        facilitation.session_reopen(user=teller, session=session)
    with pytest.raises(AccessDenied):
        facilitation.session_reopen(user=make_user("nobody"), session=session)
    session.refresh_from_db()
    assert session.state == SessionState.ENDED
    # The console's command does the same; no question was opened: planned again.
    facilitation.console_command(user=fenna, session_id=session.pk, message={"command": "reopen"})
    session.refresh_from_db()
    assert session.state == SessionState.PLANNED


def test_a_session_of_a_closed_process_is_not_reopened(evening, organiser):
    from sessions_app.services.processes import process_close

    session, _question, fenna = evening
    process_close(user=organiser, process=session.process)
    session.refresh_from_db()
    with pytest.raises(FacilitationError) as caught:
        facilitation.session_reopen(user=fenna, session=session)
    assert caught.value.code == "session_ended"


def test_opening_a_question_again_hides_its_results(evening):
    session, question, fenna = evening
    facilitation.question_open(user=fenna, question=question)
    facilitation.question_close(user=fenna, question=question)
    facilitation.question_reveal(user=fenna, question=question, revealed=True)
    notice = facilitation.console_command(
        user=fenna, session_id=session.pk, message={"command": "open", "question": question.pk}
    )
    assert notice == "results_hidden"
    question.refresh_from_db()
    assert (question.state, question.results_revealed) == ("open", False)
    assert actions(session.process)[-2:] == ["question.reopened", "results.hidden"]
    # Hidden results are not reopened twice, and a first opening says nothing.
    facilitation.question_close(user=fenna, question=question)
    assert (
        facilitation.console_command(
            user=fenna, session_id=session.pk, message={"command": "open", "question": question.pk}
        )
        is None
    )
    assert actions(session.process)[-1] == "question.reopened"


def test_closing_paper_counting_asks_while_forms_wait_for_a_second_entry(
    paper_session,  # noqa: F811
    printed,  # noqa: F811
    make_user,
    grant,
    organiser,
):
    session, questions = paper_session
    Process.objects.filter(pk=session.process_id).update(entry_mode=EntryMode.DOUBLE)
    session.process.refresh_from_db()
    tom = make_user("tom")
    grant(session.process, tom, Role.TELLER)
    sheets = printed(2)
    answers = {str(questions["choice"].pk): {"option": option(questions["choice"])}}
    outcome = paper.sheet_entry_record(
        user=tom, sheet=sheets[0], answers=answers, client_id="entry-tom001"
    )
    assert outcome.status == "waiting"
    with pytest.raises(FacilitationError) as caught:
        facilitation.console_command(
            user=organiser, session_id=session.pk, message={"command": "paper_close"}
        )
    assert caught.value.code == "paper_waiting" and caught.value.params == {"n": 1}
    assert "1" in caught.value.message
    session.refresh_from_db()
    assert session.paper_closed_at is None
    facilitation.console_command(
        user=organiser, session_id=session.pk, message={"command": "paper_close", "confirm": True}
    )
    session.refresh_from_db()
    assert session.paper_closed_at is not None
    assert actions(session.process)[-1] == "paper.closed"


def test_the_rule_of_hands_is_stated_when_hands_can_count(evening):
    session, question, fenna = evening
    assert not hands_rule_applies(question, mode=session.mode, hands=0)  # not open yet
    facilitation.question_open(user=fenna, question=question)
    question.refresh_from_db()
    assert hands_rule_applies(question, mode="in_room", hands=0)
    assert not hands_rule_applies(question, mode="online", hands=0)
    facilitation.question_close(user=fenna, question=question)
    question.refresh_from_db()
    assert not hands_rule_applies(question, mode="hybrid", hands=0)
    hand_count_record(
        user=fenna, question=question, counts={str(option(question)): 12}, client_id="hands-00001"
    )
    assert hands_rule_applies(question, mode="online", hands=12)

    from realtime.snapshots import build_view

    facilitation.session_show(user=fenna, session=session, question=question)
    view = build_view(session.pk, stale=None, cache={})
    assert view.presenter["question"]["hands_rule"] is True
    assert view.presenter["question"]["respondents"] == 12


def test_a_group_that_never_voted_on_a_statement_gets_no_null_share():
    """Paper forms printed before statement 8 was added: that group never saw it. It is
    not common ground, and no share (null) is shown for the group."""
    votes = []
    for i in range(8):
        votes += [(f"phone{i}", s, 1 if s % 2 == 0 else -1) for s in range(1, 9)]
        votes += [(f"paper{i}", s, -1 if s % 2 == 0 else 1) for s in range(1, 8)]
    found = opinion_map(votes, statements=list(range(1, 9)))
    shown = summary(json.loads(json.dumps(to_data(found))), {s: f"S{s}" for s in range(1, 9)})
    assert len(shown["groups"]) == 2
    assert "null" not in json.dumps(shown)
    assert 8 not in [line["statement"] for line in shown["consensus"]]
    for line in shown["consensus"] + shown["divisive"]:
        assert len(line["by_group"]) == 2  # both groups voted on every statement listed


def test_the_paper_page_warns_before_closing_over_waiting_forms(
    paper_session,  # noqa: F811
    printed,  # noqa: F811
    make_user,
    grant,
    organiser,
    client,
):
    """The paper page's own close button: it names the waiting forms and only a second,
    explicit "close anyway" closes; a page loaded before a form arrived is refused."""
    session, questions = paper_session
    Process.objects.filter(pk=session.process_id).update(entry_mode=EntryMode.DOUBLE)
    tom = make_user("tom")
    grant(session.process, tom, Role.TELLER)
    sheets = printed(2)
    answers = {str(questions["choice"].pk): {"option": option(questions["choice"])}}
    paper.sheet_entry_record(user=tom, sheet=sheets[0], answers=answers, client_id="entry-t01")
    client.force_login(organiser)
    page = client.get(reverse("paper:page", args=[session.process.slug, session.pk]))
    html = page.content.decode()
    assert "1 form still waits for its second entry" in html
    assert 'name="confirm" value="1"' in html
    action = reverse("paper:action", args=[session.process.slug, session.pk])
    # a stale page without the warning posts no confirm: refused, nothing closes
    response = client.post(action, {"action": "close"}, follow=True)
    session.refresh_from_db()
    assert session.paper_closed_at is None
    assert "Forms still waiting for their second entry: 1" in response.content.decode()
    client.post(action, {"action": "close", "confirm": "1"})
    session.refresh_from_db()
    assert session.paper_closed_at is not None
