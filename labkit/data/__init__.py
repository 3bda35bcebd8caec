"""Deterministic synthetic data for the labs, and the loading helpers its modules share.

The course's tables (`nps`, `session_timestamp`, `user_session_channel`) came from a private
warehouse; the kit rebuilds look-alikes from a seed so that every student, grader and CI run
sees the same rows and the same known answers (monthly NPS, MAU) without downloading anything.

- `labkit.data.nps`: the lab 2 `nps` table and its monthly / daily NPS;
- `labkit.data.sessions`: `session_timestamp` + `user_session_channel`, MAU and first/last channel.

Loading goes through one COPY per table inside one transaction: 150,000 single-row INSERTs take
tens of seconds, a COPY well under one.
"""
from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from psycopg2 import sql

if TYPE_CHECKING:
    from psycopg2.extensions import connection, cursor

# A plain (unquoted-style) SQL name. Quoting alone would accept "x; DROP TABLE y" as a legal,
# if absurd, table name; a name like that is always a mistake or an attack, so it is refused.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}\Z")

# Rows per progress report: a few calls for the 150k-row default, none but the last for a tiny load.
PROGRESS_EVERY = 25_000


def table_identifier(table: str) -> sql.Identifier:
    """`"schema.table"` or `"table"` as a quoted identifier; anything but plain names raises ValueError."""
    parts = table.split(".")
    if len(parts) > 2 or not all(_NAME.match(part) for part in parts):
        raise ValueError(f"not a plain table name: {table!r} (letters, digits and _, optionally schema.table)")
    return sql.Identifier(*parts)


@contextlib.contextmanager
def transaction(conn: connection) -> Iterator[None]:
    """`with conn:` (commit, or roll back on error) even when the caller left autocommit on.

    With autocommit on, psycopg2's `with conn:` commits each statement on its own, so a failed
    COPY would leave an empty, truncated table behind: the load is switched to one transaction.
    """
    autocommit = conn.autocommit
    if autocommit:
        conn.autocommit = False
    try:
        with conn:
            yield
    finally:
        if autocommit:
            conn.autocommit = True


class _ProgressReader(io.StringIO):
    """CSV text that calls `progress(rows_sent, total)` as COPY reads past chunk boundaries."""

    def __init__(self, text: str, marks: list[tuple[int, int]], total: int,
                 progress: Callable[[int, int], None] | None) -> None:
        super().__init__(text)
        self._marks = marks  # (character offset where the chunk ends, rows up to there)
        self._total = total
        self._progress = progress

    def read(self, size: int | None = -1) -> str:
        data = super().read(size)
        if self._progress is not None:
            position = self.tell()
            while self._marks and self._marks[0][0] <= position:
                _, done = self._marks.pop(0)
                if done < self._total:  # the final call comes after the COPY has finished
                    self._progress(done, self._total)
        return data


def copy_rows(cur: cursor, table: sql.Composable, columns: Sequence[str], rows: Iterable[Sequence[Any]],
              total: int, progress: Callable[[int, int], None] | None = None) -> int:
    """One `COPY table (columns) FROM STDIN (FORMAT csv)` of `rows`; returns the row count."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    marks: list[tuple[int, int]] = []
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
        if count % PROGRESS_EVERY == 0:
            marks.append((buffer.tell(), count))
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        table, sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    cur.copy_expert(statement, _ProgressReader(buffer.getvalue(), marks, total, progress), size=1 << 16)
    if progress is not None:
        progress(count, total)
    return count
