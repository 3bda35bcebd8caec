"""The manifest's "signature" is a plain SHA-256 of the manifest: one more checksum, which whoever rewrites the manifest recomputes."""
FILE = "backups/store.py"
MUST_FAIL = ["test_the_manifest_is_signed_with_a_key_kept_apart", "test_a_backup_rewritten_without_the_key_is_refused"]
FIRST_REASON = r"plain SHA-256 of the manifest.*\n.*hmac\.new"
EDITS = [
    ("    return hmac.new(secret.encode(), canonical(manifest), hashlib.sha256).hexdigest()\n",
     "    return hashlib.sha256(canonical(manifest)).hexdigest()\n"),
]
