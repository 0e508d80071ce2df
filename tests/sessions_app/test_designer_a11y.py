"""Designer pages for screen readers: tables have names, a radio group's error is linked."""

import re

import pytest
from django.urls import reverse

from tests.sessions_app.table_labels import unnamed_tables

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, organiser):
    client.force_login(organiser)
    client.cookies["django_language"] = "en"
    return client


def test_the_log_table_is_named_by_its_heading(staff, live_session):
    html = staff.get(reverse("designer:process_log", args=[live_session.process.slug]))
    html = html.content.decode()
    assert '<table class="table log" aria-labelledby="log-heading">' in html
    assert unnamed_tables(html) == []


def test_the_paper_pages_tables_are_named(staff, paper_session):
    session, _questions = paper_session
    html = staff.get(reverse("paper:page", args=[session.process.slug, session.pk]))
    html = html.content.decode()
    assert 'aria-labelledby="reconcile-heading"' in html
    assert unnamed_tables(html) == []


def radio_group(html: str) -> str:
    return re.search(r'<fieldset class="radio-group".*?</fieldset>', html, re.S).group(0)


def test_the_session_modes_error_is_linked_to_its_radios(staff, live_session):
    url = reverse("designer:session_edit", args=[live_session.process.slug, live_session.pk])
    edit = staff.get(url).content.decode()
    assert "aria-describedby" not in radio_group(edit).split(">")[0]
    assert 'aria-invalid="true"' not in radio_group(edit)
    data = {"title": "Avond", "starts_at": "2027-01-15T19:30", "ends_at": "2027-01-15T21:00"}
    response = staff.post(url, {**data, "mode": "nowhere"})
    assert response.status_code == 400
    group = radio_group(response.content.decode())
    assert group.startswith('<fieldset class="radio-group" aria-describedby="mode-errors">')
    assert '<div class="field-errors" id="mode-errors">' in group
    assert group.count('type="radio"') == group.count('aria-invalid="true"') > 1


def test_the_process_levels_error_is_linked_to_its_radios(staff, live_session):
    url = reverse("designer:process_edit", args=[live_session.process.slug])
    edit = staff.get(url).content.decode()
    assert radio_group(edit).startswith(
        '<fieldset class="radio-group" aria-describedby="level-help">'
    )
    assert 'aria-invalid="true"' not in radio_group(edit)
    response = staff.post(url, {"title": "Stationsplein", "level": "everything"})
    assert response.status_code == 400
    group = radio_group(response.content.decode())
    assert group.startswith(
        '<fieldset class="radio-group" aria-describedby="level-help level-errors">'
    )
    assert '<div class="field-errors" id="level-errors">' in group
    assert group.count('type="radio"') == group.count('aria-invalid="true"') > 1


def test_the_logs_details_read_as_json(staff, live_session):
    """An entry's details as the exported log writes them: ``true``, ``null`` and double
    quotes, not Python's ``True``, ``None`` and single quotes."""
    from sessions_app.services.log import log_append

    log_append(
        process=live_session.process,
        action="session.opened",
        actor="test",
        data={"late": True, "reason": None, "note": "it's"},
    )
    html = staff.get(reverse("designer:process_log", args=[live_session.process.slug]))
    html = html.content.decode()
    assert "&quot;late&quot;: true" in html and "&quot;reason&quot;: null" in html
    assert "True" not in html and "None" not in html
