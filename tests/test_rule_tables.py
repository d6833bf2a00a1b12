"""The rule tables are what the code runs: change a row and the behaviour changes (no display-only copies).

Each table of xcon_teach.sim (SOURCE_RULES, DESTINATION_RULES, REVERSE_SOURCES, STAGES, BUILD_RULES)
is read by its module at call time, so patching the module's table is editing the rule.
"""

from __future__ import annotations

import dataclasses

import pytest

from xcon_teach import load_scenario, simulate
from xcon_teach.sim import builds, receiver, resolve, sender
from xcon_teach.sim.rules import flatten


def _without(table: tuple, name: str) -> tuple:
    kept = tuple(r for r in table if r.name != name)
    assert len(kept) == len(table) - 1, f"no row {name!r}"
    return kept


def test_dropping_the_fix_row_brings_the_bug_back(monkeypatch: pytest.MonkeyPatch) -> None:
    hotfix = load_scenario("hotfix")
    assert simulate(hotfix, until=0).attempts("EXCLUS->EXA")[0].wire == "10.0.1.20"
    monkeypatch.setattr(sender, "SOURCE_RULES", _without(sender.SOURCE_RULES, "fix"))
    assert simulate(hotfix, until=0).attempts("EXCLUS->EXA")[0].wire == "10.0.1.11"


def test_the_order_of_the_source_rules_is_the_order_they_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    override = load_scenario("override")
    assert simulate(override, until=0).attempts("EXCLUS->EXA")[0].wire == "10.0.1.20"
    inaddr_any_first = (sender.SOURCE_RULES[-1], *sender.SOURCE_RULES[:-1])
    monkeypatch.setattr(sender, "SOURCE_RULES", inaddr_any_first)
    assert simulate(override, until=0).attempts("EXCLUS->EXA")[0].wire == "10.0.1.11"


def test_dropping_the_hosts_file_row_sends_the_lookup_to_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    workaround = load_scenario("workaround")
    first = simulate(workaround, until=0).steps_of(simulate(workaround, until=0).attempts("EXCLUS->EXA")[0])
    assert "the HOSTS file says 10.0.0.10" in next(st.text for st in first if st.kind == "resolve")
    monkeypatch.setattr(resolve, "DESTINATION_RULES", _without(resolve.DESTINATION_RULES, "hosts"))
    trace = simulate(workaround, until=0)
    text = next(st.text for st in trace.steps_of(trace.attempts("EXCLUS->EXA")[0]) if st.kind == "resolve")
    assert "WINS says 10.0.0.10" in text


def test_dropping_node_status_from_the_reverse_lookup_breaks_the_workaround(monkeypatch: pytest.MonkeyPatch) -> None:
    workaround = load_scenario("workaround").with_hypothesis("receiver")  # under R, node status carries the workaround
    assert simulate(workaround).message("m1").status == "delivered"
    monkeypatch.setattr(resolve, "REVERSE_SOURCES", _without(resolve.REVERSE_SOURCES, "reverse-node-status"))
    assert simulate(workaround).message("m1").status == "ndr"


def test_dropping_the_name_stage_leaves_only_the_address_match(monkeypatch: pytest.MonkeyPatch) -> None:
    workaround = load_scenario("workaround")
    monkeypatch.setattr(receiver, "STAGES", _without(receiver.STAGES, "names"))
    trace = simulate(workaround, until=0)
    assert trace.attempts("EXCLUS->EXA")[0].failure == "no connector"
    assert "names" not in {st.lookup.stage for st in trace.steps if st.lookup}


def test_a_build_row_moves_a_feature_between_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    sp1 = load_scenario("kb-q169113").with_build("EXCLUS", "sp1")  # SP1 carries the Q169113 fix (MODEL)
    assert simulate(sp1, until=0).attempts("EXCLUS->EXA")[0].wire == "10.0.1.20"
    rows = tuple(dataclasses.replace(r, first=2448) if r.feature == "fix" else r for r in builds.BUILD_RULES)
    monkeypatch.setattr(builds, "BUILD_RULES", rows)
    assert simulate(sp1, until=0).attempts("EXCLUS->EXA")[0].wire == "10.0.1.11"


def test_the_override_row_decides_which_builds_read_the_registry_value(monkeypatch: pytest.MonkeyPatch) -> None:
    pinned = load_scenario("two-vips").with_build("EXCLUS", 2431).with_override("EXCLUS", "10.0.1.20")
    assert {a.wire for a in simulate(pinned, until=7200).attempts("EXCLUS->EXA")} == {"10.0.1.20"}
    rows = tuple(dataclasses.replace(r, first=2448) if r.feature == "override" else r for r in builds.BUILD_RULES)
    monkeypatch.setattr(builds, "BUILD_RULES", rows)
    assert {a.wire for a in simulate(pinned, until=7200).attempts("EXCLUS->EXA")} == {"10.0.1.20", "10.0.1.21"}


def test_every_printed_stage_is_a_stage_the_runs_go_through() -> None:
    """No display-only rows: every row a notebook prints for STAGES shows up in some built-in run."""
    from xcon_teach.scenario import library

    seen = {st.lookup.stage for name in library.names() for st in simulate(load_scenario(name), until=0).steps if st.lookup}
    assert {r.name for r in flatten(receiver.STAGES)} <= seen
