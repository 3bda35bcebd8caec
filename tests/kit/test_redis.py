"""labkit.services.redis: an embedded Redis on 127.0.0.1 with a password, gone with its owner."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.services import redis
from labkit.services._net import process_alive
from tests.kit.helpers import clean_env, exposed, listening_sockets, wait_until

pytestmark = pytest.mark.skipif(
    redis.binary() is None and not os.environ.get("LABKIT_CI"),
    reason="no Redis binary here (apt-get install redis-tools); in CI it must run",
)


@pytest.fixture(scope="module")
def server():
    with pytest.MonkeyPatch.context() as env:
        env.delenv("LABKIT_REDIS_URL", raising=False)
        started = redis.start_embedded()
    yield started
    started.stop()


def pid_of(server: redis.RedisServer) -> int:
    folder = next(f for f in redis.run_root().glob(f"redis-{os.getpid()}-*") if f"port {server.port}\n" in (f / "redis.conf").read_text())
    return int((folder / "redis.pid").read_text())


def test_it_answers_only_with_its_password_and_only_on_loopback(server):
    assert server.healthy() and server.mode == "embedded"
    import redis as redis_client

    with pytest.raises(redis_client.AuthenticationError):
        redis.attach(f"redis://127.0.0.1:{server.port}/0").client().ping()
    assert redis.attach(server.url()).client().set("k", "v") is True
    pid = pid_of(server)
    assert listening_sockets([pid]) and not exposed(listening_sockets([pid]))


def test_its_password_is_in_no_command_line_and_its_config_is_private(server):
    pid = pid_of(server)
    assert server.password not in Path(f"/proc/{pid}/cmdline").read_text()
    config = next(redis.run_root().glob(f"redis-{os.getpid()}-*/redis.conf"))
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert server.password not in repr(server) and server.password not in server.safe_url()


def test_a_stopped_server_leaves_no_process_and_no_folder():
    started = redis.start_embedded()
    pid, folders = pid_of(started), set(redis.run_root().glob(f"redis-{os.getpid()}-*"))
    started.stop()
    started.stop()  # twice is fine
    assert not process_alive(pid)
    assert set(redis.run_root().glob(f"redis-{os.getpid()}-*")) < folders


def test_no_redis_outlives_a_killed_owner():
    script = (
        "import json, os, sys\n"
        "from labkit.services import redis\n"
        "s = redis.start_embedded()\n"
        "folder = next(redis.run_root().glob(f'redis-{os.getpid()}-*'))\n"
        "print(json.dumps({'pid': int((folder / 'redis.pid').read_text()), 'folder': str(folder)}), flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=clean_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == -signal.SIGKILL, out.stderr[-2000:]
    started = json.loads(out.stdout.strip().splitlines()[-1])
    assert wait_until(lambda: not process_alive(started["pid"]), timeout=15), "Redis outlived its owner"
    assert wait_until(lambda: not Path(started["folder"]).exists(), timeout=5)


def test_a_url_of_ones_own_is_attached_and_never_stopped(server, monkeypatch):
    monkeypatch.setenv("LABKIT_REDIS_URL", server.url())
    attached = redis.start()
    assert isinstance(attached, redis.AttachedRedisServer) and attached.healthy()
    attached.stop()
    assert server.healthy()
    assert attached.env() == {"LABKIT_REDIS_URL": server.url()}  # a child attaches the same way


def test_without_any_redis_it_says_how_to_get_one(monkeypatch):
    monkeypatch.delenv("LABKIT_REDIS_URL", raising=False)
    monkeypatch.setenv("LABKIT_REDIS_SERVER", "/nowhere/redis-server")
    monkeypatch.setattr("labkit.services.postgres.docker_available", lambda: False)
    with pytest.raises(redis.RedisUnavailable, match="apt-get install redis-tools"):
        redis.start()
