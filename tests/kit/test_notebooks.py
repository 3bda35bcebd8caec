"""Notebook pairs (.py authored, .ipynb run) must say the same thing."""
from __future__ import annotations

import shutil

from labkit.notebooks import out_of_sync
from labkit.paths import NOTEBOOKS


def test_the_committed_notebooks_are_in_sync():
    assert out_of_sync() == []


def test_an_edited_script_is_reported(tmp_path):
    for name in ("00_start_here.py", "00_start_here.ipynb"):
        shutil.copy(NOTEBOOKS / name, tmp_path / name)
    script = tmp_path / "00_start_here.py"
    script.write_text(script.read_text() + "\n# %%\nprint('a cell the .ipynb lacks')\n")
    assert out_of_sync(tmp_path) == ["00_start_here.py and 00_start_here.ipynb differ (run jupytext --sync 00_start_here.py)"]


def test_a_notebook_without_its_pair_is_reported(tmp_path):
    shutil.copy(NOTEBOOKS / "00_start_here.ipynb", tmp_path / "scratch.ipynb")
    assert out_of_sync(tmp_path) == ["scratch.ipynb has no .py pair (run jupytext --set-formats ipynb,py:percent scratch.ipynb)"]
