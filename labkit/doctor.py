"""`labkit doctor`: check this machine and say how to fix what is wrong.

Each check prints one line, `ok`, `note` (fine, but worth knowing) or `FIX` followed by
what to do. Every embedded service is started and stopped for real.
"""
from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from labkit.paths import ROOT

OK, NOTE, FIX = "ok  ", "note", "FIX "


@dataclass
class Check:
    status: str
    text: str
    fix: str = ""


def check_python() -> Check:
    v = sys.version_info
    if (3, 11) <= v[:2] < (3, 13):
        return Check(OK, f"Python {v.major}.{v.minor}.{v.micro}")
    return Check(FIX, f"Python {v.major}.{v.minor} is not supported", "use Python 3.11 or 3.12 (pgserver has no 3.13 wheels)")


def check_venv() -> Check:
    inside = sys.prefix != sys.base_prefix and (ROOT / ".venv").resolve() == Path(sys.prefix).resolve()
    stamp = ROOT / ".venv" / ".labkit-installed"
    if not inside:
        return Check(NOTE, f"running from {sys.prefix}, not the project's .venv", "run `make doctor` (it uses .venv)")
    if stamp.exists() and stamp.stat().st_mtime < (ROOT / "uv.lock").stat().st_mtime:
        return Check(FIX, "uv.lock changed since the last install", "run `make install`")
    return Check(OK, "project venv .venv")


def check_airflow() -> Check:
    try:
        installed = version("apache-airflow")
    except PackageNotFoundError:
        return Check(FIX, "Airflow is not installed", "run `make install`")
    if not installed.startswith("3.3."):
        return Check(FIX, f"Airflow {installed} installed; the kit targets 3.3.x", "run `make install`")
    return Check(OK, f"Apache Airflow {installed}")


def check_disk() -> Check:
    free = shutil.disk_usage(ROOT).free / 2**30
    if free < 2:
        return Check(FIX, f"only {free:.1f} GB free on the disk holding the kit", "free at least 2 GB")
    return Check(OK, f"{free:.0f} GB free disk")


def check_ports() -> Check:
    from labkit.services._net import port_open

    busy = [port for port in (8888, 8080) if port_open("127.0.0.1", port, timeout=0.2)]
    if busy:
        return Check(NOTE, f"port(s) {', '.join(map(str, busy))} already in use",
                     "JupyterLab picks another port by itself; or set LABKIT_JUPYTER_PORT")
    return Check(OK, "ports 8888 (JupyterLab) and 8080 (Airflow API) free")


def check_docker() -> Check:
    from labkit.services.postgres import docker_available

    if docker_available():
        return Check(OK, "Docker daemon answers: PostgreSQL will run in a container (set LABKIT_PG_DSN to use yours)")
    return Check(NOTE, "no Docker daemon (optional): PostgreSQL runs embedded from the pgserver wheel")


def check_postgres() -> Check:
    from labkit.services import postgres

    reaped = postgres.reap_orphans()
    started = time.monotonic()
    try:
        server = postgres.start()
    except Exception as err:  # the message is the useful part
        return Check(FIX, f"PostgreSQL did not start: {err}", "run `make doctor` again; if it persists, set LABKIT_PG_DSN to a server you have")
    try:
        healthy = server.healthy()
        server.create_database("labkit_doctor", replace=True)
        server.drop_database("labkit_doctor")
    finally:
        server.stop()
    took = time.monotonic() - started
    note = f" (stopped {reaped} left over from a crashed run)" if reaped else ""
    if not healthy:
        return Check(FIX, "PostgreSQL started but does not answer", "check .labkit/run/*/server.log")
    return Check(OK, f"PostgreSQL ({server.mode}) starts, answers and stops in {took:.1f} s{note}")


def check_s3() -> Check:
    from labkit.services import s3

    try:
        server = s3.start()
    except Exception as err:
        return Check(FIX, f"S3 (moto) did not start: {err}", "run `make install`")
    try:
        ok = server.healthy()
    finally:
        server.stop()
    return Check(OK if ok else FIX, "S3 (moto) starts and answers" if ok else "S3 (moto) does not answer")


def check_redis() -> Check:
    from labkit.services import redis

    started = time.monotonic()
    try:
        server = redis.start()
    except redis.RedisUnavailable:
        # Only Celery (scale-out) needs it: a note, with the ways to get one.
        return Check(NOTE, "no Redis server (Celery's broker, for scaling out)", redis.HOW_TO_GET_ONE.replace("\n", "\n         "))
    except Exception as err:
        return Check(FIX, f"Redis did not start: {err}", "check .labkit/run/redis-*/server.log, or set LABKIT_REDIS_URL")
    try:
        healthy = server.healthy()
    finally:
        server.stop()
    took = time.monotonic() - started
    if not healthy:
        return Check(FIX, "Redis started but does not answer", "set LABKIT_REDIS_URL to a Redis of your own")
    return Check(OK, f"Redis ({server.mode}) starts, answers and stops in {took:.1f} s")


def check_weather_api() -> Check:
    import requests

    from labkit.services import http_api

    api = http_api.start()
    try:
        params: dict[str, str | int] = {"lat": 1, "lon": 1, "appid": api.api_key}
        answer = requests.get(api.url, params=params, timeout=5)
        ok = answer.status_code == 200 and len(answer.json()["daily"]) == 8
    finally:
        api.stop()
    return Check(OK if ok else FIX, "weather API fake answers" if ok else "weather API fake answered wrongly")


def check_airflow_home() -> Check:
    from labkit.services import airflow

    started = time.monotonic()
    try:
        template = airflow.template_db()
    except Exception as err:
        return Check(FIX, f"the Airflow metadata DB could not be migrated: {err}", "run `make install`, then `make doctor`")
    return Check(OK, f"Airflow metadata DB template ready ({template.name}, {time.monotonic() - started:.1f} s)")


CHECKS: list[Callable[[], Check]] = [
    check_python, check_venv, check_airflow, check_disk, check_ports, check_docker,
    check_postgres, check_s3, check_redis, check_weather_api, check_airflow_home,
]


def main() -> int:
    print("labkit doctor")
    failed = False
    for run in CHECKS:
        try:
            result = run()
        except Exception as err:  # a check must never crash the doctor
            result = Check(FIX, f"{run.__name__} crashed: {type(err).__name__}: {err}", "please report this")
        print(f"  {result.status} {result.text}")
        if result.fix and result.status != OK:
            print(f"       → {result.fix}")
        failed = failed or result.status == FIX
    print("All good." if not failed else "Some checks need a fix (see → above).")
    return 1 if failed else 0
