"""Finding a printed form in a phone-like photo: the corners, the perspective undone, the
signed QR code read; and each way a picture is refused, with its code."""

import cv2
import numpy as np
import pytest

from printables import paper_form
from printables.strings import form_strings
from sessions_app.reading.marks import CLEAR_MATCH, locate
from sessions_app.reading.page import (
    MARKER_LOOK_PX,
    MAX_FIT_THREE_MM,
    PX_PER_MM,
    ReadRefused,
    _detect,
    _markers,
    find_page,
    images,
    unwarp,
)
from sessions_app.reading.synthetic import photograph, render_pdf_page
from sessions_app.reading.work import read_page
from sessions_app.services.printing import form_layout

pytestmark = pytest.mark.django_db

URL = "http://inspraak.test/t/ABCD2345:signed/"


@pytest.fixture
def form(paper_session):
    """The session's form layout and its first page as printed, at 150 dpi."""
    session, _questions = paper_session
    layout = form_layout(session=session, large_print=False).data
    pdf = paper_form.render(
        layout, [paper_form.SheetRow("ABCD2345", URL)], form_strings(), title="test"
    )
    return layout, render_pdf_page(pdf), pdf


@pytest.mark.parametrize(
    ("angle", "skew", "blur", "light", "quality"),
    [(0, 0, 0, 0, 90), (12, 0.05, 0.8, 0.3, 50), (-12, 0.08, 1.2, 0.4, 35), (5, 0.1, 0.5, 0.2, 70)],
)
def test_a_phone_photo_is_found_straightened_and_its_code_read(
    form, angle, skew, blur, light, quality
):
    layout, page, _pdf = form
    photo = photograph(page, angle=angle, skew=skew, blur=blur, light=light, quality=quality)
    [gray] = images(photo)
    found = find_page(gray, layout)
    assert found.qr_text == URL + f"?p=1&v={layout['version']}"
    assert found.fit_mm < 0.8
    height, width = found.image.shape
    assert (width, height) == (210 * PX_PER_MM, 297 * PX_PER_MM)
    # The top left marker lands where the layout has it: its dark cells at (8 mm, 8 mm).
    marker = found.image[8 * PX_PER_MM + 4 : 10 * PX_PER_MM, 8 * PX_PER_MM + 4 : 10 * PX_PER_MM]
    assert marker.mean() < 90


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_the_pictures_resolution_is_measured_from_the_markers(form, scale):
    """A coarse picture thins a light stroke to a trace (``marks.LOW_RESOLUTION``): the
    page says how many pixels of the picture a millimetre of paper had."""
    layout, page, _pdf = form  # rendered at 150 dpi: 5.9 px/mm
    resized = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    framed = cv2.copyMakeBorder(resized, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=120)
    found = find_page(framed, layout)
    assert found.resolution == pytest.approx(150 / 25.4 * scale, rel=0.05)


def test_a_scanned_pdf_gives_one_image_a_page(form):
    layout, _page, pdf = form
    pages = images(pdf)
    assert len(pages) == len(layout["pages"])
    assert find_page(pages[0], layout).qr_text == URL + f"?p=1&v={layout['version']}"


def refused(data: bytes, layout) -> ReadRefused:
    with pytest.raises(ReadRefused) as caught:
        for gray in images(data):
            find_page(gray, layout)
    return caught.value


def jpeg(image: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", image)[1].tobytes()


def test_each_bad_picture_is_refused_with_its_reason(form):
    layout, page, _pdf = form
    assert refused(b"%PDF-1.7 not really", layout).code == "not_image"
    assert refused(b"GIF89a\x00\x00", layout).code == "not_image"
    assert refused(b"", layout).code == "not_image"
    # A photo without a form.
    table = np.random.default_rng(1).integers(80, 200, (900, 700), dtype=np.uint8)
    assert refused(jpeg(table), layout).code == "no_form"
    # A corner cut off: the bottom right marker is out of the picture.
    photo = cv2.imdecode(np.frombuffer(photograph(page), np.uint8), cv2.IMREAD_GRAYSCALE)
    cut = photo[: int(photo.shape[0] * 0.8), :]
    problem = refused(jpeg(cut), layout)
    assert problem.code == "corner_missing" and "bottom" in problem.detail
    # So blurred that corners are lost: said as a blur, not as a corner cut off (the
    # markers still found are blurred past BLURRED_EDGE_MM; a sharp one is not).
    from sessions_app.reading.page import BLURRED_EDGE_MM, _markers, marker_blur

    assert marker_blur(photo, _markers(photo), layout) < BLURRED_EDGE_MM / 2
    lost = None
    for sigma in range(3, 30):
        blurred = cv2.GaussianBlur(photo, (0, 0), sigma)
        try:
            if len(_markers(blurred)) <= 2:
                lost = blurred
                break
        except ReadRefused:
            break  # all gone at once: no_form
    assert lost is not None
    assert marker_blur(lost, _markers(lost), layout) > BLURRED_EDGE_MM
    problem = refused(jpeg(lost), layout)
    assert problem.code == "too_blurred" and problem.detail
    # A blurred QR code: the rest of the form is sharp.
    smudged = page.copy()
    qr = layout["qr"]
    x0, y0 = round(qr["x"] / 25.4 * 150), round(qr["y"] / 25.4 * 150)
    size = round(qr["size"] / 25.4 * 150)
    smudged[y0 : y0 + size, x0 : x0 + size] = cv2.GaussianBlur(
        smudged[y0 : y0 + size, x0 : x0 + size], (0, 0), 6
    )
    assert refused(photograph(smudged), layout).code == "qr_unreadable"


def test_corners_that_do_not_fit_the_form_are_refused(form):
    layout, page, _pdf = form
    # The bottom right marker pasted far from where a form has it.
    moved = page.copy()
    dpi = 150 / 25.4
    marker = layout["markers"][2]
    x0, y0, size = (round(marker[k] * dpi) for k in ("x", "y", "size"))
    patch = moved[y0 : y0 + size, x0 : x0 + size].copy()
    moved[y0 : y0 + size, x0 : x0 + size] = 255
    moved[y0 - 300 : y0 - 300 + size, x0 - 200 : x0 - 200 + size] = patch
    problem = refused(jpeg(moved), layout)
    assert problem.code == "poor_fit" and "mm" in problem.detail


@pytest.mark.parametrize(
    "turn", [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE]
)
def test_a_photo_taken_sideways_or_upside_down_is_straightened_the_right_way_up(form, turn):
    """Each corner has its own marker, so the page comes out upright however the phone
    was held (and whether or not it wrote the turn into EXIF instead of the pixels)."""
    layout, page, _pdf = form
    [gray] = images(photograph(page, angle=3, skew=0.04, quality=80))
    _ok, jpeg = cv2.imencode(".jpg", cv2.rotate(gray, turn))
    [turned] = images(jpeg.tobytes())
    found = find_page(turned, layout)
    assert found.qr_text == URL + f"?p=1&v={layout['version']}"
    marker = found.image[8 * PX_PER_MM + 4 : 10 * PX_PER_MM, 8 * PX_PER_MM + 4 : 10 * PX_PER_MM]
    assert marker.mean() < 90  # the top left marker is top left


def thumb(page: np.ndarray, marker: dict) -> np.ndarray:
    """The page with a thumb (a grey oval) over one corner marker, as printed at 150 dpi."""
    covered = page.copy()
    dpi = 150 / 25.4
    x0, y0, size = (round(marker[k] * dpi) for k in ("x", "y", "size"))
    centre = (x0 + size // 2 + 20, y0 + size // 2)
    cv2.ellipse(covered, centre, (round(size * 0.6), round(size * 1.2)), 10, 0, 360, 150, -1)
    return covered


@pytest.mark.parametrize("corner", [0, 1, 2, 3])
@pytest.mark.parametrize(("angle", "skew"), [(5, 0.05), (-12, 0.08)])
def test_a_thumb_over_one_corner_still_finds_the_page_where_four_corners_do(
    form, corner, angle, skew
):
    """Three markers and the QR code fix the page as well as four markers do: the part
    of the page by the covered corner lands within half a millimetre of it."""
    layout, page, _pdf = form
    marker = layout["markers"][corner]
    settings = {"angle": angle, "skew": skew, "blur": 0.5, "quality": 80}
    [gray] = images(photograph(thumb(page, marker), **settings))
    [whole] = images(photograph(page, **settings))
    found, reference = find_page(gray, layout), find_page(whole, layout)
    assert found.qr_text == URL + f"?p=1&v={layout['version']}"
    assert found.fit_mm < MAX_FIT_THREE_MM
    height, width = found.image.shape
    rows = slice(height // 2, height) if marker["y"] > 100 else slice(0, height // 2)
    columns = slice(width // 2, width) if marker["x"] > 100 else slice(0, width // 2)
    (dx, dy), _response = cv2.phaseCorrelate(
        reference.image[rows, columns].astype(np.float32),
        found.image[rows, columns].astype(np.float32),
    )
    assert np.hypot(dx, dy) / PX_PER_MM < 0.5


def test_three_corners_that_do_not_fit_or_cannot_be_checked_are_a_missing_corner(form):
    """Three markers fit some slant of the page whatever their places, so a page fixed
    from three is believed only on a close fit confirmed by the QR code."""
    layout, page, _pdf = form
    right, left = layout["markers"][2], layout["markers"][3]
    # The bottom left marker 17 mm above its place, the bottom right one covered.
    moved = thumb(page, right)
    dpi = 150 / 25.4
    x0, y0, size = (round(left[k] * dpi) for k in ("x", "y", "size"))
    patch = moved[y0 : y0 + size, x0 : x0 + size].copy()
    moved[y0 : y0 + size, x0 : x0 + size] = 255
    moved[y0 - 100 : y0 - 100 + size, x0 : x0 + size] = patch
    problem = refused(photograph(moved, angle=3, skew=0.04), layout)
    assert (problem.code, problem.detail) == ("corner_missing", "bottom_right")
    # A thumb over a corner and the QR code blurred: nothing confirms the three.
    smudged = thumb(page, right)
    qr = layout["qr"]
    x0, y0, size = (round(qr[k] * dpi) for k in ("x", "y", "size"))
    smudged[y0 : y0 + size, x0 : x0 + size] = cv2.GaussianBlur(
        smudged[y0 : y0 + size, x0 : x0 + size], (0, 0), 6
    )
    problem = refused(photograph(smudged), layout)
    assert (problem.code, problem.detail) == ("corner_missing", "bottom_right")
    # Two corners covered: refused as before.
    problem = refused(photograph(thumb(thumb(page, right), left)), layout)
    assert (problem.code, problem.detail) == ("corner_missing", "bottom_right,bottom_left")


def outline_offsets(image: np.ndarray, layout_page: dict) -> np.ndarray:
    """How far (mm) each clearly seen box outline lies from its place in the layout."""
    found = []
    for box in layout_page["boxes"]:
        where, score = locate(image, box)
        if score >= CLEAR_MATCH:
            found.append(np.hypot(where[0] - box["x"] * PX_PER_MM, where[1] - box["y"] * PX_PER_MM))
    return np.array(found) / PX_PER_MM


def flat_page(form, angle: float):
    """A photographed page, straightened: it lies flat, and ``unwarp`` leaves it alone."""
    layout, page, _pdf = form
    flat = find_page(images(photograph(page, angle=angle, skew=0.03))[0], layout).image
    layout_page = layout["pages"][0]
    assert unwarp(flat, layout_page) is flat
    return flat, layout_page


def bent(flat: np.ndarray, shift) -> np.ndarray:
    """``flat`` with each point moved by ``shift(u, v)`` (mm; u, v: its place across and
    down the page, 0 … 1)."""
    height, width = flat.shape
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    dx, dy = shift(xs / width, ys / height)
    return cv2.remap(
        flat, xs - dx * PX_PER_MM, ys - dy * PX_PER_MM, cv2.INTER_LINEAR, borderValue=255
    )


def test_a_curled_sheet_is_flattened_onto_its_box_outlines(form):
    """The lower part of a sheet curls up: its boxes drift by up to a millimetre and a
    half. After ``unwarp`` they lie where they are printed; a flat page is left alone."""
    flat, layout_page = flat_page(form, angle=4)
    curled = bent(
        flat,
        lambda u, v: (u * v * 0.8, v**2 * 1.4),  # down to 1.4 mm at the bottom edge
    )
    before = outline_offsets(curled, layout_page)
    after = outline_offsets(unwarp(curled, layout_page), layout_page)
    assert np.percentile(before, 90) > 0.8
    assert np.percentile(after, 90) < 0.35 and len(after) >= len(before)


@pytest.mark.parametrize("along_x", [True, False])
def test_a_sheet_bowed_by_four_millimetres_is_flattened_onto_its_box_outlines(form, along_x):
    """A sheet bowed along one axis (a half sine: nothing at the edges, where the corner
    markers are, 4 mm in the middle): its boxes lie further from their places than the
    boxes' own search reaches, and as far as a box's neighbour is from the next box.
    After ``unwarp`` every clearly seen outline lies within half a millimetre of its
    place; the flat page is left alone."""
    flat, layout_page = flat_page(form, angle=3)

    def bow(u, v):
        bend = np.sin(np.pi * (u if along_x else v)) * 4.0
        return (0 * bend, bend) if along_x else (bend, 0 * bend)

    curled = bent(flat, bow)
    before = outline_offsets(curled, layout_page)
    after = outline_offsets(unwarp(curled, layout_page), layout_page)
    boxes = len(layout_page["boxes"])
    assert len(before) < boxes * 0.9 or np.max(before) > 1.0  # the outlines are lost or off
    assert len(after) >= boxes * 0.9 and np.max(after) < 0.5


def ruled_line_rows(image: np.ndarray, area: dict) -> list[float]:
    """Where (px, down the page) the writing area's first ruled line runs, in 20 mm strips
    across it: the darkest row near its place in each."""
    x, w = round(area["x"] * PX_PER_MM), round(area["w"] * PX_PER_MM)
    expected = round((area["y"] + area["spacing"]) * PX_PER_MM)
    strip = 20 * PX_PER_MM
    rows = []
    for left in range(x + 4 * PX_PER_MM, x + w - strip, strip):
        band = image[expected - 30 : expected + 31, left : left + strip].astype(float)
        rows.append(expected - 30 + float(np.argmin(band.mean(axis=1))))
    return rows


def test_a_bow_between_a_writing_areas_corners_is_flattened_on_its_lines(form):
    """The top of a sheet curls up by 2.5 mm in the middle (a half sine across, fading
    down the page): between the corners of an open answer's frame, where no box is, its
    ruled lines and frame sag by as much, more than the reader looks around a ruled line
    for it. Pieces of those lines, found along them, say how far they sag: once unwarped,
    the ruled line runs straight to within 4 pixels (half a millimetre; without the pieces,
    7), the empty area holds no writing, and the question no ink beside its print."""
    layout, _page, pdf = form
    index = next(i for i, p in enumerate(layout["pages"]) if p["areas"])
    layout_page = layout["pages"][index]
    flat = find_page(
        images(photograph(render_pdf_page(pdf, index), angle=2, skew=0.02))[0], layout
    ).image
    area = layout_page["areas"][0]
    top = area["y"] / layout["page"]["height"]

    def bow(u, v):
        sag = np.sin(np.pi * u) * 2.5 * np.exp(-(((v - top) / 0.25) ** 2))
        return 0 * sag, sag

    curled = bent(flat, bow)
    assert np.ptp(ruled_line_rows(curled, area)) >= 8  # sagging by a millimetre or more
    # Halved at least: the field is a sum of a bow across and one down (and a twist), so a
    # curl fading down the page is followed only so far; the reader takes out the rest of
    # the sag strip by strip (``marks.LINE_STRIP_MM``).
    assert np.ptp(ruled_line_rows(unwarp(curled, layout_page), area)) <= 4
    areas = {
        a.key["kind"]: a
        for a in read_page(curled, layout_page, 9.0)[2]
        if a.key["question"] == area["question"]
    }
    assert not areas["text"].written and areas["text"].ink == 0, areas
    assert not areas["stray"].written, areas


def test_markers_looked_for_in_a_smaller_picture_are_placed_exactly(form):
    """A phone's photo is looked at half the size for its markers (quick), and their
    corners then placed in the photo itself: within a third of a pixel of where a look at
    the whole photo puts them."""
    _layout, page, _pdf = form
    [gray] = images(photograph(page, angle=7, skew=0.04, blur=0.6))
    assert MARKER_LOOK_PX < max(gray.shape) <= 2 * MARKER_LOOK_PX  # looked at half the size
    quick, whole = _markers(gray), _detect(gray)
    assert set(quick) == set(whole) == {"top_left", "top_right", "bottom_right", "bottom_left"}
    for name in whole:
        assert np.abs(quick[name] - whole[name]).max() < 0.35, (name, quick[name] - whole[name])


@pytest.mark.parametrize("blur", ["focus", "motion"])
def test_a_qr_code_too_blurred_to_read_as_it_is_is_read_made_easier(form, blur):
    """A QR code blurred more and more (out of focus, or a hand moving sideways): past
    what the decoder reads as it is, or smoothed, some are still read at twice the size,
    without specks or sharpened (``page._qr_variants``); every code read as it is is
    still read. (Where the edge lies depends on the code's own pattern, so the test
    walks through the blurs rather than naming one.)"""
    import zxingcpp

    from sessions_app.reading.page import _qr_crop, read_qr, rectify

    layout, page, _pdf = form
    qr = layout["qr"]
    x0, y0 = round(qr["x"] / 25.4 * 150), round(qr["y"] / 25.4 * 150)
    size = round(qr["size"] / 25.4 * 150)
    expected = URL + f"?p=1&v={layout['version']}"
    outcomes = []
    for step in range(12):
        blurred = page.copy()
        region = blurred[y0 : y0 + size, x0 : x0 + size]
        if blur == "focus":
            region[:] = cv2.GaussianBlur(region, (0, 0), 1.8 + 0.15 * step)
        else:
            length = 5 + step // 2
            region[:] = cv2.filter2D(region, -1, np.full((1, length), 1 / length))
        [gray] = images(photograph(blurred, seed=step))
        straight, _fit = rectify(gray, _markers(gray), layout)
        crop, _origin = _qr_crop(straight, layout)
        as_it_is = any(
            barcode.valid and barcode.text == expected
            for picture in (crop, cv2.GaussianBlur(crop, (3, 3), 0))
            for barcode in zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode)
        )
        try:
            made_easier = read_qr(straight, layout) == expected
        except ReadRefused:
            made_easier = False
        outcomes.append((as_it_is, made_easier))
    assert all(made_easier for as_it_is, made_easier in outcomes if as_it_is), outcomes
    assert any(made_easier and not as_it_is for as_it_is, made_easier in outcomes), outcomes
