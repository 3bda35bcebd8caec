"""Helpers for lab 4's tests: clients of your class, servers that misbehave on purpose, and a
proxy that shows what your client sends."""
from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from labkit.services._net import free_port, reply, serve, shut


def client(api, server, user: str = "monitor", *, url: str | None = None, **kwargs):
    """Your AirflowClient for `user` of the live Airflow (at `url`: through a proxy in front of it)."""
    return api.AirflowClient(url or server.url, user, server.passwords[user], **kwargs)


def closed_url() -> str:
    """A URL where nothing listens: connecting is refused at once."""
    return f"http://127.0.0.1:{free_port()}"


@contextmanager
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers: only a timeout gets a client out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()  # a client still waiting (no timeout) now gets an error and ends
        listener.close()


def jwt_claims(token: str) -> dict:
    """The payload of a JWT (not verified: we only look at what it claims)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# -- a proxy that records what the client sends ----------------------------------------------
@dataclass
class Seen:
    """One request the client sent through the proxy, and Airflow's answer to it."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    status: int
    answer: Any  # the decoded JSON answer (None when it was not JSON)

    def offset(self) -> int:
        try:
            return int(self.params.get("offset", 0))
        except ValueError:
            return -1


@dataclass
class Recorder:
    """What went through a `recording_proxy`, in order."""

    url: str
    seen: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def calls(self, method: str, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.method == method and s.path.rstrip("/") == path.rstrip("/")]

    def add(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)


@contextmanager
def recording_proxy(target: str) -> Iterator[Recorder]:
    """A reverse proxy in front of `target` (the live Airflow) that records every request.

    Point a client at `recorder.url`: its calls reach Airflow unchanged, and the test sees
    what was sent (method, path, query, header names) and what Airflow answered. When the
    block ends the proxy stops: a client still polling then gets "connection refused".
    """
    upstream = httpx.Client(base_url=target, timeout=30)
    recorder = Recorder("")

    class Handler(BaseHTTPRequestHandler):
        def forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            skip = {"host", "content-length", "connection", "accept-encoding", "keep-alive"}
            headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            url = urlsplit(self.path)
            try:
                answer = upstream.request(self.command, self.path, content=body, headers=headers)
            except httpx.HTTPError as error:
                return reply(self, 502, {"detail": f"labkit proxy: {type(error).__name__}"})
            try:
                decoded = answer.json()
            except ValueError:
                decoded = None
            recorder.add(Seen(self.command, url.path, {k: v[-1] for k, v in parse_qs(url.query).items()},
                              {k.lower(): v for k, v in self.headers.items()}, answer.status_code, decoded))
            reply(self, answer.status_code, answer.text if answer.content else None,
                  answer.headers.get("content-type", "application/json"))

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = forward

        def log_message(self, *args: Any) -> None:
            pass

    server = serve(Handler, "labkit recording proxy")
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield recorder
    finally:
        shut(server)
        upstream.close()


# A proxy's answer while the API server behind it is down (nginx's own page, padding included).
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
    + "<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" * 6
)


@contextmanager
def error_page_server(status: int = 502, page: str = NGINX_502) -> Iterator[str]:
    """A server that answers every request with `status` and an HTML page, as a reverse proxy
    in front of a dead API server does."""

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > 0:
                self.rfile.read(length)
            reply(self, status, page, "text/html")

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = answer

        def log_message(self, *args: Any) -> None:
            pass

    server = serve(Handler, "labkit error page")
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        shut(server)


def expired_token(server, token: str, hours_ago: float = 1) -> str:
    """`token` as Airflow would have issued it earlier, expired `hours_ago` hours ago: same
    user and key, so Airflow answers 401 "Token Expired" (not 403 "Invalid JWT token")."""
    import jwt

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(time.time())
    claims.update(iat=now - int(3600 * (hours_ago + 24)), nbf=now - int(3600 * (hours_ago + 24)), exp=now - int(3600 * hours_ago))
    extra = {"kid": header["kid"]} if "kid" in header else None
    return jwt.encode(claims, server.settings["AIRFLOW__API_AUTH__JWT_SECRET"], algorithm=header["alg"], headers=extra)


def queued_run(server, dag_id: str = "fleet_00") -> str:
    """A run of a paused DAG (it stays queued), made with the kit's own API call: a test of
    wait_for_run() must not depend on your trigger_dag_run()."""
    response = server.api("POST", f"dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": {}})
    assert response.status_code == 200, response.text
    return response.json()["dag_run_id"]


# -- pagination ---------------------------------------------------------------------------------
STOP_HINT = "stop as soon as you hold total_entries items (an empty page is only the backstop): the last page is the last request"


def past_the_end(calls) -> tuple[int, int, int] | None:
    """The first request sent after Airflow had already returned every item: (its number,
    its offset, total_entries), or None. Judged on Airflow's answers, whatever the client held."""
    returned: set[str] = set()
    for number, seen in enumerate(calls, 1):
        answer = seen.answer if isinstance(seen.answer, dict) else {}
        total = answer.get("total_entries")
        if number > 1 and isinstance(total, int) and total and len(returned) >= total:
            return number, seen.offset(), total
        for value in answer.values():
            if isinstance(value, list):
                returned.update(str(item.get("dag_id", item.get("key"))) for item in value if isinstance(item, dict))
    return None
