"""The pytest plugin behind `make test labN`: points, targets, a score table, results on disk.

    @pytest.mark.points(2)
    def test_newest_value_wins(lab, warehouse, weather_api): ...

- `--target student|reference|FILE|FOLDER` picks the code under test (see targets.py);
  tests reach it through the `lab` fixture their lab's conftest defines with `load_lab`.
- Every graded test ends with a one-line reason; the run ends with the score table and
  `SCORE labN: x/y`. Results go to `.labkit/results/labN.json` (and, while running, a
  progress file the runner reads if it has to stop a run that hangs).
- Tests without `points` (the kit's own tests) are left alone.
"""
from __future__ import annotations

import gc
import json
import os
import sys
import time
from collections.abc import Generator
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

import pytest

from labkit.grading import explain, fdlimit, protocol
from labkit.grading.report import FAILED, PASSED, SKIPPED, TIMEOUT, LabResult, TestResult, render, result_path
from labkit.grading.targets import Target, relative

if TYPE_CHECKING:
    import pluggy
    from _typeshed import TraceFunction

pytest_plugins = ["labkit.grading.fixtures"]
# The session's exit status, kept for pytest_unconfigure's quick exit.
EXITSTATUS = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("labkit", "Airflow Lab Kit grading")
    group.addoption(
        "--target",
        default=os.environ.get("LABKIT_TARGET", "student"),
        help="code to grade: student (labs/), reference (dags/), a .py file, or a submission folder",
    )
    group.addoption("--labkit-results", default=None, help="folder for results JSON (default .labkit/results)")
    group.addoption("--labkit-progress", default=None, help="file to append one JSON line per finished test")
    group.addoption(
        "--labkit-after-hang-timeout",
        type=float,
        default=5.0,
        help="once a test has timed out, later tests get this many seconds (the code under test loops)",
    )

    group.addoption("--labkit-start-hung", action="store_true", help="start as if a test had already timed out")
    group.addoption("--labkit-lines", default=None,
                    help="record which lines of the target's files each test runs, as JSON into this file (make mutate)")
    group.addoption("--labkit-until", default=None,
                    help="comma-separated test functions: run the tests up to the first of them, then only "
                         "them (labkit verify grades a known-wrong variant on what its findings read)")
    group.addoption("--labkit-forget", default=None,
                    help="a folder of tests to delete once collected (a sandbox's hidden tests), before any test runs")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): points this graded test is worth")
    config.addinivalue_line("markers", "hidden: an instructor-only test, reported but not run for students")
    config.addinivalue_line("markers", "if_stuck(hint): the likely cause, when this test never returns and the runner stops it")
    config.pluginmanager.register(Recorder(config), "labkit-recorder")
    if config.getoption("labkit_lines"):
        config.pluginmanager.register(LineRecorder(config), "labkit-lines")
    if config.getoption("labkit_progress"):
        # A grading run is short-lived and imports Airflow: collecting cycles less often
        # saves ~15 % of its CPU (measured on the Airflow import).
        gc.set_threshold(50_000, 20, 20)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """In a grading run, leave without tearing the interpreter down.

    Results and logs are written by now. Freeing Airflow's and FastAPI's millions of
    objects at interpreter exit takes 3–4 s on a 2-core machine — a fifth of a
    `make test lab3` — and nothing left to do depends on it.
    """
    if config.getoption("labkit_progress") and not os.environ.get("LABKIT_CLEAN_EXIT"):
        import logging

        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash.get(EXITSTATUS, 0))


@pytest.hookimpl(tryfirst=True)  # before pytest's --deselect: a restarted run deselects what it has scored
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--labkit-until: keep every test up to the first named one, then only named ones.

    What `labkit verify` checks of a known-wrong variant needs no more: that each named test
    fails, and what the first failing test says (it is at or before the first named one).
    The tests after it would only add to the points lost; skipping them halves its runs."""
    until = config.getoption("labkit_until")
    if not until:
        return
    named = set(until.split(","))
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    reached = False
    for item in items:
        is_named = getattr(item, "originalname", item.name) in named
        (kept if is_named or not reached else dropped).append(item)
        reached = reached or is_named
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def lab_of(item: pytest.Item) -> str | None:
    """tests/lab1/test_x.py -> lab1 (None for tests outside a lab folder)."""
    for part in Path(str(item.path)).parts[::-1]:
        if part.startswith("lab") and part[3:].isdigit():
            return part
    return None


def display_name(item: pytest.Item) -> str:
    doc: str | None = getattr(getattr(item, "function", None), "__doc__", None)
    if doc and doc.strip():
        return doc.strip().splitlines()[0].rstrip(".")
    return item.name.removeprefix("test_").replace("_", " ")


class Recorder:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = time.monotonic()
        self.results: dict[str, TestResult] = {}
        self.labs: dict[str, list[str]] = {}
        self.hung = bool(config.getoption("labkit_start_hung"))  # a test timed out: the code loops
        progress = config.getoption("labkit_progress")
        self.progress = Path(progress) if progress else None
        self._progress_file: IO[str] | None = None
        self.exhausted = False  # a test used up the file descriptors: leave after reporting it
        self._session_ready = False  # the first test's session-wide fixtures are set up
        self._setting_up = ""  # the test whose fixtures are being set up
        # A grading run keeps descriptors back for itself (see fdlimit); on Linux only.
        self.fd_soft = fdlimit.reserve() if self.progress is not None and os.path.isdir("/proc/self/fd") else 0

    # -- collection ------------------------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            marker = item.get_closest_marker("points")
            lab = lab_of(item)
            if marker is None or lab is None:
                continue
            points = float(marker.args[0]) if marker.args else 1.0
            self.results[item.nodeid] = TestResult(item.nodeid, display_name(item), points)
            self.labs.setdefault(lab, []).append(item.nodeid)
        # A test that declares a longer pytest timeout (one waiting on a real scheduler) tells
        # the runner, whose watch for stuck tests would otherwise stop it first.
        limits = {
            item.nodeid: float(marker.args[0])
            for item in session.items
            if item.nodeid in self.results and (marker := item.get_closest_marker("timeout")) and marker.args
        }
        hints = {
            item.nodeid: str(marker.args[0])
            for item in session.items
            if item.nodeid in self.results and (marker := item.get_closest_marker("if_stuck")) and marker.args
        }
        self._progress(protocol.Collected(list(self.results.values()), self.labs, limits, hints))
        self._forget()
        self._connect_live_airflow({lab for lab in map(lab_of, session.items) if lab is not None})

    def _forget(self) -> None:
        """Delete the tests we were told to forget: they are imported, and the code under
        test (which only runs from now on) must not find their source on disk."""
        folder = self.config.getoption("labkit_forget")
        if not folder:
            return
        import linecache

        # Packages' (empty) __init__.py stay: pytest imports them again to set a package up.
        # Everything else goes, bytecode caches included.
        for here, dirs, files in os.walk(folder, topdown=False):
            for name in files:
                if name != "__init__.py":
                    os.unlink(os.path.join(here, name))
            for name in dirs:
                try:
                    os.rmdir(os.path.join(here, name))
                except OSError:  # still holds an __init__.py
                    pass
        linecache.clearcache()

    def _connect_live_airflow(self, labs: set[str]) -> None:
        """Wait for the live Airflow of labs that test against one (lab 4) now, before the
        first test: its start-up (seconds) must not count against any test's time limit."""
        if not labs:
            return
        from labkit.grading import servers

        target = Target.parse(self.config.getoption("target"))
        for lab in sorted(labs):
            if servers.needs_server(lab):
                servers.connect(lab, target.lab_files(lab))

    # -- outcomes ----------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
        outcome = yield
        report = outcome.get_result()
        result = self.results.get(item.nodeid)
        if result is None:
            return
        if report.failed and call.excinfo is not None:
            kind, reason, details = explain.failure(call.excinfo, item)
            self.hung = self.hung or kind == TIMEOUT
            if result.outcome not in (FAILED, TIMEOUT):  # the first failure is the one to explain
                result.outcome, result.reason, result.details = kind, reason, details
        elif report.skipped and result.outcome not in (FAILED, TIMEOUT):
            result.outcome = SKIPPED
            result.reason = explain.skip_reason(report)
        elif report.when == "call" and report.passed and result.outcome not in (FAILED, TIMEOUT):
            result.outcome = PASSED
        if report.when == "teardown" and self.fd_soft:
            count = fdlimit.open_count()
            if count >= self.fd_soft - 8:  # nearly all used: the next open() would fail
                self.exhausted = True
                result.outcome, result.reason = FAILED, fdlimit.reason(count, self.fd_soft)
                result.details = result.reason + "\nThe grader ran the remaining tests in a fresh process."
        report.user_properties.append(("points", result.points))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        # After one test hung, every test that calls the same code would wait out its full
        # limit; a short one keeps a looping submission from costing minutes. A test that
        # declares its own limit (it waits on a real scheduler) keeps it: cutting it short
        # would fail work done right because of a mistake elsewhere.
        self._setting_up = item.nodeid
        declared = item.get_closest_marker("timeout")
        if self.hung and item.nodeid in self.results and not (declared and declared.args):
            item.add_marker(pytest.mark.timeout(self.config.getoption("labkit_after_hang_timeout")), append=False)

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        if nodeid in self.results:
            self._progress(protocol.Started(nodeid))

    @pytest.hookimpl(tryfirst=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest) -> None:
        # pytest sets a test's fixtures up widest scope first: the first narrower one ends the
        # session's setup (the kit's servers), and the submission's own time begins.
        if not self._session_ready and fixturedef.scope not in ("session", "package"):
            self._session_ready = True
            if self._setting_up in self.results:
                self._progress(protocol.SessionReady(self._setting_up))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        # Its fixtures are set up: from here on the time is the code under test's.
        if item.nodeid in self.results:
            self._progress(protocol.Calling(item.nodeid))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if "labkit.grading.servers" in sys.modules:
            sys.modules["labkit.grading.servers"].disconnect_all()  # stops a server of our own
        self._progress(protocol.Finished(int(exitstatus)))
        self.config.stash[EXITSTATUS] = int(exitstatus)  # for pytest_unconfigure's quick exit

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        result = self.results.get(nodeid)
        if result is not None:
            self._progress(protocol.Scored(result))
        if self.exhausted:  # the leak lives in this process: the runner starts a fresh one
            sys.stdout.flush()
            os._exit(fdlimit.EXHAUSTED)

    def _progress(self, event: protocol.Event) -> None:
        if self.progress is None:
            return
        if self._progress_file is None:  # kept open: writing must not need a new descriptor
            self.progress.parent.mkdir(parents=True, exist_ok=True)
            self._progress_file = self.progress.open("a", encoding="utf-8")
        protocol.write(self._progress_file, event)

    # -- the end ---------------------------------------------------------------------------
    def lab_results(self) -> list[LabResult]:
        target = Target.parse(self.config.getoption("target"))
        out = []
        for lab, ids in self.labs.items():
            try:
                files = [relative(path) for path in target.lab_files(lab)]
            except ValueError:
                files = []
            result = LabResult(lab, target.label, files, [self.results[i] for i in ids])
            result.duration = round(time.monotonic() - self.started, 2)
            out.append(result)
        return out

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.labs or self.config.option.collectonly:
            return
        folder = self.config.getoption("labkit_results")
        for result in self.lab_results():
            path = result_path(result.lab, result.target, Path(folder) if folder else None)
            result.save(path)
            terminalreporter.write_sep("=", f"{result.lab} score")
            terminalreporter.write_line(render(result))
            terminalreporter.write_line(f"(results: {path})")


class LineRecorder:
    """Which lines of the target's files each graded test runs (`make mutate`: a mutant is
    graded by the tests that run its line). Lines run in other processes (a live
    scheduler's workers) are not seen: a mutant no test is seen to run is graded by all.

    Lines run while a file is being imported (the module itself and the DAG it builds) are
    also recorded as "parse": a live Airflow parses the same file in its own processes, so
    the tests that run DAGs there see those lines without the tracer knowing."""

    def __init__(self, config: pytest.Config) -> None:
        self.out = Path(config.getoption("labkit_lines"))
        self.lines: dict[str, dict[str, set[int]]] = {}
        self.parse: dict[str, set[int]] = {}
        self.current: dict[str, set[int]] | None = None
        target = Target.parse(config.getoption("target"))
        self.files: set[str] = set()
        for lab in ("lab1", "lab2", "lab3", "lab4", "lab5", "lab6", "lab7"):
            try:
                for path in target.lab_files(lab):
                    found = sorted(path.rglob("*.py")) if path.is_dir() else [path]
                    self.files.update(str(p.resolve()) for p in found)
            except ValueError:
                continue

    def _importing(self, frame: FrameType | None) -> bool:
        """Is a lab file's module body on the stack (the file is being imported)?"""
        while frame is not None:
            if frame.f_code.co_name == "<module>" and frame.f_code.co_filename in self.files:
                return True
            frame = frame.f_back
        return False

    def _trace(self, frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
        filename = frame.f_code.co_filename
        if filename not in self.files:
            return None
        lines = self.current.setdefault(filename, set()) if self.current is not None else None
        parse = self.parse.setdefault(filename, set()) if self._importing(frame) else None

        def local(frame: FrameType, event: str, arg: Any) -> TraceFunction:
            if event == "line":
                if lines is not None:
                    lines.add(frame.f_lineno)
                if parse is not None:
                    parse.add(frame.f_lineno)
            return local

        if lines is not None:
            lines.add(frame.f_lineno)
        return local

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, None]:
        import threading

        self.current = {}
        sys.settrace(self._trace)
        threading.settrace(self._trace)
        try:
            yield
        finally:
            sys.settrace(None)
            threading.settrace(None)
            self.lines[item.nodeid] = self.current
            self.current = None

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        data = {nodeid: {f: sorted(ls) for f, ls in files.items()} for nodeid, files in self.lines.items()}
        self.out.write_text(json.dumps({"tests": data, "parse": {f: sorted(ls) for f, ls in self.parse.items()}}))

