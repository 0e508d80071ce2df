"""The photo reader's work for a web server, run in a worker process of its own at the
lowest priority (``services.reading.scan_read_async``): away from the server's event
loop and its GIL, so that a teller's photo never holds up a phone's answer. Pure: it
imports the reader's modules, never Django.

Refusals come back as ``("refused", code, detail)`` tuples (``ReadRefused`` does not
survive pickling with its fields)."""

from __future__ import annotations

import cv2

from .marks import Area, Box, read_areas, read_boxes
from .page import Page, ReadRefused, find_page, iter_images

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


def measure(image, layout_page: dict, keep_as: str) -> tuple[list[dict], list[dict]]:
    """Every box and writing area of a straightened page read, as stored; the page kept
    as a JPEG at ``keep_as``."""
    boxes = read_boxes(image, layout_page)
    areas = read_areas(image, layout_page)
    cv2.imwrite(keep_as, image, [cv2.IMWRITE_JPEG_QUALITY, PAGE_JPEG_QUALITY])
    return [box_json(b) for b in boxes], [area_json(a) for a in areas]


def box_json(box: Box) -> dict:
    return {
        "key": box.key,
        "state": box.state,
        "confidence": box.confidence,
        "strong": box.strong,
        "faint": box.faint,
        "low": box.low,
        "found": list(box.found),
    }


def area_json(area: Area) -> dict:
    return {"key": area.key, "written": area.written, "ink": area.ink, "found": list(area.found)}
