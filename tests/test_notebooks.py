"""The notebooks keep their promises: objectives, predictions, key points, short cells, clean outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
REQUIRED = [
    "00_start_here",
    "01_the_symptom",
    "02_inaddr_any",
    "03_reading_event_9301",
    "04_the_workaround",
    "05_failover_and_fixes",
    "06_troubleshooting_challenges",
    "07_the_bug_today",
]
MAX_CODE_LINES = 8
MACHINE_PATH = re.compile(r"(/root/|/tmp/|/work/|/home/\w+/|site-packages|\\\\Users\\\\)")


def load(name: str) -> dict:
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())


def test_every_lesson_notebook_exists() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == REQUIRED


@pytest.mark.parametrize("name", REQUIRED)
def test_objectives_predictions_and_key_points(name: str) -> None:
    cells = load(name)["cells"]
    markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    assert re.search(r"learning objectives|you will", markdown[0] + (markdown[1] if len(markdown) > 1 else ""), re.I), name
    assert any(re.search(r"\bpredict", m, re.I) for m in markdown), f"{name} never asks for a prediction"
    assert re.search(r"key points", "".join(markdown[-2:]), re.I), f"{name} does not end with key points"
    assert any("model assumption" in m.lower() or "[model]" in m.lower() for m in markdown) or name == "07_the_bug_today"


@pytest.mark.parametrize("name", REQUIRED)
def test_code_cells_are_short_and_outputs_clean(name: str) -> None:
    nb = load(name)
    assert "widgets" not in nb.get("metadata", {}), "stored widget state"
    counts = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        lines = [line for line in "".join(cell["source"]).splitlines() if line.strip() and not line.strip().startswith("#")]
        assert len(lines) <= MAX_CODE_LINES, f"{name} cell {i} has {len(lines)} lines of code; move logic into the package"
        counts.append(cell["execution_count"])
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{name} cell {i} has a stored error"
            text = json.dumps({k: v for k, v in out.items() if k != "data"}) + json.dumps(
                out.get("data", {}).get("text/plain", "")
            )
            assert not MACHINE_PATH.search(text), f"{name} cell {i} shows a machine path"
    assert counts == list(range(1, len(counts) + 1)), f"{name} was not executed top to bottom in one go"


# --- predict, then reveal (issue 13): the answer is not on screen before the learner runs or expands it ---

NEUTRAL = "*The answer, and why: expand this cell once you have made your prediction.*"


def _first_line(cell: dict) -> str:
    """What JupyterLab shows of a collapsed output: the first non-empty line of the first output."""
    outputs = cell.get("outputs") or []
    if not outputs:
        return ""
    data = outputs[0].get("data") or {}
    for key in ("text/html", "image/svg+xml", "text/markdown", "text/plain"):
        if key in data:
            text = "".join(data[key]) if isinstance(data[key], list) else data[key]
            return next((line for line in text.split("\n") if line), "")
    return next((line for line in "".join(outputs[0].get("text", "")).split("\n") if line), "")


@pytest.mark.parametrize("name", REQUIRED)
def test_reveal_outputs_and_answers_start_collapsed(name: str) -> None:
    cells = load(name)["cells"]
    prompt_open = False
    for i, cell in enumerate(cells):
        meta = cell.get("metadata", {})
        tags = meta.get("tags", [])
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            if "answer" in tags:
                assert meta.get("jupyter", {}).get("source_hidden") is True, f"{name} cell {i}: an answer shown open"
                assert source.startswith(NEUTRAL), f"{name} cell {i}: a collapsed answer shows its first line"
                assert "**Predict" not in source, f"{name} cell {i}: a prompt hidden inside an answer"
                prompt_open = False
            else:
                prompt_open = "**Predict" in source
            continue
        if prompt_open and cell.get("outputs"):
            assert "reveal" in tags, f"{name} cell {i} answers a prediction: tag it reveal"
        if "reveal" in tags:
            assert meta.get("jupyter", {}).get("outputs_hidden") is True, f"{name} cell {i}: a reveal shown open"


SPOILERS = {
    # the first line of these reveals would be the answer itself; each starts with a neutral line
    "02_inaddr_any": ("NODE1 sends from", "inaddr-any", "sent from host", "NODE2's card", "10.0.1.20"),
    "03_reading_event_9301": ("True", "'NCOSTEST'", "4E4F4445 read by"),
    "05_failover_and_fixes": ("m1 EXCLUS->EXA",),
    "06_troubleshooting_challenges": ("✖ Not fixed yet",),
    "07_the_bug_today": ("10.55.0.11:",),
}


@pytest.mark.parametrize("name", sorted(SPOILERS))
def test_a_collapsed_reveal_does_not_show_its_answer_in_the_preview(name: str) -> None:
    for i, cell in enumerate(load(name)["cells"]):
        if "reveal" in cell.get("metadata", {}).get("tags", []):
            first = _first_line(cell)
            assert not first.startswith(SPOILERS[name]), f"{name} cell {i}: its collapsed preview reads {first!r}"
