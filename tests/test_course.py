"""The graded assignment under the real nbgrader: generate the student version, autograde two hand-ins.

Needs nbgrader (in the ``test`` extra, so the README's test command installs it). Without it these
tests skip, except in CI, where a missing nbgrader fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
sys.path.insert(0, str(ROOT / "tools"))

import make_course  # noqa: E402

from xcon_teach.challenges import CHALLENGES  # noqa: E402

NBGRADER = Path(sys.executable).parent / "nbgrader"


def test_the_committed_assignment_is_what_the_tool_writes() -> None:
    assert (COURSE / "source" / "challenges" / "challenges.ipynb").read_text() == make_course.text(), (
        "run: .venv/bin/python tools/make_course.py"
    )


def test_every_challenge_has_a_solution_and_a_one_point_test() -> None:
    cells = make_course.notebook()["cells"]
    ids = {c["metadata"]["nbgrader"]["grade_id"]: c for c in cells}
    for c in CHALLENGES:
        assert ids[f"fix-{c.name}"]["metadata"]["nbgrader"]["solution"] is True
        assert ids[f"check-{c.name}"]["metadata"]["nbgrader"] | {"grade_id": ""} == {
            "grade_id": "",
            "schema_version": 3,
            "grade": True,
            "locked": True,
            "points": 1,
            "solution": False,
            "task": False,
        }


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not NBGRADER.exists():
        reason = "nbgrader is not installed (python3 run.py test installs it with the test extra)"
        if os.environ.get("XCON_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(COURSE, root, dirs_exist_ok=True)
    return root


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{NBGRADER.parent}{os.pathsep}{os.environ.get('PATH', '')}"}  # it runs alembic
    ran = subprocess.run([str(NBGRADER), *args], cwd=course, capture_output=True, text=True, timeout=600, env=env)
    assert ran.returncode == 0, ran.stderr[-3000:]
    return ran


def hand_in(course: Path, student: str, fixes: dict[str, str]) -> None:
    """A student's submission: the released notebook with some answer cells filled in."""
    nb = json.loads((course / "release" / "challenges" / "challenges.ipynb").read_text())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if grade_id.removeprefix("fix-") in fixes:
            cell["source"] = f"fix = {fixes[grade_id.removeprefix('fix-')]}\n"
    folder = course / "submitted" / student / "challenges"
    folder.mkdir(parents=True)
    (folder / "challenges.ipynb").write_text(json.dumps(nb))


@pytest.fixture(scope="module")
def graded(course: Path) -> Path:
    nbgrader(course, "generate_assignment", "challenges")
    hand_in(course, "sam", {c.name: make_course.SOLUTIONS[c.name] for c in CHALLENGES})
    hand_in(
        course,
        "pat",
        {
            "one-side": 'c.scenario.with_stack("EXA", "hostname", "EXCLUS")',  # passes
            "the-kb-case": 'c.scenario.with_address("EXA", "10.0.1.11")',  # the node IP: fails after a failover
        },
    )
    nbgrader(course, "autograde", "challenges")
    nbgrader(course, "export", "--to", "grades.csv")
    return course


def test_the_student_version_has_stubs_not_solutions(graded: Path) -> None:
    text = (graded / "release" / "challenges" / "challenges.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and text.count("raise NotImplementedError()") == len(CHALLENGES)
    for fix in make_course.SOLUTIONS.values():
        for line in (line.strip() for line in fix.splitlines()):
            assert len(line) < 3 or json.dumps(line)[1:-1] not in text, line


def test_autograde_scores_each_fix_by_outcome(graded: Path) -> None:
    from nbgrader.api import Gradebook  # type: ignore[import-untyped]

    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}") as gb:
        sam = gb.find_submission("challenges", "sam")
        pat = gb.find_submission("challenges", "pat")
        assert (sam.score, sam.max_score) == (len(CHALLENGES), len(CHALLENGES))
        assert pat.score == 1
        scores = {g.name: g.score for g in gb.find_submission_notebook("challenges", "challenges", "pat").grades}
    assert scores["check-one-side"] == 1 and scores["check-the-kb-case"] == 0
    assert sum(scores.values()) == 1


def test_a_failed_test_cell_names_the_rule_that_failed(graded: Path) -> None:
    nb = json.loads((graded / "autograded" / "pat" / "challenges" / "challenges.ipynb").read_text())
    errors = {
        cell["metadata"]["nbgrader"]["grade_id"]: out["evalue"]
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if out["output_type"] == "error" and "nbgrader" in cell["metadata"]
    }
    assert "'survives failover'" in errors["check-the-kb-case"]
    assert errors["check-tidy-dns"].startswith("no fix handed in")
    assert "check-one-side" not in errors


def test_the_exported_gradebook_has_a_row_a_student(graded: Path) -> None:
    rows = (graded / "grades.csv").read_text().splitlines()
    assert rows[0].startswith("assignment,") and len(rows) == 3
    by_student = {r.split(",")[3]: r.split(",") for r in rows[1:]}
    assert by_student["sam"][-2:] == ["6.0", "6.0"] and by_student["pat"][-2:] == ["1.0", "6.0"]
