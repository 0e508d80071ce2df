"""Follow-up: what was done with the input, recorded by organisers, logged, and shown on
the public page and in the export."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from sessions_app.exceptions import AccessDenied, FollowUpError
from sessions_app.models import FollowUp, LogEntry, Role
from sessions_app.services.followups import REASONING_MAX, follow_up_record
from sessions_app.services.processes import process_publish

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


@pytest.fixture
def published(live_session, make_question, organiser):
    question = make_question("single_choice")
    process_publish(user=organiser, process=live_session.process)
    live_session.process.refresh_from_db()
    return live_session.process, question


def record(user, process, question_id=None, **overrides):
    values = {
        "outcome": "partly_adopted",
        "reasoning": "De bankjes komen er; de fontein past niet in het budget.",
        "decided_on": DAY,
    }
    values.update(overrides)
    return follow_up_record(user=user, process=process, question_id=question_id, **values)


def test_an_organiser_records_a_follow_up_and_it_is_logged(published, organiser):
    process, question = published
    first = record(organiser, process, question.pk)
    whole = record(organiser, process, None, outcome="decided", reasoning="De raad besloot.")
    assert (first.question, first.outcome, first.decided_on) == (question, "partly_adopted", DAY)
    assert whole.question is None
    entries = list(LogEntry.objects.filter(process=process, action="follow_up.recorded"))
    assert [e.data["question"] for e in entries] == [question.pk, None]
    assert entries[0].data["reasoning"].startswith("De bankjes komen er")
    assert entries[0].actor == "staff:olga"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"outcome": "ignored"}, "follow_up_outcome"),
        ({"reasoning": "   "}, "follow_up_reasoning"),
        ({"reasoning": "x" * (REASONING_MAX + 1)}, "follow_up_reasoning"),
        ({"decided_on": datetime.date.today() + datetime.timedelta(days=2)}, "follow_up_date"),
        ({"decided_on": "2026-11-02"}, "follow_up_date"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(published, organiser, change, code):
    process, question = published
    before = LogEntry.objects.count()
    with pytest.raises(FollowUpError) as caught:
        record(organiser, process, question.pk, **change)
    assert caught.value.code == code
    assert not FollowUp.objects.exists() and LogEntry.objects.count() == before


def test_a_question_of_another_process_and_a_draft_are_refused(
    published, organiser, make_process, make_question
):
    process, _question = published
    other = make_process(title="Begroting 2027")
    with pytest.raises(FollowUpError) as caught:
        record(organiser, process, 10_000)
    assert caught.value.code == "follow_up_question"
    with pytest.raises(FollowUpError) as caught:
        record(organiser, other, None)
    assert caught.value.code == "follow_up_draft"
    assert not FollowUp.objects.exists()


def test_only_organisers_of_this_process_record(published, make_user, grant, make_process):
    process, question = published
    facilitator = make_user("fleur")
    grant(process, facilitator, Role.FACILITATOR)
    with pytest.raises(AccessDenied) as caught:
        record(facilitator, process, question.pk)
    assert caught.value.code == "role_required"
    stranger = make_user("sam")
    make_process(user=stranger, title="Ander proces")  # an organiser, of another process
    with pytest.raises(AccessDenied) as caught:
        record(stranger, process, question.pk)
    assert caught.value.code == "not_staff"
    assert not FollowUp.objects.exists()


def test_the_designer_page_records_and_the_public_page_shows_it(
    client, published, organiser, make_user, grant
):
    process, question = published
    url = reverse("designer:follow_up", args=[process.slug])
    client.force_login(organiser)
    page = client.get(url)
    assert page.status_code == 200
    assert question.text in page.content.decode()
    refused = client.post(
        url,
        {
            "question": question.pk,
            "outcome": "adopted",
            "reasoning": "",
            "decided_on": "2026-11-02",
        },
    )
    assert refused.status_code == 400 and not FollowUp.objects.exists()
    done = client.post(
        url,
        {
            "question": question.pk,
            "outcome": "adopted",
            "reasoning": "Het ontwerp volgt de <b>meeste</b> stemmen.",
            "decided_on": "2026-11-02",
        },
    )
    assert done.status_code == 302
    assert FollowUp.objects.get().outcome == "adopted"
    public = client.get(process.get_absolute_url()).content.decode()
    assert "Het ontwerp volgt de &lt;b&gt;meeste&lt;/b&gt; stemmen." in public
    assert "2 november 2026" in public  # the process speaks Dutch
    # A reviewer of the process reads but does not record; the page does not exist for them.
    reviewer = make_user("rik")
    grant(process, reviewer, Role.REVIEWER)
    client.force_login(reviewer)
    assert client.get(url).status_code == 404
    assert client.post(url, {"outcome": "adopted"}).status_code == 404
    assert FollowUp.objects.count() == 1


def test_the_export_carries_the_follow_up(published, organiser, tmp_path):
    process, question = published
    record(organiser, process, question.pk)
    path = tmp_path / "export.json"
    call_command("export_results", process.slug, "-o", str(path))
    [follow_up] = json.loads(path.read_text(encoding="utf-8"))["follow_ups"]
    assert follow_up["question"] == question.pk
    assert (follow_up["outcome"], follow_up["decided_on"]) == ("partly_adopted", "2026-11-02")
