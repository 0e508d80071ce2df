"""The paper pages over HTTP: the facilitator's page, print runs, the teller's phone form,
hands in the console, and joining with an attendee card."""

import re

import pytest
from django.urls import reverse

from sessions_app.models import (
    HandCount,
    LogEntry,
    PaperSheet,
    Participant,
    PrintBatch,
    Response,
    Role,
)
from sessions_app.services import paper, reconciliation
from sessions_app.services.facilitation import question_open
from sessions_app.services.processes import process_publish
from tests.paper_fixtures import option

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


def test_paper_page_is_for_facilitators_of_this_process(
    client, paper_session, teller, organiser, make_user, make_process
):
    session, _questions = paper_session
    url = reverse("paper:page", args=[session.process.slug, session.pk])
    client.force_login(teller)
    assert client.get(url).status_code == 404
    other = make_user("otto")
    make_process(user=other, title="Ander")
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("paper:print", args=[session.process.slug, session.pk]), {"count": "5"}
        ).status_code
        == 404
    )
    client.force_login(organiser)
    page = client.get(url).content.decode()
    assert "Reconciliation" in page and "Print forms" in page
    assert not PaperSheet.objects.exists()


def test_printing_from_the_page_shows_progress_and_gives_the_pdf(
    client, paper_session, organiser, monkeypatch, django_capture_on_commit_callbacks
):
    from sessions_app.services import printing

    started = []

    def start(batch, base):
        started.append(base)
        printing.render_batch(batch.pk, base)

    monkeypatch.setattr(printing, "start_rendering", start)
    session, _questions = paper_session
    client.force_login(organiser)
    url = reverse("paper:print", args=[session.process.slug, session.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"count": "4", "large_print": "on", "client_id": "c" * 32})
    # A double click sends the same form again: still one print run, drawn once.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, {"count": "4", "large_print": "on", "client_id": "c" * 32})
    batch = PrintBatch.objects.get()
    assert (
        response.url
        == again.url
        == reverse("paper:batch", args=[session.process.slug, session.pk, batch.pk])
    )
    assert started == ["http://testserver", "http://testserver"]
    assert PaperSheet.objects.count() == 4
    status = client.get(response.url, {"format": "json"}).json()
    assert status == {"state": "done", "progress": 4, "total": 4, "status": "4 of 4 made: ready."}
    page = client.get(response.url).content.decode()
    assert "<progress" in page and 'value="4"' in page
    pdf = client.get(reverse("paper:batch_pdf", args=[session.process.slug, session.pk, batch.pk]))
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(
        b"%PDF"
    )
    assert PaperSheet.objects.filter(large_print=True).count() == 4


def test_a_bad_count_is_refused(client, paper_session, organiser):
    session, _questions = paper_session
    client.force_login(organiser)
    page = client.post(
        reverse("paper:print", args=[session.process.slug, session.pk]), {"count": "0"}, follow=True
    )
    assert "Choose a number from 1 to 2,000." in page.content.decode()
    assert not PrintBatch.objects.exists()


def entry_url(sheet):
    return reverse("paper:entry", args=[paper.sheet_token(sheet)])


def test_teller_enters_a_sheet_on_the_form_that_mirrors_the_paper(
    client, printed, paper_session, teller
):
    _session, questions = paper_session
    sheet = printed(1)[0]
    client.force_login(teller)
    page = client.get(entry_url(sheet)).content.decode()
    # The heading names the form as printed under its QR code.
    assert f"Form 1 ({sheet.code[:4]}-{sheet.code[4:]})" in page
    for question in questions.values():
        assert question.text in page
    assert f'name="q{questions["choice"].pk}-option"' in page
    assert f'name="q{questions["ranking"].pk}-rank_{option(questions["ranking"])}"' in page
    client_id = re.search(r'name="client_id" value="([0-9a-f]+)"', page).group(1)
    data = {
        "client_id": client_id,
        f"q{questions['choice'].pk}-option": option(questions["choice"], 1),
        f"q{questions['scale'].pk}-value": "2",
        f"q{questions['budget'].pk}-amount_{option(questions['budget'], 0)}": "100",
        f"q{questions['statements'].pk}-vote_{option(questions['statements'], 0)}": "disagree",
    }
    done = client.post(entry_url(sheet), data).content.decode()
    assert "Counted. Thank you." in done
    assert Response.objects.filter(sheet=sheet).count() == 4
    again = client.post(entry_url(sheet), data).content.decode()  # the same submit again
    assert "already been received" in again
    assert Response.objects.filter(sheet=sheet).count() == 4


def test_teller_refusals_are_explained(client, printed, paper_session, teller, organiser):
    _session, questions = paper_session
    sheet, voided = printed(2)
    client.force_login(teller)
    forged = reverse("paper:entry", args=[paper.sheet_token(sheet)[:-2] + "xx"])
    response = client.get(forged)
    assert response.status_code == 400 and "not genuine" in response.content.decode()
    reconciliation.sheet_void(user=organiser, sheet=voided, reason="kapot")
    response = client.get(entry_url(voided))
    assert response.status_code == 409 and "voided" in response.content.decode()
    page = client.post(
        entry_url(sheet),
        {
            "client_id": "c" * 32,
            f"q{questions['ranking'].pk}-rank_{option(questions['ranking'])}": "2",
        },
    ).content.decode()
    assert "Give each option a different place" in page
    assert not Response.objects.filter(sheet=sheet).exists()
    # A superscript two is a digit to Python's isdigit, but no place: ignored, no error.
    typed = client.post(
        entry_url(sheet),
        {
            "client_id": "d" * 32,
            f"q{questions['ranking'].pk}-rank_{option(questions['ranking'])}": "\u00b2",
        },
    )
    assert typed.status_code in (200, 400, 422)
    assert not Response.objects.filter(sheet=sheet).exists()


def test_teller_types_a_code_for_the_session(client, printed, paper_session, teller):
    session, _questions = paper_session
    sheet = printed(1)[0]
    client.force_login(teller)
    url = reverse("paper:teller_session", args=[session.pk])
    response = client.get(url, {"code": f"{sheet.code[:4].lower()}-{sheet.code[4:]}"})
    assert response.url == entry_url(sheet)
    wrong = client.get(url, {"code": "ZZZZ-ZZZZ"})
    assert wrong.status_code == 400
    page = wrong.content.decode()
    # Said beside the field, which keeps what was typed, marked as wrong.
    assert 'id="sheet-code-error">No form with this code was printed.' in page
    assert 'value="ZZZZ-ZZZZ"' in page and 'aria-invalid="true"' in page
    assert 'aria-describedby="sheet-code-error sheet-code-help"' in page
    assert session.title in client.get(reverse("paper:teller_home")).content.decode()


def test_staff_of_another_process_cannot_enter_sheets(client, printed, make_user, make_process):
    sheet = printed(1)[0]
    stranger = make_user("otto")
    make_process(user=stranger, title="Ander")
    client.force_login(stranger)
    assert client.get(entry_url(sheet)).status_code == 404
    assert client.get(reverse("paper:teller_session", args=[sheet.session_id])).status_code == 404


def test_review_and_void_from_the_paper_page(
    client, printed, paper_session, organiser, teller, make_user, grant
):
    from sessions_app.models import EntryMode, Process

    session, questions = paper_session
    Process.objects.filter(pk=session.process_id).update(entry_mode=EntryMode.DOUBLE)
    second = make_user("tess")
    grant(session.process, second, Role.TELLER)
    sheet, other = printed(2)
    choice = questions["choice"]
    paper.sheet_entry_record(
        user=teller,
        sheet=sheet,
        answers={str(choice.pk): {"option": option(choice, 0)}},
        client_id="entry-tom-01",
    )
    outcome = paper.sheet_entry_record(
        user=second,
        sheet=sheet,
        answers={str(choice.pk): {"option": option(choice, 1)}},
        client_id="entry-tess-1",
    )
    client.force_login(organiser)
    url = reverse("paper:page", args=[session.process.slug, session.pk])
    page = client.get(url).content.decode()
    assert "Entered by tom" in page and "Entered by tess" in page
    action = reverse("paper:action", args=[session.process.slug, session.pk])
    client.post(action, {"action": "resolve", "sheet": sheet.pk, "entry": outcome.entry_id})
    sheet.refresh_from_db()
    assert sheet.state == "counted"
    response = client.post(
        action, {"action": "void", "code": other.code, "reason": ""}, follow=True
    )
    assert "Give a reason." in response.content.decode()
    client.post(action, {"action": "void", "code": other.code, "reason": "Nat geworden"})
    other.refresh_from_db()
    assert (other.state, other.void_reason) == ("voided", "Nat geworden")
    client.post(action, {"action": "close"})
    session.refresh_from_db()
    assert session.paper_closed_at is not None


def test_console_records_hands_without_javascript(client, paper_session, organiser):
    session, questions = paper_session
    choice = questions["choice"]
    client.force_login(organiser)
    page = client.get(
        reverse("live:console", args=[session.process.slug, session.pk])
    ).content.decode()
    assert f'name="hands_{option(choice)}"' in page
    action = reverse("live:console_action", args=[session.process.slug, session.pk])
    client.post(
        action,
        {
            "command": "hands",
            "question": choice.pk,
            f"hands_{option(choice)}": "21",
            f"hands_{option(choice, 1)}": "",
        },
    )
    assert list(HandCount.objects.values_list("option_id", "count")) == [(option(choice), 21)]
    assert LogEntry.objects.filter(action="hands.counted").exists()


def test_joining_with_an_attendee_card(client, printed, paper_session, organiser):
    session, questions = paper_session
    sheet = printed(1, cards=True)[0]
    process_publish(user=organiser, process=session.process)
    join = reverse("participate:join", args=[session.join_code])
    page = client.get(join, {"card": sheet.card.code}).content.decode()
    assert f'value="{sheet.card.code}"' in page
    client.post(join, {"card": "WRONG123"})
    assert not Participant.objects.filter(joined_via="room").exists()
    client.post(join, {"card": sheet.card.code})
    phone = Participant.objects.get(joined_via="room")
    assert phone.card == sheet.card
    # The phone's answer and the paper sheet's are one person's: one counts.
    choice = questions["choice"]
    question_open(user=organiser, question=choice)
    client.post(
        reverse("participate:answer", args=[session.join_code, choice.pk]),
        {"form_id": "phone-card-01", "option": option(choice, 0)},
    )
    paper.sheet_entry_record(
        user=organiser,
        sheet=sheet,
        answers={str(choice.pk): {"option": option(choice, 1)}},
        client_id="entry-card-1",
    )
    assert dict(Response.objects.filter(question=choice).values_list("source", "status")) == {
        "online": "superseded",
        "paper": "counted",
    }


def test_a_paper_action_with_a_malformed_id_is_not_found(client, paper_session, organiser):
    """A forged or garbled form field is a 404, never a server error."""
    session, _q = paper_session
    client.force_login(organiser)
    action = reverse("paper:action", args=[session.process.slug, session.pk])
    assert client.post(action, {"action": "resolve", "sheet": "abc"}).status_code == 404
    assert client.post(action, {"action": "card", "response": "1; drop"}).status_code == 404


def test_a_teller_finds_the_forms_to_count_from_the_page_after_login(
    client, paper_session, teller, make_user
):
    """After logging in a teller lands on "My processes": it leads to the forms they
    count; an account that counts nothing is not shown the way."""
    client.force_login(teller)
    page = client.get(reverse("designer:process_list")).content.decode()
    assert f'href="{reverse("paper:teller_home")}"' in page
    client.force_login(make_user("nobody"))
    page = client.get(reverse("designer:process_list")).content.decode()
    assert f'href="{reverse("paper:teller_home")}"' not in page
