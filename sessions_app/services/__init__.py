"""Writes. Every service validates, writes inside ``transaction.atomic``, appends a log
entry and sends a domain signal after commit. Services are keyword-only and named
``<entity>_<action>``; their docstrings name the error codes they raise."""


def caches_clear() -> None:
    """Forget what the services keep per server process between calls (each question's
    rules, each session's process, each layout's questions). Nothing needs this in
    service: the caches check revisions, and keys are never reused. Tests do, since a
    rolled-back test gives the next one the same keys for other rows."""
    from sessions_app import checkpoints

    from . import paper, participation

    participation.caches_clear()
    paper.caches_clear()
    checkpoints.trees_forget()
