"""pg_dump runs outside the backup's snapshot: rows Airflow writes meanwhile are in the dump but not in its manifest."""
FILE = "backups/pg.py"
MUST_FAIL = ["test_a_dump_taken_in_a_snapshot_leaves_out_later_writes"]
FIRST_REASON = r"differs from the snapshot.*\n.*--snapshot=<id>"
EDITS = [('    frozen = [f"--snapshot={snapshot}"] if snapshot else []\n', "    frozen = []\n")]
