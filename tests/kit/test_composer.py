"""labkit.compose: owned services stop here, attached ones never do, and nothing escapes."""
from __future__ import annotations

import threading
import time

import pytest

from labkit import compose
from labkit.services import postgres


class Fake:
    """A service that records its life (start and stop are all a service needs)."""

    def __init__(self, name: str, log: list[str], delay: float = 0.0, fail: bool = False) -> None:
        self.name, self.log, self.delay, self.fail = name, log, delay, fail

    def start(self) -> Fake:
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError(f"{self.name} could not start")
        self.log.append(f"start {self.name}")
        return self

    def stop(self) -> None:
        self.log.append(f"stop {self.name}")

    def env(self) -> dict[str, str]:
        return {f"FAKE_{self.name.upper()}": "running"}


def _stop(service: Fake) -> None:
    service.stop()


def test_owned_services_stop_newest_first_and_attached_ones_never():
    log: list[str] = []
    with compose.Services("test") as services:
        services.own("a", Fake("a", log).start, _stop)
        services.attach("theirs", Fake("theirs", log))
        services.own("b", Fake("b", log, delay=0.2).start, _stop, background=True)
        assert services.env() == {"FAKE_A": "running", "FAKE_THEIRS": "running", "FAKE_B": "running"}
    assert log == ["start a", "start b", "stop b", "stop a"]


def test_a_start_in_flight_is_waited_for_then_stopped():
    """Closing while a background start runs (Ctrl-C during start-up) must not leak it."""
    log: list[str] = []
    services = compose.Services("test")
    services.own("slow", Fake("slow", log, delay=0.5).start, _stop, background=True, env={"KNOWN": "at once"})
    assert services.env() == {"KNOWN": "at once"}  # known before it answers: a child can be told
    services.close()
    assert log == ["start slow", "stop slow"]
    assert not [t for t in threading.enumerate() if t.name.startswith("start-test")]


def test_a_failed_start_is_reported_and_the_rest_still_stop():
    log: list[str] = []
    services = compose.Services("test")
    services.own("ok", Fake("ok", log).start, _stop)
    broken = services.own("broken", Fake("broken", log, fail=True).start, _stop, background=True)
    with pytest.raises(RuntimeError, match="broken could not start"):
        services["broken"]
    services.close()
    assert isinstance(broken.error, RuntimeError)
    assert log == ["start ok", "stop ok"]


def test_a_stop_that_fails_does_not_keep_the_others_running(caplog):
    log: list[str] = []

    def refuse(service: Fake) -> None:
        raise OSError("already gone")

    with compose.Services("test") as services:
        services.own("first", Fake("first", log).start, _stop)
        services.own("stubborn", Fake("stubborn", log).start, refuse)
    assert log == ["start first", "start stubborn", "stop first"]
    assert "stopping stubborn failed" in caplog.text


@pytest.mark.timeout(60)
def test_a_grading_run_attaches_to_a_server_it_is_given_and_leaves_it_running():
    server = postgres.start()
    try:
        with compose.compose("lab1", "grade", server=server) as services:
            assert isinstance(services.service("postgres"), compose.Attached)
            assert services.env() == {"LABKIT_PG_ADMIN_DSN": server.dsn("postgres")}
        assert server.healthy(), "an attached server was stopped"
    finally:
        server.stop()


@pytest.mark.timeout(60)
def test_a_grading_run_owns_a_background_postgres_whose_address_is_known_at_once():
    with compose.compose("lab1", "grade") as services:
        owned = services.service("postgres")
        assert isinstance(owned, compose.Owned)
        dsn = services.env()["LABKIT_PG_ADMIN_DSN"]  # before it answers: what pytest is told
        server = services["postgres"]
        assert server.dsn("postgres") == dsn and server.healthy()
    assert not server.healthy() and not server.data_dir.parent.exists()


def test_a_live_airflow_lent_to_a_run_is_attached_and_marked_already_running(tmp_path):
    state = tmp_path / "lab5-spare" / "server.json"
    with compose.compose("lab5", "grade", airflow_state=state) as services:
        assert isinstance(services.service("airflow_server"), compose.Attached)
        # The test process then fails at once if its state file is gone (servers._attach).
        assert services.env()["LABKIT_AIRFLOW_SERVER"] == str(state)
        assert services.env()["LABKIT_AIRFLOW_SERVER_RUNNING"] == "1"


def test_labs_without_postgres_or_airflow_compose_nothing_and_unknown_roles_are_refused():
    with compose.compose("lab4", "grade", with_airflow=False) as services:
        assert list(services) == []
    with pytest.raises(ValueError, match="unknown role 'party'"):
        compose.compose("lab1", "party")


def test_shared_airflows_lend_each_to_one_run_at_a_time(tmp_path):
    """verify and mutate share a live Airflow per worker: never one to two runs at once
    (a test that stops its scheduler would pull it from under the other)."""
    from types import SimpleNamespace

    from labkit.grading.servers import SharedAirflows, shared_key

    services = compose.Services("shared")
    for n in range(2):
        services.attach(shared_key(n), SimpleNamespace(state_file=str(tmp_path / f"airflow-{n}" / "state.json")))
    airflows = SharedAirflows(services)
    assert airflows.count == 2
    holding: list[str] = []
    most = 0
    lock = threading.Lock()

    def run() -> None:
        nonlocal most
        with airflows.lend() as state_file:
            with lock:
                assert str(state_file) not in holding, "lent twice at once"
                holding.append(str(state_file))
                most = max(most, len(holding))
            time.sleep(0.05)
            with lock:
                holding.remove(str(state_file))

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2 and not holding
    with SharedAirflows(compose.Services("shared")).lend() as none:  # a lab without one
        assert none is None

