"""Paper: printing codes, single and blind double entry, review, refusals, voiding, closing
the count, attendee cards and hands."""

import pytest
from django.core import signing
from django.db import IntegrityError, transaction

from sessions_app.exceptions import AccessDenied, InputRejected
from sessions_app.models import (
    EntryState,
    HandCount,
    LogEntry,
    PaperSheet,
    Participant,
    Process,
    Response,
    ResponseStatus,
    SheetEntry,
    SheetState,
)
from sessions_app.results import question_results
from sessions_app.services import (
    facilitation,
    hands,
    paper,
    participation,
    print_runs,
    reconciliation,
)
from tests.paper_fixtures import option, phone_answer
from tests.texts import commitment_of

pytestmark = pytest.mark.django_db


def counts():
    return Response.objects.count(), LogEntry.objects.count(), SheetEntry.objects.count()


def choice_answer(questions, index=0):
    return {str(questions["choice"].pk): {"option": option(questions["choice"], index)}}


def test_printing_issues_unguessable_codes_and_logs(printed, paper_session):
    session, _questions = paper_session
    sheets = printed(3) + printed(2, large=True)
    assert [s.serial for s in sheets] == [1, 2, 3, 4, 5]
    assert len({s.code for s in sheets}) == 5 and all(len(s.code) == 8 for s in sheets)
    assert sheets[0].layout_version != sheets[3].layout_version  # large print is another layout
    assert session.layouts.count() == 2
    entry = LogEntry.objects.filter(action="paper.printed").last()
    assert entry.data["serials"] == [4, 5] and entry.data["large_print"] is True


def test_print_count_is_bounded(paper_session, organiser):
    from sessions_app.services.printing import form_layout

    session, _questions = paper_session
    layout = form_layout(session=session, large_print=False)
    for count in (0, 2001, "10"):
        with pytest.raises(InputRejected) as caught:
            print_runs.print_batch_create(
                user=organiser, session=session, count=count, layout=layout
            )
        assert caught.value.code == "invalid_count"
    assert not PaperSheet.objects.exists()


def test_the_qr_token_is_signed(printed):
    sheet = printed(1)[0]
    token = paper.sheet_token(sheet)
    assert paper.sheet_from_token(token) == sheet
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    with pytest.raises(InputRejected) as caught:
        paper.sheet_from_token(forged)
    assert caught.value.code == "sheet_forged"
    other_code = signing.Signer(salt=paper.SIGNING_SALT).sign("ZZZZZZZZ")
    with pytest.raises(InputRejected) as caught:
        paper.sheet_from_token(other_code)
    assert caught.value.code == "unknown_sheet"


def test_single_entry_counts_every_kind_as_paper(printed, paper_session, organiser):
    _session, questions = paper_session
    sheet = printed(1)[0]
    q = questions
    answers = {
        str(q["choice"].pk): {"option": option(q["choice"], 1)},
        str(q["multiple"].pk): {"options": [option(q["multiple"], 0), option(q["multiple"], 2)]},
        str(q["scale"].pk): {"value": 4},
        str(q["ranking"].pk): {"ranking": [option(q["ranking"], 2), option(q["ranking"], 0)]},
        str(q["budget"].pk): {
            "allocation": {str(option(q["budget"], 0)): 70, str(option(q["budget"], 1)): 30}
        },
        str(q["text"].pk): {"text": "Meer schaduw graag"},
        str(q["statements"].pk): {
            "votes": {
                str(option(q["statements"], 0)): "agree",
                str(option(q["statements"], 1)): "pass",
            },
            "proposal": "Een fontein.",
        },
    }
    outcome = paper.sheet_entry_record(
        user=organiser, sheet=sheet, answers=answers, client_id="entry-000001"
    )
    assert (outcome.status, outcome.sheet_state) == ("counted", SheetState.COUNTED)
    sheet.refresh_from_db()
    assert sheet.participant.joined_via == "paper" and sheet.participant.token is None
    responses = Response.objects.filter(sheet=sheet)
    assert responses.count() == 8  # seven questions, two statement votes
    assert set(responses.values_list("source", "status", "teller_id")) == {
        ("paper", "counted", organiser.pk)
    }
    assert questions["statements"].options.get(text="Een fontein.").moderation == "pending"
    results = question_results(question=q["choice"])
    assert results["respondents"]["paper"] == 1
    assert results["options"][1]["counts"]["paper"] == 1
    assert results["provisional"] is True
    counted = LogEntry.objects.get(action="paper.counted")
    statements = answers[str(q["statements"].pk)]
    assert counted.data["sheet"] == sheet.code and counted.data["answers"] == answers | {
        str(q["text"].pk): {"text_commitment": commitment_of("Meer schaduw graag")},
        str(q["statements"].pk): {
            "votes": statements["votes"],
            "proposal_commitment": commitment_of("Een fontein.", "proposal"),
        },
    }
    assert "Een fontein" not in str(counted.data) and "schaduw" not in str(counted.data)
    assert sorted(counted.data["responses"]) == sorted(responses.values_list("pk", flat=True))


def test_blank_questions_are_not_counted(printed, paper_session, organiser):
    _session, questions = paper_session
    sheet = printed(1)[0]
    paper.sheet_entry_record(
        user=organiser, sheet=sheet, answers=choice_answer(questions), client_id="entry-000002"
    )
    assert list(Response.objects.filter(sheet=sheet).values_list("question_id", flat=True)) == [
        questions["choice"].pk
    ]


def test_double_entry_counts_when_two_tellers_agree(printed, paper_session, double_entry):
    _session, questions = paper_session
    tom, tess = double_entry
    sheet = printed(1)[0]
    first = paper.sheet_entry_record(
        user=tom, sheet=sheet, answers=choice_answer(questions), client_id="entry-tom001"
    )
    assert (first.status, first.sheet_state) == ("waiting", SheetState.ENTERED)
    assert not Response.objects.exists()
    with pytest.raises(InputRejected) as caught:  # the same teller cannot confirm themselves
        paper.sheet_entry_record(
            user=tom, sheet=sheet, answers=choice_answer(questions), client_id="entry-tom002"
        )
    assert caught.value.code == "same_teller"
    second = paper.sheet_entry_record(
        user=tess, sheet=sheet, answers=choice_answer(questions), client_id="entry-tess01"
    )
    assert (second.status, second.sheet_state) == ("counted", SheetState.COUNTED)
    assert Response.objects.filter(sheet=sheet, status=ResponseStatus.COUNTED).count() == 1
    assert set(SheetEntry.objects.values_list("state", flat=True)) == {
        EntryState.ACCEPTED,
        EntryState.DISCARDED,
    }
    assert [e.action for e in LogEntry.objects.filter(action__startswith="paper.")][-3:] == [
        "paper.entered",
        "paper.verified",
        "paper.counted",
    ]


def test_a_mismatch_goes_to_review_and_is_resolved(printed, paper_session, double_entry, organiser):
    _session, questions = paper_session
    tom, tess = double_entry
    sheet = printed(1)[0]
    paper.sheet_entry_record(
        user=tom, sheet=sheet, answers=choice_answer(questions, 0), client_id="entry-tom003"
    )
    outcome = paper.sheet_entry_record(
        user=tess, sheet=sheet, answers=choice_answer(questions, 1), client_id="entry-tess02"
    )
    assert (outcome.status, outcome.sheet_state) == ("conflict", SheetState.CONFLICT)
    assert not Response.objects.exists()
    conflict = LogEntry.objects.get(action="paper.conflict")
    first = LogEntry.objects.get(action="paper.entered")
    assert conflict.data["other"] == first.data["entry"]
    assert first.data["answers"] != conflict.data["answers"]
    with pytest.raises(InputRejected) as caught:
        paper.sheet_entry_record(
            user=organiser, sheet=sheet, answers=choice_answer(questions), client_id="entry-org001"
        )
    assert caught.value.code == "sheet_in_review"
    with pytest.raises(AccessDenied):
        reconciliation.sheet_conflict_resolve(user=tom, sheet=sheet, entry_id=outcome.entry_id)
    reconciliation.sheet_conflict_resolve(user=organiser, sheet=sheet, entry_id=outcome.entry_id)
    sheet.refresh_from_db()
    assert sheet.state == SheetState.COUNTED
    counted = Response.objects.get(sheet=sheet)
    assert counted.items.get().option_id == option(questions["choice"], 1)
    assert LogEntry.objects.filter(action="paper.resolved").exists()


@pytest.mark.parametrize(
    "case", ["photocopy", "voided", "paper_closed", "other_session", "bad_answer", "not_a_teller"]
)
def test_refusals_change_nothing(
    case, printed, paper_session, organiser, make_user, process, make_question
):
    session, questions = paper_session
    sheet, _spare = printed(2)
    expected = {
        "photocopy": "sheet_counted",
        "voided": "sheet_voided",
        "paper_closed": "paper_closed",
        "other_session": "sheet_other_session",
        "bad_answer": "budget_not_total",
        "not_a_teller": "not_staff",
    }[case]
    user, answers, kwargs = organiser, choice_answer(questions), {}
    if case == "photocopy":
        paper.sheet_entry_record(
            user=organiser, sheet=sheet, answers=answers, client_id="entry-first01"
        )
    elif case == "voided":
        reconciliation.sheet_void(user=organiser, sheet=sheet, reason="Koffie over het formulier")
    elif case == "paper_closed":
        reconciliation.paper_close(user=organiser, session=session)
    elif case == "other_session":
        from sessions_app.services.live_sessions import live_session_create
        from tests.conftest import session_spec

        kwargs["session"] = live_session_create(
            user=organiser, process=process, spec=session_spec(title="Tweede")
        )
    elif case == "bad_answer":
        answers = {
            str(questions["budget"].pk): {"allocation": {str(option(questions["budget"])): 60}}
        }
    elif case == "not_a_teller":
        user = make_user("nobody")
    before = counts()
    with pytest.raises((InputRejected, AccessDenied)) as caught:
        paper.sheet_entry_record(
            user=user, sheet=sheet, answers=answers, client_id="entry-again1", **kwargs
        )
    assert caught.value.code == expected
    assert counts() == before


def test_a_replayed_submit_returns_the_first_outcome(printed, paper_session, organiser):
    _session, questions = paper_session
    sheet = printed(1)[0]
    first = paper.sheet_entry_record(
        user=organiser, sheet=sheet, answers=choice_answer(questions), client_id="entry-replay"
    )
    before = counts()
    again = paper.sheet_entry_record(
        user=organiser, sheet=sheet, answers=choice_answer(questions, 2), client_id="entry-replay"
    )
    assert (again.status, again.entry_id) == ("duplicate", first.entry_id)
    assert counts() == before


def test_a_counted_sheet_can_be_voided_and_its_answers_stop_counting(
    printed, paper_session, organiser
):
    _session, questions = paper_session
    sheet = printed(1)[0]
    paper.sheet_entry_record(
        user=organiser, sheet=sheet, answers=choice_answer(questions), client_id="entry-void01"
    )
    with pytest.raises(InputRejected) as caught:
        reconciliation.sheet_void(user=organiser, sheet=sheet, reason="  ")
    assert caught.value.code == "reason_required"
    reconciliation.sheet_void(user=organiser, sheet=sheet, reason="Twee keer ingeleverd")
    assert Response.objects.get(sheet=sheet).status == ResponseStatus.VOIDED
    assert question_results(question=questions["choice"])["respondents"]["paper"] == 0
    # The reason may speak about a person: the log holds its commitment, never the text.
    logged = LogEntry.objects.get(action="paper.voided").data
    assert "reason" not in logged
    assert logged["reason_commitment"] == commitment_of("Twee keer ingeleverd", "reason")


def test_closing_paper_counting_makes_results_final(printed, paper_session, organiser):
    session, questions = paper_session
    printed(1)
    assert question_results(question=questions["choice"])["provisional"] is True
    reconciliation.paper_close(user=organiser, session=session)
    session.refresh_from_db()
    assert question_results(question=questions["choice"], session=session)["provisional"] is False
    reconciliation.paper_close(user=organiser, session=session, reopen=True)
    assert [
        e.action for e in LogEntry.objects.filter(action__in=["paper.closed", "paper.reopened"])
    ] == [
        "paper.closed",
        "paper.reopened",
    ]


def test_hand_counts_and_corrections(paper_session, organiser):
    _session, questions = paper_session
    choice, scale = questions["choice"], questions["scale"]
    first, second = option(choice, 0), option(choice, 1)
    hands.hand_count_record(
        user=organiser, question=choice, counts={str(first): 37, str(second): 12}
    )
    assert (
        hands.hand_count_record(user=organiser, question=choice, counts={str(first): 37}) == []
    )  # unchanged
    [correction] = hands.hand_count_record(user=organiser, question=choice, counts={str(first): 40})
    assert correction.replaces.count == 37
    assert HandCount.objects.count() == 3  # the old count is kept
    results = question_results(question=choice)
    assert [o["counts"]["hands"] for o in results["options"][:2]] == [40, 12]
    assert results["respondents"]["hands"] == 52
    [nine] = hands.hand_count_record(user=organiser, question=scale, counts={"4": 9})
    assert question_results(question=scale)["distribution"][3]["counts"]["hands"] == 9
    for bad, code in (
        ({str(first): -1}, "hands_invalid"),
        ({str(first): 100_001}, "hands_invalid"),
        ({str(first): 3.5}, "hands_invalid"),  # a whole number, not rounded down
        ({str(first): float("inf")}, "hands_invalid"),
        ({"999999": 3}, "invalid_option"),
        ({str(first): "veel"}, "hands_invalid"),
        ({"veel": 3}, "invalid_option"),
        ({}, "hands_invalid"),  # no count at all
    ):
        with pytest.raises(InputRejected) as caught:
            hands.hand_count_record(user=organiser, question=choice, counts=bad)
        assert caught.value.code == code
    with pytest.raises(InputRejected) as caught:
        hands.hand_count_record(user=organiser, question=questions["ranking"], counts={"1": 2})
    assert caught.value.code == "hands_not_for_kind"
    logged = LogEntry.objects.filter(action="hands.counted").last()
    assert logged.data == {
        "question": scale.pk,
        "counts": {"4": 9},
        "corrects": [],
        "rows": [{"id": nine.pk, "option": None, "value": 4, "count": 9, "replaces": None}],
    }


@pytest.fixture
def carded(printed, paper_session, organiser):
    """A sheet printed with an attendee card, and a phone joined with the same card."""
    session, questions = paper_session
    facilitation.question_open(user=organiser, question=questions["choice"])
    sheet = printed(1, cards=True)[0]
    phone = participation.participant_join(
        session=session, via="room", card_code=sheet.card.code.lower()
    )
    assert phone.card_id == sheet.card_id
    return sheet, phone


@pytest.mark.parametrize("rule", ["latest_wins", "flag_for_review"])
def test_one_card_counts_once_across_phone_and_paper(rule, carded, paper_session, organiser):
    session, questions = paper_session
    Process.objects.filter(pk=session.process_id).update(card_rule=rule)
    sheet, phone = carded
    choice = questions["choice"]
    phone_answer(phone, choice, 0, "phone-00001")
    paper.sheet_entry_record(
        user=organiser, sheet=sheet, answers=choice_answer(questions, 2), client_id="entry-card01"
    )
    statuses = dict(Response.objects.filter(question=choice).values_list("source", "status"))
    if rule == "latest_wins":
        assert statuses == {"online": "superseded", "paper": "counted"}
    else:
        assert statuses == {"online": "counted", "paper": "held"}
        held = Response.objects.get(status=ResponseStatus.HELD)
        reconciliation.card_conflict_resolve(user=organiser, response=held, keep_new=False)
        assert dict(Response.objects.filter(question=choice).values_list("source", "status")) == {
            "online": "counted",
            "paper": "rejected",
        }
    assert question_results(question=choice)["respondents"]["total"] == 1


def test_flagged_card_answer_can_replace_the_earlier_one(carded, paper_session, organiser):
    session, questions = paper_session
    Process.objects.filter(pk=session.process_id).update(card_rule="flag_for_review")
    sheet, phone = carded
    choice = questions["choice"]
    paper.sheet_entry_record(
        user=organiser, sheet=sheet, answers=choice_answer(questions, 2), client_id="entry-card02"
    )
    result = phone_answer(phone, choice, 0, "phone-00002")
    assert (result.status, result.counted) == ("held", False)
    held = Response.objects.get(status=ResponseStatus.HELD)
    reconciliation.card_conflict_resolve(user=organiser, response=held, keep_new=True)
    assert dict(Response.objects.filter(question=choice).values_list("source", "status")) == {
        "online": "counted",
        "paper": "superseded",
    }


def test_the_database_refuses_two_counting_answers_of_one_card(carded, paper_session):
    _session, questions = paper_session
    sheet, phone = carded
    other = Participant.objects.create(
        session=phone.session, public_id="p-other", joined_via="paper", card=sheet.card
    )
    Response.objects.create(
        question=questions["scale"], participant=phone, source="online", number=3, card=sheet.card
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(
            question=questions["scale"],
            participant=other,
            source="paper",
            sheet=sheet,
            number=2,
            card=sheet.card,
        )


def test_an_unknown_card_is_refused(paper_session):
    session, _questions = paper_session
    with pytest.raises(InputRejected) as caught:
        participation.participant_join(session=session, via="room", card_code="NOPE1234")
    assert caught.value.code == "unknown_card"
    assert not Participant.objects.exists()


def test_closing_the_process_closes_paper_counting(printed, paper_session, organiser):
    from sessions_app.services.processes import process_close, process_publish

    session, _questions = paper_session
    printed(1)
    process_publish(user=organiser, process=session.process)
    process_close(user=organiser, process=session.process)
    session.refresh_from_db()
    assert session.paper_closed_at is not None
    assert LogEntry.objects.filter(action="paper.closed").count() == 1


def test_closing_the_process_waits_for_forms_in_review_and_says_so(
    printed, paper_session, organiser, client
):
    """A form whose entries differ waits for the facilitator: the organiser's "close"
    button is refused with the reason, and nothing closes (it once was a server error)."""
    from django.urls import reverse

    from sessions_app.models import ProcessState, SheetState
    from sessions_app.services.processes import process_publish

    session, _questions = paper_session
    [sheet] = printed(1)
    process_publish(user=organiser, process=session.process)
    type(sheet).objects.filter(pk=sheet.pk).update(state=SheetState.CONFLICT)
    client.force_login(organiser)
    url = reverse("designer:process_close", args=[session.process.slug])
    answer = client.post(url, follow=True)
    assert answer.status_code == 200
    assert "settle them before closing" in answer.content.decode()
    session.process.refresh_from_db()
    session.refresh_from_db()
    assert session.process.state == ProcessState.PUBLISHED
    assert session.paper_closed_at is None
    assert not LogEntry.objects.filter(action="process.closed").exists()


def test_a_closed_process_refuses_closing_or_reopening_paper_counting(
    paper_session, organiser, client
):
    """A session without forms still had paper counting open once its process closed; the
    console's ``paper_close`` then logged on a closed process. Now: ``paper_closed``."""
    from sessions_app.services.facilitation import paper_counting_close
    from sessions_app.services.processes import process_close, process_publish

    session, _questions = paper_session
    process_publish(user=organiser, process=session.process)
    process_close(user=organiser, process=session.process)
    session.refresh_from_db()
    assert session.paper_closed_at is None  # no forms were printed for it
    logged = LogEntry.objects.count()
    for close in (
        lambda: paper_counting_close(user=organiser, session=session),
        lambda: reconciliation.paper_close(user=organiser, session=session, reopen=True),
    ):
        with pytest.raises(InputRejected) as refused:
            close()
        assert refused.value.code == "paper_closed"
    session.refresh_from_db()
    assert session.paper_closed_at is None and LogEntry.objects.count() == logged
    # The paper page says so, and offers no button that would be refused.
    from django.urls import reverse

    client.force_login(organiser)
    page = client.get(reverse("paper:page", args=[session.process.slug, session.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="action" value="close"' not in html and 'value="reopen"' not in html
    assert "traject werd afgesloten" in html or "when the process closed" in html


def test_a_receipt_of_a_form_entered_once_says_it_is_being_counted(
    printed, paper_session, double_entry, client, organiser
):
    """A paper form's tear-off receipt, checked between its first and second entry: not
    "no answer has that receipt", but received and being counted; then, counted."""
    from django.urls import reverse

    from sessions_app.identifiers import sheet_receipt
    from sessions_app.services.processes import process_publish

    session, questions = paper_session
    process_publish(user=organiser, process=session.process)  # a public page to check on
    tom, tess = double_entry
    sheet, other = printed(2)
    url = reverse("public:check", args=[session.process.slug])
    client.cookies["django_language"] = "en"
    paper.sheet_entry_record(
        user=tom, sheet=sheet, answers=choice_answer(questions), client_id="entry-tom101"
    )
    waiting = client.post(url, {"code": sheet_receipt(sheet.code)})
    assert waiting.status_code == 200
    assert "Your paper form has been received and is being counted" in waiting.content.decode()
    # A form not entered at all, and the sheet code itself, are still unknown.
    for code in (sheet_receipt(other.code), sheet.code):
        assert client.post(url, {"code": code}).status_code == 404
    paper.sheet_entry_record(
        user=tess, sheet=sheet, answers=choice_answer(questions), client_id="entry-tess101"
    )
    counted = client.post(url, {"code": sheet_receipt(sheet.code)}).content.decode()
    assert "Your answer is in the log" in counted and "being counted" not in counted
