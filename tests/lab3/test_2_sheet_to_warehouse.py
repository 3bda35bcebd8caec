"""Lab 3 · Sheet → S3 → warehouse: clean, validate, load atomically, keep the key off the disk."""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pytest

from labkit.grading.dagcheck import import_failure
from psycopg2 import sql

from labkit.data import budget
from labkit.grading.checks import check, check_rows, fail
from labkit.grading.fixtures import dags_in_file
from tests.lab3.helpers import set_tab

DAG_ID = "lab3_sheet_to_warehouse"
TABLE = "public.channel_budget"
KEY = (lambda row: (row[0], row[1]))  # (month, channel)
ATOMIC_HINT = "DELETE and COPY in ONE transaction (`with conn:`), so a failure rolls the DELETE back"


def _dag(to_warehouse):
    dags, errors = dags_in_file(Path(to_warehouse.__file__))
    check(not errors, import_failure("lab3_sheet_to_warehouse.py", errors))
    check(DAG_ID in dags, f"no DAG with dag_id {DAG_ID!r} in lab3_sheet_to_warehouse.py")
    return dags[DAG_ID]


def _table(warehouse) -> list[tuple]:
    return warehouse.query(f"SELECT month, channel, budget, spend, conversion_rate FROM {TABLE} ORDER BY month, channel")


def _yesterdays_table(to_warehouse, warehouse) -> list[tuple]:
    """The table as a previous good run left it: the course rows with every spend at 1.00."""
    warehouse.execute(to_warehouse.CREATE_TABLE.format(table=sql.Identifier("public", "channel_budget")))
    rows = [(m, c, b, Decimal("1.00"), r) for m, c, b, _, r in budget.expected_rows()]
    for row in rows:
        warehouse.execute(f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s, %s)", row)
    return _table(warehouse)


def _objects(aws_s3) -> dict[str, bytes]:
    """Every object in every bucket: {bucket/key: body}."""
    import boto3

    client = boto3.client("s3", endpoint_url=aws_s3.endpoint, aws_access_key_id="labkit", aws_secret_access_key="labkit",
                          region_name="us-east-1")
    found = {}
    for bucket in client.list_buckets().get("Buckets", []):
        for obj in client.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
            found[f"{bucket['Name']}/{obj['Key']}"] = client.get_object(Bucket=bucket["Name"], Key=obj["Key"])["Body"].read()
    return found


@pytest.mark.points(2)
def test_cells_are_cleaned_into_exact_numbers(to_warehouse):
    """clean_number turns $12,000 / 11,873.50 / 5.32% into exact numbers and refuses text that is not a number"""
    cases = {"$12,000": "12000", "11,873.50": "11873.50", "$950": "950", " 7 ": "7", "-$3.50": "-3.50",
             "5.32%": "0.0532", "50%": "0.5", "0.82%": "0.0082"}
    for cell, want in cases.items():
        got = to_warehouse.clean_number(cell)
        check(Decimal(str(got)) == Decimal(want), f"clean_number({cell!r}) gave {got!r}; expected {want}",
              "use Decimal, not float: 5.32 / 100 in floats is 0.053200000000000004")
    for cell in ("12k", "", "n/a", "1.2.3", "$"):
        try:
            got = to_warehouse.clean_number(cell)
        except NotImplementedError:
            raise
        except ValueError:
            continue
        fail(f"clean_number({cell!r}) returned {got!r}; it should raise ValueError", "a cell that is not a number must stop the load")


@pytest.mark.points(3)
@pytest.mark.timeout(90)
def test_sheet_rows_arrive_in_the_table_exactly(to_warehouse, warehouse, google_sheets, aws_s3, slack_webhook, dag_runner):
    """The DAG loads every sheet row, cleaned, into public.channel_budget exactly, through a CSV in S3"""
    result = dag_runner(_dag(to_warehouse))
    check(result.succeeded, result.summary())
    check_rows(_table(warehouse), budget.expected_rows(), what=TABLE, key=KEY,
               columns=("month", "channel", "budget", "spend", "conversion_rate"))
    csvs = [body for name, body in _objects(aws_s3).items() if name.endswith(".csv")]
    check(len(csvs) == 1, f"expected the run to leave one CSV object in S3, found {len(csvs)}", "extract writes the CSV to S3; load reads it back")
    header = next(csv.reader(io.StringIO(csvs[0].decode())))
    check([h.strip() for h in header] == list(budget.HEADER), f"the CSV in S3 starts with {header}; expected the header {list(budget.HEADER)}")
    check(not slack_webhook.posts, f"a successful run sent {len(slack_webhook.posts)} Slack alert(s)")


def _rejected_run(to_warehouse, warehouse, google_sheets, aws_s3, dag_runner, rows: list[list[str]]):
    """Load a bad sheet over yesterday's table: the run must fail and change nothing."""
    before = _yesterdays_table(to_warehouse, warehouse)
    set_tab(google_sheets, budget.SPREADSHEET, budget.TAB, rows)
    result = dag_runner(_dag(to_warehouse))
    check(result.state == "failed", f"the run should fail on this sheet: {result.summary()}")
    check_rows(_table(warehouse), before, what=f"{TABLE} after a rejected sheet", key=KEY, hint="validate every cell before anything is written")
    check(not _objects(aws_s3), "a rejected sheet still reached S3: validate before writing the CSV")
    return " ".join(result.errors.values())


@pytest.mark.points(2)
@pytest.mark.timeout(90)
def test_a_moved_column_fails_at_the_header_and_keeps_the_table(to_warehouse, warehouse, google_sheets, aws_s3, slack_webhook, dag_runner):
    """Swapped budget/spend columns fail with a message about the header, and the table stays as it was"""
    rows = budget.sheet_rows()
    swapped = [[r[0], r[1], r[3], r[2], r[4]] for r in rows]
    error = _rejected_run(to_warehouse, warehouse, google_sheets, aws_s3, dag_runner, swapped)
    check(any(word in error.lower() for word in ("header", "row 1")) and "spend" in error,
          f"the error should say the header is wrong and which columns it has; it said: {error}")


@pytest.mark.points(2)
@pytest.mark.timeout(90)
def test_a_non_numeric_cell_fails_naming_row_and_column(to_warehouse, warehouse, google_sheets, aws_s3, slack_webhook, dag_runner):
    """A cell '12k' in row 7 fails the run with a message naming row 7 and column spend, and the table stays"""
    rows = budget.sheet_rows()
    rows[6][3] = "12k"  # Sheets row 7 (the header is row 1), column spend
    error = _rejected_run(to_warehouse, warehouse, google_sheets, aws_s3, dag_runner, rows)
    check("row 7" in error.lower() and "spend" in error and "12k" in error,
          f"the error should name row 7 (as Sheets numbers it), the column spend and the value '12k'; it said: {error}")


@pytest.mark.points(2)
def test_a_failed_copy_leaves_the_table_as_it_was(to_warehouse, warehouse):
    """replace_table is all or nothing: a COPY failing on its last row leaves yesterday's table"""
    before = _yesterdays_table(to_warehouse, warehouse)
    records = budget.expected_rows()
    broken = to_warehouse.to_csv(records + [records[0]])  # the last row repeats a (month, channel) key
    conn = warehouse.connect()
    try:
        to_warehouse.replace_table(conn, broken)
    except NotImplementedError:
        raise
    except Exception:  # noqa: BLE001 - any database error is the expected outcome
        pass
    else:
        fail("replace_table accepted a CSV with a duplicated (month, channel): the table's primary key should refuse it")
    finally:
        conn.close()
    check_rows(_table(warehouse), before, what=f"{TABLE} after a failed load", key=KEY, hint=ATOMIC_HINT)
    conn = warehouse.connect()
    try:
        count = to_warehouse.replace_table(conn, to_warehouse.to_csv(records))
    finally:
        conn.close()
    check(count == len(records) and len(_table(warehouse)) == len(records),
          f"a good load after the failed one should hold {len(records)} rows; replace_table said {count}")


def _set_key(monkeypatch, keyfile) -> None:
    extra = {"keyfile_dict": keyfile if isinstance(keyfile, str) else json.dumps(keyfile), "api_url": "http://127.0.0.1:9"}
    monkeypatch.setenv("AIRFLOW_CONN_GOOGLE_SHEETS", json.dumps({"conn_type": "google_cloud_platform", "extra": extra}))


@pytest.mark.points(2)
def test_a_bad_service_account_key_fails_with_a_clear_message(sheets_lib, google_sheets, monkeypatch):
    """A truncated key, an OAuth-client key and a key without private_key each fail naming the connection and the problem"""
    good = google_sheets.service_account_info()
    secret = good["private_key"].splitlines()[3]
    cases = {
        "a truncated paste": (json.dumps(good)[: len(json.dumps(good)) // 2], "json"),
        "an OAuth client file": ({**good, "type": "authorized_user"}, "service_account"),
        "a key without private_key": ({k: v for k, v in good.items() if k != "private_key"}, "private_key"),
    }
    for what, (keyfile, word) in cases.items():
        _set_key(monkeypatch, keyfile)
        try:
            sheets_lib.sheets_client()
        except NotImplementedError:
            raise
        except Exception as err:  # noqa: BLE001 - the message is what is graded
            message = str(err)
        else:
            fail(f"sheets_client() accepted {what}; it should fail before any request")
        check("google_sheets" in message and word in message.lower(),
              f"for {what}, the error should name the connection 'google_sheets' and say what is wrong ({word}); it said: {message[:300]}")
        check(secret not in message, f"for {what}, the error message quotes the private key")


def _files_with(secret: str, folders: list[Path], since: float, recursive: bool = True) -> list[Path]:
    found = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob("*") if recursive else folder.iterdir():
            try:
                if path.is_file() and not path.is_symlink() and path.stat().st_mtime >= since and path.stat().st_size < 2_000_000:
                    if secret.encode() in path.read_bytes():
                        found.append(path)
            except OSError:
                continue
    return found


@pytest.mark.points(2)
@pytest.mark.timeout(90)
def test_the_key_never_touches_the_disk_or_the_log(to_warehouse, warehouse, google_sheets, aws_s3, slack_webhook, dag_runner,
                                                   tmp_path, monkeypatch, capfd, caplog):
    """A whole run writes the service account's private key to no file and no log line"""
    secret = google_sheets.service_account_info()["private_key"].splitlines()[3]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)  # recomputed from TMPDIR
    monkeypatch.chdir(tmp_path)
    since = time.time() - 1
    result = dag_runner(_dag(to_warehouse))
    check(result.succeeded, result.summary())
    home = Path(os.environ["AIRFLOW_HOME"])
    written = _files_with(secret, [tmp_path, home, Path(to_warehouse.__file__).parent], since)
    written += _files_with(secret, [Path("/tmp")], since, recursive=False)
    check(not written, "the private key was written to " + ", ".join(str(p) for p in written),
          "pass the parsed key to gspread.service_account_from_dict; never write it to a file")
    out, err = capfd.readouterr()
    check(secret not in caplog.text + out + err, "the private key appears in the log")
