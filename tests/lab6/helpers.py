"""What lab 6's tests share: S3 and PostgreSQL read back with the kit's own code, never the student's."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

from psycopg2 import sql

BUCKET = "airflow-backups"
PREFIX = "airflow_backup"
MANIFESTS = "airflow_backup_manifests"
SIGNATURE = "hmac_sha256"
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


# A pg_dump that notes its arguments (one JSON list per call) and then runs the real one:
# where the dump was written, and whether it was given --snapshot.
RECORDING_PG_DUMP = """\
import json, os, sys
with open(LOG, "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
os.execv(REAL, [REAL, *sys.argv[1:]])
"""


def recording_pg_dump(folder: Path) -> tuple[Path, Path]:
    """(a bin folder for PG_BIN_DIR whose pg_dump records its arguments, the file it records them in)."""
    from labkit.services import postgres

    real = postgres.bin_dir()
    log = folder / "pg_dump.calls"
    fake_tool(folder, "pg_dump", f"REAL = {str(real / 'pg_dump')!r}\nLOG = {str(log)!r}\n" + RECORDING_PG_DUMP)
    (folder / "pg_restore").symlink_to(real / "pg_restore")
    return folder, log


def pg_dump_calls(log: Path) -> list[list[str]]:
    """The argument lists the recording pg_dump was called with."""
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def dump_target(args: list[str]) -> str | None:
    """The file a pg_dump command line writes (--file=…, -f …), if any."""
    for i, arg in enumerate(args):
        if arg.startswith("--file="):
            return arg.split("=", 1)[1]
        if arg in ("-f", "--file") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("-f") and len(arg) > 2:
            return arg[2:]
    return None


def snapshot_of(args: list[str]) -> str | None:
    """The snapshot a pg_dump command line dumps in (--snapshot=…), if any."""
    for i, arg in enumerate(args):
        if arg.startswith("--snapshot="):
            return arg.split("=", 1)[1]
        if arg == "--snapshot" and i + 1 < len(args):
            return args[i + 1]
    return None


# A pg_restore that notes its arguments (one JSON list per call) and then runs the real one:
# whether a restore handed it a dump at all, and into which database.
RECORDING_PG_RESTORE = RECORDING_PG_DUMP


def recording_pg_restore(folder: Path) -> tuple[Path, Path]:
    """(a bin folder for PG_BIN_DIR whose pg_restore records its arguments, the file it records them in)."""
    from labkit.services import postgres

    real = postgres.bin_dir()
    log = folder / "pg_restore.calls"
    fake_tool(folder, "pg_restore", f"REAL = {str(real / 'pg_restore')!r}\nLOG = {str(log)!r}\n" + RECORDING_PG_RESTORE)
    (folder / "pg_dump").symlink_to(real / "pg_dump")
    return folder, log


pg_restore_calls = pg_dump_calls  # the same record: one JSON argument list per call


def restored_into(args: list[str]) -> str | None:
    """The database a pg_restore command line restores into (--dbname=…, -d …), if any."""
    for i, arg in enumerate(args):
        if arg.startswith("--dbname="):
            return arg.split("=", 1)[1]
        if arg in ("-d", "--dbname") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("-d") and len(arg) > 2:
            return arg[2:]
    return None


# -- signed manifests, made and checked with the kit's own code ----------------------------------
def manifest_key(key: str) -> str:
    return f"{MANIFESTS}/{key.rsplit('/', 1)[-1]}.json"


def canonical(manifest: dict) -> bytes:
    """What the README says a signature covers: the manifest without its signature, as JSON with
    sorted keys and no spaces."""
    return json.dumps({k: v for k, v in manifest.items() if k != SIGNATURE}, sort_keys=True, separators=(",", ":")).encode()


def kit_signature(manifest: dict, secret: str) -> str:
    """HMAC-SHA256 of canonical(manifest) under `secret`, in hex."""
    return hmac.digest(secret.encode(), canonical(manifest), "sha256").hex()  # the kit's own signer


def put_manifest(s3, key: str, sha256: str, tables: dict, secret: str | None, *, signature: str | None = None,
                 backup: str | None = None) -> dict:
    """Write the manifest of backup `key`: signed with `secret` (unsigned when None), or carrying
    `signature` as given; `backup` is the key it says it belongs to (`key` by default)."""
    manifest = {"backup": backup or key, "sha256": sha256, "tables": {t: list(v) for t, v in tables.items()}}
    if signature is not None:
        manifest[SIGNATURE] = signature
    elif secret is not None:
        manifest[SIGNATURE] = kit_signature(manifest, secret)
    s3.put_object(Bucket=BUCKET, Key=manifest_key(key), Body=json.dumps(manifest, indent=1).encode(),
                  ContentType="application/json")
    return manifest


def read_json(s3, key: str) -> dict | None:
    try:
        return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


# -- databases on the test server --------------------------------------------------------------
# The names the kit's fixtures give (a test's own warehouse, metadata DB, drill copy): whatever
# other name appears during a test was made by the code under test.
FIXTURE_NAME = re.compile(r"(t_[0-9a-f]{12}|meta_[0-9a-f]{10})_\d+")


def database_names(server) -> set[str]:
    conn = server.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database WHERE NOT datistemplate")
            return {name for (name,) in cur.fetchall()}
    finally:
        conn.close()


def left_behind(server, before: set[str], target: str) -> list[str]:
    """Databases a restore onto `target` left: any named after the target, and any new one that
    belongs to no other test (other grading runs may share the server)."""
    now = database_names(server)
    ours = {name for name in now if target in name and name != target}
    foreign = {name for name in now - before if not FIXTURE_NAME.search(name) and name != "postgres"}
    return sorted(ours | foreign)


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


def download(s3, key: str, path: Path, bucket: str = BUCKET) -> Path:
    """An object's bytes to `path`, with boto3 itself (never the student's download_verified)."""
    s3.download_file(bucket, key, str(path))
    return path


def kit_restore(server, database: str, path: Path) -> str | None:
    """pg_restore `path` into the empty `database` with the kit's own tools; None when it worked,
    else pg_restore's last error line."""
    from labkit.services import postgres

    done = subprocess.run(
        [str(postgres.bin_dir() / "pg_restore"), "--exit-on-error", "--no-owner", "--no-privileges",
         "--host", server.host, "--port", str(server.port), "--username", server.user, "--no-password",
         f"--dbname={database}", str(path)],
        env={**os.environ, "PGPASSWORD": server.password}, capture_output=True, text=True, timeout=120,
    )
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit code {done.returncode}"


def not_written(error: BaseException | None) -> None:
    """A call that raised NotImplementedError (a TODO left) fails the test as "not written yet",
    whatever the test would have concluded from an error."""
    if isinstance(error, NotImplementedError):
        raise error


def first_line(text: str) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


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


# -- what happens to a file while it is written (write_private) ------------------------------
class FileEvent:
    """An fsync, a rename onto a name, or a chmod, with the file's inode, size and mode just before it."""

    def __init__(self, kind: str, info: os.stat_result, target: str = "") -> None:
        self.kind, self.ino, self.size, self.mode, self.target = kind, info.st_ino, info.st_size, stat.S_IMODE(info.st_mode), target

    def __repr__(self) -> str:
        return f"{self.kind}(ino={self.ino}, {self.size} bytes, mode {self.mode:o}{', → ' + self.target if self.target else ''})"


_WATCHES: list[WriteWatch] = []
_HOOKED = False


def _audit(event: str, args: tuple) -> None:
    if event != "os.chmod" or not _WATCHES:
        return
    try:
        target = args[0]
        info = os.fstat(target) if isinstance(target, int) else os.stat(target)
    except Exception:  # an audit hook must never break the code it watches
        return
    for watch in _WATCHES:
        watch.events.append(FileEvent("chmod", info, str(target)))


class WriteWatch:
    """Records, while armed, every os.fsync / os.fdatasync, os.replace / os.rename and chmod
    (os.chmod, os.fchmod, Path.chmod: an audit hook), in order: what reached the disk, when a
    file took its final name, and whether it held data while others could read it."""

    def __init__(self) -> None:
        self.events: list[FileEvent] = []

    def arm(self, monkeypatch) -> WriteWatch:
        global _HOOKED
        if not _HOOKED:  # audit hooks cannot be removed: one per process, inert when nothing watches
            sys.addaudithook(_audit)
            _HOOKED = True
        for name in ("fsync", "fdatasync"):
            real = getattr(os, name)

            def synced(fd, _real=real, _name=name):
                try:
                    self.events.append(FileEvent("fsync", os.fstat(fd)))
                except OSError:
                    pass
                return _real(fd)

            monkeypatch.setattr(os, name, synced)
        for name in ("replace", "rename"):
            real = getattr(os, name)

            def renamed(src, dst, *args, _real=real, **kwargs):
                try:
                    self.events.append(FileEvent("rename", os.lstat(src), os.fspath(dst)))
                except (OSError, TypeError):
                    pass
                return _real(src, dst, *args, **kwargs)

            monkeypatch.setattr(os, name, renamed)
        _WATCHES.append(self)
        return self

    def disarm(self) -> None:
        if self in _WATCHES:
            _WATCHES.remove(self)

    def of(self, ino: int) -> list[tuple[int, FileEvent]]:
        """(position, event) for the events on the file with inode `ino`."""
        return [(i, e) for i, e in enumerate(self.events) if e.ino == ino]
