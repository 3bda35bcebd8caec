"""Airflow 2's execution_date= on TriggerDagRunOperator: Airflow 3 removed it, and the file no longer imports."""
FILE = "lab5_orders_pipeline.py"
MUST_FAIL = ["test_the_report_is_queued_for_the_same_day_with_its_conf"]
FIRST_REASON = r"execution_date"
EDITS = [('        logical_date="{{ logical_date }}",\n', '        execution_date="{{ logical_date }}",\n')]
