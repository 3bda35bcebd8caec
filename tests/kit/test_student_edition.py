"""The student edition stands on its own: its starters run and score 0, its lessons run."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from labkit.grading.release import student_kit
from tests.kit.helpers import clean_env


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    return student_kit(tmp_path_factory.mktemp("edition") / "kit")


def _labkit(kit, *args):
    # The kit's own copy of labkit (PYTHONPATH wins over the editable install).
    env = clean_env(PYTHONPATH=str(kit), LABKIT_STATE_DIR=str(kit / ".labkit"))
    return subprocess.run([sys.executable, "-m", "labkit", *args], cwd=kit, env=env, capture_output=True, text=True, timeout=840)


def test_it_says_which_edition_it_is_and_ships_no_instructor_material(kit):
    assert (kit / ".labkit-edition").read_text().strip() == "student"
    assert not (kit / "tests" / "hidden").exists()
    assert not list(kit.glob("tests/*/wrong"))
    assert not (kit / "tests" / "kit").exists()
    assert not list(kit.glob("docs/instructor.md")) and not list(kit.glob("docs/demo.md"))
    assert not list(kit.glob("notebooks/*.lesson.py")) and not (kit / "docker-compose.yaml").exists()
    assert (kit / "dags" / "lab1_dedupe_upsert.py").read_text() == (
        kit / "labs" / "lab1_dedupe_upsert" / "lab1_dedupe_upsert.py"
    ).read_text()


def test_its_readme_and_make_help_are_a_students(kit):
    readme = (kit / "README.md").read_text()
    for words in ("make lab", "make test", "check(\"lab1\")", "make submit lab1", "hidden", "make doctor"):
        assert words in readme, words
    for instructor in ("TARGET=reference", "make verify", "make grade", "make demo", "make release", "| reference |"):
        assert instructor not in readme, instructor
    from labkit.grading import runner
    from labkit.grading.points_table import graded_tests

    public = sum(t.points for t in graded_tests("lab1"))
    assert f"| {public:g} | {runner.hidden_points('lab1')[1]:g} |" in readme  # lab 1: public and hidden points
    help_text = subprocess.run(["make", "help"], cwd=kit, capture_output=True, text=True).stdout
    assert "make submit" in help_text and "make test lab1" in help_text
    assert "TARGET=reference" not in help_text and "make verify" not in help_text and "instructor" not in help_text


@pytest.mark.timeout(900)
def test_its_make_test_grades_every_lab_and_work_done_is_no_failure(kit):
    """A student who solved lab 1 and nothing else: lab 1 full marks, the others 0, exit 0."""
    from labkit.paths import DAGS

    starter = kit / "labs" / "lab1_dedupe_upsert" / "lab1_dedupe_upsert.py"
    untouched = starter.read_text()
    starter.write_text((DAGS / "lab1_dedupe_upsert.py").read_text())
    try:
        run = _labkit(kit, "test")
    finally:
        starter.write_text(untouched)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    from labkit.grading.points_table import graded_tests
    from labkit.grading.targets import known_labs

    scores = dict(re.findall(r"^  (lab\d)\s+(\S+/\S+)", run.stdout, flags=re.M))
    top = {lab: f"{sum(t.points for t in graded_tests(lab)):g}" for lab in known_labs()}
    assert scores == {lab: (f"{top[lab]}/{top[lab]}" if lab == "lab1" else f"0/{top[lab]}") for lab in top}, (
        run.stdout[-3000:])
    assert "could not be graded" not in run.stdout
    assert "FAIL" not in run.stdout.splitlines()[-1]


@pytest.mark.timeout(600)
def test_its_lessons_run_top_to_bottom(kit):
    """The edition's own notebooks, on the edition's own labkit (its starters, no reference)."""
    from labkit.cli import run_lessons

    saved = dict(os.environ)
    os.environ.clear()  # none of this session's services: the kernels start their own
    os.environ.update(clean_env(PYTHONPATH=str(kit), LABKIT_STATE_DIR=str(kit / ".labkit")))
    try:
        assert run_lessons(kit) == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_verify_explains_it_needs_the_instructors_edition(kit):
    run = _labkit(kit, "verify")
    assert run.returncode == 2 and "instructor's edition" in run.stdout


@pytest.mark.timeout(300)
def test_a_student_is_told_hidden_tests_exist_and_were_not_run(kit):
    run = _labkit(kit, "test", "lab1")
    assert run.returncode == 1  # the starter is not full marks
    from labkit.grading.points_table import graded_tests

    assert f"SCORE lab1: 0/{sum(t.points for t in graded_tests('lab1')):g}" in run.stdout
    assert "hidden tests worth 5 points (4 tests) are not run here" in run.stdout
