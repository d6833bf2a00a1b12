"""A student release: the lesson notebooks without outputs, answers or instructor material.

``xcon-teach release OUT/`` writes ``OUT/notebooks/*.ipynb``, the printable worksheets
(``OUT/worksheets/``: the core path's predictions with room to answer) and a short ``OUT/README.md``,
ready to hand out or to push to a hub. In each notebook every output is removed (so no answer is
stored), and so is every cell tagged ``answer`` (the explanation after a prediction; keep them,
collapsed, with ``--with-explanations``), ``solution`` or ``instructor``. Nothing else is copied:
not the instructor guide, not the tests (which hold the challenge answers). The challenge labs
show only each ticket's symptom (``Lab(challenge)``), so the diagnosis is not in the release.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ..errors import UsageError, XconError
from ..files import write_whole
from .plan import lesson, notebooks_folder, read_notebook, write_worksheets

__all__ = ["DROPPED_TAGS", "release", "student_notebook"]

DROPPED_TAGS = ("solution", "instructor")
"""Cells with these tags never go to students."""

README = """# xcon_teach: the lessons

Eight notebooks about one networking failure, Microsoft KB Q169113: a clustered Exchange 5.5
server sends from its node's own address instead of the cluster's virtual IP, and its peer
refuses the mail. Open `notebooks/00_start_here.ipynb` first.

Before each cell that answers a question, the notebook asks you to **predict**: write your
answer down first, then run the cell. The outputs are not stored here: you see them when you run
the cells.

The notebooks need the xcon_teach package: on your course's hub it is installed; on your own
machine, install it as your instructor tells you (from the project itself: `python3 run.py lab`).

`worksheets/` holds one page a lesson with the predictions your class pauses on: print it, and
write each guess down before the cell runs.

Hand in a challenge from the lab: change the settings until the checker says it is fixed, then
press **Save** (or `lab.save("my-fix.toml")`) and hand in the TOML file.
"""


def student_notebook(nb: dict[str, Any], *, explanations: bool = False) -> dict[str, Any]:
    """A copy of notebook ``nb`` for students: no outputs, no answer cells (unless ``explanations``)."""
    drop = set(DROPPED_TAGS) | (set() if explanations else {"answer"})
    cells = []
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & drop:
            continue
        cell = json.loads(json.dumps(cell))
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cells.append(cell)
    return {**nb, "cells": cells}


def release(
    out: str | Path, *, notebooks: str | Path | None = None, explanations: bool = False, force: bool = False
) -> list[Path]:
    """Write the student release into ``out``; return the files written.

    ``notebooks`` is the folder of lesson notebooks (default: the ``notebooks/`` folder of this
    clone). ``out`` must not exist, or be empty, unless ``force``.
    """
    found = sorted(notebooks_folder(notebooks).glob("*.ipynb"))
    lessons = [(path, read_notebook(path)) for path in found]  # every notebook read (and checked) before anything is written
    target = Path(out)
    try:
        made = not target.exists()
        if target.exists() and not target.is_dir():
            raise UsageError(f"OUT: is a file, not a folder (got {str(out)!r})")
        if target.is_dir() and any(target.iterdir()) and not force:
            raise UsageError(f"OUT: the folder {str(out)!r} is not empty; give an empty or a new folder (or --force)")
        (target / "notebooks").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"OUT: {str(out)!r} cannot be made ({exc.strerror or exc})") from None
    written = []
    try:
        for path, nb in lessons:
            dest = target / "notebooks" / path.name
            text = json.dumps(student_notebook(nb, explanations=explanations), indent=1, ensure_ascii=False) + "\n"
            write_whole(dest, text.encode("utf-8"), "OUT")
            written.append(dest)
        written += write_worksheets(target / "worksheets", [lesson(p) for p, _ in lessons])
        readme = target / "README.md"
        write_whole(readme, README.encode("utf-8"), "OUT")
        written.append(readme)
    except XconError:
        if made:  # a half-written release is no release: take away the folder this call made
            shutil.rmtree(target, ignore_errors=True)
        raise
    return written
