"""Mutants of a lab's reference: small, realistic mistakes the lab's tests must catch.

Only what a student writes is mutated: the lines between `# BEGIN SOLUTION` and
`# END SOLUTION`. Each mutant is the reference file with one edit, made on the source
text (formatting and comments stay), of one of these kinds:

Python
    compare      == ↔ !=, < ↔ <=, > ↔ >=, in ↔ not in, is ↔ is not
    arith        + ↔ -, * ↔ /, // → /
    bool         and ↔ or, `not x` → x
    number       n → n + 1 (0 → 1, 1 → 2, …)
    true-false   True ↔ False
    drop-call    a call statement removed (`cur.execute(…)`, `conn.commit()`, `raise_for_status()`)
    drop-raise   `raise …` → `pass`
    drop-return  `return x` → `return None`
    drop-with    a context manager removed from a `with` (`with conn, conn.cursor() as cur:`
                 → `with conn.cursor() as cur:`): the transaction, the closing, the lock
    early-commit `conn.commit()` after a step of a `with conn:` block (each but the last):
                 a transaction boundary moved
    str-choice   a word with a realistic wrong twin: "reschedule" ↔ "poke", "all_done" → …
    trigger-rule TriggerRule.X → another rule
SQL (inside string literals that hold SQL)
    asc-desc     ASC ↔ DESC
    sql-compare  = → <=, = → <>, < ↔ <=, > ↔ >=
    and-or       AND ↔ OR
    drop-where   a WHERE clause removed
    drop-partition  PARTITION BY … removed from a window
    temp-table   CREATE TEMP TABLE → CREATE TABLE
    drop-defaults  LIKE t INCLUDING DEFAULTS → LIKE t (the course's CTAS flaw: no DEFAULT)
    window-fn    ROW_NUMBER() → RANK() (ties keep two rows)
    min-max      MIN ↔ MAX, FIRST_VALUE ↔ LAST_VALUE
    on-conflict  DO UPDATE → DO NOTHING
    drop-exists  IF NOT EXISTS / IF EXISTS removed
    cascade      DROP … → DROP … CASCADE
    swap-columns the first two names of a column list swapped
    sql-number   a number in SQL: n → n + 1

A mutant's id does not depend on line numbers: the kind, the function it is in and a
hash of the edit, so notes on equivalent mutants survive unrelated edits of the file.
"""
from __future__ import annotations

import ast
import hashlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

_BEGIN = re.compile(r"^\s*# BEGIN SOLUTION")
_END = re.compile(r"^\s*# END SOLUTION")
_SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|WITH|COPY|TRUNCATE)\b", re.I)


@dataclass(frozen=True)
class Mutant:
    file: str  # relative to dags/: `lab1_dedupe_upsert.py`, `common/alerts.py`
    kind: str
    function: str
    line: int
    before: str  # the text replaced…
    after: str  # …and what replaced it
    source: str  # the whole mutated file
    context: str = ""  # for an insertion: the text it follows (tells insertions apart)
    occurrence: int = 1  # the same edit made elsewhere in the same function: 2, 3, …

    @property
    def id(self) -> str:
        key = f"{self.file}|{self.function}|{self.before}|{self.after}|{self.context}"
        digest = hashlib.sha1(key.encode()).hexdigest()[:8]
        suffix = f"-{self.occurrence}" if self.occurrence > 1 else ""
        return f"{Path(self.file).stem}:{self.function}:{self.kind}:{digest}{suffix}"

    def diff(self, reference: str) -> str:
        import difflib

        return "".join(difflib.unified_diff(reference.splitlines(keepends=True), self.source.splitlines(keepends=True),
                                            f"dags/{self.file}", f"mutant {self.id}", n=1))


def solution_lines(source: str) -> set[int]:
    """1-based numbers of the lines inside SOLUTION blocks (the markers excluded)."""
    inside, lines = False, set()
    for number, text in enumerate(source.splitlines(), 1):
        if _BEGIN.match(text):
            inside = True
        elif _END.match(text):
            inside = False
        elif inside:
            lines.add(number)
    return lines


class _Source:
    """Offsets into the source text for ast positions (lines are 1-based, columns bytes)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for line in text.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line.encode()))
        self.raw = text.encode()

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        assert isinstance(node, ast.expr | ast.stmt) and node.end_lineno is not None and node.end_col_offset is not None
        return self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, start: int, end: int) -> str:
        return self.raw[start:end].decode()

    def replace(self, start: int, end: int, text: str) -> str:
        return (self.raw[:start] + text.encode() + self.raw[end:]).decode()


def mutants(source: str, file: str) -> list[Mutant]:
    """Every mutant of the SOLUTION blocks of `source` (one edit each), in file order."""
    tree = ast.parse(source)
    src = _Source(source)
    wanted = solution_lines(source)
    # The parts of an f-string carry the f-string's position, not their own: the f-string
    # is mutated as a whole instead.
    in_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in ast.walk(node)
                   if part is not node}
    found: dict[str, Mutant] = {}
    for function, node in _walk(tree):
        line: int | None = getattr(node, "lineno", None)
        if line is None or line not in wanted or id(node) in in_fstrings:
            continue
        for kind, start, end, text in _edits(node, src):
            mutated = src.replace(start, end, text)
            if mutated == source or not _compiles(mutated):
                continue
            context = src.segment(max(0, start - 80), start) if start == end else ""
            mutant = Mutant(file, kind, function, line, src.segment(start, end), text, mutated, context)
            if any(m.source == mutated for m in found.values()):
                continue  # the same mutant reached twice (a node seen from two sides)
            while mutant.id in found:  # the same edit at another place of the function
                mutant = replace(mutant, occurrence=mutant.occurrence + 1)
            found[mutant.id] = mutant
    return sorted(found.values(), key=lambda m: (m.line, m.kind, m.id))


def _compiles(source: str) -> bool:
    try:
        compile(source, "<mutant>", "exec")
        return True
    except SyntaxError:
        return False


def _walk(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """(enclosing function name, node) for every node."""
    def visit(node: ast.AST, function: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            yield name, child
            yield from visit(child, name)

    yield from visit(tree, "<module>")


_COMPARE = {ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="), ast.Lt: ("<", "<="), ast.LtE: ("<=", "<"),
            ast.Gt: (">", ">="), ast.GtE: (">=", ">"), ast.Is: ("is", "is not"), ast.IsNot: ("is not", "is"),
            ast.In: ("in", "not in"), ast.NotIn: ("not in", "in")}
_ARITH = {ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "/"), ast.Div: ("/", "*"), ast.FloorDiv: ("//", "/")}


def _edits(node: ast.AST, src: _Source) -> Iterator[tuple[str, int, int, str]]:
    """(kind, start, end, replacement) for each way to mutate `node` itself."""
    if isinstance(node, ast.Compare):
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            pair = _COMPARE.get(type(op))
            if pair:
                yield from _operator("compare", src, left, right, *pair)
            left = right
    elif isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        old, new = _ARITH[type(node.op)]
        yield from _operator("arith", src, node.left, node.right, old, new)
    elif isinstance(node, ast.BoolOp):
        old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        for left, right in itertools.pairwise(node.values):
            yield from _operator("bool", src, left, right, old, new)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        start, end = src.span(node)
        yield "bool", start, end, src.segment(*src.span(node.operand))
    elif isinstance(node, ast.Constant):
        yield from _constant(node, src)
    elif isinstance(node, ast.JoinedStr):
        start, end = src.span(node)
        yield from _sql(src.segment(start, end), start)
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        start, end = src.span(node)
        yield "drop-call", start, end, "pass"
    elif isinstance(node, ast.Raise):
        start, end = src.span(node)
        yield "drop-raise", start, end, "pass"
    elif isinstance(node, ast.Return) and node.value is not None and not (
        isinstance(node.value, ast.Constant) and node.value.value is None
    ):
        start, end = src.span(node)
        yield "drop-return", start, end, "return None"
    elif isinstance(node, ast.With):
        yield from _with(node, src)
    elif isinstance(node, ast.Attribute):
        yield from _attribute(node, src)


def _with(node: ast.With, src: _Source) -> Iterator[tuple[str, int, int, str]]:
    """A context manager not bound with `as` (`with conn:`: the transaction) removed; and a
    commit moved up to right after the block's first statement."""
    items = node.items
    for i, item in enumerate(items):
        if item.optional_vars is not None:
            continue
        here = src.span(item.context_expr)
        if len(items) > 1:
            start, end = (here[0], src.span(items[i + 1].context_expr)[0]) if i + 1 < len(items) else (
                src.span(items[i - 1].context_expr)[1], here[1])
            yield "drop-with", start, end, ""
        else:
            yield "drop-with", src.offset(node.lineno, node.col_offset), here[1], "if True"
        if isinstance(item.context_expr, ast.Name):
            body = node.body
            while len(body) == 1 and isinstance(body[0], ast.With):  # `with conn:` then `with conn.cursor() as cur:`
                body = body[0].body
            for statement in body[:-1]:  # a commit after each step but the last: the boundary moved there
                after = src.span(statement)[1]
                yield "early-commit", after, after, f"\n{' ' * statement.col_offset}{item.context_expr.id}.commit()"


def _operator(kind: str, src: _Source, left: ast.AST, right: ast.AST, old: str, new: str) -> Iterator[tuple[str, int, int, str]]:
    """Replace the operator token between `left` and `right`."""
    start, end = src.span(left)[1], src.span(right)[0]
    between = src.segment(start, end)
    match = re.search(r"(?<![=<>!])" + re.escape(old).replace(r"\ ", r"\s+") + r"(?![=<>])", between)
    if match:
        yield kind, start + len(between[: match.start()].encode()), start + len(between[: match.end()].encode()), new


def _constant(node: ast.Constant, src: _Source) -> Iterator[tuple[str, int, int, str]]:
    start, end = src.span(node)
    value = node.value
    if isinstance(value, bool):
        yield "true-false", start, end, str(not value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield "number", start, end, repr(value + 1)
    elif isinstance(value, str) and _SQL_WORDS.search(value):
        yield from _sql(src.segment(start, end), start)
    elif isinstance(value, str) and value in _CHOICES:
        text = src.segment(start, end)
        yield "str-choice", start, end, text.replace(value, _CHOICES[value], 1)


# Words with a realistic wrong alternative: a sensor's mode, a trigger rule, a run state.
_CHOICES = {
    "reschedule": "poke", "poke": "reschedule",
    "all_done": "all_success", "all_success": "all_done", "none_failed_min_one_success": "all_success",
    "one_success": "all_success", "all_failed": "all_done",
    "success": "failed", "failed": "success", "dev": "prod", "prod": "dev",
}
_TRIGGER_RULES = ("ALL_SUCCESS", "ALL_DONE", "NONE_FAILED_MIN_ONE_SUCCESS")


def _attribute(node: ast.Attribute, src: _Source) -> Iterator[tuple[str, int, int, str]]:
    """`TriggerRule.ALL_DONE` → another rule: the join or the cleanup step runs when it should not."""
    if isinstance(node.value, ast.Name) and node.value.id == "TriggerRule":
        start, end = src.span(node)
        for other in _TRIGGER_RULES:
            if other != node.attr:
                yield "trigger-rule", start, end, f"TriggerRule.{other}"


# -- SQL ---------------------------------------------------------------------------------------
_CLAUSE_END = r"(?=\b(?:GROUP\s+BY|ORDER\s+BY|HAVING|LIMIT|RETURNING|ON\s+CONFLICT|UNION|WINDOW)\b|\)|;|$|\"|')"
_SQL_RULES: list[tuple[str, str, str | None]] = [
    # (kind, pattern, replacement: None = computed)
    ("asc-desc", r"\bDESC\b", "ASC"),
    ("asc-desc", r"\bASC\b", "DESC"),
    ("and-or", r"\bAND\b", "OR"),
    ("and-or", r"\bOR\b(?!\s+REPLACE)", "AND"),
    ("sql-compare", r"(?<![<>!=:])=(?![=>])", "<="),
    ("sql-compare", r"(?<![<>!=:])=(?![=>])", "<>"),
    ("sql-compare", r"<=", "<"),
    ("sql-compare", r"(?<![<-])<(?![=>])", "<="),
    ("sql-compare", r">=", ">"),
    ("sql-compare", r"(?<![-=>])>(?![=])", ">="),
    ("temp-table", r"\bTEMP(?:ORARY)?\s+(?=TABLE\b)", ""),
    ("drop-defaults", r"\s+INCLUDING\s+(?:DEFAULTS|ALL)\b", ""),
    ("window-fn", r"\bROW_NUMBER\s*\(\s*\)", "RANK()"),
    ("min-max", r"\bMIN\s*\(", "MAX("),
    ("min-max", r"\bMAX\s*\(", "MIN("),
    ("min-max", r"\bFIRST_VALUE\b", "LAST_VALUE"),
    ("min-max", r"\bLAST_VALUE\b", "FIRST_VALUE"),
    ("on-conflict", r"\bDO\s+UPDATE\b[^;]*?(?=\bWHERE\b|RETURNING\b|$|\"|')", "DO NOTHING "),
    ("drop-exists", r"\bIF\s+(?:NOT\s+)?EXISTS\s+", ""),
    ("cascade", r"\b(DROP\s+(?:TABLE|VIEW)\s+(?:IF\s+EXISTS\s+)?[^\s;\"']+)", None),
    ("drop-where", r"\bWHERE\b.*?" + _CLAUSE_END, ""),
    ("drop-partition", r"\bPARTITION\s+BY\b.*?(?=\bORDER\s+BY\b|\))", ""),
    ("swap-columns", r"\(\s*([A-Za-z_][\w.]*)\s*,\s*([A-Za-z_][\w.]*)(?=\s*[,)])", None),
    ("sql-number", r"(?<![\w.%{$])\d+(?![\w.])", None),
]


def _sql(text: str, base: int) -> Iterator[tuple[str, int, int, str]]:
    """Mutants of the SQL in one string literal's source text (`text` starts at `base`)."""
    if not _SQL_WORDS.search(text):
        return
    for kind, pattern, replacement in _SQL_RULES:
        for match in re.finditer(pattern, text, flags=re.I | re.S):
            if kind == "cascade":
                new = match.group(1) + " CASCADE"
            elif kind == "swap-columns":
                new = f"({match.group(2)}, {match.group(1)}"
            elif kind == "sql-number":
                new = str(int(match.group(0)) + 1)
            else:
                new = replacement or ""
            if _inside_braces(text, match.start()):
                continue  # a {placeholder} of sql.SQL / str.format, not SQL
            start = base + len(text[: match.start()].encode())
            end = base + len(text[: match.end()].encode())
            yield kind, start, end, new


def _inside_braces(text: str, at: int) -> bool:
    return text.rfind("{", 0, at) > text.rfind("}", 0, at)
