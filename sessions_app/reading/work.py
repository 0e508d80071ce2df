"""The photo reader's work for a web server, run in a worker process of its own at the
lowest priority (``services.reading.scan_read_async``): away from the server's event
loop and its GIL, so that a teller's photo never holds up a phone's answer. Pure: it
imports the reader's modules, never Django.

Refusals come back as ``("refused", code, detail)`` tuples (``ReadRefused`` does not
survive pickling with its fields)."""

from __future__ import annotations

import cv2
import numpy as np

from .code import agreement as code_agreement
from .marks import (
    CLEAR_MATCH,
    LOSES_WRITING,
    Area,
    Box,
    capture_of,
    erase_creases,
    find_creases,
    flatten,
    is_blurred,
    locate_all,
    paper_of,
    read_areas,
    read_boxes,
    shade_edges,
)
from .page import Page, ReadRefused, find_page, iter_images, unwarp

#: The straightened page kept for the review's crops: JPEG quality.
PAGE_JPEG_QUALITY = 85


def find_all(data: bytes, frame: dict) -> list[Page | tuple[str, str, str]]:
    """Every image in the file (a photo is one), decoded one at a time: the form found in
    it, or why not. A file refused as a whole is one refusal."""
    found: list[Page | tuple[str, str, str]] = []
    try:
        for gray in iter_images(data):
            try:
                found.append(find_page(gray, frame))
            except ReadRefused as refused:
                found.append(("refused", refused.code, refused.detail))
            del gray
    except ReadRefused as refused:
        found.append(("refused", refused.code, refused.detail))
    return found


def find_one(
    data: bytes,
    frame: dict,
    index: int,
    qr_text: str,
    typed: tuple[dict, str] | None = None,
    form: tuple[list[dict], int] | None = None,
) -> Page | tuple[str, str, str]:
    """Image ``index`` of the file found again, with the QR code's text given (a teller
    typed the code of a page whose QR code could not be read). ``typed``: the layout's
    ``code`` (where it is printed) and the code typed, which must be the one printed on
    the page (``code.agreement``; else refused as ``code_mismatch``). ``form``: the
    layout's pages and the page number chosen, which must be the page photographed
    (``page_fits``; else refused as ``page_mismatch``)."""
    try:
        for number, gray in enumerate(iter_images(data)):
            if number == index:
                page = find_page(gray, frame, qr_text)
                if typed is not None and code_agreement(page.image, *typed).refused:
                    return ("refused", "code_mismatch", "")
                if form is not None and not page_fits(page.image, *form):
                    return ("refused", "page_mismatch", "")
                return page
            del gray
    except ReadRefused as refused:
        return ("refused", refused.code, refused.detail)
    return ("refused", "no_form", "")


#: A page whose number was chosen by hand (its QR code unreadable) is another page of the
#: form when another page's box outlines are where that page prints them, clearly
#: (their median ``locate`` score at least ``CLEAR_MATCH``), and fit this much better
#: than the chosen page's. On the realistic set (seed 1, 214 pages) no page's outlines
#: fitted another page of its form better than 0.45, and the page's own fitted at least
#: 0.67 (0.36 on a curled sheet, which the outlines' search does not reach flat).
PAGE_MISFIT = 0.2


def page_fits(image, pages: list[dict], number: int) -> bool:
    """Whether the straightened page ``image`` can be page ``number`` of the layout's
    ``pages``: no other page of the form fits its box outlines clearly better."""
    flat = flatten(image)

    def fit(layout_page: dict) -> float | None:
        if len(layout_page["boxes"]) < 3:  # too few outlines to tell by
            return None
        return float(np.median([score for _box, _where, score in locate_all(flat, layout_page)]))

    chosen = next((p for p in pages if p["number"] == number), None)
    own = (fit(chosen) if chosen is not None else None) or 0.0
    for other in pages:
        if other["number"] == number:
            continue
        score = fit(other)
        if score is not None and score >= CLEAR_MATCH and score - own >= PAGE_MISFIT:
            return False
    return True


def read_page(
    image, layout_page: dict, resolution: float | None = None
) -> tuple[object, list[Box], list[Area]]:
    """Every box and writing area of a straightened page read, once a curl of the sheet
    is undone (``page.unwarp``), the light evened out (``marks.flatten``) and folds
    whitened out (``marks.find_creases``), the ink beside the boxes looked for where the
    boxes were found: the page as read, its boxes and its areas. ``resolution``: the
    picture's pixels per mm of paper (``Page.resolution``), which says whether a light
    stroke can have been thinned to a trace; the page's own look says whether light ink
    can be gone entirely (black and white, a photocopy)."""
    image, boxes, areas, _capture = read_page_captured(image, layout_page, resolution)
    return image, boxes, areas


def read_page_captured(image, layout_page: dict, resolution: float | None = None) -> tuple:
    """``read_page``, and the kind of picture that can lose, blur or thin a light mark
    (``marks.capture_of``: "" for none)."""
    image = unwarp(image, layout_page)
    paper = paper_of(image)
    flat = flatten(image, paper)
    creases = find_creases(flat)
    flat = erase_creases(flat, creases)
    located = locate_all(flat, layout_page)
    blurred = is_blurred(flat, located)
    capture = capture_of(image, flat, resolution, blurred)
    boxes = read_boxes(
        flat,
        layout_page,
        lossy=capture in ("black_white", "photocopy"),
        creases=creases,
        resolution=resolution,
        located=located,
        blurred=blurred,
    )
    areas = read_areas(
        flat, layout_page, boxes, lost=capture in LOSES_WRITING, shade=shade_edges(paper)
    )
    return image, boxes, areas, capture


def measure(
    image, layout_page: dict, keep_as: str, resolution: float | None = None
) -> tuple[list[dict], list[dict], str]:
    """``read_page``, as stored, and the kind of picture (``marks.capture_of``); the page
    kept as a JPEG at ``keep_as``."""
    image, boxes, areas, capture = read_page_captured(image, layout_page, resolution)
    cv2.imwrite(keep_as, image, [cv2.IMWRITE_JPEG_QUALITY, PAGE_JPEG_QUALITY])
    return [box_json(b) for b in boxes], [area_json(a) for a in areas], capture


def box_json(box: Box) -> dict:
    return {
        "key": box.key,
        "state": box.state,
        "confidence": box.confidence,
        "strong": box.strong,
        "faint": box.faint,
        "low": box.low,
        "span": box.span,
        "runs": box.runs,
        "bend": box.bend,
        "leaves": box.leaves,
        "stacked": box.stacked,
        "found": list(box.found),
    }


def area_json(area: Area) -> dict:
    return {
        "key": area.key,
        "written": area.written,
        "ink": area.ink,
        "found": list(area.found),
        "confidence": area.confidence,
    }
