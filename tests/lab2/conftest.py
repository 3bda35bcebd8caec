"""Lab 2 fixtures: the code under test, and the course's data loaded once per session."""
from __future__ import annotations

import pytest

FILE = "lab2_nps_summary.py"


@pytest.fixture(scope="session")
def lab(load_lab):
    """The student's lab2_nps_summary.py (or the reference with --target reference)."""
    return load_lab(FILE)


@pytest.fixture(scope="session")
def source_rows():
    """The rows loaded into every test's warehouse, for computing expected values independently."""
    from labkit.data import nps, sessions

    return {"nps": nps.generate_nps(), "sessions": sessions.generate_sessions()}


@pytest.fixture(scope="session")
def warehouse_template(pg_server):
    """A database holding nps, user_session_channel and session_timestamp; each test copies it.

    Built once per server (2.7 s): a warm server keeps it for every later run."""
    import labkit.data
    from labkit.data import lab2_sources, nps, sessions
    from labkit.grading import templates

    # Named after the generators and the loader: changed code gets a new template on a warm server.
    name = f"lab2_sources_{templates.fingerprint(labkit.data, nps, sessions, lab2_sources)}"
    return templates.shared(pg_server, name, lab2_sources.ensure)
