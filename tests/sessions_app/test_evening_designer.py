"""Issue 18, item 19: the organiser's designer without stumbles (views and design files)."""

import copy
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from sessions_app.exceptions import Problem
from sessions_app.forms import problem_sentence, sentence
from sessions_app.models import LiveSession, ProcessState, Question
from sessions_app.services.design_io import design_file_problems
from sessions_app.services.questions import question_create
from tests.conftest import question_spec

pytestmark = pytest.mark.django_db

EXAMPLE = Path(settings.BASE_DIR) / "docs" / "examples" / "stationsplein.json"


def example():
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_a_missing_field_is_reported_once_when_several_are_missing():
    data = example()
    question = data["sessions"][0]["questions"][4]
    assert question["kind"] == "budget"
    del question["options"], question["total"]
    del data["title"], data["format"]
    paths = [p.path for p in design_file_problems(data)]
    assert paths == sorted(set(paths), key=paths.index)  # no path twice
    assert paths.count("sessions[0].questions[4].options") == 1
    assert paths.count("sessions[0].questions[4].total") == 1
    assert {"format", "title"} <= set(paths)


def test_a_value_that_may_also_be_empty_is_explained_not_crashed():
    data = example()
    data["retention"] = {"photos_days": "soon"}
    [problem] = design_file_problems(data)
    assert (problem.path, problem.code) == ("retention.photos_days", "wrong_type")
    assert problem.message == "must be a whole number or empty"


def test_messages_become_sentences_and_keep_their_codes():
    required = Problem("title", "required", "is required")
    clause = Problem("max", "scale_min_not_below_max", "the lowest value must be below")
    assert problem_sentence(required, "Title") == "Title is required."
    assert problem_sentence(required) == "Is required."
    assert problem_sentence(clause, "Highest value") == "The lowest value must be below."
    assert sentence("done already.") == "Done already."
    assert required.code == "required" and str(required) == "title: is required"


def question_rows(texts):
    data = {
        "options-TOTAL_FORMS": str(len(texts)),
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "300",
    }
    for index, text in enumerate(texts):
        data[f"options-{index}-text"] = text
        data[f"options-{index}-ORDER"] = ""
    return data


def test_a_new_question_starts_with_the_usual_number_of_rows(client_for, organiser, live_session):
    url = reverse("designer:question_create", args=[live_session.process.slug, live_session.pk])
    client = client_for(organiser)
    assert client.get(url, {"kind": "ranking"}).context["formset"].total_form_count() == 5
    assert client.get(url, {"kind": "statements"}).context["formset"].total_form_count() == 6


def test_add_a_row_without_javascript_keeps_what_was_typed_and_saves_nothing(
    client_for, organiser, live_session
):
    url = reverse("designer:question_create", args=[live_session.process.slug, live_session.pk])
    data = {
        "kind": "multiple_choice",
        "text": "Wat moet er komen?",
        "max_choices": "2",
        "add_row": "1",
        **question_rows(["Bankjes", "Bomen", "", "Fietsrekken"]),
    }
    response = client_for(organiser).post(url, data)
    assert response.status_code == 200
    assert not Question.objects.exists()
    formset = response.context["formset"]
    assert formset.total_form_count() == 5
    assert [f["text"].value() for f in formset.forms[:4]] == ["Bankjes", "Bomen", "", "Fietsrekken"]
    page = response.content.decode()
    assert 'value="Wat moet er komen?"' in page
    assert 'name="options-4-text" id="id_options-4-text" maxlength="500" autofocus' in page
    assert "errorlist" not in page  # nothing was checked yet


def test_a_problem_with_one_option_shows_beside_its_row(client_for, organiser, live_session):
    url = reverse("designer:question_create", args=[live_session.process.slug, live_session.pk])
    data = {"kind": "single_choice", "text": "Welke?", **question_rows(["Rood", "", "rood"])}
    response = client_for(organiser).post(url, data)
    assert response.status_code == 200
    row = response.context["formset"].forms[2]
    assert row.errors["text"] == ["“rood” appears twice."]


def test_publish_asks_first_and_lists_what_is_missing(client_for, organiser, process):
    client = client_for(organiser)
    url = reverse("designer:process_publish", args=[process.slug])
    page = client.get(url).content.decode()
    assert "Add at least one session before publishing." in page
    assert f'action="{url}"' not in page  # nothing to confirm yet
    process.refresh_from_db()
    assert process.state == ProcessState.DRAFT


def test_publish_and_remove_confirmation_pages_change_nothing(
    client_for, organiser, process, make_question
):
    question = make_question()
    client = client_for(organiser)
    publish = reverse("designer:process_publish", args=[process.slug])
    page = client.get(publish).content.decode()
    assert "This cannot be undone." in page and f'action="{publish}"' in page
    remove = reverse("designer:question_delete", args=[process.slug, question.pk])
    page = client.get(remove).content.decode()
    assert question.text in page and f'action="{remove}"' in page
    session = reverse("designer:session_delete", args=[process.slug, question.session_id])
    assert "Its question is removed with it." in client.get(session).content.decode()
    process.refresh_from_db()
    assert process.state == ProcessState.DRAFT
    assert Question.objects.filter(pk=question.pk).exists()
    assert LiveSession.objects.filter(pk=question.session_id).exists()

    response = client.post(remove)
    assert response.url.endswith(f"#session-{question.session_id}")
    assert not Question.objects.filter(pk=question.pk).exists()


def test_no_export_buttons_on_an_empty_draft(client_for, organiser, process, live_session):
    client = client_for(organiser)
    url = reverse("designer:process_detail", args=[process.slug])
    page = client.get(url).content.decode()
    assert 'name="format"' not in page
    assert "Add a question to a session first." in page
    question_create(user=organiser, session=live_session, spec=question_spec())
    page = client.get(url).content.decode()
    assert 'name="format" value="pdf"' in page
    assert "Add a question to a session first." not in page


def test_bad_design_file_page_lists_each_problem_once_as_sentences(client_for, organiser):
    data = example()
    question = data["sessions"][0]["questions"][4]
    del question["options"], question["total"]
    question["unit"] = "x" * 30
    data["sessions"][0]["questions"][3]["options"] = ["Alleen"]
    upload = SimpleUploadedFile("bad.json", json.dumps(data).encode())
    response = client_for(organiser).post(reverse("designer:process_import"), {"file": upload})
    problems = response.context["problems"]
    assert [p["text"] for p in problems] == [
        "A ranking needs at least 2 options.",
        "is required.",
        "is required.",
        "is longer than 20 characters.",
    ]
    assert [p["path"] for p in problems] == [
        "sessions[0].questions[3].options",
        "sessions[0].questions[4].options",
        "sessions[0].questions[4].total",
        "sessions[0].questions[4].unit",
    ]
    page = response.content.decode()
    assert "<code>sessions[0].questions[3].options</code>: A ranking needs" in page
    assert "<code>sessions[0].questions[4].total</code> is required." in page


def test_an_unchanged_example_still_has_no_problems():
    assert design_file_problems(copy.deepcopy(example())) == []


def test_a_rule_message_on_a_field_names_the_field_in_dutch(client_for, organiser, live_session):
    url = reverse("designer:session_edit", args=[live_session.process.slug, live_session.pk])
    data = {
        "title": "Bewonersavond",
        "starts_at": "2027-01-15T19:30",
        "ends_at": "2027-01-15T18:00",
        "mode": "hybrid",
    }
    with translation.override("nl"):
        response = client_for(organiser).post(url, data, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 400
    assert response.context["form"].errors["ends_at"] == ["Eindtijd moet na het begin liggen."]
