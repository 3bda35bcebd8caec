"""cleanup keeps the default trigger rule: after a failure it never runs, and the scratch files stay."""
FILE = "lab5_latest_only.py"
MUST_FAIL = ["test_cleanup_runs_after_a_failure_and_the_run_still_fails"]
FIRST_REASON = r"cleanup must run after a failure|ALL_DONE"
EDITS = [("    @task(trigger_rule=TriggerRule.ALL_DONE)\n    def cleanup", "    @task\n    def cleanup")]
