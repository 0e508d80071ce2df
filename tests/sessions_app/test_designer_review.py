"""The designer after a user review: a published process keeps the texts publishing
required; a draft's dossier files open for its staff; refused forms start with an error
summary; the timeline and panel take more rows; wording that matches what it names."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import translation
from PIL import Image

from sessions_app.exceptions import DesignError
from sessions_app.models import (
    ExportJob,
    LogEntry,
    Milestone,
    MilestoneKind,
    PanelMember,
    Process,
    Role,
)
from sessions_app.rules import publish_problems
from sessions_app.services import dossier
from sessions_app.services.processes import process_publish, process_spec_of, process_update
from tests.conftest import full_process_spec

pytestmark = pytest.mark.django_db

#: Between a field's name and its problem in the error summary (an en dash).
DASH = "\u2013"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (0, 120, 60)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def published(process, organiser, make_question):
    make_question("single_choice")
    process_publish(user=organiser, process=process)
    process.refresh_from_db()
    return process


@pytest.fixture
def staff(client, organiser):
    client.force_login(organiser)
    client.cookies["django_language"] = "en"
    return client


def form_data(process: Process, **overrides) -> dict:
    """The process form as the page sends it, with its stored values."""
    data = {
        "title": process.title,
        "language": process.language,
        "purpose": process.purpose,
        "level": process.level,
        "promise": process.promise,
        "decision_maker": process.decision_maker,
        "entry_mode": process.entry_mode,
        "card_rule": process.card_rule,
        "retention_photos_days": process.retention_photos_days,
        "retention_texts_months": process.retention_texts_months,
        "timeline-TOTAL_FORMS": "1",
        "timeline-INITIAL_FORMS": "0",
        "timeline-0-date": "2027-03-01",
        "timeline-0-label": "Raadsbesluit",
        "timeline-0-kind": "decision",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert match, "no error summary"
    return match.group(0)


# 1. A published process keeps the texts publishing required ------------------------------


@pytest.mark.parametrize("field", ["purpose", "promise", "decision_maker"])
def test_a_published_process_keeps_what_publishing_required(published, organiser, field):
    before = process_spec_of(published)
    entries = LogEntry.objects.count()
    spec = full_process_spec(title="Nieuwe titel", **{field: "   "})
    with pytest.raises(DesignError) as caught:
        process_update(user=organiser, process=published, spec=spec)
    expected = [
        (p.path, p.code, str(p.message))
        for p in publish_problems(spec=spec, session_question_counts=[1])
    ]
    assert [(p.path, p.code, str(p.message)) for p in caught.value.problems] == expected
    assert expected and expected[0][:2] == (field, "required_to_publish")
    published.refresh_from_db()
    assert process_spec_of(published) == before
    assert LogEntry.objects.count() == entries


def test_a_draft_may_still_leave_them_empty(process, organiser):
    process_update(user=organiser, process=process, spec=full_process_spec(purpose=""))
    process.refresh_from_db()
    assert process.purpose == ""


def test_the_edit_page_refuses_an_empty_purpose_beside_the_field(staff, published):
    url = reverse("designer:process_edit", args=[published.slug])
    stored_title, stored_purpose = published.title, published.purpose
    timeline = list(Milestone.objects.filter(process=published).values_list("label", flat=True))
    response = staff.post(url, form_data(published, title="Typed title", purpose=""))
    assert response.status_code == 400
    html = response.content.decode()
    message = "The purpose must be filled in before publishing."
    field = re.search(r'<div[^>]*>\s*<label for="id_purpose".*?</textarea>', html, re.S).group(0)
    assert message in field and 'aria-invalid="true"' in field
    assert 'value="Typed title"' in html  # what was typed is kept
    assert f'<a href="#id_purpose">Purpose {DASH} {message}</a>' in summary(html)
    published.refresh_from_db()
    assert (published.title, published.purpose) == (stored_title, stored_purpose)
    # Nothing else changed either: not the timeline the same form sent.
    assert (
        list(Milestone.objects.filter(process=published).values_list("label", flat=True))
        == timeline
    )
    assert not LogEntry.objects.filter(process=published, action="process.edited").exists()


# 2. A draft's dossier files, for its staff -------------------------------------------------


def test_a_drafts_dossier_files_open_for_its_staff_only(
    client, process, organiser, make_user, grant, make_process
):
    image = dossier.document_add(
        user=organiser,
        process=process,
        content=png(),
        title="Schets",
        kind="plan",
        day="2027-02-01",
        summary="Het plein met bomen.",
        alt_text="Schets van het plein met bomen langs de randen.",
    )
    pdf = dossier.document_add(
        user=organiser,
        process=process,
        content=PDF,
        title="Voorstel",
        kind="proposal",
        day="2027-02-01",
        summary="Het voorstel.",
    )
    client.force_login(organiser)
    page = client.get(reverse("designer:dossier", args=[process.slug])).content.decode()
    links = set(re.findall(r'(?:src|href)="(/p/[^"]+/dossier/\d+/)"', page))
    assert links == {
        reverse("public:dossier_document", args=[process.slug, image.pk]),
        reverse("public:dossier_document", args=[process.slug, pdf.pk]),
    }
    teller = make_user("teun")
    grant(process, teller, Role.TELLER)
    for user in (organiser, teller):
        client.force_login(user)
        for link in links:
            response = client.get(link)
            assert response.status_code == 200, (user, link)
            assert response["Cache-Control"] == "private, no-store"
            b"".join(response.streaming_content)
    # Anyone else: as if there were no such file.
    other = make_user("otto")
    make_process(user=other, title="Ander plan")
    client.force_login(other)
    assert all(client.get(link).status_code == 404 for link in links)
    client.logout()
    assert all(client.get(link).status_code == 404 for link in links)


def test_a_published_processs_files_stay_public(client, published, organiser):
    document = dossier.document_add(
        user=organiser,
        process=published,
        content=PDF,
        title="Voorstel",
        kind="proposal",
        day="2027-02-01",
        summary="Het voorstel.",
    )
    response = client.get(reverse("public:dossier_document", args=[published.slug, document.pk]))
    assert response.status_code == 200
    assert not response.has_header("Cache-Control")
    b"".join(response.streaming_content)


# 3. Error summaries ---------------------------------------------------------------------------


def test_a_refused_session_form_starts_with_a_focused_summary(staff, process):
    url = reverse("designer:session_create", args=[process.slug])
    response = staff.post(url, {"title": "", "starts_at": "2027-01-20T19:00", "mode": "nowhere"})
    assert response.status_code == 400
    html = response.content.decode()
    box = summary(html)
    assert 'role="alert"' in box and 'tabindex="-1"' in box and "autofocus" in box
    assert '<h2 id="error-summary-title">Not saved: check these fields</h2>' in box
    assert f'<a href="#id_title">Title {DASH} ' in box
    assert '<a href="#id_mode_0">' in box and 'id="id_mode_0"' in html
    assert html.index("error-summary") < html.index('<form method="post" class="stack"')
    assert staff.get(url).content.decode().count("error-summary") == 0


def test_a_refused_follow_up_starts_with_a_summary_in_sentences(staff, published):
    url = reverse("designer:follow_up", args=[published.slug])
    later = datetime.date.today() + datetime.timedelta(days=3)
    response = staff.post(
        url, {"question": "", "outcome": "adopted", "reasoning": "Zo.", "decided_on": later}
    )
    assert response.status_code == 400
    box = summary(response.content.decode())
    message = "Give the date of the decision, not later than today."
    assert f'<a href="#id_decided_on">Date of the decision {DASH} {message}</a>' in box


def test_a_refused_follow_up_in_dutch_starts_with_a_capital(client, organiser, published):
    client.force_login(organiser)
    client.cookies["django_language"] = "nl"
    later = datetime.date.today() + datetime.timedelta(days=3)
    response = client.post(
        reverse("designer:follow_up", args=[published.slug]),
        {"question": "", "outcome": "adopted", "reasoning": "Zo.", "decided_on": later},
    )
    html = response.content.decode()
    assert "Geef de datum van het besluit, niet later dan vandaag." in html
    assert "geef de datum" not in html


def test_a_refused_timeline_row_is_named_in_the_summary(staff, published):
    url = reverse("designer:process_edit", args=[published.slug])
    data = form_data(
        published, **{"timeline-0-date": "", "timeline-0-label": "Besluit", "timeline-0-kind": None}
    )
    data["timeline-INITIAL_FORMS"] = "1"
    response = staff.post(url, data)
    assert response.status_code == 400
    assert f'<a href="#id_timeline-0-date">Timeline, row 1: Date {DASH} ' in summary(
        response.content.decode()
    )


# 4. More rows ---------------------------------------------------------------------------------


def test_the_new_process_form_has_blank_rows_and_a_row_template(staff):
    html = staff.get(reverse("designer:process_create")).content.decode()
    for prefix in ("timeline", "panel"):
        assert f'name="{prefix}-TOTAL_FORMS" value="4"' in html
        assert f'<fieldset data-formset="{prefix}">' in html
        assert f'id="id_{prefix}-__prefix__-' in html  # the template "Add a row" copies
    # Without JavaScript the button is hidden: the blank rows stand in for it.
    assert html.count("data-add-row hidden>+ Add a row") == 2
    assert "js/designer.js" in html


def test_blank_rows_are_skipped_and_added_rows_are_kept(staff, organiser):
    data = {
        "title": "Nieuw plein",
        "language": "nl",
        "level": "consult",
        "entry_mode": "single",
        "card_rule": "latest_wins",
        "retention_photos_days": 30,
        "retention_texts_months": 12,
        "timeline-TOTAL_FORMS": "6",  # four blank rows and two added on the page
        "timeline-INITIAL_FORMS": "0",
        "timeline-1-date": "2027-03-01",
        "timeline-1-label": "Plan",
        "timeline-1-kind": "plan",
        "timeline-5-date": "2027-06-01",
        "timeline-5-label": "Raadsbesluit",
        "timeline-5-kind": "decision",
        "panel-TOTAL_FORMS": "5",
        "panel-INITIAL_FORMS": "0",
        "panel-0-name": "Wethouder De Vries",
        "panel-4-name": "Projectleider Bakker",
    }
    for index in range(6):
        data.setdefault(f"timeline-{index}-kind", "other")
    response = staff.post(reverse("designer:process_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    process = Process.objects.get(title="Nieuw plein")
    assert list(process.milestones.values_list("label", flat=True)) == ["Plan", "Raadsbesluit"]
    assert list(PanelMember.objects.filter(process=process).values_list("name", flat=True)) == [
        "Wethouder De Vries",
        "Projectleider Bakker",
    ]


# 5. Wording -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_timeline_help_names_the_types_as_the_choice_does(client, organiser, language):
    client.force_login(organiser)
    client.cookies["django_language"] = language
    html = client.get(reverse("designer:process_create")).content.decode()
    with translation.override(language):
        labels = [str(label) for _value, label in MilestoneKind.choices]
    help_text = re.search(r"\(([^()]*)\)\. ", html.split('id="timeline-legend"')[1]).group(1)
    assert help_text == ", ".join(labels)
    for label in labels:
        assert f">{label}</option>" in html


def test_the_export_page_has_the_name_of_its_button(client, organiser, published):
    client.force_login(organiser)
    client.cookies["django_language"] = "nl"
    detail = client.get(reverse("designer:process_detail", args=[published.slug]))
    buttons = dict(
        re.findall(r'name="format" value="([^"]+)" class="button">([^<]+)</button>', detail.text)
    )
    assert buttons["pdf"] == "Verslag voor de raad (PDF)"
    assert set(buttons) == set(ExportJob.Format.values)
    for fmt, name in buttons.items():
        job = ExportJob.objects.create(process=published, format=fmt)
        page = client.get(reverse("designer:export_page", args=[published.slug, job.pk])).text
        assert f"<h1>{name}</h1>" in page and f"<title>{name} · Inspraak</title>" in page
