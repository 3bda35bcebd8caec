"""The points table in each lab's README, read from the graded tests themselves.

`labkit release` rewrites the part of labs/labN_*/README.md between
`<!-- points:start -->` and `<!-- points:end -->`, so the table students read is the
table the grader uses. Tests are read with `ast` (nothing is imported), in pytest's order.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit.paths import TESTS

START, END = "<!-- points:start -->", "<!-- points:end -->"


@dataclass
class GradedTest:
    file: str
    name: str
    doc: str
    points: float


def graded_tests(lab: str, tests: Path = TESTS) -> list[GradedTest]:
    found = []
    for path in sorted((tests / lab).glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            points = _points(node)
            if points is not None:
                doc = (ast.get_docstring(node) or node.name).strip().splitlines()[0].rstrip(".")
                found.append(GradedTest(path.name, node.name, doc, points))
    return found


def _points(node: ast.FunctionDef) -> float | None:
    for decorator in node.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and getattr(decorator.func, "attr", "") == "points"
            and decorator.args
            and isinstance(decorator.args[0], ast.Constant)
        ):
            points: Any = decorator.args[0].value  # a number; float() refuses anything else, loudly
            return float(points)
    return None


def render(lab: str, tests: Path = TESTS) -> str:
    rows = graded_tests(lab, tests)
    total = sum(t.points for t in rows)
    lines = [START, "| # | what is checked | test | points |", "|---|---|---|---:|"]
    for i, t in enumerate(rows, 1):
        lines.append(f"| {i} | {t.doc} | `{t.name}` | {t.points:g} |")
    lines += [f"| | **total** | | **{total:g}** |", END]
    return "\n".join(lines)


def update_readme(readme: Path, lab: str, tests: Path = TESTS) -> str:
    """The README's text with its points table regenerated (unchanged if it has no markers)."""
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: render(lab, tests), text) if pattern.search(text) else text
