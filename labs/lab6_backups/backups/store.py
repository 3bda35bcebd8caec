# Generated from dags/backups/store.py by `labkit release`: edit the parts marked TODO.
"""Backups in S3: one object per backup under a dated key, its SHA-256 in the object's metadata.

    airflow_backup/metadata-20260321T000000.dump      x-amz-meta-sha256: 9f86d0…

Keys sort by date, so "the newest" and "all but the newest N" need no clock and no
LastModified (which a copy or a re-upload changes). Beside each backup, under
`airflow_backup_manifests/`, a manifest records every table's fingerprint as of the dump:
what a restore must reproduce exactly.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from backups.pg import BackupError, sha256_file

PREFIX = "airflow_backup"
MANIFESTS = "airflow_backup_manifests"
NAME = re.compile(r"metadata-(\d{8}T\d{6})\.dump")


def backup_key(logical_date: datetime, prefix: str = PREFIX) -> str:
    """`airflow_backup/metadata-20260321T000000.dump` for a run of 2026-03-21 00:00."""
    return f"{prefix}/metadata-{logical_date:%Y%m%dT%H%M%S}.dump"


def upload(s3, path: Path, bucket: str, key: str, sha256: str) -> None:
    """Upload `path` with its checksum as metadata. A failed upload leaves no object: a
    single PUT is all or nothing, and boto3 aborts a multipart upload it could not finish."""
    s3.upload_file(str(path), bucket, key, ExtraArgs={"Metadata": {"sha256": sha256}})


def backups(s3, bucket: str, prefix: str = PREFIX) -> list[str]:
    """Every backup key under `prefix`, oldest first (other objects there are ignored)."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        keys += [item["Key"] for item in page.get("Contents", []) if NAME.fullmatch(item["Key"].rsplit("/", 1)[-1])]
    return sorted(keys)


def apply_retention(s3, bucket: str, keep: int, prefix: str = PREFIX) -> list[str]:
    """Delete all but the newest `keep` backups; returns the deleted keys, oldest first.

    Never deletes the newest backup: `keep` below 1 is refused, whatever the caller meant.
    """
    # TODO: refuse keep < 1 (ValueError: the newest backup must survive); list backups(); delete every key but the last `keep` (s3.delete_objects or delete_object) and return the deleted ones
    raise NotImplementedError('TODO: refuse keep < 1 (ValueError: the newest backup must survive); list backups(); delete every key but the last `keep` (s3.delete_objects or delete_object) and return the deleted ones')


def newest(s3, bucket: str, prefix: str = PREFIX) -> str:
    keys = backups(s3, bucket, prefix)
    if not keys:
        raise BackupError(f"no backup under s3://{bucket}/{prefix}/")
    return keys[-1]


def download_verified(s3, bucket: str, key: str, path: Path) -> str:
    """Download a backup and check it against the SHA-256 stored with it; returns the checksum.

    A mismatch (a corrupted or replaced object) is refused before anything is restored.
    """
    # TODO: read the expected checksum from s3.head_object(...)["Metadata"]["sha256"] (missing → BackupError); s3.download_file to path; compare with sha256_file(path); on a mismatch delete the download and raise BackupError naming the key
    raise NotImplementedError('TODO: read the expected checksum from s3.head_object(...)["Metadata"]["sha256"] (missing → BackupError); s3.download_file to path; compare with sha256_file(path); on a mismatch delete the download and raise BackupError naming the key')


def manifest_key(key: str) -> str:
    return f"{MANIFESTS}/{key.rsplit('/', 1)[-1]}.json"


def write_manifest(s3, bucket: str, key: str, tables: dict[str, tuple[int, str]], sha256: str) -> None:
    body = json.dumps({"backup": key, "sha256": sha256, "tables": tables}, indent=1, sort_keys=True)
    s3.put_object(Bucket=bucket, Key=manifest_key(key), Body=body.encode(), ContentType="application/json")


def read_manifest(s3, bucket: str, key: str) -> dict[str, tuple[int, str]]:
    """The fingerprints recorded when `key` was made (BackupError when there are none)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=manifest_key(key))["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise BackupError(f"no manifest for {key}: nothing to compare a restore with") from None
    return {table: (rows, checksum) for table, (rows, checksum) in json.loads(body)["tables"].items()}


def drop_orphan_manifests(s3, bucket: str, prefix: str = PREFIX) -> list[str]:
    """Delete the manifests of backups that retention removed."""
    alive = {manifest_key(key) for key in backups(s3, bucket, prefix)}
    orphans = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{MANIFESTS}/"):
        orphans += [item["Key"] for item in page.get("Contents", []) if item["Key"] not in alive]
    for key in orphans:
        s3.delete_object(Bucket=bucket, Key=key)
    return orphans
