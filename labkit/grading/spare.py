"""A fresh live Airflow that `make lab` keeps ready for the next run of lab 5.

Lab 5's scheduler runs the student's own DAG files, so its server cannot serve a second run:
it ran one submission's code and holds that run's history, and a stale parse could change a
verdict. Instead `make lab` keeps a *spare*: a server started with an empty DAGs folder, handed
to exactly one run and discarded when that run ends. The next spare then starts in the
background while the student reads the results, so the ~10 s of starting an Airflow leave the
run's critical path, and no run ever sees a server another run has touched.

- The run puts its files in at once: they are linked in a folder beside the DAGs folder, and
  that folder is renamed into it, so the DAG processor never parses half a submission (a file
  that failed to import is not parsed again for 30 s).
- A run that finds no ready spare starts its own server, as without `make lab`, and asks for
  one: a student who never grades lab 5 never pays for its Airflow's memory.

    keeper = SpareKeeper("lab5", on_change=...)   # make lab's side (warm.keep)
    lock = claim(state_file, files)               # a run's side (warm.find)
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from labkit import labs
from labkit.grading import servers
from labkit.grading.zygote import try_lock
from labkit.paths import state_dir
from labkit.services import airflow_server

log = logging.getLogger(__name__)

POLL = 0.5  # seconds between the keeper's looks at its spare
# An unused spare is retired after this long (a student who has moved on from lab 5 should not
# keep an idle Airflow: ~7 % of a core and ~400 MB); their next lab 5 run asks for one again.
IDLE_LIMIT = float(os.environ.get("LABKIT_SPARE_IDLE_S", "900"))
SAVED_WITHIN = 10.0  # seconds from a spare's publication to its state file (its home is made first)
RETRY_AFTER = 60.0  # seconds before starting again after a spare failed to start
CLAIMED = "claimed"  # in the spare's home: a run has it (it is never handed out again)
LOCK = "spare.lock"  # held by that run until it ends
GRADED_FOLDER = "graded"  # the run's files, under the spare's DAGs folder

# Labs whose graded server runs the target's own files: theirs are spares, not shared servers.
SPARE_LABS = tuple(lab for lab in labs.LABS if servers.runs_target(lab))


def wanted_flag(lab: str, owner: int) -> Path:
    """Left by a run that found no spare: `make lab` (pid `owner`) keeps one from then on."""
    return state_dir() / "run" / f"spare-{lab}-{owner}.wanted"


def ask_for(lab: str, owner: int) -> None:
    flag = wanted_flag(lab, owner)
    flag.parent.mkdir(parents=True, exist_ok=True)
    flag.touch()


def claim(state_file: Path, files: Sequence[Path]) -> IO[str] | None:
    """Take the spare at `state_file` for one run and put `files` in its DAGs folder; the lock
    to hold until the run ends, or None (taken, failed, gone: the run starts its own). A spare
    still starting is taken too: the run's tests wait until it is ready, which is sooner than
    an Airflow of its own would be."""
    home = state_file.parent
    deadline = time.monotonic() + SAVED_WITHIN
    while not state_file.exists():  # published just before its start: its home comes first
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)
    lock = try_lock(home / LOCK)
    if lock is None:
        return None
    try:
        server = airflow_server.attach(state_file)
        if (home / CLAIMED).exists():
            lock.close()
            return None
        (home / CLAIMED).touch()  # from here on, whatever happens, this server is used up
        staged = home / f"staged-{os.getpid()}"
        staged.mkdir()
        for file in files:
            (staged / file.name).symlink_to(file.resolve(), target_is_directory=file.is_dir())
        staged.rename(server.home.dags_folder / GRADED_FOLDER)
    except (OSError, ValueError, KeyError):  # stopped meanwhile (its home is gone)
        lock.close()
        return None
    except BaseException:
        lock.close()
        raise
    return lock


def used_up(home: Path) -> bool:
    """Claimed by a run that has ended (its lock is free again): `make lab` replaces it."""
    if not (home / CLAIMED).exists():
        return False
    lock = try_lock(home / LOCK)
    if lock is None:
        return False
    lock.close()
    return True


def _retire(home: Path) -> bool:
    """Mark an unused spare used, so that no run takes it (False: a run is taking it now)."""
    lock = try_lock(home / LOCK)
    if lock is None:
        return False
    try:
        if (home / CLAIMED).exists():
            return False
        (home / CLAIMED).touch()
        return True
    finally:
        lock.close()


class SpareKeeper:
    """`make lab`'s side: once a run asked for one, keep one unused spare for `lab` ready.
    `on_change(state_file or None)` publishes it (None: withdrawn)."""

    def __init__(self, lab: str, owner: int, on_change: Callable[[Path | None], None]) -> None:
        self.lab, self.owner, self.on_change = lab, owner, on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep, name=f"spare-{lab}", daemon=True)

    def start(self) -> SpareKeeper:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        """Stop the spare; one still starting is stopped when its start ends (or, if this
        process ends first, by its watchdog)."""
        self._stop.set()
        self._thread.join(timeout)
        wanted_flag(self.lab, self.owner).unlink(missing_ok=True)

    def _keep(self) -> None:
        used: airflow_server.AirflowServer | None = None
        while not self._stop.is_set():
            if not wanted_flag(self.lab, self.owner).exists():
                if used is not None:
                    used.stop(grace=servers.STOP_GRACE, remove=True)
                    used = None
                self._stop.wait(POLL)
                continue
            name = servers.server_name(self.lab)
            # Published before it starts: a run that comes meanwhile takes it (and waits for
            # it) rather than start a second Airflow beside it on the same cores.
            self.on_change(servers.state_file_of(name))
            if used is not None:
                used.stop(grace=servers.STOP_GRACE, remove=True)
                used = None
            try:
                server = self._start(name)
            except Exception as error:  # runs start their own, as without make lab
                log.warning("the spare Airflow for %s did not start: %s", self.lab, error)
                self.on_change(None)
                self._stop.wait(RETRY_AFTER)
                continue
            ready = time.monotonic()
            while not self._stop.is_set() and not used_up(server.home.path):
                if time.monotonic() - ready > IDLE_LIMIT:
                    self.on_change(None)  # first: a run that reads the record now starts its own at once
                    if _retire(server.home.path):
                        wanted_flag(self.lab, self.owner).unlink(missing_ok=True)
                        break
                    self.on_change(server.state_file)  # a run took it just now
                    ready = time.monotonic()
                self._stop.wait(POLL)
            used = server
        # Not withdrawn here: make lab withdraws its whole record as it stops (writing it
        # again now would leave a record behind).
        if used is not None:
            used.stop(grace=servers.STOP_GRACE, remove=True)

    def _start(self, name: str) -> airflow_server.AirflowServer:
        # The run's files arrive after the start: the DAG processor looks for new files every
        # second instead of every 5 (listing a folder of five files costs nothing).
        return servers.start(self.lab, name, settings={"AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "1"})
