"""Work that must not run in the server process (drawing print runs, writing exports): a
management command in a separate process, at a lower priority than the live session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def start_command(*args: str) -> subprocess.Popen:
    """Start ``manage.py ARGS…`` detached, niced by 10, with no terminal. Call it after
    the work it is to do is committed (the other process reads it from the database)."""
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args]
    return subprocess.Popen(  # noqa: S603 - our own command, no shell
        command,
        cwd=settings.BASE_DIR,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.nice(10),
        start_new_session=True,
    )
