"""The join keeps the default trigger rule (all_success): after the skipped branch it is skipped too."""
FILE = "lab5_branching.py"
MUST_FAIL = ["test_dev_mode_on_a_monday", "test_prod_mode_on_a_tuesday"]
FIRST_REASON = r"the join runs after the branches"
EDITS = [
    ('    done = EmptyOperator(task_id="done", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)\n',
     '    done = EmptyOperator(task_id="done")\n'),
]
