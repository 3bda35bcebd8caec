"""labkit.data: the lab 2 tables are deterministic, hit the course's numbers, and load safely."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from labkit.data.nps import MONTHLY_NPS_2019, daily_nps, generate_nps, load_nps, monthly_nps
from labkit.data.sessions import (
    CHANNELS,
    MONTHLY_MAU_2019,
    first_last_channel,
    generate_sessions,
    load_sessions,
    monthly_active_users,
)
from labkit.services import postgres

MONTHLY_SQL = """
    SELECT EXTRACT(month FROM created_at)::int,
           ROUND(SUM(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 ELSE 0 END)::numeric * 100 / COUNT(*), 2)
    FROM {table} GROUP BY 1 ORDER BY 1
"""
DAILY_SQL = """
    SELECT created_at::date,
           ROUND(SUM(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 ELSE 0 END)::numeric * 100 / COUNT(*), 2)
    FROM nps GROUP BY 1 ORDER BY 1
"""
MAU_SQL = """
    SELECT to_char(date_trunc('month', s.ts), 'YYYY-MM'), COUNT(DISTINCT u.userid)
    FROM session_timestamp s JOIN user_session_channel u ON u.sessionid = s.sessionid
    GROUP BY 1 ORDER BY 1
"""
FIRST_LAST_SQL = """
    SELECT DISTINCT u.userid, FIRST_VALUE(u.channel) OVER w, LAST_VALUE(u.channel) OVER w
    FROM session_timestamp s JOIN user_session_channel u ON u.sessionid = s.sessionid
    WINDOW w AS (PARTITION BY u.userid ORDER BY s.ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
"""


@pytest.fixture(scope="module")
def server():
    started = postgres.start()
    try:
        started.create_database("kit_data", replace=True)
        yield started
    finally:
        started.stop()


@pytest.fixture
def conn(server):
    connection = server.connect("kit_data")
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def nps_rows():
    return generate_nps()


@pytest.fixture(scope="module")
def session_rows():
    return generate_sessions()


def _query(conn, statement: str) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(statement)
        return cur.fetchall()


# -- nps: generation ---------------------------------------------------------------------------
def test_nps_is_deterministic_per_seed(nps_rows):
    assert generate_nps() == nps_rows
    assert generate_nps(2_000, seed=7) == generate_nps(2_000, seed=7)
    assert generate_nps(2_000, seed=7) != generate_nps(2_000, seed=8)


def test_nps_rows_are_well_formed(nps_rows):
    assert len(nps_rows) == 150_000
    assert [r[0] for r in nps_rows] == list(range(1, 150_001))  # unique, in time order
    assert all(isinstance(r[1], datetime) and r[1].tzinfo is None and r[1].year == 2019 for r in nps_rows)
    assert [r[1] for r in nps_rows] == sorted(r[1] for r in nps_rows)
    assert {r[2] for r in nps_rows} == set(range(11))
    assert len({r[1].date() for r in nps_rows}) == 365  # every day of 2019
    months = [sum(1 for r in nps_rows if r[1].month == m) for m in range(1, 13)]
    assert min(months) > 0.8 * 150_000 / 12 and max(months) < 1.2 * 150_000 / 12


@pytest.mark.parametrize("rows", [150_000, 1_200])
def test_monthly_nps_is_the_courses(rows, nps_rows):
    data = nps_rows if rows == 150_000 else generate_nps(rows)
    got = monthly_nps(data)
    assert list(got) == list(range(1, 13))
    for month, value in got.items():
        assert abs(value - MONTHLY_NPS_2019[month - 1]) <= 1, (month, value)


def test_daily_nps_varies_around_the_month(nps_rows):
    days = daily_nps(nps_rows)
    assert len(days) == 365 and min(days) == date(2019, 1, 1)
    assert len(set(days.values())) > 300  # not one flat value per month


# -- nps: loading ------------------------------------------------------------------------------
def test_load_nps_matches_sql_and_python(conn, nps_rows):
    calls = []
    assert load_nps(conn, progress=lambda done, total: calls.append((done, total))) == 150_000
    assert calls[-1] == (150_000, 150_000) and len(calls) >= 3
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)

    assert _query(conn, "SELECT COUNT(*), COUNT(DISTINCT id), MIN(score), MAX(score), "
                        "MIN(created_at)::date, MAX(created_at)::date FROM nps") == [
        (150_000, 150_000, 0, 10, date(2019, 1, 1), date(2019, 12, 31))]
    sql_monthly = {int(m): float(v) for m, v in _query(conn, MONTHLY_SQL.format(table="nps"))}
    assert sql_monthly == monthly_nps(nps_rows)
    assert all(abs(sql_monthly[m] - MONTHLY_NPS_2019[m - 1]) <= 1 for m in range(1, 13))
    assert {d: float(v) for d, v in _query(conn, DAILY_SQL)} == daily_nps(nps_rows)


def test_reload_replaces_rows_and_schema_names_work(conn):
    with conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS lab")
    assert load_nps(conn, rows=500, seed=1, table="lab.nps_small") == 500
    assert load_nps(conn, rows=400, seed=2, table="lab.nps_small") == 400  # truncated, not appended
    assert _query(conn, "SELECT COUNT(*) FROM lab.nps_small") == [(400,)]
    small = {int(m): float(v) for m, v in _query(conn, MONTHLY_SQL.format(table="lab.nps_small"))}
    assert small == monthly_nps(generate_nps(400, seed=2))


def test_load_keeps_autocommit_as_the_caller_left_it(conn):
    conn.autocommit = True
    assert load_nps(conn, rows=50, table="nps_tiny") == 50
    assert conn.autocommit is True


@pytest.mark.parametrize("name", ["x; DROP TABLE y", "y; --", 'a"b', "a.b.c", ""])
def test_hostile_table_names_are_refused(conn, name):
    with conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS y (id int)")
    with pytest.raises(ValueError, match="not a plain table name"):
        load_nps(conn, rows=10, table=name)
    assert _query(conn, "SELECT to_regclass('public.y') IS NOT NULL") == [(True,)]


# -- sessions ----------------------------------------------------------------------------------
def test_sessions_are_deterministic_per_seed(session_rows):
    assert generate_sessions() == session_rows
    assert generate_sessions(6_000, seed=3) == generate_sessions(6_000, seed=3)
    assert generate_sessions(6_000, seed=3) != generate_sessions(6_000, seed=4)


def test_sessions_are_well_formed(session_rows):
    usc, stamps = session_rows
    assert len(usc) == len(stamps) == 101_000
    assert [s for _, s, _ in usc] == [s for s, _ in stamps]
    assert len({s for _, s, _ in usc}) == 101_000
    assert all(re.fullmatch(r"[0-9a-f]{32}", s) for s, _ in stamps)
    assert {u for u, _, _ in usc} == set(range(1, 950))
    assert {c for _, _, c in usc} == set(CHANNELS)
    assert all(datetime(2019, 5, 1) <= ts < datetime(2019, 12, 1) for _, ts in stamps)
    assert monthly_active_users(usc, stamps) == MONTHLY_MAU_2019
    first_last = first_last_channel(usc, stamps)
    assert len(first_last) == 949
    assert 0.1 * 949 < sum(a != b for a, b in first_last.values()) < 0.9 * 949  # some change, some don't


def test_too_few_sessions_for_the_mau_is_refused():
    with pytest.raises(ValueError, match="need at least"):
        generate_sessions(sessions=1_000)


def test_load_sessions_gives_the_courses_mau(conn, session_rows):
    assert load_sessions(conn) == (101_000, 101_000)
    assert dict(_query(conn, MAU_SQL)) == MONTHLY_MAU_2019
    assert _query(conn, "SELECT COUNT(DISTINCT userid), COUNT(*) FROM user_session_channel") == [(949, 101_000)]
    assert _query(conn, "SELECT COUNT(*) FROM session_timestamp") == [(101_000,)]
    assert {c for (c,) in _query(conn, "SELECT DISTINCT channel FROM user_session_channel")} <= set(CHANNELS)
    sql_first_last = {u: (first, last) for u, first, last in _query(conn, FIRST_LAST_SQL)}
    assert sql_first_last == first_last_channel(*session_rows)
    assert load_sessions(conn, sessions=5_000) == (5_000, 5_000)  # re-load replaces
    assert _query(conn, "SELECT COUNT(*) FROM session_timestamp") == [(5_000,)]


# -- lab 3's spreadsheet ----------------------------------------------------------------------
def test_the_budget_sheet_reads_as_people_typed_it_and_cleans_exactly():
    from decimal import Decimal

    from labkit.data import budget

    rows = budget.sheet_rows()
    assert tuple(rows[0]) == budget.HEADER and len(rows) == 49  # 12 months × 4 channels
    cells = {cell for row in rows[1:] for cell in row[2:]}
    assert any("," in c and c.startswith("$") for c in cells) and any(c.endswith("%") for c in cells)
    assert any(not c.startswith("$") and not c.endswith("%") for c in cells)  # a forgotten $
    expected = budget.expected_rows()
    assert len({(month, channel) for month, channel, *_ in expected}) == 48
    first = dict(zip(budget.HEADER, expected[0], strict=True))
    assert first["budget"] == Decimal("2000") and first["conversion_rate"] == Decimal("0.0532")


def test_seeding_a_fake_sheets_gives_both_course_spreadsheets():
    from labkit.data import budget
    from labkit.services.gsheets import GoogleSheets

    sheets = GoogleSheets().start()
    try:
        budget.seed(sheets)
        assert sheets.values(budget.SPREADSHEET, budget.TAB) == budget.sheet_rows()
        assert sheets.tabs(budget.NPS_DASHBOARD) == [budget.NPS_TAB]
    finally:
        sheets.stop()


def test_lab2_sources_load_once_and_only_what_is_missing(server):
    """A kept warehouse (demo, compose) gets lab 2's sources on first use, then never again;
    a table someone dropped is loaded back alone."""
    from labkit.data import lab2_sources

    server.create_database("kit_lab2_sources", replace=True)
    connection = server.connect("kit_lab2_sources")
    try:
        assert lab2_sources.missing(connection) == list(lab2_sources.TABLES)
        assert lab2_sources.ensure(connection) is True
        assert lab2_sources.missing(connection) == []
        with connection, connection.cursor() as cur:
            cur.execute("INSERT INTO user_session_channel VALUES (0, 'kept-row', 'Organic')")
            cur.execute("DROP TABLE nps")
        assert lab2_sources.missing(connection) == ["nps"]
        assert lab2_sources.ensure(connection) is True
        assert _query(connection, "SELECT count(*) FROM nps") == [(150_000,)]
        # the sessions were not reloaded: the row added above is still there
        assert _query(connection, "SELECT count(*) FROM user_session_channel WHERE sessionid = 'kept-row'") == [(1,)]
        assert lab2_sources.ensure(connection) is False
    finally:
        connection.close()
        server.drop_database("kit_lab2_sources")
