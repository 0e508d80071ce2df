"""Lowering a background process's CPU priority, before Django is even imported.

``os.nice`` alone is not enough on Linux with autogroup scheduling (the default on most
desktop and many server kernels, ``/proc/sys/kernel/sched_autogroup_enabled``): every
session (``setsid``) is a group of its own, the scheduler shares the CPU between groups
first, and a process's nice value counts only inside its group. A background job started
in a new session at nice 10 got as much CPU as the whole server: the daily purge and the
mail job, a minute after the server started, slowed the phones' acknowledgements from 40
to 300 ms for five seconds (``docs/performance.md``). A session leader therefore also
lowers its group (``/proc/self/autogroup``); any other process leaves its group alone,
since that would lower the server too.
"""

from __future__ import annotations

import os

#: A background job's nice value (``manage.py background``).
BACKGROUND = 10
AUTOGROUP = "/proc/self/autogroup"


def lower(niceness: int) -> None:
    """Run this process at ``niceness`` at least (a job's next job, which replaces it,
    stays there), and its autogroup too if it leads its own session."""
    if os.getpriority(os.PRIO_PROCESS, 0) < niceness:
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    if os.getsid(0) != os.getpid():
        return
    try:
        with open(AUTOGROUP, "w") as group:
            group.write(str(niceness))
    except OSError:  # not Linux, autogroup not built in, or not allowed: nice alone
        pass
