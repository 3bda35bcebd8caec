"""Batch grading: submissions unpacked safely, graded in isolation, gradebook and feedback written."""
from __future__ import annotations

import csv
import os
import xml.dom.minidom
import zipfile

import pytest

from labkit.grading.batch import grade_class
from labkit.grading.sample_class import generate, reference_files, samples
from labkit.grading.submissions import Submission, discover, unpack
from labkit.grading.targets import Target, known_labs, lab_filenames
from labkit.grading.verify import load_variants
from labkit.paths import ROOT


# -- unpacking --------------------------------------------------------------------------------
def test_folders_and_zips_are_found_one_per_student(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob.zip").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a submission")
    (tmp_path / ".hidden").mkdir()
    assert [s.student for s in discover(tmp_path)] == ["alice", "bob"]


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_zip_that_climbs_out_of_its_folder_is_refused(tmp_path):
    bad = _zip(tmp_path / "eve.zip", {"../../evil.py": "x = 1"})
    with pytest.raises(ValueError, match="unsafe path"):
        unpack(Submission("eve", bad), tmp_path / "out")
    assert not (tmp_path.parent / "evil.py").exists()


def test_a_zip_with_too_many_files_is_refused(tmp_path):
    bomb = _zip(tmp_path / "mallory.zip", {f"f{i}.txt": "" for i in range(2001)})
    with pytest.raises(ValueError, match="2001 files"):
        unpack(Submission("mallory", bomb), tmp_path / "out")


def test_links_in_a_submitted_folder_are_removed(tmp_path):
    folder = tmp_path / "trudy"
    folder.mkdir()
    (folder / "lab1_dedupe_upsert.py").write_text("x = 1")
    (folder / "secrets").symlink_to("/etc")
    copy = unpack(Submission("trudy", folder), tmp_path / "out")
    assert (copy / "lab1_dedupe_upsert.py").read_text() == "x = 1"
    assert not (copy / "secrets").exists()


# -- a small class, graded for real ------------------------------------------------------------
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    generate("lab1", root / "submissions", count=5)  # correct, partial, broken, correct, partial
    result = grade_class("lab1", root / "submissions", root / "out", workers=3, show=False)
    return result, root / "out"


def test_each_kind_of_submission_gets_the_score_it_deserves(graded):
    result, _ = graded
    scores = {g.submission.student: (g.result.score, g.result.max_score) for g in result.graded}
    assert scores["s01-correct"][0] == scores["s01-correct"][1] > 0
    assert scores["s04-correct"][0] == scores["s04-correct"][1]
    assert scores["s03-broken-syntax"][0] == 0
    partial = [v for k, v in scores.items() if "partial" in k]
    assert partial and all(0 < got < top for got, top in partial)


def test_the_gradebook_has_a_row_per_student_and_a_column_per_test(graded):
    result, out = graded
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert [r["student"] for r in rows] == sorted(g.submission.student for g in result.graded)
    tests = [c for c in rows[0] if c.startswith("test_")]
    assert "test_the_newest_forecast_wins" in tests and "test_a_missing_summary_loads_as_null" in tests  # hidden too
    for row in rows:
        assert float(row["points"]) == sum(float(row[t]) for t in tests)


def test_every_student_gets_feedback_with_the_messages_they_would_see(graded):
    _, out = graded
    text = (out / "feedback" / "s03-broken-syntax.md").read_text()
    assert "syntax error on line" in text and "SCORE lab1: 0/" in text
    assert "Traceback" not in text


def test_the_class_summary_ranks_tests_by_failure_and_draws_them(graded):
    _, out = graded
    summary = (out / "summary.md").read_text()
    assert "## Which tests most students fail" in summary and "| test | points | passed | pass rate |" in summary
    xml.dom.minidom.parse(str(out / "summary.svg"))  # well-formed
    assert "<svg" in (out / "summary.html").read_text()


def test_nothing_is_left_running_or_written_outside(graded):
    _, out = graded
    assert not (ROOT / "ESCAPED.txt").exists()
    leftovers = [p for p in os.popen("ps -eo args=").read().splitlines() if str(out) in p]
    assert leftovers == []


# -- a sample class for every lab (no grading: what is written) ------------------------------
@pytest.mark.parametrize("lab", known_labs())
def test_a_sample_class_can_be_made_for_every_lab(lab, tmp_path):
    """Each kind of submission, every lab file present, each variant's mistake in the file it belongs to."""
    written = generate(lab, tmp_path / "class", count=10)
    assert {s.kind for s in written} == {"correct", "partial", "broken", "hostile", "hanging", "cheat"}
    for sample in samples(lab):
        assert set(sample.files) == set(reference_files(lab)), sample.student
        if sample.kind != "broken":
            for name, source in sample.files.items():
                compile(source, name, "exec")  # a mistake, not a syntax error
    for variant in load_variants(lab):
        partial = next(s for s in samples(lab) if s.student == f"partial-{variant.name}")
        changed = [name for name, source in partial.files.items() if source != reference_files(lab)[name]]
        assert changed == [variant.file or lab_filenames(lab)[0]], variant.name
    found = discover(tmp_path / "class")
    assert len(found) == 10
    for submission in found:  # every layout unpacks to a folder the grader finds every lab file in
        files = unpack(submission, tmp_path / "unpacked" / submission.student)
        assert all(p.exists() for p in Target("submission", files).lab_files(lab)), submission.student
