"""The organiser's process overview (the designer's process page): each question's line
says what a participant gets to answer with, a scale's range and a budget's total, in
the words and figures the phone page and the report use."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def question_line(page: str, question) -> str:
    """The text of one question's line on the overview (without its buttons)."""
    found = re.search(
        rf'<li id="question-{question.pk}">(.*?)<div class="actions">', page, flags=re.S
    )
    assert found, f"question {question.pk} is not on the overview"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def overview(client, process, organiser, language="en") -> str:
    client.cookies["django_language"] = language
    client.force_login(organiser)
    response = client.get(reverse("designer:process_detail", args=[process.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_overview_shows_a_scales_range_and_a_budgets_total(
    client, process, organiser, make_question
):
    scale = make_question("scale")
    around_zero = make_question("scale", scale_min=-2, scale_max=2)
    euro = make_question("budget", budget_total=20000, budget_unit="euro")
    points = make_question("budget")
    one = make_question("budget", budget_total=1)
    choice = make_question("single_choice")
    page = overview(client, process, organiser)
    assert "· on a scale from 1 to 5" in question_line(page, scale)
    assert "· on a scale from -2 to 2" in question_line(page, around_zero)
    assert "· 20,000 euro to divide" in question_line(page, euro)
    assert "· 100 points to divide" in question_line(page, points)
    assert "· 1 point to divide" in question_line(page, one)
    line = question_line(page, choice)
    assert "scale from" not in line and "to divide" not in line
    assert "to divide" not in question_line(page, scale)


def test_the_overview_writes_the_figures_as_dutch_writes_them(
    client, process, organiser, make_question
):
    euro = make_question("budget", budget_total=20000, budget_unit="euro")
    points = make_question("budget", budget_total=1500)
    page = overview(client, process, organiser, language="nl")
    assert "20.000 euro" in question_line(page, euro)
    assert "1.500 punten" in question_line(page, points)
