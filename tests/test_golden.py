"""Golden transcripts: every built-in scenario's transcript is pinned in tests/golden/.

When a rule or a wording changes on purpose, regenerate them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xcon_teach import load_scenario, simulate
from xcon_teach.scenario import library

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", library.names())
def test_transcript_matches_golden(name: str) -> None:
    text = simulate(load_scenario(name)).to_text()
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden transcript for {name}; run with UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        got, want = text.splitlines(), expected.splitlines()
        first = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))
        pytest.fail(
            f"{name}: transcript differs from golden at line {first + 1}\n"
            f"  got:  {got[first] if first < len(got) else '<end>'}\n"
            f"  want: {want[first] if first < len(want) else '<end>'}"
        )


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("kb-q169113", {"m1": "ndr", "m2": "delivered"}),
        ("baseline", {"m1": "delivered", "m2": "delivered"}),
        ("workaround", {"m1": "delivered", "m2": "delivered", "m3": "delivered", "m4": "delivered"}),
        ("workaround-one-side", {"m1": "ndr", "m2": "delivered"}),
        ("wrong-fix", {"m1": "delivered", "m2": "delivered", "m3": "ndr", "m4": "ndr"}),
        ("override", {"m1": "delivered", "m2": "delivered", "m3": "delivered", "m4": "delivered"}),
        ("hotfix", {"m1": "delivered", "m2": "delivered"}),
        ("silent-build", {"m1": "ndr", "m2": "delivered"}),
        ("ptr-breaks-workaround", {"m1": "ndr", "m2": "delivered"}),
        ("firewall", {"m1": "ndr", "m2": "delivered"}),
        ("both-clustered", {"m1": "ndr", "m2": "ndr"}),
    ],
)
def test_each_built_in_scenario_teaches_its_outcome(name: str, outcome: dict[str, str]) -> None:
    trace = simulate(load_scenario(name))
    assert {m.id: m.status for m in trace.messages} == outcome


def test_library_stories_hold() -> None:
    silent = simulate(load_scenario("silent-build"))
    assert silent.event_log == ()  # SP2 logs no 9301: the backlog is silent
    firewall = simulate(load_scenario("firewall"))
    assert firewall.message("m1").presented_address is None  # dropped before any MTA saw it
    assert all(e.server == "EXCLUS" for e in firewall.event_log)  # only EXCLUS's harmless first events
    ptr = simulate(load_scenario("ptr-breaks-workaround"))
    assert {e.decoded for e in ptr.event_log if e.server == "EXA"} == {"10.0.1.11", "'NODE1'"}
    wrong = simulate(load_scenario("wrong-fix"))
    assert wrong.message("m3").presented_address == "10.0.1.12" and wrong.message("m4").presented_address is None
