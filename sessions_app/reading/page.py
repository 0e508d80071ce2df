"""Finding a printed form in a photo or a scanned page: the four ArUco corner markers (or
three and the QR code), the perspective undone onto the layout's own millimetres, and the
signed QR code read; once the layout page is known, a curl of the sheet undone on its box
outlines (``unwarp``). Pure image work (OpenCV, zxing-cpp, pypdfium2), no Django: the
services check what the code says (signature, sheet state, layout version).

Every refusal is a ``ReadRefused`` with a code:

- ``not_image``: the file is neither a photo (JPEG, PNG …) nor a PDF or (multi-page)
  TIFF from a scanner;
- ``no_form``: no corner marker in sight;
- ``corner_missing``: fewer than four corners (``detail`` names the missing ones): a
  corner cut off, covered or out of the picture. Three are enough when the QR code is
  read and confirms their perspective (``rectify_three``): a thumb over one corner;
- ``too_blurred``: as ``corner_missing``, but the markers found are blurred past
  ``BLURRED_EDGE_MM``: the missing ones were lost to the blur, not cut off;
- ``poor_fit``: the four corners do not fit the form's shape (a folded or curled sheet,
  a marker from somewhere else), ``detail`` the fit's error in mm;
- ``qr_unreadable``: the QR code cannot be read (blurred, covered, too small). The page
  was found, so a teller may type the code printed under the QR code instead
  (``find_page``'s ``qr_text``).
"""

from __future__ import annotations

import functools
import io
import warnings
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
#: The same from three markers (a thumb over the fourth): three markers always fit some
#: slant of the page, so only a close fit is believed. Good photos fit within 0.1 mm; a
#: marker 17 mm from its place fits by 0.5 mm.
MAX_FIT_THREE_MM = 0.4
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
    #: how many pixels of the photo or scan a millimetre of paper had (from the corner
    #: markers' size): a coarse picture thins a light stroke to a trace
    resolution: float = float(PX_PER_MM)


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
    found = _markers(gray)
    missing = [name for name in CORNER_IDS if name not in found]
    if missing:
        raise ReadRefused("corner_missing", ",".join(missing))
    return found


#: The markers are looked for first in the picture made smaller by a whole factor, to at
#: most this many pixels on its longer side (a third of the time on a phone's photo; a
#: marker is still 45 pixels across or more), their corners then placed exactly in the
#: picture itself. Where not all four are seen so, they are looked for in the picture
#: itself.
MARKER_LOOK_PX = 1800


def _markers(gray: np.ndarray) -> dict[str, np.ndarray]:
    """The corner markers in sight (``find_corners``), any number but none."""
    factor = -(-max(gray.shape) // MARKER_LOOK_PX)
    found: dict[str, np.ndarray] = {}
    if factor > 1:
        height, width = gray.shape
        small = cv2.resize(gray, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
        found = _placed(gray, _detect(small), factor)
    if len(found) < len(CORNER_IDS):
        whole = _detect(gray)
        found = whole if len(whole) >= len(found) else found
    if not found:
        raise ReadRefused("no_form")
    return found


def _placed(gray: np.ndarray, found: dict[str, np.ndarray], factor: int) -> dict:
    """Markers found in ``gray`` made ``factor`` times smaller, their corners placed
    exactly in ``gray`` (a small pixel is the mean of a block of ``factor`` by
    ``factor``)."""
    if not found:
        return {}
    points = np.concatenate(list(found.values())) * factor + (factor - 1) / 2
    points = cv2.cornerSubPix(
        gray,
        points.astype(np.float32).reshape(-1, 1, 2),
        (factor + 2,) * 2,
        (-1, -1),
        (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_COUNT, 30, 0.01),
    ).reshape(-1, 4, 2)
    return dict(zip(found, points, strict=True))


def _detect(gray: np.ndarray) -> dict[str, np.ndarray]:
    corners, ids, _rejected = _detector().detectMarkers(gray)
    found: dict[str, np.ndarray] = {}
    names = {marker_id: name for name, marker_id in CORNER_IDS.items()}
    for marker, marker_id in zip(corners, [] if ids is None else ids.flatten(), strict=True):
        name = names.get(int(marker_id))
        if name is not None and name not in found:
            found[name] = marker.reshape(4, 2)
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
    names = [name for name in CORNER_IDS if name in corners]
    source = np.concatenate([corners[name] for name in names]).astype(np.float64)
    target = np.concatenate([targets[name] for name in names])
    matrix, fit = _fit(source, target)
    if matrix is None:
        raise ReadRefused("poor_fit", "no perspective fits the corners")
    if fit > MAX_FIT_MM:
        raise ReadRefused("poor_fit", f"{fit:.1f} mm")
    return _warp(gray, matrix, layout), fit


def _fit(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray | None, float]:
    """The perspective taking image points ``source`` to the page's ``target`` (mm, as
    pixels of the rectified page), and how far off it leaves them (RMS, mm)."""
    matrix, _mask = cv2.findHomography(source, target * PX_PER_MM, 0)
    if matrix is None:
        return None, float("inf")
    mapped = cv2.perspectiveTransform(source.reshape(-1, 1, 2), matrix).reshape(-1, 2)
    return matrix, float(np.sqrt(np.mean(np.sum((mapped / PX_PER_MM - target) ** 2, axis=1))))


def _warp(gray: np.ndarray, matrix: np.ndarray, layout: dict) -> np.ndarray:
    size = (round(layout["page"]["width"] * PX_PER_MM), round(layout["page"]["height"] * PX_PER_MM))
    return cv2.warpPerspective(gray, matrix, size, flags=cv2.INTER_LINEAR, borderValue=255)


def rectify_three(
    gray: np.ndarray, corners: dict[str, np.ndarray], layout: dict
) -> tuple[np.ndarray, float]:
    """The page from three corner markers (a thumb over the fourth). Their twelve corners
    give a first perspective; the QR code, found on the page it gives, adds its own four
    corners (where the layout prints it), which pins down the perspective across the
    page. Accepted only when all sixteen points fit within ``MAX_FIT_THREE_MM`` and the
    QR code lies where it is printed; otherwise ``corner_missing``, as with fewer
    markers."""
    missing = ",".join(name for name in CORNER_IDS if name not in corners)
    targets = _layout_points(layout)
    names = [name for name in CORNER_IDS if name in corners]
    source = np.concatenate([corners[name] for name in names]).astype(np.float64)
    target = np.concatenate([targets[name] for name in names])
    matrix, fit = _fit(source, target)
    if matrix is None or fit > MAX_FIT_THREE_MM:
        raise ReadRefused("corner_missing", missing)
    symbol = _qr_symbol(_warp(gray, matrix, layout), layout)
    if symbol is None:
        raise ReadRefused("corner_missing", missing)
    found, printed = symbol
    back = cv2.perspectiveTransform(
        (found * PX_PER_MM).reshape(-1, 1, 2), np.linalg.inv(matrix)
    ).reshape(-1, 2)
    matrix, fit = _fit(np.concatenate([source, back]), np.concatenate([target, printed]))
    if matrix is None or fit > MAX_FIT_THREE_MM:
        raise ReadRefused("corner_missing", missing)
    return _warp(gray, matrix, layout), fit


#: The QR code's symbol sits inside its printed square with a quiet zone of this many
#: modules on each side (``printables.qr``).
QR_QUIET_MODULES = 4
#: How far from where it is printed a QR code found on a page fixed from three markers
#: may lie (mm): further, and the perspective is not trusted.
MAX_QR_OFFSET_MM = 2.0


def _qr_crop(page: np.ndarray, layout: dict) -> tuple[np.ndarray, tuple[int, int]]:
    """The rectified page around the QR code's place (4 mm more each side), and where
    that crop starts (px)."""
    qr = layout["qr"]
    margin = 4
    x0 = max(0, round((qr["x"] - margin) * PX_PER_MM))
    y0 = max(0, round((qr["y"] - margin) * PX_PER_MM))
    x1 = round((qr["x"] + qr["size"] + margin) * PX_PER_MM)
    y1 = round((qr["y"] + qr["size"] + margin) * PX_PER_MM)
    return np.ascontiguousarray(page[y0:y1, x0:x1]), (x0, y0)


def _qr_symbol(page: np.ndarray, layout: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """The QR code's four corners on a rectified page (mm) and where the layout prints
    them, or None when no QR code is found near its place. The symbol's size in modules
    (21, 25 … for versions 1, 2 …) is the one that best matches the size found."""
    qr = layout["qr"]
    crop, (x0, y0) = _qr_crop(page, layout)
    for barcode, scale in _qr_barcodes(crop):
        position = barcode.position
        found = (
            np.array(
                [
                    [point.x / scale + x0, point.y / scale + y0]
                    for point in (
                        position.top_left,
                        position.top_right,
                        position.bottom_right,
                        position.bottom_left,
                    )
                ],
                dtype=np.float64,
            )
            / PX_PER_MM
        )
        side = float(np.mean(np.linalg.norm(found - np.roll(found, 1, axis=0), axis=1)))
        modules = min(
            range(21, 178, 4),
            key=lambda n: abs(qr["size"] * n / (n + 2 * QR_QUIET_MODULES) - side),
        )
        inset = qr["size"] * QR_QUIET_MODULES / (modules + 2 * QR_QUIET_MODULES)
        left, top = qr["x"] + inset, qr["y"] + inset
        right, bottom = qr["x"] + qr["size"] - inset, qr["y"] + qr["size"] - inset
        printed = np.array([[left, top], [right, top], [right, bottom], [left, bottom]])
        if np.max(np.linalg.norm(found - printed, axis=1)) > MAX_QR_OFFSET_MM:
            return None
        return found, printed
    return None


def _qr_variants(crop: np.ndarray):
    """The QR code's crop as it is, then, one at a time and only while none could be
    read, made easier for the decoder: smoothed (grain), and at twice the size (the
    decoder's binarizer works on modules of more pixels) as it is, with a photocopy's
    specks taken out (median), and sharpened and thresholded locally (blur, uneven
    light). Each with its scale against the crop. On the realistic set's blurred,
    motion-blurred and photocopied pages, 16 of 25 QR codes the first two missed were
    read by the others."""
    yield crop, 1
    yield cv2.GaussianBlur(crop, (3, 3), 0), 1
    double = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    yield double, 2
    yield cv2.medianBlur(double, 5), 2
    sharp = cv2.addWeighted(double, 2.0, cv2.GaussianBlur(double, (0, 0), 3), -1.0, 0)
    yield cv2.adaptiveThreshold(sharp, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 61, 5), 2
    yield cv2.adaptiveThreshold(crop, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 31, 5), 1


def _qr_barcodes(crop: np.ndarray):
    """Each QR code read (valid, with text) in the first of ``_qr_variants`` that has
    one, with that variant's scale."""
    for variant, scale in _qr_variants(crop):
        found = [
            barcode
            for barcode in zxingcpp.read_barcodes(
                np.ascontiguousarray(variant), formats=zxingcpp.BarcodeFormat.QRCode
            )
            if barcode.valid and barcode.text
        ]
        if found:
            yield from ((barcode, scale) for barcode in found)
            return


def read_qr(page: np.ndarray, layout: dict) -> str:
    """The text of the form's QR code, read from its place on the rectified page."""
    crop, _origin = _qr_crop(page, layout)
    for barcode, _scale in _qr_barcodes(crop):
        return barcode.text
    raise ReadRefused("qr_unreadable")


def find_page(gray: np.ndarray, layout: dict, qr_text: str | None = None) -> Page:
    """The form in ``gray``, rectified with ``layout`` (every layout puts its markers and
    QR code in the same places, so any of the session's will do before the QR code says
    which one it is). ``qr_text``: what the QR code says when a person has said it
    instead (a page whose code could not be read): the code is then not read. A QR code
    that cannot be read is refused (``qr_unreadable``) with the codes the characters
    printed under it may be as ``detail`` (``code.candidates``, comma-separated)."""
    corners = _markers(gray)
    missing = [name for name in CORNER_IDS if name not in corners]
    try:
        if len(missing) == 1:
            page, fit = rectify_three(gray, corners, layout)
        elif missing:
            raise ReadRefused("corner_missing", ",".join(missing))
    except ReadRefused as refused:
        if (
            refused.code == "corner_missing"
            and marker_blur(gray, corners, layout) > BLURRED_EDGE_MM
        ):
            raise ReadRefused("too_blurred", refused.detail) from None
        raise
    if not missing:
        page, fit = rectify(gray, corners, layout)
    if qr_text is not None:
        return Page(page, qr_text, fit, _resolution(corners, layout))
    try:
        qr = read_qr(page, layout)
    except ReadRefused as refused:
        if "code" not in layout:
            raise
        from .code import candidates

        # What the code printed under it may be: the service offers the teller the one
        # that names a printed sheet (``services.reading``).
        raise ReadRefused(refused.code, ",".join(candidates(page, layout["code"]))) from None
    return Page(page, qr, fit, _resolution(corners, layout))


def _resolution(corners: dict[str, np.ndarray], layout: dict) -> float:
    """Pixels of the picture per millimetre of paper: the markers' outlines as found,
    against their size on the page."""
    targets = _layout_points(layout)
    found = [
        (np.linalg.norm(np.diff(np.vstack([c, c[:1]]), axis=0), axis=1).sum(), name)
        for name, c in ((n, np.asarray(corners[n], np.float64).reshape(-1, 2)) for n in corners)
    ]
    ratios = [
        length
        / np.linalg.norm(
            np.diff(np.vstack([targets[name], targets[name][:1]]), axis=0), axis=1
        ).sum()
        for length, name in found
    ]
    return round(float(np.median(ratios)), 2) if ratios else float(PX_PER_MM)


#: Curl: the least spread of the field's offsets (mm) worth undoing, and the most believed
#: (a bowed sheet's middle lies up to 4.5 mm off on the page; beyond this the outlines
#: found are not believed, and the reader's own search is left to it).
UNWARP_MIN_MM, UNWARP_MAX_MM = 0.25, 6.0
#: Points needed to fit the field: clearly seen box outlines and corners of writing areas.
UNWARP_MIN_POINTS = 6
#: The first, wide look: each outline is searched this far around its place (mm), on the
#: page at half the resolution (quick). A curl's 4.5 mm fit in, with room to spare.
WIDE_MM, WIDE_SCALE = 6.0, 2
#: Boxes stand in columns and rows 7 mm apart, so a wide search alone finds a neighbour
#: as readily as the box. Each outline's match scores are therefore pooled with those of
#: the outlines around it (weighted by distance, this many mm): a curl moves neighbours
#: alike, and only the true offset is shared by all of them. Scores are blurred by this
#: many mm first (neighbours are not moved quite alike).
POOL_MM, POOL_SPREAD_MM = 20.0, 0.5
#: Only what a score has above this is pooled: an outline's side on a neighbour's side,
#: or on a ruled line, scores up to 0.4 anywhere along it; the outline itself 0.6 or more.
POOL_FLOOR = 0.4
#: An outline's pooled offset stands out when its pooled score is this many times that
#: of any offset more than ``OTHER_MM`` from it (boxes stand at least 6.8 mm apart);
#: when too few do, the ``2 * UNWARP_MIN_POINTS`` that stand out most.
DISTINCT, OTHER_MM = 1.5, 3.0
#: Those outlines are found exactly, at full resolution, this near (mm) to their pooled
#: offset; then every outline is found this near (mm) to the offset they give around it
#: (their average, weighted as in pooling), and the field fitted on all found.
NEAR_MM, PREDICTED_MM = 1.0, 1.5
#: A page whose outlines found in the first look (standing out, exactly found) lie within
#: this many mm of one offset, and stand this many mm apart down the page or more, lies
#: flat: the rest is not looked for (on the realistic set, a page that the whole look
#: unwarps has a spread of 0.2 mm or more in the first; most flat ones have 0.15 or less).
FLAT_MM, FLAT_SPAN_MM = 0.15, 90.0
#: A writing area's frame is found by its corners: an L of this many mm a side, with this
#: much paper outside it. The paper is what holds the L in place along its arms: with
#: 1 mm, an L slid 2.5 mm along the frame still lay on its long side and was taken
#: (a flat 200 dpi photo, whose page was then bent by 2.5 mm); with more than the search
#: reaches, the frame's other side falls on the L's paper when it slides.
CORNER_MM, CORNER_OUT_MM = 6.0, 3.0
#: A writing area's frame (top and bottom) and its ruled lines are found along their
#: length too, every ``LINE_STEP_MM``, by a straight piece ``LINE_MM`` long: a piece of a
#: line says how far the line is moved up or down there (along it, it looks the same
#: everywhere), which is what a curl's bow does between the corners. Searched this far
#: (mm) up and down: ruled lines stand 8 mm apart.
LINE_MM, LINE_STEP_MM, LINE_NEAR_MM = 12.0, 24.0, 3.0
#: The ridge on the field's terms (per point): small beside what a millimetre's bow needs.
UNWARP_RIDGE = 1e-5
#: The field is smooth: computed every this many mm, and scaled up.
FIELD_STEP_MM = 4
#: Points off the fitted field by more than this (mm) were misfound: dropped, and refit.
UNWARP_OUTLIER_MM = 0.8
#: The field's polynomial degree along x and along y (``_polynomial``): one less than
#: the number of columns (rows) the points stand in, at most this (a bow is a half
#: sine, which a quartic follows to a hundredth of its height). Columns: points within
#: this many mm.
UNWARP_DEGREE, COLUMN_MM = 4, 10.0


def unwarp(page: np.ndarray, layout_page: dict) -> np.ndarray:
    """The rectified page with a sheet's curl undone: the printed box outlines, the
    corners of the writing areas and pieces of their frames and ruled lines
    (``LINE_MM``: up and down only) are found near their places, a smooth field (a
    polynomial in x and y) is fitted to their offsets, and the page is resampled so that
    every outline lies where the layout prints it. A page that lies flat, or has too few
    clearly seen outlines, or offsets too large to believe, is returned as it is.

    The outlines are found in two looks: a wide one (``WIDE_MM``) at half the
    resolution, where each outline's scores are pooled with its neighbours' (``POOL_MM``)
    so that a row of boxes is not taken for itself moved by one box; then an exact one,
    near the offset that the outlines standing out in the wide look give (``NEAR_MM``,
    ``PREDICTED_MM``)."""
    features = _features(layout_page)
    outlines = [f for f in features if not f[2].across_only]
    if len(outlines) < UNWARP_MIN_POINTS:
        return page
    coarse, distinct = _wide_offsets(page, outlines)
    # First the outlines whose pooled offset stands out, found exactly: their offsets,
    # averaged around each outline, say where to find it (a neighbour is 6.8 mm away).
    places, offsets = _found(page, outlines, coarse, distinct, NEAR_MM)
    if len(places) < UNWARP_MIN_POINTS:
        return page
    if np.ptp(offsets, axis=0).max() < FLAT_MM and np.ptp(places[:, 1]) >= FLAT_SPAN_MM:
        return page  # those outlines, down much of the page, lie where printed: flat
    centres = np.array([(x + t.w / 2, y + t.h / 2) for x, y, t in features])
    distance = np.linalg.norm(centres[:, None] - places[None], axis=2)
    weights = np.exp(-((distance / POOL_MM) ** 2)) + 1e-12
    predicted = weights @ offsets / weights.sum(axis=1, keepdims=True)
    places, offsets = _found(page, features, predicted, np.ones(len(features), bool), PREDICTED_MM)
    # The field is smooth: computed every FIELD_STEP_MM, at the points from which
    # OpenCV's resizing interpolates the whole page's map (linear in between, so that the
    # map is each pixel's own place plus the field).
    height, width = page.shape
    cells = (
        max(2, round(width / PX_PER_MM / FIELD_STEP_MM)),
        max(2, round(height / PX_PER_MM / FIELD_STEP_MM)),
    )
    grid = np.stack(
        np.meshgrid(
            (np.arange(cells[0]) + 0.5) * width / cells[0] - 0.5,
            (np.arange(cells[1]) + 0.5) * height / cells[1] - 0.5,
        ),
        axis=2,
    )
    field = _fit_field(places, offsets, grid / PX_PER_MM)
    if field is None:
        return page
    spread = (field.max(axis=(0, 1)) - field.min(axis=(0, 1))).max()
    if spread < UNWARP_MIN_MM or np.abs(field).max() > UNWARP_MAX_MM:
        return page
    mapping = cv2.resize(
        (grid + field * PX_PER_MM).astype(np.float32),
        (width, height),
        interpolation=cv2.INTER_LINEAR,
    )
    return cv2.remap(page, mapping, None, cv2.INTER_LINEAR, borderValue=255)


@dataclass(frozen=True)
class _Template:
    """What is printed around a point the field is fitted on: line segments (mm, from the
    template's top left) in a ``w`` by ``h`` mm patch."""

    w: float
    h: float
    segments: tuple[tuple[float, float, float, float], ...]
    #: A piece of a straight horizontal line: only its offset up or down is known.
    across_only: bool = False

    def __call__(self, scale: float) -> np.ndarray:
        return _drawn(self, scale)


@functools.lru_cache(maxsize=256)
def _drawn(template: _Template, scale: float) -> np.ndarray:
    """``template`` drawn at ``scale`` pixels a mm: the same few on every page, so kept
    (read-only)."""
    image = np.full((round(template.h * scale), round(template.w * scale)), 255, np.uint8)
    stroke = max(1, round(0.3 * scale))
    for x0, y0, x1, y1 in template.segments:
        cv2.line(
            image,
            (round(x0 * scale), round(y0 * scale)),
            (round(x1 * scale), round(y1 * scale)),
            0,
            stroke,
        )
    image.flags.writeable = False
    return image


def _features(layout_page: dict) -> list[tuple[float, float, _Template]]:
    """The printed outlines the field is fitted on: (x, y, template), the template's top
    left at (x, y) mm on the page. Every box (a margin of 0.4 mm around its outline), the
    four corners of every writing area's frame, and pieces of its frame's top and bottom
    and of its ruled lines (``LINE_MM`` long, every ``LINE_STEP_MM``)."""
    features = []
    margin = 0.4
    for box in layout_page.get("boxes", []):
        w, h = box["w"], box["h"]
        a, b, c, d = margin, margin, margin + w, margin + h
        template = _Template(
            w + 2 * margin,
            h + 2 * margin,
            ((a, b, c, b), (c, b, c, d), (c, d, a, d), (a, d, a, b)),
        )
        features.append((box["x"] - margin, box["y"] - margin, template))
    arm, out = CORNER_MM, CORNER_OUT_MM  # an L's arms along the frame, and paper outside it
    for area in layout_page.get("areas", []):
        for right in (False, True):
            for bottom in (False, True):
                cx = area["x"] + (area["w"] if right else 0)
                cy = area["y"] + (area["h"] if bottom else 0)
                x0 = cx - arm if right else cx - out
                y0 = cy - arm if bottom else cy - out
                px, py = cx - x0, cy - y0  # the corner in the template
                ax = px - arm if right else px + arm
                ay = py - arm if bottom else py + arm
                template = _Template(arm + out, arm + out, ((px, py, ax, py), (px, py, px, ay)))
                features.append((x0, y0, template))
        edge = 1.0  # a piece of a line: paper this far above and below it
        piece = _Template(LINE_MM, 2 * edge, ((0, edge, LINE_MM, edge),), across_only=True)
        ruled = [area["y"] + n * area["spacing"] for n in range(1, area.get("lines", 0))]
        first, last = area["x"] + arm + edge, area["x"] + area["w"] - arm - edge - LINE_MM
        steps = max(1, round((last - first) / LINE_STEP_MM))
        for line_y in (area["y"], *ruled, area["y"] + area["h"]):
            for step in range(steps + 1):
                features.append((first + (last - first) * step / steps, line_y - edge, piece))
    return features


def _found(
    page: np.ndarray, features: list, guesses: np.ndarray, use: np.ndarray, near_mm: float
) -> tuple[np.ndarray, np.ndarray]:
    """The centres (mm) of the features in ``use`` that are seen clearly ``near_mm``
    around their guessed offsets (mm), and their offsets (mm)."""
    places, offsets = [], []
    for (x, y, template), guess, wanted in zip(features, guesses, use, strict=True):
        if not wanted:
            continue
        if template.across_only:
            # Along a line it looks the same everywhere: only up and down is searched,
            # and only that offset is known (NaN along it).
            found = _match(page, x, y, template(PX_PER_MM), guess * PX_PER_MM, (0.0, LINE_NEAR_MM))
            if found is not None:
                found = np.array([np.nan, found[1]])
        else:
            found = _match(page, x, y, template(PX_PER_MM), guess * PX_PER_MM, near_mm)
        if found is not None:
            places.append((x + template.w / 2, y + template.h / 2))
            offsets.append(found / PX_PER_MM)
    return np.array(places).reshape(-1, 2), np.array(offsets).reshape(-1, 2)


def _wide_offsets(page: np.ndarray, features: list) -> tuple[np.ndarray, np.ndarray]:
    """Each feature's offset (mm) from its place, from the wide look: its match scores
    over ``WIDE_MM`` around its place, pooled with its neighbours'; and whether it stands
    out (``DISTINCT``) from any other offset's."""
    scale = PX_PER_MM / WIDE_SCALE
    small = cv2.resize(
        page,
        (page.shape[1] // WIDE_SCALE, page.shape[0] // WIDE_SCALE),
        interpolation=cv2.INTER_AREA,
    )
    reach = round(WIDE_MM * scale)
    small = cv2.copyMakeBorder(small, reach, reach, reach, reach, cv2.BORDER_REPLICATE)
    spread = POOL_SPREAD_MM * scale
    maps, centres = [], []
    for x, y, template in features:
        image = template(scale)
        left, top = round(x * scale), round(y * scale)
        window = small[
            top : top + image.shape[0] + 2 * reach, left : left + image.shape[1] + 2 * reach
        ]
        if (
            window.shape[0] < image.shape[0] + 2 * reach
            or window.shape[1] < image.shape[1] + 2 * reach
        ):
            scores = np.zeros((2 * reach + 1,) * 2, np.float32)
        else:
            scores = cv2.matchTemplate(window, image, cv2.TM_CCOEFF_NORMED)
        maps.append(cv2.GaussianBlur(np.maximum(scores - POOL_FLOOR, 0), (0, 0), spread))
        centres.append((x + template.w / 2, y + template.h / 2))
    centres = np.array(centres)
    distance = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    weights = np.exp(-((distance / POOL_MM) ** 2)).astype(np.float32)  # as the scores
    pooled = weights @ np.array(maps).reshape(len(maps), -1)
    best = np.argmax(pooled, axis=1)
    dy, dx = np.divmod(best, 2 * reach + 1)
    side = 2 * reach + 1
    grid_y, grid_x = np.divmod(np.arange(side * side), side)
    apart = np.hypot(grid_x[None] - dx[:, None], grid_y[None] - dy[:, None]) > OTHER_MM * scale
    second = np.where(apart, pooled, 0).max(axis=1)
    ratio = pooled.max(axis=1) / np.maximum(second, 1e-6)
    # Rows of boxes that touch stand out little: the best of them are taken all the same.
    least = np.sort(ratio)[::-1][min(len(ratio), 2 * UNWARP_MIN_POINTS) - 1]
    distinct = (ratio >= min(DISTINCT, least)) & (pooled.max(axis=1) > 0)
    return (np.stack([dx, dy], axis=1) - reach) / scale, distinct


def _match(
    page: np.ndarray,
    x: float,
    y: float,
    template: np.ndarray,
    guess: np.ndarray,
    near_mm: float | tuple[float, float],
) -> np.ndarray | None:
    """The offset (px) of ``template`` placed at (x, y) mm, searched ``near_mm`` around
    ``guess`` (px; or (across, up and down) mm), when it is seen clearly
    (``marks.CLEAR_MATCH``)."""
    from .marks import CLEAR_MATCH  # marks imports this module

    near_x, near_y = near_mm if isinstance(near_mm, tuple) else (near_mm, near_mm)
    reach_x, reach_y = round(near_x * PX_PER_MM), round(near_y * PX_PER_MM)
    left = round(x * PX_PER_MM + guess[0]) - reach_x
    top = round(y * PX_PER_MM + guess[1]) - reach_y
    height, width = template.shape
    if left < 0 or top < 0:
        return None
    window = page[top : top + height + 2 * reach_y, left : left + width + 2 * reach_x]
    if window.shape != (height + 2 * reach_y, width + 2 * reach_x):
        return None
    scores = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
    _low, high, _where_low, (dx, dy) = cv2.minMaxLoc(scores)
    if high < CLEAR_MATCH:
        return None
    return np.array([left + dx - x * PX_PER_MM, top + dy - y * PX_PER_MM])


#: How many nearest points a point's offset is checked against before the fit.
NEIGHBOURS = 3


def _fit_field(places: np.ndarray, offsets: np.ndarray, at: np.ndarray) -> np.ndarray | None:
    """The offsets' smooth field (mm), fitted robustly on the points ``places`` (mm) and
    computed at the points ``at`` (mm, x and y in the last axis); None when too few
    points fit it. An offset may be known up and down only (a piece of a line: NaN
    along it); each of the two offsets is fitted on the points that know it."""
    if np.isfinite(offsets).all(axis=1).sum() < UNWARP_MIN_POINTS:
        return None
    # A point whose offset disagrees with its nearest neighbours' is a misfound outline
    # (a curl moves neighbours alike): left out before any fit, which few points would
    # otherwise bend towards it.
    apart = np.linalg.norm(places[:, None] - places[None], axis=2)
    np.fill_diagonal(apart, np.inf)
    nearest = np.argsort(apart, axis=1)[:, :NEIGHBOURS]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # neighbours that all lack one
        consensus = np.nanmedian(offsets[nearest], axis=1)
    keep = _distance(offsets - consensus) < UNWARP_OUTLIER_MM
    fits = []
    for axis in (0, 1):
        known = np.isfinite(offsets[:, axis])
        fit = _fit_axis(places[known], offsets[known, axis], keep[known])
        if fit is None:
            return None
        fits.append(fit)
    field = np.stack([fit(at) for fit in fits], axis=-1)
    # Where the offsets hardly differ, the page lies flat (a few points would let it
    # swing).
    spread = [np.ptp(fit.seen) for fit in fits]
    if max(spread) < UNWARP_MIN_MM:
        return None
    return field


def _distance(differences: np.ndarray) -> np.ndarray:
    """The length of each row's difference, of what is known of it (NaN: not known)."""
    return np.sqrt(np.nansum(differences**2, axis=1))


@dataclass
class _AxisFit:
    """One offset's fitted polynomial (``_polynomial``): its degrees, the points' origin
    and size it is scaled by, the solution, and where the points that fit it lie."""

    degree: list[int]
    origin: np.ndarray
    size: np.ndarray
    solution: np.ndarray
    low: np.ndarray
    high: np.ndarray
    seen: np.ndarray

    def __call__(self, at: np.ndarray) -> np.ndarray:
        # Beyond the points the field is not known: it is held at its value at their
        # edge; nor does it go beyond the offsets seen (a polynomial swings between
        # clusters).
        inside = (np.clip(at, self.low, self.high) - self.origin) / self.size
        value = _polynomial(inside[..., 0].ravel(), inside[..., 1].ravel(), self.degree)
        value = (value @ self.solution).reshape(at.shape[:-1])
        return np.clip(value, self.seen.min() - UNWARP_MIN_MM, self.seen.max() + UNWARP_MIN_MM)


def _fit_axis(places: np.ndarray, offsets: np.ndarray, keep: np.ndarray) -> _AxisFit | None:
    """One offset (along x or y) fitted on the points that know it: fit, drop the points
    far off the fit (misfound ones), fit again, twice."""
    if len(places) < UNWARP_MIN_POINTS:
        return None
    degree = [min(UNWARP_DEGREE, _columns(places[:, axis]) - 1) for axis in (0, 1)]
    origin, size = places.min(axis=0), np.maximum(np.ptp(places, axis=0), 1.0)
    terms = _polynomial(*((places - origin) / size).T, degree)
    for _round in range(3):
        if keep.sum() < max(UNWARP_MIN_POINTS, terms.shape[1] + 2):
            return None
        # A little ridge: what the points leave open (a corner without any) stays flat.
        ridge = np.sqrt(UNWARP_RIDGE * keep.sum()) * np.eye(terms.shape[1])[1:]
        solution, *_ = np.linalg.lstsq(
            np.vstack([terms[keep], ridge]),
            np.concatenate([offsets[keep], np.zeros(len(ridge))]),
            rcond=None,
        )
        keep = np.abs(terms @ solution - offsets) < UNWARP_OUTLIER_MM
    if keep.sum() < max(UNWARP_MIN_POINTS, terms.shape[1] + 2):
        return None
    low, high = places[keep].min(axis=0), places[keep].max(axis=0)
    return _AxisFit(degree, origin, size, solution, low, high, offsets[keep])


def _columns(values: np.ndarray) -> int:
    """How many columns (``COLUMN_MM`` apart or more) the values stand in."""
    ordered = np.sort(values)
    return 1 + int(np.sum(np.diff(ordered) >= COLUMN_MM)) if len(ordered) else 0


def _polynomial(x: np.ndarray, y: np.ndarray, degree: list[int]) -> np.ndarray:
    """The terms 1, x … x^i, y … y^j (i and j the degrees along x and y) and xy: a bow
    along either axis, and a twist. No higher products: between clusters of points
    they swing wildly."""
    terms = [np.ones_like(x)]
    terms += [x**i for i in range(1, degree[0] + 1)]
    terms += [y**j for j in range(1, degree[1] + 1)]
    if min(degree) >= 1:
        terms.append(x * y)
    return np.stack(terms, axis=1)


#: Where a photo is too blurred to find every corner marker, the refusal says so
#: (``too_blurred``) rather than that a corner is cut off: the edges of the markers found
#: spread over more than this (mm of paper, from dark to light at the steepest slope).
#: On the realistic set's pictures they spread 0.15 to 0.45 mm in focus (a thumb over a
#: corner included), up to 0.8 on a 1600 x 1200 photo and 1.1 blurred; markers were lost
#: to a blur from 1.5 mm on.
BLURRED_EDGE_MM = 1.0


def marker_blur(gray: np.ndarray, corners: dict[str, np.ndarray], layout: dict) -> float:
    """How far the outer edges of the markers found spread (mm, the median of their four
    sides' middles): the dark-to-light step over its steepest slope. 0.0 when none can
    be measured."""
    sizes = {m["corner"]: m["size"] for m in layout["markers"]}
    widths = []
    for name, found in corners.items():
        points = np.asarray(found, np.float64).reshape(4, 2)
        sides = np.linalg.norm(points - np.roll(points, -1, axis=0), axis=1)
        side = float(sides.mean())
        if side < 12 or name not in sizes:
            continue
        per_mm = side / sizes[name]
        centre = points.mean(axis=0)
        reach = 0.12 * side  # within the marker's black border (a sixth of its side)
        steps = np.linspace(-reach, reach, max(9, round(2 * reach) + 1))
        for a, b in zip(points, np.roll(points, -1, axis=0), strict=True):
            middle = (a + b) / 2
            normal = middle - centre
            normal /= np.linalg.norm(normal) or 1.0
            xs = (middle[0] + steps * normal[0]).astype(np.float32)[None, :]
            ys = (middle[1] + steps * normal[1]).astype(np.float32)[None, :]
            profile = cv2.remap(gray, xs, ys, cv2.INTER_LINEAR)[0].astype(np.float32)
            rise = float(profile[-3:].mean() - profile[:3].mean())
            slope = float(np.max(np.diff(profile))) / (steps[1] - steps[0])
            if rise >= 30 and slope > 0:
                widths.append(rise / slope / per_mm)
    return float(np.median(widths)) if widths else 0.0
