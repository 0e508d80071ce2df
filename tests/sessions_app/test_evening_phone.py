"""Issue 18, the phone without JavaScript, over HTTP: the confirmation sits in the
answered question's card (and nowhere once another question is up), the ranking's place
selects still count, and a budget names its unit and says what it has left."""

import re

import lxml.html
import pytest
from django.urls import reverse

from sessions_app.models import Response, ResponseStatus
from sessions_app.services.facilitation import question_close, question_open
from sessions_app.services.processes import process_publish
from sessions_app.views.participate import answer_summary
from sessions_app.views.strings import phone_strings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def evening(organiser, live_session, make_question):
    questions = {
        "choice": make_question("single_choice"),
        "ranking": make_question("ranking"),
        "euro": make_question("budget", budget_unit="euro"),
        "points": make_question("budget"),
    }
    process_publish(user=organiser, process=live_session.process)
    live_session.refresh_from_db()
    return live_session, questions


def joined(client, session):
    client.post(reverse("participate:join", args=[session.join_code]))


def page_of(client, session):
    html = client.get(reverse("participate:phone", args=[session.join_code])).content.decode()
    return lxml.html.fromstring(html)


def send(client, session, question, data):
    page = page_of(client, session)
    form_id = page.get_element_by_id(f"question-{question.pk}").xpath(
        ".//input[@name='form_id']/@value"
    )[0]
    url = reverse("participate:answer", args=[session.join_code, question.pk])
    response = client.post(url, {**data, "form_id": form_id}, follow=True)
    return lxml.html.fromstring(response.content.decode())


def text(node) -> str:
    return " ".join(node.text_content().split())


def test_the_answered_card_confirms_and_folds_its_form(client, evening, organiser):
    session, questions = evening
    choice = questions["choice"]
    question_open(user=organiser, question=choice)
    joined(client, session)
    card = page_of(client, session).get_element_by_id(f"question-{choice.pk}")
    assert not card.xpath(".//*[contains(@class, 'answer-done')]")

    market = choice.options.get(text="Markt")
    page = send(client, session, choice, {"option": market.pk})
    card = page.get_element_by_id(f"question-{choice.pk}")
    status = card.get_element_by_id(f"status-{choice.pk}")
    assert (status.get("role"), status.get("aria-live")) == ("status", "polite")
    done = status.xpath(".//*[contains(@class, 'answer-done')]")[0]
    assert "Your answer has been counted." in text(done)
    assert "Your answer: Markt" in text(done)
    assert text(done).count("counted") == 1  # not said twice
    # The receipt is in the card too; nothing is left at the top of the page.
    assert re.search(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", text(status))
    assert not page.xpath("//*[contains(@class, 'messages')]")
    # The form is folded under "Change my answer", and still pre-filled.
    details = card.xpath(".//details[contains(@class, 'change-answer')]")[0]
    assert text(details.xpath("./summary")[0]) == "Change my answer"
    assert details.xpath(f".//input[@value='{market.pk}']/@checked") == ["checked"]

    # Another question up, this one closed: no confirmation anywhere.
    question_close(user=organiser, question=choice)
    question_open(user=organiser, question=questions["points"])
    page = page_of(client, session)
    assert not page.xpath("//*[contains(@class, 'answer-done')]")
    cards = page.xpath("//section[contains(@class, 'question-card')]")
    assert cards and not any("has been counted" in text(card) for card in cards)


def test_a_refused_answer_is_explained_in_its_card(client, evening, organiser):
    session, questions = evening
    points = questions["points"]
    question_open(user=organiser, question=points)
    joined(client, session)
    fields = {f"amount_{o.pk}": 80 for o in points.options.all()}
    page = send(client, session, points, fields)
    note = page.get_element_by_id(f"status-{points.pk}").xpath(".//*[contains(@class, 'is-error')]")
    assert note and "total" in text(note[0])
    assert not Response.objects.filter(question=points).exists()


def test_the_ranking_selects_still_count_without_javascript(client, evening, organiser):
    session, questions = evening
    ranking = questions["ranking"]
    question_open(user=organiser, question=ranking)
    joined(client, session)
    card = page_of(client, session).get_element_by_id(f"question-{ranking.pk}")
    assert len(card.xpath(".//select[starts-with(@name, 'rank_')]")) == 3
    green, market, bikes = (ranking.options.get(text=t) for t in ("Groen", "Markt", "Fietsen"))
    page = send(client, session, ranking, {f"rank_{bikes.pk}": "1", f"rank_{green.pk}": "2"})
    response = Response.objects.get(question=ranking, status=ResponseStatus.COUNTED)
    assert [i.option_id for i in response.items.order_by("value")] == [bikes.pk, green.pk]
    done = page.get_element_by_id(f"status-{ranking.pk}")
    assert "1. Fietsen, 2. Groen" in text(done)
    assert market.pk not in [i.option_id for i in response.items.all()]


def test_a_budget_names_its_unit(client, evening, organiser):
    session, questions = evening
    euro, points = questions["euro"], questions["points"]
    question_open(user=organiser, question=euro)
    question_open(user=organiser, question=points)
    joined(client, session)
    page = page_of(client, session)
    euro_card = page.get_element_by_id(f"question-{euro.pk}")
    assert text(euro_card.get_element_by_id(f"hint-{euro.pk}")) == (
        "Divide exactly 100 euro over the options."
    )
    assert [text(u) for u in euro_card.xpath(".//*[@class='amount-unit']")] == ["euro"] * 3
    left = euro_card.xpath(".//*[contains(@class, 'budget-left')]")[0]
    assert (left.get("data-total"), left.get("data-unit"), left.get("aria-live")) == (
        "100",
        "euro",
        "polite",
    )
    points_card = page.get_element_by_id(f"question-{points.pk}")
    assert "100 points" in text(points_card.get_element_by_id(f"hint-{points.pk}"))
    assert [text(u) for u in points_card.xpath(".//*[@class='amount-unit']")] == ["points"] * 3

    green, market = euro.options.get(text="Groen"), euro.options.get(text="Markt")
    page = send(client, session, euro, {f"amount_{green.pk}": 70, f"amount_{market.pk}": 30})
    done = text(page.get_element_by_id(f"status-{euro.pk}"))
    assert "Groen: 70 euro; Markt: 30 euro" in done


def test_the_scripts_strings_say_too_many_and_left_in_words():
    strings = phone_strings()
    assert strings["budget_over_n"].format(n=30) == "30 points too many."
    assert strings["budget_left_n"].format(n=30) == "30 points left to divide."
    assert strings["budget_left_one"].format(n=1) == "1 point left to divide."
    assert strings["budget_over_unit"].format(n=30, unit="euro") == "30 euro too many."
    assert strings["amount_one"].format(n=1) == "1 point"


def test_the_summary_says_each_kind_in_words(evening):
    _session, questions = evening
    points = questions["points"]
    points.approved = list(points.options.all())
    green, market, _bikes = points.approved
    allocation = {str(green.pk): 99, str(market.pk): 1}
    assert answer_summary(points, {"allocation": allocation}) == "Groen: 99 points; Markt: 1 point"
    assert answer_summary(points, {"option": market.pk}) == "Markt"
    assert answer_summary(points, {"options": [green.pk, market.pk]}) == "Groen, Markt"
    assert answer_summary(points, {"value": 4}) == "4"
    assert answer_summary(points, {"text": "Meer bomen"}) == "Meer bomen"
