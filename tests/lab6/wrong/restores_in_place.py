"""The dump is pg_restored straight into the target (emptied first): a restore that fails halfway leaves the target half restored."""
FILE = "backups/restore.py"
MUST_FAIL = ["test_a_restore_that_fails_halfway_leaves_the_target_as_it_was"]
FIRST_REASON = r"a restore that failed changed the target.*\n.*pg_restore ran straight into the target"
EDITS = [
    ("""    scratch = recreate_database(target, beside(target.name, "restoring"))
    try:
        restore(path, scratch)
        different = differences(tables, scratch)
        if different:
            raise BackupError("the restored database differs from its manifest, so it did not replace "
                              f"{target.name}:\\n" + "\\n".join(different))
        swap_in(scratch, target)
    except BaseException:
        drop_database(target, scratch.name)
        raise
""", """    fresh = recreate_database(target.with_name("postgres"), target.name)  # the target itself, emptied
    restore(path, fresh)
    different = differences(tables, fresh)
    if different:
        raise BackupError("the restored database differs from its manifest:\\n" + "\\n".join(different))
"""),
]
