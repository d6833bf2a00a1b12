"""The 50-minute plan: the core path's size, its measured timing, the guide's run sheet, the worksheets."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from xcon_teach.classroom.plan import (
    CORE_TAG,
    MAX_CELLS,
    MAX_PAUSES,
    PAUSE_SECONDS,
    SESSION_MINUTES,
    WORDS_PER_MINUTE,
    lessons,
    prompt_of,
    run_sheet,
    words,
    worksheet_markdown,
    write_worksheets,
)

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "instructor_guide.md").read_text()
PLAN = lessons()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_core_path_fits_the_session() -> None:
    cells = sum(les.cells for les in PLAN)
    pauses = sum(len(les.pauses) for les in PLAN)
    assert 0 < cells <= MAX_CELLS and 0 < pauses <= MAX_PAUSES
    assert sum(les.seconds for les in PLAN) <= SESSION_MINUTES * 60 * 0.75, "leave a quarter for what reading does not measure"


def test_the_guide_shows_the_run_sheet_as_measured() -> None:
    begin = GUIDE.index("<!-- run sheet:")
    body = GUIDE[GUIDE.index("\n", begin) + 1 : GUIDE.index("<!-- end of run sheet -->")]
    assert body == run_sheet(PLAN), "the guide's run sheet is stale: paste `xcon-teach plan --sheet` into it"
    measured = round(sum(les.seconds for les in PLAN) / 60)
    assert f"That is {measured} measured minutes. The other {SESSION_MINUTES - measured} are" in GUIDE
    every = sum(len(les.pauses) + les.homework_pauses for les in PLAN)
    assert f"The eight notebooks hold {every} predictions" in GUIDE
    challenges = next(les for les in PLAN if les.name.startswith("06"))
    assert f"six challenges: {round(challenges.homework_seconds / 60)}\nmeasured minutes" in GUIDE


def test_the_timing_is_words_and_pauses() -> None:
    """Recount one lesson by hand from the rule: words at 150 a minute, 45 s a pause, 30 s a picture."""
    les = next(les for les in PLAN if les.name == "05_failover_and_fixes")
    nb = json.loads((ROOT / "notebooks" / f"{les.name}.ipynb").read_text())
    prompt, reveal, answer = nb["cells"][1], nb["cells"][2], nb["cells"][3]
    printed = "".join("".join(o["text"]) for o in reveal["outputs"] if o["output_type"] == "stream")
    said = words("".join(prompt["source"])) + words(printed) + words("".join(answer["source"]))
    assert "answer" in answer["metadata"]["tags"]
    assert les.seconds == pytest.approx(said * 60 / WORDS_PER_MINUTE + PAUSE_SECONDS)


@pytest.mark.parametrize("les", PLAN, ids=lambda les: les.name)
def test_every_pause_on_the_core_path_is_answered_on_it(les) -> None:
    kinds = [step.kind for step in les.core]
    for i, kind in enumerate(kinds):
        if kind == "pause":
            assert "run" in kinds[i + 1 :], f"{les.name}: the pause at cell {les.core[i].cell} has no reveal after it"
            assert les.core[i].text and les.core[i].text[0].isupper()


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not p.stem.startswith("06")], ids=lambda p: p.stem)
def test_the_core_cells_run_on_their_own(path: Path) -> None:
    """An instructor runs only the core cells, in order, in a fresh kernel: none may need a skipped cell."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "code" and CORE_TAG in c.metadata.get("tags", [])]
    assert nb.cells, f"{path.stem} has no core cells"
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source


def test_a_core_reveal_is_tagged_reveal_and_a_core_pause_is_a_prediction() -> None:
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            tags = cell["metadata"].get("tags", [])
            if CORE_TAG in tags:
                assert "answer" not in tags, f"{path.stem}: an answer is read with its reveal, do not tag it core"


def test_prompt_of_takes_the_predict_paragraph() -> None:
    assert (
        prompt_of("## T\n\nContext.\n\n**Predict:** which *address* will `EXA` see?\n\nAfter.") == "Which address will `EXA` see?"
    )
    assert prompt_of("No question here.") == ""
    assert words("| a | b |\n|---|---|\n| `x` | 10.0.1.11 |") == 4


def test_a_worksheet_holds_every_core_prediction_and_no_answer(tmp_path: Path) -> None:
    written = write_worksheets(tmp_path, PLAN)
    assert sorted(p.name for p in written) == sorted(
        f"{les.name}{suffix}" for les in PLAN if les.pauses for suffix in (".md", ".html")
    )
    for les in PLAN:
        if not les.pauses:
            continue
        text = worksheet_markdown(les)
        assert all(step.text in text for step in les.pauses)
        assert text.count("My prediction:") == len(les.pauses) and len(text.splitlines()) <= 60
        html = (tmp_path / f"{les.name}.html").read_text()
        assert html.count("<li>") == len(les.pauses) and "<html lang='en'>" in html


def test_the_plan_command(tmp_path: Path) -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "xcon_teach", "plan", "--worksheets", str(tmp_path / "ws")], capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0].split() == ["lesson", "cells", "pauses", "minutes", "homework", "minutes"]
    assert re.match(r"core path: \d+ cells to run \(at most 20\), \d+ pauses \(at most 12\), [\d.]+ of 50 minutes", lines[-2])
    assert lines[-1] == f"wrote 7 worksheets (Markdown and HTML) into {tmp_path / 'ws'}"
    sheet = subprocess.run([sys.executable, "-m", "xcon_teach", "plan", "--sheet"], capture_output=True, text=True)
    assert sheet.stdout == run_sheet(PLAN)
    bad = subprocess.run(
        [sys.executable, "-m", "xcon_teach", "plan", "--notebooks", str(tmp_path)], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--notebooks: no lesson notebooks" in bad.stderr


def test_the_readme_quotes_the_measured_minutes() -> None:
    readme = (ROOT / "README.md").read_text()
    for les in PLAN:
        core = f"{les.seconds / 60:.0f}" if les.core else "-"
        assert re.search(rf"\| `{les.name}` \|.*\| {core} / {(les.seconds + les.homework_seconds) / 60:.0f} \|", readme), les.name
    cells, pauses = sum(les.cells for les in PLAN), sum(len(les.pauses) for les in PLAN)
    assert f"{cells} cells and {pauses} predictions, {round(sum(les.seconds for les in PLAN) / 60)} minutes" in readme


@pytest.mark.parametrize("les", PLAN, ids=lambda les: les.name)
def test_each_notebook_states_its_measured_time(les) -> None:
    first = "".join(json.loads((ROOT / "notebooks" / f"{les.name}.ipynb").read_text())["cells"][0]["source"])
    full = round((les.seconds + les.homework_seconds) / 60)
    if les.core:
        assert f"about {full} minutes in full; {max(1, round(les.seconds / 60))} of them on the 50-minute core path" in first
    else:
        assert f"about {full} minutes, best in pairs; not on the 50-minute core path" in first
