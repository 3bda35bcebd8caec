"""The dry run is ignored: "just show me what would go" deletes it."""
FILE = "backups/logs.py"
MUST_FAIL = ["test_a_dry_run_deletes_nothing_and_reports_what_would_go"]
FIRST_REASON = r"files after a dry run.*\n.*guard every unlink with dry_run"
EDITS = [("            if not dry_run:\n                path.unlink()\n", "            path.unlink()\n")]
