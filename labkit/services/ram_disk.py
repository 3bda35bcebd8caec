"""Throwaway server data in memory (tmpfs), when the machine has room for it.

A grading run creates and drops a PostgreSQL database per test, each a few hundred files. On
ext4, creating files right after deleting many others makes the kernel search its inode
bitmaps for inodes not recently freed (`recently_deleted`): measured with perf during `labkit
verify lab6`, that was 24 % of the machine's time, in postgres, in the kernel. In tmpfs there
is no such search: verify lab6 took 248 s instead of 363-378 s.

A folder here (`/dev/shm/labkit-<uid>/<state folder's hash>/pg-<pid>-<id>/data`) is linked
from its owner's folder on disk (`<state>/run/pg-<pid>-<id>/data`): command lines, watchdogs
and orphan checks keep using the path on disk. Whoever deletes the folder on disk deletes
this one first (`remove`); `sweep`, at every server start, deletes the ones whose folder on
disk is gone (a state folder deleted by hand, a machine that lost power).
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)
TMPFS = Path("/dev/shm")
MIN_FREE = 2 * 2**30  # bytes: a Docker container's 64 MB /dev/shm is not room enough
OFF = "LABKIT_PG_ON_DISK"  # set to 1 to keep throwaway servers on disk


def _user_root() -> Path:
    return TMPFS / f"labkit-{os.getuid()}"


def _root(owners_root: Path) -> Path:
    """One state folder's place in tmpfs (two checkouts never share one)."""
    return _user_root() / hashlib.sha256(str(owners_root.resolve()).encode()).hexdigest()[:12]


def has_room() -> bool:
    if os.environ.get(OFF) == "1" or not TMPFS.is_dir() or not os.access(TMPFS, os.W_OK):
        return False
    stats = os.statvfs(TMPFS)
    return stats.f_bavail * stats.f_frsize >= MIN_FREE


def link_data(owner_folder: Path) -> Path:
    """`owner_folder/data`: a link to a fresh folder in tmpfs when there is room, else a plain
    folder on disk. Either way the returned path is what servers and tools are given."""
    path = owner_folder / "data"
    if not has_room():
        path.mkdir(exist_ok=True)
        return path
    holder = _root(owner_folder.parent) / owner_folder.name
    while True:
        try:
            holder.parent.mkdir(parents=True, exist_ok=True)
            for folder in (holder.parent.parent, holder.parent):
                folder.chmod(0o711)  # a server running as another user must get through
            holder.mkdir()
            break
        except FileNotFoundError:  # another run's remove() took the empty parent away meanwhile
            continue
    (holder / "owner").write_text(str(owner_folder))  # for sweep(): whose it is
    (holder / "data").mkdir()
    path.symlink_to(holder / "data", target_is_directory=True)
    return path


def remove(owner_folder: Path) -> None:
    """Delete `owner_folder` and, first, whatever it links to in tmpfs."""
    for entry in owner_folder.glob("*"):
        holder = entry.resolve().parent
        if entry.is_symlink() and holder.is_relative_to(_user_root()):
            shutil.rmtree(holder, ignore_errors=True)
            _remove_if_empty(holder.parent)
    shutil.rmtree(owner_folder, ignore_errors=True)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()  # a state folder's place, once its last server is gone
    except OSError:  # not empty: another server of that state folder still runs
        pass


def sweep() -> int:
    """Delete this user's folders in tmpfs whose owner folder on disk no longer exists."""
    gone = []
    for holder in _user_root().glob("*/*"):
        try:
            owner = Path((holder / "owner").read_text())
        except OSError:  # being created (no owner file yet) or being removed
            continue
        if not owner.exists():
            gone.append(holder)
    for holder in gone:
        log.info("deleting %s: its server's folder %s is gone", holder, holder / "owner")
        shutil.rmtree(holder, ignore_errors=True)
        _remove_if_empty(holder.parent)
    return len(gone)
