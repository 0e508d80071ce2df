"""A question to the panel on paper (issue 21): the form prints a writing area and a tick
row of the panel; a teller types the question, which enters the same list marked as
paper (held for moderation); a show of hands stands in for its upvotes; a photo never
guesses it."""

import pypdfium2 as pdfium
import pytest

from sessions_app.models import LogEntry, Moderation, Option, Role
from sessions_app.reading.answers import read_answers
from sessions_app.reading.marks import Area, Box
from sessions_app.results import question_results
from sessions_app.services import facilitation
from sessions_app.services.hands import hand_count_record
from sessions_app.services.paper import sheet_entry_record
from sessions_app.services.print_runs import print_batch_create
from sessions_app.services.printing import form_layout
from sessions_app.services.processes import panel_replace, process_publish
from sessions_app.specs import PanelMemberSpec

pytestmark = pytest.mark.django_db


@pytest.fixture
def card_session(live_session, make_question, organiser, make_user, grant):
    process = live_session.process
    panel_replace(
        user=organiser,
        process=process,
        panel=[PanelMemberSpec("Wethouder De Vries", "wethouder"), PanelMemberSpec("Anna Bakker")],
    )
    choice = make_question("single_choice")
    question = make_question(
        "qna", max_length=300, panel=["Wethouder De Vries", "Anna Bakker"], qna_premoderate=True
    )
    process_publish(user=organiser, process=process)
    facilitation.question_open(user=organiser, question=question)
    layout = form_layout(session=live_session, large_print=False, qna_cards=True)
    batch = print_batch_create(
        user=organiser, session=live_session, count=2, layout=layout, with_cards=False
    )
    teller = make_user("tom")
    grant(process, teller, Role.TELLER)
    return live_session, question, choice, layout, list(batch.sheets.order_by("serial")), teller


def test_the_card_prints_a_writing_area_and_the_panel_to_tick(card_session):
    session, question, _choice, layout, _sheets, _teller = card_session
    boxes = [
        b for page in layout.data["pages"] for b in page["boxes"] if b["question"] == question.pk
    ]
    areas = [
        a for page in layout.data["pages"] for a in page["areas"] if a["question"] == question.pk
    ]
    members = list(question.panel.values_list("pk", flat=True))
    assert sorted(b["panel_member"] for b in boxes) == sorted(members)
    assert [a["kind"] for a in areas] == ["proposal"]
    # What residents ask is never printed: the layout does not change when they ask.
    assert session.pk and not any("asked" in str(b) for b in boxes)
    # The card holds the round only; the session's forms leave it out.
    assert {b["question"] for page in layout.data["pages"] for b in page["boxes"]} == {question.pk}
    forms = form_layout(session=session, large_print=False)
    printed = {b["question"] for page in forms.data["pages"] for b in page["boxes"]}
    assert question.pk not in printed and _choice.pk in printed


def test_a_teller_types_a_paper_question_into_the_same_list(card_session, organiser):
    _session, question, _choice, _layout, sheets, teller = card_session
    member = question.panel.get(name="Anna Bakker")
    sheet_entry_record(
        user=teller,
        sheet=sheets[0],
        answers={
            str(question.pk): {
                "proposal": "  Wie onderhoudt het groen?  ",
                "panel_member": member.pk,
            }
        },
        client_id="entry-00000001",
    )
    asked = Option.objects.get(question=question)
    assert (asked.text, asked.panel_member, asked.sheet) == (
        "Wie onderhoudt het groen?",
        member,
        sheets[0],
    )
    assert asked.moderation == Moderation.PENDING  # never shown unread
    logged = LogEntry.objects.filter(action="qna.asked").get()
    assert logged.data["sheet"] == sheets[0].code and logged.data["panel_member"] == member.pk
    facilitation.statement_moderate(user=organiser, option=asked, decision="approve")
    hand_count_record(user=organiser, question=question, counts={str(asked.pk): 17})
    question.refresh_from_db()
    [listed] = question_results(question=question)["asked"]
    assert listed["source"] == "paper"
    assert listed["votes"] == {"room": 0, "remote": 0, "paper": 0, "hands": 17, "total": 17}


def test_bad_paper_questions_are_refused(card_session):
    _session, question, _choice, _layout, sheets, teller = card_session
    from sessions_app.exceptions import InputRejected

    for answers, code in (
        ({"proposal": "x" * 301}, "text_too_long"),
        ({"proposal": "Vraag?", "panel_member": 999999}, "invalid_panel_member"),
        ({"proposal": ["Vraag?"]}, "invalid_answer"),
    ):
        with pytest.raises(InputRejected) as caught:
            sheet_entry_record(
                user=teller,
                sheet=sheets[1],
                answers={str(question.pk): answers},
                client_id="e-00000002",
            )
        assert caught.value.code == code
    assert not Option.objects.filter(question=question).exists()


def test_a_photo_never_reads_a_question_to_the_panel():
    area = Area(key={"question": 7, "kind": "proposal"}, written=True, ink=0.2, found=(0, 0, 1, 1))

    def box(member, state, confidence):
        return Box(
            key={"question": 7, "panel_member": member},
            state=state,
            confidence=confidence,
            strong=0.5 if state == "marked" else 0.0,
            faint=0.5 if state == "marked" else 0.0,
            low=0.0,
            found=(0, 0, 1, 1),
        )

    tick, empty = box(3, "marked", 0.9), box(4, "empty", 0.95)
    written = read_answers([tick, empty], {7: {"kind": "qna"}}, [area])[7]
    assert (written.sure, written.answer, written.reasons) == (False, None, ["handwriting"])
    # A tick alone: something was meant; a person looks.
    ticked = read_answers([tick, empty], {7: {"kind": "qna"}}, [])[7]
    assert ticked.sure is False and ticked.reasons == ["handwriting"]
    blank = read_answers([empty], {7: {"kind": "qna"}}, [])[7]
    assert (blank.sure, blank.answer) == (True, None)


def test_the_printed_form_renders_with_a_question_card(card_session, tmp_path):
    from django.core.management import call_command

    session, _question, _choice, _layout, _sheets, _teller = card_session
    out = tmp_path / "forms.pdf"
    call_command("print_forms", session.join_code, "--count", "1", "--qna-cards", "-o", str(out))
    document = pdfium.PdfDocument(str(out))
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    assert "Wethouder De Vries, wethouder" in text
