"""Small helpers the kit's own tests share (no fixtures here: plain functions)."""
from __future__ import annotations

import ipaddress
import os
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from labkit.paths import DAGS

REFERENCE = DAGS / "lab1_dedupe_upsert.py"

# Keys a parent stack (`make lab`, a notebook kernel) exports; a test that wants a fresh
# process removes them so it never attaches to someone else's services by accident.
STACK_PREFIXES = ("LABKIT_STACK_", "LABKIT_PG_", "LABKIT_WAREHOUSE_", "LABKIT_WEATHER_", "LABKIT_S3_", "AIRFLOW_")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(STACK_PREFIXES)}
    env.update(extra)
    return env


def postgres_processes(folder_part: str) -> list[str]:
    """`postgres -D …` command lines whose data folder path contains `folder_part`."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        args = line.split()
        if len(args) < 4 or Path(args[1]).name != "postgres" or "-D" not in args:
            continue
        data = args[args.index("-D") + 1]
        if folder_part in data:
            found.append(line.strip())
    return found


def postmaster_pid(data_dir: Path) -> int:
    """The first line of postmaster.pid is the server's process id."""
    return int((data_dir / "postmaster.pid").read_text().split()[0])


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


# -- sockets: what a stack listens on ------------------------------------------------------
# The kit's rule: every socket it opens listens on 127.0.0.1 (or ::1), never on all
# interfaces. These read /proc (Linux), so they see processes that left our process tree
# too: Airflow's components run in sessions of their own, PostgreSQL is a daemon.
def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, session id) of a process, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[3])


def process_family(roots: Iterable[int] = (), sessions: Iterable[int] = ()) -> set[int]:
    """Live processes that belong to a stack: `roots`, every process of one of `sessions`, and
    the descendants of both. (Not the environment: setproctitle, which Airflow's components
    call, overwrites what /proc/<pid>/environ shows.)"""
    parents: dict[int, int] = {}
    family: set[int] = set()
    wanted_roots, wanted_sessions = set(roots), set(sessions)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        stat = _stat(pid)
        if stat is None:
            continue
        parents[pid] = stat[0]
        if pid in wanted_roots or stat[1] in wanted_sessions:
            family.add(pid)
    while True:  # descendants of what belongs
        grown = {pid for pid, parent in parents.items() if parent in family} - family
        if not grown:
            return family
        family |= grown


def _address(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return ipaddress.IPv4Address(raw[::-1])
    return ipaddress.IPv6Address(b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4)))


def listening_sockets(pids: Iterable[int]) -> list[tuple[int, str, str, str, int]]:
    """(pid, command line, protocol, address, port) of every listening TCP socket and every
    bound, unconnected UDP socket the processes hold (read in each one's network namespace)."""
    tables: dict[str, dict[int, tuple[str, str, int]]] = {}
    found = []
    for pid in sorted(set(pids)):
        try:
            inodes = set()
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    link = os.readlink(fd)
                except OSError:
                    continue
                if link.startswith("socket:["):
                    inodes.add(int(link[8:-1]))
            if not inodes:
                continue
            namespace = os.readlink(f"/proc/{pid}/ns/net")
            if namespace not in tables:
                tables[namespace] = {}
                for proto, listening in (("tcp", "0A"), ("tcp6", "0A"), ("udp", "07"), ("udp6", "07")):
                    for line in Path(f"/proc/{pid}/net/{proto}").read_text().splitlines()[1:]:
                        fields = line.split()
                        local, state, inode = fields[1], fields[3], int(fields[9])
                        if state == listening:
                            address, port = local.split(":")
                            tables[namespace][inode] = (proto, str(_address(address)), int(port, 16))
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # it ended while we looked
            continue
        for inode in inodes & tables[namespace].keys():
            proto, address, port = tables[namespace][inode]
            found.append((pid, command[:80], proto, address, port))
    return found


def on_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def exposed(sockets: Iterable[tuple[int, str, str, str, int]]) -> list[str]:
    """The sockets not on loopback, said the way a reader fixes them: which process, which port."""
    return sorted({f"{command!r} (pid {pid}) listens on {address}:{port}/{proto[:3]}"
                   for pid, command, proto, address, port in sockets if not on_loopback(address)})
