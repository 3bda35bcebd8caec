"""Lab 6 · log cleanup: old files go, new ones stay, a dry run touches nothing, links are never followed."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from labkit.grading.checks import check, check_equal, fail, finishes_within
from labkit.grading.fixtures import run_dag
from tests.lab6.helpers import age, first_line, not_written

THRESHOLD = timedelta(days=30)


@pytest.fixture
def log_tree(tmp_path):
    """A log folder like Airflow's: task logs by dag/run/task, and the DAG processor's."""
    base = tmp_path / "logs"
    old = {  # path -> size: older than 30 days
        "dag_id=lab1/run_id=scheduled__2026-01-01/task_id=load/attempt=1.log": 1200,
        "dag_id=lab1/run_id=scheduled__2026-01-01/task_id=extract/attempt=1.log": 800,
        "dag_id=lab1/run_id=scheduled__2026-01-02/task_id=load/attempt=1.log": 1500,
        "dag_processor/2026-01-01/lab1_dedupe_upsert.py.log": 3000,
    }
    new = {
        "dag_id=lab1/run_id=scheduled__2026-03-20/task_id=load/attempt=1.log": 900,
        "dag_processor/2026-01-01/lab2_nps_summary.py.log": 700,  # today's file in an old folder
        "dag_processor/latest.log": 50,
    }
    for rel, size in {**old, **new}.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    for rel in old:
        age(base / rel, 45)
    for folder in sorted({p for p in base.rglob("*") if p.is_dir()}, reverse=True):
        age(folder, 45)  # every folder looks old: only the files' own ages tell
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "precious.log").write_bytes(b"y" * 400)
    age(outside / "precious.log", 90)
    (outside / "data").mkdir()
    (outside / "data" / "old.csv").write_bytes(b"z" * 400)
    age(outside / "data" / "old.csv", 90)
    links = [base / "link_to_file.log", base / "dag_id=lab1" / "link_to_folder"]
    links[0].symlink_to(outside / "precious.log")
    links[1].symlink_to(outside / "data", target_is_directory=True)
    for link in links:
        age(link, 45)  # the links themselves look old too (lstat): they still stay
    return {"base": base, "old": old, "new": new, "outside": outside, "links": links}


def _files(base):
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file() and not p.is_symlink())


def _folders(base):
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_dir() and not p.is_symlink())


def _relative(paths, base):
    """Report paths relative to the log folder (absolute ones, or already relative)."""
    root = Path(base).resolve()
    out = []
    for p in paths or []:
        p = Path(p)
        out.append(str(p.relative_to(root) if p.is_absolute() and p.is_relative_to(root) else p))
    return sorted(out)


def _clean(logs, tree, **kwargs):
    outcome = finishes_within(20, lambda: logs.cleanup_logs(tree["base"], THRESHOLD, **kwargs), "cleanup_logs()")
    not_written(outcome.error)
    check(outcome.error is None, f"cleanup_logs raised {type(outcome.error).__name__}: {outcome.error}")
    return outcome.result


@pytest.mark.points(3)
def test_only_files_older_than_the_threshold_are_deleted(logs, log_tree):
    """Files older than 30 days go (judged one by one, not by their folder), newer ones stay, emptied folders go"""
    _clean(logs, log_tree)
    base = log_tree["base"]
    check_equal(_files(base), sorted(log_tree["new"]), "the files left in the log folder",
                "judge each file by its own mtime: a folder's mtime says nothing about the files in it")
    check(not (base / "dag_id=lab1" / "run_id=scheduled__2026-01-01").exists(),
          "the run folder emptied by the cleanup is still there", "remove folders left empty (bottom-up, never the base)")
    check(base.is_dir(), "the log folder itself was removed")


@pytest.mark.points(1)
def test_the_report_says_what_was_freed(logs, log_tree):
    """The report lists the deleted files, the bytes they held, the emptied folders removed, and counts the files kept"""
    base = log_tree["base"]
    for link in log_tree["links"]:  # only files here: links have a test of their own
        link.unlink()
    sizes = {rel: (base / rel).stat().st_size for rel in _files(base)}
    folders = _folders(base)
    report = _clean(logs, log_tree)
    # Judged against what did go (which files should go is the test above's finding).
    gone = sorted(set(sizes) - set(_files(base)))
    check_equal(_relative(report.files, base), gone, "report.files (the files deleted)")
    check_equal(report.bytes_freed, sum(sizes[rel] for rel in gone), "report.bytes_freed (the sizes of the files deleted)",
                "add each deleted file's st_size (from the lstat that judged it)")
    removed = sorted(set(folders) - set(_folders(base)))
    check_equal(_relative(report.folders, base), removed, "report.folders (the emptied folders removed)",
                "append each folder you rmdir to report.folders")
    check_equal(report.kept, len(sizes) - len(gone), "report.kept (the files left in place)",
                "count every file you leave: newer files, links, anything not a regular file")


@pytest.mark.points(1)
def test_a_dry_run_deletes_nothing_and_reports_what_would_go(logs, log_tree):
    """dry_run=True: every file and folder stays (an empty one too), and the report lists the old files and their bytes"""
    base = log_tree["base"]
    for link in log_tree["links"]:  # only files and folders here: links have a test of their own
        link.unlink()
    (base / "dag_id=lab1" / "run_id=manual__empty").mkdir()
    before, folders = _files(base), _folders(base)
    report = _clean(logs, log_tree, dry_run=True)
    check_equal(_files(base), before, "the files after a dry run", "a dry run deletes nothing: guard every unlink with dry_run")
    check_equal(_folders(base), folders, "the folders after a dry run", "a dry run removes no folder either: guard rmdir too")
    check_equal(_relative(report.files, base), sorted(log_tree["old"]), "report.files of the dry run (what would go)")
    check_equal(report.bytes_freed, sum(log_tree["old"].values()), "report.bytes_freed of the dry run (what would be freed)")


@pytest.mark.points(2)
def test_symbolic_links_are_never_followed(logs, log_tree):
    """Links inside the log folder to files and folders outside it: nothing outside is touched, and the links stay"""
    _clean(logs, log_tree)
    outside = log_tree["outside"]
    check((outside / "precious.log").exists(), "a file OUTSIDE the log folder was deleted through a symbolic link")
    check((outside / "data" / "old.csv").exists(), "a folder OUTSIDE the log folder was emptied through a symbolic link",
          "os.walk(..., followlinks=False) and os.lstat: never act on what a link points to")
    gone = [str(link.relative_to(log_tree["base"])) for link in log_tree["links"] if not link.is_symlink()]
    check(not gone, f"the (old) symbolic link(s) {', '.join(gone)} were deleted: a link is skipped, never acted on",
          "lstat each entry and delete regular files only (stat.S_ISREG): a link is neither followed nor removed")


@pytest.mark.points(1)
def test_the_cleanup_dag_cleans_the_configured_log_folder(cleanup_dag, log_tree, monkeypatch):
    """lab6_cleanup_logs reads [logging] base_log_folder and deletes the old files there (older_than_days=30)"""
    base = log_tree["base"]
    monkeypatch.setenv("AIRFLOW__LOGGING__BASE_LOG_FOLDER", str(base))
    monkeypatch.setenv("AIRFLOW__LOGGING__DAG_PROCESSOR_CHILD_PROCESS_LOG_DIRECTORY", str(base / "dag_processor"))
    ran = run_dag(cleanup_dag, run_conf={"older_than_days": 30, "dry_run": False})
    error = ran.errors.get("cleanup", "")
    if error.startswith("NotImplementedError"):
        fail(f"not written yet: the cleanup task raised {first_line(error)}")
    check(ran.succeeded, f"the cleanup run failed: {first_line(error) or ran.state}\n{ran.summary()}")
    check_equal(_files(base), sorted(log_tree["new"]), "the files left after the DAG's run")
