"""Helpers lab 2's tests share: configs as the analysts write them, builds, leftovers, and a
gate that holds a build at a known step while the test looks at the warehouse."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from labkit.grading.gate import GATE, Background, Gate  # noqa: F401 - lab 2's tests import them from here
from labkit.paths import DAGS

CONFIGS = DAGS / "config" / "summaries"
SCHEMA = "analytics"


def course_config(config_name: str, /, **changes) -> dict:
    """The repo's config named `config_name`, with some fields changed (None removes a field)."""
    data = yaml.safe_load((CONFIGS / f"{config_name}.yaml").read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def write_config(folder: Path, data: dict | str, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path = folder / (name or f"{data['table'] if isinstance(data, dict) else 'config'}.yaml")
    path.write_text(text)
    return path


def build(lab, warehouse, config: dict | Path, folder: Path | None = None, run_id: str = "manual__1"):
    """Load a config with the lab's load_config and build it on a fresh connection."""
    path = config if isinstance(config, Path) else write_config(folder, config)
    conn = warehouse.connect()
    try:
        return lab.build_summary(conn, lab.load_config(path), run_id)
    finally:
        conn.close()


def tables(warehouse, schema: str = SCHEMA) -> list[str]:
    return [name for (name,) in warehouse.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", (schema,))]


def rows(warehouse, table: str, columns: str, order: str, schema: str = SCHEMA) -> list[tuple]:
    return warehouse.query(f"SELECT {columns} FROM {schema}.{table} ORDER BY {order}")


def first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"


def expect_failure(call: Callable[[], Any], succeeded: str, hint: str | None = None) -> BaseException:
    """Run `call`, which must raise; if it returns, fail with `succeeded` (what went wrong, in
    the words of the case: "a config with the misspelt field 'tabel' loaded without an error")."""
    from labkit.grading.checks import fail

    try:
        call()
    except NotImplementedError:
        raise
    except Exception as err:
        return err
    fail(succeeded, hint)
    raise AssertionError("unreachable")


def leftovers(warehouse, keep: list[str], schema: str = SCHEMA) -> list[str]:
    return [t for t in tables(warehouse, schema) if t not in keep]


def nothing_left_behind(warehouse, keep: list[str], after: str, schema: str = SCHEMA) -> None:
    """Only the `keep` tables in `schema`; a leftover is named, and a hint says what its name
    shows: a temporary table (temp_name gives <table>__tmp_…) that outlived its build, or the
    previous table renamed aside (…old…) that the swap should have dropped."""
    from labkit.grading.checks import fail

    left = leftovers(warehouse, keep, schema)
    if not left:
        return
    if any("tmp" in t or "temp" in t for t in left):
        hint = ("a temporary table outlived its build: create it inside the build's one transaction (a failure rolls it "
                "back) and commit nothing before the swap")
    elif any("old" in t for t in left):
        hint = "after the renames, drop the previous table (renamed aside) in the same transaction"
    else:
        hint = None
    fail(f"left behind in schema {schema} {after}: {', '.join(left)}", hint)


# -- a build in the background, held at a known step: labkit.grading.gate ------------------
def behind_the_gate(main_sql: str) -> str:
    """main_sql that first waits at the gate, then gives the same rows."""
    return f"SELECT s.* FROM (\n{main_sql.rstrip()}\n) AS s CROSS JOIN {GATE} AS g"


def terminate(warehouse, pid: int, seconds: float = 10) -> None:
    """Cut a backend off (as when its worker is killed), and wait until it is gone."""
    warehouse.query("SELECT pg_terminate_backend(%s)", (pid,))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and warehouse.query("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)):
        time.sleep(0.02)
