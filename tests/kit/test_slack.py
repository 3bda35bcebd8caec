"""labkit.services.slack: a local Slack incoming webhook, reached by Airflow's hook and slack_sdk."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timezone
from urllib.parse import urlencode

import pytest

from labkit.services.slack import PENDING, SlackWebhook


@pytest.fixture(scope="module")
def receiver():
    started = SlackWebhook().start()
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def fresh(receiver):
    receiver.clear()  # also releases a request a previous "slow" test left held


@pytest.fixture
def hook_cls(receiver, monkeypatch):
    """SlackWebhookHook with the connection `slack_alerts` pointing at the receiver."""
    for key, value in receiver.env().items():
        monkeypatch.setenv(key, value)
    # Imported here: Airflow's import (~4 s) is the bulk of this file's run time.
    from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

    return SlackWebhookHook


def post(url: str, data: bytes, content_type: str = "application/json", method: str = "POST") -> tuple[int, str, str]:
    """(status, body, content type) without raising on 4xx/5xx."""
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers["Content-Type"]


def captured(caplog, capfd) -> str:
    """Everything logged: stdlib records (caplog) and what structlog printed (stdout/stderr)."""
    out, err = capfd.readouterr()
    return caplog.text + out + err


# -- what real clients see ---------------------------------------------------------------------
def test_airflow_hook_posts_and_the_receiver_records_it(receiver, hook_cls):
    response = hook_cls(slack_webhook_conn_id="slack_alerts").send_text("hello")
    assert (response.status_code, response.body) == (200, "ok")
    [got] = receiver.posts
    assert got.path == "/services/" + receiver.token
    assert got.json == {"text": "hello"} and got.text == "hello" and got.status == 200
    assert got.headers["Content-Type"].startswith("application/json")
    assert "slackclient" in got.headers["User-Agent"]
    assert got.received_at.tzinfo == timezone.utc
    assert receiver.messages() == ["hello"]


def test_slack_sdk_webhook_client_works(receiver):
    from slack_sdk import WebhookClient

    response = WebhookClient(receiver.webhook_url, timeout=5).send(text="from slack_sdk")
    assert (response.status_code, response.body) == (200, "ok")
    assert response.headers["Content-Type"] == "text/html"  # what Slack answers, even for "ok"
    assert receiver.messages() == ["from slack_sdk"]


def test_blocks_only_messages_are_read_from_section_header_and_context_text(receiver, hook_cls):
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "DAG failed"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*weather_etl* / load"}, "fields": [
            {"type": "mrkdwn", "text": "try 2"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "logical date 2026-11-01"}]},
    ]
    hook_cls(slack_webhook_conn_id="slack_alerts").send_dict({"blocks": blocks})
    assert receiver.posts[0].text is None
    assert receiver.messages() == ["DAG failed\n*weather_etl* / load\ntry 2\nlogical date 2026-11-01"]


def test_form_encoded_payload_is_accepted_like_slack(receiver):
    body = urlencode({"payload": json.dumps({"text": "legacy form post"})}).encode()
    assert post(receiver.webhook_url, body, "application/x-www-form-urlencoded")[:2] == (200, "ok")
    assert receiver.messages() == ["legacy form post"]


# -- Slack's error answers ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "answer"),
    [
        (b'{"text": ""}', "no_text"),
        (b'{"channel": "#alerts"}', "no_text"),
        (b'{"blocks": []}', "no_text"),
        (b"{not json", "invalid_payload"),
        (b'["text"]', "invalid_payload"),
    ],
)
def test_bad_payloads_get_400(receiver, body, answer):
    assert post(receiver.webhook_url, body) == (400, answer, "text/html")
    assert receiver.posts[0].status == 400  # it reached the webhook: recorded, but not a message
    assert receiver.messages() == []


def test_wrong_path_is_404_no_service_and_kept_in_rejected(receiver):
    wrong = receiver.url + "/services/T0LABKIT0/B0LABKIT0/not-the-secret"
    assert post(wrong, b'{"text": "lost"}')[:2] == (404, "no_service")
    assert receiver.posts == []
    [lost] = receiver.rejected
    assert (lost.path, lost.status, lost.text) == ("/services/T0LABKIT0/B0LABKIT0/not-the-secret", 404, None)
    with pytest.raises(TimeoutError, match="went elsewhere") as caught:
        receiver.wait_for(1, timeout=0.05)
    assert receiver.token not in str(caught.value)


def test_get_on_the_webhook_is_405(receiver):
    status, body, _ = post(receiver.webhook_url, None, method="GET")
    assert (status, body) == (405, "invalid_method")
    assert receiver.posts == [] and receiver.rejected[0].method == "GET"


def test_error_mode_raises_in_the_hook_without_the_token(receiver, hook_cls, caplog, capfd):
    from airflow.exceptions import AirflowException

    receiver.mode = "error"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AirflowException) as caught:
        hook_cls(slack_webhook_conn_id="slack_alerts").send_text("the load failed")
    message = str(caught.value)
    assert "Status Code: 500" in message and "internal_error" in message
    assert receiver.token not in message
    assert receiver.token not in captured(caplog, capfd)
    assert [(p.status, p.text) for p in receiver.posts] == [(500, "the load failed")]  # recorded...
    assert receiver.messages() == []  # ...but not in the channel


def test_slow_mode_times_out_once_without_retry(receiver, hook_cls, caplog, capfd):
    receiver.mode = "slow"
    caplog.set_level(logging.DEBUG)
    began = time.monotonic()
    with pytest.raises(TimeoutError) as caught:
        hook_cls(slack_webhook_conn_id="slack_alerts", timeout=1).send_text("too slow")
    took = time.monotonic() - began
    assert 0.9 < took < 3, took
    # slack_sdk's default retry handler retries connection errors (URLError), not a read timeout.
    assert len(receiver.wait_for(1)) == 1 and receiver.posts[0].status == PENDING
    logs = captured(caplog, capfd)
    assert "Failed to send a request to Slack API server: timed out" in logs  # the capture works...
    assert receiver.token not in logs and receiver.token not in str(caught.value)  # ...and hides the token


def test_a_down_webhook_puts_the_secret_url_in_the_hooks_retry_log(receiver, hook_cls, caplog, capfd):
    # The one path where the token leaks through Airflow's hook: slack_sdk retries a connection
    # error once and logs "Going to retry the same request: POST <full url>" at INFO. (Inside a
    # real task Airflow's secrets masker is what stands between that line and the task log.)
    from slack_sdk.http_retry import ConnectionErrorRetryHandler, FixedValueRetryIntervalCalculator

    receiver.stop()  # the module's receiver: its port is closed now, nothing listens there
    try:
        # Same retry rule as the default handler (one retry of connection errors), minus its ~0.5 s wait.
        retry = ConnectionErrorRetryHandler(max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0))
        with pytest.raises(urllib.error.URLError) as caught:
            hook_cls(slack_webhook_conn_id="slack_alerts", timeout=1, retry_handlers=[retry]).send_text("x")
        logs = captured(caplog, capfd)
        assert "Going to retry the same request: POST http://127.0.0.1:" in logs
        assert receiver.token in logs and receiver.token not in str(caught.value)
    finally:
        receiver.start()  # a new port: later tests re-read env() through the hook_cls fixture


def test_slack_sdk_logs_the_secret_url_at_debug_level(receiver, caplog):
    # The lesson's counterpoint: plain slack_sdk (not through Airflow's hook, whose logger sits at
    # INFO) writes the full webhook URL into DEBUG logs.
    from slack_sdk import WebhookClient

    caplog.set_level(logging.DEBUG, logger="slack_sdk")
    WebhookClient(receiver.webhook_url, timeout=5).send(text="debugging")
    assert receiver.token in caplog.text


# -- the receiver itself ----------------------------------------------------------------------------
def test_stop_releases_a_held_slow_request_at_once():
    own = SlackWebhook(mode="slow", delay=20).start()
    answers: list[tuple] = []
    client = threading.Thread(target=lambda: answers.append(post(own.webhook_url, b'{"text": "held"}')))
    client.start()
    assert own.wait_for(1, timeout=2)[0].status == PENDING
    began = time.monotonic()
    own.stop()
    assert time.monotonic() - began < 0.5
    client.join(timeout=2)
    assert not client.is_alive()
    assert answers == [(200, "ok", "text/html")] and own.posts[0].status == 200


def test_wait_for_sees_a_post_from_another_process(receiver):
    code = (
        "import json, os, urllib.request\n"
        "conn = json.loads(os.environ['AIRFLOW_CONN_SLACK_ALERTS'])\n"
        "url = conn['host'] + '/' + conn['password']\n"
        "request = urllib.request.Request(url, data=b'{\"text\": \"from a subprocess\"}',"
        " headers={'Content-Type': 'application/json'})\n"
        "urllib.request.urlopen(request, timeout=5).read()\n"
    )
    env = {"PATH": "/usr/bin:/bin", **receiver.env()}
    child = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        [got] = receiver.wait_for(1, timeout=5)
    finally:
        assert child.wait(timeout=5) == 0
    assert got.text == "from a subprocess" and got.status == 200


def test_env_keeps_the_token_in_the_password_field(receiver):
    env = receiver.env("ops_alerts")
    conn = json.loads(env["AIRFLOW_CONN_OPS_ALERTS"])
    assert conn == {"conn_type": "slackwebhook", "host": receiver.url + "/services", "password": receiver.token}
    assert env["LABKIT_SLACK_URL"] == receiver.url and receiver.token not in env["LABKIT_SLACK_URL"]


def test_tokens_are_random_and_slack_shaped():
    first, second = SlackWebhook().token, SlackWebhook().token
    assert first != second
    team, bot, secret = first.split("/")
    assert team.startswith("T") and bot.startswith("B") and len(secret) == 24


def test_repr_and_notebook_view_hide_the_token(receiver):
    post(receiver.webhook_url, json.dumps({"text": f"oops, pasted {receiver.webhook_url}\nsecond line"}).encode())
    receiver.mode = "error"
    post(receiver.webhook_url, b'{"text": "during the outage"}')
    text = repr(receiver)
    assert receiver.url in text and "posts=2" in text and receiver.token not in text
    shown = repr(receiver.posts)  # what `receiver.posts` prints in a notebook
    assert "/services/T0LABKIT0/B0LABKIT0/<secret>" in shown and receiver.token not in shown
    view = receiver._repr_markdown_()
    assert receiver.token not in view
    assert "> oops, pasted " + receiver.url + "/services/&lt;token&gt;" in view and "> second line" in view
    assert "HTTP 500**\n> during the outage" in view  # failed posts show, marked, with their text
    assert view.index("oops") < view.index("during the outage")  # newest last, like a channel


def test_clear_forgets_posts_and_resets_the_mode(receiver):
    receiver.mode = "error"
    post(receiver.webhook_url, b'{"text": "x"}')
    post(receiver.url + "/nowhere", b'{"text": "x"}')
    receiver.clear()
    assert (receiver.posts, receiver.rejected, receiver.mode) == ([], [], "ok")
    assert receiver.healthy()
