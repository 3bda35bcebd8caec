"""S3 for the labs: moto's server on 127.0.0.1, reachable from every process.

Real mode: leave `LABKIT_S3_ENDPOINT` unset and define the `aws_default` connection
yourself (`AIRFLOW_CONN_AWS_DEFAULT`); the kit then does not start moto.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import requests

from labkit.services._net import free_port

REGION = "us-east-1"


@dataclass
class S3Server:
    host: str
    port: int
    _server: Any = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def healthy(self) -> bool:
        try:
            return requests.get(self.endpoint + "/moto-api/", timeout=2).status_code < 500
        except requests.RequestException:
            return False

    def client(self) -> Any:  # a boto3 S3 client (boto3 is untyped)
        """A boto3 S3 client to this server (moto takes any credentials)."""
        return client(self.endpoint)

    def reset(self) -> None:
        """Forget every bucket and object (between tests)."""
        requests.post(self.endpoint + "/moto-api/reset", timeout=5).raise_for_status()

    def stop(self) -> None:
        if self._server is not None:
            # moto keeps buckets in process-wide memory, not per server: without this, the next
            # server this process starts (a second demo, the next test module) would hold them.
            try:
                self.reset()
            except requests.RequestException:
                pass
            self._server.stop()
            self._server = None

    def env(self) -> dict[str, str]:
        conn = {
            "conn_type": "aws",
            "login": "labkit",  # moto accepts any key; these are not secrets
            "password": "labkit",
            "extra": {"endpoint_url": self.endpoint, "region_name": REGION},
        }
        return {
            "LABKIT_S3_ENDPOINT": self.endpoint,
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(conn),
            "AWS_DEFAULT_REGION": REGION,
        }


_session: Any = None
_session_lock = threading.Lock()


def client(endpoint: str) -> Any:
    """A boto3 S3 client to the moto server at `endpoint` (one a parent process started, too).

    From one boto3 session per process: a new session reads botocore's S3 model from disk again
    (~30 ms a client; lab 6's tests make one per test). Sessions are not thread-safe, so client
    creation is serialised; the clients themselves are."""
    global _session
    import boto3

    with _session_lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client("s3", endpoint_url=endpoint, region_name=REGION,
                               aws_access_key_id="labkit", aws_secret_access_key="labkit")


# Lab 6's backups go here (Variable backup_bucket), in the lesson, the demo and the compose stack.
BACKUP_BUCKET = "airflow-backups"


def ensure_bucket(endpoint: str | None, bucket: str) -> None:
    """Create `bucket` on the moto server at `endpoint` unless it exists (no endpoint: real
    S3 is configured, and its buckets are the user's to make)."""
    if not endpoint:
        return
    s3 = client(endpoint)
    if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=bucket)


def start() -> S3Server:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return S3Server(host="127.0.0.1", port=port, _server=server)
