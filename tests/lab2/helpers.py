"""Helpers lab 2's tests share: configs as the analysts write them, builds, leftovers."""
from __future__ import annotations

from pathlib import Path

import yaml

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


def rows(warehouse, table: str, columns: str, order: str) -> list[tuple]:
    return warehouse.query(f"SELECT {columns} FROM {SCHEMA}.{table} ORDER BY {order}")


def expect_failure(func, *args, **kwargs) -> BaseException:
    """Call func expecting an exception; not raising (or not being written) fails the test."""
    from labkit.grading.checks import fail

    try:
        func(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as err:
        return err
    fail(f"{getattr(func, '__name__', 'the call')} succeeded; it should have failed")
