"""Repeated attempts stored once (issue 16): a compact trace reads exactly like one that stores every step.

The reference is the same simulation with repetitions switched off (``_Run(s, repeat=False)``): every
reader of a trace (steps, event log, attempts, transcript, JSON, storyboard, what-so-far of the
picture, capture) must give the same answer from both, for every built-in and for generated
scenarios with long retry schedules; and memory must grow with distinct attempts, not with time.
"""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xcon_teach import load_scenario, simulate
from xcon_teach.capture import packets
from xcon_teach.draw import storyboard
from xcon_teach.draw.portrayal import TraceView, portray
from xcon_teach.draw.sofar import SoFar
from xcon_teach.errors import UsageError
from xcon_teach.scenario import Message, Scenario, library, scenario_from_dict
from xcon_teach.scenario.elements import Hypothesis
from xcon_teach.sim import Trace, compact
from xcon_teach.sim.compact import Steps
from xcon_teach.sim.simulate import _Run

from .strategies import scenario_data

BUILT_INS: list[tuple[str, Hypothesis]] = [(name, h) for name in library.names() for h in ("sender", "receiver")]
DAY = 86400.0


def both(s: Scenario) -> tuple[Trace, Trace, _Run]:
    """(compact trace, reference trace storing every step, the compact run)."""
    made = _Run(s)
    return made.run(), _Run(s, repeat=False).run(), made


def days_of_refusal(n: int) -> Scenario:
    base = load_scenario("kb-q169113")
    c = base.connectors[1]
    msgs = tuple(Message(at=i * DAY, sender=c.server, recipient=c.remote) for i in range(n))
    return base.replace(messages=msgs, actions=(), until=n * DAY + 90000)


def assert_same(a: Trace, b: Trace) -> None:
    assert len(a.steps) == len(b.steps)
    assert tuple(a.steps) == tuple(b.steps)
    assert tuple(a.event_log) == tuple(b.event_log)
    assert [x.to_dict() for x in a.messages] == [x.to_dict() for x in b.messages]
    assert tuple(a.attempts()) == tuple(b.attempts())
    for c in a.scenario.connectors:
        assert tuple(a.attempts(c.label)) == tuple(b.attempts(c.label))
    assert a.to_text() == b.to_text()
    assert a.to_json() == b.to_json() == json.dumps(b.to_dict(), indent=2, ensure_ascii=False) + "\n"
    assert storyboard(a) == storyboard(b)


@pytest.mark.parametrize(("name", "hypothesis"), BUILT_INS)
def test_every_built_in_reads_the_same_as_a_run_that_stores_every_step(name: str, hypothesis: Hypothesis) -> None:
    compact_trace, reference, run = both(load_scenario(name).with_hypothesis(hypothesis))
    assert run.mismatches == 0
    assert_same(compact_trace, reference)
    assert isinstance(reference.steps, Steps) and reference.steps.repetitions == 0


def test_the_reference_scenario_stores_its_day_of_retries_once() -> None:
    trace = simulate(load_scenario("kb-q169113"))
    assert trace.message("m1").attempts == 144
    # Attempt 1 sees m2 still queued the other way; 2 is the template; 3 (checked in full) to 143 are
    # repetitions of it; 144 ends in the NDR.
    assert trace.steps.repetitions == 141
    assert len(trace.attempts("EXCLUS->EXA")) == 144


def test_the_lazy_path_of_a_long_trace_reads_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Traces over FLAT_LIMIT steps are expanded as they are read: index, slice, negative index, iteration."""
    monkeypatch.setattr(compact, "FLAT_LIMIT", 0)
    trace, reference, _ = both(days_of_refusal(2))
    ref = tuple(reference.steps)
    n = len(ref)
    assert [trace.steps[i] for i in range(n)] == list(ref)
    assert trace.steps[-1] == ref[-1] and trace.steps[-n] == ref[0]
    assert trace.steps[100:400] == ref[100:400] and trace.steps[::97] == ref[::97]
    assert trace.steps[n - 5 : n + 5] == ref[n - 5 :]
    with pytest.raises(IndexError):
        trace.steps[n]
    assert tuple(trace.event_log) == tuple(reference.event_log)
    assert trace.event_log[-1] == reference.event_log[-1]
    assert tuple(trace.attempts()) == tuple(reference.attempts())
    assert trace.attempts()[200] == reference.attempts()[200]
    assert trace.steps == reference.steps and trace.steps == ref


def test_memory_grows_with_distinct_attempts_not_with_time() -> None:
    """200 messages retried for a day each: 28,800 attempts, of which about 600 are stored step by step."""
    s = days_of_refusal(200)
    tracemalloc.start()
    try:
        trace = simulate(s)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(trace.steps) == 489_801 and len(trace.attempts()) == 28_800
    assert trace.steps.repetitions == 200 * 142  # all but each message's first and last attempt
    # Stored step by step, this run took 186 MB; stored compactly it takes a few (measured: about 8 MB).
    assert peak < 30 * 2**20, peak


def test_what_the_picture_knows_so_far_is_the_same_at_every_step() -> None:
    """SoFar (tallies, events so far, a server's last events, lookups) against a replay of every step."""
    for name in library.names():
        trace = simulate(load_scenario(name))
        mine = SoFar(trace)
        count, snapshot = 0, None
        tallies: dict[str, list[Any]] = {c.label: [0, 0, 0, None, False] for c in trace.scenario.connectors}
        route = {(c.server, c.remote): c.label for c in trace.scenario.connectors}
        messages = {m.id: m for m in trace.messages}
        log = tuple(trace.event_log)
        for i, step in enumerate(trace.steps):
            count += len(step.events)
            cx = step.connection
            if step.kind == "deliver" and step.message:
                t = tallies[route[(messages[step.message].sender, messages[step.message].recipient)]]
                t[0] += 1
                t[4] = t[4] and dict(step.queues)[cx.connector] > 0  # type: ignore[union-attr]
            elif step.kind == "accept" and cx:
                tallies[cx.connector][4] = True
            elif step.kind == "drop" and cx:
                tallies[cx.connector][4] = False
            elif step.kind == "ndr" and step.message:
                tallies[route[(messages[step.message].sender, messages[step.message].recipient)]][1] += 1
            elif step.kind == "attempt" and cx:
                tallies[cx.connector][2], tallies[cx.connector][3] = cx.attempt, None
            elif step.kind == "retry" and cx:
                tallies[cx.connector][3] = step.next_attempt
            snapshot = {k: tuple(v) for k, v in tallies.items()}
            assert mine.events_so_far(i) == count, (name, i)
            assert mine.tally(i) == snapshot, (name, i)
            for server in {e.server for e in log}:
                theirs = [e for e in log[:count] if e.server == server]
                assert mine.server_events(i, server) == (len(theirs), tuple(theirs[-3:])), (name, i, server)
            if cx is not None:
                assert mine.lookups(cx.serial) == [
                    k
                    for k, st in enumerate(trace.steps)
                    if st.lookup is not None and st.connection and st.connection.serial == cx.serial
                ]


def test_portrayals_of_a_compact_trace_are_those_of_the_reference() -> None:
    trace, reference, _ = both(days_of_refusal(2))
    a, b = TraceView(trace), TraceView(reference)
    for f in storyboard(trace):
        assert portray(a, f.step, caption=f.caption) == portray(b, f.step, caption=f.caption)
    for i in (0, 5, 17, 600, 2000, 2449, len(trace.steps) - 1):
        assert portray(a, i) == portray(b, i)


def test_a_year_of_retries_is_refused_by_the_exports_before_any_drawing(tmp_path: Any) -> None:
    from xcon_teach.draw.export import MAX_FRAMES, MAX_PAGES, export

    trace = simulate(days_of_refusal(140))
    frames = storyboard(trace)
    assert len(frames) > MAX_PAGES > MAX_FRAMES
    for suffix in (".gif", ".html", ".pdf"):
        with pytest.raises(UsageError, match="--until"):
            export(
                trace,
                tmp_path / f"long{suffix}",
                capture=lambda: pytest.fail("the capture is made only for a storyboard that fits"),
            )
    assert not list(tmp_path.iterdir())


def test_a_capture_longer_than_the_limit_is_refused_as_soon_as_it_is() -> None:
    trace = simulate(days_of_refusal(3))
    assert len(packets(trace)) > 3000
    with pytest.raises(UsageError, match=r"more than 3,000 packets.*--until"):
        packets(trace, limit=3000)


def test_name_service_transaction_ids_wrap_at_16_bits() -> None:
    from xcon_teach.capture.packets import _Capture

    cap = _Capture(simulate(load_scenario("kb-q169113"), until=0), {})
    cap.ids = 0xFFFE
    assert [cap.next_id() for _ in range(3)] == [0xFFFF, 1, 2]


# -- generated scenarios with long retry schedules ------------------------------------------------


@st.composite
def retrying(draw: st.DrawFn) -> dict[str, Any]:
    data = draw(scenario_data())
    for c in data["connectors"]:
        c["max_open_retries"] = draw(st.integers(0, 30))
    data["run"]["until"] = draw(st.sampled_from([100, 1500, 4000, 20000]))
    return data


@settings(max_examples=60, deadline=None)
@given(retrying())
def test_generated_scenarios_read_the_same_as_a_run_that_stores_every_step(data: dict[str, Any]) -> None:
    compact_trace, reference, run = both(scenario_from_dict(data, source="generated"))
    assert run.mismatches == 0
    assert_same(compact_trace, reference)
