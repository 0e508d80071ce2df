"""Every channel-layer group name, built in one place.

Room-wide fan-out never goes through the channel layer: each server process sends
snapshots to its own connections. The layer only carries one small "changed" message per
session per tick between processes, to a group whose members are the processes' own
broadcasters (one member per process, never one per phone).
"""


def session_changes(session_id: int) -> str:
    return f"session.{session_id}.changes"


def console_checks() -> str:
    """The group of every process's broadcaster that asks its open consoles to look at
    their account again (``broadcaster.recheck_consoles``)."""
    return "consoles.checks"
