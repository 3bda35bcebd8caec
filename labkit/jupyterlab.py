"""`make lab`: JupyterLab on the whole kit, opened on what a student needs.

JupyterLab's root is the kit itself, so the file browser reaches the lessons
(`notebooks/`), the lab READMEs and the starters (`labs/`), and a JupyterLab terminal
starts where `make test lab1` works. What a student should not open is hidden: the
lessons' jupytext twins (`*.lesson.py`), `.labkit/`, `.venv/` (dot folders are hidden
anyway) and, in a student edition, `dags/` (a copy of the starters there would only be
edited by mistake).

Everything JupyterLab keeps (its config, runtime files, the student's settings and
workspaces) lives under `.labkit/jupyter/`, apart from any other Jupyter on the machine;
the kit's defaults (no news popup, Markdown opens rendered) come from
`labkit/jupyterlab_settings/overrides.json`.

One JupyterLab per kit: a second `make lab` finds the running one and prints its URL.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from labkit.paths import ROOT, state_dir

log = logging.getLogger(__name__)

SETTINGS = Path(__file__).parent / "jupyterlab_settings"
START_PAGE = "notebooks/00_start_here.ipynb"
HIDE = ("*.lesson.py", "__pycache__", "*.pyc", "*.pyo", ".ipynb_checkpoints", ".DS_Store", "*~")
HIDE_IN_STUDENT_EDITION = ("dags",)
READY_TIMEOUT = 120.0


@dataclass(frozen=True)
class Folders:
    """Where this kit's JupyterLab keeps its state (all under `.labkit/jupyter/`)."""

    base: Path

    @classmethod
    def default(cls) -> Folders:
        return cls(state_dir() / "jupyter")

    @property
    def config(self) -> Path:
        return self.base / "config"

    @property
    def runtime(self) -> Path:
        return self.base / "runtime"

    @property
    def user_settings(self) -> Path:
        return self.base / "user-settings"

    @property
    def workspaces(self) -> Path:
        return self.base / "workspaces"

    @property
    def lock(self) -> Path:
        return self.base / "lab.lock"

    def make(self) -> None:
        for folder in (self.config, self.runtime, self.user_settings, self.workspaces):
            folder.mkdir(parents=True, exist_ok=True)
        self.runtime.chmod(0o700)  # it holds the server's token


@dataclass(frozen=True)
class Running:
    """A JupyterLab serving this kit, as its runtime file describes it."""

    pid: int
    url: str  # http://127.0.0.1:PORT/
    token: str

    @property
    def login_url(self) -> str:
        """Opens the start page, the file browser beside it in `notebooks/`."""
        return f"{self.url}lab/tree/{START_PAGE}?token={self.token}"

    def answers(self, timeout: float = 2.0) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}api/status?token={self.token}", timeout=timeout) as response:
                status: int = response.status
                return status == 200
        except OSError:
            return False


def hidden_globs(root: Path = ROOT) -> list[str]:
    from labkit.edition import is_student_edition

    return [*HIDE, *(HIDE_IN_STUDENT_EDITION if is_student_edition(root) else ())]


def environment(folders: Folders, base: dict[str, str] | None = None) -> dict[str, str]:
    """JupyterLab's environment: its folders under `.labkit/jupyter/`, and the project's
    venv first on PATH so that `labkit`, `python` and `make` in a terminal are the kit's."""
    env = dict(os.environ if base is None else base)
    # `make lab` must not make the terminals' `make test` a sub-make of it: make would print
    # "make[1]: Leaving directory …" under every score.
    for name in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"):
        env.pop(name, None)
    venv_bin = str(Path(sys.executable).parent)
    env.update({
        "JUPYTER_CONFIG_DIR": str(folders.config),
        "JUPYTER_RUNTIME_DIR": str(folders.runtime),
        "JUPYTERLAB_SETTINGS_DIR": str(folders.user_settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(folders.workspaces),
        "PATH": venv_bin + os.pathsep + env.get("PATH", ""),
    })
    return env


def command(port: int, *, no_browser: bool, root: Path = ROOT) -> list[str]:
    args = [
        sys.executable, "-m", "jupyter", "lab",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--ServerApp.default_url=/lab/tree/{START_PAGE}",
        f"--ContentsManager.hide_globs={json.dumps(hidden_globs(root))}",
        f"--LabApp.app_settings_dir={SETTINGS}",
        # No call home: no news feed, no update check (classrooms are often offline).
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    bash = "/bin/bash"
    if Path(bash).exists():
        args.append(f"--ServerApp.terminado_settings={json.dumps({'shell_command': [bash]})}")
    if no_browser:
        args.append("--no-browser")
    if os.geteuid() == 0:
        args.append("--allow-root")
    return args


def running(folders: Folders, root: Path = ROOT) -> Running | None:
    """The JupyterLab that serves `root`, if one runs and answers."""
    from labkit.services._net import process_alive

    for info_file in sorted(folders.runtime.glob("jpserver-*.json")):
        try:
            info = json.loads(info_file.read_text())
        except (OSError, ValueError):
            continue  # being written, or gone
        if Path(info.get("root_dir", "")).resolve() != root.resolve() or not process_alive(int(info.get("pid", 0))):
            continue
        found = Running(int(info["pid"]), info["url"], info.get("token", ""))
        if found.answers():
            return found
    return None


@contextmanager
def single_instance(folders: Folders) -> Iterator[bool]:
    """True while this process holds the kit's JupyterLab lock (False: another one does)."""
    folders.base.mkdir(parents=True, exist_ok=True)
    with open(folders.lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def wait_until_running(folders: Folders, process: subprocess.Popen[bytes] | None = None,
                       timeout: float = READY_TIMEOUT) -> Running | None:
    """The kit's JupyterLab once it answers (None if `process` exits first or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return None
        found = running(folders)
        if found is not None:
            return found
        time.sleep(0.2)
    return None


def main(port: int, *, no_browser: bool) -> int:
    """Start the lessons' services and JupyterLab; stop both when JupyterLab exits."""
    folders = Folders.default()
    folders.make()
    # Ctrl-C reaches us even when `make lab &` started us with SIGINT ignored: cli.main set a
    # handler (labkit.interrupts), and a handler, not SIG_IGN, is what a child gets back as the default.
    with single_instance(folders) as first:
        if not first:
            found = wait_until_running(folders, timeout=60)
            if found is None:
                print(f"Another `make lab` is starting or stopping for this kit (lock {folders.lock}); try again in a minute.")
                return 2
            print(f"JupyterLab is already running for this kit (pid {found.pid}):\n\n    {found.login_url}\n")
            return 0
        found = running(folders)  # started by hand, outside `make lab`
        if found is not None:
            print(f"JupyterLab is already running for this kit (pid {found.pid}):\n\n    {found.login_url}\n")
            return 0
        return _serve(folders, port, no_browser)


def _serve(folders: Folders, port: int, no_browser: bool) -> int:
    from labkit import stack

    started = time.monotonic()
    # Every service but Airflow: each notebook prepares its own lab's Airflow home.
    try:
        services = stack.start(services=[name for name in stack.ALL_SERVICES if name != "airflow"])
    except KeyboardInterrupt:
        print("\nstopped while starting")
        return 130
    jupyter: subprocess.Popen[bytes] | None = None
    try:
        print("Services for the lessons (they stop when JupyterLab stops):")
        print(services.describe())
        jupyter = subprocess.Popen(command(port, no_browser=no_browser), cwd=ROOT, env=environment(folders))
        # From here on Ctrl-C belongs to JupyterLab (it asks to confirm, then exits); we
        # stop the services once it has. Jupyter itself got the default handler back.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        ready = wait_until_running(folders, jupyter)
        if ready is not None:
            print(f"\nJupyterLab is ready ({time.monotonic() - started:.1f} s). Open:\n\n    {ready.login_url}\n", flush=True)
        from labkit.grading import warm

        warm.keep(services)  # after JupyterLab is up: its start must not wait for an Airflow's
        return jupyter.wait()
    finally:
        from labkit.grading import warm

        warm.withdraw(os.getpid())
        if jupyter is not None and jupyter.poll() is None:  # we were told to stop (SIGTERM)
            jupyter.terminate()
            try:
                jupyter.wait(timeout=15)
            except subprocess.TimeoutExpired:
                jupyter.kill()
        services.stop()
