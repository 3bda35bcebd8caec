"""No logical_date on the trigger: the report runs for "now", not for the day the pipeline loaded."""
FILE = "lab5_orders_pipeline.py"
MUST_FAIL = ["test_the_report_is_queued_for_the_same_day_with_its_conf"]
FIRST_REASON = r"the pipeline's day"
EDITS = [('        logical_date="{{ logical_date }}",\n', "")]
