"""The download is restored without comparing its SHA-256: a corrupted backup is restored as if it were good."""
FILE = "backups/store.py"
MUST_FAIL = ["test_a_corrupted_backup_is_refused_before_restoring", "test_a_corrupted_download_is_deleted"]
FIRST_REASON = r"handed to pg_restore.*did not compare its SHA-256.*\n.*compare sha256_file"
EDITS = [
    ("""    if actual != expected:
        path.unlink(missing_ok=True)
""", """    if False:  # the checksum is computed, and never compared
        path.unlink(missing_ok=True)
"""),
]
