"""Files only their owner may read: passwords, keys, the demo's secrets."""
from __future__ import annotations

import os
import threading
from pathlib import Path


def write_private(path: Path, text: str, *, owner: int | None = None) -> None:
    """Write `text` to `path` readable by its owner only, from the first byte to the rename.

    The file is created with mode 600 (O_EXCL: never reusing a stale temporary file, which
    would keep its old mode, 644 say) and then renamed over `path` in one step. `owner`:
    the user id it is handed to before the rename (a jailed reader), so no reader ever
    meets a version it may not open.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # threads save too
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    if owner is not None:
        os.chown(tmp, owner, -1)
    tmp.replace(path)
