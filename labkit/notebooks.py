"""Lesson notebooks are authored as jupytext pairs: `labN_x.lesson.py` (reviewable) + `labN_x.ipynb`.

`out_of_sync()` names the pairs whose cells differ, so a reviewer reading the .py diff
reads what students run. Fix with `.venv/bin/jupytext --sync notebooks/*.lesson.py`.
The `.lesson.py` suffix (notebooks/jupytext.toml) tells the twin apart from a lab's
starter of the same name, so JupyterLab can hide the twin alone.
"""
from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labkit.paths import NOTEBOOKS

if TYPE_CHECKING:
    from psycopg2.extensions import connection


def show(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> None:
    """Display rows as an HTML table in a notebook (pandas is not needed for a lesson)."""
    from IPython.display import HTML, display

    cell = lambda v: "<td>" + html.escape("NULL" if v is None else str(v)) + "</td>"  # noqa: E731
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(map(cell, row)) + "</tr>" for row in rows)
    display(HTML(f"<table><tr>{head}</tr>{body}</table>"))


def querier(conn: connection) -> Callable[..., None]:
    """query(sql, params=None): run a SELECT on `conn` and show the result as a table."""

    def query(sql_text: str, params: Any = None) -> None:
        with conn.cursor() as cur:
            cur.execute(sql_text, params)
            show(cur.fetchall(), [column.name for column in cur.description or ()])
        conn.rollback()  # end the read-only transaction

    return query


def _cells(path: Path) -> list[tuple[str, str]]:
    import jupytext

    notebook = jupytext.read(path)
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


TWIN = ".lesson.py"


def twin(notebook: Path) -> Path:
    """`lab1_x.ipynb` -> `lab1_x.lesson.py`."""
    return notebook.with_name(notebook.stem + TWIN)


def out_of_sync(folder: Path = NOTEBOOKS) -> list[str]:
    problems = []
    for script in sorted(folder.glob("*" + TWIN)):
        pair = script.with_name(script.name.removesuffix(TWIN) + ".ipynb")
        if not pair.exists():
            problems.append(f"{pair.name} is missing (run jupytext --sync {script.name})")
        elif _cells(script) != _cells(pair):
            problems.append(f"{script.name} and {pair.name} differ (run jupytext --sync {script.name})")
    for notebook in sorted(folder.glob("*.ipynb")):
        if not twin(notebook).exists():
            problems.append(f"{notebook.name} has no {TWIN} pair (run jupytext --set-formats ipynb,{TWIN}:percent {notebook.name})")
    return problems
