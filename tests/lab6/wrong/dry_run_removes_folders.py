"""The dry run guards unlink but not rmdir: "just show me what would go" still removes the empty folders."""
FILE = "backups/logs.py"
MUST_FAIL = ["test_a_dry_run_deletes_nothing_and_reports_what_would_go"]
FIRST_REASON = r"folders after a dry run.*\n.*guard rmdir too"
EDITS = [("        if here != base and not dry_run and not here.is_symlink() and not any(here.iterdir()):\n",
          "        if here != base and not here.is_symlink() and not any(here.iterdir()):\n")]
