"""The LatestOnlyOperator is created but not upstream of notify_customers: every backfill e-mails customers again."""
FILE = "lab5_latest_only.py"
MUST_FAIL = ["test_latest_only_skips_notifications_in_a_backfill"]
FIRST_REASON = r"notify_customers in the backfill"
EDITS = [("    latest >> notified\n", "")]
