"""No reset_dag_run: rerunning a day fails, because that day's report run already exists."""
FILE = "lab5_orders_pipeline.py"
MUST_FAIL = ["test_rerunning_a_day_replaces_its_report"]
FIRST_REASON = r"reset_dag_run"
EDITS = [("        reset_dag_run=True,\n", "")]
