"""Proof that a lab's tests discriminate: `labkit verify lab1`.

- the reference scores full marks;
- the untouched starter scores 0 (every graded test fails on it);
- each known-wrong variant in tests/labN/wrong/ loses the tests that name its mistake.

A variant is a small module describing one realistic mistake as edits to the reference:

    '''SELECT DISTINCT is not a dedupe: a revised forecast gives two rows for one date.'''
    MUST_FAIL = ["test_no_duplicate_dates_after_overlapping_runs"]
    FIRST_REASON = r"appear more than once|DISTINCT"
    EDITS = [("<exact text in the reference>", "<the mistaken text>")]

FIRST_REASON is a regular expression the first failing line of the variant's feedback (its
reason and hint, as the student reads them) must match: the feedback names the mistake,
not a symptom elsewhere. Variants are graded as a student's submission is, hidden tests
included, on every test up to the first of MUST_FAIL and then on MUST_FAIL alone
(`--labkit-until`): that is all the checks read, and it halves the tests run. Their
"loses N pts" counts those tests.

Every `old` text must occur exactly once in the reference, so a variant that no longer
applies fails loudly instead of silently testing the reference.
"""
from __future__ import annotations

import functools
import importlib.util
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from labkit.compose import compose
from labkit.grading import runner, servers
from labkit.grading.pool import grading_pool
from labkit.grading.report import PASSED, LabResult, hint_of
from labkit.grading.targets import Target, lab_filenames
from labkit.paths import DAGS, TESTS, state_dir


@dataclass
class Variant:
    lab: str
    name: str
    why: str
    must_fail: list[str]
    edits: list[tuple[str, str]]
    file: str = ""  # which lab file the edits apply to, relative to dags/ (default: the lab's first file)
    first_reason: str = ""  # a regex the first failing test's reason and hint must match

    def build(self, folder: Path) -> Path:
        """A submission folder: the reference's lab files, with this variant's edits to one."""
        filename = self.file or lab_filenames(self.lab)[0]
        submission = folder / self.name
        for name in lab_filenames(self.lab):
            source_path = DAGS / name
            if source_path.is_dir():
                shutil.copytree(source_path, submission / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                submission.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source_path, submission / name)
        source = (DAGS / filename).read_text()
        for old, new in self.edits:
            count = source.count(old)
            if count != 1:
                raise ValueError(
                    f"variant {self.lab}/{self.name}: the text to replace occurs {count} times in dags/{filename} "
                    f"(must be exactly once); update tests/{self.lab}/wrong/{self.name}.py:\n{old}"
                )
            source = source.replace(old, new)
        (submission / filename).write_text(source)
        return submission


def load_variants(lab: str) -> list[Variant]:
    variants = []
    for path in sorted((TESTS / lab / "wrong").glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"labkit_variant_{lab}_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        variants.append(
            Variant(
                lab=lab,
                name=path.stem,
                why=(module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else path.stem,
                must_fail=list(module.MUST_FAIL),
                edits=list(module.EDITS),
                file=getattr(module, "FILE", ""),
                first_reason=getattr(module, "FIRST_REASON", ""),
            )
        )
    return variants


@dataclass
class Finding:
    run: str
    ok: bool
    summary: str
    problems: list[str] = field(default_factory=list)


def _test_function(nodeid: str) -> str:
    return nodeid.split("::")[-1].split("[")[0]


def _check_reference(result: LabResult) -> Finding:
    bad = [f"{t.name}: {t.reason}" for t in result.tests if t.outcome != PASSED]
    return Finding("reference", result.full_marks, f"{result.score:g}/{result.max_score:g}", bad)


def _check_starter(result: LabResult) -> Finding:
    passing = [t.name for t in result.tests if t.outcome == PASSED]
    ok = bool(result.tests) and not passing
    return Finding("starter", ok, f"{result.score:g}/{result.max_score:g}", [f"passes on the starter: {n}" for n in passing])


def _check_variant(variant: Variant, result: LabResult) -> Finding:
    outcomes = {_test_function(t.nodeid): t for t in result.tests}
    problems = []
    for name in variant.must_fail:
        test = outcomes.get(name)
        if test is None:
            problems.append(f"{name}: no such graded test")
        elif test.outcome == PASSED:
            problems.append(f"{name}: passed, but this variant's mistake should fail it")
    first = next((t for t in result.tests if t.outcome != PASSED), None)
    said = f"{first.reason}\n{hint_of(first)}" if first is not None else ""
    if not variant.first_reason:
        problems.append("declares no FIRST_REASON (what its first failing line must say)")
    elif first is not None and not re.search(variant.first_reason, said, flags=re.I):
        problems.append(f"its feedback starts with {_test_function(first.nodeid)}: {first.reason!r}, "
                        f"which does not name its mistake (FIRST_REASON {variant.first_reason!r})")
    lost = sum(t.points for t in result.tests if t.outcome != PASSED)
    return Finding(f"wrong/{variant.name}", not problems and lost > 0, f"loses {lost:g} pts — {variant.why}", problems)


def verify(lab: str, *, workers: int = 2, show: bool = True) -> list[Finding]:
    started = time.monotonic()
    folder = state_dir() / "verify" / lab
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    variants = load_variants(lab)
    builds = {v.name: v.build(folder / "variants") for v in variants}

    # A live Airflow per worker for all of the lab's runs (lab 4), one run at a time on each.
    with compose(lab, "shared", airflow_servers=workers) as shared:
        server = shared.get("postgres")
        airflows = servers.SharedAirflows(shared)

        zygotes = shared["zygotes"]  # a grading zygote per worker, one run at a time on each

        def run(label: str, target: Target, extra: list[str] | None = None, hidden: bool = False) -> LabResult:
            with airflows.lend() as live, zygotes.lease() as zygote:
                return runner.grade(
                    lab, target, results=folder / "results" / label, extra_args=extra, show=False, server=server,
                    home_name=f"verify-{lab}-{label}", hidden=hidden, airflow_state=live, zygote=zygote,
                ).result

        # Reference and starter face the hidden tests too: 100 % and 0 % of everything.
        jobs = {
            "reference": lambda: _check_reference(run("reference", Target("reference"), hidden=True)),
            "starter": lambda: _check_starter(run("starter", Target("student"), hidden=True)),
        }
        def variant_job(v: Variant) -> Finding:
            # Hidden tests too, the feedback a student would get, up to the variant's mistake.
            until = [f"--labkit-until={','.join(v.must_fail)}"] if v.must_fail else []
            return _check_variant(v, run(v.name, Target("submission", builds[v.name]), until, hidden=True))

        for variant in variants:
            jobs[variant.name] = functools.partial(variant_job, variant)
        with grading_pool(workers) as pool:
            futures = {name: pool.submit(job) for name, job in jobs.items()}
            findings = [futures[name].result() for name in jobs]

    if show:
        print(f"verify {lab}: does the suite tell right from wrong?")
        for f in findings:
            print(f"  {'ok ' if f.ok else 'BAD'}  {f.run:<28} {f.summary}")
            for problem in f.problems:
                print(f"         - {problem}")
        print(f"  {len(findings)} grading runs in {time.monotonic() - started:.0f} s ({workers} at a time)", flush=True)
    return findings
