"""Redis, the Celery broker of lab 7: a real server, embedded by default.

    server = redis.start()          # LABKIT_REDIS_URL, else Docker, else the embedded binary
    server.url                      # redis://:<password>@127.0.0.1:<port>/0
    server.stop()

Where the server comes from, first that works:
    LABKIT_REDIS_URL     a Redis of your own (attached: never stopped here)
    Docker               testcontainers' redis image, when a Docker daemon answers
    embedded             Debian's Redis binary run from a folder under .labkit/run/: no service
                         installed, nothing listening before or after. `apt-get install
                         redis-tools` provides it (its redis-check-rdb is the whole server,
                         which runs as a server when called by the name redis-server; the
                         redis-server package would also install and start a system daemon).
                         LABKIT_REDIS_SERVER names another binary.

An embedded server listens on 127.0.0.1 only, with a generated password (in a private config
file, never on the command line where `ps` shows it), keeps nothing on disk, and is stopped by
a watchdog when the process that started it dies, however it dies.
"""
from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from labkit.private_files import write_private
from labkit.services import _run_folders
from labkit.services._net import free_port
from labkit.services._net import process_alive as _alive
from labkit.services._run_folders import run_root

if TYPE_CHECKING:
    import redis as redis_client

DOCKER_IMAGE = "redis:7-alpine"
# Where Debian's packages put it: redis-tools' multi-call binary, or redis-server's name for it.
BINARIES = ("/usr/bin/redis-server", "/usr/bin/redis-check-rdb")
HOW_TO_GET_ONE = (
    "No Redis server found. Any one of these works:\n"
    "  sudo apt-get install redis-tools      (Debian/Ubuntu: the server binary, no system service)\n"
    "  brew install redis                    (macOS)\n"
    "  export LABKIT_REDIS_URL=redis://:password@host:6379/0   (a Redis of your own)\n"
    "  a running Docker daemon               (the kit starts redis:7-alpine itself)"
)


class RedisUnavailable(RuntimeError):
    """No Redis can be had on this machine; the message says how to get one."""


@dataclass
class RedisServer:
    """A running server and how to reach it. `stop()` is safe to call twice."""

    host: str
    port: int
    password: str = field(default="", repr=False)  # never in a printed object
    mode: str = "embedded"  # embedded | docker
    _stopper: Callable[[], None] | None = field(default=None, repr=False)

    def url(self, db: int = 0) -> str:
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/{db}"

    def safe_url(self, db: int = 0) -> str:
        """The URL with the password masked, for printing."""
        return self.url(db).replace(quote(self.password, safe=""), "***") if self.password else self.url(db)

    def client(self) -> redis_client.Redis:
        """A redis-py client to this server (the library Celery's broker uses)."""
        import redis as redis_client  # the PyPI package: this module is labkit.services.redis

        return redis_client.Redis(host=self.host, port=self.port, password=self.password or None,
                                  socket_timeout=2, socket_connect_timeout=2)

    def healthy(self) -> bool:
        import redis as redis_client

        try:
            return bool(self.client().ping())
        except (redis_client.RedisError, OSError):
            return False

    def stop(self) -> None:
        if self._stopper is not None:
            stopper, self._stopper = self._stopper, None
            stopper()

    def env(self) -> dict[str, str]:
        """What a child process needs to attach to this server instead of starting one."""
        return {"LABKIT_REDIS_URL": self.url()}


@dataclass
class AttachedRedisServer(RedisServer):
    """A server someone else started and stops (LABKIT_REDIS_URL, or a parent's)."""

    mode: str = "attached"

    def stop(self) -> None:
        """Left running: its owner stops it."""


def attach(url: str) -> AttachedRedisServer:
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError("LABKIT_REDIS_URL must look like redis://:password@host:6379/0")
    return AttachedRedisServer(host=parts.hostname or "127.0.0.1", port=parts.port or 6379,
                               password=unquote(parts.password or ""))


def binary() -> str | None:
    """The Redis server binary this machine has, or None."""
    chosen = os.environ.get("LABKIT_REDIS_SERVER")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    found = shutil.which("redis-server")
    if found:
        return found
    return next((path for path in BINARIES if os.access(path, os.X_OK)), None)


def start(*, prefer: str | None = None) -> RedisServer:
    """A server by the priority in the module docstring; RedisUnavailable says how to get one."""
    url = os.environ.get("LABKIT_REDIS_URL")
    if prefer in (None, "url") and url:
        return attach(url)
    from labkit.services.postgres import docker_available

    # testcontainers' Redis module needs the redis client package (lab 7's Celery brings it).
    if prefer == "docker" or (prefer is None and importlib.util.find_spec("redis") and docker_available()):
        return _start_docker()
    if binary() is None:
        raise RedisUnavailable(HOW_TO_GET_ONE)
    return start_embedded()


def _start_docker() -> RedisServer:
    from testcontainers.redis import RedisContainer

    password = secrets.token_urlsafe(16)
    container = RedisContainer(DOCKER_IMAGE, password=password)
    container.start()
    return RedisServer(host=container.get_container_host_ip(), port=int(container.get_exposed_port(6379)),
                       password=password, mode="docker", _stopper=container.stop)


# -- the embedded server ---------------------------------------------------------------------
def start_embedded(timeout: float = 10.0) -> RedisServer:
    """A server in a fresh folder under .labkit/run/, removed (and the server stopped) by
    `stop()`, or by its watchdog when this process dies first."""
    found = binary()
    if found is None:
        raise RedisUnavailable(HOW_TO_GET_ONE)
    reap_orphans()
    folder = run_root() / f"redis-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    folder.mkdir(parents=True)
    (folder / "owner.pid").write_text(str(os.getpid()))
    # Called by that name, Debian's multi-call binary is the server (not its RDB checker).
    program = folder / "redis-server"
    program.symlink_to(found)
    port, password = free_port(), secrets.token_urlsafe(24)
    write_private(folder / "redis.conf", "\n".join([
        "bind 127.0.0.1", "protected-mode yes", f"port {port}",
        f"requirepass {password}", 'save ""', "appendonly no", f"dir {folder}",
        f"pidfile {folder / 'redis.pid'}", f"logfile {folder / 'server.log'}", "daemonize no",
        # A broker for a few workers: no need for Redis's defaults sized for production.
        "databases 4", "maxclients 200",
    ]) + "\n")
    process = subprocess.Popen([str(program), str(folder / "redis.conf")], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    watchdog = subprocess.Popen(
        [sys.executable, "-m", "labkit.services.watchdog", str(os.getpid()), str(folder), "--redis"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )

    def stop() -> None:
        if process.poll() is None:
            process.terminate()  # SIGTERM: Redis exits at once (nothing to save)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)  # tells the watchdog to leave
        if watchdog.poll() is None:
            watchdog.terminate()
        watchdog.wait()

    server = RedisServer(host="127.0.0.1", port=port, password=password, mode="embedded", _stopper=stop)
    deadline = time.monotonic() + timeout
    while not server.healthy():
        if process.poll() is not None or time.monotonic() > deadline:
            log = (folder / "server.log").read_text(errors="replace")[-2000:] if (folder / "server.log").exists() else ""
            server.stop()
            raise RuntimeError(f"Redis did not start (exit code {process.returncode}):\n{log}")
        time.sleep(0.02)
    return server


def stop_folder(folder: Path) -> None:
    """Stop the server whose files are in `folder` (its owner died) and remove them."""
    try:
        pid = int((folder / "redis.pid").read_text().strip())
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)  # nothing on disk to save, no clients left to serve
    except (OSError, ValueError):
        pass
    shutil.rmtree(folder, ignore_errors=True)


def orphans() -> list[Path]:
    """Server folders whose owner process is gone."""
    return _run_folders.orphans("redis")


def reap_orphans() -> int:
    folders = orphans()
    for folder in folders:
        stop_folder(folder)
    return len(folders)
