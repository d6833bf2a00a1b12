"""Grade hand-ins: each file a student saved from the lab, against a challenge, by outcome.

``xcon-teach grade CHALLENGE FILE_OR_FOLDER... [--csv OUT.csv]`` runs
:func:`xcon_teach.challenges.check` on every hand-in (a folder stands for the ``*.toml`` files in
it and in its subfolders, so one folder per student works) and prints a table; ``--csv`` writes the gradebook: one row a hand-in, with whether it passed,
each of the four rules and the hint. A hand-in that does not load is graded as failed, with the
loader's one-line message as its hint, and the others are still graded.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..challenges import RULES, Challenge, check
from ..errors import ScenarioError, UsageError
from ..files import output_path, write_whole
from ..scenario import load_scenario
from ..scenario.warnings import warnings
from ..text import columns, one_line, safe

__all__ = ["Grade", "grade_files", "gradebook_csv", "hand_ins", "table", "write_gradebook"]


@dataclass(frozen=True, slots=True)
class Grade:
    file: str
    challenge: str
    passed: bool
    rules: tuple[tuple[str, bool], ...]
    hint: str
    warnings: tuple[str, ...] = ()
    """What is odd about the hand-in though it runs (:mod:`xcon_teach.scenario.warnings`): no message, say."""


def hand_ins(paths: list[str]) -> list[Path]:
    """The hand-in files: each file given, and the ``*.toml`` files in each folder given and its subfolders, in order."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        try:
            if path.is_dir():
                out += sorted(path.rglob("*.toml"))
            elif path.exists():
                out.append(path)
            else:
                raise UsageError(f"FILE: no such file or folder (got {safe(repr(p))})")
        except OSError as exc:
            raise UsageError(f"FILE: cannot read {safe(repr(p))} ({exc.strerror or exc})") from None
    if not out:
        raise UsageError(f"FILE: no hand-in (*.toml) found in {', '.join(repr(p) for p in paths)}")
    return out


def grade_files(challenge: Challenge, files: list[Path]) -> list[Grade]:
    grades = []
    for f in files:
        try:
            handed = load_scenario(f)
            verdict = check(challenge, handed)
        except ScenarioError as exc:
            grades.append(Grade(str(f), challenge.name, False, (), f"the file does not load: {exc}"))
            continue
        why = [x for x in verdict.findings if x.startswith("not allowed")] if not verdict.rules else []
        hint = "; ".join([*why, verdict.hint]) if why else verdict.hint
        grades.append(Grade(str(f), challenge.name, verdict.passed, verdict.rules, hint, warnings(handed)))
    return grades


def table(grades: list[Grade]) -> str:
    """One line a hand-in: the verdict and each rule; a hand-in graded on no rule says why below the table."""
    rows: list[tuple[str, ...]] = [("file", "verdict", *RULES)]
    notes = []
    for g in grades:
        marks = dict(g.rules)
        rows.append(
            (
                safe(g.file),
                "fixed" if g.passed else "not fixed",
                *(("✔" if marks[r] else "✖") if r in marks else "-" for r in RULES),
            )
        )
        if not g.rules:
            notes.append(one_line(f"- {g.file}: {g.hint}"))
    return columns(rows) + "\n" + "".join(n + "\n" for n in notes)


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (a hand-in named ``=1+1.toml``): a leading ' then."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_gradebook(grades: list[Grade], path: str | Path) -> None:
    """Write the CSV gradebook whole or not at all, or raise a one-line error naming ``--csv`` and the path."""
    where = output_path(path, "--csv", ".csv", "a gradebook spreadsheets open")
    write_whole(where, gradebook_csv(grades).encode("utf-8"), "--csv")


def gradebook_csv(grades: list[Grade]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["file", "challenge", "passed", *RULES, "hint"])
    for g in grades:
        marks = dict(g.rules)
        w.writerow(
            [
                _cell(safe(g.file)),
                g.challenge,
                "pass" if g.passed else "fail",
                *(("pass" if marks[r] else "fail") if r in marks else "" for r in RULES),
                _cell(safe(g.hint)),
            ]
        )
    return out.getvalue()
