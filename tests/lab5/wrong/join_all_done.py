"""The join runs on all_done: it runs whatever happened upstream, so when the mode check fails the join succeeds and the run looks fine."""
FILE = "lab5_branching.py"
MUST_FAIL = ["test_a_mistyped_mode_fails_the_run_and_skips_the_join"]
FIRST_REASON = r"done ran"
EDITS = [("trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS", "trigger_rule=TriggerRule.ALL_DONE")]
