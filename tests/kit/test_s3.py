"""labkit.services.s3: moto on 127.0.0.1, reached with boto3 through its endpoint."""
from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest

from labkit.services import s3


@pytest.fixture(scope="module")
def server():
    started = s3.start()
    yield started
    started.stop()


@pytest.fixture
def client(server):
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        region_name=s3.REGION,
        aws_access_key_id="labkit",
        aws_secret_access_key="labkit",
    )


def bucket_names(client) -> list[str]:
    return sorted(bucket["Name"] for bucket in client.list_buckets()["Buckets"])


def test_buckets_and_objects_round_trip_through_the_endpoint(server, client):
    assert server.healthy()
    client.create_bucket(Bucket="kit-backups")
    client.put_object(Bucket="kit-backups", Key="daily/2026-11-01.sql", Body=b"-- dump")
    assert bucket_names(client) == ["kit-backups"]
    body = client.get_object(Bucket="kit-backups", Key="daily/2026-11-01.sql")["Body"].read()
    assert body == b"-- dump"


def test_reset_forgets_every_bucket(server, client):
    client.create_bucket(Bucket="kit-leftover")
    assert "kit-leftover" in bucket_names(client)
    server.reset()
    assert bucket_names(client) == []


def test_env_describes_the_aws_default_connection(server):
    env = server.env()
    conn = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert conn["conn_type"] == "aws"
    assert conn["extra"] == {"endpoint_url": server.endpoint, "region_name": s3.REGION}
    assert env["LABKIT_S3_ENDPOINT"] == server.endpoint
    assert server.endpoint.startswith("http://127.0.0.1:")


CACHED_MODELS = """
import json, sys
import boto3
from botocore import loaders
from labkit.grading import botocore_models

botocore_models.install()
botocore_models.install()  # twice: still one cache

def client():
    return boto3.session.Session().client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                                          aws_access_key_id="labkit", aws_secret_access_key="labkit")

client()
parsed = []
real = loaders.json.loads
loaders.json.loads = lambda *args, **kwargs: parsed.append(1) or real(*args, **kwargs)
second = client()  # a new session, as Airflow's S3Hook makes for every client
second.create_bucket(Bucket="kit-models")
second.put_object(Bucket="kit-models", Key="k", Body=b"still works")
print(json.dumps({"parsed_again": len(parsed), "body": second.get_object(Bucket="kit-models", Key="k")["Body"].read().decode()}))
"""


def test_grading_parses_botocores_models_once_per_process(server):
    """A new boto3 session parses no JSON once the cache holds its models, and its client works."""
    done = subprocess.run([sys.executable, "-c", CACHED_MODELS, server.endpoint], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"parsed_again": 0, "body": "still works"}
