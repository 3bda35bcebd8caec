"""The grading jail: a submission's tests see only what grading needs, nothing else.

Inside, the file system is a fresh, empty root holding, at their usual paths:

    read-only   the system (/usr, /bin, /lib…, /etc), the Python the kit runs on and its venv,
                the public grading kit (a student edition: no solution bodies, no hidden tests)
    writable    the submission's own folder (its copy of the code, its homes, its scratch)
    private     /tmp, /var/tmp and /dev/shm (small tmpfs, gone with the jail), /proc of its
                own PID namespace, a minimal /dev

The instructor's checkout (its `dags/` with the reference solutions, `tests/hidden/`,
`.git`), other students' submissions and work folders, and everything else on the machine
are not there at all. The jailed process cannot undo any of it: it runs without
capabilities (as `nobody` when the grader is root), with no_new_privs set.

How the namespaces are made, best first:
    root      `unshare --mount --pid` (the grader runs as root: a container, a CI box)
    userns    `unshare --user --map-root-user --mount --pid` (an ordinary user, where the
              kernel allows unprivileged user namespaces: most Linux distributions)
    none      no isolation (macOS, or user namespaces disabled): submissions run as the
              grader's user and could read its files; `labkit grade` says so loudly.

    python -m labkit.grading.jail SPEC.json -- COMMAND…     (run by `unshare`, as PID 1's child)
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT_MODE, USERNS_MODE, NO_JAIL = "root", "userns", "none"
NOBODY = 65534
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
TMP_SIZE = "256m"
SHM_SIZE = "64m"
DEVICES = ("null", "zero", "full", "random", "urandom")


@dataclass
class Spec:
    """What one jailed command may see. Paths are absolute and keep their place inside."""

    writable: str  # the submission's folder
    readable: list[str] = field(default_factory=list)  # the venv, Python, the grading kit…
    # (source, target): a writable folder shown at another path, on top of a readable one
    # (the submission's own copy of the hidden tests, at tests/hidden in the grading kit)
    binds: list[tuple[str, str]] = field(default_factory=list)
    cwd: str = ""
    uid: int | None = None  # switch to this user (root mode); None: stay (userns mode)
    gid: int | None = None

    def save(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self)))
        return path


@lru_cache(maxsize=1)
def mode() -> str:
    """The strongest jail this machine gives us (probed once, by really building one)."""
    if sys.platform != "linux" or not (shutil.which("unshare") and shutil.which("setpriv")):
        return NO_JAIL
    for candidate in ((ROOT_MODE,) if os.geteuid() == 0 else ()) + (USERNS_MODE,):
        if _probe(candidate):
            return candidate
    return NO_JAIL


def _probe(candidate: str) -> bool:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="labkit-jail-probe-") as folder:
        os.chmod(folder, 0o777)
        user = _identity(candidate)
        spec = Spec(writable=folder, readable=[sys.prefix, sys.base_prefix], cwd=folder, uid=user["uid"], gid=user["gid"])
        command = wrap([sys.executable, "-c", "print('jailed')"], spec.save(Path(folder) / "spec.json"), candidate)
        try:
            probe = subprocess.run(command, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return False
        return probe.returncode == 0 and probe.stdout.strip() == "jailed"


def _identity(candidate: str) -> dict[str, int | None]:
    return {"uid": NOBODY, "gid": NOBODY} if candidate == ROOT_MODE else {"uid": None, "gid": None}


def identity(candidate: str | None = None) -> tuple[int | None, int | None]:
    """The user a jailed process runs as: `nobody` in root mode; the grader's own otherwise."""
    found = _identity(candidate or mode())
    return found["uid"], found["gid"]


def wrap(command: list[str], spec_file: Path, candidate: str | None = None) -> list[str]:
    """`command`, to be run inside a jail described by `spec_file` (see Spec)."""
    candidate = candidate or mode()
    if candidate == NO_JAIL:
        return command
    user = ["--user", "--map-root-user"] if candidate == USERNS_MODE else []
    init = [sys.executable, "-S", "-E", str(Path(__file__).resolve()), str(spec_file), "--"]
    return ["unshare", *user, "--mount", "--pid", "--fork", "--kill-child=SIGKILL", "--propagation", "private",
            *init, *command]


# -- inside the namespaces (run as this file, with no site packages: stdlib only) -------------
def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, stdout=subprocess.DEVNULL)


def _bind(source: str, root: str, *, writable: bool = False) -> None:
    target = root + source
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount("--bind", source, target)
    if not writable:
        _mount("-o", "remount,bind,ro,nosuid,nodev", target)


def build(spec: Spec, root: str) -> None:
    """Make the jail's file system under `root` (an empty folder) from `spec`."""
    _mount("-t", "tmpfs", "-o", "mode=755,size=16m", "labkit-jail", root)
    # The private file systems first: a folder to share (the submission's, the grading
    # kit) may live under /tmp, and must be bound on top of them, not hidden below.
    for tmp in ("/tmp", "/var/tmp"):
        os.makedirs(root + tmp, exist_ok=True)
        _mount("-t", "tmpfs", "-o", f"mode=1777,size={TMP_SIZE},nosuid,nodev", "labkit-tmp", root + tmp)
    dev = root + "/dev"
    os.makedirs(dev, exist_ok=True)
    _mount("-t", "tmpfs", "-o", "mode=755,size=1m,nosuid", "labkit-dev", dev)
    for name in DEVICES:
        _bind(f"/dev/{name}", root, writable=True)
    os.makedirs(dev + "/shm")
    _mount("-t", "tmpfs", "-o", f"mode=1777,size={SHM_SIZE},nosuid,nodev", "labkit-shm", dev + "/shm")
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("-t", "proc", "-o", "nosuid,nodev,noexec", "proc", root + "/proc")
    for path in SYSTEM:
        if os.path.islink(path):  # /lib -> usr/lib on merged-/usr systems
            os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            _bind(path, root)
    for path in dict.fromkeys(spec.readable):
        if os.path.exists(path):
            _bind(path, root)
    _bind(spec.writable, root, writable=True)
    for source, target in spec.binds:
        os.makedirs(root + target, exist_ok=True)
        _mount("--bind", source, root + target)


def main(argv: list[str]) -> int:
    spec_file, command = argv[0], argv[argv.index("--") + 1 :]
    data = json.loads(Path(spec_file).read_text())
    data["binds"] = [tuple(pair) for pair in data.get("binds", [])]
    spec = Spec(**data)
    root = os.path.join(spec.writable, ".jail-root")
    os.makedirs(root, exist_ok=True)
    build(spec, root)
    os.chroot(root)
    os.chdir(spec.cwd or spec.writable)
    # No way back: no capabilities (so no mount, umount or chroot), no new privileges,
    # and in root mode no root either.
    drop = ["setpriv", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
    if spec.uid is not None:
        drop += [f"--reuid={spec.uid}", f"--regid={spec.gid}", "--clear-groups"]
    else:
        drop += ["--securebits=+noroot,+noroot_locked"]
    os.execvp(drop[0], [*drop, "--", *command])  # never returns: the command replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
