"""Issue 18, item 12 over plain HTTP (no JavaScript): the teller's form numbers questions
as the paper, shows every error by its question with a summary, and tells a teller who
typed a sheet's first entry so when they open it again; a repeated submit still gets its
first outcome."""

import re

import pytest
from django.urls import reverse

from sessions_app.models import EntryMode, Process, Role, SheetEntry
from sessions_app.services import paper
from tests.paper_fixtures import option

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


def entry_url(sheet):
    return reverse("paper:entry", args=[paper.sheet_token(sheet)])


def test_the_form_has_the_papers_numbers_and_order(client, printed, paper_session, teller):
    _session, questions = paper_session
    sheet = printed(1)[0]
    layout = sheet.session.layouts.get(version=sheet.layout_version).data
    numbers = {row["id"]: row["number"] for row in layout["questions"]}
    client.force_login(teller)
    page = client.get(entry_url(sheet)).content.decode()
    legends = re.findall(r'id="q(\d+)-question".*?question-number">(\d+)\.</span>', page, re.S)
    assert [(int(q), int(n)) for q, n in legends] == sorted(
        numbers.items(), key=lambda item: item[1]
    )
    assert [int(n) for _q, n in legends] == list(range(1, len(questions) + 1))


def test_every_error_is_shown_by_its_question_and_summed_up(client, printed, paper_session, teller):
    _session, questions = paper_session
    sheet = printed(1)[0]
    client.force_login(teller)
    multiple, ranking = questions["multiple"], questions["ranking"]
    response = client.post(
        entry_url(sheet),
        {
            "client_id": "e" * 32,
            f"q{multiple.pk}-options": [option(multiple, i) for i in range(3)],
            f"q{ranking.pk}-rank_{option(ranking, 0)}": "2",
            f"q{questions['choice'].pk}-option": option(questions["choice"], 1),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    summary = page[
        page.index('class="error-summary"') : page.index("</div>", page.index("error-summary"))
    ]
    assert 'role="alert"' in summary and "autofocus" in summary
    assert f'href="#q{multiple.pk}-question"' in summary
    assert f'href="#q{ranking.pk}-question"' in summary
    assert page.count('class="field-error"') == 2
    assert f'aria-describedby="q{ranking.pk}-error"' in page
    assert "Give each option a different place" in page
    # What was typed comes back; nothing was saved.
    assert f'value="{option(questions["choice"], 1)}" checked' in page
    assert not SheetEntry.objects.filter(sheet=sheet).exists()


def test_a_teller_who_typed_the_first_entry_is_told_when_opening_it(
    client, printed, paper_session, teller, make_user, grant
):
    session, questions = paper_session
    Process.objects.filter(pk=session.process_id).update(entry_mode=EntryMode.DOUBLE)
    sheet = printed(1)[0]
    client.force_login(teller)
    data = {
        "client_id": "f" * 32,
        f"q{questions['choice'].pk}-option": option(questions["choice"], 0),
    }
    assert (
        "A second teller enters this form too"
        in client.post(entry_url(sheet), data).content.decode()
    )
    opened = client.get(entry_url(sheet))
    assert opened.status_code == 409
    page = opened.content.decode()
    assert "You entered this form already" in page and "teller-form" not in page
    # The same submit again (a double tap) still gets its first outcome.
    assert "already been received" in client.post(entry_url(sheet), data).content.decode()
    other = make_user("tess")
    grant(session.process, other, Role.TELLER)
    client.force_login(other)
    page = client.get(entry_url(sheet)).content.decode()
    assert "teller-form" in page and "You entered this form already" not in page
