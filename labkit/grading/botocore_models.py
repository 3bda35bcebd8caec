"""botocore's JSON models, parsed once per grading process instead of once per session.

Airflow's S3Hook builds a new boto3 session for every client, and each new session parses
botocore's S3 model and endpoint rules again (~1.5 MB of JSON). A lab 6 grading run makes
about ten such clients: py-spy found 0.9 CPU-s of one 13 s run in `json.loads` alone. This
keeps what a file parsed to, by path, for every later session in the same process; the
zygote parses the S3 models before it forks, so grading children start with them.

Within one session botocore already hands the same parsed dicts to every client it makes:
they are read, never changed (the one in-place step, merging a model's extras, gives the
same result when repeated). Sharing them between sessions is the same contract, one level
up. Only grading processes install it; a student's own kernel runs botocore untouched.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)
_parsed: dict[str, Any] = {}
_lock = threading.Lock()
_installed = False


def install() -> None:
    """Cache botocore's JSON model files for the rest of this process (idempotent)."""
    global _installed
    from botocore import loaders

    with _lock:
        if _installed:
            return
        original = loaders.JSONFileLoader.load_file

        def load_file(self: loaders.JSONFileLoader, file_path: str) -> Any:
            if file_path in _parsed:
                return _parsed[file_path]
            data = original(self, file_path)
            if data is not None:  # a file that is not there may appear later: ask again
                _parsed[file_path] = data
            return data

        loaders.JSONFileLoader.load_file = load_file
        _installed = True


def warm_s3() -> None:
    """Parse the S3 client's models now (in the zygote, before it forks its children)."""
    import boto3

    install()
    boto3.session.Session().client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                                   aws_access_key_id="warm", aws_secret_access_key="warm")
    log.debug("botocore models parsed: %d files", len(_parsed))
