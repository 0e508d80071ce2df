"""The designer and public pages, through the test client, as organisers use them."""

import json

import pytest
from django.urls import reverse

from sessions_app.models import (
    Invitation,
    LogEntry,
    Process,
    ProcessState,
    Question,
    Role,
    StaffRole,
)
from sessions_app.services.processes import process_publish
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_designer_needs_login(client):
    response = client.get(reverse("designer:process_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_logs_in(client, organiser):
    response = client.post(reverse("login"), {"username": "olga", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("designer:process_list")


def test_process_list_shows_only_my_processes(client_for, organiser, make_process, make_user):
    mine = make_process(title="Mijn proces")
    other_user = make_user("otto")
    make_process(user=other_user, title="Ander proces")
    page = client_for(organiser).get(reverse("designer:process_list")).content.decode()
    assert mine.title in page and "Ander proces" not in page


def test_create_process_with_timeline(client_for, organiser):
    client = client_for(organiser)
    response = client.post(
        reverse("designer:process_create"),
        {
            "title": "Begroting Zuiderhaven 2027",
            "language": "nl",
            "purpose": "Waar gaat het geld naartoe?",
            "level": "advise",
            "promise": "Het college neemt het advies over of legt uit waarom niet.",
            "decision_maker": "Gemeenteraad",
            "entry_mode": "single",
            "card_rule": "latest_wins",
            "timeline-TOTAL_FORMS": "2",
            "timeline-INITIAL_FORMS": "0",
            "timeline-0-date": "2027-03-01",
            "timeline-0-label": "Raadsbesluit",
            "timeline-1-date": "",
            "timeline-1-label": "",
        },
    )
    process = Process.objects.get(title="Begroting Zuiderhaven 2027")
    assert response.status_code == 302
    assert response.url == reverse("designer:process_detail", args=[process.slug])
    assert process.level == "advise"
    assert [m.label for m in process.milestones.all()] == ["Raadsbesluit"]
    page = client.get(response.url).content.decode()
    assert "Begroting Zuiderhaven 2027" in page and "Raadsbesluit" in page


def test_create_process_shows_field_errors(client_for, organiser):
    response = client_for(organiser).post(
        reverse("designer:process_create"),
        {
            "title": "",
            "language": "nl",
            "level": "consult",
            "entry_mode": "single",
            "card_rule": "latest_wins",
            "timeline-TOTAL_FORMS": "0",
            "timeline-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["title"]
    assert not Process.objects.exists()


def test_add_session(client_for, organiser, process):
    response = client_for(organiser).post(
        reverse("designer:session_create", args=[process.slug]),
        {
            "title": "Inloopavond",
            "starts_at": "2027-01-20T19:00",
            "ends_at": "2027-01-20T21:00",
            "venue": "Bibliotheek",
            "mode": "in_room",
        },
    )
    session = process.sessions.get()
    assert response.status_code == 302
    assert (session.title, session.mode, session.starts_at.hour) == ("Inloopavond", "in_room", 18)


def test_session_end_before_start_is_refused(client_for, organiser, process):
    response = client_for(organiser).post(
        reverse("designer:session_create", args=[process.slug]),
        {
            "title": "Avond",
            "starts_at": "2027-01-20T19:00",
            "ends_at": "2027-01-20T18:00",
            "mode": "hybrid",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["ends_at"] == ["End time must be after the start."]
    assert not process.sessions.exists()


def option_rows(texts, ids=()):
    data = {"options-TOTAL_FORMS": str(len(texts)), "options-INITIAL_FORMS": str(len(ids))}
    for index, text in enumerate(texts):
        data[f"options-{index}-text"] = text
        data[f"options-{index}-ORDER"] = str(index + 1)
        if index < len(ids):
            data[f"options-{index}-id"] = str(ids[index])
    return data


QUESTION_POSTS = {
    "single_choice": {"options": ["Groen", "Markt"]},
    "multiple_choice": {"options": ["A", "B", "C"], "max_choices": "2"},
    "scale": {"scale_min": "1", "scale_max": "5", "min_label": "slecht", "max_label": "goed"},
    "ranking": {"options": ["A", "B", "C"]},
    "budget": {"options": ["A", "B"], "budget_total": "100"},
    "open_text": {"max_length": "400"},
    "statements": {"options": ["Auto's eruit.", "Meer bomen."], "participants_may_add": "on"},
}


def question_post(kind, text="Wat vindt u?", **extra):
    settings = dict(QUESTION_POSTS[kind])
    settings.update(extra)
    options = settings.pop("options", [])
    return {"kind": kind, "text": text, **settings, **option_rows(options)}


@pytest.mark.parametrize("kind", list(QUESTION_POSTS))
def test_add_question_of_every_kind(kind, client_for, organiser, live_session):
    process = live_session.process
    url = reverse("designer:question_create", args=[process.slug, live_session.pk])
    response = client_for(organiser).post(url, question_post(kind))
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.kind == kind
    expected_options = QUESTION_POSTS[kind].get("options", [])
    assert [o.text for o in question.options.all()] == expected_options
    if kind == "multiple_choice":
        assert question.max_choices == 2
    if kind == "scale":
        assert (question.scale_min, question.scale_max, question.max_label) == (1, 5, "goed")
    if kind == "budget":
        assert question.budget_total == 100
    if kind == "open_text":
        assert question.max_length == 400
    if kind == "statements":
        assert question.participants_may_add


@pytest.mark.parametrize(
    ("kind", "extra", "field", "message"),
    [
        (
            "scale",
            {"scale_min": "5", "scale_max": "2"},
            "scale_max",
            "The lowest value must be below the highest value.",
        ),
        (
            "multiple_choice",
            {"max_choices": "4"},
            "max_choices",
            "The maximum number of choices (4) is more than the number of options (3).",
        ),
        (
            "budget",
            {"budget_total": "0"},
            "budget_total",
            "The total to spend must be more than 0.",
        ),
    ],
)
def test_question_validation_messages_on_fields(
    kind, extra, field, message, client_for, organiser, live_session
):
    url = reverse("designer:question_create", args=[live_session.process.slug, live_session.pk])
    response = client_for(organiser).post(url, question_post(kind, **extra))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert not Question.objects.exists()


def test_ranking_with_one_option_shows_the_options_problem(client_for, organiser, live_session):
    url = reverse("designer:question_create", args=[live_session.process.slug, live_session.pk])
    data = {"kind": "ranking", "text": "Volgorde?", **option_rows(["Alleen"])}
    response = client_for(organiser).post(url, data)
    assert response.status_code == 200
    assert "A ranking needs at least 2 options." in response.content.decode()


def test_edit_question_reorders_and_renames_options(client_for, organiser, make_question):
    question = make_question()
    groen, markt, fietsen = question.options.all()
    url = reverse("designer:question_edit", args=[question.session.process.slug, question.pk])
    client = client_for(organiser)
    form_page = client.get(url)
    assert form_page.context["formset"].initial[0] == {"id": groen.pk, "text": "Groen", "ORDER": 1}
    data = {
        "kind": "single_choice",
        "text": "Nieuwe tekst?",
        **option_rows(["Fietsen", "Groen", "Weekmarkt"], [fietsen.pk, groen.pk, markt.pk]),
    }
    assert client.post(url, data).status_code == 302
    assert [(o.pk, o.text) for o in question.options.all()] == [
        (fietsen.pk, "Fietsen"),
        (groen.pk, "Groen"),
        (markt.pk, "Weekmarkt"),
    ]


def test_move_and_delete_question(client_for, organiser, make_question, live_session):
    first, second = make_question(text="een?"), make_question(text="twee?")
    client = client_for(organiser)
    slug = live_session.process.slug
    client.post(reverse("designer:question_move", args=[slug, second.pk, "up"]))
    assert [q.text for q in live_session.questions.all()] == ["twee?", "een?"]
    assert (
        client.get(reverse("designer:question_move", args=[slug, second.pk, "up"])).status_code
        == 405
    )
    client.post(reverse("designer:question_delete", args=[slug, first.pk]))
    assert [q.text for q in live_session.questions.all()] == ["twee?"]


@pytest.mark.parametrize("kind", list(QUESTION_POSTS))
def test_preview_renders_the_phone_form(kind, client_for, organiser, make_question):
    question = make_question(kind)
    url = reverse("designer:question_preview", args=[question.session.process.slug, question.pk])
    page = client_for(organiser).get(url).content.decode()
    assert question.text in page
    first = question.options.first()
    expected_input = {
        "single_choice": 'type="radio" name="option"',
        "multiple_choice": 'type="checkbox" name="options"',
        "scale": 'type="radio" name="value"',
        "ranking": f'name="rank_{first and first.pk}"',
        "budget": f'name="amount_{first and first.pk}"',
        "open_text": 'name="text"',
        "statements": f'name="vote_{first and first.pk}"',
    }[kind]
    assert expected_input in page
    if kind == "scale":
        assert page.count('name="value"') == 5


def test_staff_page_grants_roles_and_makes_invitations(client_for, organiser, process, make_user):
    make_user("tom")
    client = client_for(organiser)
    url = reverse("designer:staff", args=[process.slug])
    client.post(url, {"grant-username": "tom", "grant-role": "teller"})
    assert StaffRole.objects.filter(process=process, user__username="tom", role="teller").exists()
    response = client.post(url, {"grant-username": "nobody", "grant-role": "teller"})
    assert "there is no staff account with that user name" in response.content.decode()
    response = client.post(url, {"invite-role": "reviewer", "invite-note": "griffie"})
    invitation = Invitation.objects.get(process=process)
    assert reverse("designer:invitation", args=[invitation.token]) in response.content.decode()


def test_invitation_link_creates_an_account_with_the_role(client, organiser, process):
    from sessions_app.services.staff import invitation_create

    invitation = invitation_create(user=organiser, process=process, role=Role.TELLER)
    url = reverse("designer:invitation", args=[invitation.token])
    assert "teller" in client.get(url).content.decode()
    response = client.post(
        url, {"username": "nieuw", "password1": "Zw4rt-Schaap-91", "password2": "Zw4rt-Schaap-91"}
    )
    assert response.status_code == 302
    assert StaffRole.objects.filter(process=process, user__username="nieuw", role="teller").exists()
    assert client.get(url).status_code == 410


def test_publish_button_and_public_page(client_for, client, organiser, process, make_question):
    slug = process.slug
    assert client.get(reverse("public:process", args=[slug])).status_code == 404
    make_question("scale")
    organiser_client = client_for(organiser)
    organiser_client.post(reverse("designer:process_publish", args=[slug]))
    process.refresh_from_db()
    assert process.state == ProcessState.PUBLISHED
    organiser_client.logout()
    page = client.get(
        reverse("public:process", args=[slug]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    for text in (
        "Herinrichting Stationsplein",
        "Het plein wordt opnieuw ingericht.",
        "De raad weegt de uitkomst mee.",
        "Gemeenteraad",
        "Bewonersavond",
        "Wijkcentrum De Brug",
        "Vraag over scale?",
    ):
        assert text in page
    assert 'aria-current="step"' in page
    assert process.title in client.get(reverse("public:index")).content.decode()


def test_publish_incomplete_process_explains_what_is_missing(client_for, organiser, process):
    response = client_for(organiser).post(
        reverse("designer:process_publish", args=[process.slug]), follow=True
    )
    assert "Add at least one session before publishing." in response.content.decode()
    process.refresh_from_db()
    assert process.state == ProcessState.DRAFT


def test_public_page_speaks_the_process_language(client, organiser, process, make_question):
    make_question()
    process_publish(user=organiser, process=process)
    url = reverse("public:process", args=[process.slug])
    assert "Hoeveel invloed u hebt" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.cookies["django_language"] = "en"
    assert "How much say you have" in client.get(url).content.decode()


def test_export_and_import_in_the_ui(client_for, organiser, process, make_question):
    make_question("budget")
    client = client_for(organiser)
    response = client.get(reverse("designer:process_export", args=[process.slug]))
    assert response["Content-Disposition"] == f'attachment; filename="{process.slug}.inspraak.json"'
    data = json.loads(response.content)
    assert data["sessions"][0]["questions"][0]["total"] == 100

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("p.json", response.content, content_type="application/json")
    response = client.post(reverse("designer:process_import"), {"file": upload})
    imported = Process.objects.exclude(pk=process.pk).get()
    assert response.url == reverse("designer:process_detail", args=[imported.slug])

    data["sessions"][0]["questions"][0]["options"] = ["Alleen"]
    bad = SimpleUploadedFile("bad.json", json.dumps(data).encode(), content_type="application/json")
    page = client.post(reverse("designer:process_import"), {"file": bad}).content.decode()
    assert "sessions[0].questions[0].options" in page
    assert "A budget needs at least 2 options to spend on." in page
    assert Process.objects.count() == 2


def test_log_page_shows_the_chain_state(client_for, organiser, process):
    page = (
        client_for(organiser)
        .get(reverse("designer:process_log", args=[process.slug]))
        .content.decode()
    )
    assert "The chain of 2 entries is intact." in page
    assert LogEntry.objects.filter(process=process).last().hash in page


def process_post(**overrides):
    data = {
        "title": "Herinrichting Stationsplein",
        "language": "nl",
        "purpose": "Het plein wordt opnieuw ingericht.",
        "level": "consult",
        "promise": "De raad weegt de uitkomst mee.",
        "decision_maker": "Gemeenteraad",
        "entry_mode": "single",
        "card_rule": "latest_wins",
        "timeline-TOTAL_FORMS": "1",
        "timeline-INITIAL_FORMS": "0",
        "timeline-0-date": "2027-03-01",
        "timeline-0-label": "Raadsbesluit",
    }
    data.update(overrides)
    return data


def test_edit_process_saves_and_logs(client_for, organiser, process):
    client = client_for(organiser)
    response = client.post(
        reverse("designer:process_edit", args=[process.slug]),
        process_post(title="Stationsplein, tweede ronde", level="co-produce"),
    )
    assert response.status_code == 302
    process.refresh_from_db()
    assert (process.title, process.level) == ("Stationsplein, tweede ronde", "co-produce")
    assert [m.label for m in process.milestones.all()] == ["Raadsbesluit"]
    edited = LogEntry.objects.get(process=process, action="process.edited")
    assert edited.data["after"] == {"title": "Stationsplein, tweede ronde", "level": "co-produce"}
    assert LogEntry.objects.filter(process=process, action="process.timeline_edited").exists()


def test_edit_session_saves_and_logs(client_for, organiser, live_session):
    url = reverse("designer:session_edit", args=[live_session.process.slug, live_session.pk])
    response = client_for(organiser).post(
        url,
        {
            "title": "Bewonersavond",
            "starts_at": "2027-01-15T19:30",
            "ends_at": "2027-01-15T21:30",
            "venue": "Bibliotheek",
            "mode": "online",
        },
    )
    assert response.status_code == 302
    live_session.refresh_from_db()
    assert (live_session.venue, live_session.mode) == ("Bibliotheek", "online")
    edited = LogEntry.objects.filter(process=live_session.process, action="session.edited").get()
    assert edited.data["after"] == {"venue": "Bibliotheek", "mode": "online"}


def test_moves_on_a_closed_process_explain_instead_of_failing(
    client_for, organiser, process, make_question
):
    question = make_question()
    process_publish(user=organiser, process=process)
    from sessions_app.services.processes import process_close

    process_close(user=organiser, process=process)
    client = client_for(organiser)
    for url in (
        reverse("designer:question_move", args=[process.slug, question.pk, "down"]),
        reverse("designer:session_move", args=[process.slug, question.session_id, "up"]),
    ):
        response = client.post(url, follow=True)
        assert response.status_code == 200
        assert "This cannot be done while the process is closed." in response.content.decode()


def test_public_page_shows_the_timeline_in_dutch(client, organiser, process, make_question):
    from datetime import date

    from sessions_app.services.processes import milestones_replace
    from sessions_app.specs import MilestoneSpec

    make_question()
    milestones_replace(
        user=organiser,
        process=process,
        milestones=[MilestoneSpec(date(2027, 3, 4), "Besluit gemeenteraad")],
    )
    process_publish(user=organiser, process=process)
    page = client.get(reverse("public:process", args=[process.slug])).content.decode()
    assert "4 maart 2027" in page and "Besluit gemeenteraad" in page


def test_invitation_used_meanwhile_leaves_no_account(client, organiser, process, make_user):
    from sessions_app.services.staff import invitation_accept, invitation_create

    invitation = invitation_create(user=organiser, process=process, role=Role.TELLER)
    url = reverse("designer:invitation", args=[invitation.token])
    client.get(url)
    invitation_accept(token=invitation.token, user=make_user("eerder"))
    response = client.post(
        url, {"username": "later", "password1": "Zw4rt-Schaap-91", "password2": "Zw4rt-Schaap-91"}
    )
    assert response.status_code == 410
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="later").exists()
