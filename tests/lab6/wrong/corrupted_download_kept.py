"""download_verified raises on a checksum mismatch but leaves the corrupted download where it was written, for the next restore to find."""
FILE = "backups/store.py"
MUST_FAIL = ["test_a_corrupted_download_is_deleted"]
FIRST_REASON = r"left the corrupted download.*\n.*delete the file before raising"
EDITS = [("    if actual != expected:\n        path.unlink(missing_ok=True)\n", "    if actual != expected:\n")]
