"""Troubleshooting challenges: broken as given, graded by outcome, every valid fix accepted."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from xcon_teach import Scenario, UsageError
from xcon_teach.challenges import CHALLENGES, challenge, check

Fix = Callable[[Scenario], Scenario]


def test_at_least_five_challenges_of_rising_difficulty() -> None:
    assert len(CHALLENGES) >= 5
    levels = [c.level for c in CHALLENGES]
    assert levels == sorted(levels) and levels[0] < levels[-1]
    assert any(len(c.scenario.clusters) == 2 for c in CHALLENGES)
    assert any(c.scenario.firewall.allow_sources for c in CHALLENGES)


@pytest.mark.parametrize("c", CHALLENGES, ids=[c.name for c in CHALLENGES])
def test_every_challenge_starts_broken_with_a_hint(c) -> None:
    verdict = check(c, c.scenario)
    assert not verdict.passed and verdict.hint and "Not fixed yet" in str(verdict)


WORKAROUND: Fix = lambda s: s.with_stack("EXA", "hostname", "EXCLUS").with_stack("EXCLUS", "hostname", "EXA")  # noqa: E731

VALID = [
    ("the-kb-case", WORKAROUND),
    ("the-kb-case", lambda s: s.with_build("EXCLUS", "sp2").with_override("EXCLUS", "10.0.1.20")),
    ("the-kb-case", lambda s: s.with_build("EXCLUS", 2431).with_override("EXCLUS", "10.0.1.20")),
    ("the-kb-case", lambda s: s.with_fix("EXCLUS", True)),
    ("the-kb-case", lambda s: s.with_build("EXCLUS", "sp1")),
    ("the-kb-case", lambda s: s.with_build("EXCLUS", "sp3")),
    ("one-side", lambda s: s.with_stack("EXA", "hostname", "EXCLUS")),
    (
        "after-failover",
        lambda s: s.with_address("EXA", "10.0.1.20").with_build("EXCLUS", "sp2").with_override("EXCLUS", "10.0.1.20"),
    ),
    ("after-failover", WORKAROUND),
    ("tidy-dns", lambda s: s.with_ptr("10.0.1.11", None).with_ptr("10.0.1.12", None)),
    ("tidy-dns", lambda s: s.with_build("EXCLUS", "sp2")),
    ("two-clusters", lambda s: s.with_stack("EXCLA", "hostname", "EXCLUS").with_stack("EXCLUS", "hostname", "EXCLA")),
    ("two-clusters", lambda s: s.with_build("EXCLA", "sp1").with_build("EXCLUS", "sp1")),
    (
        "allowlist",
        lambda s: (
            s.with_build("EXCLA", 2431)
            .with_override("EXCLA", "10.0.0.20")
            .with_build("EXCLUS", 2431)
            .with_override("EXCLUS", "10.0.1.20")
        ),
    ),
    ("allowlist", lambda s: s.with_fix("EXCLA", True).with_build("EXCLUS", "sp4")),
]


@pytest.mark.parametrize(("name", "fix"), VALID)
def test_valid_fixes_pass(name: str, fix: Fix) -> None:
    c = challenge(name)
    verdict = check(name, fix(c.scenario))
    assert verdict.passed, str(verdict)
    assert verdict.hint == "" and str(verdict).splitlines()[1].startswith("✔ Fixed")


INVALID = [
    ("the-kb-case", lambda s: s.with_address("EXA", "10.0.1.11"), "no MTA answers"),  # works until a failover
    # one side only: each works under one reading of the workaround and fails under the other
    (
        "the-kb-case",
        lambda s: s.with_stack("EXA", "hostname", "EXCLUS"),
        "it works under hypothesis R, but not under hypothesis S",
    ),
    (
        "the-kb-case",
        lambda s: s.with_stack("EXCLUS", "hostname", "EXA"),
        "it works under hypothesis S, but not under hypothesis R",
    ),
    (
        "the-kb-case",
        lambda s: s.with_override("EXCLUS", "10.0.1.20"),
        "(Note: EXCLUS runs RTM (build 1960), which does not read Stack IP Address Override.)",
    ),  # RTM reads no override, and the hint says so
    ("tidy-dns", lambda s: s.with_ptr("10.0.1.11", None), "from 10.0.1.12"),  # only one node's PTR removed
    ("two-clusters", lambda s: s.with_stack("EXCLA", "hostname", "EXCLUS"), "EXCLA saw EXCLUS arrive"),  # one side only
    ("allowlist", lambda s: s.with_build("EXCLUS", "sp2").with_override("EXCLUS", "10.0.1.20"), "the firewall dropped 10.0.0.11"),
]


@pytest.mark.parametrize(("name", "fix", "hint"), INVALID)
def test_partial_fixes_fail_with_a_useful_hint(name: str, fix: Fix, hint: str) -> None:
    verdict = check(name, fix(challenge(name).scenario))
    assert not verdict.passed and hint in verdict.hint, str(verdict)


@pytest.mark.parametrize(
    ("name", "cheat", "problem"),
    [
        ("allowlist", lambda s: s.with_firewall(None), "the firewall was changed"),
        ("the-kb-case", lambda s: s.replace(messages=s.messages[1:]), "the messages"),
        ("the-kb-case", lambda s: s.with_retries("EXCLUS", max_open_retries=0).replace(clusters=()), None),
    ],
)
def test_changing_the_problem_is_not_a_fix(name: str, cheat: Fix, problem: str | None) -> None:
    try:
        attempt = cheat(challenge(name).scenario)
    except Exception:
        return  # the scenario itself refuses the change (a server on a vanished cluster)
    verdict = check(name, attempt)
    assert not verdict.passed and (problem is None or any(problem in f for f in verdict.findings))


def test_grading_is_under_both_hypotheses() -> None:
    """Issue 11: a fix passes only if it works whichever reading is true; findings name the reading."""
    c = challenge("the-kb-case")
    verdict = check(c, WORKAROUND(c.scenario))
    assert {f.split(",")[0] for f in verdict.findings} == {"hypothesis S", "hypothesis R"}
    assert "under both readings" in str(verdict)


def test_unknown_challenge() -> None:
    with pytest.raises(UsageError, match="no challenge named 'nope'"):
        challenge("nope")
