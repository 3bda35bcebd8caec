"""The grader end to end, as a student meets it: `labkit test lab1 --target FILE`.

Two real grading runs (each a child pytest over tests/lab1 with its own PostgreSQL):
- a lab file with a syntax error, through the command line;
- the reference with `upsert_dedupe` stuck in a loop inside C code, which neither
  pytest-timeout nor Python signal handlers can interrupt, through `runner.grade`.
The pytest plugin is checked through what these runs leave: points, reasons, JSON, JUnit XML.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from labkit.grading import protocol, runner
from labkit.grading.report import (
    FAILED,
    NOT_RUN,
    PASSED,
    TIMEOUT,
    LabResult,
    TestResult,
    render,
    result_path,
    results_dir,
)
from labkit.paths import ROOT
from tests.kit.helpers import REFERENCE, clean_env, postgres_processes

TO_ROWS = "def to_rows(payload: dict[str, Any]) -> list[Row]:"
LOOP_LIMIT = 45  # seconds: ample for the two quick tests that pass first (~5 s)
LOOP_SELECTION = " or ".join(
    [
        "test_fetch_returns_the_forecast",  # test_1_extract_transform.py: passes
        "test_transform_makes_one_row_per_day",  # test_1_extract_transform.py: passes
        "test_creates_the_table_when_missing",  # test_2_load.py: calls upsert_dedupe, loops
        "test_no_duplicate_dates_after_overlapping_runs",  # never reached
    ]
)


def marked_points(nodeid: str) -> float:
    """The @pytest.mark.points(n) of a graded test, read from its module."""
    path, name = nodeid.split("::")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    marks = [mark for mark in getattr(module, name).pytestmark if mark.name == "points"]
    return float(marks[0].args[0])


# -- a syntax error, through the command line ---------------------------------------------------
@pytest.fixture(scope="module")
def syntax_run(tmp_path_factory):
    source = REFERENCE.read_text()
    assert source.count(TO_ROWS) == 1
    line = source[: source.index(TO_ROWS)].count("\n") + 1
    # A unique name: the command line writes to .labkit/results/, named after the target file.
    lab_file = tmp_path_factory.mktemp("syntax") / f"lab1_kit_syntax_{os.getpid()}.py"
    lab_file.write_text(source.replace(TO_ROWS, TO_ROWS.rstrip(":")))
    run = subprocess.run(
        [sys.executable, "-m", "labkit", "test", "lab1", "--target", str(lab_file)],
        cwd=ROOT,
        env=clean_env(COLUMNS="100"),
        capture_output=True,
        text=True,
        timeout=240,
    )
    json_path = result_path("lab1", f"file:{lab_file.name}", results_dir())
    produced = [json_path, json_path.with_suffix("").with_suffix(".xml"), json_path.with_suffix("").with_suffix(".log")]
    data = json.loads(json_path.read_text()) if json_path.exists() else None
    xml = ET.parse(produced[1]) if produced[1].exists() else None
    for path in produced:
        path.unlink(missing_ok=True)
    return {"run": run, "line": line, "file": lab_file, "json": data, "xml": xml}


def test_a_syntax_error_fails_the_run_with_score_zero(syntax_run):
    run, data = syntax_run["run"], syntax_run["json"]
    assert run.returncode == 1, run.stderr[-2000:]
    assert data is not None, run.stdout
    result = LabResult.from_json(data)
    assert len(result.tests) > 10
    assert {t.outcome for t in result.tests} == {FAILED}
    assert result.score == 0 and result.max_score > 0
    assert f"SCORE lab1: 0/{result.max_score:g}" in run.stdout.rstrip().splitlines()[-3:]


def test_a_syntax_error_is_explained_once_without_a_traceback(syntax_run):
    # Each failed test's row repeats the one-line reason (wrapped at the terminal's width: where
    # depends on the file name's length); the explanation with the caret is said once below them.
    out = syntax_run["run"].stdout.split("\nWhat went wrong\n", 1)[1]
    assert out.count(f"syntax error on line {syntax_run['line']}: expected ':'.") == 1
    assert out.count("syntax error on line") == 1
    assert "Traceback (most recent call last)" not in out
    offending = f"        {TO_ROWS.rstrip(':')}\n"
    assert offending in out
    caret = out.split(offending, 1)[1].splitlines()[0]
    assert caret.strip() == "^" and caret.index("^") == len(offending) - 1  # just after the missing ':'


def test_every_test_gives_the_same_one_line_reason(syntax_run):
    tests = syntax_run["json"]["tests"]
    reasons = {t["reason"] for t in tests}
    assert reasons == {f"{syntax_run['file']} has a syntax error on line {syntax_run['line']}: expected ':'."}


def test_the_plugin_records_points_names_and_the_target(syntax_run):
    data = syntax_run["json"]
    assert data["lab"] == "lab1"
    assert data["target"] == f"file:{syntax_run['file'].name}"
    assert data["target_files"] == [str(syntax_run["file"])]
    for test in data["tests"]:
        assert test["points"] == marked_points(test["nodeid"])
    first = data["tests"][0]
    assert first["nodeid"] == "tests/lab1/test_1_extract_transform.py::test_fetch_returns_the_forecast"
    assert first["name"] == "fetch_forecast returns the API's JSON"
    assert data["max_score"] == sum(t["points"] for t in data["tests"])


def test_the_junit_xml_next_to_the_json_carries_points_and_failures(syntax_run):
    xml, data = syntax_run["xml"], syntax_run["json"]
    assert xml is not None
    cases = xml.getroot().iter("testcase")
    by_name = {case.get("name"): case for case in cases}
    assert sorted(by_name) == sorted(t["nodeid"].split("::")[1] for t in data["tests"])
    for test in data["tests"]:
        case = by_name[test["nodeid"].split("::")[1]]
        points = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert float(points["points"]) == test["points"]
        assert case.find("error") is not None or case.find("failure") is not None


# -- an infinite loop in C code, through runner.grade ------------------------------------------
@pytest.fixture(scope="module")
def loop_run(tmp_path_factory):
    source = REFERENCE.read_text()
    begin = source.index("    # BEGIN SOLUTION", source.index("def upsert_dedupe("))
    end = source.index("    # END SOLUTION", begin)
    looping = source[:begin] + "    import itertools\n\n    return sum(itertools.count())  # never ends, never back in Python\n" + source[end:]
    folder = tmp_path_factory.mktemp("loop")
    lab_file = folder / "submission" / "lab1_dedupe_upsert.py"
    lab_file.parent.mkdir()
    lab_file.write_text(looping)
    servers_before = set(postgres_processes(f"pg-{os.getpid()}-"))
    outcome = runner.grade(
        "lab1",
        str(lab_file),
        results=folder / "results",
        show=False,
        time_limit=LOOP_LIMIT,
        extra_args=["-k", LOOP_SELECTION],
    )
    return {
        "outcome": outcome,
        "file": lab_file,
        "results": folder / "results",
        "servers_left": set(postgres_processes(f"pg-{os.getpid()}-")) - servers_before,
        "graders_left": [line for line in _processes() if str(lab_file) in line],
    }


def _processes() -> list[str]:
    return subprocess.run(["ps", "-eo", "args="], capture_output=True, text=True, check=True).stdout.splitlines()


def _short(nodeid: str) -> str:
    return nodeid.split("::")[1]


def test_a_c_level_loop_is_stopped_by_the_wall_clock_limit(loop_run):
    outcome = loop_run["outcome"]
    assert outcome.timed_out
    assert outcome.returncode < 0  # the child pytest was killed
    assert outcome.result.note == f"stopped after {LOOP_LIMIT} s"
    assert loop_run["graders_left"] == []  # no pytest of that run is left running


def test_finished_tests_keep_their_points_the_rest_are_timeout_or_not_run(loop_run):
    result = loop_run["outcome"].result
    assert [(_short(t.nodeid), t.outcome) for t in result.tests] == [
        ("test_fetch_returns_the_forecast", PASSED),
        ("test_transform_makes_one_row_per_day", PASSED),
        ("test_creates_the_table_when_missing", TIMEOUT),
        ("test_no_duplicate_dates_after_overlapping_runs", NOT_RUN),
    ]
    assert result.score == sum(t.points for t in result.tests[:2]) > 0
    assert result.max_score == sum(marked_points(t.nodeid) for t in result.tests)
    in_flight = result.tests[2]
    assert in_flight.reason == f"still running when the {LOOP_LIMIT} s limit for the lab passed (an infinite loop?)"
    assert "sum(itertools.count())" in in_flight.details  # tells why the per-test timeout did not help


def test_a_stopped_run_is_saved_and_rendered_like_any_other(loop_run):
    outcome = loop_run["outcome"]
    saved = result_path("lab1", f"file:{loop_run['file'].name}", loop_run["results"])
    assert LabResult.from_json(json.loads(saved.read_text())) == outcome.result
    text = render(outcome.result, width=100)
    assert text.count("\n  TIME ") == 1 and text.count("\n  ----") == 1
    assert text.endswith(f"SCORE lab1: {outcome.result.score:g}/{outcome.result.max_score:g}")
    assert not list(loop_run["results"].glob("*.progress.jsonl"))  # the progress file is cleaned up


def test_the_runner_stops_its_own_postgres_after_a_killed_run(loop_run):
    assert loop_run["servers_left"] == set()
    assert not list(runner.postgres.run_root().glob(f"pg-{os.getpid()}-*"))


# -- pytest itself fails (INTERNALERROR) in the middle of a run ---------------------------------
BROKEN = "test_transform_makes_one_row_per_day"


def test_an_internal_error_in_pytest_costs_one_test_not_the_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_KIT_BREAK_REPORT_IN", BROKEN)
    selection = "test_fetch_returns_the_forecast or test_transform_makes_one_row_per_day or test_creates_the_table_when_missing"
    outcome = runner.grade(
        "lab1", "reference", results=tmp_path, show=False, time_limit=120,
        extra_args=["-p", "tests.kit.break_report_plugin", "-k", selection],
    )
    by_name = {_short(test.nodeid): test for test in outcome.result.tests}
    assert outcome.restarts == 1
    assert by_name[BROKEN].outcome == FAILED and "INTERNALERROR" in by_name[BROKEN].reason
    # The tests before and after it were scored as usual.
    assert by_name["test_fetch_returns_the_forecast"].outcome == PASSED
    assert by_name["test_creates_the_table_when_missing"].outcome == PASSED


# -- what a test may declare to the runner's watch for stuck tests ----------------------------
def test_a_test_declares_a_longer_limit_and_why_it_may_hang(tmp_path):
    progress = tmp_path / "progress.jsonl"
    entry = TestResult("tests/labX/test_a.py::test_waits", "waits", 1.0)
    quick = dataclasses.replace(entry, nodeid="tests/labX/test_a.py::test_quick")
    first = dataclasses.replace(entry, nodeid="tests/labX/test_a.py::test_first")
    with progress.open("w") as stream:
        for event in (
            protocol.Collected([first, entry, quick], {}, {entry.nodeid: 75.0}, {entry.nodeid: "Nobody runs the run it waits for."}),
            protocol.Started(first.nodeid),
            protocol.Scored(dataclasses.replace(first, outcome=PASSED)),
            protocol.Started(entry.nodeid),
        ):
            protocol.write(stream, event)
        stream.write('{"event": "scored", "result": {"nodeid": "cut sh')  # a line a kill cut short
    state = protocol.Progress.read(progress)
    assert state.patience(entry.nodeid, runner.STUCK_AFTER) == 75.0 + protocol.STUCK_MARGIN
    assert state.patience(quick.nodeid, runner.STUCK_AFTER) == runner.STUCK_AFTER
    # The setup of each child's first test also sets the session up (a live Airflow): more
    # patience, until the test's own code starts.
    assert state.patience(first.nodeid, runner.STUCK_AFTER) == runner.STUCK_AFTER + protocol.SESSION_SETUP
    state.calling.add(first.nodeid)
    assert state.patience(first.nodeid, runner.STUCK_AFTER) == runner.STUCK_AFTER
    # Or until the session's own fixtures are set up: a module fixture that runs the
    # submission's DAG and hangs (lab 5's waiting trigger) is stopped after the usual 45 s.
    with progress.open("a") as stream:
        stream.write("\n")
        protocol.write(stream, protocol.SessionReady(first.nodeid))
    ready = protocol.Progress.read(progress)
    assert ready.session_ready == {first.nodeid}
    assert ready.patience(first.nodeid, runner.STUCK_AFTER) == runner.STUCK_AFTER
    assert state.in_flight() == entry.nodeid and state.unfinished() == [entry.nodeid, quick.nodeid]
    with progress.open("a") as stream:
        stream.write("\n")
    state.mark_crashed(progress, entry.nodeid, *runner._crash(state, entry.nodeid, -9, True, 75.0 + protocol.STUCK_MARGIN))
    saved = protocol.Progress.read(progress).results[entry.nodeid]
    assert saved.outcome == TIMEOUT and saved.points == 1.0
    assert saved.reason == "stopped after 90 s: the code never returned. Nobody runs the run it waits for."


# -- a submission that leaks file descriptors fails, not the grader (issue 17 #3) --------------
def test_a_submission_that_leaks_sockets_fails_the_test_not_the_grader(tmp_path):
    """Leaking 400 sockets per call used to end in pytest's INTERNALERROR ("Too many open
    files") on a machine with `ulimit -n 1024`, and in full marks on one with 20000."""
    leaking = REFERENCE.read_text().replace(
        TO_ROWS, "_KEPT = []\n\n\n" + TO_ROWS + "\n    import socket\n    _KEPT.extend(socket.socket() for _ in range(400))", 1)
    lab_file = tmp_path / "submission" / "lab1_dedupe_upsert.py"
    lab_file.parent.mkdir()
    lab_file.write_text(leaking)
    selection = ("test_transform_makes_one_row_per_day or test_transform_reads_dt_in_utc or "
                 "test_transform_refuses_an_empty_forecast or test_creates_the_table_when_missing")
    outcome = runner.grade("lab1", str(lab_file), results=tmp_path / "results", show=False, time_limit=120,
                           extra_args=["-k", selection])
    by_name = {_short(test.nodeid): test for test in outcome.result.tests}
    assert not [t for t in outcome.result.tests if "INTERNALERROR" in t.reason]
    third = by_name["test_transform_refuses_an_empty_forecast"]
    assert third.outcome == FAILED and "files or sockets open" in third.reason, third.reason
    # The first two calls fit under the limit; the test after the leak ran in a fresh process.
    assert by_name["test_transform_makes_one_row_per_day"].outcome == PASSED
    assert by_name["test_creates_the_table_when_missing"].outcome == PASSED
    assert outcome.restarts == 1


UNTIL_TESTS = '''
import pytest
def test_first(): pass
def test_b(): pass
@pytest.mark.parametrize("n", [1, 2])
def test_named(n): pass
def test_c(): pass
def test_also_named(): pass
def test_named_too_long(): pass
'''


@pytest.mark.parametrize(("deselected", "expected"), [
    ([], ["test_first", "test_b", "test_named[1]", "test_named[2]", "test_also_named"]),
    # A run restarted after a crash deselects what it scored: the rest of the selection stays.
    (["test_first", "test_named[1]", "test_named[2]"], ["test_b", "test_also_named"]),
])
def test_labkit_until_keeps_the_tests_up_to_the_first_named_then_only_named(tmp_path, deselected, expected):
    """verify grades a known-wrong variant up to its mistake: what its checks read."""
    (tmp_path / "test_until.py").write_text(UNTIL_TESTS)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path), "--rootdir", str(tmp_path), "-p", "no:cacheprovider",
         "--collect-only", "-q", "--labkit-until=test_named,test_also_named",
         *(f"--deselect=test_until.py::{name}" for name in deselected)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    collected = [line.split("::")[1] for line in done.stdout.splitlines() if "::" in line]
    assert collected == expected, done.stdout
