"""download_verified verifies, and returns nothing: the restore reports no checksum for what it restored."""
FILE = "backups/store.py"
MUST_FAIL = ["test_an_intact_backup_downloads_with_its_checksum"]
FIRST_REASON = r"what download_verified returned"
EDITS = [("""                          f"{expected[:12]}…; refusing to restore it")
    return actual
""", """                          f"{expected[:12]}…; refusing to restore it")
""")]
