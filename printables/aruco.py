"""ArUco corner markers (OpenCV's 4x4 dictionary), drawn as vectors. A different id in each
corner tells the photo reader which corner it sees."""

from __future__ import annotations

from functools import lru_cache

DICTIONARY = "DICT_4X4_50"
CORNER_IDS = {"top_left": 0, "top_right": 1, "bottom_right": 2, "bottom_left": 3}


@lru_cache(maxsize=64)
def bits(marker_id: int) -> tuple[tuple[int, ...], ...]:
    """The marker as rows of 0 (black) and 1 (white), with its one-cell black border."""
    import cv2

    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, DICTIONARY))
    image = cv2.aruco.generateImageMarker(dictionary, marker_id, 6)
    return tuple(tuple(int(v > 127) for v in row) for row in image)


def draw(canvas, marker_id: int, x_pt: float, y_pt: float, size_pt: float) -> None:
    """Draw the marker with its lower left corner at (x, y) in points."""
    cells = bits(marker_id)
    cell = size_pt / len(cells)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setStrokeColorRGB(0, 0, 0)
    for row_index, row in enumerate(cells):
        for col_index, white in enumerate(row):
            if not white:
                canvas.rect(
                    x_pt + col_index * cell,
                    y_pt + size_pt - (row_index + 1) * cell,
                    cell,
                    cell,
                    stroke=0,
                    fill=1,
                )
    canvas.restoreState()
