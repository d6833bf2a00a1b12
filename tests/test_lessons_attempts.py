"""Reading one attempt of a run (xcon_teach.lessons.attempts), the helpers every lesson prints with."""

from __future__ import annotations

import pytest

from xcon_teach import UsageError, load_scenario, simulate
from xcon_teach.lessons.attempts import attempt_lines, attempt_steps, capture_lines, first_failure_lines, lookup_lines


def test_attempt_steps_are_picked_by_start_time_and_end_with_the_outcome() -> None:
    trace = simulate(load_scenario("wrong-fix"))
    first = attempt_steps(trace, "EXA->EXCLUS")
    assert first[0].kind == "attempt" and first[0].time == 0
    assert [s.kind for s in first][-1] == "deliver"  # accepted, then the message arrives
    later = attempt_steps(trace, "exa->exclus", at=3600)  # any case; after the failover
    assert later[0].time == 3600 and later[0].connection is not None and later[0].connection.attempt == 1
    assert [s.kind for s in later] == ["attempt", "resolve", "present", "connect", "retry"]  # EXA: one address, one step
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
    assert len(lines) == 2 and "sends from 10.0.1.20" in lines[0] and "from 10.0.1.20" in lines[1]
    assert text == "".join(
        s.line() + "\n" for s in attempt_steps(trace, "EXCLUS->EXA", at=3600) if s.kind in ("present", "connect")
    )


def test_lookup_lines_show_the_workaround_after_failover_under_both_hypotheses() -> None:
    """DOMAIN.md 5b: under R node status lists the cluster name; under S the HOSTS file names the virtual IP."""
    r = simulate(load_scenario("workaround").with_hypothesis("receiver"))
    before = lookup_lines(r, "EXCLUS->EXA").splitlines()
    after = lookup_lines(r, "EXCLUS->EXA", at=3600).splitlines()
    assert "NODE1 answers with every name it has registered, NODE1, EXCLUS" in before[4] and before[4].endswith("[HYPOTHESIS R]")
    assert "NODE2 answers with every name it has registered, NODE2, EXCLUS" in after[4] and "accepts" in after[-1]
    assert all(line.startswith("01:00:00") for line in after)
    s = lookup_lines(simulate(load_scenario("workaround")), "EXCLUS->EXA", at=3600).splitlines()
    assert "looks up 10.0.1.20 in its HOSTS file (a local file: nothing goes on the wire): EXCLUS" in s[2] and "accepts" in s[-1]


def test_lookup_lines_are_empty_when_no_mta_saw_the_attempt() -> None:
    assert lookup_lines(simulate(load_scenario("firewall")), "EXCLUS->EXA") == ""


def test_first_failure_lines_find_the_first_attempt_without_mail() -> None:
    text = first_failure_lines(simulate(load_scenario("wrong-fix")))
    assert text.startswith("01:00:00  EXA      attempt") and "runs no MTA" in text
    ptr = first_failure_lines(simulate(load_scenario("ptr-breaks-workaround")), kinds=["reverse", "refuse"])
    assert ptr.splitlines()[-2].endswith("the PTR record of 10.0.1.11: NODE1  [DOC Q193380]")
    assert "refuses" in ptr.splitlines()[-1]
    assert first_failure_lines(simulate(load_scenario("workaround"))) == ""


def test_the_nth_attempt_is_its_lines_of_the_full_transcript() -> None:
    trace = simulate(load_scenario("kb-q169113"), until=700)
    lines = attempt_lines(trace, "EXCLUS->EXA", nth=2).splitlines()
    assert lines and all(line in trace.to_text().splitlines() for line in lines)
    assert lines[0].startswith("00:10:00  EXCLUS   attempt") and "attempt 2 of at most 144" in lines[0]
    assert {line.split()[1] for line in lines} == {"EXCLUS", "EXA"}


def test_one_actors_lines_and_a_missing_attempt() -> None:
    trace = simulate(load_scenario("kb-q169113"), until=0)
    sender = attempt_lines(trace, "EXCLUS", actor="exclus").splitlines()
    kinds = [line.split()[2] for line in sender]
    assert kinds == ["attempt", "resolve", "present", "present", "present", "connect", "disconnect", "retry"]
    closed = next(line for line in sender if " disconnect " in line)
    assert "sees the association closed by EXA" in closed and "logs nothing" in closed and closed.endswith("[MODEL]")
    with pytest.raises(UsageError, match="nth"):
        attempt_lines(trace, "EXCLUS->EXA", nth=2)


def test_capture_lines_show_the_evidence_that_tells_the_hypotheses_apart() -> None:
    """DOMAIN.md 5b: a capture at the receiver shows source 10.0.1.20 under S; 10.0.1.11 and a node status query under R."""
    workaround = load_scenario("workaround")
    under_s = capture_lines(simulate(workaround.with_hypothesis("sender"), until=0), "EXCLUS->EXA").splitlines()
    under_r = capture_lines(simulate(workaround.with_hypothesis("receiver"), until=0), "EXCLUS->EXA").splitlines()
    assert under_s[0].split() == ["No.", "Time", "Source", "Destination", "Protocol", "Info"]
    assert under_s[1].split()[2:5] == ["10.0.1.20", "10.0.0.10", "TCP"] and "[SYN]" in under_s[1]
    assert not any(" DNS " in line or " NBNS " in line for line in under_s), "HOSTS answers: nothing on the wire"
    assert under_r[1].split()[2:5] == ["10.0.1.11", "10.0.0.10", "TCP"]
    assert any(" NBNS " in line and "10.0.0.10  10.0.1.11" in line and "NBSTAT" in line for line in under_r)
    assert any(" DNS " in line and "No such name PTR 11.1.0.10.in-addr.arpa" in line for line in under_r)
    assert any("CC TPDU" in line for line in under_r) and not any("DR TPDU" in line and "136" in line for line in under_r)


def test_capture_lines_stop_at_a_ptr_record_and_show_nothing_a_firewall_dropped() -> None:
    ptr = capture_lines(simulate(load_scenario("ptr-breaks-workaround"), until=0), "EXCLUS->EXA")
    assert "PTR 11.1.0.10.in-addr.arpa PTR NODE1" in ptr and "NBNS" not in ptr and "reason 136" in ptr
    dropped = capture_lines(simulate(load_scenario("firewall"), until=0), "EXCLUS->EXA")
    assert dropped == "Nothing of this attempt on EXCLUS->EXA reached a receiving MTA.\n"
