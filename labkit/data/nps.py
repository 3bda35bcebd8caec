"""The lab 2 `nps` table: survey answers whose monthly NPS matches the course's real data.

NPS = (promoters (score >= 9) - detractors (score <= 6)) * 100 / all answers, per period.

The course published only the monthly NPS of its private table, so the rows are built to hit
those twelve numbers by construction: per month the counts of promoters, passives and
detractors are decided first (their difference gives the target), then the scores are
shuffled over the month's days and times. Sampling scores at random instead would land a
month several points off for small tables, and tests would pass or fail by luck.
"""
from __future__ import annotations

import calendar
import random
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from psycopg2 import sql

if TYPE_CHECKING:
    from psycopg2.extensions import connection

from labkit.data import copy_rows, table_identifier, transaction

YEAR = 2019
# Monthly NPS of the course's table, January to December 2019.
MONTHLY_NPS_2019: tuple[float, ...] = (
    2.36, 30.54, 52.91, 53.0, 54.52, 65.02, 64.51, 67.71, 37.95, 53.29, 61.29, 65.99,
)
COLUMNS = ("id", "created_at", "score")

# Scores within each class (any mix keeps the month's NPS): 10s a little more common than 9s,
# and unhappy customers more often give a 5 or 6 than a 0.
_PROMOTER = ((9, 10), (45, 55))
_PASSIVE = ((7, 8), (45, 55))
_DETRACTOR = ((0, 1, 2, 3, 4, 5, 6), (6, 4, 5, 7, 10, 16, 22))


def _days_of_year() -> list[date]:
    first = date(YEAR, 1, 1)
    return [first + timedelta(days=i) for i in range(366 if calendar.isleap(YEAR) else 365)]


def _rows_per_day(rows: int, days: list[date], rng: random.Random) -> list[int]:
    """Split `rows` over the days: one each first (when there are enough), the rest by weight.

    Weekends get fewer answers and every day a little noise, so days and months differ a bit
    (a flat table makes every `COUNT(*)` check in lab 2 look suspiciously round).
    """
    weights = [(0.8 if d.weekday() >= 5 else 1.0) * rng.uniform(0.85, 1.15) for d in days]
    base = 1 if rows >= len(days) else 0
    rest = rows - base * len(days)
    total = sum(weights)
    shares = [rest * w / total for w in weights]
    counts = [base + int(s) for s in shares]
    # Largest remainders get the leftover rows; the index breaks ties, so this is deterministic.
    leftover = rows - sum(counts)
    order = sorted(range(len(days)), key=lambda i: (int(shares[i]) - shares[i], i))
    for i in order[:leftover]:
        counts[i] += 1
    return counts


def _class_counts(n: int, target: float, rng: random.Random) -> tuple[int, int, int]:
    """(promoters, passives, detractors) for `n` answers whose NPS is as close to `target` as n allows."""
    diff = max(-n, min(n, round(target * n / 100)))  # promoters - detractors
    passives = min(round(n * rng.uniform(0.18, 0.28)), n - abs(diff))
    if (n - passives - diff) % 2:  # promoters + detractors must have the parity of diff
        passives += -1 if passives > 0 else 1
    promoters = (n - passives + diff) // 2
    return promoters, passives, n - passives - promoters


def generate_nps(rows: int = 150_000, seed: int = 2019) -> list[tuple[int, datetime, int]]:
    """`(id, created_at, score)` rows: ids 1..rows in time order, all in 2019, same seed → same rows.

    With at least 365 rows every day of 2019 has answers; from about 700 rows (50+ a month, so
    one answer moves NPS by at most 2 points) each month's NPS is within ±1 point of
    `MONTHLY_NPS_2019`, and for the default size it matches to the hundredth.
    """
    if rows < 0:
        raise ValueError("rows must be >= 0")
    rng = random.Random(seed)
    days = _days_of_year()
    per_day = _rows_per_day(rows, days, rng)

    out: list[tuple[int, datetime, int]] = []
    next_id = 1
    day_index = 0
    for month in range(1, 13):
        month_days = [i for i in range(day_index, len(days)) if days[i].month == month]
        day_index = month_days[-1] + 1
        n = sum(per_day[i] for i in month_days)
        promoters, passives, detractors = _class_counts(n, MONTHLY_NPS_2019[month - 1], rng)
        scores = (rng.choices(*_PROMOTER, k=promoters) + rng.choices(*_PASSIVE, k=passives)
                  + rng.choices(*_DETRACTOR, k=detractors))
        rng.shuffle(scores)
        position = 0
        for i in month_days:
            day = days[i]
            start = datetime(day.year, day.month, day.day)
            random_ = rng.random
            for second in sorted(int(random_() * 86_400) for _ in range(per_day[i])):
                out.append((next_id, start + timedelta(seconds=second), scores[position]))
                next_id += 1
                position += 1
    return out


def load_nps(conn: connection, rows: int = 150_000, seed: int = 2019, table: str = "nps",
             progress: Callable[[int, int], None] | None = None) -> int:
    """(Re)fill `table` with `generate_nps(rows, seed)` in one transaction; returns the row count.

    The table is created if missing and truncated otherwise, so a re-run never doubles the data.
    `table` may be "schema.table"; names other than plain identifiers raise ValueError before
    anything runs. `progress(done, total)` is called every 25,000 rows and once at the end.
    """
    target = table_identifier(table)
    data = generate_nps(rows, seed)
    with transaction(conn), conn.cursor() as cur:
        cur.execute(
            sql.SQL("CREATE TABLE IF NOT EXISTS {} (id int PRIMARY KEY, created_at timestamp NOT NULL, "
                    "score smallint NOT NULL CHECK (score BETWEEN 0 AND 10))").format(target))
        cur.execute(sql.SQL("TRUNCATE {}").format(target))
        return copy_rows(cur, target, COLUMNS, data, len(data), progress)


def _nps(promoters: int, detractors: int, total: int) -> float:
    """NPS rounded half away from zero to 2 decimals, exactly as PostgreSQL's numeric ROUND does."""
    exact = Fraction((promoters - detractors) * 100, total)
    value = Decimal(exact.numerator) / Decimal(exact.denominator)  # 28 significant digits
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _nps_by(rows: Iterable[tuple[int, datetime, int]], key: Callable[[datetime], Any]) -> dict[Any, float]:
    counts: dict[Any, list[int]] = {}
    for _, created_at, score in rows:
        c = counts.setdefault(key(created_at), [0, 0, 0])  # promoters, detractors, all
        if score >= 9:
            c[0] += 1
        elif score <= 6:
            c[1] += 1
        c[2] += 1
    return {k: _nps(p, d, n) for k, (p, d, n) in sorted(counts.items())}


def monthly_nps(rows: Iterable[tuple[int, datetime, int]]) -> dict[int, float]:
    """Month (1..12) → NPS, computed in Python: the independent answer tests compare SQL with."""
    return _nps_by(rows, lambda ts: ts.month)


def daily_nps(rows: Iterable[tuple[int, datetime, int]]) -> dict[date, float]:
    """Day → NPS, computed in Python."""
    return _nps_by(rows, lambda ts: ts.date())

