"""The signature is verified but not what it was signed for: an older backup and its genuine manifest, copied under the newest name, are restored as the newest."""
FILE = "backups/store.py"
MUST_FAIL = ["test_a_dump_that_is_not_the_one_its_signed_manifest_records_is_refused"]
FIRST_REASON = r"copied under the newest name.*pg_restore ran on it.*\n.*'backup' is not the key being restored"
EDITS = [
    ("""    if manifest.get("backup") != key:
        raise BackupError(f"the manifest found for {key} was signed for {manifest.get('backup')}: an older backup copied "
                          "under a newer name; refusing to restore")
""", ""),
]
