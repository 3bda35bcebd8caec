"""Grading-time budgets, measured side by side in one run (`make bench`).

With `make lab`'s services kept warm (grading/warm.py), as a student grades:

- `make test labN` (the reference), three runs: ≤ 12 s for labs 1–3 and 6, ≤ 18 s for
  labs 4 and 5;
- a notebook's `check(lab, part)`: every part once, ≤ 8 s each for labs 1–3 and 6;

each beside its floor: what no grading run of that lab can avoid on this machine (Python and
pytest starting, Airflow's import, and the services it still starts itself). A budget is
checked against the median; min/median/max are printed.

The seconds above are the issue's, on this 2-core machine the day its floors were measured
(FLOORS_THEN). A budget is kept as a multiple of the lab's floor, as bench.py's budgets are:
the same code on a machine (or a day) whose floors are 1.7× slower gets 1.7× the seconds,
so a verdict does not change with load.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from labkit import labs, paths

log = logging.getLogger(__name__)
TEST_BUDGET_S = {"lab1": 12.0, "lab2": 12.0, "lab3": 12.0, "lab4": 18.0, "lab5": 18.0, "lab6": 12.0}
CHECK_BUDGET_S = {"lab1": 8.0, "lab2": 8.0, "lab3": 8.0, "lab6": 8.0}
RUNS = 3
WARM_TIMEOUT = 240.0


@dataclass
class Figure:
    what: str
    seconds: list[float] = field(default_factory=list)
    budget: float | None = None  # seconds, scaled to today's floor
    floor: float | None = None
    note: str = ""
    budget_then: float | None = None  # the same budget at FLOORS_THEN

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def ok(self) -> bool:
        return bool(self.seconds) and (self.budget is None or self.median <= self.budget)

    def line(self) -> str:
        if not self.seconds:
            return f"{self.what:<34} not measured: {self.note}"
        spread = f"{min(self.seconds):5.1f} / {self.median:5.1f} / {max(self.seconds):5.1f} s"
        then = f" ({self.budget_then:g} s × floor now/then)" if self.budget_then is not None else ""
        budget = f"budget ≤ {self.budget:.1f} s{then} {'PASS' if self.ok else 'MISS'}" if self.budget is not None else ""
        floor = f"floor {self.floor:4.1f} s" if self.floor is not None else ""
        return "  ".join(part for part in (f"{self.what:<34}", spread, floor, budget, self.note) if part)


def timed(function: Callable[[], object]) -> float:
    began = time.perf_counter()
    function()
    return time.perf_counter() - began


def run(argv: Sequence[str], env: dict[str, str] | None = None, timeout: float = 600) -> str:
    done = subprocess.run(list(argv), cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv[2:5])}… exited {done.returncode}: {done.stdout[-300:]}{done.stderr[-300:]}")
    return done.stdout


# -- floors ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Floors:
    pytest_start: float  # python, pytest and the grading plugin, collecting one tiny file
    airflow_import: float  # every lab's code imports Airflow
    postgres_start: float  # an embedded PostgreSQL, when no warm one is there
    live_airflow: float  # a live Airflow to healthy, for a run that starts its own (none warm)

    def of(self, lab: str, warm_airflow: bool) -> float:
        record = labs.get(lab)
        floor = self.pytest_start + self.airflow_import  # warm PostgreSQL: nothing to start
        if record.graded_airflow is not None and not warm_airflow:
            floor += self.live_airflow
        return floor


# The floors on the day the budgets' seconds were set (make bench on this machine, 2026-12-05).
FLOORS_THEN = Floors(pytest_start=2.1, airflow_import=1.6, postgres_start=0.4, live_airflow=6.8)


def scaled(budget_s: float, lab: str, warm_airflow: bool, floors: Floors) -> float:
    """`budget_s` seconds at FLOORS_THEN, as the same multiple of the lab's floor measured now."""
    return budget_s * floors.of(lab, warm_airflow) / FLOORS_THEN.of(lab, warm_airflow)


def measure_floors() -> Floors:
    python = sys.executable
    best = min  # a floor is the best the machine can do
    pytest_start = best(timed(lambda: run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co",
                                           "tests/kit/test_labs.py"])) for _ in range(RUNS))
    airflow_import = best(timed(lambda: run([python, "-c", "import labkit, airflow.sdk"])) for _ in range(RUNS))
    from labkit.services import postgres

    def start_stop() -> None:
        postgres.start_embedded().stop()

    postgres_start = best(timed(start_stop) for _ in range(RUNS))
    from labkit.grading import servers
    from labkit.services import airflow_server

    recipe = labs.get("lab5").graded_airflow
    assert recipe is not None
    began = time.perf_counter()
    server = airflow_server.start(f"bench-floor-{os.getpid()}", recipe.dag_files(), settings=labs.get("lab5").server_settings())
    live_airflow = time.perf_counter() - began
    server.stop(grace=servers.STOP_GRACE, remove=True)
    return Floors(pytest_start, airflow_import, postgres_start, live_airflow)


# -- a make lab, held for the measurements -------------------------------------------------------
@contextmanager
def warm_services() -> Iterator[dict[str, str]]:
    """What `make lab` keeps warm (its PostgreSQL, lab 4's live Airflow, its grading zygote),
    without JupyterLab."""
    from labkit.grading import warm

    holder = subprocess.Popen([sys.executable, "-m", "labkit.grading.warm"], cwd=paths.ROOT, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + WARM_TIMEOUT
        wanted = set(warm.WARM_AIRFLOW_LABS)
        while time.monotonic() < deadline and holder.poll() is None:
            try:
                record = json.loads(warm.registry().read_text())
            except (OSError, ValueError):
                record = {}
            if record.get("pid") == holder.pid and wanted <= set(record.get("airflow", {})) and record.get("zygote"):
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("make lab's warm services did not start")
        yield dict(record)
    finally:
        os.killpg(holder.pid, signal.SIGTERM)
        try:
            holder.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(holder.pid, signal.SIGKILL)
            holder.wait()


# -- the figures -------------------------------------------------------------------------------
def make_test(lab: str, runs: int = RUNS) -> Figure:
    """`make test lab --target reference` (after one run that warms the caches: bytecode, the
    Airflow template, pages), timed as a whole process; memory sampled meanwhile."""
    from labkit import bench

    figure = Figure(f"warm make test {lab}", budget=TEST_BUDGET_S.get(lab))
    argv = [sys.executable, "-m", "labkit", "test", lab, "--target", "reference"]
    run(argv)  # lab 5: cold, and make lab starts a spare once it is done
    peak_kb = 0
    for _ in range(runs):
        if not _spare_ready(lab):
            figure.note = "(no spare Airflow was ready: ran cold)"
        code, seconds, rss_kb, tail, pss_kb = bench._run_measured(argv, timeout=600)
        if code not in (0, 1):
            figure.note = f"exit code {code}: {tail[:120]}"
            return figure
        figure.seconds.append(seconds)
        peak_kb = max(peak_kb, rss_kb, pss_kb)
        if "(using make lab's" not in bench.last_warm_log():  # its zygote serves every lab
            figure.note = "(ran cold: make lab's services were busy or gone)"
    figure.note = (figure.note + f" peak memory it adds {peak_kb / 1024:,.0f} MB (≤ 1.5 GB "
                   f"{'PASS' if peak_kb <= bench.RSS_BUDGET_KB else 'MISS'})").strip()
    return figure


def _spare_ready(lab: str, timeout: float = 120) -> bool:
    """For a lab whose runs each take a fresh spare Airflow (spare.py): wait, as a student
    reading the last results would, until make lab's next one answers."""
    from labkit.grading import spare, warm

    deadline = time.monotonic() + timeout
    while lab in spare.SPARE_LABS and warm.ready_spare(lab) is None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def checks(lab: str) -> Figure:
    """Every part's check() once (what a lesson's check cell runs: runner.grade on the part's
    file), the reference graded so that every test runs to its end."""
    from labkit.grading import runner
    from labkit.grading.parts import parts

    figure = Figure(f"check() {lab}, each part", budget=CHECK_BUDGET_S.get(lab))
    for part in parts(lab):
        began = time.perf_counter()
        runner.grade(lab, "reference", show=False, select=[part.file], name=f"bench-{lab}-part-{part.name}")
        figure.seconds.append(time.perf_counter() - began)
    return figure


def measure(chosen: Sequence[str] | None = None) -> list[Figure]:
    chosen = list(chosen or labs.LABS)
    floors = measure_floors()
    figures = [
        Figure("floor: python + pytest start", [floors.pytest_start]),
        Figure("floor: import airflow.sdk", [floors.airflow_import]),
        Figure("floor: embedded PostgreSQL start", [floors.postgres_start], note="(0 when warm)"),
        Figure("floor: live Airflow to healthy", [floors.live_airflow], note="(0 when warm: lab 4; lab 5's spare)"),
    ]
    with warm_services():
        from labkit.grading import spare, warm

        for lab in chosen:
            warm_airflow = lab in warm.WARM_AIRFLOW_LABS or lab in spare.SPARE_LABS
            figures.append(_against_floor(make_test(lab), lab, warm_airflow, floors))
        for lab in chosen:
            if lab in CHECK_BUDGET_S:
                figures.append(_against_floor(checks(lab), lab, True, floors))
    return figures


def _against_floor(figure: Figure, lab: str, warm_airflow: bool, floors: Floors) -> Figure:
    figure.floor = floors.of(lab, warm_airflow)
    if figure.budget is not None:
        figure.budget_then = figure.budget
        figure.budget = scaled(figure.budget, lab, warm_airflow, floors)
    return figure


def report(figures: Sequence[Figure]) -> list[str]:
    return ["grading time, warm (make lab running): min / median / max", *(figure.line() for figure in figures)]
