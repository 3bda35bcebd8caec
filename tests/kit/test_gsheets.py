"""labkit.services.gsheets: a local Google Sheets + Drive + OAuth fake, driven by real gspread.

Every test goes through `common.sheets.client_from_info` (the DAGs' own client) so what passes
here is what a lab DAG sees. One fake serves the whole file; `reset()` empties it per test.
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap

import gspread
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.exceptions import RefreshError
from gspread.exceptions import APIError

import labkit.paths
from labkit.data.budget import FIXTURE
from labkit.services.gsheets import CLIENT_EMAIL, GoogleSheets

sys.path.insert(0, str(labkit.paths.DAGS))
from common.sheets import client_from_info, service_account_info


@pytest.fixture(scope="module")
def fake():
    started = GoogleSheets().start()
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def _fresh(fake):
    fake.reset()


@pytest.fixture(scope="module")
def client(fake) -> gspread.Client:
    # reset() keeps issued tokens, so one client (one token) serves every test.
    return client_from_info(fake.service_account_info(), fake.url)


def raw(fake: GoogleSheets, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, fake.url + path, headers=headers, timeout=5, **kwargs)


def token_for(fake: GoogleSheets, client: gspread.Client) -> str:
    client.http_client.login()
    return client.http_client.auth.token


# -- opening ------------------------------------------------------------------------------------
def test_open_by_title_key_and_url_reach_the_same_spreadsheet(fake, client):
    key = fake.create("Weekly NPS", {"Scores": [["week", "nps"], ["2026-W01", 41]], "Notes": [["ok"]]})

    by_title = client.open("Weekly NPS")
    by_key = client.open_by_key(key)
    by_url = client.open_by_url(f"https://docs.google.com/spreadsheets/d/{key}/edit#gid=0")

    assert by_title.id == by_key.id == by_url.id == key
    assert by_title.title == "Weekly NPS" and by_title.locale == "en_US" and by_title.timezone == "Etc/UTC"
    assert [ws.title for ws in by_key.worksheets()] == ["Scores", "Notes"]
    assert by_url.worksheet("Scores").get_all_values() == [["week", "nps"], ["2026-W01", "41"]]
    assert by_title.sheet1.id == 0  # the first tab is gid 0, as at Google
    # open(title) searches Drive, then reads the metadata: the calls gspread really makes.
    assert ("GET", "/drive/v3/files") in fake.requests
    assert ("GET", f"/v4/spreadsheets/{key}") in fake.requests


def test_unknown_title_or_key_is_spreadsheet_not_found(fake, client):
    fake.create("Exists")
    with pytest.raises(gspread.SpreadsheetNotFound):
        client.open("Does not exist")
    with pytest.raises(gspread.SpreadsheetNotFound):
        client.open_by_key("1" + "x" * 43)
    assert [s.title for s in client.openall()] == ["Exists"]


def test_titles_with_apostrophes_and_spaces_work_in_search_and_ranges(fake, client):
    key = fake.create("Bob's budget", {"Q1 'draft'": [["a", "b"], ["1", "2"]]})
    ws = client.open("Bob's budget").worksheet("Q1 'draft'")

    ws.update([["x"]], "B2")

    assert ws.get("A1:B2") == [["a", "b"], ["1", "x"]]
    assert ws.acell("B2").value == "x"
    token = token_for(fake, client)
    answer = raw(fake, "GET", f"/v4/spreadsheets/{key}/values/'Q1 ''draft'''!A2", token).json()
    assert answer == {"range": "'Q1 ''draft'''!A2", "majorDimension": "ROWS", "values": [["1"]]}


# -- reading ------------------------------------------------------------------------------------
def test_numbers_read_formatted_as_strings_and_unformatted_as_numbers(fake, client):
    rows = [["city", "temp", "runs", "ok"], ["Seoul", 40.12, 3.0, True], ["Busan", 7, 12, False]]
    fake.create("Rates", {"Sheet1": rows})
    ws = client.open("Rates").sheet1

    assert ws.get_all_values() == [["city", "temp", "runs", "ok"], ["Seoul", "40.12", "3", "TRUE"],
                                   ["Busan", "7", "12", "FALSE"]]
    assert ws.get("B2:D3", value_render_option="UNFORMATTED_VALUE") == [[40.12, 3, True], [7, 12, False]]
    assert ws.get_all_records() == [{"city": "Seoul", "temp": 40.12, "runs": 3, "ok": "TRUE"},
                                    {"city": "Busan", "temp": 7, "runs": 12, "ok": "FALSE"}]
    assert ws.col_values(1) == ["city", "Seoul", "Busan"]  # majorDimension=COLUMNS


def test_empty_cells_inside_are_blank_and_trailing_ones_are_trimmed(fake, client):
    key = fake.create("Sparse", {"Sheet1": [["a", None, "c", None], [], ["", "b2"]]})
    token = token_for(fake, client)

    answer = raw(fake, "GET", f"/v4/spreadsheets/{key}/values/Sheet1", token).json()

    assert answer == {"range": "Sheet1!A1:Z1000", "majorDimension": "ROWS", "values": [["a", "", "c"], [], ["", "b2"]]}
    assert fake.values(key, "Sheet1") == [["a", "", "c"], [], ["", "b2"]]
    blank_key = fake.create("Blank")
    blank = raw(fake, "GET", f"/v4/spreadsheets/{blank_key}/values/Sheet1", token).json()
    assert "values" not in blank  # Google leaves the key out for an empty range


def test_a_range_past_the_grid_is_googles_400(fake, client):
    fake.create("Small")
    ws = client.open("Small").sheet1
    with pytest.raises(APIError) as caught:
        ws.get("A1:B1001")
    assert caught.value.code == 400
    assert "exceeds grid limits. Max rows: 1000, max columns: 26" in caught.value.error["message"]


# -- writing ------------------------------------------------------------------------------------
def test_update_raw_keeps_text_and_user_entered_parses_it(fake, client):
    key = fake.create("Inputs")
    ws = client.open_by_key(key).sheet1

    reply = ws.update([["5", 5, "'7", "$1,234.5", "12%", "true"]], "A1")  # RAW: strings stay strings
    ws.update([["5", 5, "'7", "$1,234.5", "12%", "true"]], "A2", raw=False)  # USER_ENTERED

    assert reply["updatedRange"] == "Sheet1!A1:F1" and reply["updatedCells"] == 6
    assert ws.get("A1:F2", value_render_option="UNFORMATTED_VALUE") == [
        ["5", 5, "'7", "$1,234.5", "12%", "true"],
        [5, 5, "7", 1234.5, 0.12, True],
    ]
    assert fake.values(key, "Sheet1")[1] == ["5", "5", "7", "$1,234.50", "12%", "TRUE"]


def test_a_write_past_the_grid_grows_it_but_a_bounded_range_is_a_limit(fake, client):
    fake.create("Grow")
    ws = client.open("Grow").sheet1

    ws.update([["far"]], "AB1005")
    with pytest.raises(APIError) as caught:
        ws.update([[1, 2, 3]], "A1:B1")

    meta = ws.spreadsheet.fetch_sheet_metadata()["sheets"][0]["properties"]["gridProperties"]
    assert meta == {"rowCount": 1005, "columnCount": 28}
    assert caught.value.code == 400 and "tried writing to column [C]" in caught.value.error["message"]
    assert ws.get("A1:C1") == [[]]  # the refused write left nothing behind


def test_append_rows_land_below_the_table(fake, client):
    key = fake.create("Log", {"Sheet1": [["when", "what"], ["mon", "start"]]})
    ws = client.open("Log").sheet1

    reply = ws.append_row(["tue", "work"])
    ws.append_rows([["wed", 3], ["thu", 4]])
    ws.insert_row(["header note"], 1)  # insertDimension + append at A1: lands on top

    assert reply["tableRange"] == "Sheet1!A1:B2" and reply["updates"]["updatedRange"] == "Sheet1!A3:B3"
    assert fake.values(key, "Sheet1") == [["header note"], ["when", "what"], ["mon", "start"], ["tue", "work"],
                                          ["wed", "3"], ["thu", "4"]]


def test_clear_empties_a_tab_and_batch_clear_only_its_ranges(fake, client):
    key = fake.create("Wipe", {"Sheet1": [["a", "b"], ["c", "d"]], "Other": [["keep"]]})
    sh = client.open("Wipe")

    sh.sheet1.batch_clear(["B1:B2"])
    assert fake.values(key, "Sheet1") == [["a"], ["c"]]
    sh.sheet1.clear()

    assert fake.values(key, "Sheet1") == [] and sh.sheet1.get_all_records() == []
    assert fake.values(key, "Other") == [["keep"]]


def test_values_batch_update_writes_several_ranges_or_none(fake, client):
    key = fake.create("Multi")
    ws = client.open("Multi").sheet1

    reply = ws.batch_update([{"range": "A1", "values": [["a1"]]}, {"range": "C1:C2", "values": [["c1"], ["c2"]]}])
    with pytest.raises(APIError):
        ws.batch_update([{"range": "E1", "values": [["e1"]]}, {"range": "F1:F1", "values": [["too"], ["many"]]}])

    assert reply["totalUpdatedCells"] == 3 and reply["totalUpdatedSheets"] == 1
    assert fake.values(key, "Sheet1") == [["a1", "", "c1"], ["", "", "c2"]]


# -- tabs ---------------------------------------------------------------------------------------
def test_add_rename_and_delete_worksheets(fake, client):
    key = fake.create("Tabs")
    sh = client.open("Tabs")

    added = sh.add_worksheet("Raw data", rows=20, cols=4, index=0)
    added.update_title("Clean data")
    with pytest.raises(APIError) as duplicate:
        sh.add_worksheet("clean DATA", rows=1, cols=1)  # names are unique regardless of case
    sh.del_worksheet(sh.worksheet("Sheet1"))

    assert fake.tabs(key) == ["Clean data"]
    assert added.row_count == 20 and added.col_count == 4
    assert duplicate.value.code == 400
    assert 'A sheet with the name "clean DATA" already exists' in duplicate.value.error["message"]
    with pytest.raises(APIError, match="can't remove all the sheets"):
        sh.del_worksheet(added)


def test_a_batch_update_with_one_bad_request_changes_nothing(fake, client):
    key = fake.create("Atomic", {"Sheet1": [["x"]]})
    sh = client.open("Atomic")
    body = {"requests": [
        {"addSheet": {"properties": {"title": "Half done"}}},
        {"updateSheetProperties": {"properties": {"sheetId": 0, "title": "Renamed"}, "fields": "title"}},
        {"deleteSheet": {"sheetId": 424242}},  # no such sheet: Google rejects the whole batch
    ]}

    with pytest.raises(APIError) as caught:
        sh.batch_update(body)

    assert caught.value.code == 400 and "requests[2].deleteSheet" in caught.value.error["message"]
    assert fake.tabs(key) == ["Sheet1"] and fake.values(key, "Sheet1") == [["x"]]
    reply = sh.batch_update({"requests": body["requests"][:2]})
    assert reply["replies"][0]["addSheet"]["properties"]["title"] == "Half done"
    assert fake.tabs(key) == ["Renamed", "Half done"]


# -- failures -----------------------------------------------------------------------------------
def test_fail_write_fails_exactly_the_nth_write_and_changes_nothing(fake, client):
    key = fake.create("Flaky")
    ws = client.open("Flaky").sheet1
    fake.fail_write(2)

    ws.update([["first"]], "A1")
    with pytest.raises(APIError) as caught:
        ws.update([["second"]], "A2")
    ws.get_all_values()  # a read is not a write: it neither counts nor fails
    ws.update([["third"]], "A3")

    assert caught.value.code == 503 and caught.value.error["status"] == "UNAVAILABLE"
    assert fake.values(key, "Sheet1") == [["first"], [], ["third"]]
    assert fake.writes == 3


def test_a_key_the_fake_did_not_issue_is_invalid_grant(fake):
    key = fake.create("Guarded")
    info = fake.service_account_info()
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info["private_key"] = stranger.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()

    impostor = client_from_info(info, fake.url)  # google-auth asks for a token on the first call
    with pytest.raises(RefreshError) as caught:
        impostor.open_by_key(key)

    assert "invalid_grant" in str(caught.value) and "Invalid JWT Signature." in str(caught.value)
    assert fake.requests == [("POST", "/token")]


def test_calls_without_a_valid_bearer_token_are_401(fake, client):
    key = fake.create("Locked")

    missing = raw(fake, "GET", f"/v4/spreadsheets/{key}")
    forged = raw(fake, "GET", "/drive/v3/files", token="ya29.made-up")
    allowed = raw(fake, "GET", f"/v4/spreadsheets/{key}", token_for(fake, client))

    assert missing.status_code == 401 and forged.status_code == 401
    assert missing.json()["error"]["status"] == "UNAUTHENTICATED"
    assert missing.json()["error"]["message"].startswith("Request is missing required authentication credential")
    assert allowed.status_code == 200 and allowed.json()["spreadsheetId"] == key


def test_a_spreadsheet_not_shared_with_the_account_is_403_and_unlisted(fake, client):
    key = fake.create("Private", shared=False)

    with pytest.raises(PermissionError):
        client.open_by_key(key)
    with pytest.raises(gspread.SpreadsheetNotFound):
        client.open("Private")  # Drive search only lists what the account can see
    answer = raw(fake, "POST", f"/v4/spreadsheets/{key}/values/A1:clear", token_for(fake, client))

    assert answer.status_code == 403
    assert answer.json()["error"] == {"code": 403, "message": "The caller does not have permission",
                                      "status": "PERMISSION_DENIED"}


# -- in-process helpers, credentials, other processes ---------------------------------------------
def test_load_csv_keeps_every_cell_exactly_as_written(fake, client):
    csv_path = FIXTURE.parent / "tricky_cells.csv"  # quotes, commas, $1,234.50, 12.5%, 007, non-ASCII
    with open(csv_path, newline="", encoding="utf-8") as f:
        expected = list(csv.reader(f))

    fake.load_csv("Prices", "Raw", csv_path)
    fake.load_csv("Prices", "Pasted", "a,b\n\"1,5\",$2\n")

    assert fake.tabs("Prices") == ["Raw", "Pasted"]
    assert client.open("Prices").worksheet("Raw").get_all_values() == expected
    assert fake.values("Prices", "Pasted") == [["a", "b"], ["1,5", "$2"]]
    trimmed = fake.values("Prices", "Raw")
    assert trimmed[3] == ["B-10", "Line one\nline two", "0.10"]  # trailing empty cells trimmed
    assert trimmed[4] == ["=not a formula", " padded ", "-$0.99", "100%", "'quoted"]


def test_service_account_info_and_env_are_a_complete_connection(fake):
    info = fake.service_account_info()
    env = fake.env("sheets_test")
    conn = json.loads(env["AIRFLOW_CONN_SHEETS_TEST"])

    assert service_account_info(json.dumps(info)) == info  # the DAGs' own validation accepts it
    assert info["client_email"] == CLIENT_EMAIL and info["token_uri"] == fake.url + "/token"
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----\n")
    assert len(info["private_key_id"]) == 40 and info["universe_domain"] == "googleapis.com"
    assert conn["conn_type"] == "google_cloud_platform" and conn["extra"]["api_url"] == fake.url
    assert json.loads(conn["extra"]["keyfile_dict"]) == info
    assert env["LABKIT_SHEETS_URL"] == fake.url
    assert set(fake.env()) == {"AIRFLOW_CONN_GOOGLE_SHEETS", "LABKIT_SHEETS_URL"}
    assert fake.healthy()


def test_another_process_reaches_the_same_fake_over_http(fake):
    key = fake.create("Shared", {"Sheet1": [["from", "parent"]]})
    # gspread alone with the same redirect as common.sheets: importing Airflow would cost seconds.
    script = textwrap.dedent("""
        import json, sys
        import gspread
        from gspread.http_client import HTTPClient
        info, url, key = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]

        class Local(HTTPClient):
            def request(self, method, endpoint, *args, **kwargs):
                for host in ("https://sheets.googleapis.com", "https://www.googleapis.com"):
                    endpoint = endpoint.replace(host, url)
                return super().request(method, endpoint, *args, **kwargs)

        ws = gspread.service_account_from_dict(info, http_client=Local).open_by_key(key).sheet1
        ws.append_row(["from", "child"])
        print(json.dumps(ws.get_all_values()))
    """)
    done = subprocess.run([sys.executable, "-c", script, json.dumps(fake.service_account_info()), fake.url, key],
                          capture_output=True, text=True, timeout=30)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [["from", "parent"], ["from", "child"]]
    assert fake.values(key, "Sheet1") == [["from", "parent"], ["from", "child"]]
    assert fake.writes == 1


def test_stop_frees_the_port_and_reset_forgets_everything():
    other = GoogleSheets().start()
    url = other.url
    other.create("Gone")
    other.fail_write(1)

    other.reset()
    assert other.healthy() and other.writes == 0 and other.requests == []  # health checks are not logged
    with pytest.raises(KeyError):
        other.tabs("Gone")
    other.stop()

    assert not other.healthy()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/healthz", timeout=2)


def test_google_auths_own_calls_are_redirected_too():
    """google-auth asks iamcredentials.googleapis.com for 'allowed locations' after each token: local mode answers it."""
    from common.sheets import _local, _LocalSession

    assert _local("https://iamcredentials.googleapis.com/v1/projects/-/x?a=1", "http://h:1") == "http://h:1/v1/projects/-/x?a=1"
    assert _local("http://127.0.0.1:9/token", "http://h:1") == "http://127.0.0.1:9/token"
    fake = GoogleSheets().start()
    try:
        client = client_from_info(fake.service_account_info(), fake.url)
        assert isinstance(client.http_client.session._auth_request.session, _LocalSession)
    finally:
        fake.stop()
