"""Ctrl-C and SIGTERM as exceptions, in this process only.

A grading child is started with a `preexec_fn` (it must die with its runner and have its
file size capped), so for a moment after fork() it runs Python with our handlers. A Ctrl-C
sent to the whole terminal's process group in that moment raised KeyboardInterrupt inside
the child, which printed "Exception ignored in threading._after_fork … Traceback" on the
student's terminal. The runner kills that child anyway, so in it the signal is dropped.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from types import FrameType

Handler = Callable[[int, FrameType | None], object]


def _in_this_process(handler: Handler) -> Handler:
    owner = os.getpid()

    def guarded(signum: int, frame: FrameType | None) -> object:
        if os.getpid() != owner:  # a child between fork() and exec(): its runner kills it
            return None
        return handler(signum, frame)

    return guarded


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # `finally:` blocks stop the services we started


def raise_on_interrupt() -> None:
    """SIGINT -> KeyboardInterrupt and SIGTERM -> SystemExit(143), in this process only.

    A handler, not SIG_IGN, also makes Ctrl-C reach us when a shell started us with SIGINT
    ignored (`make lab &`)."""
    signal.signal(signal.SIGINT, _in_this_process(signal.default_int_handler))
    signal.signal(signal.SIGTERM, _in_this_process(_exit))
