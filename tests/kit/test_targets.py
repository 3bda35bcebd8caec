"""labkit.grading.targets: which file a grading run loads for student, reference, file and folder targets."""
from __future__ import annotations

import pytest

from labkit.grading.targets import BadTarget, Target, known_labs, lab_filenames, package_files
from labkit.paths import DAGS, LABS

FILE = "lab1_dedupe_upsert.py"


def test_parse_names_the_two_built_in_targets():
    assert Target.parse("student") == Target("student")
    assert Target.parse(None) == Target("student")  # the default
    assert Target.parse("  reference ") == Target("reference")


def test_parse_resolves_a_relative_file_against_the_working_folder(tmp_path, monkeypatch):
    (tmp_path / "tries").mkdir()
    (tmp_path / "tries" / "mine.py").write_text("")
    monkeypatch.chdir(tmp_path)
    target = Target.parse("tries/mine.py")
    assert target == Target("file", tmp_path / "tries" / "mine.py")
    assert target.label == "file:mine.py"


def test_parse_takes_a_folder_as_a_submission(tmp_path):
    target = Target.parse(str(tmp_path))
    assert target == Target("submission", tmp_path)
    assert target.label == f"submission:{tmp_path.name}"


def test_parse_refuses_a_value_that_is_none_of_these(tmp_path):
    with pytest.raises(ValueError, match=r"--target must be 'student', 'reference', a \.py file or a folder; '.*nowhere' is none"):
        Target.parse(str(tmp_path / "nowhere"))


def test_one_file_cannot_stand_for_a_lab_of_several(tmp_path):
    """lab 3 is graded on two DAG files and a package: a single .py target is refused in one
    line naming them (it used to reach the Airflow home's set-up and end in a traceback)."""
    mine = tmp_path / "mine.py"
    mine.write_text("")
    assert Target.parse(str(mine)).lab_files("lab1") == [mine]
    with pytest.raises(BadTarget, match=r"lab3 is graded on 3 files \(lab3_sheet_to_warehouse\.py, lab3_sql_to_sheet\.py, common\).*"
                                        r"give the folder that holds them \(e\.g\. labs/lab3_"):
        Target.parse(str(mine)).lab_files("lab3")


def test_the_cli_says_why_a_target_is_refused_without_a_traceback(tmp_path, capsys):
    from labkit.cli import main

    mine = tmp_path / "mine.py"
    mine.write_text("")
    assert main(["test", "lab3", "--target", str(mine)]) == 2
    assert main(["test", "lab1", "--target", str(tmp_path / "nowhere")]) == 2
    said = capsys.readouterr().out
    assert "lab3 is graded on 3 files" in said and "is none of these" in said and "Traceback" not in said


def test_student_and_reference_files_live_in_labs_and_dags():
    assert Target("student").lab_file("lab1", FILE) == LABS / "lab1_dedupe_upsert" / FILE
    assert Target("reference").lab_file("lab1", FILE) == DAGS / FILE
    assert Target("student").lab_file("lab1", FILE).is_file()
    assert Target("reference").lab_file("lab1", FILE).is_file()


def test_a_file_target_stands_in_for_the_lab_file_whatever_its_name(tmp_path):
    mine = tmp_path / "my_attempt.py"
    mine.write_text("")
    assert Target.parse(str(mine)).lab_file("lab1", FILE) == mine


@pytest.mark.parametrize(
    "layout",
    ["labs/lab1_dedupe_upsert/lab1_dedupe_upsert.py", "lab1_dedupe_upsert/lab1_dedupe_upsert.py", "lab1_dedupe_upsert.py"],
)
def test_a_submission_folder_finds_the_file_in_each_layout(tmp_path, layout):
    expected = tmp_path / layout
    expected.parent.mkdir(parents=True, exist_ok=True)
    expected.write_text("")
    assert Target.parse(str(tmp_path)).lab_file("lab1", FILE) == expected


def test_a_submission_prefers_the_repository_layout(tmp_path):
    for layout in ("labs/lab1_dedupe_upsert/" + FILE, FILE):
        (tmp_path / layout).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / layout).write_text("")
    assert Target("submission", tmp_path).lab_file("lab1", FILE) == tmp_path / "labs" / "lab1_dedupe_upsert" / FILE


def test_an_empty_submission_points_at_the_expected_place(tmp_path):
    # The loader then reports that this file does not exist.
    assert Target("submission", tmp_path).lab_file("lab1", FILE) == tmp_path / "labs" / "lab1_dedupe_upsert" / FILE


def test_an_unknown_lab_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown lab 'lab99'"):
        Target("submission", tmp_path).lab_file("lab99", "lab99_x.py")


def test_lab_files_and_known_labs_come_from_the_repository():
    assert "lab1" in known_labs()
    assert FILE in lab_filenames("lab1")
    assert Target("reference").lab_files("lab1") == [DAGS / name for name in lab_filenames("lab1")]


def test_a_lab_package_is_part_of_the_lab_files():
    """Lab 3's student writes common/ too: it is graded from the target, like the DAG files."""
    assert lab_filenames("lab3")[-1] == "common"
    assert "common/alerts.py" in package_files("lab3")
    assert Target("reference").lab_file("lab3", "common/alerts.py") == DAGS / "common" / "alerts.py"
    student = Target("student").lab_file("lab3", "common/alerts.py")
    assert student.relative_to(LABS).parts[1:] == ("common", "alerts.py")


def test_a_submission_holds_the_lab_package_beside_its_dag_files(tmp_path):
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "alerts.py").write_text("")
    assert Target("submission", tmp_path).lab_file("lab3", "common") == tmp_path / "common"
    assert Target("submission", tmp_path).lab_file("lab3", "common/alerts.py") == tmp_path / "common" / "alerts.py"

