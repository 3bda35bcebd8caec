"""`make test`'s step table and its recap of what failed (CI keeps only the log's tail)."""
from __future__ import annotations

import subprocess
import sys

from labkit import suite


def test_a_step_keeps_its_exit_code_and_its_time():
    result = suite.timed_step("a step", lambda: 3)
    assert not result.ok and result.code == 3 and result.seconds >= 0 and result.cpu_seconds >= 0
    lines = suite.summary([result, suite.timed_step("another", lambda: 0)], 1.0)
    assert lines[2].startswith("  FAIL a step") and lines[3].startswith("  ok   another")


def test_the_recap_names_each_failed_test_with_its_reason(tmp_path):
    (tmp_path / "test_sample.py").write_text(
        "def test_passes():\n    assert True\n\n"
        "def test_fails():\n    assert 1 == 2, 'one is not two'\n\n"
        "def test_errors(missing_fixture):\n    pass\n"
    )
    report = tmp_path / "report.xml"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                          str(tmp_path / "test_sample.py")], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 1, run.stdout
    failed = suite.failed_tests(report)
    assert len(failed) == 2, failed
    assert any("test_fails" in line and "one is not two" in line for line in failed), failed
    assert any("test_errors" in line and "missing_fixture" in line for line in failed), failed
    assert not any("test_passes" in line for line in failed)


def test_a_missing_report_is_said_not_raised(tmp_path):
    [line] = suite.failed_tests(tmp_path / "absent.xml")
    assert "no test report" in line


def test_the_recap_is_empty_when_nothing_failed_and_bounded_when_much_did():
    assert suite.recap([]) == []
    lines = suite.recap([f"failure {n}" for n in range(100)], limit=5)
    assert lines[0].startswith("What failed") and len(lines) == 7 and lines[-1].endswith("95 more")
