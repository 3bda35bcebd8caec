"""The export is written straight onto its final name (O_TRUNC): a write that fails halfway destroys the previous export, and an old file keeps its old mode (644)."""
FILE = "backups/secrets.py"
MUST_FAIL = ["test_a_failed_export_leaves_the_previous_one_and_no_temporary_file",
             "test_an_export_over_an_older_world_readable_file_is_private"]
FIRST_REASON = r"previous export was overwritten.*\n.*temporary file"
EDITS = [
    ("""    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
""", """    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
"""),
]
