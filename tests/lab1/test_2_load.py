"""Lab 1 · load: staging + ROW_NUMBER dedupe in one transaction, and the ON CONFLICT contrast."""
from __future__ import annotations

import psycopg2
import pytest

from labkit.grading.checks import check, check_equal, check_rows, fail
from tests.lab1.helpers import COLUMNS, TABLE, missing_newest, newest_rows, table_rows

DEDUPE_HINT = "keep the newest row per date: ROW_NUMBER() OVER (PARTITION BY date ORDER BY created_date DESC) = 1"


@pytest.mark.points(1)
def test_creates_the_table_when_missing(load, warehouse, weather_api):
    """upsert_dedupe creates weather_forecast when it is missing, created_date defaulting to now()"""
    load(weather_api.expected_rows(1))
    check(warehouse.table_exists(TABLE), f"no table {TABLE} after the first load")
    columns = warehouse.columns(TABLE)
    missing = [c for c in (*COLUMNS, "created_date") if c not in columns]
    check(not missing, f"{TABLE} lacks column(s): {', '.join(missing)}; it has {', '.join(columns)}")
    default = columns["created_date"][1] or ""
    check("now()" in default or "CURRENT_TIMESTAMP" in default.upper(), f"created_date has no DEFAULT now() (default: {default or 'none'})")


@pytest.mark.points(1)
def test_every_row_has_a_created_date(load, warehouse, weather_api):
    """Rows loaded through staging still get created_date (the staging table kept the DEFAULT)"""
    load(weather_api.expected_rows(1))
    load(weather_api.expected_rows(2))
    nulls = warehouse.query(f"SELECT date FROM {TABLE} WHERE created_date IS NULL ORDER BY date")
    check(
        not nulls,
        f"{len(nulls)} row(s) have created_date NULL (e.g. {nulls[0][0]})" if nulls else "",
        "CREATE TABLE … AS SELECT (CTAS) drops column defaults; use CREATE TEMP TABLE staging (LIKE t INCLUDING DEFAULTS)",
    )


@pytest.mark.points(2)
def test_no_duplicate_dates_after_overlapping_runs(load, warehouse, weather_api):
    """Three overlapping daily runs leave exactly one row per date"""
    for revision in (1, 2, 3):
        load(weather_api.expected_rows(revision))
    dupes = warehouse.query(f"SELECT date, COUNT(*) FROM {TABLE} GROUP BY date HAVING COUNT(*) > 1 ORDER BY date")
    check(
        not dupes,
        f"{len(dupes)} date(s) appear more than once: " + ", ".join(f"{d} ×{n}" for d, n in dupes[:5]),
        "a date keeps ONE row: SELECT DISTINCT keeps a revised row beside the old one, and a window must "
        "PARTITION BY date; " + DEDUPE_HINT,
    )
    loaded = {row[0] for revision in (1, 2, 3) for row in weather_api.expected_rows(revision)}
    held = {row[0] for row in table_rows(warehouse)}
    gone = sorted(loaded - held)
    check(not gone, f"{len(gone)} date(s) loaded by an earlier run are gone: {', '.join(map(str, gone[:5]))}",
          "stage the table's old rows AND the new ones: a DELETE followed by an INSERT of the new rows only "
          "drops every date the new run did not forecast")
    check_equal(len(held), 10, "dates after 3 overlapping 8-day runs")


@pytest.mark.points(2)
def test_the_newest_forecast_wins(load, warehouse, weather_api):
    """Each date holds the values of the newest run that forecast it"""
    for revision in (1, 2, 3):
        load(weather_api.expected_rows(revision))
    # Only whether the newest values made it: a date held twice is the dedupe test's finding.
    stale = missing_newest(warehouse, newest_rows(weather_api, (1, 2, 3)))
    (nulls,) = warehouse.query(f"SELECT COUNT(*) FROM {TABLE} WHERE created_date IS NULL")[0]
    check(not (stale and nulls), f"{len(stale)} date(s) do not hold their newest forecast, and {nulls} row(s) have no "
          "created_date: without it, ORDER BY created_date DESC cannot tell the newest row",
          "CREATE TABLE … AS SELECT (CTAS) drops column defaults; use CREATE TEMP TABLE staging (LIKE t INCLUDING DEFAULTS)")
    check(not stale, f"{len(stale)} date(s) do not hold their newest forecast:\n  " + "\n  ".join(stale[:8]),
          "stage the old rows AND the new ones, then keep the NEWEST per date: ORDER BY created_date DESC")


@pytest.mark.points(1)
def test_created_date_is_kept(load, warehouse, weather_api):
    """A row the new run did not touch keeps its created_date; revised rows are newer"""
    load(weather_api.expected_rows(1))
    first_day = weather_api.expected_rows(1)[0][0]  # only run 1 forecasts this day
    (before,) = warehouse.query(f"SELECT created_date FROM {TABLE} WHERE date = %s", (first_day,))[0]
    load(weather_api.expected_rows(2))
    kept = warehouse.query(f"SELECT created_date FROM {TABLE} WHERE date = %s", (first_day,))
    check(bool(kept), f"{first_day}, which only run 1 forecast, is gone after run 2",
          "stage the table's old rows AND the new ones: DELETE then INSERT from a staging table of new rows only "
          "drops every date the new run did not forecast")
    (after,) = kept[0]
    check(
        after == before,
        f"created_date of {first_day} changed from {before} to {after} though run 2 did not forecast that day",
        "insert created_date from staging in the final INSERT … SELECT; leaving it out stamps every row with now()",
    )
    # The row holding run 2's values for a day both runs forecast (other rows for that day,
    # if any, are the dedupe test's finding).
    day, temp = weather_api.expected_rows(2)[0][:2]
    revised = warehouse.query(f"SELECT created_date FROM {TABLE} WHERE date = %s AND abs(temp - %s) < 1e-9", (day, temp))
    check(bool(revised) and all(when is not None and when > before for (when,) in revised),
          f"the row holding run 2's forecast for {day} should carry run 2's created_date (newer than run 1's {before}); "
          f"it has {', '.join(str(w) for (w,) in revised) or 'no such row'}",
          "new rows get created_date from the column's DEFAULT now() in staging; old rows keep theirs")


@pytest.mark.points(1)
def test_rerunning_the_same_payload_changes_nothing(load, warehouse, weather_api):
    """Loading the same forecast twice gives the same table as loading it once (idempotent)"""
    rows = weather_api.expected_rows(1)
    load(rows)
    once = table_rows(warehouse)
    load(rows)
    check_rows(table_rows(warehouse), once, what=f"{TABLE} after a rerun", columns=COLUMNS, hint=DEDUPE_HINT)


@pytest.mark.points(1)
def test_values_with_quotes_load_verbatim(load, warehouse, weather_api):
    """Summaries with apostrophes and SQL in them load verbatim (values are never pasted into SQL)"""
    weather_api.summaries = ["Don't forget an umbrella", "It's 'cold'; DROP TABLE weather_forecast; --", 'A "dry" day']
    rows = weather_api.expected_rows(1)
    try:
        load(rows)
    except psycopg2.Error as err:
        fail(
            f"loading a summary with an apostrophe failed: {str(err).splitlines()[0]}",
            "never build SQL with f-strings or .format from values; pass them as parameters or COPY them",
        )
    check_rows(table_rows(warehouse), rows, what=TABLE, columns=COLUMNS)


def _add_failing_insert_trigger(warehouse) -> None:
    """Make any INSERT into the target fail: the moment between DELETE and INSERT."""
    warehouse.execute(
        """
        CREATE FUNCTION labkit_fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'labkit: injected failure between DELETE and INSERT'; END $$;
        CREATE TRIGGER labkit_fail_insert BEFORE INSERT ON weather_forecast
            FOR EACH STATEMENT EXECUTE FUNCTION labkit_fail_insert();
        """
    )


@pytest.mark.points(2)
def test_a_failure_mid_swap_loses_nothing(load, warehouse, weather_api):
    """A failure between DELETE and INSERT leaves the previous rows intact (one transaction)"""
    load(weather_api.expected_rows(1))
    before = table_rows(warehouse)
    _add_failing_insert_trigger(warehouse)
    try:
        load(weather_api.expected_rows(2))
    except NotImplementedError:
        raise
    except Exception:
        pass  # failing is right; what matters is what is left in the table
    else:
        fail("the load reported success although every INSERT into the table failed (was the error swallowed?)")
    after = table_rows(warehouse)
    check(
        after,
        f"{TABLE} is EMPTY after a failed load: the DELETE was committed before the INSERT failed",
        "run DELETE and INSERT in one transaction (psycopg2: `with conn:`), and do not commit in between",
    )
    check_rows(after, before, what=f"{TABLE} after a failed load", columns=COLUMNS)


@pytest.mark.points(1)
def test_refuses_an_unsafe_table_name(load, warehouse, weather_api):
    """A table name carrying SQL is refused (identifiers validated and quoted, never pasted)"""
    warehouse.execute("CREATE TABLE keep_me (id int)")
    # Valid SQL once pasted into `CREATE TABLE IF NOT EXISTS {name} (…)`, and it commits
    # its DROP, so a later error's rollback cannot undo it.
    hostile = "weather_forecast (id int); DROP TABLE keep_me; COMMIT; CREATE TABLE weather_copy"
    try:
        load(weather_api.expected_rows(1), table=hostile)
    except NotImplementedError:
        raise
    except (ValueError, psycopg2.Error):
        pass
    check(
        warehouse.table_exists("keep_me"),
        "the table name's SQL ran: table keep_me was dropped",
        "validate the name (table_identifier) and quote it with psycopg2.sql.Identifier",
    )


def _relisted(rows):
    """The forecast with its first date listed again at the end, revised: a second row for
    one date inside one batch (an API that sends a correction in the same payload)."""
    day, temp, low, high, summary = rows[0]
    return [*rows, (day, temp + 1.5, low + 1.0, high + 2.0, f"{summary} (corrected)")]


@pytest.mark.points(1)
def test_a_date_listed_twice_in_one_forecast_loads_once(load, warehouse, weather_api):
    """A forecast that lists a date twice still leaves one row for that date"""
    load(weather_api.expected_rows(1))
    batch = _relisted(weather_api.expected_rows(2))
    load(batch)
    day = batch[0][0]
    rows = warehouse.query(f"SELECT temp FROM {TABLE} WHERE date = %s", (day,))
    check(len(rows) == 1, f"{day} appears {len(rows)} times after a forecast that listed it twice",
          "both copies arrive in the same transaction, so they share created_date: RANK() gives both rank 1, "
          "ROW_NUMBER() numbers them 1 and 2 — " + DEDUPE_HINT)
    check(rows[0][0] in (batch[0][1], batch[-1][1]), f"{day} holds temp {rows[0][0]}, which neither copy had")


@pytest.mark.points(1)
def test_both_upserts_return_the_row_count(load, warehouse, weather_api):
    """upsert_dedupe and upsert_on_conflict return the table's row count (the DAG's load task reports it)"""
    for func, table in (("upsert_dedupe", TABLE), ("upsert_on_conflict", "weather_forecast_native")):
        load(weather_api.expected_rows(1), table=table, func=func)
        returned = load(weather_api.expected_rows(2), table=table, func=func)
        (count,) = warehouse.query(f"SELECT COUNT(*) FROM {table}")[0]
        check_equal(returned, count, f"{func}(…)'s return value (the table's rows after the load)",
                    "end with SELECT COUNT(*) FROM the table, inside the transaction, and return it")


@pytest.mark.points(2)
def test_on_conflict_upsert(load, warehouse, weather_api):
    """upsert_on_conflict: a primary key on date and INSERT … ON CONFLICT DO UPDATE, newest wins"""
    table = "weather_forecast_native"
    batch = _relisted(weather_api.expected_rows(2))  # the second batch lists its first date twice
    dedupe = ("one INSERT … ON CONFLICT may not touch a date twice: dedupe the batch by date first, "
              "the later row of a date winning")
    for rows in (weather_api.expected_rows(1), batch):
        try:
            load(rows, table=table, func="upsert_on_conflict")
        except psycopg2.Error as err:
            fail(f"upsert_on_conflict failed on a forecast that lists a date twice: {str(err).splitlines()[0]}", dedupe)
    expected = [batch[-1] if row[0] == batch[0][0] else row for row in newest_rows(weather_api, (1, 2))]
    check_rows(table_rows(warehouse, table), expected, what=table, columns=COLUMNS, hint=dedupe)
    pk = warehouse.query(
        """SELECT a.attname FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
           WHERE i.indrelid = %s::regclass AND (i.indisprimary OR i.indisunique)""",
        (table,),
    )
    check([name for (name,) in pk] == ["date"], f"{table} needs a PRIMARY KEY (or UNIQUE) on date; found {pk or 'none'}",
          "ON CONFLICT (date) needs a unique index on date")
    # A date revised by the second batch keeps the created_date of its first load.
    revised = batch[0][0]
    (first,) = warehouse.query(f"SELECT MIN(created_date) FROM {table}")[0]
    (kept,) = warehouse.query(f"SELECT created_date FROM {table} WHERE date = %s", (revised,))[0]
    check(kept == first,
          f"created_date of {revised} changed when run 2 revised it ({kept}; first load at {first})",
          "leave created_date out of DO UPDATE SET …: it records when the date was first loaded")
