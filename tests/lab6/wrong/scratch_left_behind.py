"""A restore that fails leaves its scratch database behind: a half-restored copy of every secret, on the server for anyone who looks."""
FILE = "backups/restore.py"
MUST_FAIL = ["test_a_restore_that_fails_halfway_leaves_the_target_as_it_was",
             "test_a_restore_that_differs_from_its_manifest_does_not_replace_the_target"]
FIRST_REASON = r"failed restore left database\(s\) behind.*\n.*drop the scratch database"
EDITS = [
    ("""    except BaseException:
        drop_database(target, scratch.name)
        raise
""", """    except BaseException:
        raise  # the scratch database stays, "for debugging"
"""),
]
