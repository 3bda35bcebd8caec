"""What the class demo keeps between runs: `.labkit/demo/` (git-ignored).

    secrets.json   mode 600: the Airflow logins, the Fernet key, the API's signing keys, the
                   PostgreSQL password and the key lab 6 signs backup manifests with,
                   generated on first use (nothing to commit)
    postgres/      the embedded PostgreSQL's data: the metadata DB and the warehouse
    airflow/       AIRFLOW_HOME: DAGs folder (links to dags/), task logs, component logs
    screenshots/   what the browser check saw

A second `make demo` starts from all of it: same logins, same run history. `reset()`
(`make demo RESET=1`) deletes it and the next demo starts from scratch.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from labkit.paths import state_dir
from labkit.private_files import write_private

SECRET_NAMES = ("admin_password", "monitor_password", "fernet_key", "jwt_secret", "api_secret_key", "postgres_password",
                "backup_manifest_secret")
# The ones the kept database cannot do without: its password, and the key its Connections
# and Variables are encrypted with. The others (logins, token keys, the backups' signing key)
# may be made anew, with a note in the banner's log at worst.
OPENS_THE_DATA = ("fernet_key", "postgres_password")


class DemoBusy(RuntimeError):
    """Another `labkit demo` uses this folder right now."""


class DemoStateLost(RuntimeError):
    """The kept data is there but the secrets that open it are gone."""


@dataclass
class DemoState:
    folder: Path
    _lock: IO[str] | None = field(default=None, repr=False)

    @classmethod
    def default(cls) -> DemoState:
        return cls(Path(os.environ.get("LABKIT_DEMO_DIR", state_dir() / "demo")))

    @property
    def postgres_folder(self) -> Path:
        return self.folder / "postgres"

    @property
    def airflow_home(self) -> Path:
        return self.folder / "airflow"

    @property
    def screenshots(self) -> Path:
        return self.folder / "screenshots"

    @property
    def first_run(self) -> bool:
        return not (self.folder / "secrets.json").exists()

    def secrets(self) -> dict[str, str]:
        """The demo's secrets, made on first use and kept (mode 600) for the next run."""
        from cryptography.fernet import Fernet

        path = self.folder / "secrets.json"
        known = _read_secrets(path)
        missing = [name for name in OPENS_THE_DATA if not known.get(name)]
        if missing and (self.postgres_folder / "data" / "PG_VERSION").exists():
            # New secrets would not open the old database (its password, its Fernet key):
            # better stop here than fail later at login or at decrypting a connection.
            what = "is missing or unreadable" if not known else f"lacks {', '.join(missing)}"
            raise DemoStateLost(f"{path} {what}, but the demo's database is still in "
                                f"{self.postgres_folder}: start over with `make demo RESET=1`")
        made = {
            "admin_password": os.environ.get("LABKIT_DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12),
            "monitor_password": secrets.token_urlsafe(12),
            "fernet_key": Fernet.generate_key().decode(),
            "jwt_secret": secrets.token_urlsafe(64),
            "api_secret_key": secrets.token_urlsafe(32),
            "postgres_password": secrets.token_urlsafe(16),
            "backup_manifest_secret": secrets.token_hex(32),
        }
        values = {name: known.get(name) or made[name] for name in SECRET_NAMES}
        if values != known:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_private(path, json.dumps(values, indent=1))
        return values

    def lock(self) -> None:
        """Hold the folder for this process: two demos on one PostgreSQL data folder would corrupt it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as on_failure:
            handle = on_failure.enter_context(open(self.folder / "demo.lock", "a+"))
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                who = handle.read().strip() or "another process"
                raise DemoBusy(f"a demo is already running from {self.folder} ({who}): stop it (Ctrl-C) first") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            on_failure.pop_all()  # locked: the file stays open (the lock with it) until unlock()
        self._lock = handle

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def reset(self) -> None:
        """Forget everything (logins, run history, warehouse). Refused while a demo runs."""
        self.lock()
        try:
            for child in self.folder.iterdir():
                if child.name != "demo.lock":
                    shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        finally:
            self.unlock()


def _read_secrets(path: Path) -> dict[str, str]:
    """The kept secrets: a mapping of names to non-empty strings, or {} if unreadable."""
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, str) and v}

