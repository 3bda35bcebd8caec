"""cleanup (all_done) is the only leaf: when publish fails, cleanup succeeds and the run says "success"."""
FILE = "lab5_latest_only.py"
MUST_FAIL = ["test_cleanup_runs_after_a_failure_and_the_run_still_fails"]
FIRST_REASON = r"watcher .*ONE_FAILED"
EDITS = [("    [published, notified] >> watcher()\n", "")]
