"""The scratch copy is swapped in as soon as pg_restore exits 0, never compared with its manifest: a dump that does not hold what was recorded replaces the target."""
FILE = "backups/restore.py"
MUST_FAIL = ["test_a_restore_that_differs_from_its_manifest_does_not_replace_the_target"]
FIRST_REASON = r"differ from its manifest replaced the target anyway.*\n.*differences\(tables, scratch\)"
EDITS = [
    ("""        different = differences(tables, scratch)
        if different:
            raise BackupError("the restored database differs from its manifest, so it did not replace "
                              f"{target.name}:\\n" + "\\n".join(different))
        swap_in(scratch, target)
""", """        swap_in(scratch, target)  # pg_restore exited 0: good enough
"""),
]
