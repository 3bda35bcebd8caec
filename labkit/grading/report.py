"""Scores: what a grading run found, saved as JSON and shown as a table.

The pytest plugin builds a `LabResult` per lab; the runner reads it back (or rebuilds it
from the progress file when a run had to be stopped) and prints it. Both print through
`render`, so the student sees the same table either way.
"""
from __future__ import annotations

import json
import os
import shutil
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from labkit.paths import state_dir

PASSED, FAILED, SKIPPED, TIMEOUT, NOT_RUN, HIDDEN = "passed", "failed", "skipped", "timeout", "not run", "hidden"


@dataclass
class TestResult:
    __test__ = False  # a result, not a test class for pytest to collect

    nodeid: str
    name: str
    points: float
    outcome: str = NOT_RUN
    reason: str = ""
    details: str = ""

    @property
    def earned(self) -> float:
        return self.points if self.outcome == PASSED else 0.0


@dataclass
class LabResult:
    lab: str
    target: str
    target_files: list[str] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    duration: float = 0.0
    note: str = ""  # e.g. "stopped after 240 s"
    files_sha256: dict[str, str] = field(default_factory=dict)  # what was graded: file -> SHA-256

    @property
    def score(self) -> float:
        return sum(t.earned for t in self.tests if t.outcome != HIDDEN)

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests if t.outcome != HIDDEN)

    @property
    def full_marks(self) -> bool:
        return self.max_score > 0 and self.score == self.max_score

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["score"], data["max_score"] = self.score, self.max_score
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LabResult:
        tests = [TestResult(**{k: v for k, v in t.items() if k in TestResult.__dataclass_fields__}) for t in data["tests"]]
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "tests"}
        return cls(tests=tests, **fields)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of this process's own: two runs saving at once never share a half-written file.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2, default=str))
        tmp.replace(path)  # readers never see half a file
        return path


def junit_xml(result: LabResult) -> str:
    """Minimal JUnit XML for a run pytest could not finish (it writes its own otherwise)."""
    from xml.sax.saxutils import escape, quoteattr

    failures = sum(t.outcome != PASSED for t in result.tests)
    cases = []
    for t in result.tests:
        body = "" if t.outcome == PASSED else f"<failure message={quoteattr(t.reason)}>{escape(t.details or t.reason)}</failure>"
        classname, _, name = t.nodeid.rpartition("::")
        props = f'<properties><property name="points" value="{t.points:g}"/></properties>'
        cases.append(f"<testcase classname={quoteattr(classname)} name={quoteattr(name)}>{props}{body}</testcase>")
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name={quoteattr(result.lab)} '
        f'tests="{len(result.tests)}" failures="{failures}">' + "".join(cases) + "</testsuite></testsuites>\n"
    )


def results_dir() -> Path:
    path = state_dir() / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def result_path(lab: str, target_label: str, folder: Path | None = None) -> Path:
    suffix = "" if target_label == "student" else "-" + target_label.replace(":", "-").replace("/", "_")
    return (folder or results_dir()) / f"{lab}{suffix}.json"


def _points(value: float) -> str:
    return f"{value:g}"


def render(result: LabResult, *, details: bool = True, width: int | None = None) -> str:
    """The score table, then what went wrong in plain words."""
    width = width or min(shutil.get_terminal_size((100, 20)).columns, 110)
    out = [f"{result.lab} · target: {result.target}" + (f" ({', '.join(result.target_files)})" if result.target_files else "")]
    marks = {PASSED: "PASS", FAILED: "FAIL", SKIPPED: "SKIP", TIMEOUT: "TIME", NOT_RUN: "----", HIDDEN: "hidden"}
    for t in result.tests:
        pts = "  ?" if t.outcome == HIDDEN else f"{_points(t.earned):>3}/{_points(t.points)}"
        out.append(f"  {marks.get(t.outcome, t.outcome):<4} {pts:>6}  {t.name}")
        if t.outcome not in (PASSED, HIDDEN) and t.reason:
            # The reason gets a line of its own: a cut-off reason helps nobody.
            out += textwrap.wrap(t.reason, width=width, initial_indent="               → ", subsequent_indent="                 ")
    if result.note:
        out.append(f"  note: {result.note}")

    problems = [t for t in result.tests if t.outcome in (FAILED, TIMEOUT) and (t.details or t.reason)]
    if details and problems:
        out.append("")
        out.append("What went wrong")
        # Tests that failed for the same reason (a syntax error, one unwritten function)
        # are listed together and the reason is said once.
        groups: dict[str, list[TestResult]] = {}
        for t in problems:
            groups.setdefault((t.details or t.reason).rstrip(), []).append(t)
        for text, tests in groups.items():
            for t in tests:
                out.append(f"- {t.name} ({_points(t.points)} pt{'s' if t.points != 1 else ''})")
            out.append(textwrap.indent(text, "    "))
    out.append("")
    out.append(f"SCORE {result.lab}: {_points(result.score)}/{_points(result.max_score)}")
    return "\n".join(out)


def hint_of(test: TestResult) -> str:
    """The test's own hint ("Hint: …" in its explanation), or ""."""
    for line in (test.details or "").splitlines():
        if line.strip().startswith("Hint:"):
            return line.strip().removeprefix("Hint:").strip()
    return ""


def render_html(result: LabResult, *, title: str = "") -> str:
    """The score table for a notebook: test, points, pass/fail, the reason and the hint.

    Everything a test reports is escaped: a student's error message is text, never markup.
    """
    import html

    marks = {PASSED: ("✓ pass", "#1a7f37"), FAILED: ("✗ fail", "#cf222e"), TIMEOUT: ("⏱ timeout", "#cf222e"),
             SKIPPED: ("skip", "#6e7781"), NOT_RUN: ("not run", "#6e7781"), HIDDEN: ("hidden", "#6e7781")}
    rows = []
    for t in result.tests:
        label, colour = marks.get(t.outcome, (t.outcome, "#6e7781"))
        pts = "?" if t.outcome == HIDDEN else f"{_points(t.earned)}/{_points(t.points)}"
        why = ""
        if t.outcome not in (PASSED, HIDDEN):
            why = html.escape(t.reason)
            hint = hint_of(t)
            if hint:
                why += f"<br><i>Hint: {html.escape(hint)}</i>"
        rows.append(
            f"<tr><td style='text-align:left'>{html.escape(t.name)}</td><td>{pts}</td>"
            f"<td style='color:{colour};white-space:nowrap'>{label}</td><td style='text-align:left'>{why}</td></tr>"
        )
    head = html.escape(title or f"{result.lab} · {result.target}")
    note = f"<p><i>{html.escape(result.note)}</i></p>" if result.note else ""
    return (
        f"<div class='labkit-score'><p><b>{head}</b></p>"
        "<table><thead><tr><th style='text-align:left'>test</th><th>points</th><th>result</th>"
        "<th style='text-align:left'>why, and a hint</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{note}"
        f"<p><b>SCORE {html.escape(result.lab)}: {_points(result.score)}/{_points(result.max_score)}</b></p></div>"
    )

