"""Notebook pairs (.py authored, .ipynb run) must say the same thing."""
from __future__ import annotations

import ast
import re
import shutil

import jupytext
import pytest

from labkit.grading.parts import find, parts
from labkit.notebooks import out_of_sync
from labkit.paths import NOTEBOOKS, lab_dir


def test_the_committed_notebooks_are_in_sync():
    assert out_of_sync() == []


def test_an_edited_script_is_reported(tmp_path):
    for name in ("00_start_here.lesson.py", "00_start_here.ipynb"):
        shutil.copy(NOTEBOOKS / name, tmp_path / name)
    script = tmp_path / "00_start_here.lesson.py"
    script.write_text(script.read_text() + "\n# %%\nprint('a cell the .ipynb lacks')\n")
    assert out_of_sync(tmp_path) == ["00_start_here.lesson.py and 00_start_here.ipynb differ (run jupytext --sync 00_start_here.lesson.py)"]


def test_a_notebook_without_its_pair_is_reported(tmp_path):
    shutil.copy(NOTEBOOKS / "00_start_here.ipynb", tmp_path / "scratch.ipynb")
    assert out_of_sync(tmp_path) == ["scratch.ipynb has no .lesson.py pair (run jupytext --set-formats ipynb,.lesson.py:percent scratch.ipynb)"]


# -- the student's loop inside each lesson ------------------------------------------------------
LINK = re.compile(r"\]\((\.\./labs/[^)\s#]+)\)")


def _check_calls(source: str) -> list[tuple[str, str | None, bool]]:
    """(lab, part, alone) for each check(...) call in a code cell; alone: the cell holds only it."""
    tree = ast.parse(source)
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check":
            args = [ast.literal_eval(a) for a in node.args]
            alone = len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr) and tree.body[0].value is node
            calls.append((args[0], args[1] if len(args) > 1 else None, alone))
    return calls


@pytest.mark.parametrize("lesson", sorted(p.name for p in NOTEBOOKS.glob("lab*.lesson.py")))
def test_every_lesson_links_its_lab_files_and_checks_every_part(lesson):
    lab = lesson.split("_")[0]
    cells = jupytext.read(NOTEBOOKS / lesson).cells
    links = [target for cell in cells for target in LINK.findall(cell.source)]
    assert f"../labs/{lab_dir(lab).name}/README.md" in LINK.findall(cells[0].source), "the title cell links the README"
    assert [t for t in links if not (NOTEBOOKS / t).resolve().is_file()] == [], "a link to a file that does not exist"
    first_code = next(c for c in cells if c.cell_type == "code")
    assert "from labkit.check import check" in first_code.source
    calls = [call for cell in cells if cell.cell_type == "code" for call in _check_calls(cell.source)]
    assert all(alone for _, _, alone in calls), "a check cell holds more than the check() call (its table would not show)"
    assert {called for called, _, _ in calls} == {lab}
    checked = {find(lab, part).name for _, part, _ in calls if part is not None}
    assert checked == {p.name for p in parts(lab)}, "a part of the lab has no check cell"
    assert calls[-1][1] is None, "the lesson ends with a check of the whole lab"
    for cell in cells:  # `check = …` or `for check in …` would hide the function for later cells
        if cell.cell_type == "code":
            stored = [n.id for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
            assert "check" not in stored, cell.source
