"""dump() refuses a missing file but not an empty one: a pg_dump that exits 0 and writes nothing gives a 0-byte "backup"."""
FILE = "backups/pg.py"
MUST_FAIL = ["test_an_empty_dump_is_refused"]
FIRST_REASON = r"exits 0 and writes an empty file.*\n.*st_size == 0"
EDITS = [("    if not path.exists() or path.stat().st_size == 0:\n", "    if not path.exists():\n")]
