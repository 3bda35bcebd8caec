"""labkit.grading.mutants: one-edit mutants of what a student writes, Python and SQL alike.

Running them (make mutate) takes minutes per lab and is not part of the suite; what is
checked here: the operators, that notes on equivalent mutants name mutants that exist, and
that docs/grader-power.md reports every lab at the target.
"""
from __future__ import annotations

import re
import textwrap

import pytest

from labkit.grading.mutants import mutants, solution_lines
from labkit.grading.mutation import equivalents
from labkit.grading.sample_class import reference_files
from labkit.grading.targets import known_labs
from labkit.paths import ROOT

SOURCE = textwrap.dedent('''\
    from psycopg2 import sql


    def load(conn, rows, table):
        """Not mutated: outside the solution."""
        if not rows:
            raise ValueError("empty")
        # BEGIN SOLUTION: load
        with conn:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("CREATE TEMP TABLE staging (LIKE {} INCLUDING DEFAULTS)").format(table))
                cur.execute(sql.SQL("DELETE FROM {}").format(table))
                cur.execute("""
                    INSERT INTO t SELECT * FROM (
                        SELECT *, ROW_NUMBER() OVER (PARTITION BY date ORDER BY created_date DESC) AS seq FROM staging
                    ) AS r WHERE seq = 1""")
        return len(rows) > 0 and True
        # END SOLUTION
    ''')


def _by_kind(source: str = SOURCE) -> dict[str, list]:
    found: dict[str, list] = {}
    for mutant in mutants(source, "demo.py"):
        found.setdefault(mutant.kind, []).append(mutant)
    return found


def test_only_the_solution_is_mutated():
    lines = solution_lines(SOURCE)
    assert all(m.line in lines for ms in _by_kind().values() for m in ms)
    assert not any("empty" in m.before for ms in _by_kind().values() for m in ms)


def test_every_mutant_compiles_and_differs_by_one_edit():
    for kind, found in _by_kind().items():
        for mutant in found:
            compile(mutant.source, "mutant", "exec")
            assert mutant.source != SOURCE
            assert mutant.diff(SOURCE).count("\n+") <= 3, (kind, mutant.diff(SOURCE))


@pytest.mark.parametrize(("kind", "before", "after"), [
    ("asc-desc", "DESC", "ASC"),
    ("drop-partition", "PARTITION BY date ", ""),
    ("drop-where", "WHERE seq = 1", ""),
    ("sql-compare", "=", "<="),
    ("window-fn", "ROW_NUMBER()", "RANK()"),
    ("drop-defaults", " INCLUDING DEFAULTS", ""),
    ("temp-table", "TEMP ", ""),
    ("drop-with", "with conn", "if True"),
    ("bool", "and", "or"),
    ("true-false", "True", "False"),
    ("compare", ">", ">="),
    ("drop-return", "return len(rows) > 0 and True", "return None"),
])
def test_the_operators_make_the_mistakes_they_name(kind, before, after):
    found = _by_kind()[kind]
    assert any(m.before == before and m.after == after for m in found), [(m.before, m.after) for m in found]


def test_a_commit_can_be_moved_after_each_step_of_a_transaction():
    commits = _by_kind()["early-commit"]
    assert len(commits) == 2  # after CREATE TEMP and after DELETE (never after the last step)
    assert len({m.id for m in commits}) == 2
    assert all("conn.commit()" in m.source for m in commits)


def test_ids_do_not_depend_on_line_numbers():
    shifted = SOURCE.replace("from psycopg2 import sql\n", "from psycopg2 import sql\n\n\n# a new comment\n")
    assert {m.id for m in mutants(SOURCE, "demo.py")} == {m.id for m in mutants(shifted, "demo.py")}


@pytest.mark.parametrize("lab", known_labs())
def test_notes_on_equivalent_mutants_name_mutants_that_exist(lab):
    existing = {m.id for name, source in reference_files(lab).items() for m in mutants(source, name)}
    stale = sorted(set(equivalents(lab)) - existing)
    assert not stale, f"tests/{lab}/equivalent_mutants.txt notes mutants the reference no longer has: {stale}"
    assert all(why for why in equivalents(lab).values()), "every note says why"


def test_the_grader_power_report_covers_every_lab_at_the_target():
    report = (ROOT / "docs" / "grader-power.md").read_text()
    for lab in known_labs():
        row = re.search(rf"^\| {lab} \|.*\| (\d+) % \|$", report, flags=re.M)
        assert row, f"docs/grader-power.md has no row for {lab}"
        assert int(row.group(1)) >= 90, f"{lab}'s mutation score is below 90 %"
