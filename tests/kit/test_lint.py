"""Lint and type checks (labkit/lint.py): the repo passes ruff and mypy as pyproject.toml configures them."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from labkit import lint
from labkit.paths import ROOT

# A cold mypy run (no .labkit/mypy_cache yet) takes ~20 s on 2 cores; a warm one, ~1 s.
pytestmark = pytest.mark.timeout(300)


def test_ruff_passes_on_the_repo():
    result = lint.run(ROOT, ["ruff"])
    assert result.ok, result.summary()


def test_mypy_passes_on_labkit():
    result = lint.run(ROOT, ["mypy"])
    assert result.ok, result.summary()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny checkout with one finding for each tool."""
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.ruff]
        cache-dir = ".labkit/ruff_cache"
        [tool.ruff.lint]
        select = ["F"]
        [tool.mypy]
        files = ["labkit"]
        cache_dir = ".labkit/mypy_cache"
        strict = true
    """))
    (tmp_path / "labkit").mkdir()
    (tmp_path / "labkit" / "__init__.py").write_text("")
    (tmp_path / "labkit" / "bad.py").write_text("import os\n\n\ndef double(x):\n    return x * 2\n")
    return tmp_path


def test_each_finding_is_reported_with_its_file_and_line(project):
    result = lint.run(project)
    assert not result.ok
    ruff, mypy = result.checks
    assert [c.name for c in result.checks] == ["ruff", "mypy"]
    assert not ruff.ok and ruff.findings() == ["labkit/bad.py:1:8: F401 [*] `os` imported but unused"]
    assert not mypy.ok and len(mypy.findings()) == 1
    assert mypy.findings()[0].startswith("labkit/bad.py:4: error: Function is missing a type annotation")
    summary = result.summary()
    assert summary.splitlines()[0].startswith("ruff: 1 finding (")
    assert summary.splitlines()[1].startswith("mypy: 1 finding (")
    assert "-- ruff" in summary and "-- mypy" in summary and "labkit/bad.py:4:" in summary
    assert result.findings() == ruff.findings() + mypy.findings()


def test_a_clean_project_passes_with_no_findings(project):
    (project / "labkit" / "bad.py").write_text("def double(x: int) -> int:\n    return x * 2\n")
    result = lint.run(project)
    assert result.ok, result.summary()
    assert result.findings() == []
    assert [line.split(" (")[0] for line in result.summary().splitlines()] == ["ruff: passed", "mypy: passed"]


def test_an_unknown_check_is_refused():
    with pytest.raises(ValueError, match="unknown check 'pylint'"):
        lint.command("pylint")
    assert lint.main(["pylint"]) == 2
