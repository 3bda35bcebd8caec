"""The dump is removed only after a successful upload: when S3 fails, a copy of every secret in the DB stays on the worker's disk."""
FILE = "lab6_backup_metadata.py"
MUST_FAIL = ["test_a_failing_pg_dump_fails_the_task_and_uploads_nothing", "test_a_failing_upload_leaves_no_local_file_and_no_object"]
FIRST_REASON = r"left in the temporary folder after pg_dump failed.*\n.*finally"
EDITS = [
    ("""        upload(s3, path, bucket, key, digest)
        return {"key": key, "sha256": digest, "bytes": size}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
""", """        upload(s3, path, bucket, key, digest)
        shutil.rmtree(folder, ignore_errors=True)
        return {"key": key, "sha256": digest, "bytes": size}
    finally:
        pass
"""),
]
