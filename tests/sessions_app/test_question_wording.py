"""The question form: an asked question's wording is read-only (and the service refuses
a change of it), and without JavaScript a new kind is not saved with settings nobody saw."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions_app.models import LogEntry, Question, QuestionState
from tests.sessions_app.test_views import option_rows, question_post

pytestmark = pytest.mark.django_db


def opened(question):
    Question.objects.filter(pk=question.pk).update(
        state=QuestionState.OPEN, opened_at=timezone.now()
    )
    question.refresh_from_db()
    return question


def edit_url(question):
    return reverse("designer:question_edit", args=[question.session.process.slug, question.pk])


def tag(page, name):
    """The opening tag of the form control named ``name``."""
    return re.search(rf'<(?:input|select|textarea)[^>]*name="{re.escape(name)}"[^>]*>', page)[0]


def test_an_asked_questions_wording_is_read_only(client_for, organiser, make_question):
    question = opened(make_question("multiple_choice"))
    page = client_for(organiser).get(edit_url(question)).content.decode()
    assert "This question has been asked: its wording, its kind and its options" in page
    for name in ("kind", "text", "description", "max_choices", "options-0-text"):
        assert " disabled" in tag(page, name), name
    for name in ("level", "promise"):
        assert " disabled" not in tag(page, name), name
    assert 'name="add_row"' not in page
    assert "options-3-text" not in page  # no empty rows to add an option in


def test_the_read_only_page_saves_what_may_change(client_for, organiser, make_question):
    """The browser sends no disabled field: the wording stays, the rest is saved and
    logged as an edit after opening."""
    question = opened(make_question())
    data = {"rendered_kind": "single_choice", "promise": "De raad beslist in juni."}
    response = client_for(organiser).post(edit_url(question), data)
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.kind, question.text) == ("single_choice", "Vraag over single_choice?")
    assert list(question.options.values_list("text", flat=True)) == ["Groen", "Markt", "Fietsen"]
    assert question.promise == "De raad beslist in juni."
    entry = LogEntry.objects.filter(action="question.edited").get()
    assert entry.data["after"] == {"promise": "De raad beslist in juni."}
    assert entry.data["after_open"] is True


def wording_post(question, **changes):
    """The form as a page shown before the question was asked sends it."""
    rows = list(question.options.values_list("pk", "text"))
    texts = changes.pop("options", [text for _pk, text in rows])
    return {
        **question_post(question.kind, text=question.text),
        **option_rows(texts, ids=[pk for pk, _text in rows]),
        "rendered_kind": question.kind,
        **changes,
    }


def test_a_page_shown_before_asking_cannot_reword(client_for, organiser, make_question):
    """Asked since the page was shown (or a crafted post): a changed wording is refused
    with ``question_asked`` and nothing changes; an unchanged one saves the rest."""
    question = opened(make_question())
    client = client_for(organiser)
    renamed = wording_post(
        question, options=["Klimrek XL", "Markt", "Fietsen"], promise="Nieuwe belofte"
    )
    for data in (
        renamed,
        wording_post(question, text="Anders gesteld?"),
        wording_post(question, kind="ranking", rendered_kind="ranking"),
    ):
        response = client.post(edit_url(question), data)
        assert response.status_code == 400
        page = response.content.decode()
        assert "its wording and options can no longer change" in page
        assert " disabled" in tag(page, "text")
    question.refresh_from_db()
    assert (question.kind, question.text, question.promise) == (
        "single_choice",
        "Vraag over single_choice?",
        "",
    )
    assert list(question.options.values_list("text", flat=True)) == ["Groen", "Markt", "Fietsen"]
    assert not LogEntry.objects.filter(action="question.edited").exists()

    response = client.post(edit_url(question), wording_post(question, promise="In juni."))
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.promise == "In juni."


def test_the_kind_of_an_asked_question_gives_no_misleading_error(
    client_for, organiser, make_question
):
    question = opened(make_question())
    data = {**question_post("multiple_choice", text=question.text), "max_choices": ""}
    response = client_for(organiser).post(edit_url(question), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "its wording and options can no longer change" in page
    assert "choices" not in str(response.context["form"].errors)
    question.refresh_from_db()
    assert question.kind == "single_choice"


def test_a_kind_chosen_without_javascript_shows_its_settings_before_saving(
    client_for, organiser, live_session
):
    url = reverse("designer:question_create", args=[live_session.process.slug, live_session.pk])
    client = client_for(organiser)
    page = client.get(url, {"kind": "single_choice"}).content.decode()
    assert 'value="single_choice"' in tag(page, "rendered_kind")
    data = {
        **question_post("single_choice", text="Hoeveel sterren?"),
        "kind": "scale",
        "rendered_kind": "single_choice",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert not Question.objects.exists()
    page = response.content.decode()
    assert "Check the settings for this kind of question, then save again." in page
    assert 'value="Hoeveel sterren?"' in tag(page, "text")
    assert 'value="scale"' in tag(page, "rendered_kind")
    assert re.search(r'<fieldset data-kinds="scale" >', page)  # no longer hidden
    assert 'value="Groen"' in tag(page, "options-0-text")  # what was typed is kept
    # Sent again, as shown: saved with the settings the organiser has now seen.
    data = {**question_post("scale", text="Hoeveel sterren?"), "rendered_kind": "scale"}
    assert client.post(url, data).status_code == 302
    assert Question.objects.get().kind == "scale"


def test_add_a_row_shows_the_form_for_the_kind_typed(client_for, organiser, live_session):
    url = reverse("designer:question_create", args=[live_session.process.slug, live_session.pk])
    data = {
        **question_post("ranking"),
        "rendered_kind": "single_choice",
        "add_row": "1",
    }
    page = client_for(organiser).post(url, data).content.decode()
    assert 'value="ranking"' in tag(page, "rendered_kind")
    assert not Question.objects.exists()


def test_the_kinds_are_named_alike_in_the_menu_and_on_the_form(
    client_for, organiser, process, live_session
):
    client = client_for(organiser)
    menu = client.get(reverse("designer:process_detail", args=[process.slug])).content.decode()
    form = client.get(
        reverse("designer:question_create", args=[process.slug, live_session.pk])
    ).content.decode()

    def labels(page, select):
        found = re.search(rf"<select[^>]*{select}[^>]*>(.*?)</select>", page, re.S)[1]
        return re.findall(r"<option[^>]*>([^<]*)</option>", found)

    named = labels(form, 'name="kind"')
    assert named == labels(menu, f'id="kind-{live_session.pk}"')
    assert all(label[:1].isupper() for label in named)


def test_editing_an_evaluation_question_keeps_it_in_the_evaluation(
    client_for, organiser, make_question
):
    """The form has no control for it (the evaluation set is added as a whole): saving
    the form must not take the question out of the evaluation."""
    question = make_question("single_choice", evaluation=True)
    data = {
        **question_post("single_choice", text="Was het duidelijk?"),
        "rendered_kind": "single_choice",
    }
    assert client_for(organiser).post(edit_url(question), data).status_code == 302
    question.refresh_from_db()
    assert (question.text, question.evaluation) == ("Was het duidelijk?", True)
