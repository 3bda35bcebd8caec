"""The export is written with the default mode (644 under the usual umask): anyone on the machine reads every password."""
FILE = "backups/secrets.py"
MUST_FAIL = ["test_an_export_holds_every_secret_and_only_its_owner_can_read_it", "test_the_export_is_never_readable_by_others"]
FIRST_REASON = r"mode 644: others can read.*\n.*0o600"
EDITS = [("    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)\n", "    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)\n")]
