"""The offset is never passed on (no execution_delta): a DAG at 01:00 looks for an upstream run at 01:00 that never exists."""
FILE = "lab5_reactive.py"
MUST_FAIL = ["test_offset_schedules_match_with_execution_delta"]
FIRST_REASON = r"execution_delta"
EDITS = [("        execution_delta=offset,\n", "")]
