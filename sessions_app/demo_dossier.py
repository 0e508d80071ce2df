"""The demo's dossier: what a resident of the demo town finds as background to the
Stationsplein plan. Two PDFs drawn here with reportlab (the draft design, the budget) and
an image of the square drawn with OpenCV, each with a summary in plain language (the image
with its alternative text), and two links to council documents. Added through the dossier
service, so their SHA-256 is in the log like any organiser's upload."""

from __future__ import annotations

import io
from datetime import timedelta

import cv2
import numpy as np
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from printables import fonts
from sessions_app.services import dossier


def _plan_pdf() -> bytes:
    """A one-page draft design: the square from above, trees, bicycle parking, the taxi
    rank and the station's entrance."""
    fonts.register()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    canvas.setTitle("Voorlopig ontwerp Stationsplein")
    width, height = A4
    canvas.setFont(fonts.BOLD, 18)
    canvas.drawString(20 * mm, height - 25 * mm, "Voorlopig ontwerp Stationsplein")
    canvas.setFont(fonts.REGULAR, 10)
    canvas.drawString(20 * mm, height - 32 * mm, "Schaal 1:500 · concept voor de inloopavond")
    left, bottom, w, h = 20 * mm, 60 * mm, width - 40 * mm, 150 * mm
    canvas.setFillColor(colors.HexColor("#e8e4da"))
    canvas.rect(left, bottom, w, h, stroke=1, fill=1)
    canvas.setFillColor(colors.HexColor("#9c9c9c"))
    canvas.rect(left, bottom + h - 25 * mm, w, 25 * mm, stroke=0, fill=1)  # the station
    canvas.setFillColor(colors.white)
    canvas.setFont(fonts.BOLD, 11)
    canvas.drawCentredString(left + w / 2, bottom + h - 14 * mm, "Station")
    canvas.setFillColor(colors.HexColor("#3f7d3a"))
    for row in range(3):
        for col in range(6):
            canvas.circle(left + (20 + 26 * col) * mm, bottom + (25 + 28 * row) * mm, 6 * mm, 0, 1)
    canvas.setFillColor(colors.HexColor("#5b7fa6"))
    canvas.rect(left + 5 * mm, bottom + 95 * mm, 50 * mm, 18 * mm, stroke=0, fill=1)
    canvas.rect(left + w - 45 * mm, bottom + 5 * mm, 40 * mm, 12 * mm, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    canvas.setFont(fonts.REGULAR, 9)
    canvas.drawString(left + 7 * mm, bottom + 102 * mm, "Overdekte fietsenstalling")
    canvas.drawString(left + w - 43 * mm, bottom + 9 * mm, "Taxistandplaats")
    canvas.setFont(fonts.REGULAR, 10)
    lines = [
        "Achttien nieuwe bomen in drie rijen; de bestaande platanen blijven staan.",
        "De fietsenstalling komt overdekt aan de westkant, dicht bij de ingang.",
        "De taxistandplaats blijft, aan de oostkant; auto's rijden niet meer over het plein.",
    ]
    for number, line in enumerate(lines):
        canvas.drawString(20 * mm, 45 * mm - number * 6 * mm, line)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _budget_pdf() -> bytes:
    fonts.register()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    canvas.setTitle("Begroting herinrichting Stationsplein")
    width, height = A4
    canvas.setFont(fonts.BOLD, 18)
    canvas.drawString(20 * mm, height - 25 * mm, "Begroting herinrichting Stationsplein")
    rows = [
        ("Bestrating en riolering", "€ 1.150.000"),
        ("Groen: bomen, plantvakken, onderhoud 5 jaar", "€ 420.000"),
        ("Fietsenstalling (overdekt, 600 plaatsen)", "€ 610.000"),
        ("Verlichting en bankjes", "€ 185.000"),
        ("Onvoorzien (10 %)", "€ 236.500"),
        ("Totaal", "€ 2.601.500"),
    ]
    canvas.setFont(fonts.REGULAR, 11)
    for number, (label, amount) in enumerate(rows):
        y = height - 45 * mm - number * 9 * mm
        if label == "Totaal":
            canvas.setFont(fonts.BOLD, 11)
        canvas.drawString(20 * mm, y, label)
        canvas.drawRightString(width - 20 * mm, y, amount)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _impression_png() -> bytes:
    """An impression of the new square from the station's entrance, as a drawing."""
    image = np.full((480, 800, 3), (235, 206, 160), np.uint8)  # sky (BGR)
    cv2.rectangle(image, (0, 300), (800, 480), (190, 200, 205), -1)  # paving
    for x in range(60, 800, 130):
        cv2.rectangle(image, (x - 6, 220), (x + 6, 320), (40, 70, 100), -1)  # trunks
        cv2.circle(image, (x, 200), 55, (60, 140, 70), -1)  # crowns
    cv2.rectangle(image, (520, 330), (780, 400), (166, 127, 91), -1)  # bicycle shelter
    for x in range(150, 480, 60):
        cv2.rectangle(image, (x, 390), (x + 40, 400), (70, 90, 120), -1)  # benches
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return encoded.tobytes()


def fill_dossier(*, process, organiser) -> None:
    today = timezone.localdate()
    documents = [
        (
            _plan_pdf(),
            "Voorlopig ontwerp Stationsplein",
            "plan",
            today - timedelta(days=30),
            "Het ontwerpbureau tekende hoe het plein eruit kan zien: achttien nieuwe bomen, "
            "een overdekte fietsenstalling aan de westkant en de taxistandplaats aan de "
            "oostkant. Auto's rijden niet meer over het plein. Dit is een concept: uw "
            "inbreng kan het nog veranderen.",
            "",
        ),
        (
            _impression_png(),
            "Impressie van het nieuwe plein",
            "plan",
            today - timedelta(days=30),
            "Zo kan het plein eruitzien vanaf de ingang van het station.",
            "Tekening van het plein: rijen bomen met brede kronen, bankjes op de bestrating "
            "en rechts een overdekte fietsenstalling.",
        ),
        (
            _budget_pdf(),
            "Begroting herinrichting",
            "budget",
            today - timedelta(days=21),
            "De herinrichting kost ongeveer 2,6 miljoen euro. Het grootste deel gaat naar "
            "bestrating en riolering; het groen kost 420.000 euro, inclusief vijf jaar "
            "onderhoud.",
            "",
        ),
    ]
    for content, title, kind, day, summary, alt_text in documents:
        dossier.document_add(
            user=organiser,
            process=process,
            content=content,
            title=title,
            kind=kind,
            day=day,
            summary=summary,
            alt_text=alt_text,
        )
    dossier.link_add(
        user=organiser,
        process=process,
        title="Raadsvoorstel kredietaanvraag Stationsplein",
        url="https://openraadsinformatie.nl/",
        day=today - timedelta(days=45),
        summary=(
            "Het college vraagt de raad om geld om het ontwerp uit te werken, en belooft de "
            "uitkomst van de inloopavonden mee te sturen met het definitieve voorstel."
        ),
    )
    dossier.link_add(
        user=organiser,
        process=process,
        title="Omgevingsvisie 2040: het stationsgebied",
        url="https://www.ruimtelijkeplannen.nl/",
        day=today - timedelta(days=400),
        summary=(
            "Het eerdere besluit van de raad over het stationsgebied: meer groen, ruimte "
            "voor fietsers en voetgangers, en het station goed bereikbaar houden."
        ),
    )
