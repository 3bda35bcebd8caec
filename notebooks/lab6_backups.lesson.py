# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 6 — backups and operations (메타데이터 백업, 로그 정리)
#
# Airflow remembers everything in one database: every run and task instance, every
# Variable and Connection (passwords encrypted with the Fernet key), every pause, clear and
# trigger someone did in the UI. Lose that database and Airflow wakes up with amnesia. Its
# logs, meanwhile, grow with every task until the disk is full. This lesson backs up a real
# metadata DB to S3, restores it and **proves** the copy is identical, shows what a backup
# is worth without the Fernet key, cleans a log folder safely, and makes the restore one you
# can trust: only a backup signed with a key kept apart, and all or nothing.
#
# **This lab's files:** [the task (README)](../labs/lab6_backups/README.md) ·
# your starters [lab6_backup_metadata.py](../labs/lab6_backups/lab6_backup_metadata.py),
# [backups/pg.py](../labs/lab6_backups/backups/pg.py),
# [backups/store.py](../labs/lab6_backups/backups/store.py),
# [backups/restore.py](../labs/lab6_backups/backups/restore.py),
# [backups/secrets.py](../labs/lab6_backups/backups/secrets.py) and
# [backups/logs.py](../labs/lab6_backups/backups/logs.py) (the other files are given) ·
# check your work with the `check(...)` cells below, or `make test lab6` in a terminal.
#
# The first cell starts an embedded PostgreSQL 16 holding a real Airflow 3.3 metadata DB
# (migrated by Airflow, seeded with encrypted Variables and Connections), a fake S3 (moto)
# with the bucket `airflow-backups`, and an Airflow home that uses that DB — so every
# `dag.test()` below writes its runs into the database we back up. About 5 s.

# %%
from labkit import stack
from labkit.check import check

services = stack.ensure("lab6")
print(services.describe())

# %% [markdown]
# Helpers: `show(rows, headers)` draws a table; `HINT` is what cells print when a part of the
# lab is still yours to write; `run(...)` runs one of the lab's DAGs with `dag.test()` and
# times it. The notebook never prints a password, a key or a DSN with a password in it:
# `masked(...)` shows only the length of a secret.
#
# `SIGNING_KEY` is the key the backup manifests are signed with (section 7): the Variable
# `backup_manifest_secret`, which a deployment keeps in its environment or a secrets backend.
# This lesson makes one up for itself when the environment has none.

# %%
import contextlib
import hashlib
import io
import json
import os
import secrets
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pendulum
from airflow.models.connection import Connection

from labkit.edition import lesson_module
from labkit.grading.fixtures import dags_in_file, run_dag
from labkit.grading.loader import LabLoadError
from labkit.notebooks import show

HINT = "(write it in labs/lab6_backups/; `make test lab6` tells you how far you are)"
TODO = (NotImplementedError, LabLoadError)
DAGS_FOLDER = services.airflow_home.dags_folder
sys.path.insert(0, str(DAGS_FOLDER))  # the DAG files import `backups.…` from here, as Airflow does

pg, _ = lesson_module("lab6", "backups/pg.py")
store, _ = lesson_module("lab6", "backups/store.py")
restore_mod, _ = lesson_module("lab6", "backups/restore.py")
secrets_mod, _ = lesson_module("lab6", "backups/secrets.py")
logs_mod, _ = lesson_module("lab6", "backups/logs.py")

meta = services.metadata_db
SOURCE = pg.Database.from_connection(Connection(uri=os.environ["AIRFLOW_CONN_AIRFLOW_DB"]))  # what the DAG dumps
BUCKET = os.environ["AIRFLOW_VAR_BACKUP_BUCKET"]
s3 = boto3.client("s3", endpoint_url=os.environ["LABKIT_S3_ENDPOINT"], region_name="us-east-1",
                  aws_access_key_id="labkit", aws_secret_access_key="labkit")
SCRATCH = f"lab6_drill_{os.getpid()}"  # the restore drill's database: never the source
SIGNING_KEY = os.environ.setdefault("AIRFLOW_VAR_BACKUP_MANIFEST_SECRET", secrets.token_hex(32))


def masked(secret):
    # Not even a first letter: a lesson's output gets copied into chats and tickets.
    return "NULL" if secret is None else f"{'•' * 8} ({len(secret)} characters)"


def dag_from(filename, dag_id):
    dags, errors = dags_in_file(DAGS_FOLDER / filename)
    if dag_id not in dags:
        print(f"Airflow cannot import {filename} yet — {str(errors)[-200:]}\n{HINT}")
        return None
    return dags[dag_id]


def run(dag, day=None, **conf):
    """dag.test() through the grader's run_dag, timed. Its log (a full traceback per failure)
    is kept out of the way: only what the tasks print is shown; `result.summary()` says why
    a task failed."""
    log, started = io.StringIO(), time.monotonic()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        result = run_dag(dag, logical_date=day, run_conf=conf or None)
    result.seconds = time.monotonic() - started
    for line in log.getvalue().splitlines():
        if line.startswith(("backed up ", "kept the newest ", "restored ")):
            print("  task:", line)
    return result


print("metadata DB:", services.metadata_db.server.safe_dsn(meta.name), "| Fernet key:", masked(meta.fernet_key),
      "| manifest signing key:", masked(SIGNING_KEY))

# %% [markdown]
# ## 1. Why back up the metadata DB, and when not to do it yourself (메타데이터 백업하기)
#
# What is in it, in this very database (Airflow created the tables; the kit added what a
# working Airflow would hold):

# %%
with SOURCE.connect() as conn, conn.cursor() as cur:
    rows = []
    for table, what in [("dag_run", "run history"), ("task_instance", "every task's state and tries"),
                        ("variable", "Variables (values encrypted)"), ("connection", "Connections (passwords encrypted)"),
                        ("log", "the audit log: who clicked what"), ("alembic_version", "the schema version")]:
        cur.execute(f"SELECT count(*) FROM {table}")
        rows.append((table, cur.fetchone()[0], what))
    cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
    tables = cur.fetchone()[0]
conn.close()
show(rows, ["table", "rows", "what it holds"])
print(f"{tables} tables in all")

# %% [markdown]
# No runs yet: this Airflow has just been set up. Section 2's runs are the first — each one
# adds a `dag_run` row, its task instances and audit-log rows, so each backup grows a little.
#
# **Who should back it up.** The course's rule (이 데이터베이스가 외부에 있다면 … 거기에 바로
# 주기적인 백업 셋업) is right: if the metadata DB is a **managed** database (AWS RDS, Cloud
# SQL, Azure Database), switch on its automated snapshots and point-in-time recovery (PITR):
# they restore to any second of the last days, copy across regions, and need no DAG. A
# `pg_dump` DAG is for a PostgreSQL you run yourself, on the Airflow host or next to it — and
# even then it is a **logical** backup taken once a day: it loses up to a day of run history.
#
# **What the course's backup DAG got wrong** (`Backup_Airflow_Data_to_S3.py`):
#
# | the course | what happened | here |
# |---|---|---|
# | `from datetime import datetime` then a variable `datetime` | crashed on **every** run (the name was shadowed) | one import, no reused names |
# | `pg_dump` through a shell, exit code ignored | a dump that failed halfway uploaded a truncated file, and the task was green | `pg.dump` checks the exit code and refuses an empty file |
# | `sudo -u postgres pg_dump` (peer auth) | worked only on the DB's own host | host, port, user from the `airflow_db` Connection; the password in the child's environment only |
# | keep every backup | the bucket grows forever | `apply_retention(keep=N)`, never below 1 |
# | no checksum | a corrupted object is restored without a word | SHA-256 in the object's metadata, checked before restoring |
# | no encryption | the dump holds every (Fernet-encrypted) secret, and the run history | a private bucket with server-side encryption (SSE-KMS); the Fernet key kept elsewhere |
# | `rm` after a successful upload only | a failed upload left the dump on the worker's disk | `finally:` removes the temporary folder, whatever happened |

# %% [markdown]
# ## 2. The backup, live: four days, keep the newest three
#
# `lab6_backup_metadata`: `backup` (snapshot → `pg_dump` → SHA-256 → upload, plus a signed
# manifest of every table's fingerprint) → `retention` (keep the newest `keep`). We start from an
# empty prefix and run it for 1–4 March 2026 with `keep=3`. Each run adds its own rows to
# the metadata DB, so each dump is a little larger than the last.

# %%
for old in store.backups(s3, BUCKET) + [o["Key"] for o in s3.list_objects_v2(
        Bucket=BUCKET, Prefix=f"{store.MANIFESTS}/").get("Contents", [])]:
    s3.delete_object(Bucket=BUCKET, Key=old)  # a rerun of this notebook starts from an empty bucket too

backup_dag = dag_from("lab6_backup_metadata.py", "lab6_backup_metadata")
backed_up = False
if backup_dag:
    rows = []
    for day in range(1, 5):
        result = run(backup_dag, pendulum.datetime(2026, 3, day, tz="UTC"), keep=3)
        rows.append((f"2026-03-0{day}", result.state, result.task_states.get("backup"),
                     result.task_states.get("retention"), f"{result.seconds:.1f} s"))
        if not result.succeeded:
            print(result.summary()[:600])
            break
    show(rows, ["logical date", "run", "backup", "retention", "time"])
    backed_up = all(row[1] == "success" for row in rows)
    if not backed_up:
        print(HINT)

# %% [markdown]
# (The first run pays Airflow's start-up, ~4 s; the others take about a second.) What is in
# the bucket now — each backup with its size and the SHA-256 stored as object metadata:

# %%
def listing():
    rows = []
    for key in store.backups(s3, BUCKET):
        head = s3.head_object(Bucket=BUCKET, Key=key)
        rows.append((key, f"{head['ContentLength']:,}", head["Metadata"].get("sha256", "—")[:16] + "…"))
    return rows


if backed_up:
    show(listing(), ["key", "bytes", "x-amz-meta-sha256"])
    manifests = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{store.MANIFESTS}/")["Contents"]]
    print("manifests:", manifests)

# %% [markdown]
# Four runs, **three** backups: retention deleted 1 March (and its manifest). The keys sort by
# the logical date in their name, so "the newest three" needs no clock and no `LastModified`
# (which a copy or a re-upload changes). And `keep=0` is refused — retention must never
# delete the newest backup, whatever a typo in a `conf` says:

# %%
if backed_up:
    try:
        store.apply_retention(s3, BUCKET, keep=0)
    except ValueError as error:
        print("apply_retention(keep=0) → ValueError:", error)
    except TODO as todo:
        print(f"Not written yet — {todo}\n{HINT}")
    newest_key = store.newest(s3, BUCKET)
    try:
        manifest = store.read_manifest(s3, BUCKET, newest_key, SIGNING_KEY)
        show([(t, rows, checksum[:12] + "…") for t, (rows, checksum) in manifest["tables"].items()
              if t in ("dag_run", "task_instance", "variable", "connection", "log")],
             ["table", "rows", "md5 of its rows"])
        print(f"the manifest of {newest_key}: {len(manifest['tables'])} tables (five shown), the dump's SHA-256 "
              f"{manifest['sha256'][:16]}…, and its signature (section 7)")
    except TODO as todo:
        print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# ## 3. Restore it, and prove it (복원 훈련)
#
# A backup nobody has restored is a hope. `lab6_restore_drill` downloads the newest backup,
# checks its SHA-256, restores it into a scratch database, compares every table with the
# manifest, and only then puts the result in place of the drill's database (never the
# source; section 7 says why the scratch database, and the signature checked first). The
# same steps, by hand first, timed:

# %%
restored = None
if backed_up:
    copy = SOURCE.with_name(SCRATCH)
    try:
        restored = restore_mod.restore_newest(s3, BUCKET, copy, SIGNING_KEY)
        different = restore_mod.differences(store.read_manifest(s3, BUCKET, restored["key"], SIGNING_KEY)["tables"], copy)
        show([("backup", restored["key"]), ("size", f"{restored['bytes']:,} bytes"),
              ("sha256", restored["sha256"][:16] + "…"),
              ("verify + download + restore + compare + swap", f"{restored['seconds']} s"),
              ("tables that differ from the manifest", len(different))], ["", "restore of the newest backup"])
    except TODO as todo:
        print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# Zero differences: every table has the same row count and the same checksum of its rows as
# when the dump was taken. (Comparing with the **live** DB instead would always differ — the
# restore drill's own run is being written there right now.) Now the drill as a DAG:

# %%
drill_dag = dag_from("lab6_restore_drill.py", "lab6_restore_drill") if backed_up else None
if drill_dag:
    result = run(drill_dag, scratch_db=SCRATCH)
    print(f"{result.summary()[:600]}  in {result.seconds:.1f} s")

# %% [markdown]
# **A corrupted backup must be refused.** Replace the newest object's bytes (flip a few in
# the middle) but keep its recorded SHA-256 — what a broken disk or a bad copy looks like.
# (Someone *tampering* with it would recompute the checksum too: section 7.)

# %%
corrupted = False
if restored:
    key = store.newest(s3, BUCKET)
    head = s3.head_object(Bucket=BUCKET, Key=key)
    body = bytearray(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    middle = len(body) // 2
    body[middle:middle + 8] = bytes(b ^ 0xFF for b in body[middle:middle + 8])
    s3.put_object(Bucket=BUCKET, Key=key, Body=bytes(body), Metadata=head["Metadata"])
    corrupted = True
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "newest.dump"
        try:
            store.download_verified(s3, BUCKET, key, target)
            print("download_verified accepted a corrupted backup!")
        except pg.BackupError as error:
            print("download_verified →", error)
            print("the download was removed:", not target.exists())
        except TODO as todo:
            print(f"Not written yet — {todo}\n{HINT}")
    result = run(drill_dag, scratch_db=SCRATCH)
    print(f"\nthe drill: {result.summary()[:500]}")

# %% [markdown]
# The drill **fails** — loudly, before restoring anything. A drill that runs weekly turns
# "our backups have been broken since March" into an alert on the first Monday. Back to a
# good state: the next day's backup is newest again, and the drill passes. (The corrupt
# 4 March object stays until retention rotates it out; in production, delete it and find
# out why it broke.)

# %%
if corrupted:
    result = run(backup_dag, pendulum.datetime(2026, 3, 5, tz="UTC"), keep=3)
    print(f"backup of 2026-03-05: {result.state} in {result.seconds:.1f} s")
    show(listing(), ["key", "bytes", "x-amz-meta-sha256"])
    result = run(drill_dag, scratch_db=SCRATCH)
    print(f"the drill: {result.summary()[:400]} in {result.seconds:.1f} s")

# %% [markdown]
# ### ✏️ Your turn: part 2 — retention and restore
#
# The lab has five graded parts, numbered as in the README's points table; this lesson
# meets part 2 first. Write `apply_retention` and `download_verified` in
# [backups/store.py](../labs/lab6_backups/backups/store.py) (the table in the
# [README](../labs/lab6_backups/README.md) says what each must do): keep the newest `keep`
# backups by the date in their key and refuse `keep < 1`; compare the download's SHA-256
# with the one in the object's metadata, and on a mismatch delete the file and raise
# `BackupError` naming the key. These tests bring their own backups, so they do not need
# part 1. Save the file (Ctrl+S), then run the cell below: it grades that part with the
# same tests as `make test lab6` and shows a score table, one line per test with the reason
# it failed. Run it again after every fix.
#
# It grades the files saved on disk, in a separate process, on databases of its own: a bug
# in your files cannot break this notebook, and ■ (interrupt the kernel) stops a check that
# takes too long.

# %%
check("lab6", "retention_restore")

# %% [markdown]
# ## 4. Why the snapshot: Airflow writes while pg_dump runs
#
# The scheduler, the API server and every task write to the metadata DB all the time. On
# its own `pg_dump` is consistent (one transaction), but the **manifest** is read by another
# connection a moment earlier or later: between the two, a heartbeat or a task state
# changes, and the drill would compare a dump with fingerprints of a different moment.
#
# So `pg.snapshot(db)` opens a `REPEATABLE READ` transaction and calls
# `pg_export_snapshot()`: PostgreSQL returns an id (like `00000003-0000001B-1`) naming that
# transaction's view of the data. The manifest is read in that transaction, and
# `pg_dump --snapshot=<id>` makes pg_dump's own transaction see **exactly** the same view.
# The snapshot lives as long as the exporting transaction is open — hence the `with` block
# around the dump. Watch it: write an audit-log row *after* the snapshot, before the dump.

# %%
if backed_up:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "snapshot.dump"
        try:
            with pg.snapshot(SOURCE) as (snapshot_id, tables):
                writer = SOURCE.connect()
                with writer, writer.cursor() as cur:  # "Airflow" writes meanwhile
                    cur.execute("INSERT INTO log (dttm, event, owner) VALUES (now(), 'written_during_backup', 'lab6')")
                writer.close()
                live = pg.fingerprints(SOURCE)["log"][0]
                size = pg.dump(SOURCE, path, snapshot=snapshot_id)
            copy = restore_mod.recreate_database(SOURCE, SCRATCH)
            pg.restore(path, copy)
            show([("snapshot id", snapshot_id), ("log rows in the manifest (the snapshot)", tables["log"][0]),
                  ("log rows in the live DB when pg_dump ran", live),
                  ("log rows in the restored dump", pg.fingerprints(copy)["log"][0]),
                  ("differences, dump vs manifest", len(restore_mod.differences(tables, copy))),
                  ("dump size", f"{size:,} bytes")], ["", "value"])
        except TODO as todo:
            print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# The row written during the backup is in the live DB, not in the dump nor in its manifest:
# both describe the moment of the snapshot, so they agree exactly. It goes into tomorrow's backup.

# %% [markdown]
# ### ✏️ Your turn: part 1 — the backup
#
# Write `dump` in [backups/pg.py](../labs/lab6_backups/backups/pg.py) and `backup_to_s3` in
# [lab6_backup_metadata.py](../labs/lab6_backups/lab6_backup_metadata.py): `pg_dump` with its exit code checked
# (and `--snapshot` when given), an empty file refused, the dump made in a
# `tempfile.mkdtemp()` folder that `finally:` always removes. The tests restore your backup
# and compare it table by table, make `pg_dump` and the upload fail, and write while the
# backup runs — sections 1 to 4. Save (Ctrl+S), then run the cell below.

# %%
check("lab6", "backup")

# %% [markdown]
# ## 5. The Fernet key: a backup without it has no passwords (airflow.cfg 백업, fernet_key)
#
# Airflow encrypts Connection passwords, extras and Variable values with `[core] fernet_key`
# before they reach the database. The restored copy holds them encrypted, exactly as the
# source did. Decrypt the `warehouse` password from the **restored** copy with the right key,
# and with a fresh one — what you have after losing `airflow.cfg`:

# %%
from cryptography.fernet import Fernet, InvalidToken

if restored:
    copy = pg.Database.from_connection(Connection(uri=os.environ["AIRFLOW_CONN_AIRFLOW_DB"])).with_name(SCRATCH)
    with copy.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT password, is_encrypted FROM connection WHERE conn_id = 'warehouse'")
        stored, encrypted = cur.fetchone()
    conn.close()
    print("stored in the restored copy:", masked(stored), "| encrypted:", encrypted)
    print("with the original key:      ", masked(secrets_mod.decrypt(stored, encrypted, meta.fernet_key)))
    try:
        secrets_mod.decrypt(stored, encrypted, Fernet.generate_key().decode())
    except InvalidToken:
        print("with a fresh key:            InvalidToken — the password is gone")

# %% [markdown]
# So back up the key — **separately**. Next to the dump it turns a stolen backup into stolen
# passwords; lost, it turns a good backup into one whose every Connection must be typed in
# again. Keep it in a secrets manager (AWS Secrets Manager, Vault) or a password vault, with
# its own access list; several keys separated by commas let you rotate it
# (`airflow rotate-fernet-key`).
#
# **Variables and Connections on their own** (Variables/Connections Import/Export) are worth
# an export too — to move them to a new Airflow with another key, or to audit them. The
# course used `airflow variables export variables.json` and `airflow connections export
# connections.json`: both write **every secret in clear**, and neither sees Variables and
# Connections defined as environment variables (`AIRFLOW_VAR_…`, `AIRFLOW_CONN_…`) or in a
# secrets backend — only those stored in the DB. `secrets.export_secrets` does the same from
# the DB with the key, and writes the file readable by its owner only, from its first byte:

# %%
with tempfile.TemporaryDirectory() as folder:
    export = Path(folder) / "airflow-secrets.json"
    try:
        counts = secrets_mod.export_secrets(SOURCE, meta.fernet_key, export)
        show([("counts returned", counts), ("mode", oct(export.stat().st_mode & 0o777)),
              ("size", f"{export.stat().st_size:,} bytes"),
              ("other files left in the folder", [p.name for p in Path(folder).iterdir() if p != export])],
             ["", "the export (its contents are never printed)"])
    except TODO as todo:
        print(f"Not written yet — {todo}\n{HINT}")
print("env-defined, so in no export:", sorted(k for k in os.environ if k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))))

# %% [markdown]
# ### ✏️ Your turn: part 3 — secrets
#
# Write `write_private` in [backups/secrets.py](../labs/lab6_backups/backups/secrets.py): `os.open` with
# `O_WRONLY | O_CREAT | O_EXCL` and mode `0o600` on a temporary name, write, `fsync`, then
# `os.replace` — readable by its owner only, from the first byte. One of these tests
# restores the DAG's backup, so part 1 must pass too. Save (Ctrl+S), then run the cell
# below.

# %%
check("lab6", "secrets")

# %% [markdown]
# ## 6. Logs: they grow every day (Airflow 로그 파일 삭제하기)
#
# Airflow writes logs in two places: task logs under `[logging] base_log_folder`
# (`dag_id=…/run_id=…/task_id=…/attempt=1.log`), and the DAG processor's logs under
# `[logging] dag_processor_child_process_log_directory` (by default *inside* the first, in
# `dag_processor/`). Every try of every task adds a file — ~100 tasks a day at ~50 KB each is
# 5 MB a day, 150 MB a month, and a chatty task can write that in one run. With no cleanup
# the disk fills, and an Airflow with a full disk fails in strange ways.
#
# The course cleaned it with `find <dir> -mindepth 2 -mtime +1 -exec rm -rf {} \;`:
#
# - it judges **folders** by their own mtime — which changes only when an entry is added
#   or removed, so a run folder created 40 days ago that got a retry's log today looks old,
#   and today's log goes with it;
# - no dry run, no report of what went; EC2-specific paths hard-coded; and the scheduler
#   folder was inside the base folder anyway.
#
# A small log tree to try it on, with a fake "now": old task logs, fresh ones, an old folder
# holding a fresh retry, the DAG processor's logs, and a symbolic link to a file **outside**
# the log folder:

# %%
LOG_ROOT = Path(tempfile.mkdtemp(prefix="lab6-logs-"))
base, outside = LOG_ROOT / "logs", LOG_ROOT / "outside.txt"
NOW = datetime(2026, 3, 31, tzinfo=timezone.utc)


def write(path, kbytes, age_days):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * kbytes * 1024)
    stamp = (NOW - timedelta(days=age_days)).timestamp()
    os.utime(path, (stamp, stamp))


for day in range(1, 31):  # one run a day in March, two tasks
    for task in ("extract", "load"):
        write(base / "dag_id=nps" / f"run_id=scheduled__2026-03-{day:02d}" / f"task_id={task}" / "attempt=1.log",
              40, age_days=31 - day + 14)  # 15 to 44 days old
write(base / "dag_id=nps/run_id=manual__old/task_id=load/attempt=2.log", 10, age_days=0)  # today's retry
write(base / "dag_processor/2026-02-10/nps.py.log", 20, age_days=45)
write(base / "dag_processor/2026-03-31/nps.py.log", 20, age_days=0)
old_folder = base / "dag_id=nps/run_id=manual__old"
os.utime(old_folder, ((NOW - timedelta(days=45)).timestamp(),) * 2)  # what find -mtime sees
outside.write_text("not a log: must survive")
os.utime(outside, ((NOW - timedelta(days=90)).timestamp(),) * 2)
(base / "dag_processor" / "link-to-outside.log").symlink_to(outside)


def tree_size():
    files = [p for p in base.rglob("*") if p.is_file() and not p.is_symlink()]
    return len(files), sum(p.stat().st_size for p in files)


files, size = tree_size()
print(f"{files} files, {size:,} bytes; this tree grows by 2 tasks × 40 KB = 80 KB a day, forever")
show([(age, sum(1 for p in base.rglob("*.log") if not p.is_symlink()
                and (NOW.timestamp() - p.stat().st_mtime) / 86400 > age)) for age in (7, 30, 40)],
     ["older than (days)", "log files"])

# %% [markdown]
# `cleanup_logs(base, older_than=30 days, dry_run=True)` first: it judges each **file** by
# its own `lstat` mtime, never follows a link, and deletes nothing:

# %%
cleaned = None
try:
    dry = logs_mod.cleanup_logs(base, timedelta(days=30), now=NOW, dry_run=True)
    print(dry.summary().replace(str(LOG_ROOT), "…"))
    print("files still there:", tree_size()[0])
    cleaned = logs_mod.cleanup_logs(base, timedelta(days=30), now=NOW)
    print(cleaned.summary().replace(str(LOG_ROOT), "…"))
except TODO as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %%
if cleaned:
    retry = base / "dag_id=nps/run_id=manual__old/task_id=load/attempt=2.log"
    show([("bytes freed", f"{cleaned.bytes_freed:,}"), ("files left", tree_size()[0]),
          ("emptied folders removed", len(cleaned.folders)),
          ("today's retry in the 45-day-old folder", "kept" if retry.exists() else "DELETED"),
          ("today's DAG processor log", "kept" if (base / "dag_processor/2026-03-31/nps.py.log").exists() else "DELETED"),
          ("the file outside, behind the link", "untouched" if outside.exists() else "DELETED"),
          ("the link itself", "kept" if (base / "dag_processor/link-to-outside.log").is_symlink() else "gone")],
         ["after cleanup_logs(older_than=30 days)", ""])

# %% [markdown]
# `find -mtime +1 -exec rm -rf` would have removed `run_id=manual__old` whole — its own
# mtime is 45 days old — and today's retry with it. `lab6_cleanup_logs` runs this daily on
# the folders Airflow's configuration names (`base_log_folder` and the DAG processor's, a
# nested one only once), with `params.older_than_days` and `params.dry_run`. With remote
# logging (`[logging] remote_logging = True`, logs in S3), the local copies can go after days,
# and the bucket gets an S3 lifecycle rule instead.

# %% [markdown]
# ### ✏️ Your turn: part 4 — logs
#
# Write `cleanup_logs` in [backups/logs.py](../labs/lab6_backups/backups/logs.py): `os.walk(..., topdown=False,
# followlinks=False)`, each regular file judged by its own `lstat` mtime, links skipped, a
# dry run that deletes nothing, and emptied folders removed (never the base). The DAG
# `lab6_cleanup_logs` is given and calls it. Save (Ctrl+S), then run the cell below.

# %%
check("lab6", "logs")

# %% [markdown]
# ## 7. A restore you can trust: signed, and all or nothing
#
# Two ways the restore of section 3 could still hurt you.
#
# **A checksum beside the object detects accidents, not tampering.** The SHA-256 in the
# object's metadata and in the manifest sit in the same bucket as the dump: whoever can
# rewrite the dump (a leaked key, a compromised CI job, a careless script) rewrites them in
# the same minute, and every check of section 3 passes. So the manifest carries one more
# field, `hmac_sha256`: an HMAC-SHA256 of the manifest made with a key that is **not** in
# the bucket (`SIGNING_KEY`, the Variable `backup_manifest_secret`). Without the key nobody
# can produce it, and since the manifest records the dump's SHA-256, the dump is bound to
# it too. `read_manifest` checks it with `hmac.compare_digest` before anything is
# downloaded — a dump is SQL that pg_restore runs with the restoring role's rights. Keep the
# key where a restore can reach it when the metadata DB is gone (a secrets backend, the
# deployment's environment), not as a Variable stored *in* the metadata DB — it would sit
# inside the very backups it protects.
#
# **pg_restore is not atomic.** It runs the dump statement by statement: a dump that lost
# its end leaves the tables it got to, in whatever database it was pointed at. No signature
# helps when the backup itself was broken when signed (a backup that ignored pg_dump's exit
# code signs its truncated dump in good faith). So `restore_all_or_nothing` never points
# pg_restore at the target: it restores into `<target>_restoring`, compares it with the
# manifest, and only then swaps the two with `ALTER DATABASE … RENAME` in one transaction.
#
# Both, live, on the drill's database of section 3. First, someone with write access to the
# bucket but not the key truncates the newest dump and recomputes both checksums:

# %%
def database_names():
    with SOURCE.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY 1", (SCRATCH + "%",))
        names = [name for (name,) in cur.fetchall()]
    conn.close()
    return names


tampered = None
if restored:
    key = store.newest(s3, BUCKET)
    dump_bytes = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    manifest_bytes = s3.get_object(Bucket=BUCKET, Key=store.manifest_key(key))["Body"].read()
    tampered = json.loads(manifest_bytes)
    truncated = dump_bytes[:-512]
    tampered["sha256"] = hashlib.sha256(truncated).hexdigest()  # both checksums recomputed…
    s3.put_object(Bucket=BUCKET, Key=key, Body=truncated, Metadata={"sha256": tampered["sha256"]})
    s3.put_object(Bucket=BUCKET, Key=store.manifest_key(key), Body=json.dumps(tampered).encode())  # …the signature not
    drill_before = pg.fingerprints(SOURCE.with_name(SCRATCH))
    try:
        restore_mod.restore_newest(s3, BUCKET, SOURCE.with_name(SCRATCH), SIGNING_KEY)
        print("restored a tampered backup!")
    except pg.BackupError as error:
        print("refused:", error)
    except TODO as todo:
        print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# Refused before a byte was downloaded. Now the other case: the same truncated dump with a
# manifest signed **with** the key — what a backup that ignored pg_dump's exit code would
# have produced. The signature verifies; pg_restore fails halfway, in the scratch database:

# %%
if tampered is not None:
    tampered["hmac_sha256"] = store.manifest_signature(tampered, SIGNING_KEY)
    s3.put_object(Bucket=BUCKET, Key=store.manifest_key(key), Body=json.dumps(tampered).encode())
    try:
        restore_mod.restore_newest(s3, BUCKET, SOURCE.with_name(SCRATCH), SIGNING_KEY)
        print("restored a truncated backup!")
    except pg.BackupError as error:
        print("refused:", str(error)[:300])
    except TODO as todo:
        print(f"Not written yet — {todo}\n{HINT}")
    show([("the drill's database", "as it was" if pg.fingerprints(SOURCE.with_name(SCRATCH)) == drill_before
           else "CHANGED"), ("databases named after it", ", ".join(database_names()))], ["after the failed restore", ""])
    s3.put_object(Bucket=BUCKET, Key=key, Body=dump_bytes, Metadata={"sha256": hashlib.sha256(dump_bytes).hexdigest()})
    s3.put_object(Bucket=BUCKET, Key=store.manifest_key(key), Body=manifest_bytes)  # the genuine backup, back
    print("the genuine backup is back in place")

# %% [markdown]
# The target is exactly as it was and no `_restoring` copy is left: the scratch database was
# dropped when pg_restore failed. Pointed at the target itself, the same restore would have
# left it half restored — the course's way, and the reason this part exists.
#
# ### ✏️ Your turn: part 5 — a safe restore
#
# Write `manifest_signature` and the signature check in `read_manifest` in
# [backups/store.py](../labs/lab6_backups/backups/store.py), and the checks of `restore_newest`
# and `restore_all_or_nothing` in [backups/restore.py](../labs/lab6_backups/backups/restore.py)
# (the [README](../labs/lab6_backups/README.md) says what each must do). The tests tamper with
# backups without the key, truncate one and sign it with the key, and restore onto a metadata
# DB that has moved on since its backup. Save (Ctrl+S), then run the cell below.

# %%
check("lab6", "safe_restore")

# %% [markdown]
# ## 8. A production configuration (Airflow Configuration for Production Usage)
#
# The course's checklist, in Airflow 3.3 terms:
#
# | what | setting (Airflow 3.3) | why |
# |---|---|---|
# | metadata DB on PostgreSQL (or MySQL), never SQLite | `[database] sql_alchemy_conn = postgresql+psycopg2://…` | SQLite allows one writer: no parallel tasks, no real scheduler |
# | one machine: LocalExecutor | `[core] executor = LocalExecutor` (the default; SequentialExecutor is gone in 3) | tasks run in parallel, `[core] parallelism` slots |
# | scale out | `CeleryExecutor` (workers + a broker) or `KubernetesExecutor` (a pod per task), or a managed Airflow (MWAA, Cloud Composer, Astro) | more workers; schedulers can run active-active since 2.0 |
# | authentication on | `[core] auth_manager` = the FAB auth manager (or your identity provider); SimpleAuthManager for development only | lab 4 |
# | large volumes for logs and data | `[logging] base_log_folder`, `[logging] dag_processor_child_process_log_directory` on their own volume; or `remote_logging` to S3 | a full disk stops Airflow |
# | periodic log cleanup | `lab6_cleanup_logs` daily | section 6 |
# | health-check monitoring | `GET /api/v2/monitor/health` from outside, alerting on stale heartbeats | lab 4 |
# | backups | metadata DB (managed snapshots/PITR, or `lab6_backup_metadata` + a weekly drill), Variables/Connections export, the **Fernet key** and the **manifest signing key** kept apart | sections 2–5, 7 |
# | UTC everywhere | `[core] default_timezone = utc`, servers in UTC, time-zone-aware `start_date`s | no runs lost or doubled at daylight-saving changes |
# | where the DAGs are, how often they are scanned | `[core] dags_folder`; `[dag_processor] refresh_interval` (was `[scheduler] dag_dir_list_interval`) | new files appear after this many seconds |
# | old rows in the metadata DB | `airflow db clean --clean-before-timestamp …` (deletes old runs, task instances, logs, XComs; keeps a copy in archive tables unless `--skip-archive`) | the DB, and its backups, stay small |
#
# Settings take effect when the components restart; in Airflow 3 that is the API server,
# scheduler, DAG processor and triggerer. `airflow config lint` lists the settings of an
# Airflow 2 `airflow.cfg` that were renamed or removed.

# %% [markdown]
# ## 9. Airflow 2 → 3, for this lab
#
# | Airflow 2 (the course) | Airflow 3.3 |
# |---|---|
# | `airflow db init` / `airflow db upgrade` | `airflow db migrate` (`init` and `upgrade` are gone) |
# | `[scheduler] child_process_log_directory` | `[logging] dag_processor_child_process_log_directory` (default `{AIRFLOW_HOME}/logs/dag_processor`) |
# | `[logging] dag_processor_manager_log_location` (and its `[core]` form) | removed; the DAG processor is its own component, started with `airflow dag-processor` |
# | `[scheduler] dag_dir_list_interval` | `[dag_processor] refresh_interval` |
# | a task opens `airflow.settings.Session()` and queries the ORM | not allowed: "Direct database access via the ORM is not allowed in Airflow 3.0" — use Connections and hooks (as the backup does: `airflow_db` + `pg_dump`), or the REST API |
# | `SequentialExecutor` (the SQLite default) | removed; `LocalExecutor` is the default |
# | `airflow dags backfill -s … -e …` | `airflow backfill create --dag-id … --from-date … --to-date …` (`dags backfill` is gone) |
# | `airflow variables export` / `airflow connections export` | the same commands; still plaintext, still only what is in the DB |

# %% [markdown]
# ## 10. Now you
#
# Your turn: **[`labs/lab6_backups/README.md`](../labs/lab6_backups/README.md)** has the task, the points
# and hints; each *Your turn* cell above grades one part. With every part written and saved
# (Ctrl+S), grade the whole lab — your backup, restore, export, cleanup and safe restore,
# against a fresh metadata DB of its own:

# %%
check("lab6")

# %% [markdown]
# Each failing line of the score table names the concept it tests.
#
# The same tests give the same score in a terminal (File → New → Terminal): `make test lab6`.
# When you are done, `make submit lab6` makes the zip to hand in.
#
# Cleaning up: the log tree and the restore drill's database.

# %%
import shutil

shutil.rmtree(LOG_ROOT, ignore_errors=True)
services.metadata_db.server.drop_database(SCRATCH)  # the drill's copy: the source stays
print("cleaned up: the log tree and", SCRATCH)
