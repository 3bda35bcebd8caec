"""Lab 3 · Sheet → S3 → warehouse: clean, validate, load atomically, keep the key off the disk."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import tempfile
import time
from decimal import Decimal
from operator import itemgetter
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from labkit.data import budget
from labkit.grading.checks import check, check_rows, fail
from labkit.grading.dagcheck import import_failure
from labkit.grading.fixtures import dags_in_file
from labkit.grading.gate import GATE, Background, Gate
from tests.lab3.helpers import plain_sheet_rows, set_tab

DAG_ID = "lab3_sheet_to_warehouse"
TABLE = "public.channel_budget"
KEY = itemgetter(0, 1)  # (month, channel)
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


def _exact(value) -> Decimal | None:
    """A number as the Decimal it is exactly (a float keeps its binary error), or None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float)):
        return None
    return Decimal(value)


def _cleaning_problem(clean_number, cell: str, want: Decimal) -> tuple[str, str | None] | None:
    """None when clean_number(cell) is exactly `want`; else what went wrong and the hint this evidence supports."""
    try:
        got = clean_number(cell)
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - a valid cell that raises is the finding
        said = f"clean_number({cell!r}) raised {type(err).__name__}: {str(err)[:120]}; expected {want}"
        got, exact = err, None
    else:
        exact = _exact(got)
        if exact is not None and exact.is_finite() and exact == want:
            return None
        said = f"clean_number({cell!r}) gave {got!r}; expected {want}"
        if exact is None:
            return said, f"return a Decimal, not {type(got).__name__}"
    # What the evidence shows: the same cell without one of the things people type.
    probes = [(cell.replace(",", ""), "the thousands separator ','"), (cell.replace("$", ""), "the '$'"),
              (cell.strip(), "the spaces around the number")]
    for text, name in probes:
        if text == cell:
            continue
        try:
            fixed = _exact(clean_number(text))
        except Exception:  # noqa: BLE001 - this probe only tells which part is the problem
            fixed = None
        if fixed is not None and fixed.is_finite() and fixed == want:
            return said + f", while clean_number({text!r}) gives it: {name} is not removed", \
                "strip spaces, and drop '$' and ',' from the text before Decimal(...)"
    if exact is None or not exact.is_finite():
        return said, None
    if isinstance(got, float) and math.isclose(got, float(want), rel_tol=1e-9):
        return said, "use Decimal, not float: 5.32 / 100 in floats is 0.053200000000000004"
    if isinstance(got, Decimal) and abs(exact - want) <= abs(want) * Decimal("1e-12"):
        return said, "build the Decimal from the text, Decimal('5.32'), not from a float: Decimal(5.32) keeps the float's binary error"
    if cell.strip().endswith("%") and exact == want * 100:
        return said + ": the percent was not divided by 100", "a trailing % means hundredths: 5.32% is 0.0532"
    if not cell.strip().endswith("%") and exact * 100 == want:
        return said + ": divided by 100 without a %", "only a trailing % divides by 100"
    if exact == -want:
        return said + ": the sign was lost", None
    return said, None


@pytest.mark.points(2)
def test_cells_are_cleaned_into_exact_numbers(to_warehouse):
    """clean_number turns $12,000 / 11,873.50 / 5.32% into exact numbers and refuses text that is not a number"""
    cases = {"$12,000": "12000", "11,873.50": "11873.50", "$950": "950", " 7 ": "7", "-$3.50": "-3.50",
             "5.32%": "0.0532", "50%": "0.5", "0.82%": "0.0082"}
    for cell, want in cases.items():
        problem = _cleaning_problem(to_warehouse.clean_number, cell, Decimal(want))
        if problem:
            fail(*problem)
    for cell in ("12k", "", "n/a", "1.2.3", "$", "nan", "Infinity"):
        try:
            got = to_warehouse.clean_number(cell)
        except NotImplementedError:
            raise
        except ValueError:
            continue
        except Exception as err:  # noqa: BLE001 - the wrong kind of error is the finding
            fail(f"clean_number({cell!r}) raised {type(err).__name__}, not ValueError",
                 "decimal.InvalidOperation is not a ValueError: catch it and raise ValueError, which clean_row turns into "
                 "a message naming the row and column")
        exact = _exact(got)
        if exact is not None and not exact.is_finite():
            fail(f"clean_number({cell!r}) returned {got!r}; it should raise ValueError",
                 "Decimal('nan') and Decimal('Infinity') parse without an error, and PostgreSQL's numeric stores them: "
                 "refuse a value that is not finite (value.is_finite())")
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


def _rejected_run(to_warehouse, warehouse, google_sheets, aws_s3, dag_runner, rows: list[list[str]], what: str, hint: str):
    """Load a bad sheet over yesterday's table: the run must fail and change nothing."""
    before = _yesterdays_table(to_warehouse, warehouse)
    set_tab(google_sheets, budget.SPREADSHEET, budget.TAB, rows)
    result = dag_runner(_dag(to_warehouse))
    check(result.state == "failed", f"the run accepted {what}; it should fail: {result.summary()}", hint)
    check_rows(_table(warehouse), before, what=f"{TABLE} after a rejected sheet", key=KEY, hint="validate every cell before anything is written")
    check(not _objects(aws_s3), "a rejected sheet still reached S3: validate before writing the CSV")
    return " ".join(result.errors.values())


@pytest.mark.points(2)
@pytest.mark.timeout(90)
def test_a_moved_column_fails_at_the_header_and_keeps_the_table(to_warehouse, warehouse, google_sheets, aws_s3, slack_webhook, dag_runner):
    """Swapped budget/spend columns fail with a message about the header, and the table stays as it was"""
    rows = budget.sheet_rows()
    swapped = [[r[0], r[1], r[3], r[2], r[4]] for r in rows]
    error = _rejected_run(to_warehouse, warehouse, google_sheets, aws_s3, dag_runner, swapped,
                          "a sheet whose budget and spend columns are swapped",
                          "the header must be exactly month, channel, budget, spend, conversion_rate, in this order: "
                          "a set (or sorted) comparison lets moved columns through, and their values land in the wrong column")
    check(any(word in error.lower() for word in ("header", "row 1")) and "spend" in error,
          f"the error should say the header is wrong and which columns it has; it said: {error}")


@pytest.mark.points(2)
@pytest.mark.timeout(90)
def test_a_non_numeric_cell_fails_naming_row_and_column(to_warehouse, warehouse, google_sheets, aws_s3, slack_webhook, dag_runner):
    """A cell '12k' in row 7 fails the run with a message naming row 7 and column spend, and the table stays"""
    rows = plain_sheet_rows()  # numbers typed plainly: cleaning '$2,000' is another test's finding
    rows[6][3] = "12k"  # Sheets row 7 (the header is row 1), column spend
    error = _rejected_run(to_warehouse, warehouse, google_sheets, aws_s3, dag_runner, rows, "'12k' in row 7, column spend",
                          "a cell that is not a number must stop the load")
    named = re.findall(r"row (\d+)", error.lower())
    check("row 7" in error.lower() and "spend" in error and "12k" in error,
          f"the error should name row 7 (as Sheets numbers it), the column spend and the value '12k'; it said: {error}",
          "Sheets counts the header as row 1, so the first data row is row 2: enumerate(rows[1:], start=2)"
          if named and "7" not in named and "spend" in error else None)


@pytest.mark.points(2)
def test_a_failed_copy_leaves_the_table_as_it_was(to_warehouse, warehouse):
    """replace_table is all or nothing: a COPY failing on its last row leaves yesterday's table"""
    before = _yesterdays_table(to_warehouse, warehouse)
    records = budget.expected_rows()
    broken = to_warehouse.to_csv([*records, records[0]])  # the last row repeats a (month, channel) key
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


def _gate_the_load(warehouse) -> Gate:
    """Every INSERT (or COPY) into the table first reads the gate, so it waits there while the
    test looks at the table mid-load (labkit.grading.gate)."""
    gate = Gate(warehouse)
    warehouse.execute(
        f"""
        CREATE FUNCTION labkit_gated_load() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM 1 FROM {GATE};  -- waits while the test holds the gate
            RETURN NULL;
        END $$;
        CREATE TRIGGER labkit_gated_load BEFORE INSERT ON public.channel_budget
            FOR EACH STATEMENT EXECUTE FUNCTION labkit_gated_load();
        """
    )
    return gate


@pytest.mark.points(1)
@pytest.mark.timeout(70)  # waits up to 30 s for the load to start: a busy machine must not decide
def test_readers_see_yesterdays_rows_while_the_table_is_replaced(to_warehouse, warehouse):
    """While replace_table loads, a reader still sees yesterday's rows at once (DELETE in the transaction, not TRUNCATE)"""
    before = _yesterdays_table(to_warehouse, warehouse)
    records = budget.expected_rows()

    def load() -> int:
        conn = warehouse.connect()
        try:
            return to_warehouse.replace_table(conn, to_warehouse.to_csv(records))
        finally:
            conn.close()

    seen, locked = None, None
    with _gate_the_load(warehouse) as gate:
        writer = Background(load, name="replace_table")
        mid_load = bool(gate.wait_for(writer, seconds=30))  # a busy machine must not decide
        if mid_load:
            conn = warehouse.connect()
            try:
                with conn.cursor() as cur:
                    cur.execute("SET lock_timeout = '1s'")
                    cur.execute(f"SELECT month, channel, budget, spend, conversion_rate FROM {TABLE} ORDER BY month, channel")
                    seen = cur.fetchall()
            except psycopg2.errors.LockNotAvailable as err:
                locked = err
            finally:
                conn.rollback()
                conn.close()
    # the gate is open: the load goes on
    finished = writer.join(20)
    writer.raise_if_not_written()
    check(finished, "replace_table was still running 20 s after the test let its load go on")
    if writer.error is not None and not mid_load:
        err = writer.error
        fail(f"replace_table failed on a good CSV before loading a row: {type(err).__name__}: {str(err).strip()[:200]}")
    check(mid_load, f"replace_table returned without inserting into {TABLE} (no INSERT or COPY fired its trigger)")
    check(locked is None, f"a reader waited more than 1 s for a lock while replace_table loaded: {TABLE} was locked until COMMIT",
          "TRUNCATE (or LOCK TABLE) shuts readers out until COMMIT; DELETE inside the transaction lets them read yesterday's rows")
    check_rows(seen, before, what=f"what a reader saw of {TABLE} while replace_table loaded", key=KEY, hint=ATOMIC_HINT)


_NO_KEY = object()  # the connection's extra has no keyfile_dict at all


def _set_key(monkeypatch, keyfile) -> None:
    extra = {"api_url": "http://127.0.0.1:9"}
    if keyfile is not _NO_KEY:
        extra["keyfile_dict"] = keyfile if isinstance(keyfile, str) else json.dumps(keyfile)
    monkeypatch.setenv("AIRFLOW_CONN_GOOGLE_SHEETS", json.dumps({"conn_type": "google_cloud_platform", "extra": extra}))


@pytest.mark.points(2)
def test_a_bad_service_account_key_fails_with_a_clear_message(sheets_lib, google_sheets, monkeypatch):
    """An empty, missing, truncated, OAuth-client or incomplete key fails naming the connection and the problem"""
    good = google_sheets.service_account_info()
    secret = good["private_key"].splitlines()[3]
    pasted = json.dumps(good, indent=2)  # as the key file looks: one field a line
    truncated = pasted[: len(pasted) // 2]
    try:
        json.loads(truncated)
    except json.JSONDecodeError as err:
        where = (err.lineno, err.colno)
    cases = {
        "an empty keyfile_dict": ("   ", ("empty",)),
        "a connection without keyfile_dict": (_NO_KEY, ("keyfile_dict", "empty", "missing")),
        "a truncated paste": (truncated, ("json",)),
        "an OAuth client file": ({**good, "type": "authorized_user"}, ("service_account",)),
        "a key without private_key": ({k: v for k, v in good.items() if k != "private_key"}, ("private_key",)),
    }
    for what, (keyfile, words) in cases.items():
        _set_key(monkeypatch, keyfile)
        try:
            sheets_lib.sheets_client()
        except NotImplementedError:
            raise
        except Exception as err:  # noqa: BLE001 - the message is what is graded
            message = str(err)
        else:
            fail(f"sheets_client() accepted {what}; it should fail before any request")
        check(secret not in message, f"for {what}, the error message quotes the private key",
              "say what is wrong with the key, never the key: a traceback puts it in the task log")
        shown = message[:300]
        check("google_sheets" in message and any(word in message.lower() for word in words),
              f"for {what}, the error should name the connection 'google_sheets' and say what is wrong "
              f"({' or '.join(words)}); it said: {shown}",
              "raise ServiceAccountError naming the connection and the problem for each way a pasted key goes wrong")
        if what == "a truncated paste":
            line, column = where
            check(re.search(rf"\b{line}\b", message) is not None and re.search(rf"\b{column}\b", message) is not None,
                  f"for {what}, the error should say where the JSON breaks (line {line}, column {column}); it said: {shown}",
                  "json.JSONDecodeError has .lineno and .colno: give those, not the text around them")


def _files_with(secret: str, folders: list[Path], since: float, recursive: bool = True) -> list[Path]:
    found = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob("*") if recursive else folder.iterdir():
            try:
                if (path.is_file() and not path.is_symlink() and path.stat().st_mtime >= since and path.stat().st_size < 2_000_000
                        and secret.encode() in path.read_bytes()):
                    found.append(path)
            except OSError:
                continue
    return found


@pytest.mark.points(2)
@pytest.mark.timeout(90)
def test_the_key_never_touches_the_disk_or_the_log(sheets_lib, to_warehouse, warehouse, google_sheets, aws_s3, slack_webhook,
                                                   dag_runner, tmp_path, monkeypatch, capfd, caplog):
    """Neither sheets_client() nor a whole run writes the service account's private key to a file or a log line"""
    secret = google_sheets.service_account_info()["private_key"].splitlines()[3]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)  # recomputed from TMPDIR
    monkeypatch.chdir(tmp_path)
    since = time.time() - 1
    # The code that handles the key, on its own: it must work to be judged.
    try:
        client = sheets_lib.sheets_client()
        client.open(budget.SPREADSHEET).worksheet(budget.TAB).get_all_values()
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - without a client there is no key handling to judge
        fail(f"sheets_client() with the kit's good key failed ({type(err).__name__}: {str(err).replace(secret, '<KEY>')[:200]}): "
             "with no working client, how it handles the key cannot be checked")
    # A whole run, too: whatever else it gets wrong (another test's finding), it must not leak the key.
    dags, _errors = dags_in_file(Path(to_warehouse.__file__))
    if DAG_ID in dags:
        try:
            dag_runner(dags[DAG_ID])
        except Exception:  # noqa: BLE001 - how the run ends is not this test's business
            pass
    home = Path(os.environ["AIRFLOW_HOME"])
    written = _files_with(secret, [tmp_path, home, Path(to_warehouse.__file__).parent], since)
    written += _files_with(secret, [Path("/tmp")], since, recursive=False)
    check(not written, "the private key was written to " + ", ".join(str(p) for p in written),
          "pass the parsed key to gspread.service_account_from_dict; never write it to a file")
    out, err = capfd.readouterr()
    logged = [line.strip().replace(secret, "<KEY>")[:160] for line in (caplog.text + out + err).splitlines() if secret in line]
    check(not logged, "the private key appears in the log:\n  " + "\n  ".join(logged[:3]),
          "never print or log the key (or the connection's extra): log the connection id")
