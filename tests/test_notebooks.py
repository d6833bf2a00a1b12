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
