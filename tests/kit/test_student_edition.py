"""The student edition stands on its own: its starters run and score 0, its lessons run."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from labkit.grading.release import student_kit


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    return student_kit(tmp_path_factory.mktemp("edition") / "kit")


def _labkit(kit, *args):
    # The kit's own copy of labkit (PYTHONPATH wins over the editable install).
    env = {**os.environ, "PYTHONPATH": str(kit), "LABKIT_STATE_DIR": str(kit / ".labkit")}
    return subprocess.run([sys.executable, "-m", "labkit", *args], cwd=kit, env=env, capture_output=True, text=True, timeout=600)


def test_it_says_which_edition_it_is_and_ships_no_instructor_material(kit):
    assert (kit / ".labkit-edition").read_text().strip() == "student"
    assert not (kit / "tests" / "hidden").exists()
    assert not list(kit.glob("tests/*/wrong"))
    assert not (kit / "tests" / "kit").exists()
    assert (kit / "dags" / "lab1_dedupe_upsert.py").read_text() == (
        kit / "labs" / "lab1_dedupe_upsert" / "lab1_dedupe_upsert.py"
    ).read_text()


@pytest.mark.timeout(600)
def test_its_whole_suite_passes_starters_at_zero_and_lessons_running(kit):
    run = _labkit(kit, "test")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "ok   lab1: 0/25, 19 tests ran" in run.stdout
    assert "ok   lab2: 0/22, 16 tests ran" in run.stdout
    assert run.stdout.rstrip().splitlines()[-1].endswith(" passed, 0 failed")


def test_verify_explains_it_needs_the_instructors_edition(kit):
    run = _labkit(kit, "verify")
    assert run.returncode == 2 and "instructor's edition" in run.stdout


@pytest.mark.timeout(300)
def test_a_student_is_told_hidden_tests_exist_and_were_not_run(kit):
    run = _labkit(kit, "test", "lab1")
    assert run.returncode == 1  # the starter is not full marks
    assert "SCORE lab1: 0/25" in run.stdout
    assert "hidden tests worth 5 points (4 tests) are not run here" in run.stdout
