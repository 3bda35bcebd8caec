"""A cap on the files and sockets a submission keeps open, with room left for the grader.

The code under test runs in the grading child's own process, beside pytest and the plugin
that records its results. A submission that leaks sockets would otherwise use up the
process's file descriptors and make *pytest* fail ("INTERNALERROR … Too many open
files"): the grader would be blamed and the verdict would depend on each machine's
`ulimit -n`. So:

- the runner gives every grading child the same hard limit, `LIMIT` (machine-independent);
- the plugin lowers the soft limit by `RESERVE`: the code under test reaches the soft limit
  first, while the plugin can still raise it back to the hard one to write its report;
- after each test the plugin counts what is open; a test that ends with the soft limit
  nearly reached fails with a plain reason, and the child exits with `EXHAUSTED` so the
  runner runs the remaining tests in a fresh process (the leak is gone with it).
"""
from __future__ import annotations

import os
import resource

LIMIT = 1024  # the common default `ulimit -n`; the labs need < 100
RESERVE = 64  # kept back for pytest and the plugin
EXHAUSTED = 86  # the child's exit status after a test used up its descriptors


def cap() -> None:
    """In the grading child, before exec: the same hard limit on every machine."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = LIMIT if hard == resource.RLIM_INFINITY else min(LIMIT, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


def reserve() -> int:
    """Lower the soft limit below the hard one (see the module's docstring). Returns it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft = max(hard - RESERVE, RESERVE) if hard != resource.RLIM_INFINITY else LIMIT - RESERVE
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


def open_count() -> int:
    """How many descriptors this process holds (the soft limit is lifted while counting)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        return len(os.listdir("/proc/self/fd")) - 1  # minus listdir's own
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def reason(count: int, soft: int) -> str:
    return (f"the code left {count} files or sockets open (a grading run may hold {soft} at once) and "
            "the next test could not open any: close each one when done, e.g. "
            "`with socket.create_connection(...) as s:`, `with open(path) as f:`, `conn.close()`")
