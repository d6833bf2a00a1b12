"""The helpers of notebooks 01 to 03 (xcon_teach.lessons.basics): they select and lay out, never decide."""

from __future__ import annotations

import pytest

from xcon_teach import Scenario, ScenarioError, UsageError, load_scenario, simulate
from xcon_teach.lessons.basics import (
    check_decoding,
    compare_source_choice,
    event_viewer,
    events_by_build,
    queue_timeline,
    rule_table,
    with_mail_every,
)
from xcon_teach.sim import SOURCE_RULES, STAGES
from xcon_teach.sim.rules import flatten


@pytest.fixture(scope="module")
def kb() -> Scenario:
    return load_scenario("kb-q169113")


# --- with_mail_every ----------------------------------------------------------------------------


def test_with_mail_every_appends_messages_and_leaves_the_original(kb: Scenario) -> None:
    busy = with_mail_every(kb, "exclus", "exa", every=600, count=3, start=60)
    assert busy.messages[: len(kb.messages)] == kb.messages
    added = busy.messages[len(kb.messages) :]
    assert [(m.at, m.sender, m.recipient) for m in added] == [
        (60.0, "EXCLUS", "EXA"),
        (660.0, "EXCLUS", "EXA"),
        (1260.0, "EXCLUS", "EXA"),
    ]
    assert len(kb.messages) == 2


@pytest.mark.parametrize(("every", "count", "match"), [(0, 1, "every"), (-5, 1, "every"), (60, 0, "count")])
def test_with_mail_every_refuses_bad_arguments(kb: Scenario, every: float, count: int, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        with_mail_every(kb, "EXCLUS", "EXA", every=every, count=count)


def test_with_mail_every_needs_a_route(kb: Scenario) -> None:
    with pytest.raises(ScenarioError):
        with_mail_every(kb, "EXCLUS", "NOBODY", every=60, count=1)


# --- queue_timeline -----------------------------------------------------------------------------


def test_queue_timeline_shows_the_queue_growing_and_a_silent_sender(kb: Scenario) -> None:
    """DOMAIN 5 and 6: the sender logs nothing; it retries every open interval; the queue keeps every message."""
    busy = with_mail_every(kb, "EXCLUS", "EXA", every=3600, count=2, start=3600)
    rows = [line.split() for line in queue_timeline(simulate(busy, until=7200), "EXCLUS->EXA").splitlines()]
    assert rows[0][:5] == ["time", "waiting", "delivered", "NDR", "attempts"]
    # time, waiting, delivered, NDR, attempts, 9301 on EXCLUS, 9301 on EXA
    assert rows[1:] == [
        ["00:00:00", "1", "0", "0", "1", "0", "2"],
        ["01:00:00", "2", "0", "0", "7", "0", "14"],
        ["02:00:00", "3", "0", "0", "13", "0", "26"],
    ]


def test_queue_timeline_ends_with_the_end_of_the_run_and_counts_ndrs(kb: Scenario) -> None:
    rows = queue_timeline(simulate(kb), "EXCLUS->EXA", every=36000).splitlines()
    assert [r.split()[0] for r in rows[1:]] == ["00:00:00", "10:00:00", "20:00:00", "25:00:00"]
    assert rows[-1].split()[1:5] == ["0", "0", "1", "144"]


def test_queue_timeline_counts_deliveries(kb: Scenario) -> None:
    rows = queue_timeline(simulate(kb, until=10), "EXA->EXCLUS", every=5).splitlines()
    assert [r.split()[:3] for r in rows[1:]] == [["00:00:00", "1", "0"], ["00:00:05", "0", "1"], ["00:00:10", "0", "1"]]


def test_queue_timeline_refuses_a_bad_interval(kb: Scenario) -> None:
    with pytest.raises(UsageError, match="every"):
        queue_timeline(simulate(kb, until=0), "EXCLUS", every=0)


# --- event_viewer -------------------------------------------------------------------------------


def test_event_viewer_lists_the_receivers_events_decoded_and_counts_them(kb: Scenario) -> None:
    text = event_viewer(simulate(kb, until=600), "exa", limit=3)
    lines = text.splitlines()
    assert [line.split()[4:] for line in lines[1:4]] == [
        ["0A00010B", "10.0.1.11"],
        ["4E4F444531", "'NODE1'"],
        ["0A00010B", "10.0.1.11"],
    ]
    assert lines[-1] == "4 events in all on EXA; the first 3 shown."


def test_event_viewer_on_a_silent_build() -> None:
    """DOMAIN 5: builds 2354 to 2620 (SP2) log no 9301 at all."""
    assert event_viewer(simulate(load_scenario("silent-build"), until=0), "EXA") == "EXA: no MSExchangeMTA events at all.\n"


# --- rule_table ---------------------------------------------------------------------------------


def test_rule_table_labels_every_basis_for_a_learner() -> None:
    lines = rule_table(STAGES, heading="stage").splitlines()
    assert lines[0].split()[:3] == ["#", "stage", "basis"]
    assert len(lines) == 1 + len(flatten(STAGES))
    node_status = next(line for line in lines if "reverse-node-status" in line)
    assert "documented (KB Q138086)" in node_status and "under hypothesis R" in node_status
    assert "hypothesis S (one of two readings; not documented)" in rule_table(SOURCE_RULES)
    assert "documented (KB Q197378)" in rule_table(SOURCE_RULES).splitlines()[1]


def test_rule_table_lists_every_stage_with_its_basis() -> None:
    rows = rule_table(STAGES, heading="stage").splitlines()[1:]
    shown = flatten(STAGES)
    assert len(rows) == len(shown) == 7
    for row, stage in zip(rows, shown, strict=True):
        assert stage.name in row and ("model assumption" in row) == (stage.basis == "MODEL")
    assert "documented (KB Q138086)" in rows[4] and "reverse-node-status" in rows[4]


# --- compare_source_choice ----------------------------------------------------------------------


def test_compare_source_choice_agrees_for_the_primary_first_rule(kb: Scenario) -> None:
    """DOMAIN 4 rule 3: an unbound socket gets the card's first address, before and after failover."""
    lines = compare_source_choice(kb, lambda card: card[0]).splitlines()
    assert len(lines) == 1 + 2 * len(kb.connectors)
    assert all(line.endswith("  yes") for line in lines[1:])
    node2 = next(line for line in lines if "NODE2" in line)
    assert "10.0.1.12, 10.0.1.20" in node2


def test_compare_source_choice_names_the_rule_when_a_pick_disagrees(kb: Scenario) -> None:
    last = compare_source_choice(kb, lambda card: card[-1]).splitlines()
    exclus = [line for line in last if "EXCLUS->EXA" in line]
    assert exclus and all(line.endswith("no (rule inaddr-any)") for line in exclus)
    hotfix = compare_source_choice(load_scenario("hotfix"), lambda card: card[0]).splitlines()
    assert any(line.endswith("no (rule fix)") for line in hotfix)


def test_compare_source_choice_ignores_the_scenarios_own_messages_and_actions() -> None:
    """The workaround scenario fails over at 00:30 and sends at 01:00; the table still starts from the file's state."""
    lines = compare_source_choice(load_scenario("workaround"), lambda card: card[0]).splitlines()
    assert any(line.startswith("as loaded") and "NODE1" in line for line in lines)


def test_compare_source_choice_gives_the_pick_a_copy(kb: Scenario) -> None:
    def greedy(card: list[str]) -> str:
        first = card[0]
        card.clear()
        return first

    assert all(line.endswith("  yes") for line in compare_source_choice(kb, greedy).splitlines()[1:])


# --- check_decoding -----------------------------------------------------------------------------


def test_check_decoding_marks_each_answer_and_ignores_quotes() -> None:
    """DOMAIN 5 decoding drill: 8 hex digits are an IPv4 address, longer strings ASCII (Q193380)."""
    text = check_decoding({"91F5C11B": "145.245.193.27", "52656D6F74654D5441": " 'RemoteMTA' ", "0A000114": "10.0.1.14"})
    lines = text.splitlines()
    assert [line.split()[-1] for line in lines[1:4]] == ["right", "right", "again"]
    assert lines[-1] == "2 of 3 right."


def test_check_decoding_reads_a_four_letter_name_as_an_ip() -> None:
    """The rule is ambiguous for a four-letter name: 4E4F4445 ('NODE') has 8 digits."""
    assert "78.79.68.69" in check_decoding({"4E4F4445": "NODE"})


def test_check_decoding_refuses_what_is_not_hex() -> None:
    with pytest.raises(ValueError, match="not a hex network address"):
        check_decoding({"0A0G": "?"})


def test_events_by_build_follows_the_build_table(kb: Scenario) -> None:
    """DOMAIN.md 5 (rev 2): RTM, SP1 both events; SP2 the second; 2431 none (Q234962 "some"); SP3, SP4 the second."""
    rows = [line.split("  ") for line in events_by_build(kb, "EXA").splitlines()[1:]]
    counts = {r[0].strip(): next(c.strip() for c in r[1:] if c.strip()) for r in rows}
    assert counts == {
        "RTM (build 1960)": "2",
        "SP1 (build 2232)": "2",
        "build 2431": "0",
        "SP2 (build 2448)": "1",
        "SP3 (build 2650)": "1",
        "SP4 (build 2653)": "1",
    }
    table = events_by_build(kb, "exa", builds=(2431, "sp2"))
    assert "build 2431        0       (none)" in table and "documented (KB Q234962)" in table
    assert table.index("build 2431") < table.index("SP2")  # in build order
