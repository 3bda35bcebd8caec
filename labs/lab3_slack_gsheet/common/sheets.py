# Generated from dags/common/sheets.py by `labkit release`: edit the parts marked TODO.
"""Google Sheets clients from an Airflow connection, with the key kept in memory.

The service account's JSON key lives in the connection `google_sheets`, in the extra
field `keyfile_dict` — the same place the Google provider's hooks look, and a name
Airflow masks in the UI and in task logs. It is parsed here and handed to gspread as a
dict; it is never written to a file. (The course wrote it to a fixed path on every run
and never deleted it: anyone who could read that disk held the key.)

Local mode: when the connection's extra also has `api_url`, every Sheets and Drive call
goes there instead of googleapis.com. The kit's fake Google Sheets sets it; with a real
service account you leave it out and nothing else changes.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import gspread
import requests
from google.auth.transport.requests import AuthorizedSession, Request
from gspread.http_client import HTTPClient

from airflow.sdk import BaseHook

CONN_ID = "google_sheets"
REQUIRED_KEYS = ("type", "client_email", "private_key", "token_uri")
TIMEOUT_SECONDS = 30  # a Sheets call that takes longer is stuck, not slow


class ServiceAccountError(ValueError):
    """The connection does not hold a usable service-account key. Says what to fix, never the key."""


def service_account_info(raw: Any, conn_id: str = CONN_ID) -> dict[str, Any]:
    """The key as a dict, or ServiceAccountError saying what is wrong with it.

    Messages name the connection and the problem, and never quote the key: a traceback
    that prints it would put it in the task log.
    """
    # TODO: accept a dict or a JSON string; refuse empty values, invalid JSON (say line and column, not the text), a type other than "service_account", and missing REQUIRED_KEYS — naming the connection
    raise NotImplementedError('TODO: accept a dict or a JSON string; refuse empty values, invalid JSON (say line and column, not the text), a type other than "service_account", and missing REQUIRED_KEYS — naming the connection')


def _local(url: str, base: str) -> str:
    """https://<anything>.googleapis.com/path → <base>/path; other URLs unchanged."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname and parts.hostname.endswith(".googleapis.com"):
        return base + parts.path + (f"?{parts.query}" if parts.query else "")
    return url


class _LocalSession(requests.Session):
    """A requests session that sends Google API calls to a local fake."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        return super().request(method, _local(url, self.base), *args, **kwargs)


def redirected(api_url: str) -> type[HTTPClient]:
    """A gspread HTTP client whose every call — gspread's, and google-auth's own (the token,
    the IAM "allowed locations" lookup) — goes to `api_url` instead of googleapis.com.

    gspread builds URLs from constants it imports by name into several modules, so
    patching them is fragile; rewriting where requests leave is not.
    """
    base = api_url.rstrip("/")

    class RedirectedHTTPClient(HTTPClient):
        def __init__(self, auth: Any, session: Any = None) -> None:
            # google-auth makes requests of its own through `auth_request`: send those here too.
            session = session or AuthorizedSession(auth, auth_request=Request(_LocalSession(base)))
            super().__init__(auth, session)
            self.auth = auth  # HTTPClient only keeps it when it builds the session itself

        def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any):
            return super().request(method, _local(endpoint, base), *args, **kwargs)

    return RedirectedHTTPClient


def client_from_info(info: dict[str, Any], api_url: str | None = None) -> gspread.Client:
    """A gspread client for this service account (optionally against a local fake)."""
    client = gspread.service_account_from_dict(info, http_client=redirected(api_url) if api_url else HTTPClient)
    client.set_timeout(TIMEOUT_SECONDS)
    return client


def sheets_client(conn_id: str = CONN_ID) -> gspread.Client:
    """A gspread client for the service account held by the Airflow connection `conn_id`."""
    extra = BaseHook.get_connection(conn_id).extra_dejson
    info = service_account_info(extra.get("keyfile_dict"), conn_id)
    return client_from_info(info, extra.get("api_url"))
