"""Static checks on a DAG file that the scheduler would only reveal in production."""
from __future__ import annotations

import ast
from pathlib import Path


def top_level_calls(path: Path, dotted: str) -> list[int]:
    """Line numbers where `dotted` (e.g. "Variable.get") is called outside any function.

    Code at the top level runs every time the scheduler parses the file (every ~30 s),
    so a Variable read there hits the metadata DB constantly and fails the whole file
    when the Variable is missing.
    """
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    lines: list[int] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef) and _is_dag_function(node):
            # `@dag def my_dag(): ...` is called at the bottom of the file: its body runs
            # at parse time too (the @task functions inside it do not).
            for part in [*node.body, *node.decorator_list]:
                visit(part)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            # Default argument values and decorators run at import time; bodies do not.
            args = getattr(node, "args", None)
            for default in (args.defaults + args.kw_defaults) if args else []:
                if default is not None:
                    visit(default)
            for decorator in getattr(node, "decorator_list", []):
                visit(decorator)
            return
        if isinstance(node, ast.Call) and _dotted_name(node.func) == dotted:
            lines.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return sorted(lines)


def _is_dag_function(node: ast.FunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if _dotted_name(target).split(".")[-1] == "dag":
            return True
    return False


def _dotted_name(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def import_failure(name: str, errors: dict[str, str]) -> str:
    """"Airflow cannot import <name>: <what Python said last>" on the first line (the reason a
    student reads in the table), then each traceback."""
    last = next((line.strip() for trace in errors.values() for line in reversed(trace.strip().splitlines())
                 if line.strip()), "")
    return f"Airflow cannot import {name}: {last}\n" + "\n".join(errors.values())
