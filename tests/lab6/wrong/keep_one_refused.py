"""Retention refuses keep=1 as well as keep=0 ("never fewer than one" read as "more than one"): a valid setting, the DAG's own minimum, fails every run."""
FILE = "backups/store.py"
MUST_FAIL = ["test_retention_never_deletes_the_newest_backup"]
FIRST_REASON = r"keep=1 raised ValueError.*\n.*only keep < 1 is refused"
EDITS = [("    if keep < 1:\n", "    if keep <= 1:\n")]
