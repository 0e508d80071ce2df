"""Called by the log (``sessions_app.services.log``) when an entry it appended may be news
for followers: only for actions in ``news.NEWS_ACTIONS``, so every other append (a phone's
answer, a paper form) costs a set lookup and no query."""

from __future__ import annotations

from django.db import transaction

from .models import Follower
from .news import is_news
from .wake import wake_later


def news_appended(process, entries) -> None:
    """After commit, have the news mailed if ``process`` has confirmed followers."""
    if not any(is_news(action, data) for action, _actor, data in entries):
        return
    if not Follower.objects.filter(process_id=process.pk, confirmed_at__isnull=False).exists():
        return
    transaction.on_commit(wake_later)
