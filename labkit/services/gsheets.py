"""A local fake of Google Sheets (v4), Drive (v3 `files`) and Google's OAuth token endpoint,
enough for gspread 6.2.1 to run unchanged and offline.

The labs' DAGs talk to Sheets through gspread with a service-account key. This fake hands out
such a key (a real RSA key made once per fake), checks the signed JWT that google-auth sends
to `/token` like Google does, demands the bearer token it issued on every call, and keeps the
spreadsheets in memory. `dags/common/sheets.py` points gspread here when the connection's extra
has `api_url`; with a real key and no `api_url` the same DAG talks to Google.

Tests steer it in-process (`create`, `load_csv`, `fail_write`, `values`); other processes only
see HTTP. What the fake simplifies (formulas, formats, dates) is listed in `_gsheets_app`.

    fake = GoogleSheets().start()
    fake.create("Orders", {"Sheet1": [["id", "amount"], [1, 9.5]]})
    client = client_from_info(fake.service_account_info(), fake.url)
    client.open("Orders").sheet1.get_all_records()   # [{"id": 1, "amount": 9.5}]
"""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, overload
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from labkit.services import _gsheets_app as app
from labkit.services._gsheets_app import ApiError, Book
from labkit.services._net import address, reply, serve, shut

CLIENT_EMAIL = "labkit-etl@labkit-local.iam.gserviceaccount.com"
PROJECT_ID = "labkit-local"
TOKEN_LIFETIME = 3600  # seconds, as Google issues them
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLOCK_SKEW = 300  # seconds of iat/exp slack, so a slightly-off clock still gets a token
AUTH_HELP = ("Expected OAuth 2 access token, login cookie or other valid authentication credential. "
             "See https://developers.google.com/identity/sign-in/web/devconsole-project.")
BAD_SIGNATURE = "Invalid JWT Signature."


@dataclass
class GoogleSheets:
    """A running fake (after start()). All state sits behind one lock: gspread calls may come
    from several threads and processes at once."""

    # Where to listen (defaults: a free port of 127.0.0.1) and the base URL other machines use
    # (a container's `http://kit-services:8092`, also the key's token_uri); None: the address it listens on.
    host: str = "127.0.0.1"
    port: int = 0
    public_url: str | None = None
    writes: int = field(default=0, init=False)  # write requests received (failed ones included)
    # (method, percent-decoded path) of every request but health checks, for tests to inspect.
    requests: list[tuple[str, str]] = field(default_factory=list, init=False)
    _books: dict[str, Book] = field(default_factory=dict, init=False, repr=False)
    _tokens: dict[str, float] = field(default_factory=dict, init=False, repr=False)  # token -> expiry
    _failures: dict[int, int] = field(default_factory=dict, init=False, repr=False)  # write number -> status
    _key: rsa.RSAPrivateKey | None = field(default=None, init=False, repr=False)
    _key_id: str = field(default_factory=lambda: secrets.token_hex(20), init=False, repr=False)
    _client_id: str = field(default_factory=lambda: str(10**20 + secrets.randbelow(9 * 10**20)), init=False,
                            repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        if self.public_url:
            return self.public_url.rstrip("/")
        host, port = address(self._server)
        return f"http://{host}:{port}"

    def start(self) -> GoogleSheets:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                fake._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any  # noqa: N815 (http.server's naming)

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

        self._private_key()  # make the key now, not inside the first request
        self._server = serve(Handler, "google-sheets", self.host, self.port)
        return self

    def stop(self) -> None:
        shut(self._server)
        self._server = None

    def healthy(self) -> bool:
        if self._server is None:
            return False
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                status: int = response.status
                return status == 200
        except OSError:
            return False

    def reset(self) -> None:
        """Forget spreadsheets, counters and injected failures; keep the key, tokens and server."""
        with self._lock:
            self._books.clear()
            self._failures.clear()
            self.requests.clear()
            self.writes = 0

    # -- credentials -------------------------------------------------------------------------
    def _private_key(self) -> rsa.RSAPrivateKey:
        if self._key is None:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._key

    def service_account_info(self) -> dict[str, str]:
        """A complete service-account key, shaped like the JSON file Google Cloud gives you.
        Only `token_uri` points at the fake: the other URLs are never fetched."""
        pem = self._private_key().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": self._key_id,
            "private_key": pem,
            "client_email": CLIENT_EMAIL,
            "client_id": self._client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.url + "/token",
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            + CLIENT_EMAIL.replace("@", "%40"),
            "universe_domain": "googleapis.com",
        }

    def env(self, conn_id: str = "google_sheets") -> dict[str, str]:
        # keyfile_dict is where the Google provider looks, and a name Airflow masks in logs.
        conn = {"conn_type": "google_cloud_platform",
                "extra": {"keyfile_dict": json.dumps(self.service_account_info()), "api_url": self.url}}
        return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn), "LABKIT_SHEETS_URL": self.url}

    # -- in-process steering -----------------------------------------------------------------
    def create(self, title: str, tabs: dict[str, list[list[Any]]] | None = None, *, key: str | None = None,
               shared: bool = True) -> str:
        """A new spreadsheet; returns its id. `shared=False`: the service account has no access."""
        tabs = {"Sheet1": []} if tabs is None else tabs
        if not tabs:
            raise ValueError("a spreadsheet needs at least one tab")
        with self._lock:
            book_id = key or app.new_spreadsheet_id()
            if book_id in self._books:
                raise ValueError(f"a spreadsheet with id {book_id!r} already exists")
            book = Book(book_id, title, shared=shared)
            for index, (name, rows) in enumerate(tabs.items()):
                # The first tab of a new spreadsheet has id 0 (gid=0 in its URL), as at Google.
                sheet_id = 0 if index == 0 else book.new_sheet_id()
                book.tabs.append(app.make_tab(sheet_id, name, rows))
            self._books[book_id] = book
            return book_id

    def load_csv(self, title: str, tab: str, csv_text_or_path: str | os.PathLike[str]) -> None:
        """Replace `tab`'s contents with a CSV (text or a file path); cells stay strings exactly as
        written. The spreadsheet and the tab are created when missing."""
        text = _csv_text(csv_text_or_path)
        rows = list(csv.reader(io.StringIO(text, newline="")))
        with self._lock:
            book = self._find(title, missing_ok=True)
            if book is None:
                self.create(title, {tab: rows})
                return
            fresh = app.make_tab(0, tab, rows)
            old = book.tab(tab)
            if old is None:
                fresh.sheet_id = book.new_sheet_id()
                book.tabs.append(fresh)
            else:
                old.cells, old.rows, old.cols = fresh.cells, max(old.rows, fresh.rows), max(old.cols, fresh.cols)
            book.touch()

    def values(self, title_or_id: str, tab: str) -> list[list[str]]:
        """What a person sees in the tab: rows of displayed strings, trailing empties trimmed."""
        with self._lock:
            found = self._find(title_or_id).tab(tab)
            if found is None:
                raise KeyError(f"no tab {tab!r} in spreadsheet {title_or_id!r} (tabs: {self.tabs(title_or_id)})")
            return app.read(found, (0, 0, found.rows, found.cols))

    def tabs(self, title_or_id: str) -> list[str]:
        with self._lock:
            return [tab.title for tab in self._find(title_or_id).tabs]

    def fail_write(self, number: int, status: int = 503) -> None:
        """Make the `number`-th write from now (1 = the next) answer `status` and change nothing."""
        if number < 1:
            raise ValueError("number counts writes from now: 1 is the next one")
        with self._lock:
            self._failures[self.writes + number] = status

    @overload
    def _find(self, title_or_id: str, missing_ok: Literal[False] = False) -> Book: ...
    @overload
    def _find(self, title_or_id: str, missing_ok: bool) -> Book | None: ...

    def _find(self, title_or_id: str, missing_ok: bool = False) -> Book | None:
        if title_or_id in self._books:
            return self._books[title_or_id]
        for book in self._books.values():  # by title: the oldest first, as Drive search lists it
            if book.title == title_or_id:
                return book
        if missing_ok:
            return None
        raise KeyError(f"no spreadsheet with id or title {title_or_id!r}")

    # -- HTTP --------------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        with self._lock:
            if parts.path != "/healthz":  # a watcher's polling must not crowd out what tests look for
                self.requests.append((request.command, unquote(parts.path)))
            try:
                status, answer = self._route(request.command, parts.path, parse_qs(parts.query),
                                             request.headers.get("Authorization", ""), body)
            except ApiError as err:
                status, answer = err.code, err.body()
            except Exception as err:  # noqa: BLE001 - a bug here must reach the client as an answer, not a hang-up
                status, answer = 500, ApiError(
                    500, f"Internal error encountered (labkit's fake: {type(err).__name__}: {err})").body()
        _reply(request, status, answer)

    def _route(self, method: str, raw_path: str, query: dict[str, list[str]], auth: str,
               body: bytes) -> tuple[int, Any]:
        if raw_path == "/healthz":
            return 200, {"status": "ok"}
        if raw_path == "/token" and method == "POST":
            return self._token(parse_qs(body.decode("utf-8", "replace")))
        if raw_path.startswith("/v1/projects/-/serviceAccounts/") and raw_path.endswith("/allowedLocations"):
            # google-auth ≥ 2.4x asks IAM Credentials where the account may be used
            # ("Regional Access Boundary") after each token; unrestricted, like most accounts.
            self._authenticate(auth)
            return 200, {"locations": [], "encodedLocations": "0x0"}
        if not raw_path.startswith(("/v4/spreadsheets/", "/drive/v3/files")):
            raise ApiError(404)
        self._authenticate(auth)
        if raw_path.startswith("/drive/"):
            return self._drive(method, raw_path, query, body)
        return 200, self._sheets(method, raw_path, query, body)

    def _token(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        """The service-account JWT-bearer grant: a valid, fresh JWT signed with our key buys a token."""
        grant = form.get("grant_type", [""])[0]
        if grant != JWT_GRANT:
            return 400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"}
        assertion = form.get("assertion", [""])[0]
        if not assertion:
            return 400, {"error": "invalid_request", "error_description": "Missing required parameter: assertion"}
        problem = self._check_assertion(assertion)
        if problem:
            return 400, {"error": "invalid_grant", "error_description": problem}
        token = "ya29.labkit-" + secrets.token_urlsafe(32)
        self._tokens[token] = time.time() + TOKEN_LIFETIME
        return 200, {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"}

    def _check_assertion(self, assertion: str) -> str | None:
        """Google's complaint about this JWT, or None when it is good."""
        try:
            head_b64, claims_b64, signature_b64 = assertion.split(".")
            header = json.loads(_b64decode(head_b64))
            claims = json.loads(_b64decode(claims_b64))
            signature = _b64decode(signature_b64)
        except ValueError:
            return BAD_SIGNATURE
        if header.get("alg") != "RS256" or header.get("kid", self._key_id) != self._key_id:
            return BAD_SIGNATURE
        try:
            self._private_key().public_key().verify(
                signature, f"{head_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return BAD_SIGNATURE
        if claims.get("iss") != CLIENT_EMAIL:
            return BAD_SIGNATURE
        if not str(claims.get("aud", "")).endswith("/token"):
            return "Invalid JWT: Failed audience check."
        now, iat, exp = time.time(), claims.get("iat", 0), claims.get("exp", 0)
        if not (iat - CLOCK_SKEW <= now <= exp + CLOCK_SKEW) or exp - iat > TOKEN_LIFETIME:
            return ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                    "timeframe. Check your iat and exp values in the JWT claim.")
        return None

    def _authenticate(self, header: str) -> None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "Request is missing required authentication credential. " + AUTH_HELP)
        if self._tokens.get(token.strip(), 0) < time.time():
            raise ApiError(401, "Request had invalid authentication credentials. " + AUTH_HELP)

    def _drive(self, method: str, raw_path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        """Drive v3 `files`: list/search, get, create (a blank spreadsheet) and delete."""
        file_id = unquote(raw_path[len("/drive/v3/files"):].strip("/"))
        if not file_id and method == "GET":
            return 200, self._drive_list(query)
        if not file_id and method == "POST":
            meta = _json(body)
            if meta.get("mimeType") != app.SHEETS_MIME:
                raise ApiError(501, "labkit's fake Drive only creates Google Sheets files")
            return 200, self._books[self.create(meta.get("name") or "Untitled spreadsheet")].drive_file()
        file_id, _, sub_resource = file_id.partition("/")
        if sub_resource:  # permissions (share), export, copy, comments...
            raise ApiError(501, f"labkit's fake Drive does not implement files/{{fileId}}/{sub_resource}")
        book = self._books.get(file_id)
        if book is None or not book.shared:  # Drive hides what you may not see behind a 404
            raise ApiError(404, f"File not found: {file_id}.", errors=[{
                "domain": "global", "reason": "notFound", "message": f"File not found: {file_id}.",
                "locationType": "parameter", "location": "fileId"}])
        if method == "GET":
            return 200, book.drive_file()
        if method == "DELETE":
            del self._books[file_id]
            return 204, None
        raise ApiError(404)

    def _drive_list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        wanted = app.drive_filter(_arg(query, "q") or "")
        found = [book.drive_file() for book in self._books.values() if book.shared and wanted(book)]
        size = max(1, min(int(_arg(query, "pageSize") or 100), 1000))
        start = int(_arg(query, "pageToken") or 0)
        page: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False,
                                "files": found[start:start + size]}
        if start + size < len(found):
            page["nextPageToken"] = str(start + size)
        return page

    def _sheets(self, method: str, raw_path: str, query: dict[str, list[str]], body: bytes) -> dict[str, Any]:
        """Sheets v4. The path is matched before percent-decoding: a tab may be called "a:clear"."""
        rest = raw_path[len("/v4/spreadsheets/"):]
        book_id, sep, tail = rest.partition("/")
        if not sep and book_id.endswith(":batchUpdate"):
            book_id, tail = book_id[: -len(":batchUpdate")], ":batchUpdate"
        book_id = unquote(book_id)
        if method != "GET":
            self._count_write()
        book = self._books.get(book_id)
        if book is None:
            raise ApiError(404)
        if not book.shared:
            raise ApiError(403)
        if tail == "" and method == "GET":
            include = (_arg(query, "includeGridData") or "false").lower() == "true"
            return book.metadata(include_grid=include)
        if tail == ":batchUpdate" and method == "POST":
            return self._atomically(book, lambda copy: {
                "spreadsheetId": copy.id, "replies": app.batch_update(copy, _json(body).get("requests"))})
        if tail == "values:batchGet" and method == "GET":
            return {"spreadsheetId": book.id, "valueRanges": [
                self._get(book, text, query) for text in query.get("ranges", [])]}
        if tail == "values:batchUpdate" and method == "POST":
            return self._atomically(book, lambda copy: _batch_values(copy, _json(body)))
        if tail == "values:batchClear" and method == "POST":
            ranges = _json(body).get("ranges") or []
            return self._atomically(book, lambda copy: {
                "spreadsheetId": copy.id, "clearedRanges": [app.clear(copy, text) for text in ranges]})
        if tail.startswith("values/"):
            return self._values(book, method, tail[len("values/"):], query, body)
        raise ApiError(404)

    def _values(self, book: Book, method: str, raw_range: str, query: dict[str, list[str]],
                body: bytes) -> dict[str, Any]:
        action = ""
        for suffix in (":append", ":clear"):
            if raw_range.endswith(suffix) and method == "POST":
                raw_range, action = raw_range[: -len(suffix)], suffix
        text = unquote(raw_range)
        if method == "GET" and not action:
            return self._get(book, text, query)
        if method == "PUT" and not action:
            data = _json(body)
            return self._atomically(book, lambda copy: app.update(
                copy, text, data.get("values"), data.get("majorDimension"), _arg(query, "valueInputOption")))
        if action == ":append":
            data = _json(body)
            return self._atomically(book, lambda copy: app.append(
                copy, text, data.get("values"), data.get("majorDimension"), _arg(query, "valueInputOption"),
                _arg(query, "insertDataOption")))
        if action == ":clear":
            return self._atomically(book, lambda copy: {"spreadsheetId": copy.id,
                                                        "clearedRange": app.clear(copy, text)})
        raise ApiError(404)

    def _get(self, book: Book, text: str, query: dict[str, list[str]]) -> dict[str, Any]:
        tab, grid = app.resolve(book, text)
        box = app.within_grid(tab, grid)
        major = _arg(query, "majorDimension") or "ROWS"
        answer: dict[str, Any] = {"range": app.a1(tab.title, *box), "majorDimension": major}
        values = app.read(tab, box, _arg(query, "valueRenderOption") or "FORMATTED_VALUE", major)
        if values:  # Google leaves the key out for an empty range
            answer["values"] = values
        return answer

    def _count_write(self) -> None:
        """Every non-GET Sheets call is a write; an injected failure answers before anything changes."""
        self.writes += 1
        status = self._failures.pop(self.writes, None)
        if status is not None:
            raise ApiError(status)

    def _atomically(self, book: Book, change: Callable[[Book], dict[str, Any]]) -> dict[str, Any]:
        """Apply `change` to a copy and keep it only if nothing failed: Google's all-or-nothing."""
        copy = book.clone()
        answer = change(copy)
        self._books[book.id] = copy
        return answer


def _batch_values(book: Book, data: dict[str, Any]) -> dict[str, Any]:
    """values:batchUpdate: each entry is a values.update, all in one all-or-nothing write."""
    responses = [app.update(book, entry.get("range", ""), entry.get("values"), entry.get("majorDimension"),
                            data.get("valueInputOption")) for entry in data.get("data") or []]
    touched = [r for r in responses if "updatedCells" in r]
    return {
        "spreadsheetId": book.id,
        "totalUpdatedRows": sum(r["updatedRows"] for r in touched),
        "totalUpdatedColumns": sum(r["updatedColumns"] for r in touched),
        "totalUpdatedCells": sum(r["updatedCells"] for r in touched),
        "totalUpdatedSheets": len({r["updatedRange"].rpartition("!")[0] for r in touched}),
        "responses": responses,
    }


def _arg(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ApiError(400, "Invalid JSON payload received. Unexpected token.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Invalid JSON payload received. Expected an object.")
    return data


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _csv_text(source: str | os.PathLike[str]) -> str:
    """A CSV's text: `source` is a path when it names an existing file, else the CSV itself."""
    if isinstance(source, os.PathLike) or ("\n" not in source and len(source) < 4096 and Path(source).is_file()):
        return Path(source).read_text(encoding="utf-8-sig")  # -sig: Excel's BOM is not part of cell A1
    return source


def _reply(request: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    reply(request, status, body, "application/json; charset=UTF-8")


def start() -> GoogleSheets:
    return GoogleSheets().start()
