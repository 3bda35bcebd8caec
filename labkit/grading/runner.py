"""Grade one lab for one target: `labkit test lab1 [--target reference]`.

The runner owns the services (so nothing survives a killed run), prepares an Airflow home
whose DAGs folder holds only the target's files, and runs pytest in a child process:

- pytest-timeout stops ordinary infinite loops test by test (and, once one test hung,
  later tests get a short limit);
- a loop inside C code ignores that, so past the lab's wall-clock limit the runner kills
  the child's process group: finished tests keep their points, the test in flight is
  reported as "timed out", the rest "not run";
- a child that dies mid-test (`os._exit`, a crash, too much output) is restarted on the
  tests it had not run yet; the test it died in scores 0 with the reason.

Scores are always rebuilt from the child's progress file, so every way a run can end
gives the same kind of result: JSON, JUnit XML and the rendered table.
"""
from __future__ import annotations

import dataclasses
import fcntl
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from labkit.compose import Owned, compose
from labkit.grading import child_limits, fdlimit, jail, servers, warm
from labkit.grading.points_table import graded_tests
from labkit.grading.protocol import Progress
from labkit.grading.report import (
    FAILED,
    NOT_RUN,
    TIMEOUT,
    LabResult,
    junit_xml,
    render,
    result_path,
    results_dir,
)
from labkit.grading.targets import Target, relative
from labkit.grading.zygote import Zygote, abort_starts
from labkit.paths import ROOT, TESTS
from labkit.services import airflow, postgres

DEFAULT_TIME_LIMIT = 300  # seconds for a whole lab; a reference run takes ~20 s
MAX_RESTARTS = 8  # after a crash, run the remaining tests again at most this often
HIDDEN = TESTS / "hidden"
# Plugins a grading run never needs: each costs start-up time (nbmake ~2 s).
# unraisableexception: 1.2 s of gc.collect() at exit.
DISABLED_PLUGINS = (
    "no:cacheprovider", "no:nbmake", "no:pytest_httpserver", "no:anyio", "no:platformdirs", "no:unraisableexception",
    "no:xdist", "no:xdist.looponfail",
)
INTERNAL_ERROR = 3  # pytest.ExitCode.INTERNAL_ERROR
STUCK_AFTER = 45.0  # a test running this long is stuck in code SIGALRM cannot stop (C)
STUCK_AFTER_HANG = 10.0  # once one test was stuck, the next gets less patience


@dataclass
class Sandbox:
    """Where and how a grading child runs untrusted code (batch grading).

    `folder` is the submission's own folder, the only place it may write. `kit` is the
    public grading kit (a student edition: the public tests and labkit, no solution
    bodies, no hidden tests) the child imports instead of this checkout. `jail` is
    jail.mode(): in a jail the child sees only those two, the venv and the system (see
    jail.py); the environment it gets is built from nothing, so no path or setting of
    the grader's reaches it.
    """

    folder: Path
    jail: str = jail.NO_JAIL
    env: dict[str, str] = field(default_factory=dict)
    kit: Path | None = None


@dataclass
class Outcome:
    result: LabResult
    returncode: int
    log: Path
    timed_out: bool = False
    restarts: int = 0


def hidden_points(lab: str) -> tuple[int, float]:
    """(tests, points) of the instructor-only tests of `lab`, from tests/hidden or its manifest."""
    folder = HIDDEN / lab
    if folder.is_dir():
        tests = graded_tests(lab, HIDDEN)
        return len(tests), sum(t.points for t in tests)
    manifest = TESTS / lab / "hidden_points.json"
    if manifest.exists():
        data = json.loads(manifest.read_text())
        return int(data["tests"]), float(data["points"])
    return 0, 0.0


def pytest_command(
    lab: str, target: Target, progress: Path, results: Path, extra: list[str], hidden: Path | None,
    select: Sequence[str] = (), kit: Path = ROOT, forget: Path | None = None,
) -> list[str]:
    """pytest on the lab's tests in `kit` (this checkout, or a sandbox's grading kit), plus
    the hidden tests in `hidden`; `forget`: a folder the child deletes once it has collected
    its tests (a sandbox's copy of the hidden tests: the code under test never sees it)."""
    tests = kit / "tests" / lab
    paths = [str(tests / name) for name in select] or [str(tests)]
    if hidden is not None:
        paths.append(str(hidden))
    command = [sys.executable, "-m", "pytest", *paths, "--target", str(target), f"--rootdir={kit}", "-c", str(kit / "pyproject.toml")]
    for plugin in DISABLED_PLUGINS:
        command += ["-p", plugin]
    if forget is not None:
        command.append(f"--labkit-forget={forget}")
    return [*command, "-q", "--tb=short", "--color=no", f"--labkit-progress={progress}", f"--labkit-results={results}", *extra]


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
    hidden: bool = False,
    sandbox: Sandbox | None = None,
    airflow_state: Path | None = None,
    select: Sequence[str] = (),
    name: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    zygote: Zygote | None = None,
) -> Outcome:
    """Run lab `lab`'s graded suite against `target` and return (and print) the score.

    `select`: test files of the lab to run instead of all of them (a part, see parts.py);
    `name`: the results' file name instead of the lab's (`lab1-part-load`);
    `on_progress`: called with the progress so far while the tests run (the notebook's bar);
    `zygote`: forks the grading child with pytest and Airflow imported (zygote.py): held by
    this run alone, which uses its Airflow home.
    Results are written once, at the end, atomically: a run that is killed leaves the
    previous results in place, and two runs never share a file while they run.
    """
    target = target if isinstance(target, Target) else Target.parse(target)
    if not (TESTS / lab).is_dir():
        raise ValueError(f"no graded tests for {lab!r} (expected a folder tests/{lab})")
    target.lab_files(lab)  # a target that cannot stand for this lab is refused before anything starts
    time_limit = time_limit or float(os.environ.get("LABKIT_TIME_LIMIT", DEFAULT_TIME_LIMIT))
    folder = results or results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    label = target.label
    json_path = folder / f"{name}.json" if name else result_path(lab, label, folder)
    base = json_path.with_suffix("")
    log, junit = base.with_suffix(".log"), base.with_suffix(".xml")
    claim = _claim(json_path, lab)  # a second run of the same lab here is refused, with who has it
    # Per-run names: two runs of the same lab at once must not read each other's progress.
    scratch = (sandbox.folder if sandbox else folder) / f".run-{lab}-{os.getpid()}-{time.monotonic_ns()}"
    scratch.mkdir(parents=True)
    progress = scratch / "progress.jsonl"
    run_log = scratch / "pytest.log"

    jailed = sandbox is not None and sandbox.jail != jail.NO_JAIL
    started = time.monotonic()
    restarts, returncode, timed_out = 0, 0, False
    # The run's services (compose.py): PostgreSQL and, for a lab that talks to a live Airflow
    # (lab 4's REST API), one for the whole run. The runner owns them, so a killed or restarted
    # test process never leaves them behind; they start while pytest imports. A live Airflow
    # that runs the submission's own DAG files (lab 5's scheduler) runs its code: in a jail,
    # the jailed tests start that one themselves, inside the jail.
    keep = bool(os.environ.get("LABKIT_KEEP_HOMES"))
    # A student's own run attaches to what `make lab` keeps warm (warm.py); a sandbox never does.
    found = warm.find(lab, target.lab_files(lab)) if server is None and airflow_state is None and sandbox is None and zygote is None else warm.Warm()
    server, airflow_state = server or found.postgres, airflow_state or found.airflow_state
    zygote = None if sandbox else zygote or found.zygote
    if show and found.describe():
        print(f"({found.describe()})", flush=True)
    try:
        services = compose(
            lab, "grade", server=server, airflow_state=airflow_state, airflow_base=scratch if sandbox else None,
            target_files=tuple(target.lab_files(lab)), reader=jail.identity(sandbox.jail)[0] if jailed and sandbox is not None else None,
            with_airflow=not (jailed and servers.runs_target(lab)),
        )
    except BaseException:
        found.release()
        claim.close()
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    services.callback(found.release)  # the run is over when its services close: the warm Airflow is free
    try:
        if zygote is not None:  # its Airflow was imported with its home: the run uses that one
            home = airflow.prepare(zygote.home.path.name, target.lab_files(lab), base=zygote.home.path.parent)
        else:
            name = home_name or f"grade-{lab}-{label.replace(':', '-').replace('/', '_')}-{os.getpid()}"
            home = airflow.prepare(name, target.lab_files(lab), base=scratch if sandbox else None)
        if not keep:
            services.callback(shutil.rmtree, home.path, ignore_errors=True)
        owned_postgres = isinstance(services.service("postgres"), Owned)
        run_env = {
            **services.env(),
            **home.env(),
            "LABKIT_AIRFLOW_PREPARED": str(home.path),
            **({"LABKIT_PG_EPHEMERAL": "1"} if owned_postgres or sandbox else {}),
        }
        env = _sandbox_env(sandbox, run_env) if sandbox else {**os.environ, **run_env}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode caches save ~3 s per run
        kit = _sandbox_kit(sandbox) if sandbox else ROOT
        deselect: list[str] = []
        stuck_after = STUCK_AFTER
        with run_log.open("wb") as out:
            while True:
                args = [*(extra_args or []), *(f"--deselect={nodeid}" for nodeid in deselect)]
                hidden_tests = _hidden_tests(lab, hidden, sandbox, kit)  # afresh: the last child deleted its copy
                forget = hidden_tests if sandbox and hidden_tests is not None else None
                command = pytest_command(lab, target, progress, scratch, args, hidden_tests, select, kit, forget)
                if sandbox and sandbox.jail != jail.NO_JAIL:
                    command = jail.wrap(command, _jail_spec(sandbox, kit), sandbox.jail)
                remaining = time_limit - (time.monotonic() - started)
                child = _start_child(
                    command, zygote, run_log, cwd=sandbox.folder if sandbox else ROOT, env=env, stdin=subprocess.DEVNULL,
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                    preexec_fn=functools.partial(child_limits.apply, os.getpid(), child_limits.output_limit()),
                )
                try:
                    ended = _wait(child, remaining, progress, show, stuck_after, on_progress)
                except BaseException:  # Ctrl-C, a kernel interrupt, SIGTERM: nothing may keep running
                    _kill_group(child)
                    raise
                finally:
                    _forget_child(child)
                if _stopping.is_set():  # stop_all() killed it: this run is abandoned, not scored
                    raise Stopped(f"{lab} ({label}): stopped")
                timed_out = ended == "limit"
                returncode = child.returncode if child.returncode is not None else -9
                state = Progress.read(progress)
                # pytest's own INTERNALERROR (exit code 3) ends the session early: like a
                # crash, score the test it happened in and run the rest again.
                if timed_out or (state.finished and returncode != INTERNAL_ERROR) or restarts >= MAX_RESTARTS:
                    break
                if returncode == fdlimit.EXHAUSTED and state.unfinished():
                    # The plugin scored the test that used up the descriptors and left:
                    # the rest run in a fresh process.
                    deselect = state.done_ids()
                    restarts += 1
                    continue
                crashed = state.in_flight()
                if crashed is None or not state.unfinished():
                    break
                # The child died (or was stopped) inside `crashed`: score it 0, run the rest again.
                state.mark_crashed(progress, crashed, *_crash(state, crashed, returncode, ended == "stuck", stuck_after))
                if ended == "stuck":
                    stuck_after = STUCK_AFTER_HANG
                    # The code loops: later tests that reach it get little patience.
                    extra_args = [*(extra_args or []), "--labkit-start-hung"]
                deselect = [*state.done_ids(), crashed]
                restarts += 1
        result = _collect(lab, target, label, progress, timed_out, time_limit, returncode)
        result.duration = round(time.monotonic() - started, 1)
        result.files_sha256 = target.fingerprints(lab)
        if not result.tests:
            result.note = f"pytest collected no graded tests (exit code {returncode}); see {relative(log)}"
        _publish(run_log, log)
        _publish_text(junit, junit_xml(result))
        result.save(json_path)
    finally:
        claim.close()  # releases the lock; the results are in place by now
        live = services.service("airflow_server")
        services.close()  # the home, then the servers (each once its start ended)
        if not keep:  # last: a sandbox's live Airflow has its home in it
            shutil.rmtree(scratch, ignore_errors=True)
        if live is not None and live.error is not None:
            print(f"The lab's Airflow did not start: {live.error}", file=sys.stderr)
    if show:
        print(render(result))
        public_only(lab, hidden)
        print(f"(details: {relative(json_path)}, full log: {relative(log)})")
    return Outcome(result, returncode, log, timed_out, restarts)


class AlreadyRunning(RuntimeError):
    """Another run is grading the same lab into the same results right now."""


def _claim(json_path: Path, lab: str) -> IO[str]:
    """Hold the lock on `json_path`'s results for this run; refuse if another run holds it.

    Two runs of one lab in one checkout (`make test lab1` in a terminal while the notebook's
    check() runs) would overwrite each other's results, and the later one would report a
    score for files that changed in between. The kernel drops the lock when the holder
    exits, however it exits, so a killed run never blocks the next one.
    """
    lock = json_path.with_name(f".{json_path.stem}.lock")
    handle = open(lock, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run, closed by it
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise AlreadyRunning(
            f"{lab} is already being graded here ({holder}). Wait for it to finish and read its score "
            f"(it will be in {relative(json_path)}), or stop it (Ctrl-C in its terminal, or "
            "interrupt the notebook's kernel), then run this again.") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()}, started {time.strftime('%H:%M:%S')}")
    handle.flush()
    return handle


def _hidden_tests(lab: str, hidden: bool, sandbox: Sandbox | None, kit: Path) -> Path | None:
    """Where the child finds the hidden tests: this checkout's; or, for a sandbox, a copy of
    its own at `tests/hidden/` of the kit it runs, which it deletes once it has collected
    them (the code under test never finds them on disk). In a jail the copy is shown there
    by a bind mount (the shared kit stays read-only); without one, the sandbox has a kit of
    its own. Either way the tests keep the names they have everywhere else."""
    if not hidden or not (HIDDEN / lab).is_dir():
        return None
    if sandbox is None:
        return HIDDEN / lab
    copy = sandbox.folder / "hidden" if sandbox.jail != jail.NO_JAIL else kit / "tests" / "hidden"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir(parents=True)
    shutil.copy2(HIDDEN / "__init__.py", copy / "__init__.py")
    shutil.copytree(HIDDEN / lab, copy / lab, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return kit / "tests" / "hidden" / lab


def _sandbox_kit(sandbox: Sandbox) -> Path:
    """The kit a sandboxed child runs: the shared grading kit in a jail; without a jail (no
    bind mounts) a copy of its own, where its hidden tests can be put."""
    shared = sandbox.kit or ROOT
    if sandbox.jail != jail.NO_JAIL:
        return shared
    own = sandbox.folder / "kit"
    if not own.exists():
        shutil.copytree(shared, own, ignore=shutil.ignore_patterns("hidden"))
    return own


# What a sandboxed child keeps of the grader's environment: nothing that names a path or a
# service of the grader's (a stray LABKIT_S3_ENDPOINT would send a submission's tests to
# the instructor's own S3).
_PASSED_ON = ("LABKIT_AIRFLOW_LOG_LEVEL", "LABKIT_IMPORT_TIME_LIMIT", "TZ")


def _sandbox_env(sandbox: Sandbox, run_env: dict[str, str]) -> dict[str, str]:
    kit = _sandbox_kit(sandbox)
    return {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": str(kit),  # the grading kit's labkit and tests, never this checkout's
        "PYTHONNOUSERSITE": "1",
        "LABKIT_STATE_DIR": str(sandbox.folder / "state"),
        "LABKIT_SANDBOX": sandbox.jail,
        **{name: os.environ[name] for name in _PASSED_ON if name in os.environ},
        **run_env,
        "SUMMARY_CONFIG_DIR": str(kit / "dags" / "config" / "summaries"),
        **sandbox.env,
    }


def _jail_spec(sandbox: Sandbox, kit: Path) -> Path:
    """The jail's description, and the submission's folder handed to the user it runs as."""
    uid, gid = jail.identity(sandbox.jail)
    readable = [sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent), str(kit)]
    hidden = sandbox.folder / "hidden"
    binds = [(str(hidden), str(kit / "tests" / "hidden"))] if hidden.is_dir() else []
    spec = jail.Spec(writable=str(sandbox.folder), readable=readable, binds=binds, cwd=str(sandbox.folder), uid=uid, gid=gid)
    if uid is not None:
        _chown_tree(sandbox.folder, uid, gid if gid is not None else uid)
    return spec.save(sandbox.folder / ".jail.json")


def _chown_tree(folder: Path, uid: int, gid: int) -> None:
    for path in [folder, *folder.rglob("*")]:
        try:
            os.lchown(path, uid, gid)
        except OSError:  # a file that vanished meanwhile (a log rotated by the live Airflow)
            pass


def _publish(source: Path, destination: Path) -> None:
    """Move a finished run's file into place in one step (readers never see half of it)."""
    staged = destination.with_name(f".{destination.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, staged)  # the scratch folder may be on another file system
    staged.replace(destination)


def _publish_text(destination: Path, text: str) -> None:
    staged = destination.with_name(f".{destination.name}.{os.getpid()}.tmp")
    staged.write_text(text, encoding="utf-8")
    staged.replace(destination)


def public_only(lab: str, hidden: bool) -> None:
    """Say plainly when instructor-only tests exist that this run did not run."""
    count, points = hidden_points(lab)
    if count and not hidden:
        print(f"Public tests only: hidden tests worth {points:g} points ({count} tests) are not run here; "
              "your instructor's grading runs them too.")


class Child(Protocol):
    """A grading child: a subprocess.Popen, or a zygote's (zygote.ZygoteChild)."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...
    def wait(self) -> int: ...


def _wait(
    child: Child, limit: float, progress: Path, show: bool, stuck_after: float,
    on_progress: Callable[[Progress], None] | None = None,
) -> str:
    """Wait for pytest. Returns "done", "limit" (killed at the lab's limit) or "stuck"
    (killed because one test ran past `stuck_after`: a loop in C ignores pytest-timeout)."""
    deadline = time.monotonic() + max(limit, 1)
    live = show and sys.stdout.isatty()
    current, since = None, time.monotonic()
    while child.poll() is None:
        now = time.monotonic()
        if now > deadline:
            _kill_group(child)
            return "limit"
        state = Progress.read(progress)
        flight = state.in_flight()
        if state.timed_out():
            stuck_after = min(stuck_after, STUCK_AFTER_HANG)  # the code loops: less patience
        # The clock starts again when the session is set up and when the test's own code starts.
        phase = (flight, flight in state.session_ready, flight in state.calling)
        if phase != current:
            current, since = phase, now
        elif flight is not None and now - since > state.patience(flight, stuck_after):
            _kill_group(child)
            return "stuck"
        if live and state.collected:
            print(f"\r  grading… {len(state.results)}/{len(state.collected)} tests", end="", flush=True)
        if on_progress is not None:
            on_progress(state)
        time.sleep(0.2)
    if live:
        print("\r" + " " * 40 + "\r", end="", flush=True)
    return "done"


# -- stopping every run at once -----------------------------------------------------------
# Commands that grade many runs in threads (verify, grade, mutate) get SIGTERM or Ctrl-C in
# their main thread only; each run's child pytest lives in a session of its own, so the
# signal reaches none of them. stop_all() kills them and makes every run give up.
_children: set[Child] = set()
_children_lock = threading.Lock()
_stopping = threading.Event()


class Stopped(Exception):
    """This run was abandoned by stop_all(): its results are not written."""


def _start_child(command: list[str], zygote: Zygote | None, log_path: Path, **popen: Any) -> Child:
    """The grading child: forked by `zygote` when there is one that can, else a new Python."""
    with _children_lock:  # checked under the lock: stop_all() either sees it or prevented it
        if _stopping.is_set():
            raise Stopped("stopped before it started")
        child: Child | None = None
        if zygote is not None:
            child = zygote.spawn(command, cwd=popen["cwd"], env=popen["env"], log_path=log_path, output_limit=child_limits.output_limit())
        if child is None:
            child = subprocess.Popen(command, **popen)
        _children.add(child)
    return child


def _forget_child(child: Child) -> None:
    with _children_lock:
        _children.discard(child)


def stop_all() -> None:
    """Kill every grading child of this process and make every run in progress give up (a
    run still waiting for its grading zygote to import, too)."""
    with _children_lock:
        _stopping.set()
        children = list(_children)
    abort_starts()
    for child in children:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def resume() -> None:
    """After stop_all() and its runs have ended: runs may start again (a long-lived process)."""
    _stopping.clear()


def _kill_group(child: Child) -> None:
    # dag.test() ignores SIGTERM and C loops ignore everything else: SIGKILL the group.
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()


def _crash(state: Progress, nodeid: str, returncode: int, stuck: bool, stuck_after: float) -> tuple[str, str]:
    """(outcome, reason) of the test a child died in: stopped as stuck, or crashed."""
    if not stuck:
        return FAILED, _crash_reason(returncode)
    hint = state.if_stuck.get(nodeid) or (
        "A loop inside C code (e.g. sum(itertools.count())) or a wait that ignores signals "
        "cannot be interrupted by the per-test timeout.")
    return TIMEOUT, f"stopped after {state.patience(nodeid, stuck_after):.0f} s: the code never returned. {hint}"


def _crash_reason(returncode: int) -> str:
    if returncode == INTERNAL_ERROR:
        return "pytest itself failed while reporting this test (INTERNALERROR: see the full log)"
    if returncode == -signal.SIGXFSZ:
        return f"the code wrote more than {child_limits.output_limit() / 2**20:g} MB (output or a file) and was stopped"
    if returncode < 0:
        return f"the test process was killed by signal {signal.Signals(-returncode).name} during this test"
    return "the test process exited during this test (os._exit()? a crash?) before it could be scored"


def _collect(lab: str, target: Target, label: str, progress: Path, timed_out: bool, limit: float, returncode: int) -> LabResult:
    state = Progress.read(progress)
    in_flight = state.in_flight()
    tests = []
    for entry in state.collected:
        done = state.results.get(entry.nodeid)
        test = dataclasses.replace(done or entry)
        if done is None:
            if entry.nodeid == in_flight and timed_out:
                test.outcome = TIMEOUT
                test.reason = f"still running when the {limit:.0f} s limit for the lab passed (an infinite loop?)"
                test.details = (
                    test.reason + "\nThe grader stopped the whole run. Look for a loop that never ends in the code "
                    "this test calls; loops inside C code (e.g. sum(itertools.count())) ignore the per-test timeout."
                )
            elif entry.nodeid == in_flight:
                test.outcome, test.reason = FAILED, _crash_reason(returncode)
                test.details = test.reason
            else:
                test.outcome = NOT_RUN
                test.reason = "not run: the lab's time limit had passed" if timed_out else "not run: the run ended early"
        tests.append(test)
    files = [relative(p) for p in target.lab_files(lab)]
    note = f"stopped after {limit:.0f} s" if timed_out else ""
    return LabResult(lab, label, files, tests, note=note)
