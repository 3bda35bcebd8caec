"""Lab 5's spare Airflow: while `make lab` runs, each lab 5 run after the first gets a fresh,
never-used live Airflow that make lab started beforehand (labkit/grading/spare.py), with the
verdicts a cold run gives; a used one is never handed out again, and nothing outlives
`make lab`, even killed with SIGKILL while a spare is in use."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labkit.grading import spare, warm
from labkit.grading.verify import load_variants
from labkit.paths import ROOT
from labkit.services.airflow_server import _group_alive
from tests.kit.helpers import clean_env, wait_until
from tests.kit.test_faults import _seed, processes_under

pytestmark = pytest.mark.timeout(600)


def _ready_spare(state: Path) -> Path | None:
    """make lab's unused spare for lab 5 (read from `state`, as the runs there do), once it answers."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LABKIT_STATE_DIR", str(state))
        return warm.ready_spare("lab5")


def _next_spare(state: Path, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while (found := _ready_spare(state)) is None:
        assert time.monotonic() < deadline, "make lab never published a ready spare"
        time.sleep(0.5)
    return found


def _groups(state_file: Path) -> list[int]:
    return list(json.loads(state_file.read_text())["pids"].values())


def _grade(state: Path, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labkit", "test", "lab5", "--target", target], cwd=ROOT,
                          env=clean_env(LABKIT_STATE_DIR=str(state)), capture_output=True, text=True, timeout=300)


def test_each_lab5_run_gets_a_fresh_spare_with_a_cold_runs_verdict_and_nothing_outlives_make_lab(tmp_path):
    state = tmp_path / "state"
    _seed(state)
    holder = subprocess.Popen([sys.executable, "-m", "labkit.grading.warm"], cwd=ROOT, env=clean_env(LABKIT_STATE_DIR=str(state)),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    wrong = next(v for v in load_variants("lab5") if v.name == "latest_only_not_wired").build(tmp_path / "variants")
    try:
        assert holder.stdout.readline().strip() == "HOLDING"
        assert not wait_until(lambda: _ready_spare(state), timeout=3), "a spare before any lab 5 run: memory for nothing"
        # The first run is cold, and asks for a spare once it is done.
        cold = _grade(state, str(wrong))
        assert "(using make lab's live Airflow" not in cold.stdout, cold.stdout
        first = _next_spare(state)
        first_groups = _groups(first)
        # The same submission on the spare: the same verdict, test by test.
        warm = _grade(state, str(wrong))
        assert "(using make lab's live Airflow" in warm.stdout, warm.stdout
        assert _verdicts(warm.stdout) == _verdicts(cold.stdout), f"cold:\n{cold.stdout}\n\nspare:\n{warm.stdout}"
        assert "SCORE lab5: 33/35" in warm.stdout, warm.stdout  # it loses the LatestOnly backfill test, 2 pts
        # A used spare is thrown away (processes and home), and a new one takes its place.
        assert _next_spare(state) != first
        assert wait_until(lambda: not any(_group_alive(pid) for pid in first_groups), timeout=30), "a used spare kept running"
        assert not first.parent.exists(), "a used spare's home was left behind"
        right = _grade(state, "reference")
        assert "(using make lab's live Airflow" in right.stdout and "SCORE lab5: 35/35" in right.stdout, right.stdout
        # make lab killed outright while a run uses its spare.
        third = _next_spare(state)
        groups = _groups(third)
        mid_run = subprocess.Popen([sys.executable, "-m", "labkit", "test", "lab5", "--target", "reference"], cwd=ROOT,
                                   env=clean_env(LABKIT_STATE_DIR=str(state)), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        assert wait_until(lambda: (third.parent / spare.CLAIMED).exists(), timeout=60), "the run did not take the spare"
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    killed = time.monotonic()
    said = mid_run.communicate(timeout=300)[0]
    assert "SCORE lab5:" in said, said
    # Its restarted test process knows the spare is gone: it does not wait 150 s for it.
    assert time.monotonic() - killed < 60, f"the run took {time.monotonic() - killed:.0f} s to end:\n{said}"
    assert wait_until(lambda: not processes_under(state), timeout=30), "\n".join(processes_under(state))
    assert wait_until(lambda: not any(_group_alive(pid) for pid in groups), timeout=30), "the spare outlived make lab"


def _verdicts(report: str) -> list[str]:
    """The report's lines that say PASS or FAIL for a test, with their points."""
    return [line.strip() for line in report.splitlines() if line.lstrip().startswith(("PASS", "FAIL"))]


def test_a_spare_left_unused_is_retired_and_the_next_lab5_run_asks_again(tmp_path):
    """A student who has moved on from lab 5 does not keep an idle Airflow (LABKIT_SPARE_IDLE_S)."""
    state = tmp_path / "state"
    _seed(state)
    holder = subprocess.Popen([sys.executable, "-m", "labkit.grading.warm"], cwd=ROOT,
                              env=clean_env(LABKIT_STATE_DIR=str(state), LABKIT_SPARE_IDLE_S="5"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == "HOLDING"
        with pytest.MonkeyPatch.context() as patch:  # what a finished cold lab 5 run leaves
            patch.setenv("LABKIT_STATE_DIR", str(state))
            spare.ask_for("lab5", holder.pid)
            flag = spare.wanted_flag("lab5", holder.pid)
        idle = _next_spare(state)
        groups = _groups(idle)
        assert wait_until(lambda: not idle.parent.exists(), timeout=60), "an unused spare was never retired"
        assert wait_until(lambda: not any(_group_alive(pid) for pid in groups), timeout=30), "a retired spare kept running"
        assert not flag.exists(), "make lab would start another spare nobody asked for"
        assert not json.loads((state / "run" / "warm.json").read_text()).get("spare"), "a retired spare is still published"
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.wait(timeout=60)
    assert wait_until(lambda: not processes_under(state), timeout=30), "\n".join(processes_under(state))
