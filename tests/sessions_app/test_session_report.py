"""Learning from a session (issue 22): the evaluation set from its template, answered on
phones and paper but kept apart from the process's results; the facilitator's private
notes; the session report with the right numbers, on its page, in the council report
(PDF) and in the workbook (both read back); and the learning page with its CSV."""

import csv
import io
import json
from datetime import UTC, timedelta

import pypdfium2 as pdfium
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from openpyxl import load_workbook

from sessions_app.exceptions import AccessDenied, InputRejected
from sessions_app.learning import learning_rows
from sessions_app.models import FacilitatorNote, LogEntry, Process, QuestionKind, Role
from sessions_app.services import evaluation, facilitation, notes
from sessions_app.services.hands import hand_count_record
from sessions_app.services.paper import sheet_entry_record
from sessions_app.services.participation import participant_join, response_submit
from sessions_app.services.print_runs import print_batch_create
from sessions_app.services.printing import form_layout
from sessions_app.services.processes import process_publish
from sessions_app.services.reconciliation import paper_close
from sessions_app.session_report import session_report
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NOTE = "De microfoon viel om 20:10 uit; na vraag 2 gingen veel mensen weg."


def _options(question):
    return list(question.options.order_by("position").values_list("pk", flat=True))


@pytest.fixture
def evening(organiser, live_session, make_question, make_user, grant):
    """A session held: a choice and a scale question, then the evaluation set. Four
    phones (three in the room, one at home) and two paper forms; a show of hands on the
    choice question; a note from the facilitator."""
    session = live_session
    process = session.process
    # In English, so that the outputs read back below are in this test's words.
    Process.objects.filter(pk=process.pk).update(language="en")
    process.refresh_from_db()
    choice = make_question("single_choice")
    scale = make_question("scale")
    added = evaluation.evaluation_add(user=organiser, session=session)
    clear, heard, joined, again = added
    process_publish(user=organiser, process=process)
    layout = form_layout(session=session, large_print=False, with_cards=False)
    batch = print_batch_create(user=organiser, session=session, count=3, layout=layout)
    sheets = list(batch.sheets.order_by("serial"))
    for question in (choice, scale, *added):
        facilitation.question_open(user=organiser, question=question)
    phones = [participant_join(session=session, via="room") for _ in range(3)]
    phones.append(participant_join(session=session, via="remote"))
    ids = iter(range(1000, 9999))

    def answer(phone, question, value):
        response_submit(
            participant=phone,
            question_id=question.pk,
            answer=value,
            client_id=f"answer-{next(ids):08d}",
        )

    green, market, bikes = _options(choice)
    # The choice question: all four phones; the scale: three (one dropped off).
    for phone, option in zip(phones, (green, green, market, bikes), strict=True):
        answer(phone, choice, {"option": option})
    for phone, value in zip(phones[:3], (4, 5, 2), strict=True):
        answer(phone, scale, {"value": value})
    # The evaluation on phones: two of them.
    yes, maybe, _no = _options(again)
    room_phone, _other, _home = _options(joined)[:3]
    for phone, (c, h) in zip(phones[:2], ((5, 4), (3, 4)), strict=True):
        answer(phone, clear, {"value": c})
        answer(phone, heard, {"value": h})
        answer(phone, joined, {"option": room_phone})
        answer(phone, again, {"option": yes})
    teller = make_user("tom")
    grant(process, teller, Role.TELLER)
    on_paper = _options(joined)[2]
    for index, (c, a) in enumerate(((2, maybe), (4, yes))):
        sheet_entry_record(
            user=teller,
            sheet=sheets[index],
            answers={
                str(choice.pk): {"option": market},
                str(clear.pk): {"value": c},
                str(heard.pk): {"value": 3},
                str(joined.pk): {"option": on_paper},
                str(again.pk): {"option": a},
            },
            client_id=f"entry-{index:08d}",
        )
    hand_count_record(user=organiser, question=choice, counts={str(green): 7, str(bikes): 2})
    notes.note_add(user=organiser, session=session, text=NOTE)
    for question in (choice, scale, *added):
        facilitation.question_close(user=organiser, question=question)
    facilitation.session_end(user=organiser, session=session)
    session.refresh_from_db()
    paper_close(user=organiser, session=session)
    session.refresh_from_db()
    return {
        "session": session,
        "process": process,
        "choice": choice,
        "scale": scale,
        "evaluation": added,
        "teller": teller,
    }


def test_the_template_adds_four_evaluation_questions_once(organiser, live_session):
    added = evaluation.evaluation_add(user=organiser, session=live_session)
    assert [q.kind for q in added] == [
        QuestionKind.SCALE,
        QuestionKind.SCALE,
        QuestionKind.SINGLE_CHOICE,
        QuestionKind.SINGLE_CHOICE,
    ]
    assert all(q.evaluation for q in added)
    # In the process's language (Dutch), whatever the organiser's.
    assert added[1].text == "Voelde u zich gehoord?"
    assert LogEntry.objects.filter(action="question.created").count() == 4
    with pytest.raises(InputRejected) as caught:
        evaluation.evaluation_add(user=organiser, session=live_session)
    assert caught.value.code == "evaluation_exists"
    assert live_session.questions.count() == 4


def test_only_an_organiser_adds_the_evaluation(live_session, make_user, grant):
    facilitator = make_user("fien")
    grant(live_session.process, facilitator, Role.FACILITATOR)
    with pytest.raises(AccessDenied):
        evaluation.evaluation_add(user=facilitator, session=live_session)
    assert not live_session.questions.exists()


def test_the_design_file_carries_the_evaluation_flag(organiser, live_session):
    from sessions_app.design import process_to_dict, question_spec_from

    evaluation.evaluation_add(user=organiser, session=live_session)
    [session] = process_to_dict(live_session.process)["sessions"]
    assert [q.get("evaluation") for q in session["questions"]] == [True] * 4
    assert question_spec_from(session["questions"][0]).evaluation is True


def test_the_report_counts_turnout_drop_off_and_the_evaluation(evening):
    report = session_report(evening["session"], notes=True)
    assert report["turnout"] == {
        "room": 3,
        "remote": 1,
        "paper": 2,
        "hands": 9,
        "phones": 4,
        "people": 6,
    }
    assert report["shares"] == {
        "room": 50.0,
        "phones": 66.7,
        "paper": 33.3,
        "in_room": 83.3,
        "remote": 16.7,
    }
    first, second = report["questions"]  # the evaluation is not among them
    assert first["respondents"] == {
        "room": 3,
        "remote": 1,
        "paper": 2,
        "hands": 9,
        "total": 15,
    }
    assert (first["drop"], first["of_first"]) == (None, 100.0)
    assert second["respondents"]["total"] == 3
    assert (second["drop"], second["of_first"]) == (12, 20.0)
    clear, heard, joined, again = report["evaluation"]
    assert clear["result"]["mean"] == 3.5  # 5, 3 on phones; 2, 4 on paper
    paper_option = joined["result"]["options"][2]
    assert paper_option["counts"]["paper"] == paper_option["counts"]["total"] == 2
    assert heard["result"]["respondents"] == {
        "room": 2,
        "remote": 0,
        "paper": 2,
        "hands": 0,
        "total": 4,
    }
    yes = again["result"]["options"][0]
    assert (yes["counts"]["room"], yes["counts"]["paper"], yes["percent"]) == (2, 1, 75.0)
    minutes = report["per_minute"]
    assert minutes["total"] == sum(m["n"] for m in minutes["minutes"]) == 4 + 3 + 8
    assert minutes["peak"] == 15  # all in this test's one minute
    assert report["moderation"]["answers_held"] == 0
    assert [note["text"] for note in report["notes"]] == [NOTE]


def test_answers_per_minute_follow_the_clock(organiser, live_session, make_question):
    question = make_question("single_choice")
    process_publish(user=organiser, process=live_session.process)
    start = timezone.now().replace(second=5, microsecond=0)
    option = _options(question)[0]
    with freeze_time(start):
        facilitation.question_open(user=organiser, question=question)
    for minute, phones in ((0, 3), (2, 1)):
        with freeze_time(start + timedelta(minutes=minute, seconds=10)):
            for n in range(phones):
                phone = participant_join(session=live_session, via="room")
                response_submit(
                    participant=phone,
                    question_id=question.pk,
                    answer={"option": option},
                    client_id=f"minute-{minute:03d}-{n:03d}",
                )
    with freeze_time(start + timedelta(minutes=3)):
        facilitation.session_end(user=organiser, session=live_session)
    live_session.refresh_from_db()
    minutes = session_report(live_session)["per_minute"]
    assert [m["n"] for m in minutes["minutes"]] == [3, 0, 1, 0]
    assert (minutes["peak"], minutes["median"], minutes["total"]) == (3, 0.5, 4)


def test_evaluation_stays_apart_from_the_process_results(evening, client, organiser):
    process = evening["process"]
    page = client.get(process.get_absolute_url()).content.decode()
    # The agenda lists every question; the results leave the evaluation out.
    page = page[page.index('id="results"') : page.index('id="follow-up"')]
    assert evening["choice"].text in page
    for question in evening["evaluation"]:
        assert question.text not in page
    assert NOTE not in page


def test_the_workbook_has_the_session_report_and_no_evaluation_in_the_results(evening, tmp_path):
    process = evening["process"]
    path = tmp_path / "book.xlsx"
    call_command("export_results", process.slug, "--format", "xlsx", "-o", str(path))
    book = load_workbook(path)
    results = [row[0] for row in book["Results"].iter_rows(values_only=True)]
    assert not any(row and evening["evaluation"][0].text in row for row in results)
    assert "Q3" not in book.sheetnames  # the evaluation's questions have no sheets
    rows = [r for r in book["Session report"].iter_rows(values_only=True)]
    people = next(r for r in rows if r[0] == "people")
    assert people[1:6] == (3, 1, 2, 6, 9)
    # Each share under its own heading: room, elsewhere, paper; then phones, in the room.
    share = next(r for r in rows if r[0] == "share of the people (%)")
    assert share[1:4] == (50.0, 16.7, 33.3)
    assert next(r for r in rows if r[0] == "phones")[1] == 66.7
    assert next(r for r in rows if r[0] == "in the room, phones and paper")[1] == 83.3
    drop = next(r for r in rows if r[0] and str(r[0]).startswith("2. "))
    assert drop[5] == 3 and drop[6] == -12 and drop[7] == 20
    clear = rows.index(
        next(r for r in rows if r[0] == f"Evaluation: {evening['evaluation'][0].text}")
    )
    mean = next(r for r in rows[clear:] if r[0] == "mean")
    assert mean[5] == 3.5
    again = rows.index(
        next(r for r in rows if r[0] == f"Evaluation: {evening['evaluation'][3].text}")
    )
    yes = rows[again + 2]
    assert yes[0] == "Yes" and yes[1:7] == (2, 0, 1, 0, 3, 75)
    assert book["Session report"]._charts, "answers per minute as a native chart"
    everything = json.dumps(
        [[list(r) for r in ws.iter_rows(values_only=True)] for ws in book], default=str
    )
    assert NOTE not in everything


def test_the_pdf_has_the_session_report(evening, tmp_path):
    process = evening["process"]
    path = tmp_path / "report.pdf"
    call_command("export_results", process.slug, "--format", "pdf", "-o", str(path))
    pdf = pdfium.PdfDocument(str(path))
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    text = " ".join(text.split())
    assert f"Session report: {evening['session'].title}" in text
    assert "Paper: 33.3% of the people, phones: 66.7%" in text
    assert "Average: 3.5" in text
    assert evening["evaluation"][1].text in text
    assert NOTE not in text


def test_the_open_data_marks_evaluation_questions(evening, tmp_path):
    process = evening["process"]
    path = tmp_path / "open.json"
    call_command("export_results", process.slug, "--format", "json", "-o", str(path))
    found = json.loads(path.read_text())
    flags = {q["id"]: q["evaluation"] for q in found["questions"]}
    assert flags[evening["choice"].pk] is False
    assert all(flags[q.pk] for q in evening["evaluation"])
    assert NOTE not in path.read_text()


def test_notes_are_checked_and_private(live_session, organiser, make_user, grant):
    with pytest.raises(InputRejected) as caught:
        notes.note_add(user=organiser, session=live_session, text="   ")
    assert caught.value.code == "note_empty"
    with pytest.raises(InputRejected) as caught:
        notes.note_add(user=organiser, session=live_session, text="x" * 2001)
    assert caught.value.code == "note_too_long"
    teller = make_user("tom")
    grant(live_session.process, teller, Role.TELLER)
    with pytest.raises(AccessDenied):
        notes.note_add(user=teller, session=live_session, text="Hallo")
    assert not FacilitatorNote.objects.exists()
    notes.note_add(user=organiser, session=live_session, text="Zaal vol.")
    assert not LogEntry.objects.filter(data__icontains="Zaal vol").exists()


def test_the_console_saves_a_note_and_the_report_page_shows_it(evening, client, organiser):
    session, process = evening["session"], evening["process"]
    client.login(username=organiser.username, password=PASSWORD)
    url = reverse("live:note_add", args=[process.slug, session.pk])
    response = client.post(url, {"text": "Volgende keer meer stoelen."})
    assert response.status_code == 302
    console = client.get(reverse("live:console", args=[process.slug, session.pk]))
    assert "Volgende keer meer stoelen." in console.content.decode()
    page = client.get(reverse("designer:session_report", args=[process.slug, session.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert NOTE in html and "Volgende keer meer stoelen." in html
    assert 'data-turnout="people">6<' in html and 'data-turnout="paper">2<' in html
    assert evening["evaluation"][0].text in html
    # Shares as the PDF writes them: 33.3%, and 100% rather than 100.0%.
    assert "Paper: 33.3% of the people, phones: 66.7%." in html
    assert "<td>100%</td>" in html and ".0%" not in html


def test_the_report_page_is_for_the_process_staff_only(evening, client, make_user):
    stranger = make_user("sam")
    client.login(username=stranger.username, password=PASSWORD)
    session, process = evening["session"], evening["process"]
    url = reverse("designer:session_report", args=[process.slug, session.pk])
    assert client.get(url).status_code == 404
    note = reverse("live:note_add", args=[process.slug, session.pk])
    assert client.post(note, {"text": "hoi"}).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login


def test_the_designer_adds_the_evaluation_with_one_button(live_session, client, organiser):
    process = live_session.process
    client.login(username=organiser.username, password=PASSWORD)
    detail = client.get(reverse("designer:process_detail", args=[process.slug])).content.decode()
    url = reverse("designer:evaluation_add", args=[process.slug, live_session.pk])
    assert url in detail
    client.post(url)
    assert live_session.questions.filter(evaluation=True).count() == 4
    detail = client.get(reverse("designer:process_detail", args=[process.slug])).content.decode()
    assert url not in detail


def test_the_learning_page_compares_sessions_and_exports_csv(
    evening, client, organiser, make_process
):
    other = make_process(title="Begroting 2028")
    assert isinstance(other, Process)
    rows = learning_rows(Process.objects.all())
    [row] = rows  # the other process held no session
    # The session's date where it was held: 00:30 in Amsterdam is the day before in UTC.
    session = evening["session"]
    local = timezone.localtime(session.starts_at).replace(hour=0, minute=30)
    type(session).objects.filter(pk=session.pk).update(starts_at=local)
    [moved] = learning_rows(Process.objects.all())
    assert moved["date"] == local.date().isoformat() != local.astimezone(UTC).date().isoformat()
    assert (row["people"], row["room"], row["remote"], row["paper"], row["hands"]) == (
        6,
        3,
        1,
        2,
        9,
    )
    assert (row["clear"], row["heard"], row["again"]) == (3.5, 3.5, 75.0)
    assert row["kinds"] == ["scale", "single_choice"] and row["questions"] == 2
    client.login(username=organiser.username, password=PASSWORD)
    page = client.get(reverse("designer:learning"))
    assert evening["session"].title in page.content.decode()
    assert "33.3%" in page.content.decode() and "75% yes" in page.content.decode()
    download = client.get(reverse("designer:learning_csv"))
    assert download["Content-Type"].startswith("text/csv")
    text = download.content.decode("utf-8-sig")
    [line] = list(csv.DictReader(io.StringIO(text)))
    assert line["people"] == "6" and line["paper_share"] == "33.3" and line["again"] == "75.0"
    assert line["kinds"] == "scale single_choice"
    assert NOTE not in text


def test_every_table_of_the_report_page_has_a_name(evening, client, organiser):
    from tests.sessions_app.table_labels import unnamed_tables

    session, process = evening["session"], evening["process"]
    client.force_login(organiser)
    html = client.get(
        reverse("designer:session_report", args=[process.slug, session.pk])
    ).content.decode()
    assert html.count("<table") >= 4
    assert 'id="evaluation-1-heading"' in html
    assert unnamed_tables(html) == []
