"""Small network helpers shared by the service modules."""
from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port, timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing answered on {host}:{port} within {timeout:.0f} s")


def process_alive(pid: int) -> bool:
    """True while `pid` runs. A zombie (exited, not yet reaped by its parent) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (macOS): os.kill's answer is all we have


def serve(
    handler: type[BaseHTTPRequestHandler], name: str, host: str = "127.0.0.1", port: int = 0
) -> ThreadingHTTPServer:
    """An HTTP server serving in the background: by default on a free port of 127.0.0.1 (the
    local fakes); `labkit.services.serve` binds 0.0.0.0 and fixed ports in a container."""
    server = ThreadingHTTPServer((host, port), handler)
    # Daemon handler threads: a held request never keeps the interpreter alive, and
    # server_close() does not join them.
    server.daemon_threads = True
    # A short poll interval makes shutdown() take milliseconds instead of 0.5 s.
    threading.Thread(target=server.serve_forever, args=(0.02,), name=name, daemon=True).start()
    return server


def address(server: ThreadingHTTPServer) -> tuple[str, int]:
    """(host, port) a server `serve` started listens on."""
    host, port = server.server_address[:2]
    assert isinstance(host, str)  # an AF_INET/AF_INET6 server's host
    return host, port


def shut(server: ThreadingHTTPServer | None) -> None:
    """Stop a server `serve` started (None: nothing to stop)."""
    if server is not None:
        server.shutdown()
        server.server_close()


def reply(
    request: BaseHTTPRequestHandler,
    status: int,
    body: Any,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> None:
    """Answer one request of a local fake: text as is, anything else as JSON, None as empty."""
    data = b"" if body is None else (body if isinstance(body, str) else json.dumps(body)).encode()
    try:
        request.send_response(status)
        if body is not None:
            request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name.capitalize(), value)
        request.end_headers()
        request.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
        pass
