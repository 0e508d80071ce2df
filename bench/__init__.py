"""The load tool: simulated phones, presenter, console and tellers against a real Daphne,
speaking the documented realtime protocol. See ``docs/performance.md``."""


def description(doc: str) -> str:
    """A module docstring's first paragraph on one line, for a tool's ``--help`` (a
    paragraph that leads into a command ends with a full stop instead of its colon)."""
    first = " ".join(doc.split("\n\n")[0].split())
    return first[:-1] + "." if first.endswith(":") else first
