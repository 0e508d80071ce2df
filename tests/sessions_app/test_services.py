"""Design services: each writes, logs and refuses bad input with a stable code."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.design import question_to_dict
from sessions_app.exceptions import AccessDenied, DesignError
from sessions_app.models import (
    HandCount,
    Invitation,
    JoinedVia,
    LogEntry,
    Option,
    Participant,
    ProcessState,
    Question,
    QuestionKind,
    QuestionState,
    Response,
    ResponseItem,
    Role,
    Source,
    StaffRole,
)
from sessions_app.models.live_session import JOIN_CODE_ALPHABET
from sessions_app.services import facilitation, live_sessions, processes, questions, staff
from sessions_app.services.questions import question_spec_of
from sessions_app.specs import MilestoneSpec, OptionSpec
from tests.conftest import full_process_spec, question_spec, session_spec

pytestmark = pytest.mark.django_db


def actions(process):
    return list(LogEntry.objects.filter(process=process).values_list("action", flat=True))


def test_process_create_makes_the_creator_organiser_and_logs(organiser):
    process = processes.process_create(
        user=organiser,
        spec=full_process_spec(title="Begroting 2027"),
        milestones=[MilestoneSpec(date=timezone.localdate(), label="Raadsbesluit")],
    )
    assert process.slug == "begroting-2027"
    assert process.state == ProcessState.DRAFT
    assert StaffRole.objects.filter(process=process, user=organiser, role=Role.ORGANISER).exists()
    assert actions(process) == ["process.created", "staff.granted"]
    created = LogEntry.objects.get(process=process, seq=1)
    assert created.data["title"] == "Begroting 2027"
    assert created.data["timeline"][0]["label"] == "Raadsbesluit"


def test_slugs_are_unique(make_process):
    assert make_process().slug == "herinrichting-stationsplein"
    assert make_process().slug == "herinrichting-stationsplein-2"


def test_process_create_refuses_an_empty_title(organiser):
    with pytest.raises(DesignError) as caught:
        processes.process_create(user=organiser, spec=full_process_spec(title=" "))
    assert [(p.path, p.code) for p in caught.value.problems] == [("title", "required")]


def test_process_update_logs_only_what_changed(process, organiser):
    spec = full_process_spec(level="advise", promise="Het college volgt het advies.")
    processes.process_update(user=organiser, process=process, spec=spec)
    entry = LogEntry.objects.filter(process=process).last()
    assert entry.action == "process.edited"
    assert entry.data == {
        "before": {"level": "consult", "promise": "De raad weegt de uitkomst mee."},
        "after": {"level": "advise", "promise": "Het college volgt het advies."},
    }


def test_other_roles_cannot_design(process, make_user, grant):
    facilitator = make_user("fenna")
    grant(process, facilitator, Role.FACILITATOR)
    with pytest.raises(AccessDenied) as caught:
        processes.process_update(user=facilitator, process=process, spec=full_process_spec())
    assert caught.value.code == "role_required"
    stranger = make_user("sam")
    with pytest.raises(AccessDenied) as caught:
        processes.process_update(user=stranger, process=process, spec=full_process_spec())
    assert caught.value.code == "not_staff"


def test_publish_needs_promise_decision_maker_and_an_agenda(make_process, organiser):
    process = make_process(promise="", decision_maker="")
    with pytest.raises(DesignError) as caught:
        processes.process_publish(user=organiser, process=process)
    assert caught.value.code == "process_incomplete"
    assert {p.path for p in caught.value.problems} == {"promise", "decision_maker", "sessions"}
    process.refresh_from_db()
    assert process.state == ProcessState.DRAFT
    assert "process.published" not in actions(process)


def test_publish_and_close(process, organiser, make_question):
    make_question("scale")
    processes.process_publish(user=organiser, process=process)
    assert process.state == ProcessState.PUBLISHED and process.published_at
    with pytest.raises(DesignError) as caught:
        processes.process_publish(user=organiser, process=process)
    assert caught.value.code == "process_state"
    processes.process_close(user=organiser, process=process)
    assert process.state == ProcessState.CLOSED
    # Closing ends its sessions: the join codes stop admitting people.
    assert actions(process)[-3:] == ["process.published", "session.ended", "process.closed"]
    assert process.sessions.get().state == "ended"
    with pytest.raises(DesignError) as caught:
        questions.question_create(
            user=organiser, session=process.sessions.get(), spec=question_spec("open_text")
        )
    assert caught.value.code == "process_state"
    with pytest.raises(DesignError) as caught:
        processes.process_update(
            user=organiser, process=process, spec=full_process_spec(promise="Anders.")
        )
    assert caught.value.code == "process_state"
    with pytest.raises(DesignError) as caught:
        processes.milestones_replace(user=organiser, process=process, milestones=[])
    assert caught.value.code == "process_state"


def test_live_session_gets_an_unambiguous_join_code(live_session):
    assert len(live_session.join_code) == 6
    assert set(live_session.join_code) <= set(JOIN_CODE_ALPHABET)
    assert not set("01OIL2Z5S8B") & set(live_session.join_code)


def test_live_session_reorder(process, organiser):
    first = live_sessions.live_session_create(
        user=organiser, process=process, spec=session_spec(title="A")
    )
    second = live_sessions.live_session_create(
        user=organiser, process=process, spec=session_spec(title="B")
    )
    live_sessions.live_session_move(user=organiser, session=second, offset=-1)
    assert [s.title for s in process.sessions.all()] == ["B", "A"]
    assert LogEntry.objects.filter(process=process).last().data == {
        "session": second.pk,
        "from": 2,
        "to": 1,
    }
    live_sessions.live_session_move(user=organiser, session=first, offset=-1)
    assert [s.title for s in process.sessions.all()] == ["A", "B"]


def test_session_that_ran_a_question_cannot_be_removed(live_session, make_question, organiser):
    question = make_question()
    Question.objects.filter(pk=question.pk).update(
        state=QuestionState.OPEN, opened_at=timezone.now()
    )
    with pytest.raises(DesignError) as caught:
        live_sessions.live_session_delete(user=organiser, session=live_session)
    assert caught.value.code == "session_has_activity"


def test_question_create_of_each_kind_is_logged(make_question, process):
    for kind in QuestionKind.values:
        question = make_question(kind)
        entry = LogEntry.objects.filter(process=process).last()
        assert entry.action == "question.created"
        assert entry.data["kind"] == kind and entry.data["question"] == question.pk
    assert Question.objects.order_by("position").first().kind == "single_choice"


def test_question_reorder(make_question, organiser, live_session):
    first, _second, third = (
        make_question(text="een?"),
        make_question(text="twee?"),
        make_question(text="drie?"),
    )
    questions.question_move(user=organiser, question=third, offset=-1)
    assert [q.text for q in live_session.questions.all()] == ["een?", "drie?", "twee?"]
    questions.question_move(user=organiser, question=first, offset=-1)  # already first: no-op
    assert [q.text for q in live_session.questions.all()] == ["een?", "drie?", "twee?"]


def open_question(question):
    Question.objects.filter(pk=question.pk).update(
        state=QuestionState.OPEN, opened_at=timezone.now()
    )
    question.refresh_from_db()


def answer(question, option, token="t1"):
    participant = Participant.objects.create(
        session=question.session, token=token, public_id=f"p-{token}", joined_via=JoinedVia.ROOM
    )
    response = Response.objects.create(
        question=question, participant=participant, source=Source.ONLINE
    )
    ResponseItem.objects.create(response=response, option=option)
    return response


def test_edit_after_open_records_before_and_after(make_question, organiser, process):
    """What does not change an answer's meaning may change after opening; the log marks
    the edit ``after_open`` with before and after."""
    question = make_question()
    open_question(question)
    spec = question_spec_of(question)
    spec.level = "advise"
    spec.promise = "De raad neemt het advies mee."
    questions.question_update(user=organiser, question=question, spec=spec)
    entry = LogEntry.objects.filter(process=process).last()
    assert entry.action == "question.edited"
    assert entry.data["after_open"] is True
    assert entry.data["before"] == {"level": None, "promise": None}
    assert entry.data["after"] == {"level": "advise", "promise": "De raad neemt het advies mee."}


def _rename_option(spec):
    spec.options[0].text = "Klimrek XL"


def _add_option(spec):
    spec.options.append(OptionSpec("Spelen"))


def _remove_option(spec):
    spec.options.pop()


def _reorder_options(spec):
    spec.options.reverse()


#: (kind, change) pairs that each change what an answer means.
WORDING = [
    ("single_choice", {"text": "Wat wordt de hoofdfunctie van het plein?"}),
    ("single_choice", {"text": "Vraag over single_choice? "}),  # changes nothing: allowed
    ("single_choice", {"description": "Een andere uitleg."}),
    ("single_choice", _rename_option),
    ("single_choice", _add_option),
    ("single_choice", _remove_option),
    ("single_choice", _reorder_options),
    ("single_choice", {"kind": "ranking"}),
    ("single_choice", {"evaluation": True}),
    ("multiple_choice", {"max_choices": 3}),
    ("multiple_choice", {"max_choices": 1}),
    ("scale", {"scale_min": 0}),
    ("scale", {"scale_max": 10}),
    ("scale", {"min_label": "heel slecht"}),
    ("scale", {"max_label": "heel goed"}),
    ("budget", {"budget_total": 50}),
    ("budget", {"budget_unit": "euro"}),
    ("statements", _rename_option),
    ("statements", _add_option),
]


@pytest.mark.parametrize(("kind", "change"), WORDING)
def test_the_wording_of_an_opened_question_is_binding(
    kind, change, make_question, organiser, process
):
    question = make_question(kind)
    open_question(question)
    before = (question_to_dict(question), list(question.options.values_list("pk", "text")))
    logged = LogEntry.objects.filter(process=process).count()
    spec = question_spec_of(question)
    if callable(change):
        change(spec)
    else:
        for name, value in change.items():
            setattr(spec, name, value)
    if spec.text.endswith(" "):
        # The same wording (as it is stored: trimmed) is no change.
        questions.question_update(user=organiser, question=question, spec=spec)
    else:
        with pytest.raises(DesignError) as caught:
            questions.question_update(user=organiser, question=question, spec=spec)
        assert caught.value.code == "question_asked"
        assert "can no longer change" in caught.value.message
    question = Question.objects.get(pk=question.pk)
    after = (question_to_dict(question), list(question.options.values_list("pk", "text")))
    assert after == before
    assert LogEntry.objects.filter(process=process).count() == logged


def test_an_answer_or_hand_count_makes_a_question_asked(make_question, organiser):
    answered, counted, fresh = make_question(), make_question(), make_question()
    answer(answered, answered.options.first())  # a paper form entered before it opened
    HandCount.objects.create(
        question=counted, option=counted.options.first(), count=3, entered_by=organiser
    )
    assert not any(q.has_been_opened for q in (answered, counted, fresh))
    for question in (answered, counted):
        spec = question_spec_of(question)
        spec.text = "Anders gesteld?"
        with pytest.raises(DesignError) as caught:
            questions.question_update(user=organiser, question=question, spec=spec)
        assert caught.value.code == "question_asked"
    spec = question_spec_of(fresh)
    spec.text = "Anders gesteld?"
    questions.question_update(user=organiser, question=fresh, spec=spec)
    fresh.refresh_from_db()
    assert fresh.text == "Anders gesteld?"


def test_what_keeps_an_answers_meaning_may_change_once_asked(make_question, organiser):
    statements = make_question("statements", participants_may_add=True)
    open_question(statements)
    spec = question_spec_of(statements)
    spec.participants_may_add = False
    spec.max_proposals = 50
    spec.promise = "Het college reageert per stelling."
    questions.question_update(user=organiser, question=statements, spec=spec)
    statements.refresh_from_db()
    assert (statements.participants_may_add, statements.max_proposals) == (False, 50)
    # Moderating a statement is not an edit of the wording.
    shown = statements.options.first()
    facilitation.statement_moderate(user=organiser, option=shown, decision="hide", reason="Dubbel")
    shown.refresh_from_db()
    assert shown.moderation == "hidden"


def test_option_keeps_its_identity_through_edits(make_question, organiser):
    question = make_question()
    ids = list(question.options.values_list("pk", flat=True))
    spec = question_spec_of(question)
    spec.options = [spec.options[2], spec.options[0], OptionSpec("Spelen")]
    questions.question_update(user=organiser, question=question, spec=spec)
    after = list(question.options.values_list("pk", "text"))
    assert after[:2] == [(ids[2], "Fietsen"), (ids[0], "Groen")]
    assert after[2][1] == "Spelen"
    assert not Option.objects.filter(pk=ids[1]).exists()


def test_option_with_answers_cannot_be_removed(make_question, organiser):
    question = make_question()
    open_question(question)
    markt = question.options.get(text="Markt")
    answer(question, markt)
    spec = question_spec_of(question)
    spec.options = [o for o in spec.options if o.text != "Markt"]
    with pytest.raises(DesignError) as caught:
        questions.question_update(user=organiser, question=question, spec=spec)
    assert caught.value.code == "question_asked"
    assert question.options.filter(pk=markt.pk).exists()


def test_kind_of_an_opened_question_is_locked(make_question, organiser):
    """Refused as a change of wording, not with the new kind's missing settings."""
    question = make_question("single_choice")
    open_question(question)
    spec = question_spec_of(question)
    spec.kind = "multiple_choice"  # without its maximum of choices
    with pytest.raises(DesignError) as caught:
        questions.question_update(user=organiser, question=question, spec=spec)
    assert (caught.value.code, caught.value.problems) == ("question_asked", [])
    with pytest.raises(DesignError) as caught:
        questions.question_update(user=organiser, question=question, spec=question_spec("ranking"))
    assert caught.value.code == "question_asked"


def test_kind_change_before_opening_clears_other_settings(make_question, organiser):
    question = make_question("multiple_choice")
    questions.question_update(user=organiser, question=question, spec=question_spec("scale"))
    question.refresh_from_db()
    assert (question.kind, question.scale_min, question.scale_max) == ("scale", 1, 5)
    assert question.max_choices is None
    assert not question.options.exists()


def test_opened_question_cannot_be_deleted(make_question, organiser):
    question = make_question()
    open_question(question)
    with pytest.raises(DesignError) as caught:
        questions.question_delete(user=organiser, question=question)
    assert caught.value.code == "question_locked"
    assert Question.objects.filter(pk=question.pk).exists()


def test_invalid_question_changes_nothing(make_question, organiser, process):
    question = make_question("scale")
    before = LogEntry.objects.filter(process=process).count()
    with pytest.raises(DesignError):
        questions.question_update(
            user=organiser, question=question, spec=question_spec("scale", scale_min=5, scale_max=1)
        )
    question.refresh_from_db()
    assert (question.scale_min, question.scale_max) == (1, 5)
    assert LogEntry.objects.filter(process=process).count() == before


def test_staff_grant_and_last_organiser(process, organiser, make_user):
    teller = make_user("tom")
    staff.staff_grant(user=organiser, process=process, target=teller, role=Role.TELLER)
    assert LogEntry.objects.filter(process=process).last().data == {"user": "tom", "role": "teller"}
    own = StaffRole.objects.get(process=process, user=organiser)
    with pytest.raises(DesignError) as caught:
        staff.staff_revoke(user=organiser, staff_role=own)
    assert caught.value.code == "last_organiser"
    with pytest.raises(DesignError) as caught:
        staff.staff_grant_by_username(
            user=organiser, process=process, username="nobody", role=Role.TELLER
        )
    assert caught.value.code == "unknown_user"


def test_invitation_is_used_once_and_expires(process, organiser, make_user):
    invitation = staff.invitation_create(
        user=organiser, process=process, role=Role.REVIEWER, note="griffie"
    )
    reviewer = make_user("rik")
    staff.invitation_accept(token=invitation.token, user=reviewer)
    assert StaffRole.objects.filter(process=process, user=reviewer, role=Role.REVIEWER).exists()
    with pytest.raises(DesignError) as caught:
        staff.invitation_accept(token=invitation.token, user=make_user("other"))
    assert caught.value.code == "invitation_used"

    late = staff.invitation_create(user=organiser, process=process, role=Role.TELLER)
    Invitation.objects.filter(pk=late.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(DesignError) as caught:
        staff.invitation_accept(token=late.token, user=reviewer)
    assert caught.value.code == "invitation_expired"
    assert not StaffRole.objects.filter(user=reviewer, role=Role.TELLER).exists()


def test_reserved_words_are_not_used_as_slugs(make_process):
    assert make_process(title="Import").slug == "import-2"
    assert make_process(title="New").slug == "new-2"


def test_process_update_compares_with_the_stored_process(process, organiser):
    """A bound ModelForm changes the instance before the service runs; the service must
    still see the change, save it and log it."""
    process.title = "Nieuwe titel"  # what ModelForm.is_valid() does to its instance
    processes.process_update(
        user=organiser, process=process, spec=full_process_spec(title="Nieuwe titel")
    )
    process.refresh_from_db()
    assert process.title == "Nieuwe titel"
    assert LogEntry.objects.filter(process=process).last().data["after"] == {
        "title": "Nieuwe titel"
    }


def test_session_update_compares_with_the_stored_session(live_session, organiser):
    live_session.venue = "Bibliotheek"
    live_sessions.live_session_update(
        user=organiser, session=live_session, spec=session_spec(venue="Bibliotheek")
    )
    live_session.refresh_from_db()
    assert live_session.venue == "Bibliotheek"
    entry = LogEntry.objects.filter(process=live_session.process).last()
    assert (entry.action, entry.data["after"]) == ("session.edited", {"venue": "Bibliotheek"})


def test_timeline_replace_is_logged_with_before_and_after(process, organiser):
    day = timezone.localdate()
    processes.milestones_replace(
        user=organiser, process=process, milestones=[MilestoneSpec(day, "Raad")]
    )
    entry = LogEntry.objects.filter(process=process).last()
    assert entry.data == {
        "before": [],
        "after": [{"date": day.isoformat(), "label": "Raad", "kind": "other"}],
    }
    with pytest.raises(DesignError) as caught:
        processes.milestones_replace(
            user=organiser, process=process, milestones=[MilestoneSpec(day, " ")]
        )
    assert [p.path for p in caught.value.problems] == ["timeline[0].label"]


def test_naming_one_option_twice_is_refused(make_question, organiser):
    question = make_question()
    spec = question_spec_of(question)
    spec.options = [spec.options[0], OptionSpec("Kopie", id=spec.options[0].id)]
    with pytest.raises(DesignError) as caught:
        questions.question_update(user=organiser, question=question, spec=spec)
    assert [p.code for p in caught.value.problems] == ["duplicate_option"]
    assert question.options.count() == 3


def counted_answer(question, **fields):
    participant = Participant.objects.create(
        session=question.session,
        token=f"t{question.pk}",
        public_id=f"p-{question.pk}",
        joined_via=JoinedVia.ROOM,
    )
    return Response.objects.create(
        question=question, participant=participant, source=Source.ONLINE, **fields
    )


def test_a_longest_answer_shorter_than_an_answer_given_is_refused(make_question, organiser):
    question = make_question("open_text")
    open_question(question)
    counted_answer(question, text="x" * 200)
    with pytest.raises(DesignError) as caught:
        questions.question_update(
            user=organiser, question=question, spec=question_spec("open_text", max_length=100)
        )
    assert [(p.path, p.code) for p in caught.value.problems] == [("max_length", "answers_conflict")]
    questions.question_update(
        user=organiser, question=question, spec=question_spec("open_text", max_length=500)
    )
    question.refresh_from_db()
    assert question.max_length == 500
