"""What lab 6's tests share: S3 and PostgreSQL read back with the kit's own code, never the student's."""
from __future__ import annotations

import hashlib
import os
import stat
import sys
import time
from pathlib import Path

from psycopg2 import sql

BUCKET = "airflow-backups"
PREFIX = "airflow_backup"
# A pg_dump that fails halfway: a truncated file on disk, then exit code 1 (the server
# went away mid-dump). A backup that ignores the exit code uploads this.
FAILING_PG_DUMP = """\
import sys
args = sys.argv[1:]
target = None
for i, arg in enumerate(args):
    if arg.startswith("--file="):
        target = arg.split("=", 1)[1]
    elif arg in ("-f", "--file") and i + 1 < len(args):
        target = args[i + 1]
    elif arg.startswith("-f") and len(arg) > 2:
        target = arg[2:]
data = b"PGDMP\\x01\\x0f\\x00 truncated: the server closed the connection"
if target:
    open(target, "wb").write(data)
else:
    sys.stdout.buffer.write(data)
sys.stderr.write("pg_dump: error: Dumping the contents of table \\"log\\" failed: server closed the connection unexpectedly\\n")
sys.exit(1)
"""


# A pg_dump on a busy Airflow: the scheduler writes a row just as the dump starts. A dump
# taken in the backup's snapshot (--snapshot) does not contain it; any other does.
BUSY_PG_DUMP = """\
import os, sys
import psycopg2
args = sys.argv[1:]
opts = {args[i]: args[i + 1] for i in range(len(args) - 1) if args[i] in ("--host", "--port", "--username")}
conn = psycopg2.connect(host=opts["--host"], port=opts["--port"], user=opts["--username"],
                        password=os.environ.get("PGPASSWORD", ""), dbname=args[-1])
with conn, conn.cursor() as cur:
    cur.execute("INSERT INTO log (dttm, event, owner) VALUES (now(), 'written during the backup', 'scheduler')")
conn.close()
os.execv(REAL, [REAL, *args])
"""


def fake_tool(folder: Path, name: str, body: str) -> Path:
    """An executable Python script `folder/name` (a stand-in for pg_dump in PG_BIN_DIR)."""
    folder.mkdir(parents=True, exist_ok=True)
    tool = folder / name
    tool.write_text(f"#!{sys.executable}\n" + body)
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return tool


def busy_pg_dump(folder: Path) -> Path:
    """A bin folder whose pg_dump writes to the database first (pg_restore is the real one)."""
    from labkit.services import postgres

    real = postgres.bin_dir()
    fake_tool(folder, "pg_dump", f"REAL = {str(real / 'pg_dump')!r}\n" + BUSY_PG_DUMP)
    (folder / "pg_restore").symlink_to(real / "pg_restore")
    return folder


def failing_pg_dump(folder: Path) -> Path:
    """A bin folder holding the failing pg_dump above (for PG_BIN_DIR)."""
    fake_tool(folder, "pg_dump", FAILING_PG_DUMP)
    return folder


def objects(s3, bucket: str = BUCKET) -> dict[str, dict]:
    """key -> {"size", "sha256" (of the body), "metadata"} for every object in the bucket."""
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])
            data = body["Body"].read()
            out[item["Key"]] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "metadata": body["Metadata"]}
    return out


def put_backup(s3, key: str, data: bytes, sha256: str | None = None) -> None:
    metadata = {"sha256": sha256 if sha256 is not None else hashlib.sha256(data).hexdigest()}
    s3.put_object(Bucket=BUCKET, Key=key, Body=data, Metadata=metadata)


def fingerprints(conn) -> dict[str, tuple[int, str]]:
    """table -> (rows, md5 of its rows): the kit's own comparison of two databases."""
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                    "AND table_type = 'BASE TABLE' ORDER BY 1")
        tables = [t for (t,) in cur.fetchall()]
        out = {}
        for table in tables:
            cur.execute(sql.SQL("SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {} t")
                        .format(sql.Identifier(table)))
            out[table] = cur.fetchone()
        return out


def age(path: Path, days: float) -> None:
    """Set a file's (or folder's) mtime `days` ago."""
    when = time.time() - days * 86400
    os.utime(path, (when, when), follow_symlinks=False)


def leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
