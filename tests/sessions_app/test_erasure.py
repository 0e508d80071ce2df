"""Erasure reaches every copy of a person's text: each teller's entry of a paper form, a
question written on a question card, a phone's earlier answers, and the reason a form was
voided. The chain and every row still verify afterwards, old entries included."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sessions_app.binding import rows_verify
from sessions_app.identifiers import sheet_receipt
from sessions_app.models import (
    EntryState,
    LogEntry,
    Moderation,
    Option,
    PaperSheet,
    Response,
    SheetEntry,
    SheetState,
    TextContent,
)
from sessions_app.services import facilitation, participation, reconciliation, texts
from sessions_app.services.log import log_append
from sessions_app.services.paper import sheet_entry_record
from sessions_app.services.print_runs import print_batch_create
from sessions_app.services.printing import form_layout
from sessions_app.services.processes import panel_replace, process_publish
from sessions_app.specs import PanelMemberSpec
from tests.paper_fixtures import option

pytestmark = pytest.mark.django_db

WRITTEN = "Ik ben Jan de Vries van nummer 12"


def verified(process) -> None:
    """The chain and every row check out (``verify_log``, and the rows on their own)."""
    out = io.StringIO()
    call_command("verify_log", process.slug, stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("OK ")
    assert rows_verify(process=process) is None


def nowhere(text: str) -> None:
    """``text`` is in no kept text, paper entry, answer or statement."""
    assert not TextContent.objects.filter(text__contains=text).exists()
    assert text not in str(list(SheetEntry.objects.values_list("answers", flat=True)))
    assert not Response.objects.filter(text__contains=text).exists()
    assert not Option.objects.filter(text__contains=text).exists()


def erase_text(process, *args) -> str:
    out = io.StringIO()
    call_command("erase_text", process.slug, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def double(double_entry):
    """Double entry with two tellers."""
    return double_entry


def form(questions, text=WRITTEN, proposal=""):
    statements = questions["statements"]
    return {
        str(questions["choice"].pk): {"option": option(questions["choice"])},
        str(questions["text"].pk): {"text": text},
        str(statements.pk): {"votes": {str(option(statements)): "agree"}, "proposal": proposal},
    }


# --- 1. every entry of a paper form ---------------------------------------------------------


def test_erasing_a_paper_answer_erases_every_tellers_copy(printed, paper_session, double):
    session, questions = paper_session
    tom, tess = double
    sheet = printed(1)[0]
    sheet_entry_record(user=tom, sheet=sheet, answers=form(questions), client_id="erase-tom-1")
    sheet_entry_record(user=tess, sheet=sheet, answers=form(questions), client_id="erase-tess1")
    assert set(SheetEntry.objects.values_list("state", flat=True)) == {
        EntryState.ACCEPTED,
        EntryState.DISCARDED,
    }
    assert TextContent.objects.filter(text=WRITTEN).count() == 2  # one per entry
    answer = Response.objects.get(sheet=sheet, question=questions["text"])
    counts = list(Response.objects.order_by("pk").values_list("pk", "status"))

    assert "Erased 2 texts" in erase_text(session.process, "--response", str(answer.pk))
    nowhere(WRITTEN)
    for entry in SheetEntry.objects.all():
        assert entry.answers[str(questions["text"].pk)] == {"text": ""}
    assert list(Response.objects.order_by("pk").values_list("pk", "status")) == counts
    verified(session.process)


def test_a_settled_conflict_keeps_no_copy_of_the_discarded_text(
    printed, paper_session, double, organiser
):
    session, questions = paper_session
    tom, tess = double
    sheet = printed(1)[0]
    sheet_entry_record(
        user=tom,
        sheet=sheet,
        answers=form(questions, "Jan de Vries, nr 12"),
        client_id="conf-tom01",
    )
    outcome = sheet_entry_record(
        user=tess, sheet=sheet, answers=form(questions), client_id="conf-tess1"
    )
    assert outcome.status == "conflict"
    # The facilitator types the form again: three entries, two set aside.
    reconciliation.sheet_conflict_resolve(
        user=organiser, sheet=sheet, answers=form(questions, "Ik ben Jan de Vries")
    )
    assert SheetEntry.objects.filter(state=EntryState.DISCARDED).count() == 2
    # The receipt on the form's strip erases every entry's copy, also the discarded ones.
    erase_text(session.process, "--receipt", sheet_receipt(sheet.code))
    nowhere("Jan de Vries")
    verified(session.process)


def test_a_copy_left_by_an_earlier_erasure_goes_when_erased_again(printed, paper_session, double):
    session, questions = paper_session
    tom, tess = double
    sheet, other = printed(2)
    for user, client in ((tom, "again-tom1"), (tess, "again-tes1")):
        sheet_entry_record(user=user, sheet=sheet, answers=form(questions), client_id=client)
    sheet_entry_record(
        user=tom, sheet=other, answers=form(questions, "Een ander"), client_id="other-tom1"
    )
    answer = Response.objects.get(sheet=sheet, question=questions["text"])
    counted = TextContent.objects.get(response=answer)
    # As before this was fixed: only the counted entry's text was erased.
    texts._erase_copies([counted])
    TextContent.objects.filter(pk=counted.pk).update(
        text="", salt="", erased_at=counted.created_at, erased_reason="request"
    )
    log_append(
        process=session.process,
        action="content.erased",
        actor="system",
        data={"commitments": [counted.commitment], "reason": "request"},
    )
    assert TextContent.objects.filter(text=WRITTEN).count() == 1
    erase_text(session.process, "--response", str(answer.pk))
    nowhere(WRITTEN)
    assert TextContent.objects.filter(text="Een ander").exists()  # another form's text stays
    verified(session.process)


# --- 2. receipts: question cards and earlier answers ------------------------------------------


@pytest.fixture
def card(live_session, make_question, organiser):
    """An open Q&A round and a printed question card."""
    process = live_session.process
    panel_replace(user=organiser, process=process, panel=[PanelMemberSpec("Anna Bakker")])
    question = make_question("qna", max_length=300, panel=["Anna Bakker"], qna_premoderate=True)
    process_publish(user=organiser, process=process)
    facilitation.question_open(user=organiser, question=question)
    layout = form_layout(session=live_session, large_print=False, qna_cards=True)
    batch = print_batch_create(
        user=organiser, session=live_session, count=1, layout=layout, with_cards=False
    )
    return question, batch.sheets.get()


def test_a_question_cards_receipt_erases_the_question(card, organiser):
    question, sheet = card
    sheet_entry_record(
        user=organiser,
        sheet=sheet,
        answers={str(question.pk): {"proposal": "Waarom is mijn straat (nr 12) vergeten?"}},
        client_id="card-entry1",
    )
    asked = Option.objects.get(question=question)
    assert LogEntry.objects.filter(action="qna.asked", data__sheet=sheet.code).exists()
    process = question.session.process
    erase_text(process, "--receipt", sheet_receipt(sheet.code))
    asked.refresh_from_db()
    assert asked.text == ""
    nowhere("mijn straat")
    verified(process)


def test_a_receipt_erases_the_earlier_answers_it_replaced(paper_session, organiser):
    session, questions = paper_session
    question, choice = questions["text"], questions["choice"]
    for opened in (question, choice):
        facilitation.question_open(user=organiser, question=opened)
    phone = participation.participant_join(session=session, via="remote")
    other = participation.participant_join(session=session, via="room")

    def submit(participant, text, client_id):
        return participation.response_submit(
            participant=participant,
            question_id=question.pk,
            answer={"text": text},
            client_id=client_id,
        )

    first = submit(phone, "Eerste versie, Jan", "super-0001")
    second = submit(phone, "Tweede versie, Jan", "super-0002")
    third = submit(phone, "Derde versie, Jan", "super-0003")
    kept = submit(other, "Iemand anders", "super-0004")
    assert LogEntry.objects.get(receipt__isnull=False, data__response=third.response_id).data[
        "supersedes"
    ] == (second.response_id)
    out = erase_text(session.process, "--receipt", third.receipt)
    assert "Erased 3 texts" in out
    for result in (first, second, third):
        assert Response.objects.get(pk=result.response_id).text == ""
    nowhere("versie, Jan")
    assert Response.objects.get(pk=kept.response_id).text == "Iemand anders"
    # The earlier receipt now finds nothing left to erase.
    assert "Erased 0 texts" in erase_text(session.process, "--receipt", second.receipt)
    verified(session.process)


# --- 3. void reasons ------------------------------------------------------------------------


def test_a_void_reason_is_committed_and_erasable(printed, paper_session, organiser):
    session, questions = paper_session
    sheet = printed(1)[0]
    sheet_entry_record(
        user=organiser,
        sheet=sheet,
        answers=form(questions, proposal="Een bankje voor Jan."),
        client_id="void-entry1",
    )
    reason = "Ingeleverd door Jan de Vries, die al had gestemd"
    reconciliation.sheet_void(user=organiser, sheet=sheet, reason=reason)
    voided = LogEntry.objects.get(action="paper.voided")
    assert "reason" not in voided.data and reason not in str(voided.data)
    commitment = voided.data["reason_commitment"]
    kept = TextContent.objects.get(commitment=commitment)
    assert (kept.text, kept.field) == (reason, "reason")
    # Staff still see it where they did: on the sheet and on the statement it hid.
    sheet.refresh_from_db()
    assert sheet.void_reason == reason
    hidden = Option.objects.get(moderation=Moderation.HIDDEN, text="Een bankje voor Jan.")
    assert hidden.moderation_reason == reason
    verified(session.process)

    assert "Erased 1 text" in erase_text(session.process, "--commitment", commitment)
    kept.refresh_from_db()
    assert (kept.text, kept.salt, kept.erased_reason) == ("", "", "request")
    sheet.refresh_from_db()
    hidden.refresh_from_db()
    assert sheet.state == SheetState.VOIDED and sheet.void_reason == texts.VOID_REASON_ERASED
    assert hidden.moderation_reason == "" and hidden.text == "Een bankje voor Jan."
    assert LogEntry.objects.last().data == {"commitments": [commitment], "reason": "request"}
    verified(session.process)


def test_erasing_a_forms_texts_takes_its_void_reason_along(printed, paper_session, organiser):
    session, questions = paper_session
    sheet = printed(1)[0]
    sheet_entry_record(user=organiser, sheet=sheet, answers=form(questions), client_id="void-rcpt1")
    reconciliation.sheet_void(user=organiser, sheet=sheet, reason="Jan schreef twee formulieren")
    erase_text(session.process, "--receipt", sheet_receipt(sheet.code))
    nowhere(WRITTEN)
    assert not TextContent.objects.filter(text__contains="twee formulieren").exists()
    assert not PaperSheet.objects.filter(void_reason__contains="twee formulieren").exists()
    verified(session.process)


def test_an_old_void_entry_with_its_reason_in_clear_still_verifies(
    printed, paper_session, organiser
):
    session, questions = paper_session
    old, new = printed(2)
    # As sheets were voided before reasons were committed (the log is never rewritten).
    PaperSheet.objects.filter(pk=old.pk).update(state=SheetState.VOIDED, void_reason="Nat")
    log_append(
        process=session.process,
        action="paper.voided",
        actor="staff:organiser",
        data={"sheet": old.code, "reason": "Nat", "answers_voided": 0, "restored": []},
    )
    sheet_entry_record(user=organiser, sheet=new, answers=form(questions), client_id="void-new01")
    reconciliation.sheet_void(user=organiser, sheet=new, reason="Dubbel")
    verified(session.process)
    erase_text(session.process, "--receipt", sheet_receipt(new.code))
    nowhere(WRITTEN)
    assert not TextContent.objects.filter(text="Dubbel").exists()
    verified(session.process)
    with pytest.raises(CommandError):  # the old form never counted: no receipt
        erase_text(session.process, "--receipt", sheet_receipt(old.code))


@pytest.mark.parametrize("code", ["unknown_text", "invalid_reason"])
def test_a_refused_erasure_says_why_in_words(printed, paper_session, organiser, monkeypatch, code):
    from sessions_app.exceptions import INPUT_CODES, InputRejected

    session, questions = paper_session
    sheet = printed(1)[0]
    sheet_entry_record(
        user=organiser, sheet=sheet, answers=form(questions), client_id="refused-entry1"
    )
    reconciliation.sheet_void(user=organiser, sheet=sheet, reason="Dubbel ingeleverd")
    commitment = LogEntry.objects.get(action="paper.voided").data["reason_commitment"]

    def refuse(**kwargs):
        raise InputRejected(code)

    monkeypatch.setattr(texts, "erase", refuse)
    with pytest.raises(CommandError) as caught:
        erase_text(session.process, "--commitment", commitment)
    assert str(caught.value) == str(INPUT_CODES[code]) != code
