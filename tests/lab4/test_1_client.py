"""Lab 4 · the client: a token instead of basic auth, a timeout on every call, errors a human can act on."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from labkit.grading.checks import check, check_equal, fail, finishes_within
from tests.lab4.helpers import client, closed_url, error_page_server, jwt_claims, recording_proxy, silent_server

ERROR_HINT = "catch the httpx error or the failed response and raise AirflowAPIError with a one-line message"
# Headers every HTTP client sends: not what the test looks for.
STANDARD_HEADERS = {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length", "content-type"}


def _error_name(error) -> str:
    return f"{type(error).__name__}: {error}" if error is not None else "no error"


@pytest.mark.points(2)
def test_token_comes_from_auth_token(api, airflow):
    """token() logs in with POST /auth/token and returns the JWT Airflow 3 issues for the user"""
    token = client(api, airflow).token()
    check(isinstance(token, str) and token.count(".") == 2,
          f"token() should return the JWT string (header.payload.signature), got {str(token)[:60]!r}",
          'POST /auth/token with JSON {"username": …, "password": …}; the answer holds "access_token"')
    check_equal(jwt_claims(token).get("sub"), "monitor", "the token's user (its 'sub' claim)")


@pytest.mark.points(2)
@pytest.mark.timeout(40)  # its own waits (finishes_within) add up to 30 s
def test_calls_send_the_bearer_token(api, airflow):
    """request() sends "Authorization: Bearer <token>" (Airflow 3 answers basic auth with 401)"""
    with recording_proxy(airflow.url) as proxy:  # shows what your client sends
        monitor = client(api, airflow, url=proxy.url)
        outcome = finishes_within(30, lambda: monitor.request("GET", "/api/v2/dags", params={"limit": 1}), "request()")
    sent = proxy.calls("GET", "/api/v2/dags")
    check(bool(sent), "request('GET', '/api/v2/dags') never sent that request"
          + (f": it raised {_error_name(outcome.error)}" if outcome.error else ""))
    auth = sent[0].headers.get("authorization", "")
    scheme = auth.split(" ", 1)[0]
    if scheme != "Bearer" or auth.count(".") != 2:
        others = sorted(set(sent[0].headers) - STANDARD_HEADERS - {"authorization"})
        what = (f"'Authorization: {scheme} …'" if auth else "no Authorization header") + (
            f" (its other headers: {', '.join(others)})" if others else "")
        basic = scheme == "Basic" or any(word in name for name in others for word in ("user", "pass"))
        fail(f"GET /api/v2/dags carried {what}; Airflow 3 wants 'Authorization: Bearer <the JWT from POST /auth/token>'",
             "send headers={'Authorization': f'Bearer {self.token()}'}" + (
                 "; a user and a password in the headers (or auth=(user, password)) is basic auth, which Airflow 3 "
                 "answers with 401" if basic else ""))
    check(outcome.error is None, f"GET /api/v2/dags with a Bearer token failed: {_error_name(outcome.error)}")
    check(isinstance(outcome.result, dict) and "dags" in outcome.result,
          f"request() should return the decoded JSON, got {str(outcome.result)[:80]!r}")


@pytest.mark.points(2)
@pytest.mark.timeout(40)  # its own waits (finishes_within) add up to 30 s
def test_wrong_password_is_explained(api, airflow):
    """A wrong password gives one clear AirflowAPIError (401, naming the user and AIRFLOW_API_PASSWORD, never the password)"""
    wrong = "not-" + airflow.passwords["monitor"]
    bad = api.AirflowClient(airflow.url, "monitor", wrong)
    outcome = finishes_within(30, lambda: bad.request("GET", "/api/v2/dags"), "request() with a wrong password")
    error = outcome.error
    check(isinstance(error, api.AirflowAPIError),
          f"expected AirflowAPIError, got {type(error).__name__ if error else 'no error'}: {error}", ERROR_HINT)
    message = str(error)
    check_equal(error.status, 401, "the error's status")
    check("monitor" in message, f"the message should name the user whose login failed: {message!r}")
    check(wrong not in message, "the message shows the password: error messages end up in logs and chat")
    check("AIRFLOW_API_PASSWORD" in message, f"the message should say what to check (the variable AIRFLOW_API_PASSWORD): {message!r}",
          "a 401 means the credentials: name the user and where they come from (AIRFLOW_API_USER / AIRFLOW_API_PASSWORD)")
    check(len(message.splitlines()) <= 2 and len(message) < 400, f"one or two lines, please, not:\n{message[:400]}")


@pytest.mark.points(2)
@pytest.mark.timeout(70)  # three calls, each allowed 20 s
def test_http_errors_name_status_and_reason(api, airflow):
    """403, 404 and 422 become one-line AirflowAPIErrors carrying the status and Airflow's own reason; 403 names the user"""
    monitor, admin = client(api, airflow), client(api, airflow, "admin")
    cases = [
        (monitor, "GET", "/api/v2/variables", None, 403, "forbidden"),
        (monitor, "GET", "/api/v2/dags/no_such_dag", None, 404, "no_such_dag"),
        (admin, "POST", "/api/v2/dags/lab4_triggered_report/dagRuns", {"execution_date": "2024-01-01T00:00:00Z"}, 422, "execution_date"),
    ]
    for who, method, path, body, status, reason in cases:
        outcome = finishes_within(20, lambda: who.request(method, path, json=body), f"{method} {path}")
        error = outcome.error
        check(isinstance(error, api.AirflowAPIError),
              f"{method} {path} should raise AirflowAPIError ({status}), got {_error_name(error)}", ERROR_HINT)
        check_equal(error.status, status, f"the status of {method} {path}")
        message = str(error)
        check(reason in message.lower(),
              f"the message for {status} should carry Airflow's reason (mentioning {reason!r}): {message!r}",
              "add the response's JSON 'detail' (for 422 a list of {loc, msg}) to the message")
        check(len(message.splitlines()) == 1, f"the message for {status} should be one line, not {len(message.splitlines())}:\n{message[:400]}",
              "join a 422's field errors with '; ', not newlines")
        if status == 422:
            check(re.search(r"refused|rejected", message, flags=re.I) is not None,
                  f"the message for 422 should say the request was refused, not only quote the fields: {message!r}",
                  "a sentence per status (the README's table): 422 → \"Airflow refused the request\", then its field errors")
        if status == 403:
            check("monitor" in message, f"the message for 403 should name the user who may not do this ('monitor'): {message!r}",
                  "\"forbidden for user 'monitor'\": whoever reads it knows which login lacks the permission")


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_an_html_error_page_is_one_short_line(api):
    """A proxy answers 502 with its HTML page (the API server behind it is down): one short AirflowAPIError 502, not a JSON error"""
    with error_page_server(502) as url:
        proxied = api.AirflowClient(url, "monitor", "irrelevant", timeout=5)
        outcome = finishes_within(20, lambda: proxied.request("GET", "/api/v2/monitor/health", authenticated=False),
                                  "request() through a proxy that answers 502")
    error = outcome.error
    not_json = isinstance(error, ValueError)  # json.JSONDecodeError
    check(isinstance(error, api.AirflowAPIError),
          f"expected AirflowAPIError (502), got {_error_name(error)}"[:300]
          + (" (the answer is an HTML page, not JSON)" if not_json else ""),
          "response.json() raises ValueError on a page that is not JSON: catch it and use the response's text, cut short"
          if not_json else ERROR_HINT)
    check_equal(error.status, 502, "the error's status")
    message = str(error)
    check(len(message.splitlines()) <= 2 and len(message) < 400,
          f"one or two short lines, please, not the whole page ({len(message)} characters, {len(message.splitlines())} lines):\n"
          + message[:400], "cut a body that is not JSON short, on one line: ' '.join(response.text.split())[:200]")


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_refused_connection_is_explained(api):
    """No server at the URL: an AirflowAPIError naming the URL, not an httpx traceback"""
    url = closed_url()
    nowhere = api.AirflowClient(url, "monitor", "irrelevant", timeout=5)
    outcome = finishes_within(20, lambda: nowhere.request("GET", "/api/v2/dags"), "a call to a closed port")
    check(isinstance(outcome.error, api.AirflowAPIError),
          f"expected AirflowAPIError, got {type(outcome.error).__name__ if outcome.error else 'no error'}: {outcome.error}",
          ERROR_HINT)
    check(url in str(outcome.error), f"the message should name {url}: {str(outcome.error)!r}")
    check(outcome.error.status is None, f"no answer means no status; got {outcome.error.status!r}")


@pytest.mark.points(2)
@pytest.mark.timeout(30)  # two calls, each allowed 8 s
def test_every_call_has_a_timeout(api):
    """A server that never answers: token() and request() give up after the client's timeout, naming the URL"""
    with silent_server() as url:
        slow = api.AirflowClient(url, "monitor", "irrelevant", timeout=0.5)
        for what, call in (("token()", slow.token), ("request()", lambda: slow.request("GET", "/api/v2/dags"))):
            outcome = finishes_within(8, call, f"{what} against a server that never answers",
                                      "pass timeout=self.timeout to every httpx call (httpx's default is 5 s, requests has none)")
            check(isinstance(outcome.error, api.AirflowAPIError),
                  f"{what}: expected AirflowAPIError after the timeout, got {_error_name(outcome.error)}", ERROR_HINT)
            check(outcome.seconds < 4, f"{what} took {outcome.seconds:.1f} s with timeout=0.5",
                  "pass timeout=self.timeout, not a constant of your own")
            check(url in str(outcome.error), f"{what}: the message should name {url}: {str(outcome.error)!r}")
            check(outcome.error.status is None, f"{what}: no answer means no status; got {outcome.error.status!r}")


def _literal_credentials(path: Path) -> list[str]:
    """Non-empty string constants bound to names that look like credentials."""
    suspicious = ("password", "passwd", "secret", "token", "username")
    found = []

    def named(name: str | None) -> bool:
        return bool(name) and any(word in name.lower() for word in suspicious)

    def literal(node: ast.AST | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
            value = node.value
            # Names of environment variables (AIRFLOW_API_PASSWORD) and paths are fine.
            if value.isupper() or value.startswith("/"):
                return None
            return value
        return None

    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (isinstance(target, (ast.Name, ast.Attribute)) and named(getattr(target, "id", None) or getattr(target, "attr", None))
                        and (value := literal(node.value))):
                    found.append(f"line {node.lineno}: {value!r}")
        elif isinstance(node, ast.keyword) and named(node.arg) and (value := literal(node.value)):
            found.append(f"line {node.value.lineno}: {node.arg}={value!r}")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("get", "getenv") and len(node.args) == 2:
            key, default = node.args
            if isinstance(key, ast.Constant) and named(str(key.value)) and (value := literal(default)):
                found.append(f"line {node.lineno}: default {value!r} for {key.value}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args.args + node.args.kwonlyargs
            defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + node.args.defaults + node.args.kw_defaults
            for arg, default in zip(args, defaults, strict=False):  # defaults of positional-only args may outnumber
                if named(arg.arg) and (value := literal(default)):
                    found.append(f"line {node.lineno}: {arg.arg}={value!r}")
    return found


@pytest.mark.points(2)
def test_credentials_come_from_the_environment(api, monitor, airflow, monkeypatch):
    """from_env() reads AIRFLOW_API_URL/_USER/_PASSWORD, refuses to start without them, and no credential is written in code"""
    built = api.AirflowClient.from_env()
    check_equal((built.base_url, built.username, built.password), (airflow.url, "monitor", airflow.passwords["monitor"]),
                "the client from_env() builds (url, user, password)")
    monkeypatch.delenv("AIRFLOW_API_PASSWORD")
    outcome = finishes_within(10, api.AirflowClient.from_env, "from_env() without AIRFLOW_API_PASSWORD")
    check(isinstance(outcome.error, api.AirflowAPIError),
          "from_env() without AIRFLOW_API_PASSWORD should raise AirflowAPIError, "
          + (f"got {type(outcome.error).__name__}: {outcome.error}" if outcome.error else
             f"but it built a client with password {outcome.result.password!r}"),
          "no default value: a default password is a hard-coded password")
    check("AIRFLOW_API_PASSWORD" in str(outcome.error), f"the message should name AIRFLOW_API_PASSWORD: {str(outcome.error)!r}")
    for module in (api, monitor):
        literals = _literal_credentials(Path(module.__file__))
        check(not literals, f"{Path(module.__file__).name} has credentials written in code: " + "; ".join(literals),
              "read them from the environment (AirflowClient.from_env) or an Airflow Connection")
