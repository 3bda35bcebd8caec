"""labkit.grading.report: scores, the JSON on disk, and the table a student reads."""
from __future__ import annotations

import json

from labkit.grading.report import (
    FAILED,
    HIDDEN,
    NOT_RUN,
    PASSED,
    TIMEOUT,
    LabResult,
    render,
    result_path,
)
from labkit.grading.report import (
    TestResult as GradedTest,  # renamed: pytest would try to collect a Test* class
)

SYNTAX = "lab1.py has a syntax error on line 94: expected ':'.\n    def to_rows(payload)\n                        ^"


def a_result() -> LabResult:
    return LabResult(
        "lab1",
        "student",
        ["labs/lab1_dedupe_upsert/lab1_dedupe_upsert.py"],
        [
            GradedTest("t::a", "the DAG parses", 2, PASSED),
            GradedTest("t::b", "fetch returns the JSON", 1, FAILED, SYNTAX.splitlines()[0], SYNTAX),
            GradedTest("t::c", "to_rows reads dt in UTC", 1.5, FAILED, SYNTAX.splitlines()[0], SYNTAX),
            GradedTest("t::d", "newest forecast wins", 2, FAILED, "values differ", "weather_forecast differs\n  changed (1)"),
            GradedTest("t::e", "a looping test", 1, TIMEOUT, "still running at the limit", "still running at the limit"),
            GradedTest("t::f", "a later test", 1, NOT_RUN, "not run: the lab's time limit had passed"),
            GradedTest("t::g", "an instructor's test", 5, HIDDEN),
        ],
        duration=3.5,
    )


def test_score_counts_passed_points_and_leaves_hidden_tests_out():
    result = a_result()
    assert result.score == 2
    assert result.max_score == 8.5
    assert not result.full_marks


def test_full_marks_needs_every_visible_test_and_at_least_one():
    passing = LabResult("lab1", "reference", tests=[GradedTest("t::a", "a", 2, PASSED), GradedTest("t::h", "h", 3, HIDDEN)])
    assert passing.full_marks
    assert not LabResult("lab1", "reference").full_marks  # nothing graded is not full marks


def test_json_round_trip_keeps_everything(tmp_path):
    result = a_result()
    path = result.save(tmp_path / "results" / "lab1.json")
    data = json.loads(path.read_text())
    assert (data["score"], data["max_score"]) == (2, 8.5)
    assert LabResult.from_json(data) == result
    assert not list(path.parent.glob("*.tmp"))  # written through a temporary file, then renamed


def test_result_paths_name_the_target():
    assert result_path("lab1", "student", folder=None).name == "lab1.json"
    assert result_path("lab1", "reference", folder=None).name == "lab1-reference.json"
    assert result_path("lab1", "file:my_try.py", folder=None).name == "lab1-file-my_try.py.json"


def test_render_prints_one_line_per_test_and_the_score():
    text = render(a_result(), width=200)
    lines = text.splitlines()
    assert lines[0] == "lab1 · target: student (labs/lab1_dedupe_upsert/lab1_dedupe_upsert.py)"
    rows = [line.split() for line in lines if line.startswith("  ") and not line.lstrip().startswith("→")]
    statuses = [row[:2] for row in rows if row and row[0] in ("PASS", "FAIL", "TIME", "----", "hidden")]
    assert statuses[0] == ["PASS", "2/2"] and rows[0][2:] == ["the", "DAG", "parses"]
    assert ["FAIL", "0/1"] in statuses and ["TIME", "0/1"] in statuses and ["----", "0/1"] in statuses
    assert ["hidden", "?"] in statuses
    assert lines[-1] == "SCORE lab1: 2/8.5"


def test_a_failing_test_has_its_reason_on_the_next_line():
    lines = render(a_result(), width=200).splitlines()
    failing = next(i for i, line in enumerate(lines) if line.lstrip().startswith("FAIL"))
    assert lines[failing + 1].lstrip().startswith("→ ") and lines[failing + 1].endswith("expected ':'.")


def test_render_says_a_shared_reason_once_under_all_its_tests():
    text = render(a_result(), width=200)
    details = text.split("What went wrong\n", 1)[1]
    assert details.count("has a syntax error on line 94") == 1
    assert details.count("^") == 1
    # Both tests that failed for that reason are listed above it, with their points.
    syntax_group = details.split("    lab1.py has a syntax error", 1)[0]
    assert "- fetch returns the JSON (1 pt)\n- to_rows reads dt in UTC (1.5 pts)\n" in syntax_group
    assert "- newest forecast wins (2 pts)\n    weather_forecast differs\n      changed (1)" in details
    assert "- a looping test (1 pt)\n    still running at the limit" in details
    assert "a later test" not in details  # not run is not "went wrong"


def test_render_without_details_is_just_the_table():
    text = render(a_result(), details=False, width=200)
    assert "What went wrong" not in text
    assert text.endswith("\nSCORE lab1: 2/8.5")


def test_long_reasons_are_wrapped_to_the_width_not_cut():
    reason = " ".join(["word"] * 60)
    result = LabResult("lab1", "student", tests=[GradedTest("t::a", "a test", 1, FAILED, reason)])
    lines = render(result, details=False, width=80).splitlines()
    reason_lines = [line for line in lines[2:] if line.startswith("               ")]
    assert all(len(line) <= 80 for line in reason_lines) and len(reason_lines) > 1
    assert " ".join(" ".join(reason_lines).replace("→", "").split()) == reason

