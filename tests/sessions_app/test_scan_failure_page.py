"""A scan whose reading failed says so in plain words; the technical text stays in the log."""

import pytest
from django.urls import reverse

from sessions_app.models import FormScan

pytestmark = pytest.mark.django_db


def test_a_failed_scan_shows_a_sentence_not_the_exception(client, paper_session, organiser):
    session, _questions = paper_session
    scan = FormScan.objects.create(
        session=session,
        sha256="0" * 64,
        name="forms.pdf",
        origin=FormScan.Origin.UPLOAD,
        reader_version="test",
        state=FormScan.State.FAILED,
        pages=2,
        progress=1,
        error="ValueError: cannot reshape array of size 0 into shape (0,3)",
        created_by=organiser,
    )
    client.force_login(organiser)
    client.cookies["django_language"] = "en"
    url = reverse("paper:scan", args=[session.process.slug, session.pk, scan.pk])
    html = client.get(url).content.decode()
    assert "Reading this file stopped with an error" in html
    assert "The server log has the technical details." in html
    assert "reshape" not in html
