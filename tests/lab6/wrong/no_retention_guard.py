"""Retention without a guard: keep=0 (a typo in a param) deletes every backup, the newest too."""
FILE = "backups/store.py"
MUST_FAIL = ["test_retention_never_deletes_the_newest_backup"]
FIRST_REASON = r"keep=0 should raise ValueError.*\n.*refuse keep < 1"
EDITS = [
    ("""    if keep < 1:
        raise ValueError(f"keep={keep}: retention must keep at least the newest backup")
    doomed = backups(s3, bucket, prefix)[:-keep]
""", """    keys = backups(s3, bucket, prefix)
    doomed = keys[: len(keys) - keep]
"""),
]
