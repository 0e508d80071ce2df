"""A printed council report carries whole addresses a reader can type: on ``SITE_URL``
when it is set, else on the address of the request that asked for the report (its host
checked against ALLOWED_HOSTS by Django); made by a command with neither, the report
names the public page but prints no bare path."""

from unittest import mock

import pypdfium2 as pdfium
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from sessions_app.exports import data
from sessions_app.models import ExportJob
from sessions_app.services import background, exports
from sessions_app.services.processes import process_publish

pytestmark = pytest.mark.django_db


def _text(path) -> str:
    document = pdfium.PdfDocument(str(path))
    try:
        return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in document)
    finally:
        document.close()


@pytest.fixture
def published(process, make_question, organiser):
    make_question("single_choice")
    process_publish(user=organiser, process=process)
    process.refresh_from_db()
    return process


def _through_the_view(client, organiser, process, django_capture_on_commit_callbacks, **extra):
    """Ask for the report on the process page; run the background command it queues,
    with the arguments it was queued with."""
    client.force_login(organiser)
    url = reverse("designer:export_create", args=[process.slug])
    with (
        mock.patch.object(background, "start_command") as start,
        django_capture_on_commit_callbacks(execute=True),
    ):
        answer = client.post(url, {"format": "pdf"}, **extra)
    assert answer.status_code == 302
    [(args, _kwargs)] = start.call_args_list
    call_command(*args)
    job = ExportJob.objects.get(process=process, format="pdf")
    assert job.state == ExportJob.State.DONE, job.error
    return args, _text(exports.file_path(job))


def test_without_site_url_the_report_links_to_the_address_it_was_asked_from(
    client, organiser, published, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = ""
    args, text = _through_the_view(client, organiser, published, django_capture_on_commit_callbacks)
    assert args == ("run_export", args[1], "--base-url", "http://testserver")
    assert f"http://testserver/p/{published.slug}/log/" in text


def test_the_host_is_the_one_django_let_in(
    client, organiser, published, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["testserver", "inspraak.gemeente.test"]
    _args, text = _through_the_view(
        client,
        organiser,
        published,
        django_capture_on_commit_callbacks,
        HTTP_HOST="inspraak.gemeente.test",
        secure=True,
    )
    assert f"https://inspraak.gemeente.test/p/{published.slug}/log/" in text
    # A host Django does not let in asks for nothing.
    ExportJob.objects.all().delete()
    refused = client.post(
        reverse("designer:export_create", args=[published.slug]),
        {"format": "pdf"},
        HTTP_HOST="elders.example",
    )
    assert refused.status_code == 400
    assert not ExportJob.objects.exists()


def test_with_site_url_the_report_links_there(
    client, organiser, published, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://inspraak.voorbeeldstad.nl"
    _args, text = _through_the_view(
        client, organiser, published, django_capture_on_commit_callbacks
    )
    assert f"https://inspraak.voorbeeldstad.nl/p/{published.slug}/log/" in text
    assert "testserver" not in text


def test_with_neither_the_report_prints_no_bare_path(published, settings, tmp_path):
    settings.SITE_URL = ""
    path = tmp_path / "verslag.pdf"
    call_command("export_results", published.slug, "--format", "pdf", "-o", str(path))
    text = _text(path)
    assert f"/p/{published.slug}" not in text
    with translation.override(published.language):
        sentence = gettext(
            "Every step that shaped these results is written in a log in which each entry "
            "seals the one before it, so a later change would show. Anyone can check the "
            "log, without special software, on the process's public page."
        )
    assert " ".join(sentence.split()) in text
    # The command can be given the address.
    call_command(
        "export_results",
        published.slug,
        "--format",
        "pdf",
        "-o",
        str(path),
        "--base-url",
        "https://inspraak.voorbeeldstad.nl/",
    )
    assert f"https://inspraak.voorbeeldstad.nl/p/{published.slug}/log/" in _text(path)


def test_a_base_url_that_is_no_web_address_is_refused(published, tmp_path):
    for bad in ("javascript:alert(1)", "inspraak.example.nl", "https://user:pw@host.example"):
        assert data.site_address(bad) == ""
        with pytest.raises(CommandError):
            call_command(
                "export_results",
                published.slug,
                "--format",
                "pdf",
                "-o",
                str(tmp_path / "x.pdf"),
                "--base-url",
                bad,
            )
    assert not (tmp_path / "x.pdf").exists()
    assert data.site_address("http://testserver/") == "http://testserver"
    # A path is kept, as SITE_URL's is: a site served under /inspraak/.
    assert (
        data.site_address("https://gemeente.example.nl:8443/inspraak/")
        == "https://gemeente.example.nl:8443/inspraak"
    )
    assert data.site_address("https://stem.example.nl/?x=1") == "https://stem.example.nl"
