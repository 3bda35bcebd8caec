"""The course's backup: pg_dump's exit code is never looked at, so a dump that died halfway is uploaded as if it were whole."""
FILE = "backups/pg.py"
MUST_FAIL = ["test_a_failing_pg_dump_fails_the_task_and_uploads_nothing"]
FIRST_REASON = r"uploading the truncated dump.*\n.*exit code"
EDITS = [
    ('    _run([pg_tool("pg_dump"), "--format=custom", f"--file={path}", *frozen, *db.tool_args(), db.name], db, "pg_dump", timeout)\n',
     '    subprocess.run([pg_tool("pg_dump"), "--format=custom", f"--file={path}", *frozen, *db.tool_args(), db.name],\n'
     '                   env=db.tool_env(), capture_output=True, timeout=timeout)\n'),
]
