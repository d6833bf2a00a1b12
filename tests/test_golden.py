"""Golden transcripts: every built-in scenario's transcript is pinned in tests/golden/, compacted.

A day of retries is thousands of identical lines, so a golden file holds the transcript with each
stretch of repeated attempts written once: an attempt whose lines equal the connector's attempt
before it, but for the clock and its counters (attempt N, retry N, the time of the next try), and
which follows it by the same interval, becomes one ``…`` line that counts them. Nothing is lost:
the full transcript can be rebuilt from the compact one, and any other difference shows in full.

When a rule or a wording changes on purpose, regenerate them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from xcon_teach import Trace, load_scenario, simulate
from xcon_teach.scenario import library
from xcon_teach.sim import Attempt, clock

GOLDEN = Path(__file__).parent / "golden"
_COUNTERS = re.compile(r"attempt \d+ of at most \d+|at \d\d+:\d\d:\d\d(?:\.\d)?")


def _shape(trace: Trace, a: Attempt) -> tuple[str, ...]:
    """An attempt's lines without their clock and counters."""
    return tuple(_COUNTERS.sub("#", st.line().split("  ", 1)[1]) for st in trace.steps_of(a))


def compact(trace: Trace) -> str:
    """The transcript, each stretch of attempts that repeat the one before (same lines, same interval) as one line."""
    out: list[str] = []
    last: dict[str, tuple[Attempt, tuple[str, ...], float | None]] = {}
    runs: dict[str, list[Attempt]] = {}
    hidden: set[int] = set()

    def flush() -> None:
        for connector, run in runs.items():
            first, end = run[0], run[-1]
            gap = f", every {end.time - run[-2].time:g} s" if len(run) > 1 else ""
            out.append(
                f"{clock(first.time)}  … {len(run)} more attempt{'s' if len(run) > 1 else ''} on {connector} with the same "
                f"steps (attempt {first.number} to {end.number}{gap}, the last at {clock(end.time)})"
            )
        runs.clear()

    starts = {a.steps[0]: a for a in trace.attempts()}
    for i, step in enumerate(trace.steps):
        if i in hidden:
            continue
        a = starts.get(i)
        if a is not None:
            shape = _shape(trace, a)
            before = last.get(a.connector)
            if before is not None:
                prev, prev_shape, prev_gap = before
                gap = a.time - prev.time
                if shape == prev_shape and a.number == prev.number + 1 and prev_gap in (None, gap):
                    runs.setdefault(a.connector, []).append(a)
                    hidden.update(a.steps)
                    last[a.connector] = (a, shape, gap)
                    continue
            last[a.connector] = (a, shape, None)
        flush()
        out.append(step.line())
    flush()
    return "".join(line + "\n" for line in out)


@pytest.mark.parametrize("name", library.names())
def test_transcript_matches_golden(name: str) -> None:
    text = compact(simulate(load_scenario(name)))
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


def test_compacting_hides_only_exact_repeats() -> None:
    """Every hidden attempt is the one before it again: same lines, the next number, the same interval."""
    trace = simulate(load_scenario("kb-q169113"))
    text = compact(trace)
    assert len(text.splitlines()) < 60 < len(trace.steps)
    last = trace.attempts("EXCLUS->EXA")[-1].number
    assert f"… {last - 2} more attempts on EXCLUS->EXA with the same steps (attempt 2 to {last - 1}, every 600 s" in text
    # A changed detail in one retry is not hidden: a failover in the middle breaks the stretch.
    moved = simulate(load_scenario("kb-q169113").replace(actions=(*load_scenario("wrong-fix").actions,)))
    assert "NODE2's own IP 10.0.1.12" in compact(moved)


def outcomes() -> str:
    """Every built-in scenario's outcome table under both hypotheses (DOMAIN.md 5b)."""
    out = []
    for name in library.names():
        for h in ("sender", "receiver"):
            trace = simulate(load_scenario(name).with_hypothesis(h))
            mark = " (the file's own)" if load_scenario(name).hostname_stack == h else ""
            out += [f"## {name}, hypothesis {h}{mark}", trace.outcome_table(), ""]
    return "\n".join(out)


def test_outcomes_under_both_hypotheses_match_golden() -> None:
    text = outcomes()
    path = GOLDEN / "outcomes-by-hypothesis.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), "outcomes differ from golden; UPDATE_GOLDEN=1 and read the diff"


S, R = "sender", "receiver"


@pytest.mark.parametrize(
    ("name", "hypothesis", "outcome"),
    [
        ("kb-q169113", S, {"m1": "ndr", "m2": "delivered"}),
        ("kb-q169113", R, {"m1": "ndr", "m2": "delivered"}),
        ("baseline", S, {"m1": "delivered", "m2": "delivered"}),
        ("workaround", S, {"m1": "delivered", "m2": "delivered", "m3": "delivered", "m4": "delivered"}),
        ("workaround", R, {"m1": "delivered", "m2": "delivered", "m3": "delivered", "m4": "delivered"}),
        ("workaround-one-side", S, {"m1": "delivered", "m2": "delivered"}),
        ("workaround-one-side", R, {"m1": "ndr", "m2": "delivered"}),
        ("wrong-fix", S, {"m1": "delivered", "m2": "delivered", "m3": "ndr", "m4": "ndr"}),
        ("override", S, {"m1": "delivered", "m2": "delivered", "m3": "delivered", "m4": "delivered"}),
        ("two-vips", S, {"m1": "delivered", "m2": "delivered", "m3": "delivered", "m4": "delivered", "m5": "delivered"}),
        ("hotfix", S, {"m1": "delivered", "m2": "delivered"}),
        ("silent-build", S, {"m1": "ndr", "m2": "delivered"}),
        ("ptr-breaks-workaround", R, {"m1": "ndr", "m2": "delivered"}),
        ("ptr-breaks-workaround", S, {"m1": "delivered", "m2": "delivered"}),
        ("firewall", S, {"m1": "ndr", "m2": "delivered"}),
        ("firewall", R, {"m1": "ndr", "m2": "delivered"}),
        ("both-clustered", S, {"m1": "ndr", "m2": "ndr"}),
        ("both-clustered", R, {"m1": "ndr", "m2": "ndr"}),
    ],
)
def test_each_built_in_scenario_teaches_its_outcome(name: str, hypothesis: str, outcome: dict[str, str]) -> None:
    trace = simulate(load_scenario(name).with_hypothesis(hypothesis))  # type: ignore[arg-type]
    assert {m.id: m.status for m in trace.messages} == outcome


@pytest.mark.parametrize("name", library.names())
def test_a_scenario_whose_outcome_depends_on_the_hypothesis_says_so(name: str) -> None:
    """Issue 11: the built-in scenarios whose outcome depends on the hypothesis say so in their description."""
    s = load_scenario(name)
    differ = [m.status for m in simulate(s.with_hypothesis("sender")).messages] != [
        m.status for m in simulate(s.with_hypothesis("receiver")).messages
    ]
    says = "depends on the reading" in s.description
    assert differ == says, (
        f"{name}: outcome {'differs' if differ else 'does not differ'} by hypothesis; description must {'' if differ else 'not '}say so"
    )


def test_library_stories_hold() -> None:
    silent = simulate(load_scenario("silent-build"))
    assert silent.event_log == ()  # build 2431 logs no 9301: the backlog is silent
    firewall = simulate(load_scenario("firewall"))
    assert firewall.message("m1").presented_address is None  # dropped before any MTA saw it
    assert all(e.server == "EXCLUS" for e in firewall.event_log)  # only EXCLUS's harmless first events
    ptr = simulate(load_scenario("ptr-breaks-workaround"))
    assert {e.decoded for e in ptr.event_log if e.server == "EXA"} == {"10.0.1.11", "'NODE1'"}
    wrong = simulate(load_scenario("wrong-fix"))
    assert wrong.message("m3").presented_address == "10.0.1.12" and wrong.message("m4").presented_address is None
    kb = simulate(load_scenario("kb-q169113"))
    assert (kb.message("m1").attempts, kb.message("m1").returned_at) == (144, 85800.0)  # 144 tries, NDR at 23:50:00
    vips = simulate(load_scenario("two-vips"))
    assert [a.wire for a in vips.attempts("EXCLUS->EXA")] == [
        "10.0.1.20",
        "10.0.1.21",
        "10.0.1.20",
        "10.0.1.21",
        "10.0.1.20",
        "10.0.1.21",
        "10.0.1.20",
    ]
