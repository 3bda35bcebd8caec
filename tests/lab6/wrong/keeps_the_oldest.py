"""Retention slices the wrong end: it keeps the oldest backups and deletes the newest ones."""
FILE = "backups/store.py"
MUST_FAIL = ["test_retention_keeps_exactly_the_newest_n"]
EDITS = [("    doomed = backups(s3, bucket, prefix)[:-keep]\n", "    doomed = backups(s3, bucket, prefix)[keep:]\n")]
