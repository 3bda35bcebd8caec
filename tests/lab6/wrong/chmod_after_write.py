"""The export is written with open() (mode 644) and chmod-ed to 600 afterwards: for a moment every password in it is readable by anyone on the machine, and whoever opened it then keeps reading."""
FILE = "backups/secrets.py"
MUST_FAIL = ["test_the_export_is_never_readable_by_others"]
FIRST_REASON = r"held \d+ bytes while mode 644.*\n.*os\.open"
EDITS = [
    ("""    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
""", """    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, PRIVATE)  # private now... after the secrets were written
        os.replace(tmp, path)
"""),
]
