"""labkit.check: grading from a notebook, in a real kernel (nbclient), like `make test`.

Each test works on a student edition of its own, so that it can break the student's file
the way students do (a syntax error, a hang) without touching this checkout.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager

import nbformat
import pytest
from nbclient import NotebookClient

from labkit.grading.parts import UnknownPart, find, parts
from labkit.grading.points_table import graded_tests
from labkit.grading.release import student_kit
from tests.kit.helpers import clean_env, wait_until

pytestmark = pytest.mark.timeout(300)

STARTER = "labs/lab1_dedupe_upsert/lab1_dedupe_upsert.py"
STUB = "    raise NotImplementedError('TODO: call requests.get"


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    return student_kit(tmp_path_factory.mktemp("check") / "kit")


def _env(kit) -> dict[str, str]:
    # The edition's own labkit (PYTHONPATH wins over this checkout's editable install).
    return clean_env(PYTHONPATH=str(kit), LABKIT_STATE_DIR=str(kit / ".labkit"))


def run_cells(kit, *sources: str, timeout: int = 240) -> list[nbformat.NotebookNode]:
    """Run code cells in a fresh kernel started in the kit, as JupyterLab would."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(_env(kit))  # the kernel inherits the environment it is started with
    try:
        NotebookClient(notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(kit / "notebooks")}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return notebook.cells


def html_of(cell) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)


@contextmanager
def starter_with(kit, replacement: str):
    """Lab 1's starter with its first TODO stub replaced by `replacement`, then restored."""
    path = kit / STARTER
    original = path.read_text()
    line = next(line for line in original.splitlines() if line.startswith(STUB))
    path.write_text(original.replace(line, textwrap.indent(replacement, "    ")))
    try:
        yield path
    finally:
        path.write_text(original)


# -- parts ---------------------------------------------------------------------------------
def test_each_graded_test_file_is_a_part_found_by_number_name_or_prefix():
    assert [p.name for p in parts("lab1")] == ["extract_transform", "load", "dag"]
    assert find("lab1", 2).file == find("lab1", "load").file == find("lab1", "lo").file == "test_2_load.py"
    assert find("lab3", "dag").name == "dags"  # the start of a name is enough
    with pytest.raises(UnknownPart, match='"extract_transform" \\(1\\), "load" \\(2\\), "dag" \\(3\\)'):
        find("lab1", "transform")


# -- in a kernel -----------------------------------------------------------------------------
def test_a_check_renders_the_same_table_and_writes_the_same_results_as_make_test(kit):
    solved = ('response = requests.get(url, params={**SEOUL, "appid": api_key}, timeout=timeout)\n'
              "response.raise_for_status()\nreturn response.json()")
    with starter_with(kit, solved):
        cells = run_cells(kit, "from labkit.check import check", 'check("lab1", "extract_transform")')
        terminal = subprocess.run([sys.executable, "-m", "labkit", "test", "lab1", "--part", "extract"], cwd=kit,
                                  env=_env(kit), capture_output=True, text=True, timeout=240)
    html = html_of(cells[1])
    assert "SCORE lab1: 3/6" in html, html
    assert html.count("✓ pass") == 3 and html.count("✗ fail") == 3
    assert "not written yet" in html  # the reason, under the failing tests
    saved = json.loads((kit / ".labkit" / "results" / "lab1-part-extract_transform.json").read_text())
    assert saved["score"] == 3 and saved["max_score"] == 6
    assert saved["files_sha256"]["lab1_dedupe_upsert.py"]  # which version of the file it was
    assert "SCORE lab1: 3/6" in terminal.stdout, terminal.stdout[-2000:]


def test_a_syntax_error_gets_one_plain_reason_and_the_kernel_survives(kit):
    with starter_with(kit, "return requests.get(url timeout=timeout)"):
        cells = run_cells(kit, "from labkit.check import check", 'check("lab1", "extract")', "print(6 * 7)")
    html = html_of(cells[1])
    assert "SCORE lab1: 0/6" in html and "has a syntax error on line" in html, html
    assert "Traceback" not in html
    assert cells[2].outputs[0]["text"].strip() == "42"


def test_a_hang_costs_its_tests_and_the_kernel_survives(kit):
    with starter_with(kit, "while True:\n    pass"):
        cells = run_cells(kit, "from labkit.check import check", 'check("lab1", "extract")', "print('alive')")
    html = html_of(cells[1])
    assert "SCORE lab1: 0/6" in html and "⏱ timeout" in html, html
    assert cells[2].outputs[0]["text"].strip() == "alive"


def test_a_mistyped_lab_or_part_says_what_exists(kit):
    cells = run_cells(kit, "from labkit.check import check", 'check("lab9")', 'check("lab1", "laod")')
    assert "the labs are lab1, lab2" in html_of(cells[1])
    assert "its parts are" in html_of(cells[2]) and "&quot;load&quot;" in html_of(cells[2])


def test_a_headless_run_of_the_lessons_only_plans_its_checks(kit, monkeypatch):
    from labkit.check import Planned, check

    monkeypatch.setenv("LABKIT_CHECK", "dry-run")
    planned = check("lab1", "load")
    load = [t for t in graded_tests("lab1") if t.file == "test_2_load.py"]
    assert isinstance(planned, Planned) and (planned.tests, planned.points) == (len(load), sum(t.points for t in load))
    assert "not graded in a headless run" in repr(planned)


# -- interrupted ---------------------------------------------------------------------------------
def test_interrupting_a_check_stops_its_grading_and_leaves_nothing_running(kit):
    script = "from labkit.check import check\ncheck('lab1', 'extract')\n"
    with starter_with(kit, "import time\ntime.sleep(600)"):
        process = subprocess.Popen([sys.executable, "-c", script], cwd=kit, env=_env(kit),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        progress = lambda: list((kit / ".labkit" / "results").glob(".run-lab1-*/progress.jsonl"))  # noqa: E731
        assert wait_until(lambda: any("started" in p.read_text() for p in progress()), timeout=60)
        children = _descendants(process.pid)
        assert children, "the check started no grading process"
        time.sleep(1)
        process.send_signal(signal.SIGINT)  # what the kernel's ■ does
        process.wait(timeout=30)
        assert wait_until(lambda: not any(_alive(pid) for pid in children), timeout=15), [
            pid for pid in children if _alive(pid)]


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    parent = {int(a): int(b) for a, b in (line.split() for line in out.splitlines())}
    found, frontier = [], {pid}
    while frontier:
        frontier = {child for child, ppid in parent.items() if ppid in frontier}
        found += frontier
    return found


def _alive(pid: int) -> bool:
    from labkit.services._net import process_alive

    return process_alive(pid)
