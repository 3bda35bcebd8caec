"""Load the code under test — a student's file or the reference — and explain failures kindly.

A syntax error, a missing import or an exception at import time becomes one
`LabLoadError` whose message a student can act on (file, line, what Python said, the
offending line), instead of a traceback through importlib.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType, TracebackType

from labkit.paths import ROOT


class LabLoadError(Exception):
    """The lab file could not be imported. `str(err)` is the explanation for the student."""


def display_path(path: Path) -> str:
    """The path a student recognises: from the kit's root, or in a graded submission from its
    own root (`labs/lab1_dedupe_upsert/lab1_dedupe_upsert.py`, not the grader's scratch path)."""
    resolved = path.resolve()
    for base in (ROOT, Path.cwd() / "submission", Path.cwd()):
        try:
            return str(resolved.relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


def load_module(path: Path, name: str | None = None, package_root: Path | None = None) -> ModuleType:
    """Import `path` as module `name` (default: the file's stem), replacing any earlier copy.

    With `package_root`, `name` is dotted (`common.alerts`) and is imported from that
    folder, as Airflow imports it from the DAGs folder: the DAG files that import it
    and the tests then share one module object.
    """
    path = Path(path)
    name = name or path.stem
    shown = display_path(path)
    if not path.exists():
        raise LabLoadError(f"{shown} does not exist. Did you rename or move it? (labkit release recreates starters)")
    source = path.read_text(encoding="utf-8", errors="replace")
    try:
        compile(source, str(path), "exec")
    except SyntaxError as err:
        raise LabLoadError(_syntax_message(shown, err)) from None

    if package_root is not None:
        return _load_package_module(path, name, package_root, shown)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    # The DAG file's folder is on sys.path for Airflow too: sibling imports behave the same.
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    with _explained(path, shown, name):
        spec.loader.exec_module(module)
    return module


def _load_package_module(path: Path, name: str, package_root: Path, shown: str) -> ModuleType:
    loaded = sys.modules.get(name)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() == path.resolve():
        return loaded  # a DAG file imported it already: share that copy
    top = name.split(".")[0]
    package = sys.modules.get(top)
    here = (package_root / top).resolve()
    if package is not None and not any(Path(p).resolve() == here for p in getattr(package, "__path__", [])):
        for key in [k for k in sys.modules if k == top or k.startswith(top + ".")]:
            del sys.modules[key]  # a package of the same name from elsewhere (another target)
    root = str(package_root)
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)
    with _explained(path, shown, name):
        return importlib.import_module(name)


@contextmanager
def _explained(path: Path, shown: str, name: str) -> Iterator[None]:
    """Turn anything raised while importing a lab file into a LabLoadError a student can read."""
    try:
        yield
    except ModuleNotFoundError as err:
        sys.modules.pop(name, None)
        raise LabLoadError(
            f"{shown} imports `{err.name}`, which is not installed here.\n"
            f"Use what the kit provides (see the lab README), or check the spelling."
        ) from None
    except BaseException as err:  # noqa: BLE001 - anything at import time is the student's to fix
        sys.modules.pop(name, None)
        if isinstance(err, KeyboardInterrupt):
            raise
        # The error itself on the first line: it is the one-line reason every test shows.
        described = describe_exception(err, path)
        first, _, rest = described.partition("\n")
        if first.endswith(":") and rest and not rest.startswith("  at "):
            # "Invalid arguments were:" announces the line that names them: keep it on the first line.
            more, _, rest = rest.partition("\n")
            first = f"{first} {more.strip()}"
        raise LabLoadError(f"{shown} fails while being imported: {first}" + (f"\n{rest}" if rest else "")) from None


def _syntax_message(shown: str, err: SyntaxError) -> str:
    lines = [f"{shown} has a syntax error on line {err.lineno}: {err.msg}."]
    if err.text:
        text = err.text.rstrip("\n")
        stripped = text.lstrip()
        lines.append(f"    {stripped}")
        if err.offset:
            caret = max(err.offset - 1 - (len(text) - len(stripped)), 0)
            lines.append("    " + " " * caret + "^")
    lines.append("Python reads the whole file before running any of it, so every test scores 0 until this is fixed.")
    return "\n".join(lines)


def student_frame(tb: TracebackType | None, path: Path | None = None) -> traceback.FrameSummary | None:
    """The innermost traceback frame inside `path` (or inside any lab/DAG file)."""
    frames = traceback.extract_tb(tb)
    for frame in reversed(frames):
        file = Path(frame.filename)
        if path is not None and file.resolve() == path.resolve():
            return frame
        if path is None and file.parent.name != "site-packages" and (
            "/labs/" in frame.filename or "/dags/" in frame.filename or "/wrong/" in frame.filename
        ):
            return frame
    return None


SANDBOX_NOTE = ("The grading sandbox shows a submission only its own files, the kit's public tests and Python's "
                "libraries: nothing else on the grading machine (the reference solutions and hidden tests included) "
                "can be read or written.")


def describe_exception(err: BaseException, path: Path | None = None) -> str:
    """`TypeError: …` plus where in the student's file it happened, with that line."""
    text = f"{type(err).__name__}: {err}".rstrip(": ")
    frame = student_frame(err.__traceback__, path)
    if frame is not None:
        where = f"  at {display_path(Path(frame.filename))} line {frame.lineno}, in {frame.name}"
        if frame.line and not frame.line.strip().startswith("raise NotImplementedError"):
            where += f"\n      {frame.line.strip()}"
        text += "\n" + where
    if _outside_the_sandbox(err):
        text += "\n" + SANDBOX_NOTE
    return text


def _outside_the_sandbox(err: BaseException) -> bool:
    """A file error, in a jailed grading run, about a file the jail does not show."""
    if os.environ.get("LABKIT_SANDBOX", "none") == "none":
        return False
    for cause in (err, err.__cause__, err.__context__):
        name = getattr(cause, "filename", None) if isinstance(cause, OSError) else None
        if not name or not os.path.isabs(str(name)) or str(name).startswith((os.getcwd(), "/proc", "/dev")):
            continue
        # The jail's /tmp is private and the tests make their folders there: a missing file in a
        # folder that exists is the submission's own business. A path whose folder is missing
        # too is somewhere the jail does not show, such as a grader's checkout under /tmp.
        if str(name).startswith(("/tmp/", "/var/tmp/")) and os.path.isdir(os.path.dirname(str(name))):
            continue
        return True
    return False
