"""pg_dump runs outside the backup's snapshot: rows Airflow writes meanwhile are in the dump but not in its manifest."""
FILE = "backups/pg.py"
MUST_FAIL = ["test_a_busy_airflow_still_gets_a_consistent_backup"]
EDITS = [('    frozen = [f"--snapshot={snapshot}"] if snapshot else []\n', "    frozen = []\n")]
