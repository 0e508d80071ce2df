"""The paper form, drawn from the layout data (``layout.build``) for a list of sheets.
Each sheet gets its own signed QR code and readable code on every page."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from . import aruco, fonts
from .layout import PAGE_H, PAGE_W
from .qr import draw_qr, printed_url

STROKE = 0.3 * mm


@dataclass(frozen=True)
class SheetRow:
    """One sheet to print: its readable code, the URL its QR code opens (without the page
    part), and the attendee card printed on it, if any."""

    code: str
    url: str
    card: str = ""
    #: The sheet's serial number in its session, printed in every page's footer (the
    #: number the teller's screens call the form by); 0 prints none.
    serial: int = 0
    card_url: str = ""
    #: The receipt code on the tear-off strip of the last page, and where to check it.
    receipt: str = ""
    check_url: str = ""
    #: The public page's dossier, for the small QR code under the title (when the layout
    #: has its place).
    dossier_url: str = ""


def _y(y_mm: float) -> float:
    return (PAGE_H - y_mm) * mm


def _text(canvas: Canvas, item: dict) -> None:
    font = fonts.BOLD if item["bold"] else fonts.REGULAR
    canvas.setFont(font, item["size"])
    x, y = item["x"] * mm, _y(item["y"])
    if item["align"] == "center":
        canvas.drawCentredString(x, y, item["text"])
    elif item["align"] == "right":
        canvas.drawRightString(x, y, item["text"])
    else:
        canvas.drawString(x, y, item["text"])


def readable(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def draw_page(canvas: Canvas, layout: dict, page: dict, sheet: SheetRow, strings: dict) -> None:
    total = len(layout["pages"])
    for marker in layout["markers"]:
        aruco.draw(
            canvas,
            marker["id"],
            marker["x"] * mm,
            _y(marker["y"] + marker["size"]),
            marker["size"] * mm,
        )
    qr = layout["qr"]
    draw_qr(
        canvas,
        f"{sheet.url}?p={page['number']}&v={layout['version']}",
        qr["x"] * mm,
        _y(qr["y"] + qr["size"]),
        qr["size"] * mm,
    )
    code = layout["code"]
    canvas.setFont(fonts.MONO, 11)
    canvas.drawCentredString(code["x"] * mm, _y(code["y"]), readable(sheet.code))
    large = layout.get("large_print")
    canvas.setFont(fonts.REGULAR, 11 if large else 7)
    footer = (
        strings["page_of"].replace("{page}", str(page["number"])).replace("{pages}", str(total))
    )
    if sheet.serial:
        footer = strings["form_number"].replace("{number}", str(sheet.serial)) + "   " + footer
    if sheet.card:
        footer += "   " + strings["card"].replace("{card}", sheet.card)
    # Large print's footer sits lower, clear of the receipt strip above it.
    canvas.drawCentredString(PAGE_W / 2 * mm, _y(PAGE_H - (7.5 if large else 10)), footer)
    if sheet.receipt and page["number"] == total:
        _receipt_strip(canvas, sheet, strings)

    dossier = layout.get("dossier")
    if dossier and sheet.dossier_url and dossier["page"] == page["number"]:
        _dossier_block(canvas, dossier, sheet.dossier_url)

    card = layout.get("card")
    if card and sheet.card_url and card["page"] == page["number"]:
        draw_qr(
            canvas, sheet.card_url, card["x"] * mm, _y(card["y"] + card["size"]), card["size"] * mm
        )
        canvas.setFont(fonts.MONO, card["code"]["size"])
        canvas.drawString(card["code"]["x"] * mm, _y(card["code"]["y"]), readable(sheet.card))

    canvas.setLineWidth(STROKE)
    canvas.setStrokeColorRGB(0, 0, 0)
    for item in page["texts"]:
        _text(canvas, item)
    for box in page["boxes"]:
        canvas.rect(
            box["x"] * mm, _y(box["y"] + box["h"]), box["w"] * mm, box["h"] * mm, stroke=1, fill=0
        )
    for area in page["areas"]:
        canvas.rect(
            area["x"] * mm,
            _y(area["y"] + area["h"]),
            area["w"] * mm,
            area["h"] * mm,
            stroke=1,
            fill=0,
        )
        canvas.saveState()
        canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
        for index in range(1, area["lines"]):
            y = _y(area["y"] + index * area["spacing"])
            canvas.line((area["x"] + 2) * mm, y, (area["x"] + area["w"] - 2) * mm, y)
        canvas.restoreState()
    for line in page["lines"]:
        _line(canvas, line)


#: The tear-off strip: between the bottom corner markers, below everything the reader reads,
#: so tearing it off leaves the form readable.
STRIP = {"x": 30.0, "y": 271.0, "w": PAGE_W - 60.0, "h": 13.0}


def _receipt_strip(canvas: Canvas, sheet: SheetRow, strings: dict) -> None:
    x, y, w, h = STRIP["x"], STRIP["y"], STRIP["w"], STRIP["h"]
    canvas.saveState()
    canvas.setDash(2, 2)
    canvas.setStrokeColorRGB(0.45, 0.45, 0.45)
    canvas.rect(x * mm, _y(y + h), w * mm, h * mm, stroke=1, fill=0)
    canvas.restoreState()
    canvas.setFont(fonts.REGULAR, 7)
    canvas.drawString((x + 2) * mm, _y(y + 3.5), strings["receipt_keep"])
    canvas.setFont(fonts.MONO, 10)
    canvas.drawString((x + 2) * mm, _y(y + 8), readable_receipt(sheet.receipt))
    canvas.setFont(fonts.REGULAR, 7)
    canvas.drawString(
        (x + 2) * mm, _y(y + 11.5), strings["receipt_check"].replace("{url}", sheet.check_url)
    )


def _dossier_block(canvas: Canvas, block: dict, url: str) -> None:
    """The small QR code to the process's dossier, its caption and its address in text."""
    size = block["size"]
    draw_qr(canvas, url, block["x"] * mm, _y(block["y"] + size), size * mm)
    text = block["text"]
    canvas.setFont(fonts.BOLD, text["size"])
    for line in block["caption"]:
        canvas.drawString(line["x"] * mm, _y(line["y"]), line["text"])
    canvas.setFont(fonts.REGULAR, text["size"])
    for index, line in enumerate(
        fonts.wrap_url(printed_url(url), text["size"], text["width"])[: text["lines"]]
    ):
        canvas.drawString(text["x"] * mm, _y(text["y"] + index * text["step"]), line)


def readable_receipt(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _line(canvas: Canvas, item: dict) -> None:
    x, y, w, h = item["x"] * mm, _y(item["y"] + item["h"]), item["w"] * mm, item["h"] * mm
    kind = item["kind"]
    if kind in ("rule", "row"):
        canvas.saveState()
        canvas.setStrokeColorRGB(0.75, 0.75, 0.75)
        canvas.line(x, _y(item["y"]), x + w, _y(item["y"]))
        canvas.restoreState()
    elif kind == "example-cross":
        canvas.rect(x, y, w, h, stroke=1, fill=0)
        canvas.line(x + 0.8 * mm, y + 0.8 * mm, x + w - 0.8 * mm, y + h - 0.8 * mm)
        canvas.line(x + 0.8 * mm, y + h - 0.8 * mm, x + w - 0.8 * mm, y + 0.8 * mm)
    elif kind == "example-filled":
        canvas.rect(x, y, w, h, stroke=1, fill=1)


def render(
    layout: dict,
    sheets: Iterable[SheetRow],
    strings: dict,
    *,
    title: str,
    on_progress: Callable[[int], None] | None = None,
) -> bytes:
    """The PDF of ``sheets``, every page of the layout per sheet."""
    buffer = io.BytesIO()
    render_to(buffer, layout, sheets, strings, title=title, on_progress=on_progress)
    return buffer.getvalue()


def render_to(
    target,
    layout: dict,
    sheets: Iterable[SheetRow],
    strings: dict,
    *,
    title: str,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Write the PDF of ``sheets`` to ``target``: a path or a binary file object (a long
    run goes straight to disk rather than through memory)."""
    fonts.register()
    canvas = Canvas(
        str(target) if isinstance(target, os.PathLike | str) else target,
        pagesize=(PAGE_W * mm, PAGE_H * mm),
        pageCompression=1,
    )
    canvas.setTitle(title)
    canvas.setAuthor("Inspraak")
    for done, sheet in enumerate(sheets, start=1):
        for page in layout["pages"]:
            draw_page(canvas, layout, page, sheet, strings)
            canvas.showPage()
        if on_progress is not None:
            on_progress(done)
    canvas.save()
