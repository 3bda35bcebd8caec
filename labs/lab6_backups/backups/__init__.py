# Generated from dags/backups/__init__.py by `labkit release`: edit the parts marked TODO.
"""Lab 6 · backups and operations: what the backup, restore and log-cleanup DAGs call.

- `pg`: pg_dump / pg_restore with their exit codes checked, checksums, table fingerprints;
- `store`: backups in S3 under dated keys, the checksum as metadata, retention;
- `secrets`: Variables and Connections exported and imported, as the secrets they are;
- `logs`: age-based log cleanup that never leaves the log folder.
"""
