"""The 50-minute plan: the core path through the lessons, its measured timing, and the worksheets.

The lesson notebooks mark the cells an instructor runs live with the cell tag ``core``: the code
cells to run, and the markdown cells to read out (a core markdown cell that asks to **Predict** is
a pause). Everything else is homework. The timing is measured, not guessed: every word on the
core path (the markdown read out, the explanation after each core reveal, and the text the core
cells print) at :data:`WORDS_PER_MINUTE`, plus :data:`PAUSE_SECONDS` for each prediction and
:data:`LOOK_SECONDS` for each picture or lab on screen.

``python -m xcon_teach.classroom.plan`` prints the run sheet (the table in the instructor guide);
``xcon-teach plan --worksheets OUT/`` writes one printable worksheet a lesson.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..files import write_whole
from ..text import columns

__all__ = [
    "LOOK_SECONDS",
    "MAX_CELLS",
    "MAX_PAUSES",
    "PAUSE_SECONDS",
    "SESSION_MINUTES",
    "WORDS_PER_MINUTE",
    "Lesson",
    "lessons",
    "notebooks_folder",
    "run_sheet",
    "worksheet_html",
    "worksheet_markdown",
    "write_worksheets",
]

CORE_TAG = "core"
WORDS_PER_MINUTE = 150
"""Reading aloud, at the pace of a lecture."""
PAUSE_SECONDS = 45
"""A prediction: read the question, let the class write a guess down, take two answers."""
LOOK_SECONDS = 30
"""A picture or the lab on screen: point at what it shows."""
SESSION_MINUTES = 50
MAX_PAUSES = 12
MAX_CELLS = 20

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.:/_-]*")
_PREDICT = re.compile(r"\*\*Predict[^*]*\*\*:?\s*")


def words(text: str) -> int:
    """The words a reader says: markup, code fences and table rules are not words.

    >>> words("**Predict:** which address will `EXA` see? 10.0.1.11 or a name?")
    10
    """
    text = re.sub(r"<[^>]+>|[*_`#|>]", " ", text)
    return len(_WORD.findall(text))


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _tags(cell: dict[str, Any]) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _printed(cell: dict[str, Any]) -> tuple[str, bool]:
    """The text a code cell shows (what the instructor reads off the screen), and whether it shows a picture."""
    text, picture = [], False
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            text.append("".join(out.get("text", "")))
            continue
        data = out.get("data", {})
        if "image/png" in data or "application/vnd.jupyter.widget-view+json" in data:
            picture = True
        elif "text/markdown" in data:
            text.append("".join(data["text/markdown"]))
        elif "text/plain" in data:
            text.append("".join(data["text/plain"]))
    return "".join(text), picture


def prompt_of(markdown: str) -> str:
    """The question of a prediction cell: its paragraph from **Predict** on, markup removed.

    >>> prompt_of("## A puzzle\\n\\nSome context.\\n\\n**Predict:** which *one* arrives?\\n\\nMore.")
    'Which one arrives?'
    """
    for para in re.split(r"\n\s*\n", markdown):
        found = _PREDICT.search(para)
        if found:
            text = para[found.end() :]
            text = " ".join(re.sub(r"\*\*|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)", "", text).split())
            return text[:1].upper() + text[1:]
    return ""


@dataclass(frozen=True, slots=True)
class Step:
    cell: int
    """The cell's number in its notebook, from 1 (as JupyterLab's cell counter does not show it, the run sheet quotes a line)."""
    kind: str
    """``read`` (a markdown cell), ``pause`` (a prediction to pause on) or ``run`` (a code cell)."""
    text: str
    """For a pause, the question; for a run, the cell's first telling line; for a read, its heading or first words."""
    seconds: float
    section: str = ""
    """The heading the step stands under (what a worksheet gives as the question's context)."""


@dataclass(frozen=True, slots=True)
class Lesson:
    name: str
    title: str
    core: tuple[Step, ...]
    homework_cells: int
    homework_pauses: int
    homework_seconds: float

    @property
    def cells(self) -> int:
        return sum(s.kind == "run" for s in self.core)

    @property
    def pauses(self) -> tuple[Step, ...]:
        return tuple(s for s in self.core if s.kind == "pause")

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.core)


def _timed(cells: list[dict[str, Any]], i: int) -> float:
    cell = cells[i]
    if cell["cell_type"] == "markdown":
        said = words(_source(cell)) * 60 / WORDS_PER_MINUTE
        return said + (PAUSE_SECONDS if _PREDICT.search(_source(cell)) else 0)
    text, picture = _printed(cell)
    seconds = words(text) * 60 / WORDS_PER_MINUTE + (LOOK_SECONDS if picture else 0)
    after = cells[i + 1] if i + 1 < len(cells) else None
    if after is not None and "answer" in _tags(after):  # the explanation after a reveal is read out with it
        seconds += words(_source(after)) * 60 / WORDS_PER_MINUTE
    return seconds


def read_notebook(path: Path) -> dict[str, Any]:
    """A notebook's JSON, or a one-line :class:`UsageError` naming the file and what is wrong with it."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UsageError(f"--notebooks: {str(path)!r} is not a readable notebook ({type(exc).__name__}: {exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or not all(isinstance(c, dict) for c in nb["cells"]):
        raise UsageError(f"--notebooks: {str(path)!r} is not a notebook (no list of cells)")
    return nb


def lesson(path: Path) -> Lesson:
    nb = read_notebook(path)
    cells: list[dict[str, Any]] = nb["cells"]
    title = _source(cells[0]).splitlines()[0].lstrip("# ").strip() if cells else path.stem
    core: list[Step] = []
    rest_cells = rest_pauses = 0
    rest_seconds = 0.0
    section = ""
    for i, cell in enumerate(cells):
        if "answer" in _tags(cell):
            continue  # timed with the reveal it explains
        seconds = _timed(cells, i)
        source = _source(cell)
        if cell["cell_type"] == "markdown" and i > 0:
            headings = [line.lstrip("#").strip() for line in source.splitlines() if line.startswith("#")]
            section = headings[-1] if headings else section
        pause = cell["cell_type"] == "markdown" and bool(_PREDICT.search(source))
        if CORE_TAG not in _tags(cell):
            rest_cells += cell["cell_type"] == "code"
            rest_pauses += pause
            rest_seconds += seconds
            continue
        if pause:
            core.append(Step(i + 1, "pause", prompt_of(source), seconds, section))
        elif cell["cell_type"] == "code":
            lines = [line for line in source.splitlines() if line.strip()]
            telling = [line for line in lines if not line.startswith(("import ", "from "))]
            core.append(Step(i + 1, "run", (telling or lines or [""])[0].split("  #")[0], seconds))
        else:
            first = next((line for line in source.splitlines() if line.strip()), "")
            core.append(Step(i + 1, "read", first.lstrip("# ").strip(), seconds))
    return Lesson(path.stem, title, tuple(core), rest_cells, rest_pauses, rest_seconds)


def notebooks_folder(notebooks: str | Path | None = None) -> Path:
    """The folder of lesson notebooks: ``notebooks`` if given, else the ``notebooks/`` folder of this clone."""
    source = Path(notebooks) if notebooks is not None else Path(__file__).resolve().parents[2] / "notebooks"
    if not sorted(source.glob("*.ipynb")):
        raise UsageError(f"--notebooks: no lesson notebooks in {str(source)!r}; give the folder with --notebooks")
    return source


def lessons(notebooks: str | Path | None = None) -> list[Lesson]:
    """Every lesson notebook's plan, in order (default: the ``notebooks/`` folder of this clone)."""
    return [lesson(p) for p in sorted(notebooks_folder(notebooks).glob("*.ipynb"))]


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def run_sheet(plan: list[Lesson]) -> str:
    """The run sheet as Markdown: a table of the lessons, then per lesson each core step in order.

    Cell numbers count from 1 at the top of the notebook; each step also quotes its first line,
    so it can be found without counting.
    """
    rows = ["| lesson | cells to run | pauses | measured minutes | homework |", "|---|---|---|---|---|"]
    for les in plan:
        home = (
            f"{_count(les.homework_cells, 'cell')}, {_count(les.homework_pauses, 'prediction')}, "
            f"{_minutes(les.homework_seconds)} min"
        )
        rows.append(
            f"| `{les.name}` | {les.cells} | {len(les.pauses)} | {_minutes(les.seconds)} | {'all: ' if not les.core else ''}{home} |"
        )
    cells = sum(les.cells for les in plan)
    pauses = sum(len(les.pauses) for les in plan)
    rows.append(f"| **total** | **{cells}** | **{pauses}** | **{_minutes(sum(les.seconds for les in plan))}** | |")
    out = [
        "\n".join(rows),
        "",
        "Cell numbers are those of the instructor's notebooks; the student release leaves out the answer cells, "
        "so find a step there by the words it quotes.",
        "",
    ]
    for les in plan:
        if not les.core:
            continue
        out += [f"**`{les.name}`** ({_minutes(les.seconds)} min):", ""]
        for step in les.core:
            if step.kind == "pause":
                out.append(f"- ⏸ cell {step.cell}, pause: {step.text}")
            elif step.kind == "run":
                out.append(f"- ▶ cell {step.cell}, run: `{step.text}`")
            else:
                out.append(f"- 📖 cell {step.cell}, read out: {step.text}")
        out.append("")
    return "\n".join(out)


def summary(plan: list[Lesson]) -> str:
    """One line: the core path's size and measured time against the session's budget."""
    cells = sum(les.cells for les in plan)
    pauses = sum(len(les.pauses) for les in plan)
    total = sum(les.seconds for les in plan) / 60
    home = sum(les.homework_seconds for les in plan) / 60
    return (
        f"core path: {cells} cells to run (at most {MAX_CELLS}), {pauses} pauses (at most {MAX_PAUSES}), "
        f"{total:.1f} of {SESSION_MINUTES} minutes; homework: {home:.0f} minutes"
    )


def table(plan: list[Lesson]) -> str:
    """The run sheet as a plain-text table, for the terminal."""
    out = [("lesson", "cells", "pauses", "minutes", "homework minutes")]
    for les in plan:
        out.append((les.name, str(les.cells), str(len(les.pauses)), _minutes(les.seconds), _minutes(les.homework_seconds)))
    return columns(out) + "\n" + summary(plan) + "\n"


def worksheet_markdown(les: Lesson) -> str:
    """A one-page worksheet for the lesson's core path: each prediction with room to answer."""
    lines = [f"# Worksheet · {les.title}", "", "Name: ______________________  Date: ____________", ""]
    lines += ["Write your prediction **before** the cell runs. Afterwards, mark it ✔ or ✖ and note what surprised you.", ""]
    for n, step in enumerate(les.pauses, 1):
        lines += [
            f"**{n}. {step.section}.** {step.text}" if step.section else f"**{n}.** {step.text}",
            "",
            "My prediction: " + "_" * 60,
            "",
            "_" * 75,
            "",
            "✔ / ✖  What happened: " + "_" * 52,
            "",
        ]
    lines += ["**One thing I will remember:** " + "_" * 45, ""]
    return "\n".join(lines)


WORKSHEET_CSS = """
@page { size: A4; margin: 16mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 12pt; line-height: 1.35; color: #000; }
h1 { font-size: 17pt; margin: 0 0 6pt; }
.who { margin-bottom: 10pt; }
ol { padding-left: 18pt; }
li { margin-bottom: 9pt; break-inside: avoid; }
.line { border-bottom: 1px solid #000; height: 20pt; }
.small { font-size: 10pt; }
"""


def worksheet_html(les: Lesson) -> str:
    """The worksheet as a self-contained HTML page that prints on one A4 or Letter page."""
    items = "".join(
        f"<li><p>{f'<strong>{escape(step.section)}.</strong> ' if step.section else ''}{escape(step.text)}</p><div class='line'></div><div class='line'></div>"
        f"<p class='small'>✔ / ✖ What happened:</p><div class='line'></div></li>"
        for step in les.pauses
    )
    return (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Worksheet · {escape(les.title)}</title>"
        f"<style>{WORKSHEET_CSS}</style></head><body><main><h1>Worksheet · {escape(les.title)}</h1>"
        "<p class='who'>Name: ______________________ Date: ____________</p>"
        "<p>Write your prediction <strong>before</strong> the cell runs. Afterwards, mark it ✔ or ✖ and note what surprised you.</p>"
        f"<ol>{items}</ol><p>One thing I will remember:</p><div class='line'></div></main></body></html>\n"
    )


def write_worksheets(out: str | Path, plan: list[Lesson]) -> list[Path]:
    """Write ``NN_lesson.md`` and ``NN_lesson.html`` for every lesson with a pause on its core path."""
    if not str(out):
        raise UsageError("--worksheets: give the folder to write the worksheets into (got an empty name)")
    target = Path(out)
    written = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for les in plan:
            if not les.pauses:
                continue
            for suffix, text in ((".md", worksheet_markdown(les)), (".html", worksheet_html(les))):
                path = target / f"{les.name}{suffix}"
                write_whole(path, text.encode("utf-8"), "--worksheets")
                written.append(path)
    except OSError as exc:
        raise UsageError(f"--worksheets: {str(out)!r} cannot be written ({exc.strerror or exc})") from None
    return written


if __name__ == "__main__":
    plan = lessons()
    print(run_sheet(plan), end="")
    print(summary(plan))
