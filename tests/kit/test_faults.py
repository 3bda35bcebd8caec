"""Faults a student or an instructor meets: a command stopped, killed, run twice, or run
under a tight limit. Each ends with a clear message and nothing half-done or left running.

Every command runs as a user runs it (`python -m labkit …` in a process of its own) with a
state folder of the test's own, so nothing here touches the checkout's results.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labkit.paths import ROOT
from labkit.services import airflow, airflow_metadata
from labkit.services.airflow_server import _group_alive
from tests.kit.helpers import clean_env, postgres_processes, wait_until

pytestmark = pytest.mark.timeout(400)  # real grading runs, several in a row

PART = ["lab1", "--target", "reference", "--part", "extract_transform"]  # 6 points, ~5 s


STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _nothing_left_behind():
    """A failing test must not leave its commands grading in the background."""
    yield
    while STARTED:
        _kill(STARTED.pop())


def labkit(state, *args: str, **popen) -> subprocess.Popen:
    """`python -m labkit ARGS` as a user starts it: in a session (a terminal's job) of its own."""
    _seed(state)
    env = clean_env(LABKIT_STATE_DIR=str(state))
    process = subprocess.Popen([sys.executable, "-m", "labkit", *args], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, **popen)
    STARTED.append(process)
    return process


def _seed(state) -> None:
    """Give a fresh state folder the kit's migrated Airflow template, when there is one: a
    cold build costs 10–60 s and is not what these tests are about (it is validated on use)."""
    template = airflow.template_db()
    seeded = state / "airflow" / template.name
    if not seeded.exists():
        seeded.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, seeded)


def processes_under(folder) -> list[str]:
    """Every process whose command line names `folder` (the runs' homes, data and scratch).
    Read from /proc: `ps` may cut long command lines short of the folder's name."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        if str(folder) in args:
            found.append(f"{entry.name} {args}")
    return found


def grading_runs(folder) -> list[str]:
    """The grading children (pytest) among processes_under(folder): `python -m pytest …`, or
    a grading zygote's fork, which names itself "pytest". The folder's own path may contain
    "pytest" (pytest's tmp_path does), so the command line's words are not enough."""
    runs = []
    for line in processes_under(folder):
        pid, args = line.split(" ", 1)
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if name == "pytest" or " -m pytest " in f" {args} ":
            runs.append(line)
    return runs


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# -- 4. long-running commands stop on SIGTERM and SIGINT, with nothing left ---------------------
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_verify_stops_within_seconds_and_leaves_no_grading_run(tmp_path, signum):
    """`labkit verify` grades its variants in threads, each in a pytest of its own session:
    it kept grading after SIGTERM and left those pytests running after SIGINT."""
    state = tmp_path / "state"
    verify = labkit(state, "verify", "lab1")
    assert wait_until(lambda: len(grading_runs(state)) >= 2, timeout=180), \
        f"verify never started two grading runs:\n{processes_under(state)}"
    os.killpg(verify.pid, signum)  # as a terminal's Ctrl-C or a `kill` of the job does
    signalled = time.monotonic()
    verify.wait(timeout=30)
    took = time.monotonic() - signalled
    said = verify.stdout.read()
    assert took < 10, f"verify took {took:.0f} s to stop:\n{said}"
    assert verify.returncode == 128 + signum
    assert "Traceback" not in said
    assert wait_until(lambda: not processes_under(state), timeout=10), \
        "left running:\n" + "\n".join(processes_under(state))
    assert not postgres_processes(f"pg-{verify.pid}-")


# -- 5. one run of a lab at a time; a killed run keeps the previous score ------------------------
def test_a_second_run_of_the_same_lab_is_refused_while_the_first_runs(tmp_path):
    state = tmp_path / "state"
    first = labkit(state, "test", *PART)
    assert wait_until(lambda: grading_runs(state), timeout=120)
    second = labkit(state, "test", *PART)
    said = second.communicate(timeout=60)[0]
    assert second.returncode == 3, said
    assert "lab1 is already being graded here (process" in said and "Wait for it to finish" in said, said
    assert "Traceback" not in said
    out = first.communicate(timeout=180)[0]
    assert "SCORE lab1: 6/6" in out, out  # the first run was not disturbed
    # Once it is done, the lab can be graded again.
    again = labkit(state, "test", *PART)
    assert "SCORE lab1: 6/6" in again.communicate(timeout=180)[0]


def test_a_killed_run_keeps_the_previous_score(tmp_path):
    state = tmp_path / "state"
    done = labkit(state, "test", *PART)
    assert "SCORE lab1: 6/6" in done.communicate(timeout=180)[0]
    results = state / "results" / "lab1-part-extract_transform.json"
    before = results.read_text()
    killed = labkit(state, "test", *PART)
    assert wait_until(lambda: grading_runs(state), timeout=120)
    os.killpg(killed.pid, signal.SIGKILL)  # a closed terminal, an OOM kill: no cleanup runs
    killed.wait(timeout=30)
    assert results.read_text() == before, "the killed run changed the last score"
    assert json.loads(before)["score"] == 6
    # The lock died with its holder: the next run is not refused.
    wait_until(lambda: not grading_runs(state), timeout=30)
    after = labkit(state, "test", *PART)
    assert "SCORE lab1: 6/6" in after.communicate(timeout=180)[0]


# -- 8. a machine whose hard `ulimit -f` is below the grader's 64 MB ----------------------------
def _low_file_size_limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 2**20, 32 * 2**20))


def test_a_hard_file_size_limit_below_64_mb_grades_with_the_lower_limit(tmp_path):
    """Every grading child used to die in preexec_fn (SubprocessError, a traceback) when
    the grader asked for a 64 MB limit that the hard one forbade."""
    run = labkit(tmp_path / "state", "test", *PART, preexec_fn=_low_file_size_limit)
    out = run.communicate(timeout=300)[0]
    assert "Traceback" not in out and "SubprocessError" not in out, out[-2000:]
    assert "SCORE lab1: 6/6" in out, out[-2000:]


# -- 6. corrupted state under .labkit/ is rebuilt, with a message -------------------------------
@pytest.mark.parametrize("content", [b"", b"this is not a database at all" * 100], ids=["empty", "garbage"])
def test_a_broken_airflow_template_is_rebuilt_with_a_message(tmp_path, monkeypatch, caplog, content):
    """A 0-byte template gave every new home a DB without tables; a garbage one a raw
    `sqlite3.DatabaseError: file is not a database`."""
    monkeypatch.setenv("LABKIT_STATE_DIR", str(tmp_path / "state"))
    broken = airflow.root() / f"template-{airflow.airflow_version()}.db"
    broken.write_bytes(content)
    assert airflow.template_problem(broken)
    home = airflow.prepare("after-the-damage")
    assert airflow.template_problem(home.db_path) is None, "the new home has no migrated DB"
    assert airflow.template_problem(broken) is None, "the template was not rebuilt"
    assert any("rebuilding it" in r.getMessage() and str(broken) in r.getMessage() for r in caplog.records)


def test_a_cached_metadata_schema_that_is_not_a_dump_is_not_used(tmp_path):
    for content in (b"", b"garbage"):
        (tmp_path / "bad.dump").write_bytes(content)
        assert not airflow_metadata._is_dump(tmp_path / "bad.dump")
    (tmp_path / "good.dump").write_bytes(b"PGDMP\x01\x0e")
    assert airflow_metadata._is_dump(tmp_path / "good.dump")


# -- 18. an owner killed with SIGKILL mid-run leaves nothing running ------------------------------
def _ready_servers(state) -> list[dict]:
    found = []
    for state_file in (state / "airflow").rglob("server.json"):
        try:
            server = json.loads(state_file.read_text())
        except (OSError, ValueError):
            continue
        if server.get("ready"):
            found.append(server)
    return found


@pytest.mark.parametrize("lab", ["lab3", "lab4"], ids=["postgres", "live-airflow"])
def test_a_runner_killed_mid_run_leaves_no_service_or_test_running(tmp_path, lab):
    """Only the owner dies (`kill -9` of the runner, not its group: an OOM kill): its services
    (PostgreSQL for lab 3; a live Airflow for lab 4) and its pytest must go too."""
    state = tmp_path / "state"
    runner = labkit(state, "test", lab, "--target", "reference")
    assert wait_until(lambda: grading_runs(state), timeout=120)
    groups: list[int] = []
    if lab == "lab4":  # mid-run: its Airflow is up
        assert wait_until(lambda: _ready_servers(state), timeout=120), "the run's Airflow never got ready"
        groups = list(_ready_servers(state)[0]["pids"].values())
        assert groups and all(_group_alive(pid) for pid in groups)
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait(timeout=30)
    assert wait_until(lambda: not processes_under(state), timeout=30), \
        "left running after the owner died:\n" + "\n".join(processes_under(state))
    assert wait_until(lambda: not any(_group_alive(pid) for pid in groups), timeout=30), "Airflow outlived its owner"
    assert not postgres_processes(f"pg-{runner.pid}-")


SIGNAL_IN_PREEXEC = """
import os, signal, subprocess, sys
from labkit import interrupts
if sys.argv[1] == "guarded":
    interrupts.raise_on_interrupt()
else:
    signal.signal(signal.SIGINT, signal.default_int_handler)
# Ctrl-C reaches the child between fork() and exec(), as in `labkit verify`'s race.
subprocess.Popen(["true"], preexec_fn=lambda: os.kill(os.getpid(), signal.SIGINT)).wait()
print("started")
os.kill(os.getpid(), signal.SIGINT)
"""


@pytest.mark.parametrize("handler", ["guarded", "plain"])
def test_ctrl_c_between_fork_and_exec_stops_only_the_parent(handler):
    """A Ctrl-C sent to the terminal's group while a grading child was being forked printed
    a KeyboardInterrupt traceback from the child (its preexec_fn runs our handler). Guarded,
    the child starts as asked and the parent alone gets KeyboardInterrupt."""
    done = subprocess.run([sys.executable, "-c", SIGNAL_IN_PREEXEC, handler], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    if handler == "plain":  # the failure the guard prevents, so this test can fail
        assert "Exception occurred in preexec_fn" in done.stderr
        return
    assert done.stdout == "started\n", done.stderr
    assert done.stderr.count("Traceback") == 1 and done.stderr.rstrip().endswith("KeyboardInterrupt")
