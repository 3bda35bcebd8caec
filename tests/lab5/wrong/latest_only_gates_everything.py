"""LatestOnly in front of the whole DAG: a backfill skips rebuilding the very tables it was run to rebuild."""
FILE = "lab5_latest_only.py"
MUST_FAIL = ["test_latest_only_skips_notifications_in_a_backfill"]
FIRST_REASON = r"build_tables in the backfill"
EDITS = [("    build_tables() >> published\n", "    latest >> build_tables() >> published\n")]
