"""The live Airflow a lab's tests talk to (lab 4: the REST API; lab 5: the scheduler), started by the grading runner.

The runner starts it while pytest is still importing and passes its state file to the
test process in LABKIT_AIRFLOW_SERVER; the tests attach to it. The runner stops it when
the run ends, however the run ends (a watchdog covers a killed runner), so no Airflow
process outlives a grading run. `labkit verify` and `make mutate` start one per worker for
all of a lab's runs (`SharedAirflows`), each serving one run at a time.

Run pytest directly (`pytest tests/lab4`) and the session starts and stops its own.
"""
from __future__ import annotations

import os
import queue
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from labkit import labs
from labkit.compose import Owned, Services
from labkit.services import airflow_server

ATTACH_TIMEOUT = 150.0
# Set beside LABKIT_AIRFLOW_SERVER when the server was already running as the run began (a
# warm or spare one, one lent by verify): its state file missing means it is gone, not coming.
RUNNING = "LABKIT_AIRFLOW_SERVER_RUNNING"
STOP_GRACE = 1.0  # the home is deleted afterwards: no state worth a clean shutdown


def needs_server(lab: str) -> bool:
    return labs.get(lab).graded_airflow is not None


def runs_target(lab: str) -> bool:
    """The lab's server runs the graded target's own DAG files (one server per run)."""
    recipe = labs.get(lab).graded_airflow
    return recipe is not None and recipe.runs_target


def _recipe(lab: str) -> labs.LiveAirflow:
    recipe = labs.get(lab).graded_airflow
    if recipe is None:
        raise ValueError(f"{lab}'s tests need no live Airflow")
    return recipe


def shareable(lab: str) -> bool:
    """One server may serve every run of the lab (its DAGs do not depend on the target)."""
    return needs_server(lab) and not runs_target(lab)


def own(services: Services, lab: str, *, base: Path | None = None, target_files: Sequence[Path] = (),
        reader: int | None = None, key: str = "airflow_server") -> Owned[airflow_server.AirflowServer]:
    """Start `lab`'s server in the background as one of `services`; stopped (home removed)
    when they close. Its state file is known at once, for the child's env. `base`: where its
    home goes (a grading sandbox's folder, so that the sandboxed tests can reach its state
    and control files); `reader`: the user those tests run as in a jail."""
    name = server_name(lab)
    return services.own(
        key,
        lambda: start(lab, name, target_files=target_files, base=base, reader=reader),
        lambda server: server.stop(grace=STOP_GRACE, remove=True),
        env={"LABKIT_AIRFLOW_SERVER": str(state_file_of(name, base))}, background=True,
    )


def start(lab: str, name: str, *, target_files: Sequence[Path] = (), settings: dict[str, str] | None = None,
          base: Path | None = None, reader: int | None = None) -> airflow_server.AirflowServer:
    """`lab`'s server, named `name`: its recipe's DAG files (and the target's, for a lab whose
    server runs them) and the lab's settings (with `settings` on top); healthy on return."""
    dag_files = _recipe(lab).dag_files(target_files)
    merged = {**labs.get(lab).server_settings(), **(settings or {})}
    return airflow_server.start(name, dag_files, settings=merged, base=base, reader=reader)


def state_file_of(name: str, base: Path | None = None) -> Path:
    """Where the server `name` keeps its state, known before it starts (a child's env)."""
    return (base or airflow_server.servers_root()) / name / airflow_server.STATE_FILE


def shared_key(n: int) -> str:
    """The name of the n-th (from 0) shared live Airflow among a role's services."""
    return "airflow_server" if n == 0 else f"airflow_server-{n + 1}"


class SharedAirflows:
    """The shared live Airflows among `services`, lent to one grading run at a time each: a
    test that stops a scheduler must not pull it from under another run's test.

        with airflows.lend() as state_file:   # None when the lab needs none
            runner.grade(..., airflow_state=state_file)
    """

    def __init__(self, services: Services) -> None:
        self.count = 0
        self._free: queue.SimpleQueue[Path] = queue.SimpleQueue()
        while shared_key(self.count) in services:
            # Waits until it is healthy (its start's error if it failed: every run would
            # otherwise wait for it in vain).
            self._free.put(Path(services[shared_key(self.count)].state_file))
            self.count += 1

    @contextmanager
    def lend(self) -> Iterator[Path | None]:
        if self.count == 0:
            yield None
            return
        state_file = self._free.get()
        try:
            yield state_file
        finally:
            self._free.put(state_file)


@contextmanager
def server_for(lab: str, target_files: Sequence[Path] = ()) -> Iterator[airflow_server.AirflowServer]:
    """The runner's server for `lab` when there is one (waiting for it to be healthy), else our own."""
    state_file = os.environ.get("LABKIT_AIRFLOW_SERVER", "")
    if Path(state_file).parent.name.startswith(f"{lab}-grading"):
        server = _attach(Path(state_file), running=os.environ.get(RUNNING) == "1")
        yield server
        return
    with Services("grade") as services:
        yield own(services, lab, target_files=target_files).get()


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


def _attach(state_file: Path, *, running: bool = False) -> airflow_server.AirflowServer:
    """Wait until the owner reports its server ready, then drive it. An earlier run may
    have stopped a component on purpose (lab 4 stops the scheduler): the tests' fixtures
    start what they need. `running`: it was up before this run began, so no state file
    means its owner stopped it (`make lab` closed mid-run): say so now, not in 150 s."""
    deadline = time.monotonic() + ATTACH_TIMEOUT
    if running and not state_file.exists():
        raise RuntimeError("the live Airflow this run was lent has stopped (was `make lab` closed?): "
                           "grade again, and the run starts its own")
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


def server_name(lab: str) -> str:
    """A fresh name for one of `lab`'s grading servers (the tests know theirs by its start)."""
    return f"{lab}-grading-{os.getpid()}-{time.monotonic_ns() % 10**6}"
