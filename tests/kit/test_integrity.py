"""Grades an instructor can trust: a class graded as `labkit grade` grades it.

For every lab, one class of three, graded concurrently at the default worker count with
cold caches: two copies of the reference, which must score full marks (public and hidden),
and a cheat whose files run the instructor's reference found on the grading machine,
which must score nothing, told why by the sandbox. Without a jail the same cheat scores
full marks: the proof that the cheat is real and that the jail is what stops it.
"""
from __future__ import annotations

import glob
import os
import shutil

import pytest

from labkit.grading import batch, jail
from labkit.grading.loader import SANDBOX_NOTE
from labkit.grading.report import PASSED
from labkit.grading.sample_class import cheat_files
from labkit.grading.targets import known_labs, lab_filenames
from labkit.paths import DAGS, lab_dir

pytestmark = pytest.mark.timeout(1500)


def _reference_copy(lab: str, folder):
    inner = folder / "labs" / lab_dir(lab).name
    inner.mkdir(parents=True)
    for name in lab_filenames(lab):
        source = DAGS / name
        if source.is_dir():
            shutil.copytree(source, inner / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, inner / name)


def _cheat(lab: str, folder):
    inner = folder / "labs" / lab_dir(lab).name
    for name, source in cheat_files(lab).items():
        (inner / name).parent.mkdir(parents=True, exist_ok=True)
        (inner / name).write_text(source)


@pytest.fixture
def cold_state(tmp_path, monkeypatch):
    """A state folder of the test's own: no template DB, no cached metadata schema."""
    monkeypatch.setenv("LABKIT_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def _class(lab: str, folder, *, references: int = 2, cheat: bool = True):
    for n in range(references):
        _reference_copy(lab, folder / f"reference-{n + 1}")
    if cheat:
        _cheat(lab, folder / "mallory")
    return folder


@pytest.mark.skipif(jail.mode() == jail.NO_JAIL, reason="this machine has no jail (see labkit.grading.jail)")
@pytest.mark.parametrize("lab", known_labs())
def test_references_score_full_and_a_cheat_nothing_when_a_class_is_graded_concurrently(lab, tmp_path, cold_state):
    submissions = _class(lab, tmp_path / "submissions")
    result = batch.grade_class(lab, submissions, tmp_path / "out", show=False)
    graded = {g.submission.student: g for g in result.graded}
    for name in ("reference-1", "reference-2"):
        r = graded[name].result
        lost = [f"{t.name}: {t.reason}" for t in r.tests if t.outcome != PASSED]
        assert r.full_marks and not lost, f"{name} ({graded[name].status}) lost points:\n" + "\n".join(lost)
    cheat = graded["mallory"].result
    assert cheat.score == 0, [t.name for t in cheat.tests if t.outcome == PASSED]
    assert all(t.outcome != PASSED for t in cheat.tests)
    assert any(SANDBOX_NOTE in (t.details or "") for t in cheat.tests), cheat.tests[0].details
    log = (tmp_path / "out" / "results" / "mallory").rglob("*.log")
    assert not any("hidden tests found" in p.read_text() for p in log), "the cheat listed the hidden tests"
    assert result.jail == jail.mode()


def test_without_a_jail_the_same_cheat_takes_the_reference(tmp_path, cold_state, monkeypatch):
    """The control: where nothing isolates submissions, the cheat finds dags/ and scores
    full marks. The jail above, not a broken cheat, is what makes it score nothing."""
    monkeypatch.setattr(jail, "mode", lambda: jail.NO_JAIL)
    submissions = _class("lab1", tmp_path / "submissions", references=0)
    result = batch.grade_class("lab1", submissions, tmp_path / "out", show=False)
    cheat = result.graded[0].result
    assert cheat.full_marks, [f"{t.name}: {t.reason}" for t in cheat.tests if t.outcome != PASSED]
    assert "NONE" in (tmp_path / "out" / "summary.md").read_text()


@pytest.mark.skipif(not jail._probe(jail.USERNS_MODE), reason="no unprivileged user namespaces here")
def test_a_grader_without_root_jails_submissions_in_a_user_namespace(tmp_path, cold_state, monkeypatch):
    monkeypatch.setattr(jail, "mode", lambda: jail.USERNS_MODE)
    submissions = _class("lab1", tmp_path / "submissions", references=1)
    result = batch.grade_class("lab1", submissions, tmp_path / "out", show=False)
    graded = {g.submission.student: g.result for g in result.graded}
    assert graded["reference-1"].full_marks
    assert graded["mallory"].score == 0
    assert "user namespace" in (tmp_path / "out" / "summary.md").read_text()


SHM_PROBE = "/dev/shm/labkit-shm-probe"
SHM_WRITER = '''
    written = 0
    try:  # ten 10 MB files: each under the 64 MB file-size limit, 100 MB in all
        for n in range(10):
            with open(f"/dev/shm/labkit-shm-probe-{n}", "wb") as shm:  # RAM the whole machine shares
                for _ in range(10):
                    shm.write(bytes(2**20))
                    shm.flush()
                    written += 1
    except OSError:  # ENOSPC: the jail's /dev/shm is small
        pass
    if written >= 100:
        raise RuntimeError("wrote 100 MB to /dev/shm")
'''


@pytest.mark.skipif(jail.mode() == jail.NO_JAIL, reason="this machine has no jail (see labkit.grading.jail)")
def test_a_submission_gets_a_small_private_dev_shm_and_leaves_nothing_in_the_machines(tmp_path, cold_state):
    """Issue 17 #3: a submission wrote 1 GB to the machine's /dev/shm, and it stayed there."""
    for left in glob.glob(SHM_PROBE + "*"):
        os.unlink(left)
    _reference_copy("lab1", tmp_path / "submissions" / "mallory")
    lab_file = tmp_path / "submissions" / "mallory" / "labs" / lab_dir("lab1").name / "lab1_dedupe_upsert.py"
    source = lab_file.read_text()
    head = "def to_rows(payload: dict[str, Any]) -> list[Row]:\n"
    lab_file.write_text(source.replace(head, head + SHM_WRITER, 1))
    result = batch.grade_class("lab1", tmp_path / "submissions", tmp_path / "out", show=False, hidden=False)
    by_name = {t.nodeid.split("::")[-1]: t for t in result.graded[0].result.tests}
    to_rows = by_name["test_transform_makes_one_row_per_day"]
    assert to_rows.outcome == PASSED, f"the jail's /dev/shm took 100 MB: {to_rows.reason}"
    assert not glob.glob(SHM_PROBE + "*"), "the submission's files are in the machine's /dev/shm after grading"
