"""The dossier in the design file (issue 22, second part): its metadata travels, never its
files. A document is imported only when this installation keeps a file with its SHA-256;
the others are named to be uploaded, and the import does not fail for them."""

import copy
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from sessions_app.binding import rows_verify
from sessions_app.design import process_to_dict
from sessions_app.exceptions import DesignError
from sessions_app.models import DossierDocument, DossierLink, LogEntry
from sessions_app.services import dossier
from sessions_app.services.design_io import (
    design_file_problems,
    documents_to_upload,
    process_import,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 60)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def with_dossier(process, organiser):
    """A process whose dossier has a PDF, an image, a link, and a link taken out."""
    dossier.document_add(
        user=organiser,
        process=process,
        content=PDF,
        title="Raadsvoorstel",
        kind="proposal",
        day="2027-02-01",
        summary="Het college stelt een groen plein voor.",
    )
    dossier.document_add(
        user=organiser,
        process=process,
        content=png(),
        title="Schetsontwerp",
        kind="plan",
        day="2027-01-05",
        summary="Zo kan het plein eruitzien.",
        alt_text="Schets van het plein met bomen langs de randen.",
    )
    dossier.link_add(
        user=organiser,
        process=process,
        title="Raadsbesluit autoluw centrum",
        url="https://zuiderhaven.raadsinformatie.nl/document/123",
        day="2026-05-01",
        summary="De raad koos voor een autoluw centrum.",
    )
    gone = dossier.link_add(
        user=organiser,
        process=process,
        title="Oud stuk",
        url="https://example.org/oud",
        day="2025-01-01",
        summary="Vervallen.",
    )
    dossier.item_remove(user=organiser, process=process, link_id=gone.pk)
    return process


def test_the_export_holds_the_dossiers_metadata_in_the_order_added(with_dossier):
    exported = process_to_dict(with_dossier)["dossier"]
    assert [d["title"] for d in exported["documents"]] == ["Raadsvoorstel", "Schetsontwerp"]
    assert exported["documents"][0] == {
        "title": "Raadsvoorstel",
        "kind": "proposal",
        "date": "2027-02-01",
        "summary": "Het college stelt een groen plein voor.",
        "alt_text": "",
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "content_type": "application/pdf",
    }
    assert exported["documents"][1]["alt_text"].startswith("Schets van het plein")
    assert exported["links"] == [
        {
            "title": "Raadsbesluit autoluw centrum",
            "url": "https://zuiderhaven.raadsinformatie.nl/document/123",
            "date": "2026-05-01",
            "summary": "De raad koos voor een autoluw centrum.",
        }
    ]
    assert design_file_problems(process_to_dict(with_dossier)) == []


def test_round_trip_on_the_installation_that_keeps_the_files(with_dossier, organiser):
    exported = process_to_dict(with_dossier)
    assert documents_to_upload(exported) == []
    copy_ = process_import(user=organiser, data=exported)
    again = process_to_dict(copy_)
    assert again["dossier"] == exported["dossier"]
    assert {k: v for k, v in again.items() if k != "title"} == {
        k: v for k, v in exported.items() if k != "title"
    }
    logged = LogEntry.objects.filter(process=copy_).values_list("action", flat=True)
    assert list(logged).count("dossier.document_added") == 2
    assert list(logged).count("dossier.link_added") == 1
    assert rows_verify(process=copy_) is None


def test_a_document_whose_file_is_not_kept_is_named_not_refused(with_dossier, organiser):
    exported = process_to_dict(with_dossier)
    missing = b"%PDF-1.4\n% elders bewaard\n%%EOF\n"
    exported["dossier"]["documents"].append(
        {
            "title": "Begroting",
            "kind": "budget",
            "date": "2027-01-10",
            "summary": "Het plein kost 2,4 miljoen euro.",
            "alt_text": "",
            "sha256": hashlib.sha256(missing).hexdigest(),
            "content_type": "application/pdf",
        }
    )
    process = process_import(user=organiser, data=exported)
    assert [d.title for d in process.documents.order_by("id")] == ["Raadsvoorstel", "Schetsontwerp"]
    assert documents_to_upload(exported) == [
        {
            "path": "dossier.documents[2]",
            "title": "Begroting",
            "sha256": hashlib.sha256(missing).hexdigest(),
            "content_type": "application/pdf",
        }
    ]
    # A kept file that no longer matches its hash is no copy of it either.
    document = DossierDocument.objects.filter(process=with_dossier).first()
    dossier.document_path(document).write_bytes(PDF + b"% anders\n")
    assert [d["title"] for d in documents_to_upload(exported)] == ["Raadsvoorstel", "Begroting"]


def test_the_command_and_the_designer_say_which_files_to_upload(
    with_dossier, organiser, tmp_path, capsys, client
):
    exported = process_to_dict(with_dossier)
    exported["dossier"]["documents"][0]["sha256"] = "0" * 64
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    call_command("import_process", str(path), "--organiser", organiser.username)
    out, err = capsys.readouterr()
    slug = out.strip()
    assert "\n" not in slug and DossierLink.objects.filter(process__slug=slug).count() == 1
    assert "dossier.documents[0]" in err and "Raadsvoorstel" in err and "0" * 64 in err

    client.force_login(organiser)
    upload = io.BytesIO(json.dumps(exported).encode())
    upload.name = "plan.json"
    response = client.post(reverse("designer:process_import"), {"file": upload})
    assert response.status_code == 302 and response["Location"].endswith("/dossier/")
    page = client.get(response["Location"]).content.decode()
    assert "Raadsvoorstel" in page and "0" * 64 in page


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        (lambda d: d["documents"][0].update(kind="poster"), "dossier.documents[0].kind", "not_allowed"),
        (lambda d: d["documents"][0].update(summary=" "), "dossier.documents[0].summary", "summary_required"),
        (lambda d: d["documents"][0].pop("summary"), "dossier.documents[0].summary", "required"),
        (lambda d: d["documents"][1].update(alt_text=""), "dossier.documents[1].alt_text", "alt_text_required"),
        (lambda d: d["documents"][0].update(sha256="../../etc"), "dossier.documents[0].sha256", "wrong_format"),
        (lambda d: d["links"][0].update(url="javascript:alert(1)"), "dossier.links[0].url", "invalid_url"),
        (lambda d: d["links"][0].update(title=""), "dossier.links[0].title", "title_required"),
        (lambda d: d["links"][0].update(date="morgen"), "dossier.links[0].date", "wrong_format"),
    ],
)  # fmt: skip
def test_a_bad_dossier_in_a_file_is_reported_with_its_path(
    with_dossier, organiser, change, path, code
):
    data = copy.deepcopy(process_to_dict(with_dossier))
    change(data["dossier"])
    problems = design_file_problems(data)
    assert [(p.path, p.code) for p in problems] == [(path, code)]
    before = LogEntry.objects.count()
    with pytest.raises(DesignError):
        process_import(user=organiser, data=data)
    assert LogEntry.objects.count() == before


def test_a_hash_alone_brings_back_no_file_the_importer_may_not_see(
    with_dossier, organiser, make_user
):
    """Every file's hash is in its process's public log, and files stay kept after they
    are taken out of a dossier. Another organiser's design file naming such a hash gets no
    copy: not of a draft they have no role on, nor of a document taken out; a document
    shown on a published process's public page is theirs to reuse."""
    from django.utils import timezone

    from sessions_app.models import Process, ProcessState
    from sessions_app.staff_permissions import organise_grant

    other = make_user("otto")
    organise_grant(other)
    other = type(other).objects.get(pk=other.pk)
    exported = process_to_dict(with_dossier)
    titles = ["Raadsvoorstel", "Schetsontwerp"]
    # A draft of someone else's: nothing attached, both named to be uploaded.
    copy_ = process_import(user=other, data=copy.deepcopy(exported))
    assert not copy_.documents.exists()
    assert [d["title"] for d in documents_to_upload(exported, other)] == titles
    # Its own organiser may reuse its files.
    assert documents_to_upload(exported, organiser) == []
    # Published: the files are on the public page, and anyone may reuse them.
    Process.objects.filter(pk=with_dossier.pk).update(
        state=ProcessState.PUBLISHED, published_at=timezone.now()
    )
    assert documents_to_upload(exported, other) == []
    # Taken out of the dossier: no longer shown anywhere, so not brought back by its hash.
    shown = DossierDocument.objects.get(process=with_dossier, title="Raadsvoorstel")
    dossier.item_remove(user=organiser, process=with_dossier, document_id=shown.pk)
    again = process_import(user=other, data=copy.deepcopy(exported))
    assert [d.title for d in again.documents.all()] == ["Schetsontwerp"]
    assert [d["title"] for d in documents_to_upload(exported, other)] == ["Raadsvoorstel"]


def test_a_file_listing_the_same_document_twice_imports_it_once(with_dossier, organiser):
    """A dossier holds each file once (``document_already_added``); a design file that
    lists one twice (written by hand, or exported before) is not refused for it."""
    exported = process_to_dict(with_dossier)
    twice = dict(exported["dossier"]["documents"][0], title="Raadsvoorstel, nog eens")
    exported["dossier"]["documents"].append(twice)
    copy_ = process_import(user=organiser, data=exported)
    assert [d.title for d in copy_.documents.order_by("id")] == ["Raadsvoorstel", "Schetsontwerp"]
    logged = LogEntry.objects.filter(process=copy_, action="dossier.document_added")
    assert logged.count() == 2


def test_a_missing_file_listed_twice_is_asked_for_once(with_dossier, organiser, client):
    """A design file that lists a file this installation lacks twice names it once to be
    uploaded (its first entry): a second upload of it would be refused
    (``document_already_added``), as the import itself adds a file listed twice once."""
    exported = process_to_dict(with_dossier)
    missing = b"%PDF-1.4\n% elders bewaard\n%%EOF\n"
    digest = hashlib.sha256(missing).hexdigest()
    entry = {
        "title": "Begroting",
        "kind": "budget",
        "date": "2027-01-10",
        "summary": "Het plein kost 2,4 miljoen euro.",
        "alt_text": "",
        "sha256": digest,
        "content_type": "application/pdf",
    }
    exported["dossier"]["documents"] += [entry, dict(entry, title="Begroting, nog eens")]
    assert documents_to_upload(exported) == [
        {
            "path": "dossier.documents[2]",
            "title": "Begroting",
            "sha256": digest,
            "content_type": "application/pdf",
        }
    ]
    # The designer's import: one message for it on the new process's dossier page.
    client.force_login(organiser)
    upload = io.BytesIO(json.dumps(exported).encode())
    upload.name = "plan.json"
    response = client.post(reverse("designer:process_import"), {"file": upload})
    assert response.status_code == 302 and response["Location"].endswith("/dossier/")
    page = client.get(response["Location"]).content.decode()
    assert page.count(digest) == 1 and "Begroting, nog eens" not in page
