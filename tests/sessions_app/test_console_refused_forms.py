"""The console's forms without JavaScript, refused by the server: the console comes back
at once (status 400) with the form filled in as typed and the error beside it, linked to
its field and focused, and nothing recorded; a button's refusal still redirects."""

import lxml.html
import pytest
from django.urls import reverse

from sessions_app.exceptions import FacilitationError
from sessions_app.models import HandCount, LogEntry, Moderation, Option, Response, Role
from sessions_app.services import facilitation, participation, qna
from sessions_app.services.paper import sheet_entry_record
from sessions_app.services.print_runs import print_batch_create
from sessions_app.services.printing import form_layout
from sessions_app.services.processes import panel_replace, process_publish
from sessions_app.specs import PanelMemberSpec

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def evening(organiser, live_session, make_question, make_user, grant, client):
    """A choice and an open question, open, with a facilitator logged in."""
    choice = make_question("single_choice")
    wall = make_question("open_text")
    process_publish(user=organiser, process=live_session.process)
    for question in (choice, wall):
        facilitation.question_open(user=organiser, question=question)
    facilitator = make_user("fenna")
    grant(live_session.process, facilitator, Role.FACILITATOR)
    client.force_login(facilitator)
    live_session.refresh_from_db()
    return live_session, choice, wall


def urls(session) -> tuple[str, str]:
    slug = session.process.slug
    return (
        reverse("live:console", args=[slug, session.pk]),
        reverse("live:console_action", args=[slug, session.pk]),
    )


#: What the browser focuses when the page loads (the closed dialog's button is not shown).
AUTOFOCUS = "//*[@autofocus][not(ancestor::dialog)]"


def recorded() -> tuple[int, int]:
    return LogEntry.objects.count(), HandCount.objects.count()


def refused_beside(page, field_id: str) -> str:
    """The error that ``field_id``'s field is marked with: the field says it is invalid and
    is described by the error, the one element the browser focuses is the field or the
    error; the error's text."""
    field = page.get_element_by_id(field_id)
    assert field.get("aria-invalid") == "true"
    error_id = next(i for i in field.get("aria-describedby").split() if "error" in i)
    error = page.get_element_by_id(error_id)
    assert "field-error" in error.get("class")
    [focused] = page.xpath(AUTOFOCUS)
    assert focused in (field, error)
    if focused is error:
        assert error.get("tabindex") == "-1"
    # The page lives at the form's (POST-only) address: the language form goes back.
    console = page.xpath("//script[@id='console-config']")[0].text
    assert page.xpath("//form[@class='language-form']//input[@name='next']/@value") == [
        next(part for part in console.split('"') if part.endswith("/console/"))
    ]
    return " ".join(error.text_content().split())


def test_a_refused_reason_for_hiding_comes_back_beside_its_form(client, evening):
    session, _choice, wall = evening
    phone = participation.participant_join(session=session, via="room")
    participation.response_submit(
        participant=phone,
        question_id=wall.pk,
        answer={"text": "Een watertappunt bij de bank"},
        client_id="answer-00000001",
    )
    waiting = Response.objects.get(question=wall)
    console, action = urls(session)
    before = recorded()
    # Spaces only: the browser's ``required`` lets them through; the service does not.
    response = client.post(
        action,
        {"command": "moderate", "response": waiting.pk, "decision": "hide", "reason": "   "},
    )
    assert response.status_code == 400
    page = lxml.html.fromstring(response.content.decode())
    field_id = f"reason-response-{waiting.pk}"
    assert refused_beside(page, field_id) == "Error: Give a reason."
    assert page.get_element_by_id(field_id).get("value") == "   "
    [form] = page.xpath(f"//form[@data-form='hide-response-{waiting.pk}']")
    assert "data-kept" in form.attrib
    # Nothing else on the page is marked as refused.
    assert len(page.xpath("//*[@data-kept]")) == 1
    waiting.refresh_from_db()
    assert waiting.moderation == Moderation.PENDING and recorded() == before
    # Shown once: the console itself is the form as it was.
    page = lxml.html.fromstring(client.get(console).content.decode())
    assert page.get_element_by_id(field_id).get("value") is None
    assert not page.xpath(f"{AUTOFOCUS} | //*[@aria-invalid or @data-kept]")


def test_a_refused_show_of_hands_comes_back_as_typed(client, evening):
    session, choice, _wall = evening
    green, market, bikes = (choice.options.get(text=t) for t in ("Groen", "Markt", "Fietsen"))
    console, action = urls(session)
    before = recorded()
    response = client.post(
        action,
        {
            "command": "hands",
            "question": choice.pk,
            f"hands_{green.pk}": "12",
            f"hands_{market.pk}": "100001",
            f"hands_{bikes.pk}": "",
        },
    )
    assert response.status_code == 400
    page = lxml.html.fromstring(response.content.decode())
    for option in (green, market, bikes):
        assert refused_beside(page, f"h{choice.pk}-{option.pk}") == (
            "Error: A count of hands is a whole number from 0 to 100,000."
        )
    typed = {
        option.text: page.get_element_by_id(f"h{choice.pk}-{option.pk}").get("value")
        for option in (green, market, bikes)
    }
    assert typed == {"Groen": "12", "Markt": "100001", "Fietsen": ""}
    # Its fold is open, so the focused error is in view; the rule is still described.
    [details] = page.xpath(f"//li[@id='q-{choice.pk}']//details[contains(@class, 'hands')]")
    assert details.get("open") is not None
    field = page.get_element_by_id(f"h{choice.pk}-{green.pk}")
    assert f"hands-rule-{choice.pk}" in field.get("aria-describedby").split()
    assert recorded() == before
    # Corrected from the page shown again, the counts stand.
    client.post(
        action,
        {
            "command": "hands",
            "question": choice.pk,
            f"hands_{green.pk}": "12",
            f"hands_{market.pk}": "10",
            f"hands_{bikes.pk}": "",
        },
    )
    assert sorted(HandCount.objects.values_list("count", flat=True)) == [10, 12]
    page = lxml.html.fromstring(client.get(console).content.decode())
    assert page.get_element_by_id(f"h{choice.pk}-{market.pk}").get("value") == "10"
    assert not page.xpath(f"{AUTOFOCUS} | //*[@aria-invalid or @data-kept]")


def test_a_button_refused_still_redirects_and_a_get_goes_back(client, evening):
    session, choice, _wall = evening
    console, action = urls(session)
    # Nothing typed to keep: the console again by a redirect, the error at its top.
    response = client.post(action, {"command": "open", "question": choice.pk})
    assert response.status_code == 302 and response["Location"] == f"{console}#q-{choice.pk}"
    assert "cannot go from" in client.get(console).content.decode()
    # The refused form's page is at the action's address: a GET there leads back.
    response = client.get(action)
    assert response.status_code == 302 and response["Location"] == console


def test_a_refused_form_whose_item_is_gone_says_why_at_the_top(client, evening):
    session, _choice, _wall = evening
    _console, action = urls(session)
    before = recorded()
    response = client.post(
        action,
        {"command": "moderate", "statement": 999999, "decision": "hide", "reason": "Spam"},
    )
    assert response.status_code == 400
    page = lxml.html.fromstring(response.content.decode())
    [alert] = page.xpath("//p[contains(@class, 'message-error')]")
    assert alert.get("role") == "alert"
    assert alert.text_content() == "there is no such question on this agenda"
    assert recorded() == before


# --- a round of questions to the panel --------------------------------------------------


@pytest.fixture
def round_(organiser, live_session, make_question, make_user, grant, client):
    """A round with a question asked on a phone and one on a paper card, both approved."""
    process = live_session.process
    panel_replace(user=organiser, process=process, panel=[PanelMemberSpec("Anna Bakker")])
    question = make_question("qna", max_length=300, panel=["Anna Bakker"])
    process_publish(user=organiser, process=process)
    facilitation.question_open(user=organiser, question=question)
    layout = form_layout(session=live_session, large_print=False, qna_cards=True)
    [sheet] = print_batch_create(
        user=organiser, session=live_session, count=1, layout=layout, with_cards=False
    ).sheets.all()
    teller = make_user("tom")
    grant(process, teller, Role.TELLER)
    sheet_entry_record(
        user=teller,
        sheet=sheet,
        answers={str(question.pk): {"proposal": "Wie onderhoudt het groen?"}},
        client_id="entry-00000001",
    )
    phone = participation.participant_join(session=live_session, via="room")
    qna.qna_ask(
        participant=phone,
        question_id=question.pk,
        text="Komt er een zebrapad?",
        client_id="ask-0000001",
    )
    for asked in Option.objects.filter(question=question):
        facilitation.statement_moderate(user=organiser, option=asked, decision="approve")
    facilitator = make_user("fenna")
    grant(process, facilitator, Role.FACILITATOR)
    client.force_login(facilitator)
    live_session.refresh_from_db()
    return live_session, question


def test_a_refused_count_for_a_paper_question_comes_back_in_its_round(client, round_):
    session, question = round_
    paper = Option.objects.get(question=question, sheet__isnull=False)
    _console, action = urls(session)
    before = recorded()
    response = client.post(
        action, {"command": "hands", "question": question.pk, f"hands_{paper.pk}": "1e3"}
    )
    assert response.status_code == 400
    page = lxml.html.fromstring(response.content.decode())
    assert refused_beside(page, f"hands-{paper.pk}") == (
        "Error: A count of hands is a whole number from 0 to 100,000."
    )
    assert page.get_element_by_id(f"hands-{paper.pk}").get("value") == "1e3"
    [form] = page.xpath(f"//form[@data-form='hands-{question.pk}-{paper.pk}']")
    assert "data-kept" in form.attrib and len(page.xpath("//*[@data-kept]")) == 1
    assert recorded() == before


def test_a_refused_reason_in_the_round_comes_back_as_typed(client, round_, monkeypatch):
    session, question = round_
    phone_question = Option.objects.get(question=question, sheet__isnull=True)

    def refuse(**_kwargs):
        raise FacilitationError("session_ended")  # ended on another console meanwhile

    monkeypatch.setattr(facilitation, "statement_moderate", refuse)
    _console, action = urls(session)
    before = recorded()
    reason = "Gaat over een persoon, niet over het plein."
    response = client.post(
        action,
        {
            "command": "moderate",
            "statement": phone_question.pk,
            "decision": "hide",
            "reason": reason,
        },
    )
    assert response.status_code == 400
    page = lxml.html.fromstring(response.content.decode())
    field_id = f"hide-{phone_question.pk}"
    assert refused_beside(page, field_id) == "Error: This session has ended."
    assert page.get_element_by_id(field_id).get("value") == reason
    assert recorded() == before
