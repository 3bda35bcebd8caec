"""The manifest's signature is verified, but the dump is checked only against its own unsigned x-amz-meta-sha256: a dump replaced together with that checksum reaches pg_restore."""
FILE = "backups/restore.py"
MUST_FAIL = ["test_a_dump_that_is_not_the_one_its_signed_manifest_records_is_refused"]
FIRST_REASON = r"pg_restore ran on it.*\n.*compare the download's SHA-256 with manifest\['sha256'\]"
EDITS = [
    ("""        actual = sha256_file(path)
        if actual != manifest["sha256"]:
            raise BackupError(f"s3://{bucket}/{key} is not the dump its signed manifest records (its SHA-256 is "
                              f"{actual[:12]}…, the manifest says {str(manifest['sha256'])[:12]}…): replaced, unsigned "
                              "checksum and all; refusing to restore it")
""", """        # download_verified compared it with the object's sha256: verified
"""),
]
