"""Grading children forked from a process that imported pytest and Airflow once.

Every grading child imports pytest, Airflow and the lab's providers before its first test:
~2.5 CPU-s, paid again by each of the ~155 runs of `make verify` and by every `make test
labN` a student types. A zygote (zygote_process.py) pays it once and forks a child per run.
The live Airflow does the same for its components (services/_airflow_zygote.py).

Airflow reads its settings when it is imported: AIRFLOW_HOME, the metadata DB, the DAGs
folder. So a zygote has its own Airflow home, fixed when it starts, and a run that uses it
prepares that home afresh (a new DB, the target's DAGs) instead of one of its own: the
child's settings are then exactly the ones Airflow was imported with. The zygote checks
that on every request and refuses one whose settings differ; the runner then starts an
ordinary child. A zygote can make a run faster, never give it another verdict. One run at
a time uses a zygote (the home is the run's while it runs).

Who keeps zygotes: `verify`, `mutate` (a `ZygotePool`, one zygote per worker, started as
runs need them) and `make lab` (one, `warm.py`, for the student's `make test` and
`check()`). A sandbox (a class's grading) never uses one: its child's environment is built
from nothing, and in a jail it runs as another user.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import queue
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from labkit.paths import ROOT
from labkit.services import airflow

log = logging.getLogger(__name__)

READY_TIMEOUT = 120.0  # the imports take 3-6 s; a very busy machine, much longer
ANSWER_TIMEOUT = 30.0  # a fork answers in milliseconds


def _private_folder() -> Path:
    """Where zygotes keep their socket and home: `<owner pid>-<name>/`. A folder whose owner is
    dead (killed outright: nothing ran its cleanup) is removed here."""
    from labkit.services._net import process_alive

    folder = airflow.root() / "zygotes"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    for old in folder.iterdir():
        owner = old.name.split("-", 1)[0]
        if owner.isdigit() and not process_alive(int(owner)):
            shutil.rmtree(old, ignore_errors=True)
    return folder


# Zygotes of this process still importing. A command told to stop (a Ctrl-C of `verify`) must
# not wait for them: their imports take seconds, ~20 s on a busy machine (runner.stop_all).
_starting: set[subprocess.Popen[bytes]] = set()
_aborted: set[int] = set()  # their pids: a start we stopped is not a failure worth a warning
_starting_lock = threading.Lock()


class StartAborted(RuntimeError):
    """The zygote was killed by abort_starts() while it imported."""


def abort_starts() -> None:
    """Kill every zygote of this process that is still importing: its start() fails at once
    (and whoever wanted it starts its child the usual way, or gives up)."""
    with _starting_lock:
        for process in _starting:
            _aborted.add(process.pid)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # its own session, with nothing in it yet


class Zygote:
    """One zygote process (owned: `start()`, `stop()`) or one found running (`attach()`)."""

    def __init__(self, socket_path: Path, home: airflow.AirflowHome, process: subprocess.Popen[bytes] | None = None) -> None:
        self.socket_path, self.home, self.process = socket_path, home, process
        self.broken = False  # refused or gone once: the run's other children start the usual way

    @classmethod
    def start(cls, services: Sequence[str] = (), name: str | None = None) -> Zygote:
        """A zygote that preloads what tests using `services` import (see zygote_process),
        owned by this process (`name`: its folder's, after this process's id)."""
        folder = _private_folder() / f"{os.getpid()}-{name or time.monotonic_ns()}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        home = airflow.AirflowHome(folder / "home", folder / "home" / "dags")
        home.dags_folder.mkdir(parents=True)
        socket_path = folder / "socket"
        env = {**os.environ, **home.env()}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as the runner gives its children
        with open(folder / "zygote.log", "wb") as errors:
            process = subprocess.Popen(
                [sys.executable, "-m", "labkit.grading.zygote_process", str(socket_path), *services],
                cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                start_new_session=True,  # a Ctrl-C in the terminal reaches the runner, which stops it
            )
        zygote = cls(socket_path, home, process)
        with _starting_lock:
            _starting.add(process)
        try:
            zygote._wait_ready(process)
        except BaseException as error:
            zygote.stop()
            with _starting_lock:
                aborted = process.pid in _aborted
                _aborted.discard(process.pid)
            if aborted:
                raise StartAborted("stopped while importing") from error
            raise
        finally:
            with _starting_lock:
                _starting.discard(process)
        return zygote

    @staticmethod
    def _wait_ready(process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            readable, _, _ = select.select([process.stdout], [], [], 1.0)
            if not readable:
                continue
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"the grading zygote exited while importing (code {process.wait()})")
            if line.startswith(b"ZYGOTE-READY"):
                return
            if line.startswith(b"ZYGOTE-UNSAFE"):
                raise RuntimeError(line.decode().strip())
        raise RuntimeError(f"the grading zygote was not ready after {READY_TIMEOUT:.0f} s")

    @classmethod
    def attach(cls, socket_path: Path, home: Path) -> Zygote:
        return cls(socket_path, airflow.AirflowHome(home, home / "dags"))

    def describe(self) -> dict[str, str]:
        """What another process needs to attach to it."""
        return {"socket": str(self.socket_path), "home": str(self.home.path)}

    def alive(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            return False
        return self.socket_path.exists()

    def spawn(self, command: Sequence[str], *, cwd: Path, env: dict[str, str], log_path: Path, output_limit: int) -> ZygoteChild | None:
        """Fork `python -m pytest …` (`command`, as runner.pytest_command gives it) as a grading
        child; None when this zygote cannot (gone, or the settings differ): start it the usual way."""
        if self.broken or list(command[1:3]) != ["-m", "pytest"]:
            return None
        request = {"argv": list(command[3:]), "env": env, "cwd": str(cwd), "log": str(log_path), "output_limit": output_limit}
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(ANSWER_TIMEOUT)
            conn.connect(str(self.socket_path))
            conn.sendall((json.dumps(request) + "\n").encode())
            child = ZygoteChild(conn)
            answer = child.read_message(block=True)
        except OSError as error:
            conn.close()
            log.info("grading zygote %s not used: %s", self.socket_path, error)
            self.broken = True
            return None
        if answer is None or "pid" not in answer:
            conn.close()
            why = answer.get("refused") if answer else "it closed the connection"
            log.warning("grading zygote not used (%s): starting the grading child the usual way", why)
            self.broken = True
            return None
        child.pid = int(answer["pid"])
        return child

    def stop(self) -> None:
        if self.process is None:
            return  # attached: its owner stops it
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # EOF: it leaves; its monitors and children die with it
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        shutil.rmtree(self.socket_path.parent, ignore_errors=True)


class ZygoteChild:
    """A grading child forked by a zygote, used like subprocess.Popen by the runner: `pid`
    (its session: the runner kills it as a group), `poll()`, `wait()`, `returncode`."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn = conn
        self._buffer = b""
        self.pid = 0
        self.returncode: int | None = None

    def read_message(self, *, block: bool) -> dict[str, Any] | None:
        """The next message from the monitor; None at EOF (or, not blocking, when none is there)."""
        while b"\n" not in self._buffer:
            if not block and not select.select([self._conn], [], [], 0)[0]:
                return {}
            try:
                chunk = self._conn.recv(4096)
            except OSError:
                chunk = b""
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def _update(self, *, block: bool) -> None:
        while self.returncode is None:
            message = self.read_message(block=block)
            if message == {}:
                return
            if message is None:  # the monitor died (its zygote was stopped): the child died with it
                self.returncode = -9
            elif "exit" in message:
                self.returncode = int(message["exit"])
        self._conn.close()

    def poll(self) -> int | None:
        self._update(block=False)
        return self.returncode

    def wait(self) -> int:
        self._conn.settimeout(None)
        self._update(block=True)
        assert self.returncode is not None
        return self.returncode


class ZygotePool:
    """Zygotes for one lab's runs (`verify`, `mutate`): one run at a time on each, started
    as runs need them and stopped together."""

    def __init__(self, services: Sequence[str]) -> None:
        self.services = tuple(services)
        self._idle: queue.SimpleQueue[Zygote] = queue.SimpleQueue()
        self._all: list[Zygote] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextlib.contextmanager
    def lease(self) -> Iterator[Zygote | None]:
        """A zygote for one run; None when none can be had (the run starts its child the usual way)."""
        zygote = self._take()
        try:
            yield zygote
        finally:
            if zygote is not None and zygote.alive() and not zygote.broken:
                self._idle.put(zygote)

    def _take(self) -> Zygote | None:
        while True:
            try:
                zygote = self._idle.get_nowait()
            except queue.Empty:
                break
            if zygote.alive():
                return zygote
        if self._closed:
            return None
        try:
            zygote = Zygote.start(self.services)
        except StartAborted:  # the command is stopping: nothing to warn about
            return None
        except Exception as error:  # slower, never wrong: the runs start their children themselves
            log.warning("could not start a grading zygote: %s", error)
            return None
        if not self._keep(zygote):  # the pool stopped while it started
            zygote.stop()
            return None
        return zygote

    def _keep(self, zygote: Zygote) -> bool:
        with self._lock:
            if not self._closed:
                self._all.append(zygote)
            return not self._closed

    def stop(self) -> None:
        with self._lock:
            self._closed = True
            zygotes = list(self._all)
        for zygote in zygotes:
            zygote.stop()


def try_lock(path: Path) -> IO[str] | None:
    """An exclusive lock on `path` if nobody holds it (a run holds its zygote's for the run)."""
    try:
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until the run ends
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
