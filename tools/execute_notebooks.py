"""Re-execute the notebooks in place and clean them, so what is committed is what nbval checks.

    .venv/bin/python tools/execute_notebooks.py              # every notebook in notebooks/
    .venv/bin/python tools/execute_notebooks.py notebooks/00_start_here.ipynb

Outputs are stored; widget state, execution timings and kernel details are stripped, and cell
ids are made stable, so a re-run with no change gives no diff.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
KEEP_METADATA = {"kernelspec", "language_info"}


def clean(nb: nbformat.NotebookNode) -> None:
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in KEEP_METADATA}
    nb.metadata.get("language_info", {}).pop("version", None)
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i:02d}"
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        merged: list[nbformat.NotebookNode] = []
        for output in cell.get("outputs", []):
            output.get("metadata", {}).pop("execution", None)
            data = output.get("data", {})
            data.pop("application/vnd.jupyter.widget-state+json", None)
            view = data.get("application/vnd.jupyter.widget-view+json")
            if view is not None:
                # No widget state is stored, so the id points nowhere anyway: make it stable.
                view["model_id"] = f"cell{i:02d}"
            if (
                output.get("output_type") == "stream"
                and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1].name == output.name
            ):
                # How the kernel happened to flush stdout is not part of the lesson: one block a stream.
                merged[-1].text += output.text
                continue
            merged.append(output)
        if cell.cell_type == "code":
            cell.outputs = merged


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    env_before = dict(os.environ)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    clean(nb)
    nbformat.write(nb, path)
    print(f"executed and cleaned {path.relative_to(ROOT)}")


def main(args: list[str]) -> int:
    paths = [Path(a).resolve() for a in args] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        execute(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
