"""Write the nbgrader course: the six troubleshooting challenges as one graded assignment.

    .venv/bin/python tools/make_course.py        # rewrites course/source/challenges/challenges.ipynb

The notebook is nbgrader's *source* version: each challenge has a solution cell (the instructor's
fix between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, which ``nbgrader generate_assignment``
replaces by a stub) and a locked test cell worth one point that grades the student's fix with
:func:`xcon_teach.challenges.check`, by outcome, under both hypotheses. The tickets come from the
package, so the assignment cannot drift from the challenges; ``tests/test_course.py`` checks the
committed file is what this script writes and runs it through the real nbgrader.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xcon_teach.challenges import CHALLENGES, RULES  # noqa: E402

OUT = ROOT / "course" / "source" / "challenges" / "challenges.ipynb"

SOLUTIONS = {
    "the-kb-case": 'c.scenario.with_stack("EXA", "hostname", "EXCLUS").with_stack("EXCLUS", "hostname", "EXA")',
    "one-side": 'c.scenario.with_stack("EXA", "hostname", "EXCLUS")',
    "after-failover": 'c.scenario.with_stack("EXA", "hostname", "EXCLUS").with_stack("EXCLUS", "hostname", "EXA")',
    "tidy-dns": 'c.scenario.with_ptr("10.0.1.11", None).with_ptr("10.0.1.12", None)',
    "two-clusters": 'c.scenario.with_stack("EXCLA", "hostname", "EXCLUS").with_stack("EXCLUS", "hostname", "EXCLA")',
    "allowlist": (
        '(\n    c.scenario.with_build("EXCLA", "sp2")\n    .with_override("EXCLA", "10.0.0.20")\n'
        '    .with_build("EXCLUS", "sp2")\n    .with_override("EXCLUS", "10.0.1.20")\n)'
    ),
}
"""One passing fix a challenge (the instructor guide lists more, and the wrong ones)."""

INTRO = f"""# Troubleshooting challenges: the graded assignment

Six help desk tickets, in rising difficulty. For each one, find out what is wrong (the lessons'
notebook 06 has the tools), then set `fix` in the answer cell to a repaired scenario: start from
`c.scenario` and chain edits such as `.with_stack(...)`, `.with_build(...)` or `.with_ptr(...)`.
If you found your fix in the lab (`xcon_teach.Lab(c)` in a new cell), press **Save** there and
load the file: `fix = xcon_teach.load_scenario("the-kb-case.toml")`, and hand in the file too.

The test cell after each answer grades your fix by what happens, not by which setting you
turned. A fix passes when it meets four rules: {"; ".join(f"*{r}*" for r in RULES)}. Each
ticket is worth one point. Run the test cell yourself: if it fails, its message names the rule
that failed and gives a hint.

Change the configuration, not the problem: the hosts and their addresses, the clusters, the
servers, the messages and the firewall stay as given.
"""

SETUP = """import xcon_teach
from xcon_teach.challenges import challenge, check
from xcon_teach.lessons.fixes import settings_table, ticket"""

TEST = "\n".join(
    [
        'assert fix is not None, "no fix handed in: set fix in the answer cell above"',
        "verdict = check(c, fix)",
        "print(verdict)",
        "if verdict.failed_rules:",
        '    assert verdict.passed, "not fixed: fails " + ", ".join(repr(rule) for rule in verdict.failed_rules)',
        'assert verdict.passed, "not fixed: the fix changes the problem itself, not only the configuration"',
    ]
)


def _cell(kind: str, source: str, grade_id: str | None = None, **nbgrader: object) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "id": grade_id or "", "metadata": {}, "source": source.splitlines(keepends=True)}
    if grade_id is not None:
        cell["metadata"] = {"nbgrader": {"grade_id": grade_id, "schema_version": 3, **nbgrader}}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _locked(kind: str, source: str, grade_id: str) -> dict[str, Any]:
    """A read-only cell that nbgrader neither grades nor lets the student edit."""
    return _cell(kind, source, grade_id, grade=False, locked=True, solution=False, task=False)


def notebook() -> dict[str, Any]:
    cells = [_locked("markdown", INTRO, "intro"), _locked("code", SETUP, "setup")]
    for n, c in enumerate(CHALLENGES, 1):
        cells += [
            _locked("markdown", f"## {n} · {c.title} (level {c.level})", f"title-{c.name}"),
            _locked(
                "code",
                f'c = challenge("{c.name}")\nfix = None  # the answer cell below sets it\nprint(ticket(c))',
                f"ticket-{c.name}",
            ),
            _cell(
                "code",
                f"### BEGIN SOLUTION\nfix = {SOLUTIONS[c.name]}\n### END SOLUTION",
                f"fix-{c.name}",
                grade=False,
                locked=False,
                solution=True,
                task=False,
            ),
            _cell("code", TEST, f"check-{c.name}", grade=True, locked=True, points=1, solution=False, task=False),
        ]
    for i, cell in enumerate(cells):
        cell["id"] = f"c{i:02d}"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def text() -> str:
    return json.dumps(notebook(), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text())
    print(f"wrote {OUT.relative_to(ROOT)}")
