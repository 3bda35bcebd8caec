"""backup_to_s3 calls dump() without the snapshot it was given: pg_dump takes its own, later view, so the backup holds rows its manifest does not."""
FILE = "lab6_backup_metadata.py"
MUST_FAIL = ["test_backup_to_s3_dumps_in_the_snapshot_it_is_given"]
FIRST_REASON = r"called dump\(\) with snapshot=None.*\n.*snapshot=snapshot"
EDITS = [("        size = dump(db, path, snapshot=snapshot)\n", "        size = dump(db, path)\n")]
