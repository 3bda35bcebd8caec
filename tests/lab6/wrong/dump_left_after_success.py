"""The temporary folder is removed only when something fails: after every successful backup a full dump of the metadata DB (every secret in it) stays on the worker's disk."""
FILE = "lab6_backup_metadata.py"
MUST_FAIL = ["test_a_successful_backup_leaves_no_copy_on_disk"]
FIRST_REASON = r"stays on disk after a successful backup.*\n.*finally"
EDITS = [
    ("""        return {"key": key, "sha256": digest, "bytes": size}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
""", """        return {"key": key, "sha256": digest, "bytes": size}
    except BaseException:  # cleans up after a failure... and only then
        shutil.rmtree(folder, ignore_errors=True)
        raise
"""),
]
