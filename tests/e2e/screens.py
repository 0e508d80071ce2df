"""Screenshots for a person to look at (issue 18 asks for phone, desktop and projector
sizes to be looked at). Kept only when ``INSPRAAK_SCREENS`` names a folder, one
sub-folder per area; otherwise nothing is written."""

from __future__ import annotations

import os
from pathlib import Path


def folder(area: str) -> Path | None:
    root = os.environ.get("INSPRAAK_SCREENS", "")
    if not root:
        return None
    path = Path(root) / area
    path.mkdir(parents=True, exist_ok=True)
    return path


async def screenshot(page, area: str, name: str, *, full_page: bool = True) -> None:
    path = folder(area)
    if path is not None:
        await page.screenshot(path=str(path / name), full_page=full_page)
