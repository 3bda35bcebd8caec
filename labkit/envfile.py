"""Environment files (`KEY=value`, a line each), read as docker compose reads an `env_file`:
the part of that format a production Airflow configuration needs, and nothing that runs code.

    entries = envfile.parse(text)                      # EnvFileError names the line at fault
    values = envfile.resolve(entries, os.environ)      # ${NAME} filled in from the environment

The format:
- blank lines and `# comments`; `export KEY=value` is read as `KEY=value` (a shell habit);
- a value unquoted (a ` #` starts a comment), 'single-quoted' (taken as written) or
  "double-quoted" (`\\n`, `\\t`, `\\"` and `\\\\` escapes);
- outside single quotes, `${NAME}`, `${NAME:-default}` and `${NAME:?message}` take NAME from
  the environment given to resolve(), then from the file's earlier lines: how a file names a
  secret (a Fernet key, a password) without holding it. `$NAME` without braces is refused:
  compose reads it, a shell reads it, but a secret pasted in may hold a `$` too, and a
  typo would then resolve to nothing without a word.
Keys are what a shell accepts as a variable name. A key set twice is refused: the second
line would silently win.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


class EnvFileError(ValueError):
    """A line that is not `KEY=value`, or a reference that cannot be resolved."""


@dataclass(frozen=True)
class Entry:
    key: str
    value: str  # as written, quotes removed, escapes applied, references not yet resolved
    line: int
    literal: bool = False  # single-quoted: no references

    @property
    def references(self) -> list[str]:
        """The environment variables the value names (`${NAME}`)."""
        return [] if self.literal else [match.group("name") for match in _REFERENCE.finditer(self.value)]


def parse(text: str, name: str = "the env file") -> list[Entry]:
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{name} line {number}"
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, equals, rest = line.partition("=")
        key = key.strip()
        if not equals:
            raise EnvFileError(f"{where}: expected KEY=value, got {_shown(line)}")
        if not _KEY.fullmatch(key):
            raise EnvFileError(f"{where}: {key!r} is not a variable name (letters, digits and _; not starting with a digit)")
        if key in seen:
            raise EnvFileError(f"{where}: {key} is already set on line {seen[key]}; keep one")
        value, literal = _value(rest.strip(), where)
        if not literal:
            _check_dollars(value, where)
        seen[key] = number
        entries.append(Entry(key, value, number, literal))
    return entries


def resolve(entries: Sequence[Entry], environ: Mapping[str, str], name: str = "the env file") -> dict[str, str]:
    """Every entry's value with its `${…}` references filled in."""
    values: dict[str, str] = {}
    for entry in entries:
        if entry.literal:
            values[entry.key] = entry.value
            continue

        def fill(match: re.Match[str], entry: Entry = entry) -> str:
            var, op, arg = match.group("name"), match.group("op"), match.group("arg") or ""
            found = environ.get(var, values.get(var))
            if found:
                return found
            if op == ":-":
                return arg
            if op == ":?":
                raise EnvFileError(f"{name} line {entry.line}: {entry.key} needs {var}: {arg or 'it is not set'}")
            if found is None:
                raise EnvFileError(f"{name} line {entry.line}: {entry.key} names ${{{var}}}, which is not set")
            return found

        values[entry.key] = _REFERENCE.sub(fill, entry.value)
    return values


def load(text: str, environ: Mapping[str, str], name: str = "the env file") -> dict[str, str]:
    return resolve(parse(text, name), environ, name)


def _value(rest: str, where: str) -> tuple[str, bool]:
    if rest.startswith("'"):
        end = rest.find("'", 1)
        if end < 0:
            raise EnvFileError(f"{where}: the ' that opens the value is never closed")
        _only_a_comment_after(rest[end + 1:], where)
        return rest[1:end], True
    if rest.startswith('"'):
        out, i = [], 1
        while i < len(rest):
            char = rest[i]
            if char == "\\" and i + 1 < len(rest):
                following = rest[i + 1]
                out.append(_ESCAPES.get(following, "\\" + following))
                i += 2
                continue
            if char == '"':
                _only_a_comment_after(rest[i + 1:], where)
                return "".join(out), False
            out.append(char)
            i += 1
        raise EnvFileError(f'{where}: the " that opens the value is never closed')
    value = re.split(r"\s+#", rest, maxsplit=1)[0].rstrip()
    return value, False


def _only_a_comment_after(tail: str, where: str) -> None:
    tail = tail.strip()
    if tail and not tail.startswith("#"):
        raise EnvFileError(f"{where}: unexpected {_shown(tail)} after the quoted value")


def _check_dollars(value: str, where: str) -> None:
    """Every `$` outside single quotes starts a `${NAME…}` reference."""
    plain = _REFERENCE.sub("", value)
    if "$" in plain:
        raise EnvFileError(f"{where}: a $ that is not ${{NAME}}: write ${{NAME}} to take NAME from the environment, "
                           "or single-quote the value to keep the $ as it is")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")
