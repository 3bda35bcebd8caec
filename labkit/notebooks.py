"""Lesson notebooks are authored as jupytext pairs: `labN_x.py` (reviewable) + `labN_x.ipynb`.

`out_of_sync()` names the pairs whose cells differ, so a reviewer reading the .py diff
reads what students run. Fix with `.venv/bin/jupytext --sync notebooks/*.py`.
"""
from __future__ import annotations

from pathlib import Path

from labkit.paths import NOTEBOOKS


def _cells(path: Path) -> list[tuple[str, str]]:
    import jupytext

    notebook = jupytext.read(path)
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def out_of_sync(folder: Path = NOTEBOOKS) -> list[str]:
    problems = []
    for script in sorted(folder.glob("*.py")):
        pair = script.with_suffix(".ipynb")
        if not pair.exists():
            problems.append(f"{pair.name} is missing (run jupytext --sync {script.name})")
        elif _cells(script) != _cells(pair):
            problems.append(f"{script.name} and {pair.name} differ (run jupytext --sync {script.name})")
    for notebook in sorted(folder.glob("*.ipynb")):
        if not notebook.with_suffix(".py").exists():
            problems.append(f"{notebook.name} has no .py pair (run jupytext --set-formats ipynb,py:percent {notebook.name})")
    return problems
