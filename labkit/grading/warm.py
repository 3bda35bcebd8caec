"""Services `make lab` keeps warm for the student's grading runs.

While `make lab` runs, a student's `make test labN` (from any terminal) and the notebook's
`check()` attach to its PostgreSQL instead of starting one, and lab 4's runs attach to a live
Airflow it keeps ready instead of starting one each (~10 s on two cores); lab 5's each get a
fresh one it started beforehand (spare.py). Each run still gets
fresh databases and a fresh Airflow home of its own, as always; the warm Airflow's DAGs do not
depend on the graded files (lab 4's given DAG and its fleet), which is also why `verify`
shares one across a lab's runs. It serves one run at a time (a test stops its scheduler): a
second run at once starts its own, as does every run when no `make lab` is up. Every lab's
runs also fork their pytest from its grading zygote (zygote.py: pytest and Airflow already
imported), one run at a time, since the run prepares the zygote's Airflow home afresh.

`make lab` publishes what it runs in a private file (the admin password is in it) and
withdraws it when it stops; a killed `make lab` leaves a file whose owner is dead, which
nobody uses. A run attaches only to what answers: a warm service that is gone or sick means
a cold start, never a different verdict.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from labkit import labs
from labkit.grading import spare
from labkit.grading.zygote import Zygote, try_lock
from labkit.paths import state_dir
from labkit.private_files import write_private
from labkit.services import airflow_server

if TYPE_CHECKING:
    from concurrent.futures import Future

    from labkit.services.airflow_server import AirflowServer
    from labkit.services.postgres import PostgresServer
    from labkit.stack import Stack

log = logging.getLogger(__name__)
# Labs whose graded live Airflow `make lab` keeps warm: those whose server does not run the
# graded files. Lab 5's scheduler runs the student's own DAGs; reusing it would mean swapping
# a live scheduler's DAG files and history between runs, where a stale parse would change a
# verdict: `make lab` keeps a fresh, unused one ready instead (spare.py), one per run.
WARM_AIRFLOW_LABS = tuple(
    lab.name for lab in labs.LABS.values() if lab.graded_airflow is not None and not lab.graded_airflow.runs_target
)

# What the warm zygote preloads: what any lab's tests import.
ALL_SERVICES = tuple(sorted({service for lab in labs.LABS.values() for service in lab.services}))


def registry() -> Path:
    return state_dir() / "run" / "warm.json"


def publish(owner: int, *, postgres_dsn: str | None = None, airflow: dict[str, str] | None = None,
            zygote: dict[str, str] | None = None, spare: dict[str, str | None] | None = None) -> None:
    """Record (or update) what the `make lab` process `owner` keeps warm (`spare`: lab ->
    its unused spare Airflow's state file, None when there is none any more)."""
    current = _read() if _owner_alive(_read()) else {}
    spares = {**current.get("spare", {}), **(spare or {})}
    record = {
        "pid": owner,
        "postgres": postgres_dsn or current.get("postgres"),
        "airflow": {**current.get("airflow", {}), **(airflow or {})},
        "spare": {lab: state for lab, state in spares.items() if state},
        "zygote": zygote or current.get("zygote"),
    }
    path = registry()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, json.dumps(record))


def withdraw(owner: int) -> None:
    if _read().get("pid") == owner:
        registry().unlink(missing_ok=True)


@dataclass
class Warm:
    """What a grading run may attach to; hold it for the run (it holds the Airflow's lock)."""

    postgres: PostgresServer | None = None  # an attached server
    airflow_state: Path | None = None
    zygote: Zygote | None = None  # forks the run's pytest with Airflow imported (zygote.py)
    _locks: list[IO[str]] = field(default_factory=list)
    _after: list[Callable[[], None]] = field(default_factory=list)  # when the run is done

    def describe(self) -> str:
        parts = (["PostgreSQL"] if self.postgres else []) + (["live Airflow"] if self.airflow_state else [])
        parts += ["preloaded pytest"] if self.zygote else []
        listed = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
        return f"using make lab's {listed}" if parts else ""

    def release(self) -> None:
        for lock in self._locks:
            lock.close()  # closing drops the flock
        self._locks.clear()
        for then in self._after:
            then()
        self._after.clear()


def find(lab: str, target_files: Sequence[Path] = ()) -> Warm:
    """The warm services a run of `lab` (grading `target_files`) can use now (none when no
    `make lab` runs); release it when the run is done."""
    record = _read()
    if os.environ.get("LABKIT_WARM") == "0" or not _owner_alive(record):
        return Warm()
    warm = Warm()
    wanted = labs.get(lab)
    if "postgres" in wanted.services and record.get("postgres"):
        from labkit.services import postgres

        server = postgres.attach(record["postgres"])
        if server.healthy():
            warm.postgres = server
    state = record.get("airflow", {}).get(lab)
    if state and lab in WARM_AIRFLOW_LABS:
        lock = try_lock(Path(state).with_name("warm.lock"))
        # A component an earlier run stopped on purpose (lab 4 stops the scheduler) is no
        # reason to start afresh: the tests' fixtures start what they need, as under `verify`.
        if lock is not None and airflow_server.answers(Path(state)):
            warm.airflow_state = Path(state)
            warm._locks.append(lock)
        elif lock is not None:
            lock.close()
    if lab in spare.SPARE_LABS:
        _claim_spare(warm, record, lab, target_files)
    found = record.get("zygote")
    if found:
        zygote = Zygote.attach(Path(found["socket"]), Path(found["home"]))
        lock = try_lock(zygote.socket_path.with_name("lease.lock"))  # one run at a time: the home is the run's
        if lock is not None and zygote.alive():
            warm.zygote = zygote
            warm._locks.append(lock)
        elif lock is not None:
            lock.close()
    return warm


def _claim_spare(warm: Warm, record: dict[str, Any], lab: str, target_files: Sequence[Path]) -> None:
    state = record.get("spare", {}).get(lab)
    deadline = time.monotonic() + spare.SAVED_WITHIN
    # The last run's spare, which make lab is about to replace (a student who runs again at
    # once): its next one, booting, is sooner than an Airflow of our own.
    while state and spare.used_up(Path(state).parent) and time.monotonic() < deadline:
        time.sleep(0.2)
        state = _read().get("spare", {}).get(lab)
    recipe = labs.get(lab).graded_airflow
    lock = spare.claim(Path(state), recipe.dag_files(target_files)) if state and recipe else None
    if lock is None:  # none: this run starts its own, and once it is done, make lab starts one
        warm._after.append(functools.partial(spare.ask_for, lab, int(record["pid"])))
        return
    warm.airflow_state = Path(state)
    warm._locks.append(lock)


def ready_spare(lab: str) -> Path | None:
    """The state file of make lab's unused spare Airflow for `lab`, once it answers."""
    found = _read().get("spare", {}).get(lab)
    if not found or (Path(found).parent / spare.CLAIMED).exists() or not airflow_server.answers(Path(found)):
        return None
    return Path(found)


def running() -> bool:
    """Whether a `make lab` keeps services warm now (LABKIT_WARM=0: as if none did)."""
    return os.environ.get("LABKIT_WARM") != "0" and _owner_alive(_read())


def _read() -> dict[str, Any]:
    try:
        return cast(dict[str, Any], json.loads(registry().read_text()))
    except (OSError, ValueError):
        return {}


def _owner_alive(record: dict[str, Any]) -> bool:
    from labkit.services._net import process_alive

    return bool(record.get("pid")) and process_alive(int(record["pid"]))


# -- the owner's side: `make lab` ---------------------------------------------------------------
def keep(services: Stack) -> None:
    """Let grading runs use `services`' PostgreSQL, and keep a live Airflow ready for the labs
    whose graded server does not depend on the student's files. The Airflow starts in the
    background, as one of `services` (it stops with them), and is published once healthy.
    LABKIT_WARM=0 turns all this off."""
    from labkit.grading import servers

    if os.environ.get("LABKIT_WARM") == "0":
        return
    owner = os.getpid()
    publish(owner, postgres_dsn=services.postgres.dsn("postgres") if services.postgres else None)

    def publish_when_ready(lab: str, started: Future[AirflowServer]) -> None:
        error = started.exception()
        if error is None:
            publish(owner, airflow={lab: str(started.result().state_file)})
        else:
            log.warning("the warm Airflow for %s did not start (grading runs start their own): %s", lab, error)

    for lab in WARM_AIRFLOW_LABS:
        servers.own(services.services, lab).future.add_done_callback(functools.partial(publish_when_ready, lab))
    for lab in spare.SPARE_LABS:
        def publish_spare(state_file: Path | None, lab: str = lab) -> None:
            publish(owner, spare={lab: str(state_file) if state_file else None})

        services.services.callback(spare.SpareKeeper(lab, owner, publish_spare).start().stop)
    def publish_zygote(started: Future[Zygote]) -> None:
        error = started.exception()
        if error is None:
            publish(owner, zygote=started.result().describe())
        else:  # runs start their own pytest, as without make lab
            log.warning("the warm grading zygote did not start: %s", error)

    zygote = services.services.own("zygote", lambda: Zygote.start(ALL_SERVICES, name="warm"), background=True)
    zygote.future.add_done_callback(publish_zygote)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def hold() -> None:
    """`python -m labkit.grading.warm`: what `make lab` keeps warm, without JupyterLab (the
    bench and the kit's tests use it), until SIGTERM or SIGINT."""
    from labkit import stack

    signal.signal(signal.SIGTERM, _interrupt)  # stopped like Ctrl-C: services stop in `finally`
    services = stack.start(services=["postgres"])
    try:
        keep(services)
        print("HOLDING", flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        withdraw(os.getpid())
        services.stop()


if __name__ == "__main__":
    hold()
