"""An S3 that enforces IAM, for lab 7's least-privilege policy: moto's S3 and IAM on
127.0.0.1, in a process of their own (see _s3_iam_app).

    with s3_iam.start() as s3:                      # an admin user exists; IAM is enforced
        keys = s3.user("airflow", policy)            # a user with that inline policy, and its keys
        s3.client(keys).put_object(...)              # AccessDenied where the policy says no
        s3.client(s3.admin).create_bucket(...)       # the admin may do anything
        s3.connection(keys)                          # Airflow's aws connection for that user

A key nobody created is refused (InvalidAccessKeyId), so is a wrong secret
(SignatureDoesNotMatch). The labs' everyday S3 (labkit.services.s3) takes any key; this one
only serves what checks a policy. It dies with its owner: its stdin is the owner's pipe.
"""
from __future__ import annotations

import json
import select
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from labkit.services._net import free_port
from labkit.services.s3 import REGION

ADMIN = "labkit-admin"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class Keys:
    """An IAM user's access key."""

    user: str
    access_key: str
    secret_key: str = field(repr=False)


@dataclass
class IamS3Server:
    port: int
    admin: Keys
    _process: subprocess.Popen[str] | None = field(default=None, repr=False)
    host: str = "127.0.0.1"

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self, keys: Keys, service: str = "s3") -> Any:  # boto3 is untyped
        return _client(self.endpoint, service, keys.access_key, keys.secret_key)

    def user(self, name: str, policy: Mapping[str, Any]) -> Keys:
        """A new user `name` whose only rights are `policy` (an IAM policy document), and its key."""
        iam = self.client(self.admin, "iam")
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return Keys(name, key["AccessKeyId"], key["SecretAccessKey"])

    def connection(self, keys: Keys) -> dict[str, Any]:
        """An Airflow `aws` connection (as AIRFLOW_CONN_* JSON holds it) for this user."""
        return {"conn_type": "aws", "login": keys.access_key, "password": keys.secret_key,
                "extra": {"endpoint_url": self.endpoint, "region_name": REGION}}

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the server's cue to leave
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> IamS3Server:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _client(endpoint: str, service: str, access_key: str, secret_key: str) -> Any:
    import boto3

    return boto3.session.Session().client(service, endpoint_url=endpoint, region_name=REGION,
                                          aws_access_key_id=access_key, aws_secret_access_key=secret_key)


def start(timeout: float = 60.0) -> IamS3Server:
    """A fresh server with one admin user, enforcing IAM from the first request it serves us."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "labkit.services._s3_iam_app", str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True,  # a Ctrl-C reaches us; we stop it
    )
    server = IamS3Server(port, Keys(ADMIN, "", ""), process)
    try:
        _expect(process, "READY", timeout)
        # While nothing is checked yet: the admin, from whom every other user comes.
        iam = _client(server.endpoint, "iam", "bootstrap", "bootstrap")
        iam.create_user(UserName=ADMIN)
        iam.put_user_policy(UserName=ADMIN, PolicyName="everything", PolicyDocument=json.dumps(ALLOW_ALL))
        key = iam.create_access_key(UserName=ADMIN)["AccessKey"]
        server.admin = Keys(ADMIN, key["AccessKeyId"], key["SecretAccessKey"])
        assert process.stdin is not None
        process.stdin.write("enforce\n")
        process.stdin.flush()
        _expect(process, "ENFORCING", timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _expect(process: subprocess.Popen[str], word: str, timeout: float) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        readable, _, _ = select.select([process.stdout], [], [], 0.5)
        if not readable:
            continue
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the IAM-enforcing S3 exited while starting (code {process.wait()})")
        if line.strip() == word:
            return
    raise RuntimeError(f"the IAM-enforcing S3 did not say {word} within {timeout:.0f} s")
