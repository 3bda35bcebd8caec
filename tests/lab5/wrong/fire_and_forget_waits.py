"""Both pipelines wait for the report (wait_for_completion=True): under dag.test() nobody runs the report, so the run never ends — the grader must stop it."""
FILE = "lab5_orders_pipeline.py"
MUST_FAIL = ["test_the_report_is_queued_for_the_same_day_with_its_conf", "test_only_the_waiting_pipeline_waits_and_never_forever"]
FIRST_REASON = r"wait_for_completion"
EDITS = [("        wait_for_completion=wait,\n", "        wait_for_completion=True,\n")]
