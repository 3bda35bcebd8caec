"""labkit.bench: its pieces, and one tiny end-to-end run. Nothing here asserts a speed."""
from __future__ import annotations

import os

import pytest

from labkit import bench
from labkit.services import postgres
from labkit.services.airflow import AirflowHome


def test_generate_rows_is_deterministic_with_distinct_dates():
    rows = bench.generate_rows(1_000)
    assert rows == bench.generate_rows(1_000)
    assert len(rows) == 1_000
    assert len({row[0] for row in rows}) == 1_000
    assert rows[0][0] == bench.LAST_DAY
    assert rows != bench.generate_rows(1_000, seed=1)


def test_generated_rows_are_loadable_by_the_course_loader():
    for _day, temp, low, high, summary in bench.generate_rows(2_000):
        assert low <= temp <= high
        assert "'" not in summary  # the f-string loader cannot load an apostrophe


def test_ratios_compare_rates_not_raw_seconds():
    # 5,000 rows in 0.5 s = 10,000 rows/s; the reference 100,000 in 0.1 s = 1,000,000 rows/s.
    sampled = bench.Measurement("row-by-row", 5_000, 0.5)
    reference = bench.Measurement("reference", 100_000, 0.1)
    copy = bench.Measurement("copy", 100_000, 0.08)
    result = bench.ratios(sampled, reference, copy)
    assert result.speedup == pytest.approx(100.0)
    assert result.slowdown == pytest.approx(1.25)
    assert result.ok


def test_ratio_targets_miss_on_either_side():
    reference = bench.Measurement("reference", 100_000, 1.0)
    too_slow_baseline = bench.Measurement("row-by-row", 100_000, 40.0)  # 40× < 50×
    assert not bench.ratios(too_slow_baseline, reference, bench.Measurement("copy", 100_000, 0.9)).speedup_ok
    far_from_copy = bench.ratios(
        bench.Measurement("row-by-row", 100_000, 100.0), reference, bench.Measurement("copy", 100_000, 0.4)
    )
    assert far_from_copy.speedup_ok and not far_from_copy.slowdown_ok  # 2.5× > 2×
    assert not far_from_copy.ok


def test_report_lines():
    sampled = bench.Measurement("row-by-row", 5_000, 0.5)
    full = bench.Measurement("row-by-row", 100_000, 10.0, extrapolated=True)
    reference = bench.Measurement("reference", 100_000, 0.1)
    copy = bench.Measurement("copy", 100_000, 0.08)
    lines = bench.report(
        [sampled, full, reference, copy],
        bench.ratios(full, reference, copy),
    )
    text = "\n".join(lines)
    assert lines[0].split() == ["method", "rows", "seconds", "rows/s"]
    assert "row-by-row [extrapolated]" in text
    assert "reference vs row-by-row: 100.0× faster (target ≥ 50×) PASS" in text
    assert "reference vs raw COPY: 1.25× slower (target ≤ 2×) PASS" in text
    assert "peak RSS of this bench process" in text
    # The table is aligned: every row of it has the same width.
    table = lines[:6]
    assert len({len(line) for line in table}) == 1


@pytest.mark.timeout(90)  # an embedded PostgreSQL and an Airflow import, beside other kit tests
def test_main_end_to_end_with_tiny_sizes(tmp_path, monkeypatch, capsys):
    # Importing the reference imports Airflow; point it at a throwaway home (restored after).
    for key, value in AirflowHome(tmp_path / "airflow", tmp_path / "airflow" / "dags").env().items():
        monkeypatch.setenv(key, value)
    code = bench.main(["--rows", "2000", "--sample", "200", "--no-warm-test"])
    assert code in (0, 1)
    out = capsys.readouterr().out
    for expected in (
        "row-by-row f-string INSERT (course)",
        "row-by-row f-string INSERT (course) [extrapolated]",
        "reference bulk load (lab 1)",
        "raw COPY (lower bound)",
        "reference vs row-by-row:",
        "reference vs raw COPY:",
        "peak RSS of this bench process",
    ):
        assert expected in out
    assert "warm make test lab1" not in out
    assert ("PASS" in out) or ("MISS" in out)
    # The server was stopped and its folder removed.
    assert not list(postgres.run_root().glob(f"pg-{os.getpid()}-*"))


def test_grading_budgets_scale_with_the_machines_floors():
    from dataclasses import replace

    from labkit import budgets

    then = budgets.FLOORS_THEN
    assert budgets.scaled(12.0, "lab1", False, then) == pytest.approx(12.0)
    slower = budgets.Floors(*(2 * value for value in (then.pytest_start, then.airflow_import,
                                                      then.postgres_start, then.live_airflow)))
    assert budgets.scaled(12.0, "lab1", False, slower) == pytest.approx(24.0)
    # Lab 5 starts its own live Airflow: only that floor slower, its budget grows; lab 1's does not.
    airflow_slower = replace(then, live_airflow=then.live_airflow + 10)
    assert budgets.scaled(18.0, "lab5", False, airflow_slower) > 18.0
    assert budgets.scaled(12.0, "lab1", False, airflow_slower) == pytest.approx(12.0)
    figure = budgets._against_floor(budgets.Figure("warm make test lab1", [20.0], budget=12.0), "lab1", False, slower)
    assert figure.ok and "budget ≤ 24.0 s (12 s × floor now/then) PASS" in figure.line()
