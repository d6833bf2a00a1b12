"""One small test per rule of DOMAIN.md (sections 4, 5, 6 and 9 especially).

Each test's docstring names the rule it pins. Scenarios are variants of the reference topology of
DOMAIN.md section 8 (written out below, so these tests do not depend on the built-in library) or
small inline TOML files. Tests assert outcomes (messages, event log) and the basis tag of the
step that applies a rule, not the wording of steps.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from xcon_teach import Scenario, Step, Trace, loads_scenario, simulate
from xcon_teach.scenario import Action, Message
from xcon_teach.sim import Lookup, MessageOutcome, decode_network_address

REFERENCE = """
title = "reference"
org = "Microsoft"

[hosts.EXA]
addresses = ["10.0.0.10"]
[hosts.NODE1]
addresses = ["10.0.1.11"]
[hosts.NODE2]
addresses = ["10.0.1.12"]

[clusters.WOLFPACK]
nodes = ["NODE1", "NODE2"]
active = "NODE1"
virtual_name = "EXCLUS"
virtual_ip = "10.0.1.20"

[servers.EXA]
site = "SITEA"
host = "EXA"
build = "rtm"
[servers.EXCLUS]
site = "SITEB"
host = "EXCLUS"
build = "rtm"

[[connectors]]
server = "EXA"
remote = "EXCLUS"
stack = "ip"
address = "10.0.1.20"
[[connectors]]
server = "EXCLUS"
remote = "EXA"
stack = "ip"
address = "10.0.0.10"

[names]
hosts = { EXA = "10.0.0.10", EXCLUS = "10.0.1.20" }
dns = {}
ptr = {}
netbios = true

[[messages]]
at = 0
from = "EXCLUS"
to = "EXA"
[[messages]]
at = 0
from = "EXA"
to = "EXCLUS"

[run]
until = 90000
"""

# A third, standalone server; appended to REFERENCE (TOML allows the tables here, and the
# [[connectors]] entries are appended after the reference's two, in this order).
EXB = """
[hosts.EXB]
addresses = ["10.0.2.10"]
[servers.EXB]
site = "SITEC"
host = "EXB"
"""

TWO_CLUSTERS = """
title = "two clusters"
[hosts.N1]
addresses = ["10.0.1.11"]
[hosts.N2]
addresses = ["10.0.1.12"]
[hosts.N3]
addresses = ["10.0.2.11"]
[hosts.N4]
addresses = ["10.0.2.12"]
[clusters.C1]
nodes = ["N1", "N2"]
active = "N1"
virtual_name = "EXC1"
virtual_ip = "10.0.1.20"
[clusters.C2]
nodes = ["N3", "N4"]
active = "N3"
virtual_name = "EXC2"
virtual_ip = "10.0.2.20"
[servers.EXC1]
site = "S1"
host = "EXC1"
[servers.EXC2]
site = "S2"
host = "EXC2"
[[connectors]]
server = "EXC1"
remote = "EXC2"
stack = "ip"
address = "10.0.2.20"
[[connectors]]
server = "EXC2"
remote = "EXC1"
stack = "ip"
address = "10.0.1.20"
[names]
hosts = { EXC1 = "10.0.1.20", EXC2 = "10.0.2.20" }
[[messages]]
at = 0
from = "EXC1"
to = "EXC2"
[[messages]]
at = 0
from = "EXC2"
to = "EXC1"
"""

OUT = "EXCLUS->EXA"  # the cluster's connector: the direction the bug breaks
IN = "EXA->EXCLUS"  # the standalone server's connector
NODE1_IP, NODE2_IP, VIP, EXA_IP = "10.0.1.11", "10.0.1.12", "10.0.1.20", "10.0.0.10"
HEX_NODE1_IP, HEX_NODE1, HEX_VIP = "0A00010B", "4E4F444531", "0A000114"


EXCLUS_TO_EXB = """
[[connectors]]
server = "EXCLUS"
remote = "EXB"
stack = "ip"
address = "10.0.2.10"
"""


# --- building scenarios -----------------------------------------------------------------------


def two_vips(s: Scenario) -> Scenario:
    """The reference cluster with a second virtual IP, 10.0.1.21 (DOMAIN.md 4, Q197378)."""
    cluster = dataclasses.replace(s.cluster("WOLFPACK"), virtual_ips=(VIP, "10.0.1.21"))
    return s.replace(clusters=(cluster,))


def reference(extra: str = "") -> Scenario:
    return loads_scenario(REFERENCE + extra, source="reference")


def with_names(s: Scenario, **changes: Any) -> Scenario:
    return s.replace(names=dataclasses.replace(s.names, **changes))


def with_messages(s: Scenario, *routes: tuple[float, str, str]) -> Scenario:
    return s.replace(messages=tuple(Message(at=at, sender=a, recipient=b) for at, a, b in routes))


def only_out(s: Scenario) -> Scenario:
    """Keep only the message from EXCLUS to EXA (the direction the bug breaks)."""
    return with_messages(s, (0, "EXCLUS", "EXA"))


def only_in(s: Scenario) -> Scenario:
    """Keep only the message from EXA to EXCLUS."""
    return with_messages(s, (0, "EXA", "EXCLUS"))


def with_failovers(s: Scenario, *times: float, cluster: str = "WOLFPACK") -> Scenario:
    return s.replace(actions=tuple(Action(at=t, failover=cluster) for t in times))


def with_addresses(s: Scenario, host: str, *addresses: str) -> Scenario:
    hosts = tuple(dataclasses.replace(h, addresses=addresses) if h.name == host else h for h in s.hosts)
    return s.replace(hosts=hosts)


def workaround(s: Scenario) -> Scenario:
    """Q169113's workaround: a host-name Stack tab on both servers."""
    return s.with_stack("EXA", "hostname", "EXCLUS").with_stack("EXCLUS", "hostname", "EXA")


def quick(s: Scenario, server: str, retries: int = 2, interval: float = 10) -> Scenario:
    return s.with_retries(server, max_open_retries=retries, open_interval=interval)


# --- reading traces -----------------------------------------------------------------------------


def route(trace: Trace, sender: str, recipient: str) -> MessageOutcome:
    (m,) = [m for m in trace.messages if m.sender == sender and m.recipient == recipient]
    return m


def of(trace: Trace, connector: str, kind: str | None = None) -> list[Step]:
    """Steps of every attempt on ``connector`` (optionally of one kind)."""
    return [st for a in trace.attempts(connector) for st in trace.steps_of(a) if kind is None or st.kind == kind]


def attempt_times(trace: Trace, connector: str) -> list[float]:
    return [a.time for a in trace.attempts(connector)]


def nth(trace: Trace, connector: str, attempt: int = 1) -> list[Step]:
    """The steps of the connector's ``attempt``-th attempt (from 1, in the order they were made)."""
    return list(trace.steps_of(trace.attempts(connector)[attempt - 1]))


def present(trace: Trace, connector: str, attempt: int = 1) -> list[Step]:
    """The sender's source-address steps of one attempt."""
    return [st for st in nth(trace, connector, attempt) if st.kind == "present"]


def wire(trace: Trace, connector: str, attempt: int = 1) -> str | None:
    """The source address the sender chose for one attempt (None: the bind failed)."""
    assert present(trace, connector, attempt), f"no source-address step for attempt {attempt} on {connector}"
    return trace.attempts(connector)[attempt - 1].wire


def lookups(trace: Trace, connector: str, attempt: int = 1) -> list[Lookup]:
    """The receiver's lookup stages for one attempt on ``connector``."""
    return [st.lookup for st in lookup_steps(trace, connector, attempt) if st.lookup is not None]


def lookup_steps(trace: Trace, connector: str, attempt: int = 1) -> list[Step]:
    """The receiver's lookup-stage steps for one attempt (the accept/refuse steps only repeat the last stage)."""
    return [st for st in nth(trace, connector, attempt) if st.lookup is not None and st.kind not in ("accept", "refuse")]


def stage(trace: Trace, connector: str, name: str, attempt: int = 1) -> Lookup:
    found = [lk for lk in lookups(trace, connector, attempt) if lk.stage == name]
    assert len(found) == 1, f"expected one {name!r} stage, got {[lk.stage for lk in lookups(trace, connector, attempt)]}"
    return found[0]


def stage_names(trace: Trace, connector: str, attempt: int = 1) -> list[str]:
    return [lk.stage for lk in lookups(trace, connector, attempt)]


def stage_bases(trace: Trace, connector: str, attempt: int = 1) -> dict[str, str]:
    return {st.lookup.stage: st.basis for st in lookup_steps(trace, connector, attempt) if st.lookup is not None}


def hexes(trace: Trace, at: float | None = None, server: str | None = None) -> list[str]:
    return [e.network_address for e in trace.event_log if (at is None or e.time == at) and (server is None or e.server == server)]


def kinds(trace: Trace, connector: str, attempt: int = 1) -> list[str]:
    return [st.kind for st in nth(trace, connector, attempt)]


def final_phase(trace: Trace, connector: str, attempt: int = 1) -> str:
    return nth(trace, connector, attempt)[-1].connection.phase  # type: ignore[union-attr]


# === Section 4: the sender's source address ====================================================


def test_inaddr_any_presents_the_active_nodes_own_ip() -> None:
    """DOMAIN 4.4: otherwise INADDR_ANY: the route's adapter (Q175396); on a cluster node its own IP, not the VIP (Q169113)."""
    trace = simulate(reference())
    assert wire(trace, OUT) == NODE1_IP
    assert route(trace, "EXCLUS", "EXA").presented_address == NODE1_IP
    assert [st.basis for st in present(trace, OUT)] == ["MODEL", "DOC Q175396", "DOC Q169113"]
    assert [st.claim for st in present(trace, OUT)] == ["", "weak-end-system", "inaddr-any-node-ip"]
    assert of(trace, OUT, "attempt")[0].connection.from_host == "NODE1"  # type: ignore[union-attr]
    assert of(trace, OUT, "attempt")[0].connection.claimed == VIP  # type: ignore[union-attr]


def test_a_clustered_sender_without_the_fix_says_so_and_which_build_it_runs() -> None:
    """DOMAIN 4.2: the fix rule declines on RTM without the hotfix, and the step names the build [MODEL]."""
    first = present(simulate(reference()), OUT)[0]
    assert "RTM (build 1960) without the Q169113 fix" in first.text and first.basis == "MODEL"
    switched_off = present(simulate(reference().with_build("EXCLUS", "sp3").with_fix("EXCLUS", False)), OUT)[0]
    assert "SP3 (build 2650) with its Q169113 fix switched off" in switched_off.text
    standalone = present(simulate(reference()), IN)
    assert all("Q169113 fix" not in st.text for st in standalone)  # the fix matters only on a cluster


def test_inaddr_any_on_a_standalone_server_presents_its_primary() -> None:
    """DOMAIN 4.4: NT 4 takes the adapter of the route (Q175396); with several addresses on it, the first [MODEL]."""
    s = with_addresses(only_in(reference()), "EXA", "10.0.0.10", "10.0.0.11")
    trace = simulate(s)
    assert wire(trace, IN) == EXA_IP
    assert [st.basis for st in present(trace, IN)] == ["DOC Q175396", "MODEL"]
    assert route(trace, "EXA", "EXCLUS").status == "delivered"
    one = simulate(only_in(reference()))
    assert [st.basis for st in present(one, IN)] == ["DOC Q175396"]  # one address: the weak-end-system rule alone


@pytest.mark.parametrize(
    ("addresses", "expected"), [(("10.0.1.11", "10.0.1.15"), "10.0.1.11"), (("10.0.1.15", "10.0.1.11"), "10.0.1.15")]
)
def test_inaddr_any_picks_the_first_address_of_the_card(addresses: tuple[str, ...], expected: str) -> None:
    """DOMAIN 4.4: of several addresses on one adapter, the first [MODEL]; the order of the card's list decides."""
    trace = simulate(with_addresses(only_out(reference()), "NODE1", *addresses))
    assert wire(trace, OUT) == expected
    assert "a model assumption" in present(trace, OUT)[-1].text


@pytest.mark.parametrize("build", [2431, "sp2", "sp3", "sp4"])
def test_override_is_the_source_from_build_2431(build: str | int) -> None:
    """DOMAIN 4.1 (rev 2): the Stack IP Address Override, if set and the build is 2431 or later (Q197378), is the From IP address."""
    trace = simulate(only_out(reference().with_build("EXCLUS", build).with_override("EXCLUS", VIP)))
    assert wire(trace, OUT) == VIP
    assert (present(trace, OUT)[-1].basis, present(trace, OUT)[-1].claim) == ("DOC Q197378", "override-from-address")
    assert trace.attempts(OUT)[0].connection.source_rule == "override"
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.attempts, m.delivered_at, m.presented_address) == ("delivered", 1, 2.0, VIP)


@pytest.mark.parametrize("build", ["rtm", "sp1", 2430])
def test_override_is_ignored_before_build_2431(build: str | int) -> None:
    """DOMAIN 4.1 (rev 2): below build 2431 the override is ignored, and the step says so (Q197378; Q255991/Q256844 say SP1)."""
    trace = simulate(only_out(reference().with_build("EXCLUS", build).with_fix("EXCLUS", False).with_override("EXCLUS", VIP)))
    assert wire(trace, OUT) == NODE1_IP
    first = present(trace, OUT)[0]
    assert (first.basis, first.claim) == ("DOC Q197378", "override-build")
    assert "Q255991 and Q256844 say SP1" in first.text
    assert route(trace, "EXCLUS", "EXA").status == "ndr"


@pytest.mark.parametrize("build", [2431, "sp2", "sp3", "sp4"])
def test_override_comes_before_the_fix(build: str | int) -> None:
    """DOMAIN 4: the override (rule 1) is tried before the fix (rule 2): an override of the node IP wins over the fix."""
    s = only_out(reference().with_build("EXCLUS", build).with_fix("EXCLUS", True).with_override("EXCLUS", NODE1_IP))
    trace = simulate(s)
    assert wire(trace, OUT) == NODE1_IP
    assert route(trace, "EXCLUS", "EXA").presented_address == NODE1_IP


def test_override_ignored_on_sp1_falls_through_to_the_fix() -> None:
    """DOMAIN 4 order: on SP1 an ignored override falls to rule 2; SP1 carries the fix, so the MTA presents the virtual IP."""
    s = only_out(reference().with_build("EXCLUS", "sp1").with_override("EXCLUS", NODE1_IP))
    trace = simulate(s)
    assert wire(trace, OUT) == VIP
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_override_bind_fails_when_the_host_does_not_hold_the_address() -> None:
    """DOMAIN 9: an override must be an address of the host running the MTA now; otherwise the bind fails and the attempt fails.

    After failover to NODE2, an override equal to NODE1's own IP cannot be bound on NODE2.
    """
    s = reference().with_build("EXCLUS", "sp2").failed_over("WOLFPACK").with_override("EXCLUS", NODE1_IP)
    trace = simulate(only_out(quick(s, "EXCLUS")))
    assert wire(trace, OUT) is None
    assert present(trace, OUT)[-1].basis == "MODEL"
    assert final_phase(trace, OUT) == "failed"
    assert trace.attempts(OUT)[0].failure == "bind failed"
    assert lookups(trace, OUT) == []
    assert "connect" not in kinds(trace, OUT)
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.attempts, m.presented_address) == ("ndr", 2, None)  # max open retries 2: two tries in all
    assert trace.event_log == ()


def test_override_of_another_hosts_address_fails_on_a_standalone_server() -> None:
    """DOMAIN 9: an override that is not an address of the host running the MTA fails to bind (standalone too)."""
    trace = simulate(only_in(quick(reference().with_build("EXA", "sp2").with_override("EXA", NODE2_IP), "EXA")))
    assert wire(trace, IN) is None
    assert route(trace, "EXA", "EXCLUS").status == "ndr"


def test_override_of_the_virtual_ip_moves_with_the_group() -> None:
    """DOMAIN 9: the virtual IP counts as an override while this node owns it, so after failover NODE2 can bind it."""
    trace = simulate(only_out(reference().with_build("EXCLUS", "sp2").failed_over("WOLFPACK").with_override("EXCLUS", VIP)))
    assert of(trace, OUT, "attempt")[0].connection.from_host == "NODE2"  # type: ignore[union-attr]
    assert wire(trace, OUT) == VIP
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_override_of_the_nodes_own_ip_binds_while_it_is_active() -> None:
    """DOMAIN 9: an override equal to the active node's own address is an address of the host running the MTA."""
    trace = simulate(only_out(reference().with_build("EXCLUS", "sp3").with_override("EXCLUS", NODE1_IP)))
    assert wire(trace, OUT) == NODE1_IP
    assert present(trace, OUT)[-1].basis == "DOC Q197378"


@pytest.mark.parametrize(
    ("build", "fix"), [("sp1", None), (2431, None), ("sp2", None), ("sp3", None), ("sp4", None), ("rtm", True)]
)
def test_fix_presents_the_virtual_ip_on_a_clustered_server(build: str | int, fix: bool | None) -> None:
    """DOMAIN 4.2 (rev 2): [MODEL] SP1 and later carry the fix, RTM only with the hotfix; the fix presents the virtual IP."""
    trace = simulate(only_out(reference().with_build("EXCLUS", build).with_fix("EXCLUS", fix)))
    assert wire(trace, OUT) == VIP
    assert present(trace, OUT)[-1].basis == "MODEL"
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.presented_address) == ("delivered", VIP)


def test_fix_presents_the_virtual_ip_after_failover_too() -> None:
    """DOMAIN 4.2: the fix presents the virtual server's IP, from whichever node owns it."""
    trace = simulate(only_out(reference().with_build("EXCLUS", "sp2").failed_over("WOLFPACK")))
    assert wire(trace, OUT) == VIP
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_rtm_has_the_fix_only_with_the_hotfix_and_the_reference_runs_rtm() -> None:
    """DOMAIN 4 (rev 2): RTM carries the fix only with the 1998 hotfix; the reference scenario runs RTM, so it shows the bug."""
    assert wire(simulate(only_out(reference())), OUT) == NODE1_IP
    assert {sv.build for sv in reference().servers} == {1960}
    assert wire(simulate(only_out(reference().with_fix("EXCLUS", True))), OUT) == VIP
    assert "1998 Q169113 hotfix" in present(simulate(only_out(reference().with_fix("EXCLUS", True))), OUT)[-1].text


@pytest.mark.parametrize("build", ["sp1", "sp2", "sp4"])
def test_fix_has_no_effect_on_a_standalone_server(build: str) -> None:
    """DOMAIN 9: the Q169113 fix has no effect on a server that is not clustered."""
    s = with_addresses(only_in(reference().with_build("EXA", build).with_fix("EXA", True)), "EXA", "10.0.0.10", "10.0.0.11")
    trace = simulate(s)
    assert wire(trace, IN) == EXA_IP
    assert [st.basis for st in present(trace, IN)] == ["DOC Q175396", "MODEL"]


@pytest.mark.parametrize("build", ["sp1", "sp2", "sp3", "sp4"])
def test_fix_false_on_a_later_build_is_honoured(build: str) -> None:
    """DOMAIN 9: `q169113_fix = false` on SP1 or later is honoured (a way to show the bug on a later build)."""
    trace = simulate(only_out(reference().with_build("EXCLUS", build).with_fix("EXCLUS", False)))
    assert wire(trace, OUT) == NODE1_IP
    assert present(trace, OUT)[-1].basis == "DOC Q169113"
    assert route(trace, "EXCLUS", "EXA").status == "ndr"


@pytest.mark.parametrize(
    ("build", "fix", "override", "expected"),
    [
        ("rtm", None, None, NODE1_IP),
        ("sp1", None, None, VIP),
        ("sp2", False, None, NODE1_IP),
        ("sp2", None, VIP, VIP),
        ("sp1", False, VIP, NODE1_IP),
        ("sp3", None, NODE1_IP, NODE1_IP),
    ],
)
def test_source_rule_under_hypothesis_r_is_the_same_for_ip_and_hostname_stacks(
    build: str, fix: bool | None, override: str | None, expected: str
) -> None:
    """DOMAIN 5b, hypothesis R: the host-name stack changes only how the destination is found; the source rule is the same."""
    s = only_out(reference().with_build("EXCLUS", build).with_fix("EXCLUS", fix).with_override("EXCLUS", override))
    for stack in ("ip", "hostname"):
        t = s.with_stack("EXCLUS", "hostname", "EXA") if stack == "hostname" else s
        trace = simulate(t.with_hypothesis("receiver"))
        assert wire(trace, OUT) == expected, stack
        assert "HYPOTHESIS S" not in {st.basis for st in trace.steps}


def test_under_hypothesis_s_a_host_name_stack_presents_the_servers_own_address() -> None:
    """DOMAIN 4.3 / 5b, hypothesis S: a host-name Stack presents the address of the MTA's own server name (the first virtual IP)."""
    s = only_out(reference().with_stack("EXCLUS", "hostname", "EXA"))
    trace = simulate(s)
    assert wire(trace, OUT) == VIP
    step = present(trace, OUT)[-1]
    assert step.basis == "HYPOTHESIS S" and "one of two readings" in step.text
    assert trace.attempts(OUT)[0].connection.source_rule == "own-name"
    assert route(trace, "EXCLUS", "EXA").status == "delivered"  # EXA lists 10.0.1.20: the cluster's change alone fixes it
    moved = simulate(s.failed_over("WOLFPACK"))
    assert wire(moved, OUT) == VIP and route(moved, "EXCLUS", "EXA").status == "delivered"  # and survives failover
    standalone = simulate(only_in(reference().with_stack("EXA", "hostname", "EXCLUS")))
    assert wire(standalone, IN) == EXA_IP and present(standalone, IN)[-1].basis == "HYPOTHESIS S"


def test_under_hypothesis_s_the_override_and_the_fix_still_come_first() -> None:
    """DOMAIN 4: rule 3 (hypothesis S) comes after the override and the fix."""
    base = only_out(reference().with_stack("EXCLUS", "hostname", "EXA"))
    assert trace_rule(base.with_build("EXCLUS", "sp2").with_override("EXCLUS", NODE1_IP)) == ("override", NODE1_IP)
    assert trace_rule(base.with_build("EXCLUS", "sp1")) == ("fix", VIP)
    assert trace_rule(base) == ("own-name", VIP)


def trace_rule(s: Scenario) -> tuple[str | None, str | None]:
    a = simulate(s, until=0).attempts(OUT)[0]
    return a.connection.source_rule, a.wire


def test_two_virtual_ips_are_presented_in_turn_after_the_fix() -> None:
    """DOMAIN 4 / 9 (rev 2): with two virtual IPs the fix presents each in turn, one try each, a counter per server (Q197378)."""
    s = two_vips(only_out(reference().with_build("EXCLUS", "sp1")))
    s = with_messages(s, (0, "EXCLUS", "EXA"), (3600, "EXCLUS", "EXA"), (7200, "EXCLUS", "EXA"))
    trace = simulate(s)
    wires = [a.wire for a in trace.attempts(OUT)]
    assert wires == ["10.0.1.20", "10.0.1.21", "10.0.1.20", "10.0.1.21", "10.0.1.20"]
    refused = [a for a in trace.attempts(OUT) if a.outcome == "refused"]
    assert [a.wire for a in refused] == ["10.0.1.21", "10.0.1.21"]  # EXA lists only the first: about half the tries
    turns = [st for st in of(trace, OUT, "present") if st.basis.startswith("DOC")]
    assert {(st.basis, st.claim) for st in turns} == {("DOC Q197378", "multi-vip-all-used")}
    assert all("the turns are a model assumption" in st.text for st in turns)
    assert all(m.status == "delivered" for m in trace.messages)


def test_two_virtual_ips_the_override_pins_one() -> None:
    """DOMAIN 4 (rev 2): the Override (from build 2431) pins one of the virtual IPs; without the fix, the node IP as ever."""
    s = with_messages(two_vips(reference()), (0, "EXCLUS", "EXA"), (3600, "EXCLUS", "EXA"))
    pinned = simulate(s.with_build("EXCLUS", "sp2").with_override("EXCLUS", VIP))
    assert {a.wire for a in pinned.attempts(OUT)} == {VIP} and pinned.message("m2").attempts == 1
    assert {a.wire for a in simulate(s).attempts(OUT)} == {NODE1_IP}  # RTM, no fix: INADDR_ANY
    assert simulate(s).attempts(OUT)[0].connection.claimed == VIP  # Administrator knows it by the first virtual IP


def test_the_turns_are_one_counter_per_server_shared_by_its_connectors() -> None:
    """DOMAIN 9: one counter per server, shared by its connectors, advancing on every try the fix chose."""
    s = two_vips(loads_scenario(REFERENCE + EXB)).with_build("EXCLUS", "sp1")
    s = s.replace(
        connectors=(
            *s.connectors,
            *loads_scenario(REFERENCE + EXB + EXCLUS_TO_EXB).connectors[2:],
        ),
        messages=(Message(at=0, sender="EXCLUS", recipient="EXA"), Message(at=0, sender="EXCLUS", recipient="EXB")),
    )
    trace = simulate(s, until=0)
    assert [(a.connector, a.wire) for a in trace.attempts()] == [("EXCLUS->EXA", "10.0.1.20"), ("EXCLUS->EXB", "10.0.1.21")]


# === Section 4: the destination ==================================================================


def destination(trace: Trace, connector: str, attempt: int = 1) -> str | None:
    assert [st.kind for st in nth(trace, connector, attempt)].count("resolve") == 1
    return trace.attempts(connector)[attempt - 1].connection.destination


def resolve_basis(trace: Trace, connector: str) -> str:
    return of(trace, connector, "resolve")[0].basis


def test_ip_stack_connects_to_the_address_as_typed() -> None:
    """DOMAIN 4: an IP-type stack connects to the Address as typed (no name service asked)."""
    s = with_names(only_in(reference()), hosts=(), netbios=False)
    trace = simulate(s)
    assert destination(trace, IN) == VIP
    assert route(trace, "EXA", "EXCLUS").status == "delivered"


def test_hosts_file_comes_before_dns() -> None:
    """DOMAIN 4: a host-name stack resolves the name with the HOSTS file, then DNS A records (Q142309)."""
    s = with_names(only_out(reference().with_stack("EXCLUS", "hostname", "EXA")), dns=(("EXA", "10.0.9.9"),))
    trace = simulate(s)
    assert destination(trace, OUT) == EXA_IP
    assert resolve_basis(trace, OUT) == "DOC Q172218"


def test_dns_comes_before_wins() -> None:
    """DOMAIN 4 (rev 2): DNS A records are asked before WINS (Q172218)."""
    s = with_addresses(only_out(reference().with_stack("EXCLUS", "hostname", "EXA")), "EXA", "10.0.0.10", "10.0.0.11")
    s = with_names(s, hosts=(), dns=(("EXA", "10.0.0.11"),))
    trace = simulate(s)
    assert destination(trace, OUT) == "10.0.0.11"  # WINS would have said 10.0.0.10, the primary
    assert resolve_basis(trace, OUT) == "DOC Q172218"


def test_the_computers_own_name_comes_first() -> None:
    """DOMAIN 2 / 4 (rev 2): Winsock's order begins with the computer's own name (Q172218), before the HOSTS file."""
    s = with_names(only_out(reference().with_stack("EXCLUS", "hostname", "NODE1")), hosts=(("NODE1", "10.9.9.9"),))
    trace = simulate(s, until=0)
    assert destination(trace, OUT) == NODE1_IP
    step = of(trace, OUT, "resolve")[0]
    assert (step.basis, step.claim) == ("DOC Q172218", "forward-order") and "name of this computer" in step.text


def test_wins_maps_a_computer_name_to_its_primary_address() -> None:
    """DOMAIN 9: WINS maps each computer name to the host's primary address (last, after HOSTS and DNS)."""
    s = with_addresses(only_out(reference().with_stack("EXCLUS", "hostname", "exa")), "EXA", "10.0.0.10", "10.0.0.11")
    trace = simulate(with_names(s, hosts=()))
    assert destination(trace, OUT) == EXA_IP
    assert resolve_basis(trace, OUT) == "DOC Q172218"


def test_wins_maps_a_cluster_node_name_to_the_nodes_primary_address() -> None:
    """DOMAIN 4: WINS knows every computer name, cluster nodes included."""
    s = with_names(only_in(reference().with_stack("EXA", "hostname", "NODE1")), hosts=())
    trace = simulate(s)
    assert destination(trace, IN) == NODE1_IP
    assert route(trace, "EXA", "EXCLUS").status == "delivered"  # the MTA listens on all the node's addresses


@pytest.mark.parametrize("failover", [False, True])
def test_wins_maps_the_cluster_name_to_the_virtual_ip(failover: bool) -> None:
    """DOMAIN 4 / 9: WINS maps each cluster's virtual name to its virtual IP (Q195462), whichever node owns it."""
    s = with_names(only_in(reference().with_stack("EXA", "hostname", "EXCLUS")), hosts=())
    s = s.failed_over("WOLFPACK") if failover else s
    trace = simulate(s)
    assert destination(trace, IN) == VIP
    assert resolve_basis(trace, IN) == "DOC Q195462"
    assert of(trace, IN, "connect")[0].connection.to_host == ("NODE2" if failover else "NODE1")  # type: ignore[union-attr]
    assert route(trace, "EXA", "EXCLUS").status == "delivered"


@pytest.mark.parametrize("name", ["EXCLUS", "NODE1", "NODE2"])
def test_netbios_off_disables_wins(name: str) -> None:
    """DOMAIN 4: WINS answers only where NetBIOS works; with netbios = false a name known only to WINS does not resolve."""
    s = with_names(only_in(quick(reference().with_stack("EXA", "hostname", name), "EXA")), hosts=(), netbios=False)
    trace = simulate(s)
    assert destination(trace, IN) is None
    m = route(trace, "EXA", "EXCLUS")
    assert (m.status, m.attempts, m.presented_address) == ("ndr", 2, None)


def test_an_unresolvable_name_fails_the_attempt_and_is_retried() -> None:
    """DOMAIN 4 / 9: a name that does not resolve means no connection; the message stays queued, is retried, and the try counts."""
    s = only_in(quick(reference().with_stack("EXA", "hostname", "NOWHERE"), "EXA", retries=3, interval=50))
    trace = simulate(s)
    assert attempt_times(trace, IN) == [0, 50, 100]  # max open retries 3: three tries in all (Q234157)
    assert "connect" not in kinds(trace, IN)
    assert final_phase(trace, IN) == "failed"
    assert trace.attempts(IN)[0].failure == "unresolved"
    m = route(trace, "EXA", "EXCLUS")
    assert (m.status, m.attempts, m.presented_address) == ("ndr", 3, None)


def test_unresolvable_name_stays_queued_within_the_run() -> None:
    """DOMAIN 6: a failed connection leaves the message in the sender's queue (still queued at the end of the run)."""
    s = only_in(reference().with_stack("EXA", "hostname", "NOWHERE")).with_until(1000)
    m = route(simulate(s), "EXA", "EXCLUS")
    assert (m.status, m.attempts) == ("queued", 2)


def test_dotted_ip_in_a_hostname_stack_is_used_as_an_ip() -> None:
    """DOMAIN 9: a host-name stack whose Address is a dotted IP uses it as an IP, as gethostbyname does."""
    s = with_names(only_in(reference().with_stack("EXA", "hostname", VIP)), hosts=(), netbios=False)
    trace = simulate(s)
    assert destination(trace, IN) == VIP
    assert resolve_basis(trace, IN) == "MODEL"
    assert route(trace, "EXA", "EXCLUS").status == "delivered"


def test_dotted_ip_in_a_hostname_stack_never_matches_the_callers_ip_at_the_receiver() -> None:
    """DOMAIN 9 / 5: the receiver's name match compares a dotted host-name Address as a string; step 1 compares IP-type entries only."""
    s = only_out(reference().with_stack("EXA", "hostname", NODE1_IP))
    trace = simulate(s)
    assert stage(trace, OUT, "address").compared == ()
    assert stage(trace, OUT, "address").outcome == "not found"
    assert stage(trace, OUT, "names").outcome == "not found"
    assert route(trace, "EXCLUS", "EXA").status == "ndr"


def test_dotted_hostname_address_is_compared_as_a_string_at_the_receiver() -> None:
    """DOMAIN 9: the receiver's name match compares a dotted host-name Address as a string: only a name spelled the same
    (here a PTR record whose name is written as the dotted IP) matches it."""
    s = only_out(reference().with_stack("EXA", "hostname", NODE1_IP))
    trace = simulate(s.with_ptr(NODE1_IP, NODE1_IP))
    assert stage(trace, OUT, "names").outcome == "found"
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_no_host_holds_the_destination_address() -> None:
    """DOMAIN 4 / 9: a destination address that no running MTA listens on means the attempt fails; retried too."""
    trace = simulate(only_in(quick(reference().with_address("EXA", "10.0.1.99"), "EXA")))
    assert final_phase(trace, IN) == "failed"
    assert trace.attempts(IN)[0].failure == "no host"
    assert lookups(trace, IN) == []
    m = route(trace, "EXA", "EXCLUS")
    assert (m.status, m.attempts, m.presented_address) == ("ndr", 2, None)


def test_the_mta_listens_on_all_of_its_hosts_addresses() -> None:
    """DOMAIN 4: the MTA listens on all of its host's addresses (Q197378): a second address of EXA reaches EXA's MTA."""
    s = with_addresses(only_out(reference().with_address("EXCLUS", "10.0.0.11")), "EXA", "10.0.0.10", "10.0.0.11")
    trace = simulate(s.with_build("EXCLUS", "sp1"))  # the fix presents the virtual IP, which EXA lists
    assert of(trace, OUT, "connect")[0].connection.receiver == "EXA"  # type: ignore[union-attr]
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


# === Section 5: the receiver's lookup ============================================================


def test_stage_one_finds_an_equal_ip_type_entry() -> None:
    """DOMAIN 5.1: the caller's IP equal to an IP-type connector's Address means found (no event, no reverse lookup)."""
    trace = simulate(only_in(reference()))
    assert stage_names(trace, IN) == ["address"]
    assert stage(trace, IN, "address").outcome == "found"
    assert stage_bases(trace, IN)["address"] == "DOC Q193380"
    assert trace.event_log == ()
    assert route(trace, "EXA", "EXCLUS").status == "delivered"


def test_stage_one_compares_every_local_ip_connector() -> None:
    """DOMAIN 9: step 1 compares against every local connector's Address, not only the one pointing back at the caller."""
    extra = EXB + '[[connectors]]\nserver = "EXA"\nremote = "EXB"\nstack = "ip"\naddress = "10.0.1.11"\n'
    s = only_out(reference(extra))
    trace = simulate(s)
    first = stage(trace, OUT, "address")
    assert set(first.compared) == {VIP, NODE1_IP}
    assert (first.outcome, first.connector) == ("found", "EXA->EXB")
    assert trace.event_log == ()
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_reverse_lookup_asks_hosts_then_ptr_then_node_status() -> None:
    """DOMAIN 5.3 (rev 2): HOSTS, then DNS PTR (Q193380), then NetBIOS node status (Q138086)."""
    trace = simulate(only_out(reference()))
    assert stage_names(trace, OUT) == [
        "address",
        "event-address",
        "reverse-hosts",
        "reverse-ptr",
        "reverse-node-status",
        "names",
        "event-name",
    ]
    bases = stage_bases(trace, OUT)
    assert (bases["reverse-hosts"], bases["reverse-ptr"], bases["reverse-node-status"]) == (
        "DOC Q193380",
        "DOC Q193380",
        "DOC Q138086",
    )


def test_reverse_hosts_returns_every_name_in_file_order() -> None:
    """DOMAIN 9: HOSTS reverse lookup returns every name mapped to the IP, in file order; the second event uses the first."""
    line = 'hosts = { EXA = "10.0.0.10", EXCLUS = "10.0.1.20" }'
    assert line in REFERENCE
    for first, second in (("NODE1-B", "NODE1-A"), ("NODE1-A", "NODE1-B")):
        hosts = f'hosts = {{ {first} = "10.0.1.11", EXA = "10.0.0.10", EXCLUS = "10.0.1.20", {second} = "10.0.1.11" }}'
        trace = simulate(only_out(loads_scenario(REFERENCE.replace(line, hosts))))
        assert stage(trace, OUT, "reverse-hosts").names == (first, second)
        assert hexes(trace, at=0) == [HEX_NODE1_IP, first.encode().hex().upper()]


def test_reverse_hosts_any_of_its_names_may_match() -> None:
    """DOMAIN 5.4: if a resulting name (any of them) equals a host-name connector's Address, the connector is found."""
    hosts = (("NODE1-A", NODE1_IP), ("EXA", EXA_IP), ("EXCLUS", VIP), ("NODE1-B", NODE1_IP))
    s = with_names(only_out(reference().with_stack("EXA", "hostname", "NODE1-B")), hosts=hosts)
    trace = simulate(s)
    assert stage(trace, OUT, "names").outcome == "found"
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_reverse_lookup_stops_at_hosts_when_it_knows_the_ip() -> None:
    """DOMAIN 5.3: reverse lookup stops at the first source that knows the IP (HOSTS wins over a PTR record)."""
    hosts = (("EXA", EXA_IP), ("EXCLUS", VIP), ("NODE1", NODE1_IP))
    s = with_names(workaround(only_out(reference())), hosts=hosts).with_ptr(NODE1_IP, "EXCLUS").with_hypothesis("receiver")
    trace = simulate(s)
    assert "reverse-ptr" not in stage_names(trace, OUT)
    assert "reverse-node-status" not in stage_names(trace, OUT)
    assert stage(trace, OUT, "names").names == ("NODE1",)
    assert route(trace, "EXCLUS", "EXA").status == "ndr"


def test_reverse_lookup_stops_at_ptr_before_node_status() -> None:
    """DOMAIN 5.3: a PTR record is asked before node status, and stops the lookup (a PTR gives one name)."""
    trace = simulate(workaround(only_out(reference())).with_ptr(NODE1_IP, "EXCLUS").with_hypothesis("receiver"))
    assert "reverse-node-status" not in stage_names(trace, OUT)
    assert stage(trace, OUT, "reverse-ptr").names == ("EXCLUS",)
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_node_status_returns_the_computer_name_as_q138086_says() -> None:
    """DOMAIN 2 / 5.3 / 5b (rev 2): node status at a node's address returns its computer name (Q138086): under S, one name."""
    trace = simulate(only_out(reference().with_stack("EXA", "hostname", "EXCLUS")))  # EXCLUS keeps its IP stack
    step = next(st for st in lookup_steps(trace, OUT) if st.lookup and st.lookup.stage == "reverse-node-status")
    assert step.lookup.names == ("NODE1",)  # type: ignore[union-attr]
    assert (step.basis, step.claim) == ("DOC Q138086", "node-status-fallback")
    assert route(trace, "EXCLUS", "EXA").status == "ndr"  # NODE1 is not EXCLUS: the receiver's change alone fails under S


def test_under_hypothesis_r_node_status_lists_every_name_the_node_registered() -> None:
    """DOMAIN 5b, hypothesis R: node status lists the node's computer name, then the network names of the groups it owns."""
    s = only_out(reference().with_stack("EXA", "hostname", "EXCLUS")).with_hypothesis("receiver")
    trace = simulate(s)
    step = next(st for st in lookup_steps(trace, OUT) if st.lookup and st.lookup.stage == "reverse-node-status")
    assert step.lookup.names == ("NODE1", "EXCLUS")  # type: ignore[union-attr]
    assert step.basis == "HYPOTHESIS R" and "one of two readings" in step.text and "Q138086" in step.text
    assert (stage(trace, OUT, "names").outcome, stage(trace, OUT, "names").connector) == ("found", "EXA->EXCLUS")
    assert route(trace, "EXCLUS", "EXA").status == "delivered"  # the receiver's change alone fixes it under R


@pytest.mark.parametrize("hypothesis", ["sender", "receiver"])
def test_node_status_for_a_virtual_ip_answers_the_virtual_servers_name(hypothesis: str) -> None:
    """DOMAIN 9 (rev 2): at a virtual IP, under both hypotheses, node status answers the virtual server's name [MODEL]."""
    s = with_names(only_out(reference().with_build("EXCLUS", "sp2").with_stack("EXA", "hostname", "EXCLUS")), hosts=())
    s = s.with_hypothesis(hypothesis)  # type: ignore[arg-type]
    for variant, node in ((s, "NODE1"), (s.failed_over("WOLFPACK"), "NODE2")):
        trace = simulate(variant)
        assert wire(trace, OUT) == VIP
        step = next(st for st in lookup_steps(trace, OUT) if st.lookup and st.lookup.stage == "reverse-node-status")
        assert step.lookup.names == ("EXCLUS",) and step.basis == "MODEL" and node in step.text  # type: ignore[union-attr]
        assert route(trace, "EXCLUS", "EXA").status == "delivered"


@pytest.mark.parametrize(
    ("hypothesis", "wire_ip", "names"), [("sender", NODE2_IP, None), ("receiver", NODE2_IP, ("NODE2", "EXCLUS"))]
)
def test_workaround_still_works_after_failover(hypothesis: str, wire_ip: str, names: tuple[str, ...] | None) -> None:
    """DOMAIN 5b: "on both servers" works through failover under both readings (S: the VIP moves; R: NODE2 owns the name)."""
    trace = simulate(workaround(reference()).failed_over("WOLFPACK").with_hypothesis(hypothesis))  # type: ignore[arg-type]
    if hypothesis == "sender":
        assert wire(trace, OUT) == VIP and stage(trace, OUT, "reverse-hosts").names == ("EXCLUS",)
    else:
        assert wire(trace, OUT) == wire_ip and stage(trace, OUT, "reverse-node-status").names == names
    assert [m.status for m in trace.messages] == ["delivered", "delivered"]


@pytest.mark.parametrize("written", ["exclus", "Exclus", "EXCLUS"])
def test_name_match_is_case_insensitive(written: str) -> None:
    """DOMAIN 5.4 / 9: names compare case-insensitively [MODEL]."""
    trace = simulate(only_out(workaround(reference()).with_stack("EXA", "hostname", written)))
    assert stage(trace, OUT, "names").names == ("EXCLUS",)  # from the HOSTS file, for the virtual IP (hypothesis S)
    assert stage(trace, OUT, "names").outcome == "found"
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_name_match_is_exact_without_fqdn_trimming() -> None:
    """DOMAIN 9: names compare exactly (no FQDN trimming): exclus.example.com does not match EXCLUS."""
    s = with_names(
        only_out(workaround(reference()).with_stack("EXA", "hostname", "exclus.example.com")),
        hosts=(("EXA", EXA_IP), ("EXCLUS", VIP), ("exclus.example.com", "10.0.1.99")),
    )
    trace = simulate(s)
    assert stage(trace, OUT, "names").names == ("EXCLUS",)
    assert stage(trace, OUT, "names").outcome == "not found"
    assert route(trace, "EXCLUS", "EXA").status == "ndr"


@pytest.mark.parametrize("hypothesis", ["sender", "receiver"])
def test_a_ptr_record_naming_the_node_breaks_the_workaround_only_under_r(hypothesis: str) -> None:
    """DOMAIN 5b: under R a PTR record for the node IP that names the node breaks the workaround; under S it changes nothing."""
    trace = simulate(workaround(only_out(reference())).with_ptr(NODE1_IP, "NODE1").with_hypothesis(hypothesis))  # type: ignore[arg-type]
    if hypothesis == "receiver":
        assert stage(trace, OUT, "reverse-ptr").names == ("NODE1",)
        assert stage(trace, OUT, "names").outcome == "not found"
        assert hexes(trace, at=0) == [HEX_NODE1_IP, HEX_NODE1]
        assert route(trace, "EXCLUS", "EXA").status == "ndr"
    else:
        assert wire(trace, OUT) == VIP and "reverse-ptr" not in stage_names(trace, OUT)
        assert route(trace, "EXCLUS", "EXA").status == "delivered"


@pytest.mark.parametrize(("hypothesis", "status"), [("sender", "delivered"), ("receiver", "ndr")])
def test_netbios_off_breaks_the_workaround_only_under_r(hypothesis: str, status: str) -> None:
    """DOMAIN 5b: under R broken NetBIOS breaks the workaround (no name for the node IP); under S the HOSTS file names the VIP."""
    trace = simulate(workaround(only_out(reference())).with_netbios(False).with_hypothesis(hypothesis))  # type: ignore[arg-type]
    if hypothesis == "receiver":
        assert stage(trace, OUT, "reverse-node-status").names == ()
        assert stage(trace, OUT, "names").outcome == "not found"
    assert route(trace, "EXCLUS", "EXA").status == status


@pytest.mark.parametrize(
    ("hypothesis", "cluster_side", "peer_side"),
    [
        ("sender", ["delivered", "delivered"], ["ndr", "delivered"]),
        ("receiver", ["ndr", "delivered"], ["delivered", "delivered"]),
    ],
)
def test_workaround_on_one_side_only_differs_by_hypothesis(
    hypothesis: str, cluster_side: list[str], peer_side: list[str]
) -> None:
    """DOMAIN 5b: S: the cluster side's change alone fixes mail from the cluster; R: the receiver side's change alone does."""
    s = reference().with_hypothesis(hypothesis)  # type: ignore[arg-type]
    only_cluster = simulate(s.with_stack("EXCLUS", "hostname", "EXA"))
    assert [m.status for m in only_cluster.messages] == cluster_side
    only_peer = simulate(s.with_stack("EXA", "hostname", "EXCLUS"))
    assert [m.status for m in only_peer.messages] == peer_side
    both = simulate(workaround(s))
    assert [m.status for m in both.messages] == ["delivered", "delivered"]  # "on both servers" works under both


def test_reverse_lookup_of_an_ip_nobody_answers_finds_no_name() -> None:
    """DOMAIN 5.5: when no name was found, the second event uses the IP form again."""
    trace = simulate(only_out(reference()).with_netbios(False))
    assert hexes(trace, at=0) == [HEX_NODE1_IP, HEX_NODE1_IP]


def test_connection_to_an_mta_that_is_not_the_destination_is_looked_up_then_refused() -> None:
    """DOMAIN 9: a connection reaching an MTA that is not the message's destination: the lookup runs as usual, then refusal."""
    s = only_out(quick(reference(EXB).with_address("EXCLUS", "10.0.2.10"), "EXCLUS"))
    trace = simulate(s)
    assert of(trace, OUT, "connect")[0].connection.receiver == "EXB"  # type: ignore[union-attr]
    assert lookups(trace, OUT)[0].receiver == "EXB"
    assert "event-name" in stage_names(trace, OUT)
    assert hexes(trace, at=0, server="EXB") == [HEX_NODE1_IP, HEX_NODE1]
    assert final_phase(trace, OUT) == "refused"
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.presented_address) == ("ndr", NODE1_IP)


def test_wrong_mta_refuses_even_when_its_lookup_finds_a_connector() -> None:
    """DOMAIN 9: the wrong MTA runs its lookup as usual (here it finds a connector) and then refuses (wrong remote MTA)."""
    extra = EXB + '[[connectors]]\nserver = "EXB"\nremote = "EXCLUS"\nstack = "ip"\naddress = "10.0.1.11"\n'
    s = only_out(quick(reference(extra).with_address("EXCLUS", "10.0.2.10"), "EXCLUS"))
    trace = simulate(s)
    assert stage(trace, OUT, "address").outcome == "found"
    refusal = of(trace, OUT, "refuse")[0]
    assert (refusal.actor, refusal.basis) == ("EXB", "MODEL")
    assert "accept" not in kinds(trace, OUT)
    assert trace.event_log == ()
    assert route(trace, "EXCLUS", "EXA").status == "ndr"


# === Section 5: Event 9301 =====================================================================


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        ("rtm", [HEX_NODE1_IP, HEX_NODE1]),
        ("sp1", [HEX_NODE1_IP, HEX_NODE1]),
        (2431, []),
        ("sp2", [HEX_NODE1]),
        (2600, []),
        ("sp3", [HEX_NODE1]),
        ("sp4", [HEX_NODE1]),
    ],
)
def test_event_9301_per_receiving_build(build: str | int, expected: list[str]) -> None:
    """DOMAIN 5 (rev 2): RTM/SP1 log both events; SP2 only the second; other builds of 2354-2620 none; 2621 on the second."""
    trace = simulate(only_out(reference().with_build("EXA", build)))
    assert hexes(trace, at=0) == expected
    assert hexes(trace, at=600) == expected
    assert route(trace, "EXCLUS", "EXA").status == "ndr"
    assert {e.server for e in trace.event_log} <= {"EXA"}


@pytest.mark.parametrize(
    ("build", "expected"), [("rtm", [HEX_VIP]), ("sp1", [HEX_VIP]), (2431, []), ("sp2", []), ("sp3", []), ("sp4", [])]
)
def test_event_9301_when_found_by_name(build: str | int, expected: list[str]) -> None:
    """DOMAIN 5.4 / 9: found by name, the first event (RTM/SP1) was harmless; on SP2 and 2621 on the single 9301 appears only on refusal."""
    trace = simulate(workaround(only_out(reference()).with_build("EXA", build)))  # hypothesis S: EXCLUS presents the VIP
    assert hexes(trace) == expected
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_the_event_steps_cite_the_article_for_the_build() -> None:
    """DOMAIN 5 (rev 2): SP2's single event cites Q189345 (exc55sp2fix); a silent build cites Q234962; 2621 on, Q234962."""

    def notes(build: str | int) -> list[tuple[str, str]]:
        trace = simulate(only_out(reference().with_build("EXA", build)), until=0)
        return [(st.basis, st.claim) for st in lookup_steps(trace, OUT) if st.lookup and st.lookup.stage.startswith("event")]

    assert notes("sp2") == [("DOC Q189345", "9301-second-only"), ("DOC Q189345", "second-9301")]
    assert notes(2431) == [("DOC Q234962", "9301-silent-builds"), ("DOC Q234962", "9301-silent-builds")]
    assert notes("sp3") == [("DOC Q234962", "9301-from-2621"), ("DOC Q189345", "second-9301")]
    assert notes("rtm") == [("DOC Q189345", "first-9301"), ("DOC Q189345", "second-9301")]


def test_event_9301_fields_and_exact_text() -> None:
    """DOMAIN 1 / 2 / 5: Event 9301, MSExchangeMTA, Configuration; the text of Q169113 with the stack DN and trailer."""
    trace = simulate(only_out(reference()))
    first, second = trace.event_log[:2]
    assert (first.time, first.server, first.source, first.id, first.category) == (
        0.0,
        "EXA",
        "MSExchangeMTA",
        9301,
        "Configuration",
    )
    dn = "/o=Microsoft/ou=SITEA/cn=Configuration/cn=Servers/cn=EXA/cn=TCP (EXA)"
    assert first.text == (
        f"The message transfer gateway that uses the network address 0A00010B and the transport stack {dn} "
        "could not be found. Check the configuration of the mail gateway. [BASE IL TCP/IP DRVR 36 218] (10)"
    )
    assert second.text == first.text.replace("0A00010B", "4E4F444531")


def test_event_9301_stack_dn_uses_org_site_and_receiving_server() -> None:
    """DOMAIN 2: the stack DN is /o=ORG/ou=SITE/cn=Configuration/cn=Servers/cn=SERVER/cn=TCP (SERVER), of the receiver."""
    s = reference().replace(org="Contoso")
    trace = simulate(only_out(s))
    dn = "/o=Contoso/ou=SITEA/cn=Configuration/cn=Servers/cn=EXA/cn=TCP (EXA)"
    assert trace.event_log and all(
        e.server == "EXA" and f" and the transport stack {dn} could" in e.text for e in trace.event_log
    )
    # the other direction: EXCLUS (site SITEB) does not know EXA's address, so EXCLUS logs
    trace = simulate(only_in(s.with_address("EXCLUS", "10.0.0.99")))
    dn = "/o=Contoso/ou=SITEB/cn=Configuration/cn=Servers/cn=EXCLUS/cn=TCP (EXCLUS)"
    assert hexes(trace, at=0) == ["0A00000A", "455841"]  # 10.0.0.10, then EXA from the HOSTS file
    assert all(e.server == "EXCLUS" and f" and the transport stack {dn} could" in e.text for e in trace.event_log)


def test_event_hex_of_an_ip_is_eight_digits_byte_by_byte() -> None:
    """DOMAIN 5.2: the caller's IP as 8 hex digits (10.0.1.11 -> 0A00010B)."""
    trace = simulate(only_out(reference()))
    assert trace.event_log[0].network_address == "0A00010B"


def test_event_hex_of_ncostest() -> None:
    """DOMAIN 5.5: the first name found, hex-encoded as ASCII (NCOSTEST -> 4E434F5354455354)."""
    trace = simulate(only_out(reference()).with_ptr(NODE1_IP, "NCOSTEST"))
    assert hexes(trace, at=0) == [HEX_NODE1_IP, "4E434F5354455354"]


def test_event_hex_of_a_name_is_of_its_bytes_as_written() -> None:
    """DOMAIN 9: a name's hex is the uppercase hex of its ASCII bytes as written in the scenario."""
    trace = simulate(only_out(reference()).with_ptr(NODE1_IP, "ncostest"))
    assert hexes(trace, at=0) == [HEX_NODE1_IP, "6E636F7374657374"]


def test_event_hex_of_node1() -> None:
    """DOMAIN 5.5 [MODEL]: NCOSTEST is the sending node's computer name found by reverse lookup; here NODE1 -> 4E4F444531."""
    trace = simulate(only_out(reference()))
    assert hexes(trace, at=0) == [HEX_NODE1_IP, HEX_NODE1]


def test_decoding_drill() -> None:
    """DOMAIN 5: 8 hex digits are an IPv4 address byte by byte (91F5C11B = 145.245.193.27); a longer string is ASCII."""
    assert decode_network_address("91F5C11B") == "145.245.193.27"
    assert "RemoteMTA" in decode_network_address("52656D6F74654D5441")
    trace = simulate(only_out(reference()))
    first, second = trace.event_log[:2]
    assert first.decoded == NODE1_IP
    assert "NODE1" in second.decoded


def test_the_sender_logs_nothing() -> None:
    """DOMAIN 5.5 (rev 2): the server with the backlog logs nothing (Q193380); its queue grows and it retries."""
    trace = simulate(reference())
    assert trace.event_log
    assert {e.server for e in trace.event_log} == {"EXA"}
    refusal = of(trace, OUT, "refuse")[0]
    assert (refusal.basis, refusal.claim) == ("DOC Q193380", "refusal-silent-sender")


def test_the_caller_is_known_by_the_connections_source_address() -> None:
    """DOMAIN 3 (rev 2): the network address the receiver compares is the TCP source address: documented (Q197378)."""
    step = of(simulate(only_out(reference()), until=0), OUT, "caller")[0]
    assert (step.basis, step.claim) == ("DOC Q197378", "caller-address") and "From IP address" in step.text


def test_an_ip_type_stack_connects_to_the_address_as_typed_a_model_assumption() -> None:
    """DOMAIN 4 (rev 2): an IP-type stack connects to the Address as typed [MODEL] (Q152934 is about selectors only)."""
    assert of(simulate(only_out(reference()), until=0), OUT, "resolve")[0].basis == "MODEL"


# === Sections 6 and 9: retries, queues, NDR =====================================================


def test_first_attempt_at_submission_then_every_open_interval_ndr_after_a_day() -> None:
    """DOMAIN 6 (rev 2): 144 tries in all (Q234157), the first at submission, every 600 s; the NDR when the 144th fails,
    at 143 x 600 s = 85,800 s (23:50:00)."""
    trace = simulate(reference())
    assert attempt_times(trace, OUT) == [600.0 * i for i in range(144)]
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.attempts, m.returned_at, m.delivered_at) == ("ndr", 144, 85800.0, None)
    (ndr,) = [st for st in trace.steps if st.kind == "ndr"]
    assert (ndr.time, ndr.actor, ndr.message) == (85800.0, "EXCLUS", "m1")
    assert (ndr.basis, ndr.claim) == ("DOC Q234157", "max-open-retries")
    retry = of(trace, OUT, "retry")[0]
    assert (retry.basis, retry.claim) == ("DOC Q234157", "open-interval") and "attempt 2 of at most 144" in retry.text


@pytest.mark.parametrize(("retries", "interval", "at"), [(3, 100, 0), (3, 100, 50), (1, 600, 7), (5, 2.5, 0)])
def test_custom_override_values(retries: int, interval: float, at: float) -> None:
    """DOMAIN 6 / 9 (rev 2): max open retries tries in all, every open interval; the NDR at the time of the last one."""
    s = with_messages(reference().with_retries("EXCLUS", max_open_retries=retries, open_interval=interval), (at, "EXCLUS", "EXA"))
    trace = simulate(s)
    expected = [at + interval * i for i in range(retries)]
    assert attempt_times(trace, OUT) == expected
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.attempts, m.returned_at) == ("ndr", retries, expected[-1])


def test_max_open_retries_zero_is_read_as_one() -> None:
    """DOMAIN 6 (rev 2): a value of 0 is read as 1: the try at submission always happens [MODEL]."""
    s = with_messages(reference().with_retries("EXCLUS", max_open_retries=0), (7, "EXCLUS", "EXA"))
    trace = simulate(s)
    assert attempt_times(trace, OUT) == [7.0]
    assert route(trace, "EXCLUS", "EXA").attempts == 1
    assert "read as 1" in of(trace, OUT, "ndr")[0].text


def test_everything_scheduled_at_or_before_until_happens() -> None:
    """DOMAIN 9: everything scheduled at or before `until` happens (the NDR at exactly 85,800 s); later, it stays queued."""
    at_the_end = route(simulate(reference(), until=85800), "EXCLUS", "EXA")
    assert (at_the_end.status, at_the_end.attempts) == ("ndr", 144)
    just_before = route(simulate(reference(), until=85799.5), "EXCLUS", "EXA")
    assert (just_before.status, just_before.attempts, just_before.returned_at) == ("queued", 143, None)


def test_a_scripted_action_after_until_is_reported_not_dropped() -> None:
    """DOMAIN 9 (rev 2): a scripted action after `until` is reported as not reached (a note in the trace); so is a late message."""
    s = with_messages(with_failovers(reference(), 5000), (0, "EXCLUS", "EXA"), (9000, "EXA", "EXCLUS"))
    trace = simulate(s, until=3600)
    notes = [st for st in trace.steps if st.kind == "unreached"]
    assert [(st.time, st.basis) for st in notes] == [(3600.0, "MODEL"), (3600.0, "MODEL")]
    assert "failover of WOLFPACK at 01:23:20" in notes[0].text and "m2 is to be sent at 02:30:00" in notes[1].text
    assert trace.steps[-1].kind == "end" and not [st for st in trace.steps if st.kind == "failover"]


def test_a_later_message_joins_the_queue_and_its_retry_schedule() -> None:
    """DOMAIN 9: one queue and one retry schedule per connector; every try counts for each message queued at that moment."""
    s = with_messages(reference(), (0, "EXCLUS", "EXA"), (100, "EXCLUS", "EXA"))
    trace = simulate(s)
    assert 100 not in attempt_times(trace, OUT)  # no attempt of its own: the queue was not empty
    first, second = trace.messages
    assert (first.status, first.attempts, first.returned_at) == ("ndr", 144, 85800.0)
    assert (second.status, second.attempts, second.returned_at) == ("ndr", 144, 86400.0)


def test_delivery_times_on_one_association() -> None:
    """DOMAIN 9: opening takes 1 s and each transfer 1 s: delivered at t + 2.0, the next message at t + 3.0."""
    s = with_messages(reference(), (0, "EXA", "EXCLUS"), (0, "EXA", "EXCLUS"), (0, "EXA", "EXCLUS"))
    trace = simulate(s)
    assert [(m.status, m.attempts, m.delivered_at) for m in trace.messages] == [
        ("delivered", 1, 2.0),
        ("delivered", 1, 3.0),
        ("delivered", 1, 4.0),
    ]
    assert len(of(trace, IN, "attempt")) == 1
    assert [st.basis for st in trace.steps if st.kind == "deliver"] == ["MODEL"] * 3


def test_delivery_time_after_retries() -> None:
    """DOMAIN 9: an accepted association at time t carries every queued message, in order: t + 2.0, t + 3.0 (here t = 1200).

    NODE2 is active at first and a PTR record names NODE2, so the workaround fails from NODE2; the failover at 1000
    brings the group back to NODE1, whose node status answers EXCLUS.
    """
    s = workaround(reference()).failed_over("WOLFPACK").with_ptr(NODE2_IP, "NODE2").with_hypothesis("receiver")
    s = with_failovers(with_messages(s, (0, "EXCLUS", "EXA"), (100, "EXCLUS", "EXA")), 1000)
    trace = simulate(s)
    assert attempt_times(trace, OUT) == [0, 600, 1200]
    assert [(m.status, m.attempts, m.delivered_at, m.presented_address) for m in trace.messages] == [
        ("delivered", 3, 1202.0, NODE1_IP),
        ("delivered", 2, 1203.0, NODE1_IP),
    ]


def test_every_message_ends_in_exactly_one_state() -> None:
    """DOMAIN 6: every message ends delivered, still queued, or returned as an NDR; none disappears."""
    s = with_messages(reference(), (0, "EXCLUS", "EXA"), (0, "EXA", "EXCLUS"), (89000, "EXCLUS", "EXA"))
    trace = simulate(s)
    assert [m.status for m in trace.messages] == ["ndr", "delivered", "queued"]
    assert [st.message for st in trace.steps if st.kind in ("deliver", "ndr")] == ["m2", "m1"]


def test_at_equal_times_actions_come_before_attempts() -> None:
    """DOMAIN 9: at equal times, scripted actions (failover) come before attempts."""
    trace = simulate(with_failovers(only_out(reference()), 0))
    assert of(trace, OUT, "attempt")[0].connection.from_host == "NODE2"  # type: ignore[union-attr]
    assert wire(trace, OUT) == NODE2_IP
    assert route(trace, "EXCLUS", "EXA").presented_address == NODE2_IP


def test_at_equal_times_attempts_go_in_connector_file_order() -> None:
    """DOMAIN 9: attempts at equal times go in file order of their connectors (not in message order)."""
    trace = simulate(reference())  # m1 (EXCLUS->EXA) is submitted first, but EXA's connector comes first
    assert [st.actor for st in trace.steps if st.kind == "attempt"][:2] == ["EXA", "EXCLUS"]
    flipped = reference().replace(connectors=tuple(reversed(reference().connectors)))
    assert [st.actor for st in simulate(flipped).steps if st.kind == "attempt"][:2] == ["EXCLUS", "EXA"]


@pytest.mark.parametrize(
    "breakage",
    ["unresolved", "firewall", "no-mta", "unreachable", "bind", "refusal"],
)
def test_every_kind_of_failed_try_counts_as_an_attempt(breakage: str) -> None:
    """DOMAIN 9: every try counts: a name that does not resolve, a firewall drop, no MTA listening, a failed bind, a refusal."""
    s = only_in(quick(reference(), "EXA", retries=2, interval=10))
    s = {
        "unresolved": lambda: s.with_stack("EXA", "hostname", "NOWHERE"),
        "firewall": lambda: s.with_firewall([]),
        "no-mta": lambda: s.with_address("EXA", NODE2_IP),
        "unreachable": lambda: s.with_address("EXA", "10.0.1.99"),
        "bind": lambda: s.with_build("EXA", "sp2").with_override("EXA", VIP),
        "refusal": lambda: s.with_address("EXCLUS", "10.0.0.99"),
    }[breakage]()
    trace = simulate(s)
    assert attempt_times(trace, IN) == [0, 10]  # max open retries 2: two tries in all
    assert {a.outcome for a in trace.attempts(IN)} == ({"refused"} if breakage == "refusal" else {"failed"})
    m = route(trace, "EXA", "EXCLUS")
    assert (m.status, m.attempts, m.returned_at) == ("ndr", 2, 10)


# === Section 9: failover ======================================================================


def test_failover_appends_the_virtual_ip_after_the_new_nodes_own_address() -> None:
    """DOMAIN 2 / 9: failover moves the group; the virtual IP comes after the new active node's own address."""
    trace = simulate(with_failovers(reference(), 300))
    failover = [st for st in trace.steps if st.kind == "failover"]
    assert [(st.time, st.actor) for st in failover] == [(300.0, "WOLFPACK")]
    assert dict(failover[0].active) == {"WOLFPACK": "NODE2"}
    assert wire(trace, OUT, attempt=2) == NODE2_IP  # INADDR_ANY still picks the node's own, first address
    address_steps = [st for st in trace.steps if st.kind == "addresses"]
    assert address_steps and address_steps[0].basis == "MODEL"


def test_after_failover_the_virtual_ip_is_held_by_the_new_node() -> None:
    """DOMAIN 2 / 9: after failover the virtual IP (and the MTA) are on the other node."""
    trace = simulate(only_in(reference()).failed_over("WOLFPACK"))
    connect = of(trace, IN, "connect")[0].connection
    assert connect is not None
    assert (connect.destination, connect.to_host, connect.receiver) == (VIP, "NODE2", "EXCLUS")
    assert route(trace, "EXA", "EXCLUS").status == "delivered"


def test_after_failover_the_old_node_runs_no_mta() -> None:
    """DOMAIN 4 / 9: the MTA then listens on the new node only: a connection to the old node's IP fails (no MTA)."""
    s = only_in(quick(reference().with_address("EXA", NODE1_IP), "EXA"))
    assert route(simulate(s), "EXA", "EXCLUS").status == "delivered"  # before failover NODE1 runs the MTA
    trace = simulate(s.failed_over("WOLFPACK"))
    connect = of(trace, IN, "connect")[0].connection
    assert connect is not None
    assert (connect.to_host, connect.receiver, connect.phase) == ("NODE1", None, "failed")
    assert lookups(trace, IN) == []
    m = route(trace, "EXA", "EXCLUS")
    assert (m.status, m.attempts, m.presented_address) == ("ndr", 2, None)
    # while the new node's own IP reaches the MTA
    trace = simulate(s.failed_over("WOLFPACK").with_address("EXA", NODE2_IP))
    assert of(trace, IN, "connect")[0].connection.receiver == "EXCLUS"  # type: ignore[union-attr]
    assert route(trace, "EXA", "EXCLUS").status == "delivered"


def test_failover_during_an_open_association_drops_it_and_loses_nothing() -> None:
    """DOMAIN 6 / 9: a failover during a transfer drops the association; the message stays queued, retried an open interval later."""
    trace = simulate(with_failovers(only_in(reference()), 1))
    dropped = [st for st in of(trace, IN) if st.connection is not None and st.connection.phase == "dropped"]
    assert dropped and dropped[0].time == 1.0
    assert attempt_times(trace, IN) == [0, 601]
    m = route(trace, "EXA", "EXCLUS")
    assert (m.status, m.attempts, m.delivered_at) == ("delivered", 2, 603.0)


def test_failover_drops_the_clustered_senders_association_too() -> None:
    """DOMAIN 6 / 9: a failover of the sending cluster during a transfer drops the association; the message is sent again."""
    trace = simulate(with_failovers(only_out(reference().with_build("EXCLUS", "sp2")), 1))
    assert attempt_times(trace, OUT) == [0, 601]
    assert of(trace, OUT, "attempt")[1].connection.from_host == "NODE2"  # type: ignore[union-attr]
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.attempts, m.delivered_at, m.presented_address) == ("delivered", 2, 603.0, VIP)


def test_a_failover_drop_never_leads_past_the_last_allowed_attempt() -> None:
    """DOMAIN 6 / 9: the MTA tries again up to max open retries more times (1 + max open retries attempts in all).

    With max_open_retries = 0 the only allowed attempt is accepted, then dropped by a failover at t = 1; DOMAIN 9 also
    says the connector retries after a drop, so the two rules meet here: the limit wins, and the message is returned
    as an NDR when the association carrying its last allowed attempt is dropped.
    """
    s = only_in(reference().with_retries("EXA", max_open_retries=0).with_address("EXA", NODE1_IP))
    trace = simulate(with_failovers(s, 1))
    assert route(trace, "EXA", "EXCLUS").attempts <= 1
    assert all(a.number <= 1 for a in trace.attempts())


def test_failover_during_an_association_keeps_delivered_and_requeues_the_rest() -> None:
    """DOMAIN 6 / 9: messages already transferred stay delivered; those still carried stay queued and are sent again."""
    s = with_failovers(with_messages(reference(), (0, "EXA", "EXCLUS"), (0, "EXA", "EXCLUS")), 2.5)
    trace = simulate(s)
    assert [(m.status, m.delivered_at) for m in trace.messages] == [("delivered", 2.0), ("delivered", 604.5)]


def test_failover_drop_is_labelled_as_a_model_assumption() -> None:
    """DOMAIN 9 (all [MODEL]) and the preamble: a failover dropping an association and the retry timing that follows are
    model details, so the step that shows them must carry basis MODEL."""
    trace = simulate(with_failovers(only_in(reference()), 1))
    dropped = [st for st in of(trace, IN) if st.kind == "drop"]
    assert dropped and all(st.basis == "MODEL" and st.connection and st.connection.phase == "dropped" for st in dropped)
    # the retry that follows is its own step, with the documented open interval as its basis
    after = of(trace, IN)[of(trace, IN).index(dropped[0]) + 1]
    assert (after.kind, after.basis) == ("retry", "DOC Q234157")


def test_failover_drops_only_associations_it_touches() -> None:
    """DOMAIN 9: a failover drops an association with the failing-over server; one between other servers goes on."""
    s = loads_scenario(TWO_CLUSTERS).with_build("EXC1", "sp2").with_build("EXC2", "sp2")
    s = with_failovers(with_messages(s, (0, "EXC1", "EXC2")), 1, cluster="C2")
    assert route(simulate(s), "EXC1", "EXC2").delivered_at == 603.0  # C2 holds the receiver: dropped, retried
    extra = EXB + '[[connectors]]\nserver = "EXA"\nremote = "EXB"\nstack = "ip"\naddress = "10.0.2.10"\n'
    extra += '[[connectors]]\nserver = "EXB"\nremote = "EXA"\nstack = "ip"\naddress = "10.0.0.10"\n'
    s = with_failovers(with_messages(reference(extra), (0, "EXA", "EXB")), 1)
    assert route(simulate(s), "EXA", "EXB").delivered_at == 2.0  # WOLFPACK's failover does not touch EXA->EXB


def test_queues_survive_failover_and_retry_times_go_on_unchanged() -> None:
    """DOMAIN 9: failover keeps queues (shared disk) and retry times go on unchanged; the MTA now sends from the new node."""
    trace = simulate(with_failovers(reference(), 900))
    assert attempt_times(trace, OUT) == [600.0 * i for i in range(144)]
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.attempts, m.returned_at, m.presented_address) == ("ndr", 144, 85800.0, NODE2_IP)
    assert hexes(trace, at=1200) == ["0A00010C", "4E4F444532"]


def test_failing_back_returns_to_the_first_node() -> None:
    """DOMAIN 2: failover moves the whole group to the other node (and back again)."""
    trace = simulate(with_failovers(reference(), 300, 900))
    assert [wire(trace, OUT, attempt=n) for n in (1, 2, 3)] == [NODE1_IP, NODE2_IP, NODE1_IP]


# === Section 9: firewall ======================================================================


def test_no_allow_sources_passes_everything() -> None:
    """DOMAIN 9: without allow_sources the firewall passes everything."""
    trace = simulate(reference().with_firewall(None))
    assert not [st for st in trace.steps if st.kind == "firewall"]
    assert route(trace, "EXA", "EXCLUS").status == "delivered"


def test_an_empty_allow_list_drops_everything() -> None:
    """DOMAIN 9: an empty list drops everything; a drop records no presented address and no MTA sees it."""
    trace = simulate(quick(quick(reference().with_firewall([]), "EXA"), "EXCLUS"))
    assert [(m.status, m.attempts, m.presented_address) for m in trace.messages] == [("ndr", 2, None), ("ndr", 2, None)]
    assert trace.event_log == ()
    assert not [st for st in trace.steps if st.lookup is not None or st.kind == "connect"]
    drops = [st for st in trace.steps if st.kind == "firewall"]
    assert drops and {st.basis for st in drops} == {"MODEL"}


def test_allow_list_admits_listed_sources_only() -> None:
    """DOMAIN 9: the firewall admits only the listed sources to TCP 102 (the node IP is not on a VIP-only list)."""
    trace = simulate(reference().with_firewall([VIP, EXA_IP]))
    m1, m2 = trace.messages
    assert (m1.status, m1.presented_address) == ("ndr", None)
    assert (m2.status, m2.presented_address) == ("delivered", EXA_IP)
    assert hexes(trace) == []
    fixed = simulate(reference().with_build("EXCLUS", "sp2").with_firewall([VIP, EXA_IP]))
    assert [m.status for m in fixed.messages] == ["delivered", "delivered"]


@pytest.mark.parametrize("destination_ip", [NODE2_IP, "10.0.1.99"])
def test_the_firewall_is_checked_before_anything_else(destination_ip: str) -> None:
    """DOMAIN 9: the firewall is checked before anything else: a dropped connection never gets to 'no MTA' or 'unreachable'."""
    trace = simulate(only_in(reference().with_address("EXA", destination_ip).with_firewall([])))
    assert "firewall" in kinds(trace, IN)
    assert "connect" not in kinds(trace, IN)


def test_the_firewall_does_not_filter_name_lookups() -> None:
    """DOMAIN 9: the firewall does not filter name lookups (WINS forward lookups and node status still work)."""
    s = with_names(workaround(reference()), hosts=()).with_firewall([NODE1_IP, EXA_IP]).with_hypothesis("receiver")
    trace = simulate(s)
    assert destination(trace, OUT) == EXA_IP
    assert stage(trace, OUT, "reverse-node-status").names == ("NODE1", "EXCLUS")
    assert [m.status for m in trace.messages] == ["delivered", "delivered"]
    dropped = simulate(s.with_firewall([]))
    assert destination(dropped, OUT) == EXA_IP  # resolved, then dropped at port 102


# === Section 9: presented_address ===============================================================


def test_presented_address_is_recorded_on_a_refused_attempt() -> None:
    """DOMAIN 9: presented_address is recorded whenever a listening MTA accepted the TCP connection, before its lookup."""
    trace = simulate(reference())
    assert route(trace, "EXCLUS", "EXA").presented_address == NODE1_IP
    assert route(trace, "EXA", "EXCLUS").presented_address == EXA_IP


@pytest.mark.parametrize("breakage", ["unresolved", "firewall", "no-mta", "unreachable", "bind"])
def test_presented_address_is_not_recorded_when_no_mta_accepted_the_connection(breakage: str) -> None:
    """DOMAIN 9: drops and unreachable addresses (and attempts that never connect) record no presented address."""
    s = only_out(quick(reference(), "EXCLUS"))
    s = {
        "unresolved": lambda: s.with_stack("EXCLUS", "hostname", "NOWHERE"),
        "firewall": lambda: s.with_firewall([EXA_IP]),
        "no-mta": lambda: s.with_address("EXCLUS", NODE2_IP),
        "unreachable": lambda: s.with_address("EXCLUS", "10.0.0.99"),
        "bind": lambda: s.with_build("EXCLUS", "sp2").with_override("EXCLUS", NODE2_IP),
    }[breakage]()
    m = route(simulate(s), "EXCLUS", "EXA")
    assert (m.status, m.presented_address) == ("ndr", None)


def test_presented_address_is_the_one_seen_on_the_last_attempt_that_reached_an_mta() -> None:
    """DOMAIN 9 / DESIGN: the presented address is from the last attempt that reached an MTA; later failures keep it."""
    s = with_failovers(only_out(reference().with_build("EXCLUS", "sp2").with_override("EXCLUS", NODE1_IP)), 300)
    trace = simulate(s)
    assert wire(trace, OUT, attempt=2) is None  # NODE2 cannot bind NODE1's address
    assert route(trace, "EXCLUS", "EXA").presented_address == NODE1_IP


# === Many servers ==============================================================================


def test_two_clusters_both_present_node_ips() -> None:
    """DOMAIN 4 / 5 with two clusters: each presents its active node's IP; each peer logs that node's IP and name."""
    trace = simulate(loads_scenario(TWO_CLUSTERS))
    assert [(m.status, m.presented_address) for m in trace.messages] == [("ndr", "10.0.1.11"), ("ndr", "10.0.2.11")]
    assert hexes(trace, at=0, server="EXC2") == ["0A00010B", "4E31"]
    assert hexes(trace, at=0, server="EXC1") == ["0A00020B", "4E33"]


def test_two_clusters_with_the_workaround_deliver_both_ways() -> None:
    """DOMAIN 5: the host-name workaround on both servers works between two clusters, also after one fails over."""
    s = loads_scenario(TWO_CLUSTERS).with_stack("EXC1", "hostname", "EXC2").with_stack("EXC2", "hostname", "EXC1")
    for h in ("sender", "receiver"):
        for variant in (s, s.failed_over("C1"), s.failed_over("C2")):
            assert [m.status for m in simulate(variant.with_hypothesis(h)).messages] == ["delivered", "delivered"]
    trace = simulate(s.failed_over("C2").with_hypothesis("receiver"))
    assert route(trace, "EXC2", "EXC1").presented_address == "10.0.2.12"
    assert stage(trace, "EXC2->EXC1", "reverse-node-status").names == ("N4", "EXC2")
    assert route(simulate(s.failed_over("C2")), "EXC2", "EXC1").presented_address == "10.0.2.20"  # S: the virtual IP


def test_two_clusters_with_the_fix_present_virtual_ips() -> None:
    """DOMAIN 4.2: with the fix each clustered MTA presents its own virtual IP."""
    s = loads_scenario(TWO_CLUSTERS).with_fix("EXC1", True).with_fix("EXC2", True)
    trace = simulate(s)
    assert [(m.status, m.presented_address) for m in trace.messages] == [("delivered", "10.0.1.20"), ("delivered", "10.0.2.20")]


@pytest.mark.parametrize(("hypothesis", "one_side"), [("sender", "ndr"), ("receiver", "delivered")])
def test_three_servers_each_connector_on_its_own(hypothesis: str, one_side: str) -> None:
    """DOMAIN 2 / 5: many servers: a hub with two connectors; each route follows the same rules independently."""
    extra = (
        EXB
        + '[[connectors]]\nserver = "EXA"\nremote = "EXB"\nstack = "ip"\naddress = "10.0.2.10"\n'
        + '[[connectors]]\nserver = "EXB"\nremote = "EXA"\nstack = "ip"\naddress = "10.0.0.10"\n'
        + '[[connectors]]\nserver = "EXB"\nremote = "EXCLUS"\nstack = "hostname"\naddress = "EXCLUS"\n'
        + '[[connectors]]\nserver = "EXCLUS"\nremote = "EXB"\nstack = "ip"\naddress = "10.0.2.10"\n'
    )
    s = with_messages(
        reference(extra),
        (0, "EXCLUS", "EXA"),
        (0, "EXA", "EXCLUS"),
        (0, "EXA", "EXB"),
        (0, "EXB", "EXA"),
        (0, "EXCLUS", "EXB"),
        (0, "EXB", "EXCLUS"),
    )
    trace = simulate(s.with_hypothesis(hypothesis))  # type: ignore[arg-type]
    statuses = {(m.sender, m.recipient): m.status for m in trace.messages}
    assert statuses == {
        ("EXCLUS", "EXA"): "ndr",  # EXA has only IP-type connectors
        ("EXA", "EXCLUS"): "delivered",
        ("EXA", "EXB"): "delivered",
        ("EXB", "EXA"): "delivered",
        ("EXCLUS", "EXB"): one_side,  # EXB names EXCLUS on its Stack tab: the workaround on the receiver's side only
        ("EXB", "EXCLUS"): "delivered",
    }
    assert {e.server for e in trace.event_log} == {"EXA", "EXB"}
    # EXB (RTM) logs the harmless first event; under S, where it refuses, the second (NODE1) too
    assert set(hexes(trace, server="EXB")) == ({HEX_NODE1_IP} if one_side == "delivered" else {HEX_NODE1_IP, HEX_NODE1})


# --- found by an independent review of the first version -------------------------------------


def test_a_cluster_without_exchange_is_not_called_passive() -> None:
    text = REFERENCE.replace('[servers.EXCLUS]\nsite = "SITEB"\nhost = "EXCLUS"\nbuild = "rtm"\n', "")
    text = text.split('[[connectors]]\nserver = "EXCLUS"')[0] + "\n[names]\n" + text.split("[names]\n", 1)[1]
    text = text.split("[[messages]]")[0] + '[[messages]]\nat = 0\nfrom = "EXA"\nto = "EXCLUS"\n'
    text = text.replace('remote = "EXCLUS"', 'remote = "EXB"').replace('to = "EXCLUS"', 'to = "EXB"')
    text += '[hosts.EXB]\naddresses = ["10.0.2.10"]\n[servers.EXB]\nsite = "SITEC"\nhost = "EXB"\n'
    trace = simulate(loads_scenario(text))
    connect = next(s for s in trace.steps if s.kind == "connect")
    assert "no Exchange server runs on NODE1" in connect.text and "passive" not in connect.text
