"""Backups in S3: one object per backup under a dated key, its SHA-256 in the object's metadata.

    airflow_backup/metadata-20260321T000000.dump      x-amz-meta-sha256: 9f86d0…

Keys sort by date, so "the newest" and "all but the newest N" need no clock and no
LastModified (which a copy or a re-upload changes). Beside each backup, under
`airflow_backup_manifests/`, a manifest records every table's fingerprint as of the dump
and the dump's SHA-256: what a restore must reproduce exactly.

The manifest is **signed** (HMAC-SHA256, field `hmac_sha256`) with a key that is not in the
bucket. A checksum stored beside an object only detects accidents (a flipped bit, a
truncated copy): whoever can rewrite the object can rewrite its checksum too, and the
`x-amz-meta-sha256` of a rewritten dump is simply recomputed. A signature made with a key
kept apart cannot be recomputed without that key, so a manifest rewritten by anyone who
holds only the bucket no longer verifies; and since the signed manifest records the dump's
SHA-256, the dump is bound to it as well. The key lives where the restore can reach it when
the metadata DB is gone: a secrets backend, or the deployment's environment
(`AIRFLOW_VAR_BACKUP_MANIFEST_SECRET`), never the metadata DB it protects nor the bucket.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import datetime
from pathlib import Path

from backups.pg import BackupError, sha256_file

PREFIX = "airflow_backup"
MANIFESTS = "airflow_backup_manifests"
SIGNATURE = "hmac_sha256"  # the manifest's field holding its signature
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
    # BEGIN SOLUTION: refuse keep < 1 (ValueError: the newest backup must survive); list backups(); delete every key but the last `keep` (s3.delete_objects or delete_object) and return the deleted ones
    if keep < 1:
        raise ValueError(f"keep={keep}: retention must keep at least the newest backup")
    doomed = backups(s3, bucket, prefix)[:-keep]
    for key in doomed:
        s3.delete_object(Bucket=bucket, Key=key)
    return doomed
    # END SOLUTION


def newest(s3, bucket: str, prefix: str = PREFIX) -> str:
    keys = backups(s3, bucket, prefix)
    if not keys:
        raise BackupError(f"no backup under s3://{bucket}/{prefix}/")
    return keys[-1]


def download_verified(s3, bucket: str, key: str, path: Path) -> str:
    """Download a backup and check it against the SHA-256 stored with it; returns the checksum.

    A mismatch (a corrupted or replaced object) is refused before anything is restored.
    """
    # BEGIN SOLUTION: read the expected checksum from s3.head_object(...)["Metadata"]["sha256"] (missing → BackupError); s3.download_file to path; compare with sha256_file(path); on a mismatch delete the download and raise BackupError naming the key
    expected = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get("sha256")
    if not expected:
        raise BackupError(f"s3://{bucket}/{key} carries no sha256: it cannot be verified, so it is not restored")
    s3.download_file(bucket, key, str(path))
    actual = sha256_file(path)
    if actual != expected:
        path.unlink(missing_ok=True)
        raise BackupError(f"s3://{bucket}/{key} is corrupted: its SHA-256 is {actual[:12]}…, the backup recorded "
                          f"{expected[:12]}…; refusing to restore it")
    return actual
    # END SOLUTION


def manifest_key(key: str) -> str:
    return f"{MANIFESTS}/{key.rsplit('/', 1)[-1]}.json"


def canonical(manifest: dict) -> bytes:
    """The bytes a manifest's signature covers: the manifest without its signature, as JSON with
    sorted keys and no spaces. Signer and verifier must hash the very same bytes, whatever the
    indentation the manifest was stored with."""
    unsigned = {name: value for name, value in manifest.items() if name != SIGNATURE}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()


def manifest_signature(manifest: dict, secret: str) -> str:
    """The HMAC-SHA256 of `canonical(manifest)` under the key `secret`, as 64 hex digits.

    Keyed: a plain SHA-256 of the manifest would be one more checksum, which anyone who can
    write the bucket recomputes after rewriting it."""
    # BEGIN SOLUTION: hmac.new(<secret as bytes>, canonical(manifest), hashlib.sha256).hexdigest() (a keyed hash: hashlib.sha256 of the manifest alone is a checksum anyone can recompute)
    return hmac.new(secret.encode(), canonical(manifest), hashlib.sha256).hexdigest()
    # END SOLUTION


def _signing_key(secret: str | None) -> str:
    if not secret:
        raise BackupError("no manifest signing key: set the Variable backup_manifest_secret in a secrets backend or the "
                          "environment (AIRFLOW_VAR_BACKUP_MANIFEST_SECRET), not in the metadata DB nor the bucket")
    return secret


def write_manifest(s3, bucket: str, key: str, tables: dict[str, tuple[int, str]], sha256: str, secret: str) -> None:
    """The manifest of backup `key` (its SHA-256 and every table's fingerprint), signed with `secret`."""
    manifest = {"backup": key, "sha256": sha256, "tables": tables}
    manifest[SIGNATURE] = manifest_signature(manifest, _signing_key(secret))
    body = json.dumps(manifest, indent=1, sort_keys=True)
    s3.put_object(Bucket=bucket, Key=manifest_key(key), Body=body.encode(), ContentType="application/json")


def read_manifest(s3, bucket: str, key: str, secret: str | None) -> dict:
    """The manifest of backup `key`, {"backup", "sha256", "tables": {table: (rows, md5)}}, once its
    signature verifies with `secret`. BackupError when there is none, or it does not verify."""
    secret = _signing_key(secret)
    try:
        body = s3.get_object(Bucket=bucket, Key=manifest_key(key))["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise BackupError(f"no manifest for {key}: nothing to verify a restore with") from None
    try:
        manifest = json.loads(body)
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict):
        raise BackupError(f"the manifest of {key} is not a JSON object: refusing to restore")
    # BEGIN SOLUTION: refuse (BackupError naming the key and the signature) a manifest with no SIGNATURE field, or whose signature is not manifest_signature(manifest, secret) — compare with hmac.compare_digest, never == (its time tells a forger how many leading characters are right); and one signed for another backup (manifest["backup"] != key: an older backup copied under a newer name)
    signature = manifest.get(SIGNATURE)
    if not isinstance(signature, str):
        raise BackupError(f"the manifest of {key} carries no signature ({SIGNATURE}): anyone who can write to the bucket "
                          "may have written it; refusing to restore")
    if not hmac.compare_digest(signature.encode(), manifest_signature(manifest, secret).encode()):
        raise BackupError(f"the manifest of {key} fails its signature check: it was changed, or signed, by someone "
                          "lacking the signing key (a tampered backup, or another key); refusing to restore")
    if manifest.get("backup") != key:
        raise BackupError(f"the manifest found for {key} was signed for {manifest.get('backup')}: an older backup copied "
                          "under a newer name; refusing to restore")
    # END SOLUTION
    try:
        tables = {table: (rows, checksum) for table, (rows, checksum) in manifest["tables"].items()}
        return {"backup": manifest["backup"], "sha256": manifest["sha256"], "tables": tables}
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BackupError(f"the manifest of {key} lacks its backup, sha256 or tables: refusing to restore") from None


def drop_orphan_manifests(s3, bucket: str, prefix: str = PREFIX) -> list[str]:
    """Delete the manifests of backups that retention removed."""
    alive = {manifest_key(key) for key in backups(s3, bucket, prefix)}
    orphans = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{MANIFESTS}/"):
        orphans += [item["Key"] for item in page.get("Contents", []) if item["Key"] not in alive]
    for key in orphans:
        s3.delete_object(Bucket=bucket, Key=key)
    return orphans
