"""What every grading child gets before it runs a line of the submission, however it starts
(a new Python from the runner, or a fork of a grading zygote): it dies with its parent, and
its files and descriptors are capped.

A parent killed outright (`kill -9`, the OOM killer) runs no cleanup: the kernel then kills
the child (PR_SET_PDEATHSIG; its services stop through their watchdogs). In a jail, the child
is `unshare --kill-child`, which takes the whole jail with it.

Python ignores SIGXFSZ, so a write past the cap raises OSError(EFBIG) in the test that made
it, which explain.py turns into a plain sentence. Where the machine's own hard limit
(`ulimit -Hf`) is lower, that one stays: a process may lower a hard limit, never raise it, and
asking to would kill every grading child before it starts.
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys

from labkit.grading import fdlimit

OUTPUT_LIMIT = 64 * 2**20  # bytes any one file of the child may reach (a print loop)
PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
# Loaded once, at import: after a fork, in the child, loading a library may deadlock.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def output_limit() -> int:
    """OUTPUT_LIMIT, or the machine's hard `ulimit -f` where that is lower."""
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    return OUTPUT_LIMIT if hard == resource.RLIM_INFINITY else min(OUTPUT_LIMIT, hard)


def die_with_parent(parent: int | None = None) -> None:
    """SIGKILL this process when the thread that forked it ends; if `parent` is given and has
    already gone (between the fork and this call), leave now."""
    if _LIBC is None:
        return
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def apply(parent: int, limit: int) -> None:
    """In the child, first thing: die with `parent`, files capped at `limit` bytes, descriptors
    at fdlimit's."""
    die_with_parent(parent)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    fdlimit.cap()
    if _LIBC is not None:  # `ps -e` names a zygote's fork "pytest", not after the zygote
        _LIBC.prctl(PR_SET_NAME, b"pytest", 0, 0, 0)
