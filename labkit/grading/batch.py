"""Grade a whole class: `labkit grade lab1 --submissions DIR [--out DIR]`.

Each submission is graded in isolation — its own copy of the files, its own PostgreSQL
server (with its own password) and databases, its own Airflow home and temp folder, an
outer time limit — in parallel up to the machine's cores. Where the grader runs as root
on Linux (a container, a CI box), each submission also runs in its own mount and PID
namespaces: the file system is read-only but for its own folder, it cannot see or signal
other processes, and nothing it starts outlives it. Elsewhere it runs as the grader's
user, and the summary says so.

Writes, under --out:
    gradebook.csv          student, lab, points, max, percent, status, one column per test
    feedback/<student>.md  the score table and explanations the student would see
    summary.md / .html     which tests most students fail, as a table and a bar chart
    results/<student>/     JSON, JUnit XML and the full log of each run
"""
from __future__ import annotations

import csv
import html
import os
import queue
import shutil
import sys
import threading
import time
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path

from labkit.compose import Services, own_postgres
from labkit.grading import jail, release, runner
from labkit.grading.points_table import graded_tests
from labkit.grading.pool import grading_pool
from labkit.grading.report import FAILED, PASSED, LabResult, TestResult, render
from labkit.grading.submissions import Submission, discover, unpack
from labkit.grading.targets import Target
from labkit.paths import TESTS
from labkit.services import airflow, airflow_metadata, postgres
from labkit.stack import services_for

GRADING_KIT = ".grading-kit"
ISOLATION = {
    jail.ROOT_MODE: "a jail per submission (own mount and PID namespaces, run as nobody without capabilities): "
                    "it sees only its own folder, the public grading kit and Python; no solution, hidden test "
                    "or other submission is there to read.",
    jail.USERNS_MODE: "a jail per submission in a user namespace (own mount and PID namespaces, no capabilities): "
                      "it sees only its own folder, the public grading kit and Python; no solution, hidden test "
                      "or other submission is there to read.",
    jail.NO_JAIL: "NONE: submissions ran as the grader's user and could read its files (the reference solutions "
                  "and hidden tests included). Grade on Linux, as root or where user namespaces are allowed.",
}
NO_JAIL_WARNING = ("WARNING: no jail on this machine (Linux with unshare and setpriv, as root or with user namespaces, "
                   "is needed): submissions run as you and could read your files, the reference solutions and hidden "
                   "tests included, and what they leave in /tmp or /dev/shm stays there.")
# The limits `make test` has (a test's own declared timeout, else 20 s; 300 s for a lab):
# a submission's verdict must not depend on who grades it, or on how busy the machine is.
DEFAULT_TIME_LIMIT = runner.DEFAULT_TIME_LIMIT
# What one grading costs, to choose how many run at once: a lab with a live Airflow keeps
# ~1.2 cores busy and ~1.1 GB (PSS, every process); the others ~0.4 core-s/s and ~0.5 GB.
LIVE_AIRFLOW_CORES = 1.2
MEMORY_PER_GRADING_GB = {"live": 1.1, "plain": 0.5}
GRADER_USER = "labkit-grader{slot}"


@dataclass
class Graded:
    submission: Submission
    result: LabResult
    status: str
    seconds: float


@dataclass
class ClassResult:
    lab: str
    graded: list[Graded] = field(default_factory=list)
    seconds: float = 0.0
    out: Path | None = None
    jail: str = "none"  # jail.mode() the class was graded in


# -- isolation -------------------------------------------------------------------------------
def _sandbox(work: Path, jail_mode: str, kit: Path) -> runner.Sandbox:
    home, tmp = work / "home", work / "tmp"
    home.mkdir()
    tmp.mkdir()
    _seed_state(work / "state")
    # In a jail /tmp is private already; outside one, the submission's own tmp folder.
    tmpdir = "/tmp" if jail_mode != jail.NO_JAIL else str(tmp)
    env = {"HOME": str(home), "TMPDIR": tmpdir, "XDG_RUNTIME_DIR": tmpdir, "LABKIT_IMPORT_TIME_LIMIT": "30"}
    return runner.Sandbox(work, jail_mode, env, kit)


def default_workers(lab: str) -> int:
    """Parallel gradings this machine can run without slowing each other past their limits.

    One more than the cores for plain labs (a run waits on PostgreSQL and dag.test()
    polling, so two runs leave a core idle ~30 % of the time: 340 s → 312 s for 30); for a
    lab with a live Airflow as many as its ~1.2 cores each fit; never more than memory holds.
    """
    from labkit.grading import servers

    cores = os.cpu_count() or 1
    live = servers.needs_server(lab)
    by_cores = max(1, int(cores / LIVE_AIRFLOW_CORES)) if live else cores + 1
    available = _available_memory_gb()
    by_memory = int(available / MEMORY_PER_GRADING_GB["live" if live else "plain"]) if available else by_cores
    return max(1, min(by_cores, by_memory))


def _available_memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def prepare_caches(lab: str, server: postgres.PostgresServer) -> None:
    """Build, once and before any submission runs, what the lab's tests would otherwise
    build on first use (a jailed child cannot write the kit's state folder): the migrated
    Airflow metadata DB (SQLite template) and, for a lab on a real metadata DB, its schema."""
    airflow.template_db()
    if "metadata_db" in services_for(lab):
        airflow_metadata.schema_dump(server)


def _seed_state(state: Path) -> None:
    """A submission's own state folder, holding copies of the caches (never the originals:
    a submission could write to a file it shares with the next one)."""
    folder = state / "airflow"
    folder.mkdir(parents=True)
    for cache in [*airflow.root().glob("template-*.db"), *airflow.root().glob("metadata-pg-*.dump")]:
        shutil.copy2(cache, folder / cache.name)


# -- grading ---------------------------------------------------------------------------------
def _failed_result(lab: str, student: str, reason: str, hidden: bool) -> LabResult:
    tests = graded_tests(lab) + (graded_tests(lab, TESTS / "hidden") if hidden and (TESTS / "hidden" / lab).is_dir() else [])
    rows = [TestResult(f"{t.file}::{t.name}", t.doc, t.points, FAILED, reason, reason) for t in tests]
    return LabResult(lab, f"submission:{student}", [], rows, note=reason)


def grade_one(
    lab: str, submission: Submission, out: Path, jail_mode: str, time_limit: float | None, hidden: bool,
    server: postgres.PostgresServer | None = None, kit: Path | None = None,
) -> Graded:
    started = time.monotonic()
    work = out / "work" / submission.student
    shutil.rmtree(work, ignore_errors=True)
    try:
        files = unpack(submission, work / "submission")
    except (ValueError, OSError, Exception) as err:  # a bad zip is the student's, not the batch's, problem
        result = _failed_result(lab, submission.student, f"could not unpack the submission: {err}", hidden)
        return Graded(submission, result, "unpack failed", time.monotonic() - started)
    outcome = runner.grade(
        lab,
        Target("submission", files),
        results=out / "results" / submission.student,
        show=False,
        time_limit=time_limit,
        hidden=hidden,
        sandbox=_sandbox(work, jail_mode, kit or release.grading_kit(out / GRADING_KIT)),
        home_name="airflow",
        server=server,
    )
    status = "timed out" if outcome.timed_out else f"restarted {outcome.restarts}×" if outcome.restarts else "ok"
    if not os.environ.get("LABKIT_KEEP_HOMES"):
        shutil.rmtree(work, ignore_errors=True)
    return Graded(submission, outcome.result, status, time.monotonic() - started)


def grade_class(
    lab: str,
    submissions: Path,
    out: Path,
    *,
    workers: int | None = None,
    time_limit: float | None = None,
    hidden: bool = True,
    show: bool = True,
) -> ClassResult:
    found = discover(submissions)
    if not found:
        raise ValueError(f"no submissions in {submissions} (expected one folder or .zip per student)")
    # One more than the cores: a grading run waits on PostgreSQL and dag.test() polling,
    # so two runs leave a core idle ~30 % of the time (measured: 340 s → 312 s for 30).
    workers = max(1, min(workers or default_workers(lab), len(found)))
    out.mkdir(parents=True, exist_ok=True)
    jail_mode = jail.mode()
    if jail_mode == jail.NO_JAIL and show:
        print(NO_JAIL_WARNING, file=sys.stderr)
    # What every submission's tests import: the public kit, no solution bodies, no hidden tests.
    kit = release.grading_kit(out / GRADING_KIT)
    # One server per parallel slot, reset between submissions (initdb costs ~1 s of CPU);
    # they start side by side, and every one (replacements too) stops when the class is done.
    started = time.monotonic()
    bar = ProgressBar(len(found), enabled=show)
    results: list[Graded] = []
    with Services("batch") as owned:
        slots = [own_postgres(owned, f"postgres-{n}", background=True) for n in range(workers)]
        prepare_caches(lab, slots[0].get())  # once, before parallel runs race for them
        servers: queue.Queue[postgres.PostgresServer] = queue.Queue()
        for slot in slots:
            servers.put(slot.get())

        def job(submission: Submission) -> Graded:
            server = servers.get()
            bar.start(submission.student)
            try:
                return grade_one(lab, submission, out, jail_mode, time_limit, hidden, server, kit)
            finally:
                servers.put(_fresh(server, owned))

        try:
            with grading_pool(workers) as pool:
                futures = [pool.submit(job, s) for s in found]
                for future in as_completed(futures):
                    graded = future.result()
                    results.append(graded)
                    bar.finish(graded)
        finally:
            bar.close()
    results.sort(key=lambda g: g.submission.student)
    result = ClassResult(lab, results, round(time.monotonic() - started, 1), out, jail_mode)
    write_outputs(result, out)
    return result


def _fresh(server: postgres.PostgresServer, owned: Services) -> postgres.PostgresServer:
    """The same server emptied for the next submission, or a new one if this one was broken."""
    try:
        server.reset()
        return server
    except Exception:
        server.stop()
        return own_postgres(owned, f"postgres-{time.monotonic_ns()}").get()


class ProgressBar:
    """One line, redrawn: [#####-----] 12/30 · running: alice, bob · 2:31. Plain lines when not a TTY."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total, self.done = total, 0
        self.running: list[str] = []
        self.enabled, self.tty = enabled, sys.stderr.isatty()
        self.started = time.monotonic()
        self.lock = threading.Lock()

    def start(self, student: str) -> None:
        with self.lock:
            self.running.append(student)
            self._draw()

    def finish(self, graded: Graded) -> None:
        with self.lock:
            self.done += 1
            if graded.submission.student in self.running:
                self.running.remove(graded.submission.student)
            if self.enabled and not self.tty:
                r = graded.result
                print(f"[{self.done}/{self.total}] {graded.submission.student}: {r.score:g}/{r.max_score:g} "
                      f"({graded.status}, {graded.seconds:.0f} s)", file=sys.stderr, flush=True)
            self._draw()

    def _draw(self) -> None:
        if not (self.enabled and self.tty):
            return
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        elapsed = int(time.monotonic() - self.started)
        line = (f"\r[{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total} · "
                f"running: {', '.join(self.running) or '-'} · {elapsed // 60}:{elapsed % 60:02d}")
        print(line[:120].ljust(120), end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled and self.tty:
            print(file=sys.stderr)


# -- outputs ---------------------------------------------------------------------------------
def _test_key(test: TestResult) -> str:
    return test.nodeid.split("::")[-1]


def write_outputs(result: ClassResult, out: Path) -> None:
    write_gradebook(result, out / "gradebook.csv")
    feedback = out / "feedback"
    feedback.mkdir(exist_ok=True)
    for graded in result.graded:
        (feedback / f"{graded.submission.student}.md").write_text(feedback_markdown(graded))
    stats = test_stats(result)
    (out / "summary.md").write_text(summary_markdown(result, stats))
    svg = pass_rate_svg(stats)
    (out / "summary.svg").write_text(svg)
    (out / "summary.html").write_text(summary_html(result, stats, svg))


def write_gradebook(result: ClassResult, path: Path) -> None:
    columns: list[str] = []
    for graded in result.graded:
        for test in graded.result.tests:
            if _test_key(test) not in columns:
                columns.append(_test_key(test))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "lab", "points", "max_points", "percent", "status", *columns])
        for graded in result.graded:
            r = graded.result
            earned = {_test_key(t): t.earned for t in r.tests}
            percent = 100 * r.score / r.max_score if r.max_score else 0
            writer.writerow([graded.submission.student, result.lab, f"{r.score:g}", f"{r.max_score:g}", f"{percent:.1f}",
                             graded.status, *(f"{earned.get(c, 0):g}" for c in columns)])


def feedback_markdown(graded: Graded) -> str:
    r = graded.result
    return (f"# {r.lab} feedback — {graded.submission.student}\n\n**Score: {r.score:g} / {r.max_score:g}**"
            f" ({graded.status})\n\n```\n{render(r, width=100)}\n```\n")


@dataclass
class TestStat:
    key: str
    name: str
    points: float
    passed: int
    total: int

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


def test_stats(result: ClassResult) -> list[TestStat]:
    stats: dict[str, TestStat] = {}
    for graded in result.graded:
        for test in graded.result.tests:
            stat = stats.setdefault(_test_key(test), TestStat(_test_key(test), test.name, test.points, 0, 0))
            stat.total += 1
            stat.passed += test.outcome == PASSED
    return sorted(stats.values(), key=lambda s: (s.rate, s.key))


def summary_markdown(result: ClassResult, stats: list[TestStat]) -> str:
    scores = [g.result.score for g in result.graded]
    top = max((g.result.max_score for g in result.graded), default=0)
    lines = [
        f"# {result.lab}: class summary",
        "",
        (f"{len(result.graded)} submissions graded in {result.seconds:.0f} s. "
         f"Mean {sum(scores) / max(len(scores), 1):.1f} / {top:g}; full marks: "
         f"{sum(g.result.full_marks for g in result.graded)}; not finished normally: "
         f"{sum(g.status != 'ok' for g in result.graded)}."),
        "",
        "Isolation: " + ISOLATION[result.jail],
        "",
        "## Which tests most students fail",
        "",
        "| test | points | passed | pass rate |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {s.name} | {s.points:g} | {s.passed}/{s.total} | {100 * s.rate:.0f} % |" for s in stats]
    lines += ["", "## Scores", "", "| student | score | status |", "|---|---:|---|"]
    lines += [f"| {g.submission.student} | {g.result.score:g}/{g.result.max_score:g} | {g.status} |" for g in result.graded]
    return "\n".join(lines) + "\n"


def pass_rate_svg(stats: list[TestStat], width: int = 760) -> str:
    """A horizontal bar per test: how many students passed it (hardest first)."""
    bar_h, gap, label_w = 18, 6, 430
    height = len(stats) * (bar_h + gap) + 40
    rows = []
    for i, s in enumerate(stats):
        y = 30 + i * (bar_h + gap)
        w = int((width - label_w - 60) * s.rate)
        colour = "#d9534f" if s.rate < 0.5 else "#f0ad4e" if s.rate < 0.8 else "#5cb85c"
        label = html.escape(s.name if len(s.name) <= 62 else s.name[:61] + "…")
        rows.append(
            f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end" font-size="12">{label}</text>'
            f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6}" y="{y + 13}" font-size="12">{100 * s.rate:.0f} %</text>'
        )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">'
            f'<text x="10" y="18" font-size="14" font-weight="bold">Share of students passing each test</text>'
            + "".join(rows) + "</svg>\n")


def summary_html(result: ClassResult, stats: list[TestStat], svg: str) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(s.name)}</td><td>{s.points:g}</td><td>{s.passed}/{s.total}</td><td>{100 * s.rate:.0f} %</td></tr>"
        for s in stats
    )
    return (f"<!doctype html><meta charset='utf-8'><title>{result.lab} class summary</title>"
            f"<h1>{result.lab}: class summary</h1><p>{len(result.graded)} submissions, graded in {result.seconds:.0f} s.</p>"
            f"{svg}<table border='1' cellpadding='4'><tr><th>test</th><th>points</th><th>passed</th><th>pass rate</th></tr>"
            f"{rows}</table>\n")
