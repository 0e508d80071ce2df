"""Domain signals. Services send them after their transaction commits (never before, so
no listener sees rolled-back data). ``realtime`` listens; the domain never imports it.

Every signal is sent with keyword arguments of plain ids, never model instances:

* ``process_changed``: ``process_id``, ``action``
* ``session_changed``: ``process_id``, ``session_id``, ``action``
* ``question_changed``: ``process_id``, ``session_id``, ``question_id``, ``action``
* ``account_changed``: ``user_id``, ``process_id`` (None: any process). What the
  account may do may have shrunk: a role taken away, the account deactivated, its login
  ended. An open console of that account looks at it again at once.
"""

from django.db import transaction
from django.dispatch import Signal

process_changed = Signal()
session_changed = Signal()
question_changed = Signal()
account_changed = Signal()


def send_on_commit(signal: Signal, **kwargs) -> None:
    """Send ``signal`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: signal.send(sender=None, **kwargs))
