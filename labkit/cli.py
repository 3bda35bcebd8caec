"""`labkit` — the kit's command line. The Makefile's targets are thin wrappers around it.

    labkit test lab1                 grade your labs/lab1_* (score table, SCORE lab1: x/y)
    labkit test lab1 --part load     one part of it (a test file)
    labkit test lab1 --target reference
    labkit test                      the whole suite: kit tests, every lab verified, notebooks
                                     (in a student edition: every lab graded, a score each)
    labkit submit [lab1 …]           zip your lab(s) to hand in (submit/lab1-<you>.zip)
    labkit verify [lab1 …]           reference full marks, starter 0, wrong variants lose points
    labkit mutate [lab1 …]           mutants of the reference: how many do the tests catch?
    labkit grade lab1 --submissions DIR   grade a class: gradebook CSV, feedback, summary
    labkit lab [--no-browser]        services + JupyterLab on the kit, opened on the start lesson
    labkit doctor                    check this machine and say how to fix what is wrong
    labkit release [--check]         regenerate labs/ from dags/ (or fail if they differ)
    labkit bench                     loader speed side by side, warm grading time
    labkit monitor [--stop scheduler] lab 4's health monitor, once, against a local Airflow
    labkit demo [--reset]            the class demo: every reference DAG in a local Airflow UI
    labkit demo-run                  every reference DAG once through the REST API, a table, stop
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from labkit import interrupts
from labkit.paths import ROOT, TESTS, state_dir

BUSY = 3  # exit status: the lab is being graded by another run in this checkout


def cmd_test(args: argparse.Namespace) -> int:
    from labkit.grading import runner
    from labkit.grading.parts import UnknownPart, find
    from labkit.grading.targets import BadTarget, known_labs

    if not args.labs:
        if args.part:
            print("PART needs a lab: make test lab1 PART=load")
            return 2
        return full_suite(args)
    status = 0
    for lab in args.labs:
        if lab not in known_labs():
            print(f"unknown lab {lab!r}; the labs are: {', '.join(known_labs())}")
            return 2
        try:
            part = find(lab, args.part) if args.part else None
        except UnknownPart as unknown:
            print(unknown)
            return 2
        try:
            outcome = runner.grade(
                lab, args.target, time_limit=args.time_limit, extra_args=args.pytest_args,
                select=[part.file] if part else (), name=f"{lab}-part-{part.name}" if part else None,
            )
        except runner.AlreadyRunning as busy:
            print(busy)
            return BUSY
        except BadTarget as bad:
            print(bad)
            return 2
        if not outcome.result.full_marks:
            status = 1
    return status


def cmd_submit(args: argparse.Namespace) -> int:
    from labkit.grading.targets import known_labs
    from labkit.submit import SubmitError, submit

    labs = args.labs or known_labs()
    for lab in labs:
        if lab not in known_labs():
            print(f"unknown lab {lab!r}; the labs are: {', '.join(known_labs())}")
            return 2
    status = 0
    for lab in labs:
        try:
            print(submit(lab, student=args.student).summary())
        except SubmitError as problem:
            print(f"{lab}: not written: {problem}")
            status = 1
    print("Hand in the zip(s) where your course collects work; your instructor grades them with `labkit grade`.")
    return status


def _verifiable_labs() -> list[str]:
    """Every lab with graded tests in this edition (what `make verify` with no lab checks)."""
    from labkit.grading.targets import known_labs

    return [lab for lab in known_labs() if (TESTS / lab).is_dir()]


def cmd_verify(args: argparse.Namespace) -> int:
    from labkit.edition import is_student_edition
    from labkit.grading.verify import verify

    if is_student_edition():
        print("verify compares the reference solutions with known-wrong answers: it needs the instructor's edition.")
        return 2
    labs = args.labs or _verifiable_labs()
    ok = True
    for lab in labs:
        findings = verify(lab, workers=args.workers)
        ok = ok and all(f.ok for f in findings)
    return 0 if ok else 1


def full_suite(args: argparse.Namespace) -> int:
    """`make test`: what CI runs (each step prints its own result; all must pass). In a
    student edition: every lab graded, a score each (see `student_scores`)."""
    from labkit.edition import is_student_edition

    if is_student_edition():
        return student_scores()
    from labkit import lint, suite
    from labkit.grading.release import stale
    from labkit.notebooks import out_of_sync

    # Each failing step adds one line per failure: the summary at the end repeats them, since
    # CI often keeps only the tail of the log.
    failures: list[str] = []
    reports = state_dir() / "suite"
    reports.mkdir(parents=True, exist_ok=True)

    def lints() -> int:
        print("== 1/6 lint and types (ruff, mypy: pyproject.toml)")
        result = lint.run()
        print(result.summary())
        failures.extend(f"lint and types: {line}" for line in result.findings())
        return 0 if result.ok else 1

    def generated() -> int:
        print("\n== 2/6 generated files are up to date (labkit release --check, notebook pairs)")
        diffs = stale() + out_of_sync()
        for diff in diffs:
            print(diff)
        print("up to date" if not diffs else "stale: run `make release` / `jupytext --sync notebooks/*.lesson.py`")
        return 0 if not diffs else 1

    def kit_tests() -> int:
        print("\n== 3/6 the kit's own tests (tests/kit)", flush=True)
        # One worker for now. On two (`-n 2`: 601-829 s here, 611 s in one CI, against ~1,100 s)
        # one CI run failed twice under the load: the lab 5 lesson's backfill runs were not
        # scheduled within its 90 s, and a check("lab1") in JupyterLab did not finish in 300 s.
        # Those verdicts must not depend on load; until they don't, the step stays serial.
        report = reports / "kit-tests.xml"
        report.unlink(missing_ok=True)  # never read an earlier run's failures as this one's
        command = [sys.executable, "-m", "pytest", str(TESTS / "kit"), "-q", "-p", "no:cacheprovider", "-p", "no:nbmake",
                   "--durations=15", f"--junitxml={report}"]  # durations: where the step's time goes, in CI's log
        code = subprocess.run(command, cwd=ROOT).returncode
        if code:
            failures.extend(f"kit tests: {line}" for line in suite.failed_tests(report))
        return code

    def labs_verified() -> int:
        print("\n== 4/6 every lab: reference 100 %, starter 0 %, wrong variants lose points", flush=True)
        from labkit.grading.verify import verify

        bad = [(lab, finding) for lab in _verifiable_labs() for finding in verify(lab, workers=args.workers)
               if not finding.ok]
        for lab, finding in bad:
            failures.append(f"verify {lab} {finding.run}: {finding.summary}")
            failures.extend(f"    - {problem}" for problem in finding.problems)
        return 1 if bad else 0

    def notebooks() -> int:
        print("\n== 5/6 notebooks run top to bottom", flush=True)
        report = reports / "notebooks.xml"
        report.unlink(missing_ok=True)
        code = run_lessons(junit_xml=report)
        if code:
            failures.extend(f"notebooks: {line}" for line in suite.failed_tests(report))
        return code

    def demo_run() -> int:
        print("\n== 6/6 the class demo runs every reference DAG (make demo-run)", flush=True)
        code = cmd_demo_run(argparse.Namespace(timeout=600))
        if code:
            failures.append("demo-run: not every reference DAG succeeded (its table is above)")
        return code

    started = time.monotonic()
    results = [
        suite.timed_step("lint and types", lints),
        suite.timed_step("labs/ and notebooks in sync with their sources", generated),
        suite.timed_step("kit tests", kit_tests),
        suite.timed_step("labs verified", labs_verified),
        suite.timed_step("notebooks", notebooks),
        suite.timed_step("demo-run: every reference DAG succeeded", demo_run),
    ]
    print()
    print("\n".join(suite.summary(results, time.monotonic() - started)))
    for line in suite.recap(failures):
        print(line)
    failed = sum(not result.ok for result in results)
    print(f"labkit: {len(results) - failed} passed, {failed} failed")
    return 0 if not failed else 1


def run_lessons(root: Path = ROOT, junit_xml: Path | None = None) -> int:
    """Every lesson top to bottom, headless (nbmake). Their `check()` cells only resolve
    what they would grade (LABKIT_CHECK=dry-run): grading the untouched starter at each of
    them would add minutes to learn that it scores 0."""
    notebooks = sorted(str(p) for p in (root / "notebooks").glob("*.ipynb"))
    # A lesson runs a real DAG: give notebooks a longer limit than graded tests get.
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbmake", "-q", "-p", "no:cacheprovider", "-o", "timeout=300", *notebooks,
         *([f"--junitxml={junit_xml}"] if junit_xml else [])],
        cwd=root, env={**os.environ, "LABKIT_CHECK": "dry-run"},
    ).returncode


def student_scores() -> int:
    """A student edition's `make test`: grade every lab, print each lab's score, then a summary.

    Work done is never a failure: the exit status is 0 whenever every lab could be graded
    (a score of 0 included); it is 1 only when a lab's grading could not run at all.
    """
    from labkit.grading import runner, warm
    from labkit.grading.report import NOT_RUN
    from labkit.grading.targets import known_labs
    from labkit.grading.zygote import ZygotePool

    rows = []
    # Six runs in a row: one zygote imports pytest and Airflow once for all of them, unless
    # `make lab` runs (its own zygote and PostgreSQL serve each run then).
    zygotes = ZygotePool(warm.ALL_SERVICES) if not warm.running() else None
    try:
        for lab in known_labs():
            print(f"\n== {lab}")
            try:
                with zygotes.lease() if zygotes else contextlib.nullcontext() as zygote:
                    result = runner.grade(lab, "student", zygote=zygote).result
            except runner.AlreadyRunning as busy:
                print(busy)
                return BUSY
            graded = bool(result.tests) and not all(t.outcome == NOT_RUN for t in result.tests)
            rows.append((lab, result.score, result.max_score, graded))
    finally:
        if zygotes:
            zygotes.stop()
    print("\nYour labs")
    for lab, score, top, graded in rows:
        print(f"  {lab}  {score:>4g}/{top:<4g}" + ("" if graded else "  could not be graded: see its log above"))
    print(f"  total {sum(r[1] for r in rows):g}/{sum(r[2] for r in rows):g} (public tests)")
    return 0 if all(r[3] for r in rows) else 1


def cmd_grade(args: argparse.Namespace) -> int:
    from labkit.grading.batch import grade_class

    out = Path(args.out or f"gradebook-{args.lab}").resolve()
    result = grade_class(
        args.lab, Path(args.submissions).resolve(), out, workers=args.workers, time_limit=args.time_limit,
        hidden=not args.public_only,
    )
    scores = [g.result.score for g in result.graded]
    print(f"{len(result.graded)} submissions of {args.lab} graded in {result.seconds:.0f} s "
          f"(mean {sum(scores) / len(scores):.1f}); see {out}/gradebook.csv, feedback/, summary.html")
    return 0


def cmd_mutate(args: argparse.Namespace) -> int:
    from labkit.grading import mutation
    from labkit.grading.targets import known_labs

    if _instructor_only("mutation testing"):
        return 2
    status = 0
    for lab in args.labs or known_labs():
        report = mutation.run(lab, workers=args.workers, only=args.only or None)
        status = status or int(report.count(mutation.SURVIVED) > 0)
    return status


def cmd_sample_class(args: argparse.Namespace) -> int:
    from labkit.grading.sample_class import generate

    written = generate(args.lab, Path(args.folder).resolve(), args.count)
    kinds: dict[str, int] = {}
    for sample in written:
        kinds[sample.kind] = kinds.get(sample.kind, 0) + 1
    print(f"{len(written)} submissions written to {args.folder}: " + ", ".join(f"{n} {k}" for k, n in kinds.items()))
    print(f"grade them: labkit grade {args.lab} --submissions {args.folder}")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from labkit.grading.release import release, stale, student_kit

    if args.student_kit:
        target = student_kit(Path(args.student_kit).resolve())
        print(f"student edition written to {target} (no solution bodies)")
        return 0
    if args.check:
        diffs = stale()
        for diff in diffs:
            print(diff)
        print("labs/ is up to date" if not diffs else "labs/ is stale: run `labkit release` (make release)")
        return 0 if not diffs else 1
    changed = release()
    for path in changed:
        print(f"wrote {path.relative_to(ROOT)}")
    print(f"{len(changed)} generated file(s) changed")
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    from labkit import jupyterlab

    return jupyterlab.main(args.port, no_browser=args.no_browser)


def cmd_doctor(args: argparse.Namespace) -> int:
    from labkit import doctor

    return doctor.main()


def cmd_monitor(args: argparse.Namespace) -> int:
    """Run lab 4's monitor once. With AIRFLOW_API_URL set it checks that Airflow (cron does
    the same); without, it starts a local one (and the Slack receiver) for the demo."""
    from labkit import stack
    from labkit.grading.targets import Target
    from labkit.paths import DAGS

    target = Target.parse(args.target)
    if target.kind not in ("student", "reference"):
        print("--target must be student or reference")
        return 2
    services = None
    if not os.environ.get("AIRFLOW_API_URL"):
        print("no AIRFLOW_API_URL: starting a local Airflow 3.3 and a Slack receiver (~10 s)…")
        services = stack.start("lab4")
    try:
        folder = DAGS if target.kind == "reference" else target.lab_file("lab4", "monitoring").parent
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
        from labkit.grading.loader import load_module

        load_module(folder / "monitoring" / "airflow_api.py", "monitoring.airflow_api", folder)
        monitor = load_module(folder / "monitoring" / "health_monitor.py", "monitoring.health_monitor", folder)
        if args.stop and services is not None and services.airflow_server is not None:
            print(f"stopping the {args.stop} (SIGTERM), as an outage would")
            services.airflow_server.stop_component(args.stop)
        try:
            code = monitor.main(args.monitor_args)
        except NotImplementedError as todo:
            print(f"your monitor is not written yet: {todo}")
            return 3
        if services is not None and services.slack is not None:
            for post in services.slack.posts:
                print(f"--- the Slack receiver got:\n{post.message()}")
        return int(code)
    finally:
        if services is not None:
            services.stop()


def cmd_demo(args: argparse.Namespace) -> int:
    """The class demo: up until Ctrl-C, Slack posts echoed here as they arrive."""
    from labkit.demo import stack as demo_stack
    from labkit.demo.state import DemoBusy, DemoState, DemoStateLost

    if _instructor_only("the class demo"):
        return 2
    state = DemoState.default()
    try:
        if args.reset:
            state.reset()
            print(f"demo state deleted ({state.folder}): starting from scratch")
        demo = demo_stack.start(state, port=args.port)
    except (DemoBusy, DemoStateLost) as problem:
        print(problem)
        return 2
    except KeyboardInterrupt:
        print("\nstopped while starting")
        return 130
    try:
        print("\n" + demo.banner())
        print(f"\nMemory: {demo.memory_mb():,.0f} MB (PSS of PostgreSQL, every Airflow component and the lab services)\n")
        seen = 0
        while True:
            time.sleep(1.0)
            posts = demo.services.slack.messages() if demo.services.slack is not None else []
            for message in posts[seen:]:
                print(f"Slack ← {message}")
            seen = len(posts)
            for name in list(demo.server.pids):
                if not demo.server.is_running(name):
                    print(f"! the {name} stopped; its log: {demo.state.airflow_home / 'processes' / (name + '.log')}")
                    demo.server.pids.pop(name)
    except (KeyboardInterrupt, SystemExit):
        print("\nstopping the demo…")
    finally:
        demo.stop()
        print(f"stopped; state kept in {state.folder} (the next `make demo` starts from it)")
    return 0


def cmd_demo_run(args: argparse.Namespace) -> int:
    """Start the demo stack, run every reference DAG once, print the table, stop."""
    from labkit.demo import run as demo_run
    from labkit.demo import stack as demo_stack
    from labkit.demo.state import DemoBusy, DemoState, DemoStateLost

    if _instructor_only("the demo run"):
        return 2
    state = DemoState.default()
    try:
        demo = demo_stack.start(state, port=None, schedule=False)
    except (DemoBusy, DemoStateLost) as problem:
        print(problem)
        return 2
    try:
        print(f"Airflow up in {demo.started_in:.1f} s at {demo.url}; memory {demo.memory_mb():,.0f} MB (PSS, every process)")
        planned = {step.dag_id for step in demo_run.PLAN}
        unplanned = sorted(set(demo.dag_files) - planned)
        started = time.monotonic()
        outcomes = demo_run.run_plan(demo.server, timeout=args.timeout)
        print(f"\n{demo_run.table(outcomes)} in {time.monotonic() - started:.0f} s")
        for dag_id in unplanned:
            print(f"FAIL {dag_id} is a reference DAG missing from the demo-run plan (labkit/demo/run.py)")
        return 0 if all(o.ok for o in outcomes) and not unplanned else 1
    finally:
        demo.stop()


def _instructor_only(what: str) -> bool:
    from labkit.edition import is_student_edition

    if is_student_edition():
        print(f"{what} runs the reference DAGs: it needs the instructor's edition.")
        return True
    return False


def cmd_bench(args: argparse.Namespace) -> int:
    from labkit import bench

    return bench.main(args.bench_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labkit", description="Airflow Lab Kit", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    test = sub.add_parser("test", help="grade labs (or run the whole suite with no lab named)")
    test.add_argument("labs", nargs="*", help="lab1 … lab6; none: the whole suite")
    test.add_argument("--target", default=os.environ.get("TARGET") or "student", help="student (default), reference, a .py file, or a submission folder")
    test.add_argument("--time-limit", type=float, default=None, help="seconds for the whole lab (default 300)")
    test.add_argument("--workers", type=int, default=2, help="parallel grading runs in the whole suite")
    test.add_argument("--part", default=os.environ.get("PART") or None,
                      help="one part of the lab: its number or name (extract_transform, load, …)")
    test.set_defaults(func=cmd_test)

    submit = sub.add_parser("submit", help="zip your lab(s) to hand in: submit/labN-<you>.zip")
    submit.add_argument("labs", nargs="*", help="lab1 … lab6; none: every lab")
    submit.add_argument("--student", default=os.environ.get("STUDENT") or None,
                        help="who you are, as your course knows you (default: git's user.email, else your login)")
    submit.set_defaults(func=cmd_submit)

    verify = sub.add_parser("verify", help="prove the tests tell right from wrong")
    verify.add_argument("labs", nargs="*")
    verify.add_argument("--workers", type=int, default=2)
    verify.set_defaults(func=cmd_verify)

    grade = sub.add_parser("grade", help="grade a whole class: one folder or .zip per student")
    grade.add_argument("lab", help="lab1 … lab6")
    grade.add_argument("--submissions", required=True, help="folder holding one folder or .zip per student")
    grade.add_argument("--out", help="where the gradebook, feedback and summary go (default ./gradebook-LAB)")
    grade.add_argument("--workers", type=int, default=None,
                       help="parallel gradings (default: what the lab costs: cores + 1, or fewer for labs with a live Airflow)")
    grade.add_argument("--time-limit", type=float, default=None, help="seconds per submission (default 300, as make test)")
    grade.add_argument("--public-only", action="store_true", help="do not run the hidden tests")
    grade.set_defaults(func=cmd_grade)

    mutate = sub.add_parser("mutate", help="mutation-test a lab's tests against mutants of its reference")
    mutate.add_argument("labs", nargs="*", help="lab1 … lab6; none: every lab")
    mutate.add_argument("--workers", type=int, default=2, help="mutants graded at once (labs with a live Airflow: 1)")
    mutate.add_argument("--only", nargs="*", help="only mutants whose id starts with one of these")
    mutate.set_defaults(func=cmd_mutate)

    sample = sub.add_parser("sample-class", help="write a synthetic class of submissions to try `grade` on")
    sample.add_argument("lab")
    sample.add_argument("folder")
    sample.add_argument("--count", type=int, default=30)
    sample.set_defaults(func=cmd_sample_class)

    release = sub.add_parser("release", help="regenerate labs/ from the reference DAGs")
    release.add_argument("--check", action="store_true", help="only check that labs/ is up to date")
    release.add_argument("--student-kit", metavar="DIR", help="write a copy of the repo without solutions")
    release.set_defaults(func=cmd_release)

    lab = sub.add_parser("lab", help="start the services and JupyterLab")
    lab.add_argument("--no-browser", action="store_true", default=bool(os.environ.get("NO_BROWSER")))
    lab.add_argument("--port", type=int, default=os.environ.get("LABKIT_JUPYTER_PORT", "8888"))
    lab.set_defaults(func=cmd_lab)

    doctor = sub.add_parser("doctor", help="check this machine")
    doctor.set_defaults(func=cmd_doctor)

    bench = sub.add_parser("bench", help="benchmarks: loaders side by side, warm grading time")
    bench.set_defaults(func=cmd_bench)

    monitor = sub.add_parser("monitor", help="lab 4's health monitor, once (options after -- go to it)")
    monitor.add_argument("--target", default=os.environ.get("TARGET") or "student", help="student (default) or reference")
    monitor.add_argument("--stop", choices=("scheduler", "dag-processor", "triggerer"),
                         help="local Airflow only: stop this component first, to see an alert")
    monitor.set_defaults(func=cmd_monitor)

    demo = sub.add_parser("demo", help="the class demo: a local Airflow UI with every reference DAG (Ctrl-C stops)")
    demo.add_argument("--port", type=int, default=os.environ.get("LABKIT_DEMO_PORT", "8080"),
                      help="the UI's port (default 8080; a free one if taken)")
    demo.add_argument("--reset", action="store_true",
                      help="forget the previous demo's state (logins, runs, warehouse) first")
    demo.set_defaults(func=cmd_demo)

    demo_run = sub.add_parser("demo-run", help="run every reference DAG once through the REST API (CI)")
    demo_run.add_argument("--timeout", type=float, default=600, help="seconds for all runs together (default 600)")
    demo_run.set_defaults(func=cmd_demo_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    interrupts.raise_on_interrupt()
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after `--` goes to pytest (labkit test lab1 -- -k newest) or the bench.
    passthrough = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    if argv[:1] == ["bench"]:
        passthrough, argv = argv[1:] + passthrough, ["bench"]
    args = build_parser().parse_args(argv)
    args.pytest_args = args.bench_args = args.monitor_args = passthrough
    try:
        return int(args.func(args))
    except KeyboardInterrupt:  # every verb has stopped what it started on the way out
        print("\nstopped (Ctrl-C)", file=sys.stderr)
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(main())
