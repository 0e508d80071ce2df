"""Joining, the phone's plain forms, the presenter, the join page and the console, over
HTTP: everything a phone without JavaScript or a facilitator without a socket meets."""

import re

import lxml.html
import pytest
from django.urls import reverse

from sessions_app.cookies import cookie_name
from sessions_app.models import LogEntry, Option, Participant, Response, ResponseStatus, Role
from sessions_app.services.facilitation import question_open, session_end
from sessions_app.services.processes import panel_replace, process_publish
from sessions_app.specs import PanelMemberSpec

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(organiser, live_session, make_question):
    choice = make_question("single_choice")
    statements = make_question("statements", participants_may_add=True)
    scale = make_question("scale")
    process_publish(user=organiser, process=live_session.process)
    question_open(user=organiser, question=choice)
    question_open(user=organiser, question=statements)
    live_session.refresh_from_db()
    return live_session, choice, statements, scale


@pytest.fixture(autouse=True)
def _english(client):
    """Participant pages speak the process language (Dutch here) unless the visitor chose
    one; these tests choose English."""
    client.cookies["django_language"] = "en"


def test_participant_pages_speak_the_process_language(client, running):
    del client.cookies["django_language"]
    page = client.get(reverse("participate:join", args=[running[0].join_code])).content.decode()
    assert "Geen account en geen persoonsgegevens" in page and 'lang="nl"' in page


def join(client, session, remote=False):
    name = "participate:join_remote" if remote else "participate:join"
    return client.post(reverse(name, args=[session.join_code]))


def test_join_page_informs_before_joining(client, running):
    session = running[0]
    page = client.get(reverse("participate:join", args=[session.join_code])).content.decode()
    assert "De raad weegt de uitkomst mee." in page  # the promise
    assert "No account and no personal data" in page
    assert not Participant.objects.exists()  # a link preview creates nobody


def test_joining_sets_a_cookie_and_rejoining_keeps_the_participant(client, running):
    session = running[0]
    response = join(client, session)
    assert response.url == reverse("participate:phone", args=[session.join_code])
    assert cookie_name(session.pk) in response.cookies
    participant = Participant.objects.get()
    assert participant.joined_via == "room"
    # The same phone again: same participant, straight to the questions.
    again = client.get(reverse("participate:join", args=[session.join_code]))
    assert again.url == reverse("participate:phone", args=[session.join_code])
    join(client, session)
    assert Participant.objects.count() == 1


def test_the_remote_link_records_remote_participants(client, running):
    session = running[0]
    join(client, session, remote=True)
    assert Participant.objects.get().joined_via == "remote"


def test_codes_are_case_and_space_insensitive(client, running):
    session = running[0]
    response = client.get(
        reverse("participate:join_start"), {"code": f" {session.join_code.lower()} "}
    )
    assert response.url == reverse("participate:join", args=[session.join_code])


def test_an_unknown_code_gets_a_clear_page(client, running):
    response = client.get(reverse("participate:join_start"), {"code": "ZZZZZZ"})
    assert response.status_code == 404
    page = response.content.decode()
    assert "This code is not known" in page and "ZZZZZZ" in page
    assert 'value="ZZZZZZ"' in page  # the code typed, to correct
    assert client.get(reverse("participate:join", args=["QQQQQQ"])).status_code == 404


def test_no_code_at_all_says_what_is_missing(client, running):
    plain = client.get(reverse("participate:join_start"))
    assert plain.status_code == 200 and "Type the code" not in plain.content.decode()
    for empty in ("", "  "):
        response = client.get(reverse("participate:join_start"), {"code": empty})
        assert response.status_code == 400
        page = response.content.decode()
        assert "Type the code shown on the screen first." in page
        assert 'aria-invalid="true"' in page


def test_an_ended_session_gets_a_clear_page(client, running, organiser):
    session = running[0]
    session_end(user=organiser, session=session)
    response = client.get(reverse("participate:join", args=[session.join_code]))
    assert response.status_code == 410
    assert "This session has ended" in response.content.decode()
    assert join(client, session).status_code == 410
    assert not Participant.objects.exists()


def test_the_phone_page_shows_the_open_questions_as_forms(client, running):
    session, choice, statements, scale = running
    join(client, session)
    page = client.get(reverse("participate:phone", args=[session.join_code])).content.decode()
    assert reverse("participate:answer", args=[session.join_code, choice.pk]) in page
    assert reverse("participate:answer", args=[session.join_code, statements.pk]) in page
    assert scale.text not in page  # not opened yet
    assert 'name="form_id"' in page and 'id="phone-config"' in page
    # The interface speaks English (chosen), the process's own words stay marked Dutch
    # (WCAG 3.1.2): the question, its options; never the interface's own text.
    assert '<html lang="en">' in page
    option = choice.options.first()
    assert f'class="question-text" lang="nl">{choice.text}</h2>' in page
    assert f'<span class="choice-text" lang="nl">{option.text}</span>' in page
    assert f'<h1 class="session-title" lang="nl">{session.title}</h1>' in page
    del client.cookies["django_language"]  # Dutch throughout: nothing to mark
    dutch = client.get(reverse("participate:phone", args=[session.join_code])).content.decode()
    assert '<html lang="nl">' in dutch and ' lang="nl">' + choice.text not in dutch


def form_id(client, session, question):
    import re

    page = client.get(reverse("participate:phone", args=[session.join_code])).content.decode()
    return re.search(rf'name="form_id" value="([0-9a-f]+-{question.pk})"', page).group(1)


def test_plain_form_answer_counts_once_even_when_resubmitted(client, running):
    session, choice, _statements, _scale = running
    join(client, session)
    option = choice.options.first()
    data = {"option": option.pk, "form_id": form_id(client, session, choice)}
    url = reverse("participate:answer", args=[session.join_code, choice.pk])
    page = client.post(url, data, follow=True).content.decode()
    assert "Your answer has been counted." in page
    page = client.post(url, data, follow=True).content.decode()  # the browser resubmits
    assert "This answer had already been received; it counts once." in page
    assert "This form had already been sent" not in page
    assert Response.objects.filter(question=choice, status=ResponseStatus.COUNTED).count() == 1
    # The form is pre-filled with the participant's answer afterwards.
    assert (
        f'value="{option.pk}" aria-describedby="hint-{choice.pk}" checked'
        in client.get(reverse("participate:phone", args=[session.join_code])).content.decode()
    )
    # The old form again (the back button), another option chosen: nothing changes, and
    # the card says why instead of "received".
    other = choice.options.exclude(pk=option.pk).first()
    page = client.post(url, {**data, "option": other.pk}, follow=True).content.decode()
    assert "This form had already been sent, so this answer was not counted." in page
    assert "This answer had already been received" not in page
    [counted] = Response.objects.filter(question=choice, status=ResponseStatus.COUNTED)
    assert [item.option_id for item in counted.items.all()] == [option.pk]


def test_plain_form_statements_and_a_proposal(client, running):
    session, _choice, statements, _scale = running
    join(client, session)
    first, second = statements.options.all()[:2]
    url = reverse("participate:answer", args=[session.join_code, statements.pk])
    data = {
        f"vote_{first.pk}": "agree",
        f"vote_{second.pk}": "disagree",
        "new_statement": "Meer schaduw.",
        "form_id": form_id(client, session, statements),
    }
    client.post(url, data)
    votes = dict(Response.objects.filter(question=statements).values_list("statement_id", "number"))
    assert votes == {first.pk: 1, second.pk: -1}
    assert statements.options.get(text="Meer schaduw.").moderation == "pending"


def test_without_javascript_statements_come_one_at_a_time(client, running):
    session, _choice, statements, _scale = running
    join(client, session)
    first, second = statements.options.all()[:2]
    phone_url = reverse("participate:phone", args=[session.join_code])
    page = client.get(phone_url).content.decode()
    assert "Statement 1 of 2" in page
    assert f'name="vote_{first.pk}"' in page and f'name="vote_{second.pk}"' not in page
    url = reverse("participate:answer", args=[session.join_code, statements.pk])
    client.post(url, {f"vote_{first.pk}": "agree", "form_id": form_id(client, session, statements)})
    page = client.get(phone_url).content.decode()
    # The next one is up; the vote given is folded below, to change.
    assert "Statement 2 of 2" in page and "Your vote (1)" in page
    up, folded = page.index(f'name="vote_{second.pk}"'), page.index(f'name="vote_{first.pk}"')
    assert up < page.index('class="my-votes"') < folded
    assert f'id="q{statements.pk}-s{first.pk}-agree" value="agree" checked' in page
    client.post(url, {f"vote_{second.pk}": "pass", "form_id": form_id(client, session, statements)})
    page = client.get(phone_url).content.decode()
    assert "You have voted on every statement." in page and "Your votes (2)" in page


def test_plain_form_rejections_explain_and_change_nothing(client, running, organiser):
    session, choice, _statements, scale = running
    join(client, session)
    before = Response.objects.count(), LogEntry.objects.count()
    url = reverse("participate:answer", args=[session.join_code, choice.pk])
    page = client.post(url, {"form_id": "f" * 32 + f"-{choice.pk}"}, follow=True).content.decode()
    assert "Choose an option first." in page
    page = client.post(
        reverse("participate:answer", args=[session.join_code, scale.pk]),
        {"value": "3", "form_id": "f" * 32 + f"-{scale.pk}"},
        follow=True,
    ).content.decode()
    assert "This question is not open yet." in page
    assert (Response.objects.count(), LogEntry.objects.count()) == before


def test_answering_without_joining_leads_to_the_join_page(client, running):
    session, choice, *_rest = running
    response = client.post(
        reverse("participate:answer", args=[session.join_code, choice.pk]), {"option": 1}
    )
    assert response.url == reverse("participate:join", args=[session.join_code])
    assert not Response.objects.exists()


def test_presenter_shows_qr_code_and_current_question(client, running):
    session, _choice, statements, _scale = running
    page = client.get(reverse("live:presenter", args=[session.join_code])).content.decode()
    assert session.join_code in page
    assert '<svg role="img"' in page
    assert statements.text in page  # the last opened question is on screen
    assert 'aria-live="polite"' in page


def test_the_presenter_shows_results_without_javascript_once_they_are_shown(
    client, running, organiser
):
    """The presenter reloads every 10 s without JavaScript; the results of the question on
    screen are in the page (inside ``noscript``) once the facilitator shows them, never
    before."""
    from sessions_app.services.facilitation import question_reveal, session_show

    session, choice, _statements, _scale = running
    join(client, session)
    option = choice.options.order_by("position").first()
    client.post(
        reverse("participate:answer", args=[session.join_code, choice.pk]),
        {"option": option.pk, "form_id": "a" * 32 + f"-{choice.pk}"},
    )
    session_show(user=organiser, session=session, question=choice)
    url = reverse("live:presenter", args=[session.join_code])

    def plain_part():
        page = client.get(url).content.decode()
        return page.split('<div id="stage-results"', 1)[1].split("</noscript>", 1)[0]

    assert "public-result" not in plain_part()
    question_reveal(user=organiser, question=choice, revealed=True)
    shown = plain_part()
    assert "<noscript>" in shown and 'class="card public-result"' in shown
    assert option.text in shown and "1 participant" in shown


def test_join_print_page_has_distinct_room_and_remote_links(client, running):
    session = running[0]
    page = client.get(reverse("live:join_print", args=[session.join_code])).content.decode()
    assert page.count('<svg role="img"') == 2
    assert f"http://testserver/j/{session.join_code}/remote/" in page
    assert "http://testserver/j/" in page


def test_console_is_for_facilitators_of_this_process(
    client, running, make_user, grant, make_process
):
    session = running[0]
    url = reverse("live:console", args=[session.process.slug, session.pk])
    teller = make_user("tom")
    grant(session.process, teller, Role.TELLER)
    client.force_login(teller)
    assert client.get(url).status_code == 404
    stranger = make_user("otto")
    make_process(user=stranger, title="Ander proces")
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("live:console_action", args=[session.process.slug, session.pk]),
            {"command": "end"},
        ).status_code
        == 404
    )
    session.refresh_from_db()
    assert session.state == "live"
    facilitator = make_user("fenna")
    grant(session.process, facilitator, Role.FACILITATOR)
    client.force_login(facilitator)
    page = client.get(url).content.decode()
    assert 'aria-keyshortcuts="N ArrowRight"' in page and "Answers: 0" in page


def test_console_buttons_work_without_javascript(client, running, make_user, grant):
    session, choice, _statements, scale = running
    facilitator = make_user("fenna")
    grant(session.process, facilitator, Role.FACILITATOR)
    client.force_login(facilitator)
    action = reverse("live:console_action", args=[session.process.slug, session.pk])
    client.post(action, {"command": "close", "question": choice.pk})
    client.post(action, {"command": "open", "question": scale.pk})
    choice.refresh_from_db()
    scale.refresh_from_db()
    assert (choice.state, scale.state) == ("closed", "open")
    response = client.post(action, {"command": "close", "question": choice.pk}, follow=True)
    assert "cannot go from" in response.content.decode()
    client.post(
        action, {"command": "moderate", "statement": 999999, "decision": "hide", "reason": "x"}
    )
    assert LogEntry.objects.filter(action="moderation.hidden").count() == 0


def test_plain_form_answers_are_rate_limited(client, running, monkeypatch):
    from sessions_app.views import participate

    monkeypatch.setattr(participate, "FORM_RATE", 3)
    session, choice, *_rest = running
    join(client, session)
    url = reverse("participate:answer", args=[session.join_code, choice.pk])
    option = choice.options.first().pk
    pages = [
        client.post(
            url, {"option": option, "form_id": f"{'a' * 30}{i:02d}-{choice.pk}"}, follow=True
        ).content.decode()
        for i in range(4)
    ]
    assert "Too many messages at once" in pages[-1]
    assert Response.objects.filter(question=choice).count() == 3


def test_a_rate_limited_plain_form_comes_back_as_sent(client, agenda, monkeypatch):
    from sessions_app.views import participate

    monkeypatch.setattr(participate, "FORM_RATE", 1)
    session, questions = agenda
    choice, text = questions["multiple_choice"], questions["open_text"]
    join(client, session)
    green = choice.options.get(text="Groen")
    response, _page = send_form(client, session, choice, {"options": [green.pk]})
    assert response.status_code == 302  # counted: the one answer these 10 s allow
    before = counts()
    typed = "Meer bankjes in de schaduw, en een watertappunt."
    response, page = send_form(client, session, text, {"text": typed})
    # The page again at once, not a redirect to a blank form: sending it again is enough.
    assert response.status_code == 429
    assert refusal_in_card(page, text) == "Too many messages at once. Wait a moment and try again."
    assert page.get_element_by_id(f"q{text.pk}-text").text == typed
    assert nothing_stored(before)
    # The card that did count still says so.
    card = page.get_element_by_id(f"question-{choice.pk}")
    assert "Your answer: Groen" in " ".join(card.text_content().split())


# --- a refused plain form comes back as it was sent ---------------------------------------


@pytest.fixture
def agenda(organiser, live_session, make_question):
    """An open question of each kind a phone answers with the plain form."""
    panel_replace(
        user=organiser, process=live_session.process, panel=[PanelMemberSpec("Anna Bakker")]
    )
    questions = {
        kind: make_question(kind)
        for kind in ("multiple_choice", "ranking", "budget", "scale", "open_text")
    }
    questions["statements"] = make_question("statements", participants_may_add=True)
    questions["qna"] = make_question("qna", qna_names=True, panel=["Anna Bakker"])
    process_publish(user=organiser, process=live_session.process)
    for question in questions.values():
        question_open(user=organiser, question=question)
    live_session.refresh_from_db()
    return live_session, questions


def send_form(client, session, question, data, form=""):
    """Post ``question``'s plain form (``form="-ask"``: a Q&A round's form to ask the
    panel); the response and its page, parsed (none after a redirect)."""
    page = client.get(reverse("participate:phone", args=[session.join_code])).content.decode()
    own = re.escape(f"-{question.pk}{form}")
    sent_id = re.search(rf'name="form_id" value="([0-9a-f]+{own})"', page).group(1)
    response = client.post(
        reverse("participate:answer", args=[session.join_code, question.pk]),
        {**data, "form_id": sent_id},
    )
    page = lxml.html.fromstring(response.content.decode()) if response.content else None
    return response, page


def refusal_in_card(page, question) -> str:
    """The card's error, checked to be said in the card's live region and to take the
    focus; its text."""
    status = page.get_element_by_id(f"status-{question.pk}")
    assert (status.get("role"), status.get("aria-live")) == ("status", "polite")
    [error] = status.xpath(".//p[contains(@class, 'is-error')]")
    assert error.get("tabindex") == "-1" and "autofocus" in error.attrib
    assert len(page.xpath("//*[@autofocus]")) == 1
    return " ".join(error.text_content().split())


def counts() -> tuple[int, int, int]:
    return Response.objects.count(), LogEntry.objects.count(), Option.objects.count()


def nothing_stored(before) -> bool:
    return counts() == before


def test_too_many_choices_come_back_ticked(client, agenda):
    session, questions = agenda
    choice = questions["multiple_choice"]  # at most 2
    join(client, session)
    before = counts()
    ticked = [str(o.pk) for o in choice.options.all()]
    response, page = send_form(client, session, choice, {"options": ticked})
    assert response.status_code == 400
    assert refusal_in_card(page, choice) == "You chose more options than allowed."
    card = page.get_element_by_id(f"question-{choice.pk}")
    assert sorted(card.xpath(".//input[@name='options'][@checked]/@value")) == sorted(ticked)
    assert nothing_stored(before)
    # The page lives at the form's address, which takes posts only: its links lead back.
    phone_url = reverse("participate:phone", args=[session.join_code])
    assert page.xpath("//form[@class='language-form']//input[@name='next']/@value") == [phone_url]
    assert f'<a class="button wide" href="{phone_url}">' in response.content.decode()


def test_the_same_place_twice_comes_back_as_placed(client, agenda):
    session, questions = agenda
    ranking = questions["ranking"]
    join(client, session)
    before = counts()
    green, market, bikes = (ranking.options.get(text=t) for t in ("Groen", "Markt", "Fietsen"))
    places = {green.pk: "1", market.pk: "1", bikes.pk: "2"}
    response, page = send_form(
        client, session, ranking, {f"rank_{pk}": place for pk, place in places.items()}
    )
    assert response.status_code == 400
    assert refusal_in_card(page, ranking) == (
        "Give each option a different place, starting at 1, without gaps."
    )
    card = page.get_element_by_id(f"question-{ranking.pk}")
    shown = {
        pk: card.xpath(f".//select[@name='rank_{pk}']/option[@selected]/@value") for pk in places
    }
    assert shown == {pk: [place] for pk, place in places.items()}
    assert nothing_stored(before)


def test_a_budget_that_does_not_add_up_comes_back_with_its_amounts(client, agenda):
    session, questions = agenda
    budget = questions["budget"]  # 100 points
    join(client, session)
    before = counts()
    green, market, bikes = (budget.options.get(text=t) for t in ("Groen", "Markt", "Fietsen"))
    amounts = {green.pk: "50", market.pk: "30", bikes.pk: "10"}
    response, page = send_form(
        client, session, budget, {f"amount_{pk}": amount for pk, amount in amounts.items()}
    )
    assert response.status_code == 400
    assert refusal_in_card(page, budget) == "The points must add up exactly to the total."
    card = page.get_element_by_id(f"question-{budget.pk}")
    shown = {pk: card.xpath(f".//input[@name='amount_{pk}']/@value") for pk in amounts}
    assert shown == {pk: [amount] for pk, amount in amounts.items()}
    assert nothing_stored(before)


def test_a_refused_change_unfolds_the_form_as_sent_and_the_next_send_counts(client, agenda):
    session, questions = agenda
    choice = questions["multiple_choice"]
    join(client, session)
    green, market, bikes = (choice.options.get(text=t) for t in ("Groen", "Markt", "Fietsen"))
    send_form(client, session, choice, {"options": [green.pk]})
    before = counts()
    response, page = send_form(
        client, session, choice, {"options": [market.pk, bikes.pk, green.pk]}
    )
    assert response.status_code == 400
    card = page.get_element_by_id(f"question-{choice.pk}")
    # The answer that counts is still confirmed; the change is unfolded, as sent.
    assert "Your answer: Groen" in " ".join(card.text_content().split())
    [details] = card.xpath(".//details[contains(@class, 'change-answer')]")
    assert details.get("open") is not None
    assert len(card.xpath(".//input[@name='options'][@checked]")) == 3
    assert nothing_stored(before)
    # Corrected from the page shown again, the answer counts.
    form_id = card.xpath(".//input[@name='form_id']/@value")[0]
    url = reverse("participate:answer", args=[session.join_code, choice.pk])
    response = client.post(url, {"options": [market.pk, bikes.pk], "form_id": form_id})
    assert response.status_code == 302
    counted = Response.objects.get(question=choice, status=ResponseStatus.COUNTED)
    assert {i.option_id for i in counted.items.all()} == {market.pk, bikes.pk}


def test_every_kind_of_refused_form_keeps_what_was_sent(client, agenda):
    session, questions = agenda
    join(client, session)
    before = counts()

    # A scale's value (refused here for its form's id, as a form that was tampered with).
    scale = questions["scale"]
    response = client.post(
        reverse("participate:answer", args=[session.join_code, scale.pk]),
        {"value": "4", "form_id": "not an id"},
    )
    assert response.status_code == 400
    card = lxml.html.fromstring(response.content.decode()).get_element_by_id(f"question-{scale.pk}")
    assert card.xpath(".//input[@name='value'][@checked]/@value") == ["4"]

    text = questions["open_text"]  # at most 300 characters
    typed = "Meer bomen langs de Markt. " * 12
    response, page = send_form(client, session, text, {"text": typed})
    assert response.status_code == 400
    assert refusal_in_card(page, text) == "The text is longer than allowed."
    assert page.get_element_by_id(f"q{text.pk}-text").text == typed

    statements = questions["statements"]
    first = statements.options.order_by("pk").first()
    long_statement = "Meer schaduw op het plein. " * 20  # over 500 characters
    response, _page = send_form(client, session, statements, {f"vote_{first.pk}": "disagree"})
    assert response.status_code == 302  # counted
    before = counts()
    response, page = send_form(
        client,
        session,
        statements,
        {f"vote_{first.pk}": "agree", "new_statement": long_statement},
    )
    assert response.status_code == 400
    assert page.get_element_by_id(f"q{statements.pk}-new").text == long_statement
    assert page.get_element_by_id(f"q{statements.pk}-s{first.pk}-agree").get("checked") is not None

    qna = questions["qna"]  # at most 300 characters, names allowed
    member = qna.panel.get()
    asked = "Wanneer komen de bomen? " * 15
    response, page = send_form(
        client,
        session,
        qna,
        {"ask_text": asked, "display_name": "Piet", "panel_member": str(member.pk)},
        form="-ask",
    )
    assert response.status_code == 400
    assert refusal_in_card(page, qna) == "The text is longer than allowed."
    assert page.get_element_by_id(f"q{qna.pk}-ask").text == asked
    assert page.get_element_by_id(f"q{qna.pk}-name").get("value") == "Piet"
    assert page.xpath(f"//select[@id='q{qna.pk}-member']/option[@selected]/@value") == [
        str(member.pk)
    ]
    assert nothing_stored(before)
