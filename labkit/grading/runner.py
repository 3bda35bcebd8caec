"""Grade one lab for one target: `labkit test lab1 [--target reference]`.

The runner owns the services (so nothing survives a killed run), prepares an Airflow home
whose DAGs folder holds only the target's files, and runs pytest in a child process with
a wall-clock limit. pytest-timeout stops ordinary infinite loops test by test; a loop
inside C code ignores it, so when the limit passes the runner kills the child's process
group and rebuilds the score from the progress file: finished tests keep their points,
the one in flight is reported as "timed out".
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from labkit.grading.report import NOT_RUN, TIMEOUT, LabResult, TestResult, junit_xml, render, result_path, results_dir
from labkit.grading.targets import Target, relative
from labkit.paths import ROOT, TESTS
from labkit.services import airflow, postgres

DEFAULT_TIME_LIMIT = 300  # seconds for a whole lab; a reference run takes ~25 s
# Plugins a grading run never needs: each costs start-up time (nbmake ~2 s).
DISABLED_PLUGINS = ("no:cacheprovider", "no:nbmake", "no:pytest_httpserver", "no:anyio", "no:platformdirs")


@dataclass
class Outcome:
    result: LabResult
    returncode: int
    log: Path
    timed_out: bool = False


def pytest_command(lab: str, target: Target, progress: Path, results: Path, junit: Path, extra: list[str]) -> list[str]:
    command = [sys.executable, "-m", "pytest", str(TESTS / lab), "--target", str(target)]
    for plugin in DISABLED_PLUGINS:
        command += ["-p", plugin]
    command += [
        "-q",
        "--tb=short",
        "--color=no",
        f"--labkit-progress={progress}",
        f"--labkit-results={results}",
        f"--junitxml={junit}",
        "-o",
        "junit_family=xunit2",
        *extra,
    ]
    return command


def grade(
    lab: str,
    target: str | Target = "student",
    *,
    time_limit: float | None = None,
    results: Path | None = None,
    extra_args: list[str] | None = None,
    show: bool = True,
    server: postgres.PostgresServer | None = None,
    home_name: str | None = None,
) -> Outcome:
    """Run lab `lab`'s graded suite against `target` and return (and print) the score."""
    target = target if isinstance(target, Target) else Target.parse(target)
    if not (TESTS / lab).is_dir():
        raise ValueError(f"no graded tests for {lab!r} (expected a folder tests/{lab})")
    time_limit = time_limit or float(os.environ.get("LABKIT_TIME_LIMIT", DEFAULT_TIME_LIMIT))
    folder = results or results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    label = target.label
    base = result_path(lab, label, folder).with_suffix("")
    log, junit = base.with_suffix(".log"), base.with_suffix(".xml")
    # Per-run names: two runs of the same lab at once must not read each other's progress.
    progress = base.with_name(f"{base.name}.{os.getpid()}.progress.jsonl")
    result_path(lab, label, folder).unlink(missing_ok=True)

    own_server = server is None
    server = server or postgres.start()
    try:
        home = airflow.prepare(home_name or f"grade-{lab}-{label.replace(':', '-')}-{os.getpid()}", target.lab_files(lab))
        env = {
            **os.environ,
            **{k: v for k, v in server.env().items() if k == "LABKIT_PG_ADMIN_DSN"},
            **home.env(),
            "LABKIT_AIRFLOW_PREPARED": str(home.path),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode caches save ~3 s per run
        command = pytest_command(lab, target, progress, folder, junit, extra_args or [])
        started = time.monotonic()
        with log.open("wb") as out:
            child = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            timed_out = _wait(child, time_limit, progress, show)
        result = _collect(lab, target, folder, label, progress, timed_out, time_limit)
        result.duration = round(time.monotonic() - started, 1)
        if timed_out or not result.tests:
            result.save(result_path(lab, label, folder))
            junit.write_text(junit_xml(result))
        if not result.tests and not timed_out:
            result.note = f"pytest collected no graded tests (exit code {child.returncode}); see {relative(log)}"
    finally:
        progress.unlink(missing_ok=True)
        if "home" in locals() and not os.environ.get("LABKIT_KEEP_HOMES"):
            shutil.rmtree(home.path, ignore_errors=True)
        if own_server:
            server.stop()
    if show:
        print(render(result))
        print(f"(details: {relative(result_path(lab, label, folder))}, full log: {relative(log)})")
    return Outcome(result, child.returncode if child.returncode is not None else -9, log, timed_out)


def _wait(child: subprocess.Popen, limit: float, progress: Path, show: bool) -> bool:
    """Wait for pytest, printing a one-line progress count on a terminal. True if killed."""
    deadline = time.monotonic() + limit
    live = show and sys.stdout.isatty()
    while child.poll() is None:
        if time.monotonic() > deadline:
            _kill_group(child)
            return True
        if live:
            done, total = _count(progress)
            if total:
                print(f"\r  grading… {done}/{total} tests", end="", flush=True)
        time.sleep(0.2)
    if live:
        print("\r" + " " * 40 + "\r", end="", flush=True)
    return False


def _kill_group(child: subprocess.Popen) -> None:
    # dag.test() ignores SIGTERM and C loops ignore everything else: SIGKILL the group.
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()


def _read_progress(progress: Path) -> tuple[list[dict], dict[str, dict]]:
    collected: list[dict] = []
    finished: dict[str, dict] = {}
    if progress.exists():
        for line in progress.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut short by the kill
            if "collected" in record:
                collected = record["collected"]
            elif "result" in record:
                finished[record["result"]["nodeid"]] = record["result"]
    return collected, finished


def _count(progress: Path) -> tuple[int, int]:
    collected, finished = _read_progress(progress)
    return len(finished), len(collected)


def _collect(lab: str, target: Target, folder: Path, label: str, progress: Path, timed_out: bool, limit: float) -> LabResult:
    path = result_path(lab, label, folder)
    if path.exists() and not timed_out:
        return LabResult.from_json(json.loads(path.read_text()))
    collected, finished = _read_progress(progress)
    tests, in_flight = [], True
    for entry in collected:
        done = finished.get(entry["nodeid"])
        test = TestResult(**(done or entry))
        if done is None:
            if in_flight and timed_out:
                test.outcome = TIMEOUT
                test.reason = f"still running when the {limit:.0f} s limit for the lab passed (an infinite loop?)"
                test.details = (
                    test.reason + "\nThe grader stopped the whole run. Look for a loop that never ends in the code "
                    "this test calls; loops inside C code (e.g. sum(itertools.count())) ignore the per-test timeout."
                )
                in_flight = False
            else:
                test.outcome, test.reason = NOT_RUN, "not run: the lab's time limit had passed"
        tests.append(test)
    files = [relative(p) for p in target.lab_files(lab)]
    note = f"stopped after {limit:.0f} s" if timed_out else ""
    return LabResult(lab, label, files, tests, note=note)
