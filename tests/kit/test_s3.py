"""labkit.services.s3: moto on 127.0.0.1, reached with boto3 through its endpoint."""
from __future__ import annotations

import json

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
