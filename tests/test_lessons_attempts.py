"""Reading one attempt of a run (xcon_teach.lessons.attempts), the helpers every lesson prints with."""

from __future__ import annotations

import pytest

from xcon_teach import UsageError, load_scenario, simulate
from xcon_teach.lessons.attempts import attempt_lines, attempt_steps, first_failure_lines, lookup_lines


def test_attempt_steps_are_picked_by_start_time_and_end_with_the_outcome() -> None:
    trace = simulate(load_scenario("wrong-fix"))
    first = attempt_steps(trace, "EXA->EXCLUS")
    assert first[0].kind == "attempt" and first[0].time == 0
    assert [s.kind for s in first][-1] == "deliver"  # accepted, then the message arrives
    later = attempt_steps(trace, "exa->exclus", at=3600)  # any case; after the failover
    assert later[0].time == 3600 and later[0].connection is not None and later[0].connection.attempt == 1
    assert [s.kind for s in later] == ["attempt", "resolve", "present", "connect", "retry"]
    assert all(s.connection is not None and s.connection.connector == "EXA->EXCLUS" for s in later)


def test_attempt_steps_include_both_sides_and_stop_before_the_next_attempt() -> None:
    trace = simulate(load_scenario("kb-q169113"), until=1200)
    steps = attempt_steps(trace, "EXCLUS")
    assert {s.actor for s in steps} == {"EXCLUS", "EXA"}
    assert steps[-1].kind == "retry" and all(s.time == 0 for s in steps)


def test_attempt_steps_refuse_unknown_connectors_and_missing_attempts() -> None:
    trace = simulate(load_scenario("kb-q169113"), until=0)
    with pytest.raises(UsageError, match="connector"):
        attempt_steps(trace, "NOPE->EXA")
    with pytest.raises(UsageError, match="no attempt at or after 01:00:00"):
        attempt_steps(trace, "EXCLUS->EXA", at=3600)


def test_attempt_lines_filter_by_kind() -> None:
    trace = simulate(load_scenario("override"))
    text = attempt_lines(trace, "EXCLUS->EXA", at=3600, kinds=("present", "connect"))
    lines = text.splitlines()
    assert len(lines) == 2 and "presents 10.0.1.20" in lines[0] and "from 10.0.1.20" in lines[1]
    assert text == "".join(
        s.line() + "\n" for s in attempt_steps(trace, "EXCLUS->EXA", at=3600) if s.kind in ("present", "connect")
    )


def test_lookup_lines_show_the_workaround_through_node_status_after_failover() -> None:
    """DOMAIN.md section 5, 'why the workaround works' [MODEL]: node status answers with the cluster name."""
    trace = simulate(load_scenario("workaround"))
    before = lookup_lines(trace, "EXCLUS->EXA").splitlines()
    after = lookup_lines(trace, "EXCLUS->EXA", at=3600).splitlines()
    assert "NODE1 answers NODE1, EXCLUS  [MODEL]" in before[4] and "accepts" in before[-1]
    assert "NODE2 answers NODE2, EXCLUS  [MODEL]" in after[4] and "accepts" in after[-1]
    assert all(line.startswith("01:00:00") for line in after)


def test_lookup_lines_are_empty_when_no_mta_saw_the_attempt() -> None:
    assert lookup_lines(simulate(load_scenario("firewall")), "EXCLUS->EXA") == ""


def test_first_failure_lines_find_the_first_attempt_without_mail() -> None:
    text = first_failure_lines(simulate(load_scenario("wrong-fix")))
    assert text.startswith("01:00:00  EXA      attempt") and "runs no MTA" in text
    ptr = first_failure_lines(simulate(load_scenario("ptr-breaks-workaround")), kinds=["reverse", "refuse"])
    assert ptr.splitlines()[-2].endswith("the PTR record of 10.0.1.11: NODE1  [DOC Q189345]")
    assert "refuses" in ptr.splitlines()[-1]
    assert first_failure_lines(simulate(load_scenario("workaround"))) == ""


def test_the_nth_attempt_is_its_lines_of_the_full_transcript() -> None:
    trace = simulate(load_scenario("kb-q169113"), until=700)
    lines = attempt_lines(trace, "EXCLUS->EXA", nth=2).splitlines()
    assert lines and all(line in trace.to_text().splitlines() for line in lines)
    assert lines[0].startswith("00:10:00  EXCLUS   attempt") and "attempt 2 of at most 145" in lines[0]
    assert {line.split()[1] for line in lines} == {"EXCLUS", "EXA"}


def test_one_actors_lines_and_a_missing_attempt() -> None:
    trace = simulate(load_scenario("kb-q169113"), until=0)
    sender = attempt_lines(trace, "EXCLUS", actor="exclus").splitlines()
    assert [line.split()[2] for line in sender] == ["attempt", "resolve", "present", "connect", "retry"]
    with pytest.raises(UsageError, match="nth"):
        attempt_lines(trace, "EXCLUS->EXA", nth=2)
