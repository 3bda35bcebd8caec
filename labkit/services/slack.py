"""A local stand-in for a Slack incoming webhook (`https://hooks.slack.com/services/T…/B…/…`).

The labs send alerts from Airflow callbacks with `SlackWebhookHook`; a real workspace
needs an account, the internet and a secret URL nobody should commit. This receiver
answers like Slack does and keeps every request, so a test (or a notebook) can check
what was sent, and a lesson can show what goes wrong:

- `POST /services/<token>` with JSON `{"text": …}` or `{"blocks": […]}` → 200 `ok`
  (text/html, as Slack answers); `application/x-www-form-urlencoded` with a `payload=`
  JSON field is accepted too, as Slack does for old integrations.
- invalid JSON → 400 `invalid_payload`; no text/blocks/attachments → 400 `no_text`.
- any other path → 404 `no_service`, kept in `rejected` ("you posted to the wrong URL");
  any other method on the webhook path → 405, also kept in `rejected`.
- `mode = "error"` → 500 `internal_error` (Slack's outage answer, whatever the payload);
  `mode = "slow"` → the request is held `delay` seconds, then answered like "ok".

The webhook URL contains a secret (the token), so nothing here prints it: `repr()`, the
notebook rendering and error messages show the base URL only.

Tests steer it in-process (`hook.mode`, `hook.clear()`); other processes see only HTTP
and find it through `env()`.
"""
from __future__ import annotations

import html
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from labkit.services._net import address, reply, serve, shut

WEBHOOK_PREFIX = "/services/"
MODES = ("ok", "error", "slow")
PENDING = 0  # `Post.status` while a slow request is still held


def _new_token() -> str:
    # Shaped like Slack's T<team>/B<bot>/<24-char secret> so lessons look real, and random
    # per instance so a URL copied from one run never works against another.
    return "T0LABKIT0/B0LABKIT0/" + secrets.token_urlsafe(18)


@dataclass(repr=False)
class Post:
    """One request as the receiver saw it. Its repr masks the secret part of the path."""

    path: str
    headers: dict[str, str]
    body: bytes
    json: dict[str, Any] | None  # the parsed payload (None when it was not a JSON object)
    text: str | None  # json["text"] when present
    received_at: datetime  # UTC
    status: int  # what we answered; PENDING (0) while a slow request is held
    method: str = "POST"

    def __repr__(self) -> str:
        # Printing `receiver.posts` in a notebook must not show the secret: keep T…/B…, hide the rest.
        path, text = self.path, self.text
        if path.startswith(WEBHOOK_PREFIX) and path.count("/") >= 4:
            head, secret = path.rsplit("/", 1)
            path = head + "/<secret>"
            if secret and text:  # a message that quotes its own webhook URL
                text = text.replace(secret, "<secret>")
        stamp = self.received_at.isoformat(timespec="seconds")
        return f"Post({self.method} {path!r}, status={self.status}, text={text!r}, received_at={stamp!r})"

    def message(self) -> str | None:
        """The text a Slack channel would show: `text`, else text gathered from blocks/attachments."""
        if self.text:
            return self.text
        if not isinstance(self.json, dict):
            return None
        parts = _block_texts(self.json.get("blocks")) + _attachment_texts(self.json.get("attachments"))
        return "\n".join(parts) or None


@dataclass(repr=False, eq=False)
class SlackWebhook:
    """A running fake webhook. `mode`: ok | error (HTTP 500) | slow (held `delay` s, then ok)."""

    mode: str = "ok"
    delay: float = 20.0  # longer than any sensible client timeout
    token: str = field(default_factory=_new_token)
    posts: list[Post] = field(default_factory=list)  # POSTs to the webhook path, in order
    rejected: list[Post] = field(default_factory=list)  # wrong path or wrong method
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    # One Condition guards both lists and wakes wait_for(); handlers run in many threads.
    _lock: threading.Condition = field(default_factory=threading.Condition, repr=False)
    # Held slow requests wait on this Event, not time.sleep, so stop()/clear() free them at once.
    _release: threading.Event = field(default_factory=threading.Event, repr=False)
    # Where to listen (defaults: a free port of 127.0.0.1) and the base URL other machines use
    # (a container's `http://kit-services:8091`); None: the address it listens on.
    host: str = "127.0.0.1"
    port: int = 0
    public_url: str | None = None
    # Called (in the handler's thread) with every request recorded, e.g. to print it.
    on_post: Callable[[Post], None] | None = field(default=None, repr=False)

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL (no secret in it): http://127.0.0.1:PORT, or `public_url` when set."""
        assert self._server is not None, "start() the receiver first"
        if self.public_url:
            return self.public_url.rstrip("/")
        host, port = address(self._server)
        return f"http://{host}:{port}"

    @property
    def webhook_url(self) -> str:
        """The secret URL clients post to. Treat it like a password: do not print or commit it."""
        return self.url + WEBHOOK_PREFIX + self.token

    def start(self) -> SlackWebhook:
        if self._server is not None:
            return self
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                receiver._handle(self)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST  # answered 405 on the webhook path

            def log_message(self, *args: Any) -> None:  # keep test output clean (and the token out of it)
                pass

        self._release = threading.Event()
        self._server = serve(Handler, "slack-webhook", self.host, self.port)
        return self

    def stop(self) -> None:
        self._release.set()  # free held slow requests first, so nothing waits on `delay`
        shut(self._server)
        self._server = None

    def healthy(self) -> bool:
        return self._server is not None

    def env(self, conn_id: str = "slack_alerts") -> dict[str, str]:
        # SlackWebhookHook builds the URL as host + "/" + password, so the token sits in the
        # password field: Airflow masks passwords in task logs, never the host.
        conn = {"conn_type": "slackwebhook", "host": self.url + "/services", "password": self.token}
        return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn), "LABKIT_SLACK_URL": self.url}

    # -- what arrived ---------------------------------------------------------------------------
    def messages(self) -> list[str]:
        """The text of each successful post (status 200), in order, as a channel would show it."""
        with self._lock:
            posts = list(self.posts)
        return [m for p in posts if p.status == 200 and (m := p.message()) is not None]

    def clear(self) -> None:
        """Forget every request and go back to mode "ok" (releases requests held by "slow")."""
        self._release.set()
        self._release = threading.Event()  # later slow requests wait again
        with self._lock:
            self.posts.clear()
            self.rejected.clear()
        self.mode = "ok"

    def wait_for(self, n: int = 1, timeout: float = 5.0) -> list[Post]:
        """Block until `n` posts reached the webhook path (from any thread or process)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.posts) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    hint = ""
                    if self.rejected:
                        paths = ", ".join(sorted({self._safe(p.path) for p in self.rejected}))
                        hint = f"; {len(self.rejected)} request(s) went elsewhere ({paths}): wrong URL or method?"
                    raise TimeoutError(
                        f"waited {timeout:g} s for {n} Slack post(s) at {self.url}{WEBHOOK_PREFIX}<token>, "
                        f"got {len(self.posts)}{hint}"
                    )
                self._lock.wait(left)
            return list(self.posts)

    # -- display ----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        url = self.url if self._server is not None else None
        return f"SlackWebhook(url={url!r}, mode={self.mode!r}, posts={len(self.posts)}, token=<hidden>)"

    def _repr_markdown_(self) -> str:
        """A notebook shows the received messages like a Slack channel, newest last."""
        with self._lock:
            posts = list(self.posts)
        where = self.url if self._server is not None else "stopped"
        lines = [f"**#slack-webhook** ({where}) · {len(posts)} post(s), mode `{self.mode}`", ""]
        if not posts:
            lines.append("_no messages yet_")
        for post in posts:
            stamp = post.received_at.strftime("%H:%M:%S")
            status = "" if post.status == 200 else f" · **HTTP {post.status or 'pending'}**"
            lines.append(f"`{stamp} UTC`{status}")
            # Escape first: the "<token>" placeholder must survive as text, not vanish as a tag.
            text = html.escape(post.message() or "(no text)", quote=False)
            lines.extend("> " + self._safe(line, "&lt;token&gt;") for line in text.splitlines() or [""])
            lines.append("")
        return "\n".join(lines)

    def _safe(self, text: str, placeholder: str = "<token>") -> str:
        # A message (or a wrong path) can itself contain the webhook URL; never show the secret.
        return text.replace(self.token, placeholder)

    # -- HTTP ---------------------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = urlsplit(request.path).path
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length > 0 else b""
        headers = dict(request.headers.items())
        post = Post(path, headers, body, None, None, datetime.now(timezone.utc), PENDING, request.command)

        if path != WEBHOOK_PREFIX + self.token:
            return self._answer(request, post, 404, "no_service", self.rejected)
        if request.command != "POST":
            return self._answer(request, post, 405, "invalid_method", self.rejected, allow="POST")
        payload = _parse(headers.get("Content-Type", ""), body)
        if payload is not None:  # parsed even for an outage: the lesson shows what was lost
            post.json = payload
            post.text = payload.get("text") if isinstance(payload.get("text"), str) else None
        if self.mode == "error":  # an outage does not look at the payload
            return self._answer(request, post, 500, "internal_error", self.posts)
        if self.mode not in MODES:
            return self._answer(request, post, 500, f"labkit: unknown mode {self.mode!r}", self.posts)
        if payload is None:
            return self._answer(request, post, 400, "invalid_payload", self.posts)
        if not _has_content(payload):
            return self._answer(request, post, 400, "no_text", self.posts)

        if self.mode == "slow":
            release = self._release  # clear() swaps the Event; wait on the one current now
            self._record(post, self.posts)  # visible to wait_for() while held, status PENDING
            release.wait(self.delay)
            post.status = 200
            return _reply(request, 200, "ok")
        self._answer(request, post, 200, "ok", self.posts)

    def _record(self, post: Post, into: list[Post]) -> None:
        with self._lock:
            into.append(post)
            self._lock.notify_all()
        if self.on_post is not None:
            self.on_post(post)

    def _answer(
        self, request: BaseHTTPRequestHandler, post: Post, status: int, text: str, into: list[Post], **headers: str
    ) -> None:
        # Record before replying: once a client has its answer, the post is already listed.
        post.status = status
        self._record(post, into)
        _reply(request, status, text, **headers)


def _parse(content_type: str, body: bytes) -> dict[str, Any] | None:
    """The JSON object a client sent, or None (→ invalid_payload)."""
    raw: bytes | str = body
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", "replace"))
        if "payload" in form:  # Slack's form encoding: payload=<url-encoded JSON>
            raw = form["payload"][0]
        # else: curl -d '{"text": …}' sends JSON with the form content type; Slack takes it
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _has_content(payload: dict[str, Any]) -> bool:
    text = payload.get("text")
    if isinstance(text, str) and text.strip():
        return True
    # Slack accepts a message made only of blocks (or legacy attachments), no top-level text.
    return any(isinstance(payload.get(key), list) and payload[key] for key in ("blocks", "attachments"))


def _block_texts(blocks: Any) -> list[str]:
    """Visible text of section/header/context blocks: `text.text`, `fields[].text`, `elements[].text`."""
    found: list[str] = []
    if not isinstance(blocks, list):
        return found
    for block in blocks:
        if not isinstance(block, dict):
            continue
        candidates = [block.get("text"), *(block.get("fields") or [])]
        if block.get("type") == "context":
            candidates += list(block.get("elements") or [])
        for item in candidates:
            if isinstance(item, dict) and isinstance(item.get("text"), str) and item["text"]:
                found.append(item["text"])
            elif isinstance(item, str) and item:
                found.append(item)
    return found


def _attachment_texts(attachments: Any) -> list[str]:
    found: list[str] = []
    for item in attachments if isinstance(attachments, list) else []:
        if isinstance(item, dict):
            text = item.get("text") or item.get("fallback")
            if isinstance(text, str) and text:
                found.append(text)
            found += _block_texts(item.get("blocks"))
    return found


def _reply(request: BaseHTTPRequestHandler, status: int, text: str, **headers: str) -> None:
    reply(request, status, text, "text/html", headers)  # Slack answers text/html, even for "ok"


def start(**kwargs: Any) -> SlackWebhook:
    return SlackWebhook(**kwargs).start()
