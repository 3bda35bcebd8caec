"""Holding the code under test mid-SQL while a test looks at the warehouse.

`Background` runs the student's call (a build, a load) in a thread of its own; `Gate` is a
one-row table the test keeps locked, so SQL that reads it (a config's main_sql in lab 2, a
trigger on the loaded table in lab 3) waits there for as long as the test needs, whatever the
machine's load: no guessing with pg_sleep.

    with Gate(warehouse) as gate:
        running = Background(lambda: build(...))
        pids = gate.wait_for(running)      # the build is now held at the gate
        ...look at the warehouse...
        gate.open()                        # the build goes on
    running.join(20)
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

GATE = "public.labkit_gate"


class Background:
    """`call()` in a thread of its own: the test watches the warehouse while it runs."""

    def __init__(self, call: Callable[[], Any], name: str = "build") -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(call,), daemon=True, name=f"labkit: {name}")
        self.thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.result = call()
        except BaseException as err:  # reported by the test, in its own thread
            self.error = err

    def join(self, seconds: float) -> bool:
        """True when the call has finished within `seconds`."""
        self.thread.join(seconds)
        return not self.thread.is_alive()

    @property
    def done(self) -> bool:
        return not self.thread.is_alive()

    def raise_if_not_written(self) -> None:
        if isinstance(self.error, NotImplementedError):
            raise self.error


class Gate:
    """The table GATE, one row, locked by the test until `open()`. `warehouse`: the test's
    warehouse fixture (labkit.grading.fixtures.Warehouse)."""

    def __init__(self, warehouse: Any) -> None:
        self.warehouse = warehouse
        warehouse.execute(f"CREATE TABLE {GATE} (open boolean); INSERT INTO {GATE} VALUES (true)")
        self.conn = warehouse.connect()
        with self.conn.cursor() as cur:
            cur.execute(f"LOCK TABLE {GATE} IN ACCESS EXCLUSIVE MODE")

    def waiting(self) -> list[int]:
        """Backends waiting at the gate (pg_locks is the whole server's: other runs' databases
        have relations of the same number, hence the filter on this one)."""
        return [pid for (pid,) in self.warehouse.query(
            "SELECT pid FROM pg_locks WHERE relation = %s::regclass AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY pid", (GATE,))]

    def lock_waits(self) -> int:
        """Backends of this database waiting for a lock, at the gate or anywhere else."""
        return int(self.warehouse.query("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                        "AND datname = current_database()")[0][0])

    def wait_for(self, running: Background, seconds: float = 15, count: int = 1) -> list[int]:
        """Wait until `count` backends wait at the gate (returns their pids), or `running` has ended."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pids = self.waiting()
            if len(pids) >= count or running.done:
                return pids if len(pids) >= count else []
            time.sleep(0.02)
        return []

    def open(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()

    def __enter__(self) -> Gate:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.open()
