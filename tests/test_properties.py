"""Invariants over generated scenarios (hypothesis): determinism, nothing lost, honest traces."""

from __future__ import annotations

import json
import re
from typing import Any

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xcon_teach import simulate
from xcon_teach.scenario import loads_scenario, scenario_from_dict
from xcon_teach.sim import Trace
from xcon_teach.sim.simulate import tries
from xcon_teach.sources import check

from .strategies import scenario_data

BASIS = re.compile(r"DOC (?:Q|KB)\d{6}|MODEL|HYPOTHESIS [SR]")


def run(data: dict[str, Any]) -> Trace:
    return simulate(scenario_from_dict(data, source="generated"))


@given(scenario_data())
def test_same_scenario_same_bytes(data: dict[str, Any]) -> None:
    first = run(data)
    assert run(data).to_json() == first.to_json()
    assert run(data).to_text() == first.to_text()
    # and through the scenario's own TOML
    assert simulate(loads_scenario(first.scenario.to_toml(), source="generated")).to_json() == first.to_json()


@given(scenario_data())
def test_every_message_ends_delivered_queued_or_ndr(data: dict[str, Any]) -> None:
    trace = run(data)
    s = trace.scenario
    assert [m.id for m in trace.messages] == [f"m{i + 1}" for i in range(len(s.messages))]
    for m, spec in zip(trace.messages, s.messages, strict=True):
        assert m.status in ("delivered", "queued", "ndr")
        assert (m.status == "delivered") == (m.delivered_at is not None)
        assert (m.status == "ndr") == (m.returned_at is not None)
        if m.delivered_at is not None:
            assert spec.at + 2.0 <= m.delivered_at <= s.until
        if m.status == "ndr":
            assert m.attempts == tries(s.connector(spec.sender, spec.recipient))
        assert m.attempts == 0 or spec.at <= s.until
    delivered = [st.message or "" for st in trace.steps if st.kind == "deliver"]
    returned = [st.message or "" for st in trace.steps if st.kind == "ndr"]
    assert sorted(delivered) == sorted(m.id for m in trace.messages if m.status == "delivered")
    assert sorted(returned) == sorted(m.id for m in trace.messages if m.status == "ndr")
    assert len(set(delivered) | set(returned)) == len(delivered) + len(returned)  # no message ends twice


@given(scenario_data())
def test_delivered_only_after_the_receiver_found_a_connector(data: dict[str, Any]) -> None:
    trace = run(data)
    accepted: dict[str, float] = {}
    for step in trace.steps:
        if step.kind == "accept":
            assert step.lookup is not None and step.lookup.outcome == "found"
            assert step.connection is not None and step.connection.receiver == step.connection.remote
            accepted[step.connection.connector] = step.time
        if step.kind == "deliver":
            assert step.connection is not None
            assert step.connection.connector in accepted and accepted[step.connection.connector] < step.time
            msg = trace.message(step.message or "")
            assert step.connection.receiver == msg.recipient == step.actor


@given(scenario_data())
def test_events_are_logged_only_by_receivers(data: dict[str, Any]) -> None:
    trace = run(data)
    logged = []
    for step in trace.steps:
        for event in step.events:
            assert step.lookup is not None and step.connection is not None
            assert event.server == step.lookup.receiver == step.connection.receiver == step.actor
            assert event.id == 9301 and event.time == step.time
            logged.append(event)
    assert tuple(logged) == trace.event_log


@given(scenario_data())
def test_time_never_goes_backwards_and_every_step_has_a_basis(data: dict[str, Any]) -> None:
    trace = run(data)
    times = [s.time for s in trace.steps]
    assert times == sorted(times)
    assert all(0 <= t <= trace.until for t in times)
    assert [e.time for e in trace.event_log] == sorted(e.time for e in trace.event_log)
    letter = "S" if trace.scenario.hostname_stack == "sender" else "R"
    for step in trace.steps:
        assert BASIS.fullmatch(step.basis), step
        assert step.actor and step.text and "\n" not in step.text
        # A documented step names a claim the register backs with that article; a hypothesis step is the run's own.
        if step.basis.startswith("DOC"):
            assert check(step.claim, step.basis.removeprefix("DOC ")) is None, step
        if step.basis.startswith("HYPOTHESIS"):
            assert step.basis == f"HYPOTHESIS {letter}" and "one of two readings" in step.text, step
    assert trace.steps[-1].kind == "end"


@given(scenario_data())
def test_attempts_stay_within_the_override_limit(data: dict[str, Any]) -> None:
    trace = run(data)
    for m, spec in zip(trace.messages, trace.scenario.messages, strict=True):
        # Max open retries is the number of tries in all (Q234157); 0 is read as 1 (DOMAIN.md 6).
        assert m.attempts <= max(1, trace.scenario.connector(spec.sender, spec.recipient).max_open_retries)


@given(scenario_data())
def test_presented_address_is_what_a_listening_mta_saw(data: dict[str, Any]) -> None:
    trace = run(data)
    seen = {st.connection.wire for st in trace.steps if st.kind == "connect" and st.connection and st.connection.receiver}
    for m in trace.messages:
        assert m.presented_address is None or m.presented_address in seen


@given(scenario_data(), st.sampled_from([0.0, 1.0, 600.0]))
def test_json_is_valid_and_matches_to_dict(data: dict[str, Any], until: float) -> None:
    trace = simulate(scenario_from_dict(data), until=until)
    assert json.loads(trace.to_json()) == trace.to_dict()
    assert list(trace.to_dict()) == ["title", "hypothesis", "messages", "event_log", "steps"]
    assert trace.to_dict()["hypothesis"] == trace.scenario.hostname_stack


@given(scenario_data())
def test_attempts_partition_the_connection_steps_and_count_each_messages_tries(data: dict[str, Any]) -> None:
    """Trace.attempts(): every step with a connection is in exactly one attempt, each attempt is decided
    once, its serials run 1, 2, 3..., and a message's ``attempts`` is the number of attempts that carried it."""
    trace = run(data)
    attempts = trace.attempts()
    assert [a.serial for a in attempts] == list(range(1, len(attempts) + 1))
    members = sorted(i for a in attempts for i in a.steps)
    assert members == [i for i, st in enumerate(trace.steps) if st.connection is not None]
    for a in attempts:
        assert trace.steps[a.steps[0]].kind == "attempt" and a.decided in a.steps
        assert (a.outcome == "accepted") == (a.failure is None)
        assert sum(trace.steps[i].kind in ("accept", "refuse") for i in a.steps) <= 1
    for m in trace.messages:
        carried = [a for a in attempts if m.id in a.messages]
        assert m.attempts == len(carried)
        seen = [a.presented for a in carried if a.presented is not None]
        assert m.presented_address == (seen[-1] if seen else None)


# -- the generator reaches every outcome (issue 16) ----------------------------------------------------


@pytest.mark.parametrize("outcome", ["delivered", "refused", "ndr", "failover"])
def test_the_generator_reaches_every_outcome(outcome: str) -> None:
    """Properties over generated scenarios mean something only if the scenarios reach every path."""

    def reaches(data: dict) -> bool:
        trace = simulate(scenario_from_dict(data))
        if outcome in ("delivered", "ndr"):
            return any(m.status == outcome for m in trace.messages)
        if outcome == "refused":
            return any(a.outcome == "refused" for a in trace.attempts())
        return any(step.kind == "failover" for step in trace.steps)

    found = hypothesis.find(scenario_data(), reaches, settings=hypothesis.settings(max_examples=500, database=None))
    assert reaches(found)
