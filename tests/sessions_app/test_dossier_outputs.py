"""The dossier in the council's outputs: the report (PDF) and the workbook carry the
documents the public page shows, each with its SHA-256 as the log holds it, so the
council's copy binds the same files; a document taken out of the dossier is not in them."""

import hashlib

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from sessions_app.services import dossier
from sessions_app.services.processes import process_publish
from tests.sessions_app.test_evening_outputs import report

from .test_dossier import PDF, png

pytestmark = pytest.mark.django_db

PLAN = PDF.replace(b"%%EOF", b"% plan\n%%EOF")
OLD = PDF.replace(b"%%EOF", b"% old\n%%EOF")


@pytest.fixture
def with_dossier(process, organiser, live_session, make_question):
    """A published process whose dossier holds a council proposal (PDF), a drawing (PNG),
    a link and the council's decision; an outdated document was taken out again."""
    make_question("single_choice")
    process_publish(user=organiser, process=process)

    def add(content, **values):
        return dossier.document_add(user=organiser, process=process, content=content, **values)

    documents = {
        "proposal": add(
            PDF,
            title="Raadsvoorstel herinrichting",
            kind="proposal",
            day="2027-02-01",
            summary="Het college stelt voor het plein groener te maken.",
        ),
        "drawing": add(
            png(),
            title="Schetsontwerp Stationsplein",
            kind="plan",
            day="2026-11-20",
            summary="De tekening toont bomen langs de oostkant.",
            alt_text="Bovenaanzicht van het plein met twaalf bomen.",
        ),
        "old": add(
            OLD,
            title="Verouderde planning",
            kind="other",
            day="2026-10-01",
            summary="Deze planning geldt niet meer.",
        ),
    }
    dossier.item_remove(user=organiser, process=process, document_id=documents["old"].pk)
    dossier.link_add(
        user=organiser,
        process=process,
        title="Raadsinformatiebrief",
        url="https://raad.example.nl/brief/12",
        day="2026-12-01",
        summary="De wethouder licht de planning toe.",
    )
    dossier.decision_record(
        user=organiser,
        process=process,
        date="2025-12-10",
        summary="De raad stemt in met het groene plein.",
        url="https://raad.example.nl/besluit/3",
    )
    process.refresh_from_db()
    return process, documents


def _pdf_text(process, tmp_path) -> str:
    """The council report's text, its pages joined."""
    return " ".join(report(process, tmp_path))


def test_the_report_carries_the_dossier_with_each_documents_hash(with_dossier, tmp_path):
    process, documents = with_dossier
    text = _pdf_text(process, tmp_path)
    for kept in ("proposal", "drawing"):
        document = documents[kept]
        assert document.title in text and document.summary in text
        assert document.sha256 in text
    assert hashlib.sha256(PDF).hexdigest() in text  # the file the log binds
    # Type and date as the public page shows them, in the process's language.
    assert "Raadsvoorstel · 1 februari 2027" in text
    assert "Plan of tekening · 20 november 2026" in text
    assert "Bovenaanzicht van het plein met twaalf bomen." in text
    # The link and the council's decision, as in the public page's dossier.
    assert "Raadsinformatiebrief" in text and "https://raad.example.nl/brief/12" in text
    assert "De raad stemt in met het groene plein." in text and "10 december 2025" in text
    # Taken out of the dossier: neither its title nor its file's hash.
    old = documents["old"]
    assert old.title not in text and old.summary not in text and old.sha256 not in text
    # Where the public page has it: after the promise, before the timeline and results.
    with translation.override("nl"):
        promise, heading, timeline, waiting = (
            gettext("What will be done with the input"),
            gettext("Dossier: the background"),
            gettext("Timeline"),
            gettext("Sessions not held yet"),
        )
    at = text.index(heading)
    assert text.index(promise) < at < text.index(timeline) < text.index(waiting)
    # Newest first, as on the public page: the decision, then the documents, the link.
    assert (
        at
        < text.index("De raad stemt in")
        < text.index(documents["proposal"].title)
        < text.index(documents["drawing"].title)
        < text.index("Raadsinformatiebrief")
    )


def test_a_report_without_a_dossier_has_no_dossier_section(
    process, organiser, live_session, make_question, tmp_path
):
    make_question("single_choice")
    process_publish(user=organiser, process=process)
    text = _pdf_text(process, tmp_path)
    with translation.override("nl"):
        assert gettext("Dossier: the background") not in text
        assert gettext("What will be done with the input") in text


def test_the_workbooks_process_sheet_lists_the_dossier(with_dossier, tmp_path):
    process, documents = with_dossier
    path = tmp_path / "raad.xlsx"
    call_command(
        "export_results",
        process.slug,
        "--format",
        "xlsx",
        "-o",
        str(path),
        "--base-url",
        "https://inspraak.example.nl",
    )
    book = load_workbook(path)
    with translation.override("nl"):
        sheet = book[gettext("Process")]
        heading = gettext("Dossier: the background")
        meetings = gettext("Meetings")
    rows = [tuple(cell for cell in row) for row in sheet.iter_rows(values_only=True)]
    first = [row[0] for row in rows]
    start, end = first.index(heading), first.index(meetings)
    assert start < end  # the dossier before the meetings, whose table keeps the filter
    table = {row[0]: row for row in rows[start + 2 : end] if row[0]}
    proposal = table[documents["proposal"].title]
    assert proposal[1] == documents["proposal"].summary
    assert proposal[2] == "Raadsvoorstel"
    assert proposal[3].date().isoformat() == "2027-02-01"
    assert proposal[4] == hashlib.sha256(PDF).hexdigest()
    assert proposal[5] == (
        f"https://inspraak.example.nl/p/{process.slug}/dossier/{documents['proposal'].pk}/"
    )
    assert table[documents["drawing"].title][4] == documents["drawing"].sha256
    assert table["Raadsinformatiebrief"][5] == "https://raad.example.nl/brief/12"
    assert documents["old"].title not in table
    assert all(documents["old"].sha256 not in row for row in rows)
    assert sheet.auto_filter.ref.startswith(f"A{end + 2}:")
