"""Roles hold per process. Staff of process A meet a 404 anywhere in process B."""

import pytest
from django.urls import reverse

from sessions_app.models import Role
from sessions_app.services.staff import invitation_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_processes(make_process, make_user, make_question, organiser):
    first = make_question().session.process  # the default process, organiser "olga"
    other_organiser = make_user("otto")
    second = make_process(user=other_organiser, title="Ander proces")
    return first, second, other_organiser


def urls_of(process):
    session = process.sessions.first()
    question = session.questions.first() if session else None
    slug = process.slug
    gets = [
        reverse("designer:process_detail", args=[slug]),
        reverse("designer:process_edit", args=[slug]),
        reverse("designer:process_export", args=[slug]),
        reverse("designer:process_log", args=[slug]),
        reverse("designer:staff", args=[slug]),
        reverse("designer:session_create", args=[slug]),
    ]
    posts = [
        reverse("designer:process_publish", args=[slug]),
        reverse("designer:process_close", args=[slug]),
    ]
    if session:
        gets += [
            reverse("designer:session_edit", args=[slug, session.pk]),
            reverse("designer:question_create", args=[slug, session.pk]),
        ]
        posts += [
            reverse("designer:session_delete", args=[slug, session.pk]),
            reverse("designer:session_move", args=[slug, session.pk, "up"]),
        ]
    if question:
        gets += [
            reverse("designer:question_edit", args=[slug, question.pk]),
            reverse("designer:question_preview", args=[slug, question.pk]),
        ]
        posts += [
            reverse("designer:question_delete", args=[slug, question.pk]),
            reverse("designer:question_move", args=[slug, question.pk, "down"]),
        ]
    return gets, posts


def test_staff_of_one_process_get_404_everywhere_in_another(client, two_processes):
    first, second, other_organiser = two_processes
    client.force_login(other_organiser)
    gets, posts = urls_of(first)
    assert len(gets) == 10 and len(posts) == 6
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts + gets:  # every form view refuses a POST too
        assert client.post(url, {"title": "Overgenomen", "command": "open"}).status_code == 404, url
    organiser_role = first.staff_roles.get()
    revoke = reverse("designer:staff_revoke", args=[first.slug, organiser_role.pk])
    assert client.post(revoke).status_code == 404
    assert first.staff_roles.filter(pk=organiser_role.pk).exists()
    # Nothing changed in the first process.
    first.refresh_from_db()
    assert first.sessions.count() == 1 and first.state == "draft"
    assert first.title == "Herinrichting Stationsplein"
    # ... while the same pages of their own process work.
    own_gets, _posts = urls_of(second)
    for url in own_gets:
        assert client.get(url).status_code == 200, url


def test_sessions_and_questions_of_another_process_are_404_under_my_slug(client, two_processes):
    first, second, other_organiser = two_processes
    client.force_login(other_organiser)
    question = first.sessions.first().questions.first()
    url = reverse("designer:question_edit", args=[second.slug, question.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.TELLER, Role.REVIEWER])
def test_non_organisers_may_look_but_not_design(role, client, make_user, make_question, grant):
    question = make_question()
    process = question.session.process
    user = make_user(f"user-{role}")
    grant(process, user, role)
    client.force_login(user)
    assert client.get(reverse("designer:process_detail", args=[process.slug])).status_code == 200
    assert (
        client.get(
            reverse("designer:question_preview", args=[process.slug, question.pk])
        ).status_code
        == 200
    )
    for url in [
        reverse("designer:process_edit", args=[process.slug]),
        reverse("designer:staff", args=[process.slug]),
        reverse("designer:question_edit", args=[process.slug, question.pk]),
    ]:
        assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("designer:question_delete", args=[process.slug, question.pk])
        ).status_code
        == 404
    )
    assert question.session.questions.filter(pk=question.pk).exists()


def test_invitation_for_one_process_gives_nothing_on_another(
    client, two_processes, organiser, make_user
):
    first, second, _other = two_processes
    invitation = invitation_create(user=organiser, process=first, role=Role.FACILITATOR)
    newcomer = make_user("nina")
    client.force_login(newcomer)
    client.post(reverse("designer:invitation", args=[invitation.token]))
    assert client.get(reverse("designer:process_detail", args=[first.slug])).status_code == 200
    assert client.get(reverse("designer:process_detail", args=[second.slug])).status_code == 404


def test_draft_processes_are_not_public(client, process):
    assert client.get(reverse("public:process", args=[process.slug])).status_code == 404
    assert process.title not in client.get(reverse("public:index")).content.decode()
