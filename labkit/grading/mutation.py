"""`make mutate lab2`: how many realistic mistakes in the reference do the lab's tests catch?

1. Grade the reference once with every test recording the lines of the lab's files it
   runs (public and hidden tests): which tests can see which line.
2. Make every mutant of the reference's SOLUTION blocks (mutants.py).
3. Grade each mutant as a submission, with only the tests that run its line (all of the
   lab's tests when none is seen to: lines a live scheduler runs in its own processes),
   stopping at the first failure: a failure is a kill. In lab 5 a line that builds a DAG is
   graded by all tests: the live Airflow that runs the DAG parses the file where no tracer looks.
4. Report: killed, survived (with the diff of each survivor), equivalent (a mutant that no
   test could tell from the reference, with the reason, in tests/labN/equivalent_mutants.txt).

    mutation score = killed / (mutants - equivalent)

Why not mutmut or cosmic-ray: mutmut 3 switches mutants inside the test process
(trampolines in an imported package), but a lab's code also runs in Airflow's task and
scheduler processes and is loaded by path, not imported as a package; cosmic-ray runs a
command per mutant as we do, but neither knows SQL, where half of these labs' mistakes
live. The grading runner already does the rest (targets, time limits, hidden tests).
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from labkit.compose import compose
from labkit.grading import runner, servers
from labkit.grading.mutants import Mutant, mutants
from labkit.grading.pool import grading_pool
from labkit.grading.report import FAILED, PASSED, TIMEOUT, LabResult
from labkit.grading.sample_class import reference_files
from labkit.grading.targets import Target, lab_filenames
from labkit.paths import DAGS, TESTS, state_dir
from labkit.services import postgres

KILLED, SURVIVED, EQUIVALENT, ERROR = "killed", "survived", "equivalent", "error"


@dataclass
class Outcome:
    mutant: Mutant
    status: str
    killer: str = ""  # the test that failed
    reason: str = ""
    tests: int = 0  # how many tests it was graded with
    seconds: float = 0.0


@dataclass
class Report:
    lab: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def score(self) -> float:
        judged = len(self.outcomes) - self.count(EQUIVALENT) - self.count(ERROR)
        return self.count(KILLED) / judged if judged else 1.0


def equivalents(lab: str) -> dict[str, str]:
    """tests/labN/equivalent_mutants.txt: `<mutant id>  <why no test can tell it apart>` per line."""
    path = TESTS / lab / "equivalent_mutants.txt"
    notes = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                mutant_id, _, why = line.strip().partition(" ")
                notes[mutant_id] = why.strip()
    return notes


def coverage(lab: str, folder: Path, *, server: postgres.PostgresServer | None = None, airflow_state: Path | None = None) -> tuple[dict[str, set[str]], set[str]]:
    """{file:line -> test function names that run it}, and the file:lines run while a file is
    imported (the DAG it builds), from one graded run of the reference."""
    lines_file = folder / "lines.json"
    outcome = runner.grade(lab, Target("reference"), results=folder / "coverage", show=False, hidden=True,
                           extra_args=[f"--labkit-lines={lines_file}"], server=server, airflow_state=airflow_state,
                           home_name=f"mutate-{lab}-coverage")
    if not outcome.result.full_marks:
        lost = [t.name for t in outcome.result.tests if t.outcome != PASSED]
        raise RuntimeError(f"the reference does not score full marks, so mutants cannot be judged: {lost}")
    covered: dict[str, set[str]] = {}
    data = json.loads(lines_file.read_text()) if lines_file.exists() else {"tests": {}, "parse": {}}
    for nodeid, files in data["tests"].items():
        for filename, lines in files.items():
            rel = _relative_to_dags(filename)
            for line in lines:
                covered.setdefault(f"{rel}:{line}", set()).add(nodeid.split("::")[-1])
    parse = {f"{_relative_to_dags(filename)}:{line}" for filename, lines in data["parse"].items() for line in lines}
    return covered, parse


def _relative_to_dags(filename: str) -> str:
    path = Path(filename)
    try:
        return path.resolve().relative_to(DAGS.resolve()).as_posix()
    except ValueError:
        return path.name


def _lines_of(mutant: Mutant) -> range:
    span = max(1, mutant.before.count("\n") + 1)
    return range(mutant.line, mutant.line + span)


def _build(lab: str, mutant: Mutant, folder: Path) -> Path:
    submission = folder / mutant.id.replace(":", "_")
    shutil.rmtree(submission, ignore_errors=True)
    for name in lab_filenames(lab):
        source = DAGS / name
        if source.is_dir():
            shutil.copytree(source, submission / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            submission.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, submission / name)
    (submission / mutant.file).write_text(mutant.source)
    return submission


def _judge(mutant: Mutant, result: LabResult, tests: int, seconds: float) -> Outcome:
    failed = [t for t in result.tests if t.outcome in (FAILED, TIMEOUT)]
    if failed:
        killer = failed[0]
        return Outcome(mutant, KILLED, killer.nodeid.split("::")[-1], killer.reason, tests, seconds)
    if not any(t.outcome == PASSED for t in result.tests):
        return Outcome(mutant, ERROR, reason=result.note or "no test ran", tests=tests, seconds=seconds)
    return Outcome(mutant, SURVIVED, tests=tests, seconds=seconds)


def run(lab: str, *, workers: int = 1, only: list[str] | None = None, show: bool = True) -> Report:
    started = time.monotonic()
    folder = state_dir() / "mutation" / lab
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    all_mutants = [m for name, source in reference_files(lab).items() for m in mutants(source, name)]
    if only:
        all_mutants = [m for m in all_mutants if any(m.id.startswith(prefix) for prefix in only)]
    notes = equivalents(lab)

    report = Report(lab)
    with compose(lab, "shared", airflow_servers=workers) as shared:
        server = shared.get("postgres")
        airflows = servers.SharedAirflows(shared)  # a live Airflow per worker, one run at a time on each
        zygotes = shared["zygotes"]  # a grading zygote per worker, one run at a time on each
        with airflows.lend() as live:
            covered, parse = coverage(lab, folder, server=server, airflow_state=live)
        # A lab whose tests run the submission's DAGs in a live Airflow: that Airflow parses the
        # file in its own processes, so a line that builds the DAG is run by tests the tracer
        # cannot see (lab 5's rerun test and reset_dag_run): such a line is graded by all tests.
        parsed_elsewhere = servers.needs_server(lab) and not servers.shareable(lab)

        def grade(mutant: Mutant) -> Outcome:
            if mutant.id in notes:
                return Outcome(mutant, EQUIVALENT, reason=notes[mutant.id])
            lines = [f"{mutant.file}:{line}" for line in _lines_of(mutant)]
            names = sorted({t for line in lines for t in covered.get(line, ())})
            if parsed_elsewhere and any(line in parse for line in lines):
                names = []
            selection = ["-k", " or ".join(names)] if names else []
            began = time.monotonic()
            with airflows.lend() as live, zygotes.lease() as zygote:
                result = runner.grade(
                    lab, Target("submission", _build(lab, mutant, folder / "mutants")),
                    results=folder / "runs" / mutant.id.replace(":", "_"),
                    show=False, hidden=True, extra_args=["-x", *selection], server=server,
                    airflow_state=live, home_name=f"mutate-{lab}-{mutant.id.replace(':', '-')}", zygote=zygote,
                ).result
            outcome = _judge(mutant, result, len(names) or len(result.tests), time.monotonic() - began)
            if show:
                print(f"  {outcome.status:<10} {mutant.id:<60} {outcome.killer or outcome.reason[:60]}", flush=True)
            return outcome

        with grading_pool(workers) as pool:
            report.outcomes = list(pool.map(grade, all_mutants))
    report.seconds = round(time.monotonic() - started, 1)
    write(report, folder)
    stale = sorted(set(notes) - {m.id for m in all_mutants})
    if show:
        print(summary(report))
        for mutant_id in stale:
            print(f"  note for a mutant that no longer exists: {mutant_id} (tests/{lab}/equivalent_mutants.txt)")
        print(f"report: {folder / 'report.md'}")
    return report


def summary(report: Report) -> str:
    return (f"{report.lab}: {len(report.outcomes)} mutants, {report.count(KILLED)} killed, {report.count(SURVIVED)} survived, "
            f"{report.count(EQUIVALENT)} equivalent, {report.count(ERROR)} errors · mutation score "
            f"{100 * report.score:.0f} % ({report.seconds:.0f} s)")


def write(report: Report, folder: Path) -> None:
    reference = reference_files(report.lab)
    lines = [f"# Mutants of {report.lab}'s reference", "", summary(report), "",
             "| status | mutant | graded with | killed by / why |", "|---|---|---:|---|"]
    for o in report.outcomes:
        lines.append(f"| {o.status} | `{o.mutant.id}` | {o.tests} tests | {o.killer or o.reason} |")
    survivors = [o for o in report.outcomes if o.status == SURVIVED]
    if survivors:
        lines += ["", "## Survivors", ""]
        for o in survivors:
            lines += [f"### `{o.mutant.id}` ({o.mutant.kind}, line {o.mutant.line})", "", "```diff",
                      o.mutant.diff(reference[o.mutant.file]).rstrip(), "```", ""]
    (folder / "report.md").write_text("\n".join(lines) + "\n")
    (folder / "report.json").write_text(json.dumps({
        "lab": report.lab, "score": report.score, "seconds": report.seconds,
        "mutants": [{"id": o.mutant.id, "kind": o.mutant.kind, "line": o.mutant.line, "status": o.status,
                     "killer": o.killer, "reason": o.reason, "tests": o.tests, "seconds": round(o.seconds, 1)}
                    for o in report.outcomes],
    }, indent=2))
