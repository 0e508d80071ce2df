"""Posters, slips and attendee cards: their QR codes open the right join links."""

import io

import numpy as np
import pdfplumber
import pypdfium2
import pytest
import zxingcpp
from django.urls import reverse

pytestmark = pytest.mark.django_db


def codes_on(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        texts = []
        for page in document:
            image = np.array(page.render(scale=2.0, grayscale=True).to_pil())
            texts += [result.text for result in zxingcpp.read_barcodes(image)]
        return texts
    finally:
        document.close()


@pytest.mark.parametrize("size", ["A4", "A3"])
def test_poster(client, live_session, organiser, size):
    client.force_login(organiser)  # a draft's poster is for its staff
    response = client.get(reverse("paper:poster", args=[live_session.join_code]), {"size": size})
    assert response["Content-Type"] == "application/pdf"
    dossier = f"http://testserver/p/{live_session.process.slug}/#dossier"
    assert sorted(codes_on(response.content)) == sorted(
        [f"http://testserver/j/{live_session.join_code}/", dossier]
    )
    with pdfplumber.open(io.BytesIO(response.content)) as document:
        page = document.pages[0]
        text = page.extract_text()
        assert live_session.join_code in text
        # The dossier's QR code has its caption and the address in text.
        assert "dossier" in text and f"testserver/p/{live_session.process.slug}" in text
        assert round(page.width) == {"A4": 595, "A3": 842}[size]


def test_slips(client, live_session, organiser):
    client.force_login(organiser)
    response = client.get(reverse("paper:slips", args=[live_session.join_code]))
    assert codes_on(response.content) == [f"http://testserver/j/{live_session.join_code}/"] * 8


def test_attendee_cards(client, live_session, organiser):
    client.force_login(organiser)
    url = reverse("paper:cards", args=[live_session.process.slug, live_session.pk])
    response = client.post(url, {"count": "12"})
    assert response["Content-Disposition"].startswith("attachment;")
    cards = list(live_session.cards.values_list("code", flat=True))
    assert len(cards) == 12
    found = codes_on(response.content)
    assert sorted(found) == sorted(
        f"http://testserver/j/{live_session.join_code}/?card={c}" for c in cards
    )
