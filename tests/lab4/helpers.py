"""Helpers for lab 4's tests: clients of your class, and servers that misbehave on purpose."""
from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from labkit.services._net import free_port


def client(api, server, user: str = "monitor", **kwargs):
    """Your AirflowClient for `user` of the live Airflow."""
    return api.AirflowClient(server.url, user, server.passwords[user], **kwargs)


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
