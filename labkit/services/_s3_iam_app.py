"""The S3 of labkit.services.s3_iam, in a process of its own:

    python -m labkit.services._s3_iam_app PORT

moto's S3, IAM and STS on 127.0.0.1:PORT. Nothing is checked until the owner writes
`enforce` on our stdin (it creates its users first); from then on every request is checked
against its caller's IAM policies. moto keeps that switch process-wide, hence this process:
the labs' own S3 (labkit.services.s3) takes any key.

moto's control API (/moto-api/: wipe the data, turn the checks off again) answers 403 to
everyone, so a submission that reaches the port cannot undo the checks it is graded by.
When the owner stops us or dies, our stdin closes and we exit.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

CONTROL_API = "/moto-api"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def without_control_api(app: WSGIApp) -> WSGIApp:
    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if str(environ.get("PATH_INFO", "")).startswith(CONTROL_API):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"moto's control API is closed on this server\n"]
        return app(environ, start_response)

    return guarded


def enforce() -> None:
    """From the next request on, moto checks every caller's signature and policies."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0


def main() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    port = int(sys.argv[1])
    app = without_control_api(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY", flush=True)
    for line in sys.stdin:
        if line.strip() == "enforce":
            enforce()
            print("ENFORCING", flush=True)
    # stdin closed: the owner is done with us, or dead


if __name__ == "__main__":
    main()
