"""Which log actions are news for those who follow a process by e-mail. No Django import:
``sessions_app.services.log`` reads ``NEWS_ACTIONS`` on every append, and tests the action
names against it before anything else, so the phones' answers pay one set lookup."""

from __future__ import annotations

#: The log actions a follower is told of (a ``qna.answered`` only with ``mode`` ``written``).
NEWS_ACTIONS = frozenset(
    {
        "session.created",
        "results.revealed",
        "follow_up.recorded",
        "qna.answered",
        "process.decided",
    }
)


def is_news(action: str, data: dict | None) -> bool:
    """Whether a log entry is news for followers."""
    if action not in NEWS_ACTIONS:
        return False
    if action == "qna.answered":
        return (data or {}).get("mode") == "written"
    return True
