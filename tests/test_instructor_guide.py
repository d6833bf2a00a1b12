"""The instructor guide's challenge answers are what the checker says: every ✔ fix passes, every ✖ fails.

The guide says "every fix below was run through check() for this guide"; this test keeps that
true. Each bullet of a challenge's section that starts with ✔ or ✖ is read for its fixes, the code
in backticks that starts with ``s.with_`` (a bullet may offer several, joined by "or").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xcon_teach.challenges import CHALLENGES, challenge, check

GUIDE = (Path(__file__).resolve().parents[1] / "docs" / "instructor_guide.md").read_text()
SECTION = re.compile(r"^### \d+\. `([a-z0-9-]+)`", re.M)


def _answers() -> list[tuple[str, bool, str]]:
    found: list[tuple[str, bool, str]] = []
    heads = list(SECTION.finditer(GUIDE))
    for here, following in zip(heads, [*heads[1:], None], strict=True):
        body = GUIDE[here.end() : following.start() if following else GUIDE.index("## Common misconceptions")]
        for bullet in re.split(r"\n(?=- )", body):
            bullet = bullet.split("\n\n", 1)[0]  # a bullet ends at a blank line
            if bullet.startswith(("- ✔", "- ✖")):
                for code in re.findall(r"`(s\.with_[^`]*)`", bullet):
                    if "[...]" not in code:
                        found.append((here.group(1), bullet.startswith("- ✔"), code))
    return found


ANSWERS = _answers()


def test_the_guide_answers_every_challenge_with_passing_and_failing_fixes() -> None:
    for c in CHALLENGES:
        mine = [passes for name, passes, _ in ANSWERS if name == c.name]
        assert mine.count(True) >= 2 and mine.count(False) >= 1, c.name


@pytest.mark.parametrize(("name", "passes", "code"), ANSWERS, ids=[f"{n}:{c[:60]}" for n, _, c in ANSWERS])
def test_each_answer_gets_the_verdict_the_guide_gives(name: str, passes: bool, code: str) -> None:
    s = challenge(name).scenario
    verdict = check(name, eval(code, {"s": s}))  # the guide's own snippet, run as a learner would
    assert verdict.passed is passes, f"{name}: {code}\n{verdict}"


def _quotes(bullet: str) -> list[str]:
    """The checker's words a ✖ bullet quotes: text in double quotes, without a trailing ellipsis."""
    out = []
    for q in re.findall(r'"([^"]{12,})"', re.sub(r"`[^`]*`", "", bullet)):
        q = re.sub(r"\s+", " ", q).strip().removesuffix("...").removesuffix("…").strip()
        out.append(q)
    return out


QUOTED = [
    (name, code, q)
    for name, passes, code in ANSWERS
    if not passes
    for bullet in [next(b for b in re.split(r"\n(?=- )", GUIDE) if code in b)]
    for q in _quotes(bullet.split("\n\n", 1)[0])
]


def test_the_guide_quotes_hints_and_the_checker_still_says_them() -> None:
    """Issue 13: the hints the guide quotes are what the checker prints (they drifted once)."""
    assert len(QUOTED) >= 6
    for name, code, quote in QUOTED:
        said = re.sub(r"\s+", " ", str(check(name, eval(code, {"s": challenge(name).scenario}))))
        assert quote in said, f"{name}: {code}: the guide quotes {quote!r}; the checker says {said!r}"
