"""Warm reuse: while `make lab` runs, a student's grading runs attach to its PostgreSQL, to
the live Airflow it keeps for lab 4 and to its grading zygote, with the same verdicts; nothing
outlives `make lab`, even killed with SIGKILL in the middle of a run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labkit.paths import ROOT
from labkit.services.airflow_server import _group_alive
from tests.kit.helpers import clean_env, wait_until
from tests.kit.test_faults import _seed, processes_under

pytestmark = pytest.mark.timeout(600)


def _labkit(state, *args):
    return subprocess.run([sys.executable, "-m", "labkit", *args], cwd=ROOT, env=clean_env(LABKIT_STATE_DIR=str(state)),
                          capture_output=True, text=True, timeout=300)


def _not_passed(report: str) -> str:
    """A grading report without its PASS lines: what a failure message needs."""
    return "\n".join(line for line in report.splitlines() if not line.lstrip().startswith("PASS"))


def _tests_started(state: Path) -> bool:
    """A grading run's progress file records a test (its child is past pytest's start)."""
    return any('"event": "scored"' in progress.read_text()
               for progress in (state / "results").glob(".run-*/progress.jsonl"))


def test_grading_runs_attach_to_what_make_lab_keeps_warm_and_nothing_outlives_it(tmp_path):
    state = tmp_path / "state"
    _seed(state)
    # What `make lab` keeps warm for grading runs, without JupyterLab.
    holder = subprocess.Popen([sys.executable, "-m", "labkit.grading.warm"], cwd=ROOT, env=clean_env(LABKIT_STATE_DIR=str(state)),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == "HOLDING"
        registry = state / "run" / "warm.json"
        assert oct(registry.stat().st_mode & 0o777) == "0o600", "the registry holds a password: private"

        assert wait_until(lambda: json.loads(registry.read_text()).get("zygote"), timeout=120), \
            "make lab never published its grading zygote"
        lab1 = _labkit(state, "test", "lab1", "--target", "reference")
        assert "(using make lab's PostgreSQL and preloaded pytest)" in lab1.stdout, lab1.stdout
        assert "SCORE lab1: 27/27" in lab1.stdout, lab1.stdout

        assert wait_until(lambda: "lab4" in json.loads(registry.read_text()).get("airflow", {}), timeout=180), \
            "make lab never published its warm Airflow"
        began = time.monotonic()
        lab4 = _labkit(state, "test", "lab4", "--target", "reference")
        warm_seconds = time.monotonic() - began
        assert "(using make lab's live Airflow" in lab4.stdout, lab4.stdout
        assert "SCORE lab4: 50/50" in lab4.stdout, lab4.stdout
        # Two runs at once (a terminal and a notebook): one gets the warm Airflow, the other
        # starts its own (a test stops the scheduler: never two runs on one server). Same verdicts.
        env = clean_env(LABKIT_STATE_DIR=str(state))
        both = [subprocess.Popen([sys.executable, "-m", "labkit", "test", "lab4", "--target", target], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for target in ("reference", str(ROOT / "dags"))]
        said = [run.communicate(timeout=400)[0] for run in both]
        assert all("SCORE lab4: 50/50" in out for out in said), "\n\n".join(_not_passed(out) for out in said)
        assert sum("(using make lab's live Airflow" in out for out in said) == 1, "\n\n".join(said)
        print(f"warm lab 4 run: {warm_seconds:.1f} s")
        warm_state = json.loads(registry.read_text())["airflow"]["lab4"]
        groups = list(json.loads(Path(warm_state).read_text())["pids"].values())
        # `make lab` killed outright while a run's tests are running in its zygote's child.
        mid_run = subprocess.Popen([sys.executable, "-m", "labkit", "test", "lab1", "--target", "reference"], cwd=ROOT,
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert wait_until(lambda: _tests_started(state), timeout=120), "the run's tests never started"
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # `make lab` killed outright: its watchdogs clean up
        holder.wait(timeout=30)
    # The run still ends with a score (its services are gone: not full marks), in seconds.
    assert "SCORE lab1:" in mid_run.communicate(timeout=300)[0]
    assert wait_until(lambda: not processes_under(state), timeout=30), "\n".join(processes_under(state))
    assert wait_until(lambda: not any(_group_alive(pid) for pid in groups), timeout=30), "the warm Airflow outlived make lab"
    # A registry whose owner is dead is ignored: a cold run, same verdict.
    cold = _labkit(state, "test", "lab1", "--target", "reference")
    assert "using make lab's" not in cold.stdout and "SCORE lab1: 27/27" in cold.stdout, cold.stdout
