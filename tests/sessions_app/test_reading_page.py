"""Finding a printed form in a phone-like photo: the corners, the perspective undone, the
signed QR code read; and each way a picture is refused, with its code."""

import cv2
import numpy as np
import pytest

from printables import paper_form
from printables.strings import form_strings
from sessions_app.reading.page import PX_PER_MM, ReadRefused, find_page, images
from sessions_app.reading.synthetic import photograph, render_pdf_page
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
