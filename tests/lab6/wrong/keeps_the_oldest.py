"""Retention slices the wrong end: it keeps the oldest backups and deletes the newest ones."""
FILE = "backups/store.py"
MUST_FAIL = ["test_retention_keeps_exactly_the_newest_n", "test_the_dag_runs_end_to_end_and_its_backup_passes_the_restore_drill"]
FIRST_REASON = r"retention with keep=2 left .*the newest two"
EDITS = [("    doomed = backups(s3, bucket, prefix)[:-keep]\n", "    doomed = backups(s3, bucket, prefix)[keep:]\n")]
