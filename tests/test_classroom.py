"""Running a class: the student release, hand-ins saved from the lab, the grade command and its gradebook."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from xcon_teach import Lab, load_scenario, loads_scenario
from xcon_teach.challenges import CHALLENGES, RULES, challenge, check
from xcon_teach.classroom.release import release, student_notebook
from xcon_teach.errors import ScenarioError, UsageError

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "instructor_guide.md").read_text()
KB_FIX = challenge("the-kb-case").scenario.with_stack("EXA", "hostname", "EXCLUS").with_stack("EXCLUS", "hostname", "EXA")
NODE_IP = challenge("the-kb-case").scenario.with_address("EXA", "10.0.1.11")


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xcon_teach", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def guide_answers() -> list[str]:
    """Every passing fix the guide's answer section lists, without its ``s.`` receiver."""
    section = GUIDE[GUIDE.index("## Challenge answers") : GUIDE.index("## Common misconceptions")]
    fixes = [f.removeprefix("s.") for f in re.findall(r"✔ `([^`]+)`", section)]
    assert len(fixes) >= len(CHALLENGES)
    return fixes


# -- the student release ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("handout")
    release(out)
    return out


def test_release_holds_the_notebooks_worksheets_and_a_readme_only(released: Path) -> None:
    files = sorted(str(p.relative_to(released)) for p in released.rglob("*") if p.is_file())
    lessons = [p.stem for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    sheets = [f"worksheets/{n}{s}" for n in lessons if not n.startswith("06") for s in (".html", ".md")]
    assert files == sorted([*(f"notebooks/{n}.ipynb" for n in lessons), *sheets, "README.md"])


def test_release_stores_no_output_and_no_instructor_cell(released: Path) -> None:
    for path in (released / "notebooks").glob("*.ipynb"):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            tags = set(cell["metadata"].get("tags", []))
            assert not tags & {"answer", "solution", "instructor"}, (path.name, cell["id"])
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, (path.name, cell["id"])
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "widget-state" not in text


def test_release_keeps_every_prediction_prompt(released: Path) -> None:
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        ours = json.loads(path.read_text())["cells"]
        theirs = json.loads((released / "notebooks" / path.name).read_text())["cells"]
        prompts = [c["source"] for c in ours if "**Predict" in "".join(c["source"])]
        assert prompts and prompts == [c["source"] for c in theirs if "**Predict" in "".join(c["source"])]
        assert len(theirs) == len([c for c in ours if "answer" not in c["metadata"].get("tags", [])])


def test_release_holds_no_challenge_answer(released: Path) -> None:
    """Neither the guide's fixes, nor its explanations, nor a verdict: the challenge notebook is the tickets only."""
    text = (released / "notebooks" / "06_troubleshooting_challenges.ipynb").read_text()
    for fix in guide_answers():
        assert fix not in text and json.dumps(fix)[1:-1] not in text, fix
    everything = "\n".join(p.read_text() for p in released.rglob("*") if p.is_file())
    assert "Challenge answers" not in everything and "✔ Fixed" not in everything
    for c in CHALLENGES:
        # the scenario's own description states the diagnosis; the lab shows only the ticket
        assert c.scenario.description[:60] not in everything


def test_release_with_explanations_keeps_the_answer_cells_collapsed(tmp_path: Path) -> None:
    release(tmp_path, explanations=True)
    nb = json.loads((tmp_path / "notebooks" / "01_the_symptom.ipynb").read_text())
    answers = [c for c in nb["cells"] if "answer" in c["metadata"].get("tags", [])]
    assert answers and all(c["metadata"]["jupyter"]["source_hidden"] for c in answers)


def test_student_notebook_drops_solution_and_instructor_cells() -> None:
    nb: dict[str, Any] = {
        "cells": [
            {"cell_type": "markdown", "metadata": {"tags": ["instructor"]}, "source": "notes"},
            {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": "x = 1", "outputs": [], "execution_count": 1},
            {"cell_type": "code", "metadata": {}, "source": "x", "outputs": [{"output_type": "stream"}], "execution_count": 2},
        ]
    }
    assert student_notebook(nb)["cells"] == [
        {"cell_type": "code", "metadata": {}, "source": "x", "outputs": [], "execution_count": None}
    ]
    assert nb["cells"][2]["outputs"], "the source notebook is not changed"


def test_release_refuses_a_folder_in_use(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match=r"OUT: the folder .* is not empty"):
        release(tmp_path)
    ran = cli("release", str(tmp_path))
    assert ran.returncode == 2 and ran.stderr.count("\n") == 1 and "OUT:" in ran.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine" and not (tmp_path / "notebooks").exists()


def test_release_command_says_what_it_wrote(tmp_path: Path) -> None:
    ran = cli("release", str(tmp_path / "handout"))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == f"wrote {len(list((ROOT / 'notebooks').glob('*.ipynb'))) + 15} files into {tmp_path / 'handout'}\n"


# -- the challenge lab and hand-ins ------------------------------------------------------------------


@pytest.mark.parametrize("c", CHALLENGES, ids=lambda c: c.name)
def test_a_challenge_lab_shows_the_ticket_not_the_diagnosis(c) -> None:
    lab = Lab(c)
    hidden = load_scenario(c.source) if c.source else loads_scenario(c.toml)  # its title and description diagnose
    assert c.story in lab.title.value and hidden.title not in lab.title.value
    assert hidden.description.strip() not in lab.title.value
    assert "scenario" not in lab.controls, "no picker: no other (already fixed) scenario to choose"
    assert not check(c, lab).passed
    # Nothing a student can print or trip over names the scenario behind the ticket.
    assert (c.scenario.title, c.scenario.description) == (f"Ticket: {c.title}", c.story)
    assert c.source not in repr(c) or not c.source
    with pytest.raises(ScenarioError) as bad:
        c.scenario.with_build(c.scenario.servers[0].name, "sp9")
    assert str(bad.value).startswith(f"challenge {c.name}: servers.")
    saved = lab.scenario.to_toml()
    assert hidden.title not in saved and hidden.description.strip() not in saved


def test_save_writes_a_hand_in_that_loads_back(tmp_path: Path) -> None:
    lab = Lab(challenge("the-kb-case"))
    lab.controls["stack:EXA->EXCLUS"].value = "hostname"
    lab.controls["stack:EXCLUS->EXA"].value = "hostname"
    lab.controls["save:path"].value = str(tmp_path / "pat.toml")
    lab.controls["save"].click()
    assert "Saved" in lab.status.value
    saved = load_scenario(tmp_path / "pat.toml")
    assert saved == lab.scenario and check(challenge("the-kb-case"), saved).passed
    assert lab.save(tmp_path / "again.toml").read_text() == (tmp_path / "pat.toml").read_text()


@pytest.mark.parametrize(
    ("where", "message"),
    [("nowhere/x.toml", "does not exist"), ("fix.txt", "save:path: a hand-in is a .toml file")],
)
def test_save_to_a_bad_path_says_so_and_keeps_the_lab(tmp_path: Path, where: str, message: str) -> None:
    lab = Lab(challenge("the-kb-case"))
    lab.controls["stack:EXA->EXCLUS"].value = "hostname"
    before = lab.scenario
    lab.controls["save:path"].value = str(tmp_path / where)
    lab.controls["save"].click()
    assert message in lab.status.value and "went wrong" not in lab.status.value
    assert lab.scenario == before and not (tmp_path / where).exists()


# -- grading ---------------------------------------------------------------------------------------------


@pytest.fixture
def hand_ins(tmp_path: Path) -> Path:
    folder = tmp_path / "handins"
    folder.mkdir()
    (folder / "ana.toml").write_text(KB_FIX.to_toml())
    (folder / "ben.toml").write_text(NODE_IP.to_toml())
    (folder / "cy.toml").write_text(KB_FIX.to_toml().replace('virtual_ip = "10.0.1.20"', 'virtual_ip = "10.0.1.300"'))
    (folder / "notes.txt").write_text("not a hand-in")
    return folder


def test_grade_writes_the_gradebook_of_a_folder(hand_ins: Path, tmp_path: Path) -> None:
    ran = cli("grade", "the-kb-case", str(hand_ins), "--csv", str(tmp_path / "grades.csv"))
    assert ran.returncode == 0, ran.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "grades.csv").read_text())))
    assert [Path(r["file"]).name for r in rows] == ["ana.toml", "ben.toml", "cy.toml"]
    assert list(rows[0]) == ["file", "challenge", "passed", *RULES, "hint"]
    ana, ben, cy = rows
    assert ana["passed"] == "pass" and all(ana[r] == "pass" for r in RULES) and ana["hint"] == ""
    # the node IP: mail flows while NODE1 is active, then stops after a failover
    assert ben["passed"] == "fail" and ben["mail both ways"] == "pass" and ben["survives failover"] == "fail"
    assert ben["hint"] == check(challenge("the-kb-case"), NODE_IP).hint != ""
    assert cy["passed"] == "fail" and "does not load" in cy["hint"] and '"10.0.1.300"' in cy["hint"]
    assert {r["challenge"] for r in rows} == {"the-kb-case"}
    lines = ran.stdout.splitlines()
    assert "fixed" in lines[1] and "not fixed" in lines[2] and "not fixed" in lines[3] and lines[-1].startswith("wrote ")


def test_grade_warns_about_an_odd_hand_in_on_stderr_and_still_grades_it(tmp_path: Path) -> None:
    """A hand-in with no message runs (and fails the challenge's rules): the instructor is told why it is odd."""
    (tmp_path / "empty.toml").write_text(KB_FIX.replace(messages=()).to_toml())
    (tmp_path / "ana.toml").write_text(KB_FIX.to_toml())
    ran = cli("grade", "the-kb-case", str(tmp_path))
    assert ran.returncode == 0, ran.stderr
    warned = ran.stderr.splitlines()
    assert len(warned) == 1 and warned[0].startswith("xcon-teach: warning: ") and "empty.toml" in warned[0]
    assert "no message" in warned[0] and "ana.toml" not in ran.stderr
    assert re.search(r"empty\.toml\s+not fixed", ran.stdout), ran.stdout


def test_grade_accepts_files_as_well_as_folders(hand_ins: Path) -> None:
    ran = cli("grade", "the-kb-case", str(hand_ins / "ben.toml"), str(hand_ins / "ana.toml"))
    assert ran.returncode == 0, ran.stderr
    assert [line.split()[0].rsplit("/", 1)[-1] for line in ran.stdout.splitlines()[1:]] == ["ben.toml", "ana.toml"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such", "x.toml"], "CHALLENGE: no challenge named 'no-such'"),
        (["the-kb-case", "missing.toml"], "FILE: no such file or folder (got 'missing.toml')"),
        (["the-kb-case", "."], "FILE: no hand-in (*.toml) found in '.'"),
    ],
)
def test_grade_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    ran = cli("grade", *args, cwd=tmp_path)
    assert ran.returncode == 2 and message in ran.stderr and ran.stderr.count("\n") == 1 and ran.stdout == ""


def test_grade_reads_one_folder_per_student_and_says_why_a_file_was_not_graded(tmp_path: Path) -> None:
    c = challenge("the-kb-case")
    fixed = c.scenario.with_stack("EXA", "hostname", "EXCLUS").with_stack("EXCLUS", "hostname", "EXA")
    (tmp_path / "sam").mkdir()
    (tmp_path / "sam" / "fix.toml").write_text(fixed.to_toml())
    (tmp_path / "pat").mkdir()
    (tmp_path / "pat" / "fix.toml").write_text(c.scenario.with_until(10).to_toml())
    ran = cli("grade", "the-kb-case", str(tmp_path))
    assert ran.returncode == 0, ran.stderr
    assert re.search(r"sam/fix\.toml\s+fixed", ran.stdout)
    assert re.search(r"pat/fix\.toml: not allowed: .*run length", ran.stdout), ran.stdout


@pytest.mark.parametrize(
    "args",
    [("grade", "the-kb-case", "HANDIN", "--csv", "/nonexistent/g.csv"), ("plan", "--worksheets", "/proc/nope")],
    ids=["grade-csv", "plan-worksheets"],
)
def test_an_unwritable_output_is_one_line_and_status_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    handin = tmp_path / "a.toml"
    handin.write_text(challenge("the-kb-case").scenario.to_toml())
    ran = cli(*(str(handin) if a == "HANDIN" else a for a in args))
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert len(ran.stderr.strip().splitlines()) == 1 and ("cannot be written" in ran.stderr or "does not exist" in ran.stderr)
