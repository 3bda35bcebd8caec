"""The IAM-enforcing S3 (labkit.services.s3_iam) that lab 7's least-privilege policy is graded
on: real boto3 clients over HTTP, signed with keys the server issued."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import requests
from botocore.exceptions import ClientError

from labkit.paths import ROOT
from labkit.services import s3_iam
from labkit.services._net import process_alive
from tests.kit.helpers import clean_env, wait_until

pytestmark = pytest.mark.timeout(120)

BUCKET = "airflow"
LOGS_AND_BACKUPS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
         "Resource": [f"arn:aws:s3:::{BUCKET}/logs/*", f"arn:aws:s3:::{BUCKET}/backups/*"]},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"},
    ],
}


def _error(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def server():
    with s3_iam.start() as started:
        started.client(started.admin).create_bucket(Bucket=BUCKET)
        yield started


def test_a_policy_allows_what_it_names_and_nothing_else(server):
    keys = server.user("airflow-logs", LOGS_AND_BACKUPS)
    s3 = server.client(keys)
    s3.put_object(Bucket=BUCKET, Key="logs/dag_id=x/attempt=1.log", Body=b"ran")
    assert s3.get_object(Bucket=BUCKET, Key="logs/dag_id=x/attempt=1.log")["Body"].read() == b"ran"
    s3.put_object(Bucket=BUCKET, Key="backups/metadata.sql.gz", Body=b"dump")
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="logs/")["KeyCount"] == 1
    assert _error(lambda: s3.put_object(Bucket=BUCKET, Key="other/x", Body=b"no")) == "AccessDenied"
    assert _error(lambda: s3.delete_object(Bucket=BUCKET, Key="logs/dag_id=x/attempt=1.log")) == "AccessDenied"
    assert _error(lambda: s3.create_bucket(Bucket="elsewhere")) == "AccessDenied"


def test_a_policy_of_everything_is_visibly_too_wide(server):
    """What lab 7 grades as the mistake: s3:* on * lets Airflow's key write anywhere."""
    keys = server.user("airflow-everything", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    server.client(keys).put_object(Bucket=BUCKET, Key="other/x", Body=b"anywhere")


def test_unknown_keys_and_wrong_secrets_are_refused(server):
    keys = server.user("airflow-secret", LOGS_AND_BACKUPS)
    stranger = s3_iam.Keys("nobody", "AKIAIOSFODNN7EXAMPLE", "not-a-secret")
    assert _error(lambda: server.client(stranger).list_objects_v2(Bucket=BUCKET)) == "InvalidAccessKeyId"
    forged = s3_iam.Keys(keys.user, keys.access_key, "wrong")
    assert _error(lambda: server.client(forged).list_objects_v2(Bucket=BUCKET)) == "SignatureDoesNotMatch"
    assert "wrong" not in repr(forged) and keys.secret_key not in repr(keys)


def test_nobody_can_turn_the_checks_off_or_wipe_the_data(server):
    keys = server.user("airflow-control", LOGS_AND_BACKUPS)
    for path, body in (("/moto-api/reset-auth", "inf"), ("/moto-api/reset", "")):
        answer = requests.post(server.endpoint + path, data=body, timeout=5)
        assert answer.status_code == 403, (path, answer.status_code)
    assert _error(lambda: server.client(keys).put_object(Bucket=BUCKET, Key="other/y", Body=b"no")) == "AccessDenied"
    assert server.client(server.admin).head_bucket(Bucket=BUCKET)  # still there


OWNER = """
import json, time
from labkit.services import s3_iam
s = s3_iam.start()
print(json.dumps({"pid": s._process.pid, "port": s.port}), flush=True)
time.sleep(600)
"""


def test_the_server_stops_with_its_owner_even_killed_outright():
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER],
        cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        started = json.loads(owner.stdout.readline())
        assert process_alive(started["pid"])
    finally:
        os.killpg(owner.pid, signal.SIGKILL)
        owner.wait()
    assert wait_until(lambda: not process_alive(started["pid"]), timeout=10), "the S3 outlived its owner"


def test_stop_leaves_nothing_running():
    server = s3_iam.start()
    pid = server._process.pid
    server.stop()
    server.stop()  # twice is fine
    assert not process_alive(pid) and not server.alive()
