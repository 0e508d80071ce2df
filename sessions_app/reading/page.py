"""Finding a printed form in a photo or a scanned page: the four ArUco corner markers, the
perspective undone onto the layout's own millimetres, and the signed QR code read. Pure
image work (OpenCV, zxing-cpp, pypdfium2), no Django: the services check what the code
says (signature, sheet state, layout version).

Every refusal is a ``ReadRefused`` with a code:

- ``not_image``: the file is neither a photo (JPEG, PNG …) nor a PDF or (multi-page)
  TIFF from a scanner;
- ``no_form``: no corner marker in sight;
- ``corner_missing``: fewer than four corners (``detail`` names the missing ones): a
  corner cut off, covered or out of the picture;
- ``poor_fit``: the four corners do not fit the form's shape (a folded or curled sheet,
  a marker from somewhere else), ``detail`` the fit's error in mm;
- ``qr_unreadable``: the QR code cannot be read (blurred, covered, too small).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from printables.aruco import CORNER_IDS  # the marker id in each corner, as printed

#: Changes whenever what is read, or how, changes; kept with every reading as evidence.
READER_VERSION = "inspraak-reader/1"
#: The rectified page's resolution: 8 pixels a millimetre (about 200 dpi).
PX_PER_MM = 8
#: A PDF page (a scanner's) is rendered at this resolution.
PDF_DPI = 200
#: The most the sixteen marker corners may lie off the form's shape (RMS, mm).
MAX_FIT_MM = 1.5
MAX_PIXELS = 60_000_000
#: A TIFF file (scanners write multi-page ones), in either byte order.
TIFF_MAGIC = (b"II*\x00", b"MM\x00*")


class ReadRefused(Exception):
    def __init__(self, code: str, detail: str = ""):
        self.code, self.detail = code, detail
        super().__init__(f"{code}: {detail}" if detail else code)


@dataclass(frozen=True)
class Page:
    """A form found in an image: the page rectified onto the layout (``PX_PER_MM``), the
    QR code's text, and how well the corners fitted (mm)."""

    image: np.ndarray
    qr_text: str
    fit_mm: float


def images(data: bytes) -> list[np.ndarray]:
    """The greyscale images in a file: one for a photo, one per page for a PDF."""
    return list(iter_images(data))


def iter_images(data: bytes) -> Iterator[np.ndarray]:
    """The file's images one at a time (a scanner's PDF of a hundred forms is not held in
    memory as pictures all at once). Raises ``ReadRefused`` before the first image for a
    file ``describe`` refuses; a picture's size is known from its header before it is
    decoded."""
    kind, _pages = describe(data)
    if kind == "pdf":
        import pypdfium2

        return _pdf_pages(pypdfium2.PdfDocument(data))
    if kind == "tiff":
        return _tiff_pages(data)
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ReadRefused("not_image")
    return iter([image])


def describe(data: bytes, *, max_pages: int | None = None) -> tuple[str, int]:
    """``(kind, pages)`` of a file, from its headers alone (nothing is decoded):
    ``pdf``, ``tiff`` or ``photo``. Raises ``ReadRefused`` with ``not_image`` (none of
    these, or broken), ``image_too_large`` (a picture or TIFF page of more than
    ``MAX_PIXELS``) or ``too_many_pages`` (more than ``max_pages``)."""
    if not data:
        raise ReadRefused("not_image", "empty file")
    if data[:5] == b"%PDF-":
        import pypdfium2

        try:
            pages = len(pypdfium2.PdfDocument(data))
        except pypdfium2.PdfiumError as error:
            raise ReadRefused("not_image", str(error)) from None
        if pages == 0:
            raise ReadRefused("not_image", "no pages")
        kind = "pdf"
    else:
        image = _opened(data)
        if image.width * image.height > MAX_PIXELS:
            raise ReadRefused("image_too_large", f"{image.width}x{image.height}")
        if data[:4] in TIFF_MAGIC:
            kind, pages = "tiff", getattr(image, "n_frames", 1)
        else:
            kind, pages = "photo", 1
    if max_pages is not None and pages > max_pages:
        raise ReadRefused("too_many_pages", str(pages))
    return kind, pages


def page_count(data: bytes) -> int:
    """How many images ``iter_images`` gives (0 for a file it refuses)."""
    try:
        return describe(data)[1]
    except ReadRefused:
        return 0


def _opened(data: bytes):
    """The picture opened by Pillow, which reads only its header until asked for pixels;
    its own limit on pixels is ours, so that no picture is decoded whole to find out."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise ReadRefused("image_too_large", str(error)) from None
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ReadRefused("not_image", str(error)) from None


def _tiff_pages(data: bytes) -> Iterator[np.ndarray]:
    """A scanner's multi-page TIFF, a page at a time."""
    image = _opened(data)

    def pages():
        from PIL import Image

        for index in range(image.n_frames):
            image.seek(index)
            if image.width * image.height > MAX_PIXELS:
                raise ReadRefused("image_too_large", f"{image.width}x{image.height}")
            try:
                yield np.array(image.convert("L"))
            except (Image.DecompressionBombError, OSError, ValueError) as error:
                raise ReadRefused("not_image", str(error)) from None

    return pages()


def _pdf_pages(document) -> Iterator[np.ndarray]:
    for index in range(len(document)):
        page = document[index]
        width, height = page.get_size()
        scale = PDF_DPI / 72
        if width * height * scale * scale > MAX_PIXELS:
            scale = (MAX_PIXELS / (width * height)) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True)
        yield np.array(bitmap.to_pil().convert("L"))


def _detector() -> cv2.aruco.ArucoDetector:
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    parameters = cv2.aruco.DetectorParameters()
    parameters.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    return cv2.aruco.ArucoDetector(dictionary, parameters)


def find_corners(gray: np.ndarray) -> dict[str, np.ndarray]:
    """corner name → the marker's four corners in the image (its own top left, top right,
    bottom right, bottom left)."""
    corners, ids, _rejected = _detector().detectMarkers(gray)
    found: dict[str, np.ndarray] = {}
    names = {marker_id: name for name, marker_id in CORNER_IDS.items()}
    for marker, marker_id in zip(corners, [] if ids is None else ids.flatten(), strict=True):
        name = names.get(int(marker_id))
        if name is not None and name not in found:
            found[name] = marker.reshape(4, 2)
    if not found:
        raise ReadRefused("no_form")
    missing = [name for name in CORNER_IDS if name not in found]
    if missing:
        raise ReadRefused("corner_missing", ", ".join(missing))
    return found


def _layout_points(layout: dict) -> dict[str, np.ndarray]:
    """Where each marker's corners are on the form, in mm."""
    points = {}
    for marker in layout["markers"]:
        x, y, size = marker["x"], marker["y"], marker["size"]
        points[marker["corner"]] = np.array(
            [[x, y], [x + size, y], [x + size, y + size], [x, y + size]], dtype=np.float64
        )
    return points


def rectify(
    gray: np.ndarray, corners: dict[str, np.ndarray], layout: dict
) -> tuple[np.ndarray, float]:
    """The page as printed, at ``PX_PER_MM``, and the corners' fit (RMS, mm); refuses a
    fit worse than ``MAX_FIT_MM``."""
    targets = _layout_points(layout)
    source = np.concatenate([corners[name] for name in CORNER_IDS]).astype(np.float64)
    target = np.concatenate([targets[name] for name in CORNER_IDS])
    matrix, _mask = cv2.findHomography(source, target * PX_PER_MM, 0)
    if matrix is None:
        raise ReadRefused("poor_fit", "no perspective fits the corners")
    mapped = cv2.perspectiveTransform(source.reshape(-1, 1, 2), matrix).reshape(-1, 2)
    fit = float(np.sqrt(np.mean(np.sum((mapped / PX_PER_MM - target) ** 2, axis=1))))
    if fit > MAX_FIT_MM:
        raise ReadRefused("poor_fit", f"{fit:.1f} mm")
    size = (round(layout["page"]["width"] * PX_PER_MM), round(layout["page"]["height"] * PX_PER_MM))
    page = cv2.warpPerspective(gray, matrix, size, flags=cv2.INTER_LINEAR, borderValue=255)
    return page, fit


def read_qr(page: np.ndarray, layout: dict) -> str:
    """The text of the form's QR code, read from its place on the rectified page."""
    qr = layout["qr"]
    margin = 4
    x0 = max(0, round((qr["x"] - margin) * PX_PER_MM))
    y0 = max(0, round((qr["y"] - margin) * PX_PER_MM))
    x1 = round((qr["x"] + qr["size"] + margin) * PX_PER_MM)
    y1 = round((qr["y"] + qr["size"] + margin) * PX_PER_MM)
    crop = np.ascontiguousarray(page[y0:y1, x0:x1])
    for candidate in (crop, cv2.GaussianBlur(crop, (3, 3), 0)):
        for barcode in zxingcpp.read_barcodes(candidate, formats=zxingcpp.BarcodeFormat.QRCode):
            if barcode.valid and barcode.text:
                return barcode.text
    raise ReadRefused("qr_unreadable")


def find_page(gray: np.ndarray, layout: dict) -> Page:
    """The form in ``gray``, rectified with ``layout`` (every layout puts its markers and
    QR code in the same places, so any of the session's will do before the QR code says
    which one it is)."""
    corners = find_corners(gray)
    page, fit = rectify(gray, corners, layout)
    return Page(page, read_qr(page, layout), fit)
