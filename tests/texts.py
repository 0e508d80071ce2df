"""Checks of free text kept apart from the log (``services.texts``)."""

from sessions_app.logchain import text_commitment
from sessions_app.models import TextContent


def commitment_of(text: str, kind: str = "text") -> str:
    """The commitment of the one kept ``text`` (of ``kind``), checked against its salt."""
    [row] = TextContent.objects.filter(text=text, field=kind)
    assert text_commitment(row.salt, text) == row.commitment
    return row.commitment
