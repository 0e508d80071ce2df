"""The dossier (issue 22, first part): documents with a plain-language summary (images with
their alternative text) and links to council documents; checked by content, kept under
their SHA-256, which the log holds; on the public page and downloadable by anyone."""

import hashlib
import io
from datetime import date

import pytest
from django.urls import reverse
from PIL import Image

from sessions_app.exceptions import InputRejected
from sessions_app.models import DossierDocument, DossierLink, LogEntry
from sessions_app.services import dossier
from sessions_app.services.processes import process_publish

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (0, 120, 60)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def published(process, organiser, live_session, make_question):
    make_question("single_choice")
    process_publish(user=organiser, process=process)
    return process


def add(process, user, content=PDF, **overrides):
    values = {
        "title": "Raadsvoorstel herinrichting",
        "kind": "proposal",
        "day": "2027-02-01",
        "summary": "Het college stelt voor het plein groener te maken.",
    }
    values.update(overrides)
    return dossier.document_add(user=user, process=process, content=content, **values)


def test_a_document_is_kept_under_its_hash_and_logged(published, organiser):
    document = add(published, organiser)
    digest = hashlib.sha256(PDF).hexdigest()
    assert (document.sha256, document.content_type, document.size) == (
        digest,
        "application/pdf",
        len(PDF),
    )
    assert dossier.document_path(document).read_bytes() == PDF
    logged = LogEntry.objects.get(action="dossier.document_added")
    assert logged.data["sha256"] == digest and logged.data["summary"].startswith("Het college")


@pytest.mark.parametrize(
    ("content", "overrides", "code"),
    [
        (b"<html>not a pdf</html>", {}, "not_document"),
        (PDF, {"summary": "  "}, "summary_required"),
        (PDF, {"summary": "x" * 1001}, "summary_too_long"),
        (PDF, {"title": ""}, "title_required"),
        (PDF, {"kind": "poster"}, "invalid_kind"),
        (PDF, {"day": "morgen"}, "invalid_date"),
        (None, {}, "alt_text_required"),  # an image without its alternative text
        (PDF + b"x" * dossier.DOCUMENT_MAX_BYTES, {}, "document_too_large"),
    ],
)
def test_bad_documents_are_refused_and_change_nothing(
    published, organiser, content, overrides, code
):
    before = (DossierDocument.objects.count(), LogEntry.objects.count())
    with pytest.raises(InputRejected) as caught:
        add(published, organiser, content=png() if content is None else content, **overrides)
    assert caught.value.code == code
    assert (DossierDocument.objects.count(), LogEntry.objects.count()) == before


def test_links_need_a_web_address_and_a_summary(published, organiser):
    for url in ("javascript:alert(1)", "ftp://x.nl/a", "https://a b"):
        with pytest.raises(InputRejected) as caught:
            dossier.link_add(
                user=organiser,
                process=published,
                title="Besluit",
                url=url,
                day=date(2026, 5, 1),
                summary="Samenvatting.",
            )
        assert caught.value.code == "invalid_url"
    link = dossier.link_add(
        user=organiser,
        process=published,
        title="Raadsbesluit 2026",
        url="https://zuiderhaven.raadsinformatie.nl/document/123",
        day=date(2026, 5, 1),
        summary="De raad koos vorig jaar voor een autoluw centrum.",
    )
    assert LogEntry.objects.get(action="dossier.link_added").data["url"] == link.url


def test_the_public_page_shows_the_dossier_and_serves_the_document(client, published, organiser):
    document = add(published, organiser)
    image = add(
        published,
        organiser,
        content=png(),
        title="Schetsontwerp",
        kind="plan",
        alt_text="Schets van het plein met bomen langs de randen en een markt in het midden.",
    )
    dossier.link_add(
        user=organiser,
        process=published,
        title="Raadsbesluit 2026",
        url="https://zuiderhaven.raadsinformatie.nl/document/123",
        day=date(2026, 5, 1),
        summary="De raad koos vorig jaar voor een autoluw centrum.",
    )
    page = client.get(published.get_absolute_url()).content.decode()
    section = page.split('id="dossier-heading"')[1].split("</section>")[0]
    assert "Het college stelt voor het plein groener te maken." in section
    assert 'alt="Schets van het plein met bomen' in section
    assert document.sha256 in section and "raadsinformatie.nl/document/123" in section
    download = client.get(reverse("public:dossier_document", args=[published.slug, document.pk]))
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == document.sha256
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    shown = client.get(reverse("public:dossier_document", args=[published.slug, image.pk]))
    assert shown["Content-Type"] == "image/png" and "inline" in shown["Content-Disposition"]
    # Taken out: gone from the page and the address, logged; the file stays as evidence.
    dossier.item_remove(user=organiser, process=published, document_id=document.pk)
    assert (
        client.get(
            reverse("public:dossier_document", args=[published.slug, document.pk])
        ).status_code
        == 404
    )
    assert document.sha256 not in client.get(published.get_absolute_url()).content.decode()
    assert LogEntry.objects.filter(action="dossier.removed").count() == 1
    assert dossier.document_path(document).exists()


def test_the_organiser_adds_documents_and_links_on_the_dossier_page(client, published, organiser):
    client.force_login(organiser)
    url = reverse("designer:dossier", args=[published.slug])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "action": "document",
            "file": io.BytesIO(PDF),
            "title": "Begroting",
            "kind": "budget",
            "date": "2027-01-10",
            "summary": "Het plein kost 2,4 miljoen euro.",
        },
        follow=True,
    )
    assert "Het plein kost 2,4 miljoen euro." in response.content.decode()
    response = client.post(
        url,
        {"action": "link", "title": "Besluit", "url": "nee", "date": "2027-01-10", "summary": "x"},
        follow=True,
    )
    assert "https://" in response.content.decode()  # the error names what is needed
    assert DossierLink.objects.count() == 0
    # Only the process's organisers.
    client.logout()
    assert client.get(url).status_code in (302, 404)


def test_the_evidence_check_binds_the_dossier_to_the_log(published, organiser):
    from sessions_app.binding import rows_verify

    document = add(published, organiser)
    link = dossier.link_add(
        user=organiser,
        process=published,
        title="Raadsbesluit",
        url="https://zuiderhaven.raadsinformatie.nl/document/1",
        day=date(2026, 5, 1),
        summary="Het besluit van vorig jaar.",
    )
    dossier.item_remove(user=organiser, process=published, link_id=link.pk)
    assert rows_verify(process=published) is None
    # A summary edited behind the log's back is named.
    DossierDocument.objects.filter(pk=document.pk).update(summary="Iets anders.")
    problem = rows_verify(process=published)
    assert (problem.table, problem.row_id, problem.field) == (
        "dossier_document",
        document.pk,
        "summary",
    )
    DossierDocument.objects.filter(pk=document.pk).update(summary=document.summary)
    # A link put back without a log entry, and a swapped file, are named too.
    DossierLink.objects.filter(pk=link.pk).update(removed_at=None)
    assert rows_verify(process=published).field == "removed"
    DossierLink.objects.filter(pk=link.pk).update(removed_at=document.created_at)
    assert rows_verify(process=published) is None
    dossier.document_path(document).write_bytes(PDF + b"% changed\n")
    assert rows_verify(process=published).field == "file"


def _page_post(client, published, organiser, data):
    client.cookies["django_language"] = "en"
    client.force_login(organiser)
    return client.post(reverse("designer:dossier", args=[published.slug]), data)


def test_a_rejected_document_shows_the_page_again_with_what_was_typed(client, published, organiser):
    upload = io.BytesIO(b"# Notities\n")
    upload.name = "notities.md"
    response = _page_post(
        client,
        published,
        organiser,
        {
            "action": "document",
            "file": upload,
            "title": "Plan & <tekening>",
            "kind": "budget",
            "date": "2027-01-10",
            "summary": "Het plein\nkost 2,4 miljoen euro.",
            "alt_text": "Een kaart van het plein",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="doc-file-error"' in page and "This file is not a PDF, PNG or JPEG." in page
    assert 'value="Plan &amp; &lt;tekening&gt;"' in page
    assert '<option value="budget" selected>' in page
    assert 'value="2027-01-10"' in page
    assert ">Het plein\nkost 2,4 miljoen euro.</textarea>" in page
    assert 'value="Een kaart van het plein"' in page
    assert DossierDocument.objects.count() == 0
    assert not LogEntry.objects.filter(action="dossier.document_added").exists()


def test_a_document_without_a_file_asks_for_a_file_or_a_link(client, published, organiser):
    response = _page_post(
        client,
        published,
        organiser,
        {"action": "document", "title": "Begroting", "kind": "budget", "date": "2027-01-10"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose a file (PDF, PNG or JPEG)" in page and "Add a link to it instead." in page
    assert "is not a PDF" not in page
    assert 'value="Begroting"' in page and 'value="2027-01-10"' in page
    assert DossierDocument.objects.count() == 0


def test_a_rejected_field_keeps_the_file_choice_asked_again(client, published, organiser):
    response = _page_post(
        client,
        published,
        organiser,
        {
            "action": "document",
            "file": io.BytesIO(PDF),
            "title": "Begroting",
            "kind": "budget",
            "date": "2027-01-10",
            "summary": "   ",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="doc-summary-error"' in page and "Write a short summary" in page
    assert "Choose the file again" in page
    assert 'value="Begroting"' in page
    assert DossierDocument.objects.count() == 0


def test_a_rejected_link_shows_the_page_again_with_what_was_typed(client, published, organiser):
    response = _page_post(
        client,
        published,
        organiser,
        {
            "action": "link",
            "title": "Besluit van de raad",
            "url": "raad.example.nl/besluit",
            "date": "2027-01-10",
            "summary": "De raad stemde in.",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="link-url-error"' in page and "starts with https:// or http://" in page
    assert 'value="Besluit van de raad"' in page and 'value="raad.example.nl/besluit"' in page
    assert ">De raad stemde in.</textarea>" in page and 'value="2027-01-10"' in page
    assert DossierLink.objects.count() == 0
    assert not LogEntry.objects.filter(action="dossier.link_added").exists()


def test_a_decision_in_the_future_keeps_its_summary(client, published, organiser):
    response = _page_post(
        client,
        published,
        organiser,
        {"action": "decision", "date": "2999-01-01", "summary": "De raad stemde in."},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="decision-date-error"' in page and "not in the future" in page
    assert ">De raad stemde in.</textarea>" in page and 'value="2999-01-01"' in page
    assert not LogEntry.objects.filter(action="process.decided").exists()


def test_an_accepted_form_still_redirects(client, published, organiser):
    response = _page_post(
        client,
        published,
        organiser,
        {
            "action": "link",
            "title": "Besluit",
            "url": "https://raad.example.nl/besluit",
            "date": "2027-01-10",
            "summary": "De raad stemde in.",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("designer:dossier", args=[published.slug])
    assert DossierLink.objects.count() == 1


def test_the_same_file_twice_is_refused_naming_the_document_that_has_it(
    published, organiser, make_process
):
    first = add(published, organiser, title="Raadsvoorstel herinrichting")
    before = (DossierDocument.objects.count(), LogEntry.objects.count())
    with pytest.raises(InputRejected) as caught:
        add(published, organiser, title="Raadsvoorstel (nog eens)", kind="decision")
    assert caught.value.code == "document_already_added"
    assert caught.value.params == {"title": "Raadsvoorstel herinrichting"}
    assert "“Raadsvoorstel herinrichting”" in caught.value.message
    assert (DossierDocument.objects.count(), LogEntry.objects.count()) == before
    # Another file, and the same file in another process's dossier, are added.
    add(published, organiser, content=PDF + b"% versie 2\n", title="Versie 2")
    other = make_process(title="Speeltuin Noord")
    assert add(other, organiser).sha256 == first.sha256
    # Taken out of the dossier, it can be added again.
    dossier.item_remove(user=organiser, process=published, document_id=first.pk)
    again = add(published, organiser, title="Raadsvoorstel, nieuwe samenvatting")
    assert again.sha256 == first.sha256 and again.pk != first.pk


def test_the_same_file_again_on_the_page_shows_the_error_and_keeps_the_form(
    client, published, organiser
):
    add(published, organiser, title="Begroting 2027")
    before = (DossierDocument.objects.count(), LogEntry.objects.count())
    response = _page_post(
        client,
        published,
        organiser,
        {
            "action": "document",
            "file": io.BytesIO(PDF),
            "title": "Begroting, herzien",
            "kind": "budget",
            "date": "2027-03-01",
            "summary": "Het plein kost nu 2,6 miljoen euro.",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="doc-file-error"' in page
    assert "This file is already in the dossier, as “Begroting 2027”." in page
    assert 'value="Begroting, herzien"' in page
    assert '<option value="budget" selected>' in page and 'value="2027-03-01"' in page
    assert ">Het plein kost nu 2,6 miljoen euro.</textarea>" in page
    assert (DossierDocument.objects.count(), LogEntry.objects.count()) == before


def test_the_duplicate_check_runs_with_the_process_row_locked(published, organiser):
    """Two uploads of the same file at once: the check for a file the dossier has and the
    insert are one step per process, since the process row is locked (FOR NO KEY UPDATE
    on PostgreSQL) before the check, inside the transaction that inserts."""
    from unittest import mock

    from django.db import connection
    from django.db.models.query import QuerySet
    from django.test.utils import CaptureQueriesContext

    from sessions_app.models import Process

    locks = []
    select_for_update = QuerySet.select_for_update

    def spy(queryset, *args, **kwargs):
        if queryset.model is Process:
            locks.append((kwargs, len(queries.captured_queries)))
        return select_for_update(queryset, *args, **kwargs)

    with (
        CaptureQueriesContext(connection) as queries,
        mock.patch.object(QuerySet, "select_for_update", spy),
    ):
        add(published, organiser)
    assert locks, "the process row is not locked"
    kwargs, at = locks[0]
    assert kwargs == {"no_key": True}
    sqls = [q["sql"] for q in queries.captured_queries]
    check = next(
        i for i, sql in enumerate(sqls) if sql.startswith("SELECT") and "dossierdocument" in sql
    )
    # The lock is the process row read right before the check (one query after the spy).
    assert at < check and '"sessions_app_process"' in sqls[at]
    if connection.features.has_select_for_no_key_update:
        assert sqls[at].endswith("FOR NO KEY UPDATE")
