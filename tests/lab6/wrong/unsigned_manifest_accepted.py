"""A signature is checked when there is one: a manifest rewritten without any signature is trusted."""
FILE = "backups/store.py"
MUST_FAIL = ["test_a_backup_rewritten_without_the_key_is_refused"]
FIRST_REASON = r"without a signature: pg_restore ran on it.*\n.*without hmac_sha256 is refused"
EDITS = [
    ("    if not isinstance(signature, str):\n", "    if signature is not None and not isinstance(signature, str):\n"),
    ("    if not hmac.compare_digest(signature.encode(), manifest_signature(manifest, secret).encode()):\n",
     "    if signature is not None and not hmac.compare_digest(signature.encode(), manifest_signature(manifest, secret).encode()):\n"),
]
