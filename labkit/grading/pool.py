"""Runs graded in parallel threads, stopped as one when the command is told to stop.

`labkit verify`, `labkit grade` and `labkit mutate` grade many runs at once in threads. A
SIGTERM (turned into SystemExit by the command line) or a Ctrl-C reaches the main thread
only, and a thread pool's exit would then wait for every run to finish: the command kept
grading for minutes after it was told to stop. Here the main thread stops every run's
child instead, drops the runs not started, and waits only for the runs to clean up (their
servers, homes and scratch folders), which takes seconds.
"""
from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from labkit.grading import runner


@contextmanager
def grading_pool(workers: int) -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        yield pool
    except BaseException:
        runner.stop_all()
        pool.shutdown(wait=True, cancel_futures=True)
        runner.resume()
        raise
    pool.shutdown(wait=True)
