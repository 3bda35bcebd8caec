"""The live Airflow a lab's tests talk to (lab 4: the REST API; lab 5: the scheduler), started by the grading runner.

The runner starts it while pytest is still importing and passes its state file to the
test process in LABKIT_AIRFLOW_SERVER; the tests attach to it. The runner stops it when
the run ends, however the run ends (a watchdog covers a killed runner), so no Airflow
process outlives a grading run. `labkit verify` starts one for all of a lab's runs.

Run pytest directly (`pytest tests/lab4`) and the session starts and stops its own.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from labkit.paths import DAGS
from labkit.services import airflow_server
from labkit.stack import EXTRA_DAGS, SERVER_SETTINGS

FLEET = EXTRA_DAGS["lab4"][0]


@dataclass(frozen=True)
class Recipe:
    dags: tuple[Path, ...]  # always in its DAGs folder (given DAGs, test fixtures)
    settings: dict[str, str] = field(default_factory=dict)
    # True when the scheduler must run the graded target's own DAG files (the student's):
    # each grading run then needs its own server, and verify cannot share one.
    with_target: bool = False

    def dag_files(self, target_files: Sequence[Path] = ()) -> list[Path]:
        return [*self.dags, *(target_files if self.with_target else ())]


LAB_SERVERS: dict[str, Recipe] = {
    "lab4": Recipe(
        dags=(DAGS / "lab4_triggered_report.py", FLEET),
        # Ten per page: with 26 DAGs, a client that ignores pagination sees it at once.
        settings={"AIRFLOW__API__MAXIMUM_PAGE_LIMIT": "10", "AIRFLOW__API__FALLBACK_PAGE_LIMIT": "10"},
    ),
    # The scheduler runs the student's own lab 5 DAGs: what waits for what, backfills, LatestOnly.
    "lab5": Recipe(dags=(), settings=SERVER_SETTINGS["lab5"], with_target=True),
}
ATTACH_TIMEOUT = 150.0
STOP_GRACE = 1.0  # the home is deleted afterwards: no state worth a clean shutdown


def needs_server(lab: str) -> bool:
    return lab in LAB_SERVERS


def shareable(lab: str) -> bool:
    """One server may serve every run of the lab (its DAGs do not depend on the target)."""
    return needs_server(lab) and not LAB_SERVERS[lab].with_target


def start(lab: str, base: Path | None = None, target_files: Sequence[Path] = ()) -> airflow_server.AirflowServer:
    recipe = LAB_SERVERS[lab]
    return airflow_server.start(_name(lab), recipe.dag_files(target_files), settings=recipe.settings, base=base)


class Pending:
    """A server starting in a thread; `state_file` is known at once, for the child's env."""

    def __init__(self, lab: str, base: Path | None = None, target_files: Sequence[Path] = (), reader: int | None = None) -> None:
        self.name = _name(lab)
        self.state_file = (base or airflow_server.servers_root()) / self.name / airflow_server.STATE_FILE
        self.server: airflow_server.AirflowServer | None = None
        self.error: BaseException | None = None
        recipe = LAB_SERVERS[lab]

        def run() -> None:
            try:
                self.server = airflow_server.start(self.name, recipe.dag_files(target_files), settings=recipe.settings,
                                                   base=base, reader=reader)
            except BaseException as error:
                self.error = error

        self._thread = threading.Thread(target=run, daemon=True, name=f"airflow server for {lab}")
        self._thread.start()

    def env(self) -> dict[str, str]:
        return {"LABKIT_AIRFLOW_SERVER": str(self.state_file)}

    def stop(self) -> None:
        self._thread.join()
        if self.server is not None:
            self.server.stop(grace=STOP_GRACE, remove=True)


def start_in_background(
    lab: str, base: Path | None = None, target_files: Sequence[Path] = (), reader: int | None = None
) -> Pending | None:
    """`base`: where its home goes; a grading sandbox's folder, so that the sandboxed tests
    can reach its state and control files. `reader`: the user those tests run as in a jail."""
    return Pending(lab, base, target_files, reader) if needs_server(lab) else None


@contextmanager
def server_for(lab: str, target_files: Sequence[Path] = ()) -> Iterator[airflow_server.AirflowServer]:
    """The runner's server for `lab` when there is one (waiting for it to be healthy), else our own."""
    state_file = os.environ.get("LABKIT_AIRFLOW_SERVER", "")
    if Path(state_file).parent.name.startswith(f"{lab}-grading"):
        server = _attach(Path(state_file))
        yield server
        return
    server = start(lab, target_files=target_files)
    try:
        yield server
    finally:
        server.stop(grace=STOP_GRACE, remove=True)


# The test session's servers, one per lab: connected after collection (the plugin), before
# any test, so that waiting for one never counts against a test's time limit.
_SESSION = ExitStack()
_CONNECTED: dict[str, airflow_server.AirflowServer | Exception] = {}


def connect(lab: str, target_files: Sequence[Path] = ()) -> airflow_server.AirflowServer | Exception:
    """The session's server for `lab` (the runner's, or one of our own); the error if none started."""
    if lab not in _CONNECTED:
        try:
            _CONNECTED[lab] = _SESSION.enter_context(server_for(lab, target_files))
        except Exception as error:  # every test that needs it reports this
            _CONNECTED[lab] = error
    return _CONNECTED[lab]


def disconnect_all() -> None:
    _SESSION.close()
    _CONNECTED.clear()


def _attach(state_file: Path) -> airflow_server.AirflowServer:
    """Wait until the owner reports its server ready, then drive it. An earlier run may
    have stopped a component on purpose (lab 4 stops the scheduler): the tests' fixtures
    start what they need."""
    deadline = time.monotonic() + ATTACH_TIMEOUT
    seen = False
    while True:
        if state_file.exists():
            seen = True
            try:
                server = airflow_server.attach(state_file)
            except ValueError:  # caught between write and rename: read again
                server = None
            if server is not None and server.ready:
                return server
        elif seen:
            raise RuntimeError("the grading run's Airflow failed to start (see the runner's output)")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the grading run's Airflow was not ready within {ATTACH_TIMEOUT:.0f} s")
        time.sleep(0.2)


def _name(lab: str) -> str:
    return f"{lab}-grading-{os.getpid()}-{time.monotonic_ns() % 10**6}"
