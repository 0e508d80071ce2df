"""Who may do what on the site as a whole: a draft process's live pages are its staff's
alone (nobody joins before publication), and only accounts with the site's ``organise``
permission start processes."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from sessions_app.exceptions import AccessDenied
from sessions_app.models import Participant, Process, Role
from sessions_app.services.processes import process_create, process_publish
from tests.conftest import full_process_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(live_session, make_question):
    make_question("single_choice")
    return live_session


def test_nobody_joins_a_draft_and_its_screens_are_for_staff(client, draft, organiser):
    code = draft.join_code
    client.cookies["django_language"] = "en"
    for url in (
        reverse("participate:join", args=[code]),
        reverse("participate:join_remote", args=[code]),
        reverse("participate:join_start") + f"?code={code}",
    ):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "not open yet" in page.content.decode()
    assert client.post(reverse("participate:join", args=[code])).status_code == 404
    assert not Participant.objects.exists()
    for url in (
        reverse("live:presenter", args=[code]),
        reverse("live:join_print", args=[code]),
        reverse("paper:poster", args=[code]),
    ):
        assert client.get(url).status_code == 404, url
    # The organiser rehearses: the projector works for them, the phones still do not.
    client.force_login(organiser)
    assert client.get(reverse("live:presenter", args=[code])).status_code == 200
    assert client.get(reverse("participate:join", args=[code])).status_code == 404
    # Once published, everyone.
    process_publish(user=organiser, process=draft.process)
    client.logout()
    assert client.get(reverse("live:presenter", args=[code])).status_code == 200
    assert client.get(reverse("participate:join", args=[code])).status_code == 200


def test_only_organisers_start_processes(client, make_user, live_session, grant):
    teller = make_user("tim")
    grant(live_session.process, teller, Role.TELLER)
    with pytest.raises(AccessDenied) as refused:
        process_create(user=teller, spec=full_process_spec(title="Eigen plan"))
    assert refused.value.code == "not_organiser"
    client.force_login(teller)
    assert client.get(reverse("designer:process_create")).status_code == 403
    assert client.get(reverse("designer:process_import")).status_code == 403
    listing = client.get(reverse("designer:process_list")).content.decode()
    assert reverse("designer:process_create") not in listing
    # An administrator grants it on the command line; then the teller may.
    out = io.StringIO()
    call_command("organisers", "grant", "tim", stdout=out)
    assert "tim" in out.getvalue()
    teller = type(teller).objects.get(pk=teller.pk)  # permissions are cached per instance
    created = process_create(user=teller, spec=full_process_spec(title="Eigen plan"))
    assert Process.objects.filter(pk=created.pk).exists()
    listed = io.StringIO()
    call_command("organisers", stdout=listed)
    assert "tim" in listed.getvalue().split()
    call_command("organisers", "revoke", "tim", stdout=io.StringIO())
    teller = type(teller).objects.get(pk=teller.pk)
    assert not teller.has_perm("sessions_app.organise")
    with pytest.raises(CommandError, match="No account named"):
        call_command("organisers", "grant", "nobody-here", stdout=io.StringIO())


def test_remote_participants_may_be_asked_for_an_invitation_code(
    client, live_session, make_question, organiser
):
    from sessions_app.services.live_sessions import live_session_update
    from sessions_app.specs import SessionSpec

    make_question("single_choice")
    session = live_session
    spec = SessionSpec(
        title=session.title,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        venue=session.venue,
        mode=session.mode,
        remote_invitation=True,
    )
    live_session_update(user=organiser, session=session, spec=spec)
    process_publish(user=organiser, process=session.process)
    session.refresh_from_db()
    assert len(session.invitation_code) == 8
    client.cookies["django_language"] = "en"
    remote = reverse("participate:join_remote", args=[session.join_code])
    page = client.get(remote).content.decode()
    assert 'name="invite"' in page
    without = client.post(remote, follow=True).content.decode()
    assert "needs the invitation code" in without
    wrong = client.post(remote, {"invite": "WRONG1"}, follow=True).content.decode()
    assert "invitation code is not right" in wrong
    assert not Participant.objects.exists()
    # The link the console shows carries the code; lower case and spaces are forgiven.
    assert (
        client.post(remote, {"invite": f" {session.invitation_code.lower()} "}).status_code == 302
    )
    assert Participant.objects.get().joined_via == "remote"
    # In the room, the QR code is enough.
    client.cookies.clear()
    room = reverse("participate:join", args=[session.join_code])
    assert 'name="invite"' not in client.get(room).content.decode()
    assert client.post(room).status_code == 302
    assert Participant.objects.count() == 2
    # The console shows the invited link to the staff.
    client.force_login(organiser)
    console = client.get(
        reverse("live:console", args=[session.process.slug, session.pk])
    ).content.decode()
    assert f"?invite={session.invitation_code}" in console
