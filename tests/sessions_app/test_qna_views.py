"""Questions to the panel over plain HTTP (issue 21): a phone without JavaScript asks,
upvotes and withdraws; the console's plain forms merge, pin, count hands and record the
panel's answer; the public page lists what was asked and answered."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from sessions_app.models import LogEntry, Option, PanelAnswer, Response, ResponseStatus, Role
from sessions_app.services import facilitation, participation, qna
from sessions_app.services.processes import panel_replace, process_publish
from sessions_app.specs import PanelMemberSpec

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def round_(organiser, live_session, make_question):
    process = live_session.process
    panel_replace(
        user=organiser,
        process=process,
        panel=[PanelMemberSpec("Wethouder De Vries", "wethouder"), PanelMemberSpec("Anna Bakker")],
    )
    question = make_question(
        "qna",
        max_length=200,
        qna_names=True,
        qna_premoderate=False,
        panel=["Wethouder De Vries", "Anna Bakker"],
    )
    process_publish(user=organiser, process=process)
    facilitation.question_open(user=organiser, question=question)
    live_session.refresh_from_db()
    return live_session, question


def join(client, session):
    client.post(reverse("participate:join", args=[session.join_code]))
    return reverse("participate:phone", args=[session.join_code])


def test_a_phone_without_javascript_asks_upvotes_and_withdraws(client, round_, live_session):
    session, question = round_
    someone = participation.participant_join(session=session, via="room")
    theirs, _ = qna.qna_ask(
        participant=someone, question_id=question.pk, text="Komt er groen?", client_id="ask-them-1"
    )
    phone = join(client, session)
    page = client.get(phone).content.decode()
    assert 'name="ask_text"' in page and 'name="display_name"' in page
    assert "Wethouder De Vries, wethouder" in page  # whom to address
    assert f'name="upvote" value="{theirs.pk}"' in page

    answer_url = reverse("participate:answer", args=[session.join_code, question.pk])
    member = question.panel.get(name="Anna Bakker")
    response = client.post(
        answer_url,
        {
            "form_id": "formid-0001-ask",
            "ask_text": "Wanneer is de bouw klaar?",
            "panel_member": str(member.pk),
            "display_name": "Karin",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Your question is on the list." in page
    mine = Option.objects.get(text="Wanneer is de bouw klaar?")
    assert (mine.display_name, mine.panel_member) == ("Karin", member)
    # Its own question is marked and has no upvote button.
    own = re.search(rf'<li class="qna-item is-own[^"]*" id="asked-{mine.pk}">.*?</li>', page, re.S)
    assert own and "Your question" in own.group(0) and 'name="upvote"' not in own.group(0)

    client.post(answer_url, {"form_id": "formid-0002", "upvote": str(theirs.pk)})
    page = client.get(phone).content.decode()
    assert f'name="withdraw" value="{theirs.pk}"' in page and "1 vote" in page
    client.post(answer_url, {"form_id": "formid-0003", "withdraw": str(theirs.pk)})
    counted = Response.objects.filter(statement=theirs, status=ResponseStatus.COUNTED)
    assert list(counted.values_list("number", flat=True)) == [0]
    # Sorted by time on request: the newest (its own) first.
    newest = client.get(phone, {"order": "time"}).content.decode()
    assert newest.index(f'id="asked-{mine.pk}"') < newest.index(f'id="asked-{theirs.pk}"')

    # Upvoting its own question is refused with a clear message, and nothing is stored.
    before = Response.objects.count()
    page = client.post(
        answer_url, {"form_id": "formid-0004", "upvote": str(mine.pk)}, follow=True
    ).content.decode()
    assert "This is your own question" in page
    assert Response.objects.count() == before


def test_console_forms_merge_pin_count_hands_and_record_answers(
    client, round_, make_user, grant, organiser
):
    session, question = round_
    phones = [participation.participant_join(session=session, via="room") for _ in range(3)]
    first, _ = qna.qna_ask(
        participant=phones[0],
        question_id=question.pk,
        text="Komt er een zebrapad?",
        client_id="ask-0000001",
    )
    second, _ = qna.qna_ask(
        participant=phones[1],
        question_id=question.pk,
        text="Oversteekplaats?",
        client_id="ask-0000002",
    )
    facilitator = make_user("fenna")
    grant(session.process, facilitator, Role.FACILITATOR)
    client.force_login(facilitator)
    console = reverse("live:console", args=[session.process.slug, session.pk])
    page = client.get(console).content.decode()
    assert "2 questions to the panel" in page and "Pin: being answered" in page

    action = reverse("live:console_action", args=[session.process.slug, session.pk])
    client.post(
        action,
        {"command": "qna_merge", "question": question.pk, "asked": second.pk, "into": first.pk},
    )
    client.post(action, {"command": "qna_pin", "question": question.pk, "asked": first.pk})
    due = date.today() + timedelta(days=14)
    client.post(
        action,
        {
            "command": "qna_answer",
            "question": question.pk,
            "asked": first.pk,
            "mode": "in_writing",
            "due": due.isoformat(),
            "form_id": "answer-form-0001",
        },
    )
    second.refresh_from_db()
    question.refresh_from_db()
    assert second.merged_into == first and question.pinned == first
    assert PanelAnswer.objects.get().due == due
    page = client.get(console).content.decode()
    assert "Merged: Oversteekplaats?" in page
    assert f"Will be answered in writing by {due.day} " in page
    # A wrong answer form says why and records nothing.
    page = client.post(
        action,
        {"command": "qna_answer", "question": question.pk, "asked": first.pk, "mode": "summary"},
        follow=True,
    ).content.decode()
    assert "Type the answer" in page and PanelAnswer.objects.count() == 1
    assert (
        LogEntry.objects.filter(action__startswith="qna.").count() == 5
    )  # 2 asked, merge, pin, answer


def test_the_public_page_lists_questions_answers_and_an_overdue_promise(client, round_, organiser):
    session, question = round_
    phones = [participation.participant_join(session=session, via="room") for _ in range(2)]
    answered, _ = qna.qna_ask(
        participant=phones[0],
        question_id=question.pk,
        text="Wat kost het plein?",
        client_id="ask-0000001",
    )
    promised, _ = qna.qna_ask(
        participant=phones[1],
        question_id=question.pk,
        text="Blijft de markt?",
        client_id="ask-0000002",
    )
    participation.response_submit(
        participant=phones[1],
        question_id=question.pk,
        answer={"statement": answered.pk, "vote": "up"},
        client_id="up-00000001",
    )
    qna.qna_answer(user=organiser, asked=answered, mode="summary", text="Ongeveer 2,4 miljoen.")
    qna.qna_answer(
        user=organiser, asked=promised, mode="in_writing", due=date(2026, 1, 15).isoformat()
    )
    facilitation.question_close(user=organiser, question=question)
    page = client.get(
        session.process.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="nl"
    ).content.decode()
    card = page.split(f'id="result-{question.pk}"')[1].split("</article>")[0]
    assert "Wat kost het plein?" in card and "Ongeveer 2,4 miljoen." in card
    assert card.index("Wat kost het plein?") < card.index("Blijft de markt?")  # most votes first
    assert "15 January 2026" in card and "is-overdue" in card


def test_the_designer_sets_the_panel_and_a_round_addressing_it(client, organiser, live_session):
    from tests.sessions_app.test_views import process_post

    process = live_session.process
    client.force_login(organiser)
    data = process_post()
    data.update(
        {
            "panel-TOTAL_FORMS": "3",
            "panel-INITIAL_FORMS": "0",
            "panel-0-name": "Wethouder De Vries",
            "panel-0-role": "wethouder verkeer",
            "panel-1-name": "Anna Bakker",
            "panel-1-role": "projectleider",
            "panel-2-name": "",
        }
    )
    response = client.post(reverse("designer:process_edit", args=[process.slug]), data)
    assert response.status_code == 302
    assert list(process.panel.values_list("name", "role")) == [
        ("Wethouder De Vries", "wethouder verkeer"),
        ("Anna Bakker", "projectleider"),
    ]
    detail = client.get(reverse("designer:process_detail", args=[process.slug])).content.decode()
    assert "Anna Bakker, projectleider" in detail

    url = reverse("designer:question_create", args=[process.slug, live_session.pk])
    page = client.get(url, {"kind": "qna"}).content.decode()
    assert 'value="Wethouder De Vries"' in page and 'data-kinds="qna"' in page
    response = client.post(
        url + "?kind=qna",
        {
            "kind": "qna",
            "text": "Vragen aan het panel",
            "qna_max_length": "250",
            "qna_names": "on",
            "qna_upvotes": "on",
            "panel": ["Anna Bakker"],
            "options-TOTAL_FORMS": "0",
            "options-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    question = live_session.questions.get()
    assert (question.kind, question.max_length, question.qna_names, question.qna_premoderate) == (
        "qna",
        250,
        True,
        False,
    )
    assert [m.name for m in question.panel.all()] == ["Anna Bakker"]
    created = LogEntry.objects.get(action="question.created")
    assert created.data["panel"] == ["Anna Bakker"] and created.data["premoderate"] is False


def test_a_promised_written_answer_is_given_later_and_announced_in_the_feed(
    client, round_, organiser
):
    session, question = round_
    phone = participation.participant_join(session=session, via="room")
    asked, _ = qna.qna_ask(
        participant=phone, question_id=question.pk, text="Blijft de markt?", client_id="ask-0000001"
    )
    qna.qna_answer(user=organiser, asked=asked, mode="in_writing", due=date(2026, 1, 15))
    facilitation.session_end(user=organiser, session=session)
    public = session.process.get_absolute_url()
    page = client.get(public).content.decode()
    follow_up = page.split('id="follow-up-heading"')[1]
    assert "Blijft de markt?" in follow_up and "Overdue:" in follow_up

    client.force_login(organiser)
    designer_page = client.get(reverse("designer:follow_up", args=[session.process.slug]))
    assert "Publish the written answer" in designer_page.content.decode()
    client.post(
        reverse("designer:written_answer", args=[session.process.slug, asked.pk]),
        {"text": "De markt blijft op zaterdag.", "form_id": "written-form-0001"},
    )
    client.logout()
    follow_up = client.get(public).content.decode().split('id="follow-up-heading"')[1]
    assert "De markt blijft op zaterdag." in follow_up and "Overdue:" not in follow_up
    feed = client.get(reverse("public:feed", args=[session.process.slug])).content.decode()
    assert "Schriftelijk antwoord: Blijft de markt?" in feed
    assert "De markt blijft op zaterdag." in feed
    assert feed.count("Schriftelijk antwoord:") == 1  # the promise itself is not news


def test_the_feed_names_an_answered_question_only_while_it_is_approved(client, round_, organiser):
    """A question hidden by moderation after the panel answered it in writing leaves the
    feed's news: the written answer is still news, worded without the question."""
    session, question = round_
    phone = participation.participant_join(session=session, via="room")
    asked, _ = qna.qna_ask(
        participant=phone,
        question_id=question.pk,
        text="Waarom woont Jan nog hier?",
        client_id="ask-0000001",
    )
    qna.qna_answer(user=organiser, asked=asked, mode="in_writing", due=date(2027, 3, 1))
    qna.qna_answer(user=organiser, asked=asked, mode="written", text="Het antwoord volgt.")
    feed_url = reverse("public:feed", args=[session.process.slug])
    assert (
        "Schriftelijk antwoord: Waarom woont Jan nog hier?" in client.get(feed_url).content.decode()
    )
    facilitation.statement_moderate(
        user=organiser, option=asked, decision="hide", reason="persoonlijk"
    )
    feed = client.get(feed_url).content.decode()
    assert "Jan" not in feed
    assert "Het antwoord van het panel op een vraag is vastgelegd." in feed
    assert "Het antwoord volgt." in feed
    # Nor does the process's public page show it among the written answers; staff do see it.
    public = client.get(session.process.get_absolute_url()).content.decode()
    written = public.split('id="written-answers"')[1]
    assert "Waarom woont" not in written and "hidden by moderation" in written
    client.force_login(organiser)
    staff = client.get(reverse("designer:follow_up", args=[session.process.slug]))
    assert "Waarom woont Jan nog hier?" in staff.content.decode()


def test_every_staff_and_public_page_shows_a_round_with_questions(client, round_, organiser):
    """A process with a Q&A round and its questions, answers and a merge: the designer,
    console, paper, teller, log and public pages and the process's log page all render."""
    session, question = round_
    phones = [participation.participant_join(session=session, via="room") for _ in range(2)]
    first, _ = qna.qna_ask(
        participant=phones[0], question_id=question.pk, text="Vraag een?", client_id="ask-0000001"
    )
    second, _ = qna.qna_ask(
        participant=phones[1], question_id=question.pk, text="Vraag twee?", client_id="ask-0000002"
    )
    qna.qna_merge(user=organiser, asked=second, into=first)
    qna.qna_answer(user=organiser, asked=first, mode="in_writing", due=date(2027, 3, 1))
    facilitation.question_close(user=organiser, question=question)
    slug = session.process.slug
    client.force_login(organiser)
    pages = [
        reverse("designer:process_detail", args=[slug]),
        reverse("designer:question_edit", args=[slug, question.pk]),
        reverse("designer:question_preview", args=[slug, question.pk]),
        reverse("designer:process_log", args=[slug]),
        reverse("designer:follow_up", args=[slug]),
        reverse("live:console", args=[slug, session.pk]),
        reverse("live:presenter", args=[session.join_code]),
        reverse("paper:page", args=[slug, session.pk]),
        reverse("paper:teller_session", args=[session.pk]),
        reverse("public:process", args=[slug]),
        reverse("public:log", args=[slug]),
        reverse("public:feed", args=[slug]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    edit = client.get(reverse("designer:question_edit", args=[slug, question.pk])).content
    assert b'data-kinds="qna"' in edit and b"Wethouder De Vries" in edit


def test_a_rejected_answer_form_comes_back_as_typed_without_javascript(
    client, round_, make_user, grant
):
    session, question = round_
    phone = participation.participant_join(session=session, via="room")
    asked, _ = qna.qna_ask(
        participant=phone,
        question_id=question.pk,
        text="Komt er een zebrapad?",
        client_id="ask-0000009",
    )
    facilitator = make_user("fenna")
    grant(session.process, facilitator, Role.FACILITATOR)
    client.force_login(facilitator)
    console = reverse("live:console", args=[session.process.slug, session.pk])
    action = reverse("live:console_action", args=[session.process.slug, session.pk])
    response = client.post(
        action,
        {
            "command": "qna_answer",
            "question": question.pk,
            "asked": asked.pk,
            "mode": "in_writing",
            "text": "Wij sturen u de cijfers & <tekeningen>.",
            "due": "",
            "form_id": "answer-form-0002",
        },
    )
    # The console again at once (not a redirect to it), as typed, the error at its field.
    assert response.status_code == 400
    page = response.content.decode()
    assert f'data-form="answer-{asked.pk}" data-kept>' in page
    assert f'id="answer-due-error-{asked.pk}"' in page
    assert "Give the date by which the written answer will be given." in page
    assert f'aria-describedby="answer-due-error-{asked.pk}" autofocus' in page
    assert ">Wij sturen u de cijfers &amp; &lt;tekeningen&gt;.</textarea>" in page
    assert 'value="in_writing" checked' in page and 'value="summary" checked' not in page
    assert PanelAnswer.objects.count() == 0
    assert not LogEntry.objects.filter(action="qna.answered").exists()
    # Shown once: the console itself has a fresh form.
    page = client.get(console).content.decode()
    assert "Wij sturen u de cijfers" not in page and "Give the date by which" not in page
    assert 'value="summary" checked' in page


def test_the_answer_summary_has_its_own_label_apart_from_the_choices(client, round_, organiser):
    session, question = round_
    phone = participation.participant_join(session=session, via="room")
    asked, _ = qna.qna_ask(
        participant=phone,
        question_id=question.pk,
        text="Komt er een zebrapad?",
        client_id="ask-0000009",
    )
    client.force_login(organiser)
    page = client.get(reverse("live:console", args=[session.process.slug, session.pk]))
    form = page.content.decode().split('class="qna-answer-form"', 1)[1].split("</form>", 1)[0]
    choices = form.split('<div class="radio-row">', 1)[1].split("</div>", 1)[0]
    assert choices.count('type="radio"') == 3 and "<textarea" not in choices
    assert re.search(
        rf'<div class="field"><label for="answer-text-{asked.pk}">'
        r"Summary of the answer \(only when “summary” is chosen\)</label>\s*<textarea",
        form,
    )
