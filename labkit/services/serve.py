"""The kit's fakes as one long-running process: what the docker-compose stack's `kit-services` runs.

    python -m labkit.services.serve --host 0.0.0.0 --public-host kit-services \\
        --env-file /kit-shared/services.env --s3-endpoint http://s3:5000

starts, on fixed ports (options change them):
- the Slack webhook receiver (8091): connection `slack_alerts`; every post is printed
  (token masked), so `docker compose logs kit-services` is the class's alert channel;
- the Google Sheets fake (8092), seeded with the course spreadsheet (`labkit.data.budget`);
- the forecast API (8093): Variables `weather_api_url` / `weather_api_key`.

Secrets: the webhook token and the API key come from LABKIT_SLACK_TOKEN and
LABKIT_WEATHER_API_KEY (compose passes them from `.env`, and gives Airflow the same values);
unset, a random one is made. The Sheets service-account key is an RSA key made at every
start, so it cannot come from `.env`: the connections named in SHARED_ENV are written to
`--env-file` (mode 600, shell-quoted) for the Airflow containers' entrypoint to source.
Nothing secret is printed. Runs until SIGTERM or SIGINT, then stops the fakes and exits 0.
"""
from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from labkit.services import gsheets, http_api, s3, slack
from labkit.services._net import address
from labkit.services.s3 import BACKUP_BUCKET

# What --env-file holds: the connections whose secret is made here at start (the Sheets key).
SHARED_ENV = ("AIRFLOW_CONN_GOOGLE_SHEETS",)
PORTS = {"slack": 8091, "sheets": 8092, "weather": 8093}
SLACK_TOKEN_ENV = "LABKIT_SLACK_TOKEN"
WEATHER_KEY_ENV = "LABKIT_WEATHER_API_KEY"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m labkit.services.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)")
    parser.add_argument("--public-host", default=None,
                        help="host name other processes use to reach the fakes (default: --host, or 127.0.0.1)")
    parser.add_argument("--env-file", type=Path, default=None,
                        help="write " + ", ".join(SHARED_ENV) + " here (mode 600) for other containers")
    parser.add_argument("--slack-port", type=int, default=PORTS["slack"])
    parser.add_argument("--sheets-port", type=int, default=PORTS["sheets"])
    parser.add_argument("--weather-port", type=int, default=PORTS["weather"])
    parser.add_argument("--s3-endpoint", default=None,
                        help=f"an S3 (moto) endpoint in which to create the bucket {BACKUP_BUCKET!r}")
    return parser.parse_args(argv)


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """`NAME='value'` lines a shell can source; mode 600 from the first byte, replaced atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".services-", dir=path.parent)  # mkstemp: mode 600
    try:
        with os.fdopen(fd, "w") as out:
            out.write("# written by labkit.services.serve at start; holds secrets, never commit it\n")
            for name, value in env.items():
                out.write(f"{name}={shlex.quote(value)}\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _print_post(receiver: slack.SlackWebhook) -> Callable[[slack.Post], None]:
    """Print each request the receiver answered: the class's alert channel, never the token."""
    def show(post: slack.Post) -> None:
        if post.status == slack.PENDING:
            return  # a "slow" post still held (a mode only in-process tests set)
        if post.path == slack.WEBHOOK_PREFIX + receiver.token:
            print(f"slack: HTTP {post.status}: {receiver._safe(post.message() or '(no text)')}", flush=True)
        else:
            print(f"slack: HTTP {post.status} {post.method} {receiver._safe(post.path)} (wrong URL or method?)",
                  flush=True)
    return show


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    public = args.public_host or (args.host if args.host not in ("0.0.0.0", "", "::") else "127.0.0.1")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    receiver = slack.SlackWebhook(host=args.host, port=args.slack_port)
    if os.environ.get(SLACK_TOKEN_ENV):
        receiver.token = os.environ[SLACK_TOKEN_ENV]
    receiver.on_post = _print_post(receiver)
    sheets = gsheets.GoogleSheets(host=args.host, port=args.sheets_port)
    weather = http_api.WeatherAPI(host=args.host, port=args.weather_port, advance_daily=True)
    if os.environ.get(WEATHER_KEY_ENV):
        weather.api_key = os.environ[WEATHER_KEY_ENV]

    if args.env_file:
        # A file left by the previous start holds a key nobody accepts any more: drop it first,
        # so a container waiting for it (docker/kit-entrypoint.sh) only ever reads a fresh one.
        args.env_file.unlink(missing_ok=True)
    started: list[slack.SlackWebhook | gsheets.GoogleSheets | http_api.WeatherAPI] = []
    try:
        for service in (receiver, sheets, weather):
            # Advertised before start (the Sheets key's token_uri is made from it); port 0 asks
            # the OS for one, known only once bound.
            if service.port:
                service.public_url = f"http://{public}:{service.port}"
            service.start()
            started.append(service)
            if not service.port:
                assert service._server is not None  # start() bound it
                service.public_url = f"http://{public}:{address(service._server)[1]}"
        from labkit.data import budget

        budget.seed(sheets)
        if args.s3_endpoint:
            s3.ensure_bucket(args.s3_endpoint, BACKUP_BUCKET)
            print(f"S3 bucket {BACKUP_BUCKET!r} ready at {args.s3_endpoint}", flush=True)
        if args.env_file:
            shared = {**receiver.env(), **sheets.env(), **weather.env()}
            write_env_file(args.env_file, {name: shared[name] for name in SHARED_ENV})
            print(f"wrote {', '.join(SHARED_ENV)} to {args.env_file} (mode 600)", flush=True)
        print(f"Slack webhook (fake)   {receiver.url}/services/<token from {SLACK_TOKEN_ENV}>  "
              "(connection slack_alerts)", flush=True)
        print(f"Google Sheets (fake)   {sheets.url}  (connection google_sheets; seeded: {budget.SPREADSHEET!r})",
              flush=True)
        print(f"Forecast API (fake)    {weather.url}  (Variables weather_api_url, weather_api_key)", flush=True)
        print(f"listening on {args.host}; SIGTERM or Ctrl-C stops", flush=True)
        while not stop.wait(0.5):  # a timed wait: the signal handler runs promptly
            pass
    finally:
        for service in reversed(started):
            try:
                service.stop()
            except Exception as err:  # noqa: BLE001 - stop the others anyway
                print(f"stopping {type(service).__name__} failed: {err}", file=sys.stderr, flush=True)
    print("kit services stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
