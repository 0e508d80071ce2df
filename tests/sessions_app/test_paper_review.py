"""Print runs in their own process (started after commit, drawn once, failures voided and
made again), the card rule in every order (card shown later, paper first, a voided sheet
giving back the phone's answer), the verified count, and the review screens."""

import re
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from sessions_app.exceptions import INPUT_CODES, InputRejected
from sessions_app.models import (
    EntryMode,
    LogEntry,
    Option,
    PaperSheet,
    PrintBatch,
    Process,
    Response,
    ResponseStatus,
    Role,
)
from sessions_app.results import question_results
from sessions_app.selectors import paper_reconciliation
from sessions_app.services import (
    facilitation,
    hands,
    paper,
    participation,
    print_runs,
    printing,
    reconciliation,
)
from tests.paper_fixtures import option, phone_answer

pytestmark = pytest.mark.django_db
BASE = "https://inspraak.example.nl"


def statuses(question):
    return dict(Response.objects.filter(question=question).values_list("source", "status"))


def choice_answer(question, index):
    return {str(question.pk): {"option": option(question, index)}}


# Print runs ---------------------------------------------------------------------------


def test_rendering_starts_a_lower_priority_process_of_its_own(printed, monkeypatch):
    sheets = printed(2)
    calls = []
    monkeypatch.setattr(subprocess, "Popen", lambda command, **kw: calls.append((command, kw)))
    printing.start_rendering(sheets[0].batch, BASE)
    [(command, options)] = calls
    assert command[-4:] == ["render_print_batch", str(sheets[0].batch_id), "--base-url", BASE]
    assert command[1].endswith("manage.py")
    # The background command lowers its own priority (manage.py, ``config.priority``:
    # nice 10 and its session's autogroup), not a ``preexec_fn`` in a threaded server.
    assert command[2] == "background"
    assert options["start_new_session"] and "preexec_fn" not in options


def test_the_command_draws_a_run_once(printed, monkeypatch):
    from django.core.management import call_command

    sheets = printed(2)
    drawn = []
    real = printing.paper_form.render_to
    monkeypatch.setattr(
        printing.paper_form, "render_to", lambda *a, **kw: drawn.append(1) or real(*a, **kw)
    )
    call_command("render_print_batch", str(sheets[0].batch_id), "--base-url", BASE)
    call_command("render_print_batch", str(sheets[0].batch_id), "--base-url", BASE)
    batch = PrintBatch.objects.get()
    assert (batch.state, batch.progress, len(drawn)) == ("done", 2, 1)
    assert printing.batch_path(batch).read_bytes().startswith(b"%PDF")


def test_a_failed_run_voids_its_sheets_and_can_be_made_again(printed, organiser, monkeypatch):
    sheets = printed(3, cards=True)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(printing.paper_form, "render_to", broken)
    batch = printing.render_batch(sheets[0].batch_id, BASE)
    assert (batch.state, batch.error) == ("failed", "disk full")
    assert set(PaperSheet.objects.values_list("state", flat=True)) == {"voided"}
    assert paper_reconciliation(session=batch.session)["not_returned"] == 0
    assert LogEntry.objects.filter(action="paper.print_failed").get().data["serials"] == [1, 3]
    monkeypatch.undo()
    again = printing.retry(user=organiser, batch=batch)
    assert (again.count, again.with_cards, again.state) == (3, True, "pending")
    assert list(again.sheets.order_by("serial").values_list("serial", flat=True)) == [4, 5, 6]
    assert printing.render_batch(again.pk, BASE).state == "done"
    with pytest.raises(InputRejected) as caught:
        printing.retry(user=organiser, batch=again)
    assert caught.value.code == "print_not_retryable"
    # Retrying twice (a double click) makes one new run.
    assert printing.retry(user=organiser, batch=batch) == again


def test_a_lost_run_can_be_made_again(printed, organiser):
    sheets = printed(2)
    batch = sheets[0].batch
    with pytest.raises(InputRejected):
        printing.retry(user=organiser, batch=batch)  # still young: it may yet finish
    PrintBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - printing.STALE_AFTER - timedelta(minutes=1)
    )
    batch.refresh_from_db()
    assert printing.is_stale(batch)
    again = printing.retry(user=organiser, batch=batch)
    batch.refresh_from_db()
    assert (batch.state, batch.error) == ("failed", "lost")
    assert again.count == 2 and again.pk != batch.pk


def test_the_batch_page_offers_a_new_run_after_a_failure(
    client, printed, organiser, monkeypatch, django_capture_on_commit_callbacks
):
    sheets = printed(2)
    batch = sheets[0].batch
    print_runs.print_batch_failed(batch, "disk full")
    session = batch.session
    client.force_login(organiser)
    page = client.get(reverse("paper:batch", args=[session.process.slug, session.pk, batch.pk]))
    assert "Make this print run again" in page.content.decode()
    started = []
    monkeypatch.setattr(printing, "start_rendering", lambda b, base: started.append(b.pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("paper:batch_retry", args=[session.process.slug, session.pk, batch.pk])
        )
    again = PrintBatch.objects.exclude(pk=batch.pk).get()
    assert started == [again.pk]
    assert response.url == reverse("paper:batch", args=[session.process.slug, session.pk, again.pk])


def test_the_paper_page_warns_when_qr_codes_would_point_to_localhost(
    client, paper_session, organiser, settings
):
    session, _questions = paper_session
    client.force_login(organiser)
    url = reverse("paper:page", args=[session.process.slug, session.pk])
    settings.ALLOWED_HOSTS = ["*"]
    assert (
        "phones in the room cannot reach"
        in client.get(url, HTTP_HOST="localhost:8000").content.decode()
    )
    assert (
        "phones in the room cannot reach"
        not in client.get(url, HTTP_HOST="192.168.1.20:8000").content.decode()
    )
    settings.SITE_URL = BASE
    assert (
        "phones in the room cannot reach"
        not in client.get(url, HTTP_HOST="127.0.0.1:8000").content.decode()
    )


# One card, one person -----------------------------------------------------------------


@pytest.fixture
def card_sheet(printed, paper_session, organiser):
    _session, questions = paper_session
    facilitation.question_open(user=organiser, question=questions["choice"])
    return printed(1, cards=True)[0]


@pytest.mark.parametrize("rule", ["latest_wins", "flag_for_review"])
def test_a_card_shown_after_answering_applies_the_card_rule(
    rule, card_sheet, paper_session, organiser
):
    session, questions = paper_session
    Process.objects.filter(pk=session.process_id).update(card_rule=rule)
    choice = questions["choice"]
    phone = participation.participant_join(session=session, via="room")
    phone_answer(phone, choice, 0, "phone-early1")
    paper.sheet_entry_record(
        user=organiser, sheet=card_sheet, answers=choice_answer(choice, 1), client_id="entry-later1"
    )
    assert question_results(question=choice)["respondents"]["total"] == 2  # not yet known
    same = participation.participant_join(
        session=session, via="room", token=phone.token, card_code=card_sheet.card.code
    )
    assert same.pk == phone.pk and same.card_id == card_sheet.card_id
    if rule == "latest_wins":
        assert statuses(choice) == {"online": "superseded", "paper": "counted"}
    else:
        assert statuses(choice) == {"online": "held", "paper": "counted"}
    assert question_results(question=choice)["respondents"]["total"] == 1
    assert LogEntry.objects.filter(action="participant.card").exists()


def test_paper_first_then_phone_the_phone_counts_and_voiding_changes_nothing_more(
    card_sheet, paper_session, organiser
):
    session, questions = paper_session
    choice = questions["choice"]
    paper.sheet_entry_record(
        user=organiser, sheet=card_sheet, answers=choice_answer(choice, 1), client_id="entry-first1"
    )
    phone = participation.participant_join(
        session=session, via="room", card_code=card_sheet.card.code
    )
    phone_answer(phone, choice, 2, "phone-later1")
    assert statuses(choice) == {"online": "counted", "paper": "superseded"}
    reconciliation.sheet_void(user=organiser, sheet=card_sheet, reason="Dubbel ingeleverd")
    assert statuses(choice) == {"online": "counted", "paper": "voided"}
    assert question_results(question=choice)["respondents"]["total"] == 1


def test_voiding_a_sheet_gives_the_count_back_to_the_phone_answer_it_replaced(
    card_sheet, paper_session, organiser
):
    session, questions = paper_session
    choice = questions["choice"]
    phone = participation.participant_join(
        session=session, via="room", card_code=card_sheet.card.code
    )
    phone_answer(phone, choice, 0, "phone-first1")
    paper.sheet_entry_record(
        user=organiser, sheet=card_sheet, answers=choice_answer(choice, 1), client_id="entry-later2"
    )
    assert statuses(choice) == {"online": "superseded", "paper": "counted"}
    reconciliation.sheet_void(user=organiser, sheet=card_sheet, reason="Verkeerde sessie")
    assert statuses(choice) == {"online": "counted", "paper": "voided"}
    result = question_results(question=choice)
    assert result["respondents"]["total"] == 1 and result["respondents"]["room"] == 1


# Counting and reviewing ---------------------------------------------------------------


def test_sheets_two_tellers_agree_on_count_as_verified(
    printed, paper_session, organiser, make_user, grant
):
    session, questions = paper_session
    Process.objects.filter(pk=session.process_id).update(entry_mode=EntryMode.DOUBLE)
    second = make_user("tess")
    grant(session.process, second, Role.TELLER)
    first_sheet, other = printed(2)
    choice = questions["choice"]
    for user, client_id in ((organiser, "entry-a-0001"), (second, "entry-b-0001")):
        paper.sheet_entry_record(
            user=user, sheet=first_sheet, answers=choice_answer(choice, 0), client_id=client_id
        )
    paper.sheet_entry_record(
        user=organiser, sheet=other, answers=choice_answer(choice, 0), client_id="entry-a-0002"
    )
    counts = paper_reconciliation(session=session)
    assert (counts["counted"], counts["verified"], counts["entered"]) == (1, 1, 1)


def test_a_refused_entry_comes_back_as_typed_with_the_same_client_id(
    client, printed, paper_session, teller
):
    _session, questions = paper_session
    sheet = printed(1)[0]
    client.force_login(teller)
    url = reverse("paper:entry", args=[paper.sheet_token(sheet)])
    ranking, scale, text = questions["ranking"], questions["scale"], questions["text"]
    data = {
        "client_id": "f" * 32,
        f"q{scale.pk}-value": "4",
        f"q{text.pk}-text": "Meer bankjes",
        f"q{ranking.pk}-rank_{option(ranking, 0)}": "1",
        f"q{ranking.pk}-rank_{option(ranking, 1)}": "1",  # two items on one place
    }
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 400
    with translation.override("nl"):  # the teller form speaks the process's language
        assert str(INPUT_CODES["ranking_invalid"]) in page
    assert 'name="client_id" value="' + "f" * 32 + '"' in page
    assert re.search(rf'id="q{scale.pk}-v4" value="4" checked', page)
    assert ">Meer bankjes</textarea>" in page
    assert not Response.objects.exists()


def test_the_teller_form_shows_what_was_printed(client, printed, paper_session, teller, organiser):
    _session, questions = paper_session
    choice = questions["choice"]
    sheet = printed(1)[0]
    # After printing, an option is added: it was not on this paper, so not on the form.
    Option.objects.create(question=choice, text="Later toegevoegd", position=9)
    client.force_login(teller)
    url = reverse("paper:entry", args=[paper.sheet_token(sheet)])
    page = client.get(url).content.decode()
    assert "Later toegevoegd" not in page and "Groen" in page
    added = Option.objects.get(text="Later toegevoegd")
    with pytest.raises(InputRejected):
        paper.sheet_entry_record(
            user=teller,
            sheet=sheet,
            answers={str(choice.pk): {"option": added.pk}},
            client_id="entry-added1",
        )


def test_the_review_shows_both_answers_of_a_card_and_where_entries_differ(
    client, card_sheet, printed, paper_session, organiser, make_user, grant
):
    session, questions = paper_session
    Process.objects.filter(pk=session.process_id).update(
        card_rule="flag_for_review", entry_mode=EntryMode.DOUBLE
    )
    choice, scale = questions["choice"], questions["scale"]
    phone = participation.participant_join(
        session=session, via="room", card_code=card_sheet.card.code
    )
    phone_answer(phone, choice, 0, "phone-held01")
    second = make_user("tess")
    grant(session.process, second, Role.TELLER)
    answers = {**choice_answer(choice, 2), str(scale.pk): {"value": 3}}
    paper.sheet_entry_record(
        user=organiser, sheet=card_sheet, answers=answers, client_id="e-card-0001"
    )
    paper.sheet_entry_record(
        user=second, sheet=card_sheet, answers=answers, client_id="e-card-0002"
    )
    assert Response.objects.filter(status=ResponseStatus.HELD).count() == 1
    sheet = printed(1)[0]
    paper.sheet_entry_record(
        user=organiser,
        sheet=sheet,
        answers={**choice_answer(choice, 0), str(scale.pk): {"value": 3}},
        client_id="e-conf-0001",
    )
    paper.sheet_entry_record(
        user=second,
        sheet=sheet,
        answers={**choice_answer(choice, 1), str(scale.pk): {"value": 3}},
        client_id="e-conf-0002",
    )
    client.force_login(organiser)
    page = client.get(
        reverse("paper:page", args=[session.process.slug, session.pk])
    ).content.decode()
    held = page[page.index("one attendee card, two answers") :]
    assert "Earlier (online" in held and "Later (paper" in held
    assert held.index("Groen") < held.index("Fietsen")  # the phone's, then the paper's
    review = page[page.index("entries that differ") : page.index("one attendee card, two answers")]
    assert review.count('class="differs"') == 4  # the choice differs, in both columns
    assert review.count("Vraag over scale?") == 2  # shown, but not marked


def test_the_console_shows_the_hand_counts_that_stand(client, paper_session, organiser):
    session, questions = paper_session
    choice = questions["choice"]
    hands.hand_count_record(user=organiser, question=choice, counts={str(option(choice)): 21})
    client.force_login(organiser)
    page = client.get(
        reverse("live:console", args=[session.process.slug, session.pk])
    ).content.decode()
    assert f'name="hands_{option(choice)}" value="21"' in page
    assert f'name="hands_{option(choice, 1)}" value=""' in page
