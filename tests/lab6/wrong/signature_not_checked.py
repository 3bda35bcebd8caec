"""read_manifest checks that a signature is there, never that it verifies: a manifest rewritten by anyone with the old signature left in place is trusted."""
FILE = "backups/store.py"
MUST_FAIL = ["test_a_backup_rewritten_without_the_key_is_refused"]
FIRST_REASON = r"pg_restore ran on it.*nothing unauthenticated.*\n.*verify the manifest"
EDITS = [
    ("    if not hmac.compare_digest(signature.encode(), manifest_signature(manifest, secret).encode()):\n",
     "    if not signature:  # it is there: trusted\n"),
]
