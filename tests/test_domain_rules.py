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
build = "sp1"
[servers.EXCLUS]
site = "SITEB"
host = "EXCLUS"
build = "sp1"

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
HEX_NODE1_IP, HEX_NODE1 = "0A00010B", "4E4F444531"


# --- building scenarios -----------------------------------------------------------------------


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
    """DOMAIN 4.3: otherwise INADDR_ANY: the primary address of the host running the MTA, the active node's own IP."""
    trace = simulate(reference())
    assert wire(trace, OUT) == NODE1_IP
    assert route(trace, "EXCLUS", "EXA").presented_address == NODE1_IP
    assert present(trace, OUT)[-1].basis == "DOC Q169113"
    assert of(trace, OUT, "attempt")[0].connection.from_host == "NODE1"  # type: ignore[union-attr]
    assert of(trace, OUT, "attempt")[0].connection.claimed == VIP  # type: ignore[union-attr]


def test_inaddr_any_on_a_standalone_server_presents_its_primary() -> None:
    """DOMAIN 4.3: INADDR_ANY on NT 4 gives the primary (first) address of the card (standalone host)."""
    s = with_addresses(only_in(reference()), "EXA", "10.0.0.10", "10.0.0.11")
    trace = simulate(s)
    assert wire(trace, IN) == EXA_IP
    assert route(trace, "EXA", "EXCLUS").status == "delivered"


@pytest.mark.parametrize(
    ("addresses", "expected"), [(("10.0.1.11", "10.0.1.15"), "10.0.1.11"), (("10.0.1.15", "10.0.1.11"), "10.0.1.15")]
)
def test_inaddr_any_picks_the_first_address_of_the_card(addresses: tuple[str, ...], expected: str) -> None:
    """DOMAIN 4.3: INADDR_ANY picks the primary (first) address; the order of the card's list decides."""
    trace = simulate(with_addresses(only_out(reference()), "NODE1", *addresses))
    assert wire(trace, OUT) == expected


def test_override_is_the_source_when_set_on_sp1() -> None:
    """DOMAIN 4.1: the connector's Stack IP Address Override, if set and the build has the feature (SP1 on)."""
    trace = simulate(only_out(reference().with_override("EXCLUS", VIP)))
    assert wire(trace, OUT) == VIP
    assert present(trace, OUT)[-1].basis == "DOC Q197378"
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.attempts, m.delivered_at, m.presented_address) == ("delivered", 1, 2.0, VIP)


@pytest.mark.parametrize("build", ["sp1", "sp2", "sp3", "sp4"])
def test_override_comes_before_the_fix(build: str) -> None:
    """DOMAIN 4: the override (rule 1) is tried before the fix (rule 2): an override of the node IP wins over the fix."""
    s = only_out(reference().with_build("EXCLUS", build).with_fix("EXCLUS", True).with_override("EXCLUS", NODE1_IP))
    trace = simulate(s)
    assert wire(trace, OUT) == NODE1_IP
    assert route(trace, "EXCLUS", "EXA").presented_address == NODE1_IP


def test_override_is_ignored_on_rtm() -> None:
    """DOMAIN 4.1 / 5: the Stack IP Address Override works from SP1 on (Q255991): RTM ignores it and falls to INADDR_ANY."""
    trace = simulate(only_out(reference().with_build("EXCLUS", "rtm").with_override("EXCLUS", VIP)))
    assert wire(trace, OUT) == NODE1_IP
    assert [st.basis for st in present(trace, OUT)] == ["DOC Q255991", "DOC Q169113"]
    assert route(trace, "EXCLUS", "EXA").status == "ndr"


def test_override_ignored_on_rtm_falls_through_to_the_hotfix() -> None:
    """DOMAIN 4 order: on RTM an ignored override falls to rule 2; with the hotfix applied the MTA presents the virtual IP."""
    s = only_out(reference().with_build("EXCLUS", "rtm").with_fix("EXCLUS", True).with_override("EXCLUS", NODE1_IP))
    trace = simulate(s)
    assert wire(trace, OUT) == VIP
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_override_bind_fails_when_the_host_does_not_hold_the_address() -> None:
    """DOMAIN 9: an override must be an address of the host running the MTA now; otherwise the bind fails and the attempt fails.

    After failover to NODE2, an override equal to NODE1's own IP cannot be bound on NODE2.
    """
    s = only_out(quick(reference().failed_over("WOLFPACK").with_override("EXCLUS", NODE1_IP), "EXCLUS"))
    trace = simulate(s)
    assert wire(trace, OUT) is None
    assert present(trace, OUT)[-1].basis == "MODEL"
    assert final_phase(trace, OUT) == "failed"
    assert lookups(trace, OUT) == []
    assert "connect" not in kinds(trace, OUT)
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.attempts, m.presented_address) == ("ndr", 3, None)
    assert trace.event_log == ()


def test_override_of_another_hosts_address_fails_on_a_standalone_server() -> None:
    """DOMAIN 9: an override that is not an address of the host running the MTA fails to bind (standalone too)."""
    trace = simulate(only_in(quick(reference().with_override("EXA", NODE2_IP), "EXA")))
    assert wire(trace, IN) is None
    assert route(trace, "EXA", "EXCLUS").status == "ndr"


def test_override_of_the_virtual_ip_moves_with_the_group() -> None:
    """DOMAIN 9: the virtual IP counts as an override while this node owns it, so after failover NODE2 can bind it."""
    trace = simulate(only_out(reference().failed_over("WOLFPACK").with_override("EXCLUS", VIP)))
    assert of(trace, OUT, "attempt")[0].connection.from_host == "NODE2"  # type: ignore[union-attr]
    assert wire(trace, OUT) == VIP
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_override_of_the_nodes_own_ip_binds_while_it_is_active() -> None:
    """DOMAIN 9: an override equal to the active node's own address is an address of the host running the MTA."""
    trace = simulate(only_out(reference().with_override("EXCLUS", NODE1_IP)))
    assert wire(trace, OUT) == NODE1_IP
    assert present(trace, OUT)[-1].basis == "DOC Q197378"


@pytest.mark.parametrize(("build", "fix"), [("sp2", None), ("sp3", None), ("sp4", None), ("rtm", True), ("sp1", True)])
def test_fix_presents_the_virtual_ip_on_a_clustered_server(build: str, fix: bool | None) -> None:
    """DOMAIN 4.2 and 5: [MODEL] SP2 and later carry the fix, RTM/SP1 only with the hotfix; the fix presents the virtual IP."""
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


@pytest.mark.parametrize(("build", "fix"), [("rtm", None), ("sp1", None)])
def test_no_fix_before_sp2_by_default(build: str, fix: bool | None) -> None:
    """DOMAIN 5: [MODEL] RTM and SP1 contain the fix only when the hotfix is applied."""
    trace = simulate(only_out(reference().with_build("EXCLUS", build).with_fix("EXCLUS", fix)))
    assert wire(trace, OUT) == NODE1_IP


@pytest.mark.parametrize("build", ["sp1", "sp2", "sp4"])
def test_fix_has_no_effect_on_a_standalone_server(build: str) -> None:
    """DOMAIN 9: the Q169113 fix has no effect on a server that is not clustered."""
    s = with_addresses(only_in(reference().with_build("EXA", build).with_fix("EXA", True)), "EXA", "10.0.0.10", "10.0.0.11")
    trace = simulate(s)
    assert wire(trace, IN) == EXA_IP
    assert [st.basis for st in present(trace, IN)] == ["DOC Q169113"]


@pytest.mark.parametrize("build", ["sp2", "sp3", "sp4"])
def test_fix_false_on_a_later_build_is_honoured(build: str) -> None:
    """DOMAIN 9: `q169113_fix = false` on SP2 or later is honoured (a way to show the bug on a later build)."""
    trace = simulate(only_out(reference().with_build("EXCLUS", build).with_fix("EXCLUS", False)))
    assert wire(trace, OUT) == NODE1_IP
    assert present(trace, OUT)[-1].basis == "DOC Q169113"
    assert route(trace, "EXCLUS", "EXA").status == "ndr"


@pytest.mark.parametrize(
    ("build", "fix", "override", "expected"),
    [
        ("sp1", None, None, NODE1_IP),
        ("sp2", None, None, VIP),
        ("sp2", False, None, NODE1_IP),
        ("sp1", None, VIP, VIP),
        ("rtm", None, VIP, NODE1_IP),
        ("sp3", None, NODE1_IP, NODE1_IP),
    ],
)
@pytest.mark.parametrize("stack", ["ip", "hostname"])
def test_source_rule_is_the_same_for_ip_and_hostname_stacks(
    build: str, fix: bool | None, override: str | None, expected: str, stack: str
) -> None:
    """DOMAIN 9: the source-address rule of section 4 is the same for IP and host-name stacks."""
    s = only_out(reference().with_build("EXCLUS", build).with_fix("EXCLUS", fix).with_override("EXCLUS", override))
    s = s.with_stack("EXCLUS", "hostname", "EXA") if stack == "hostname" else s
    trace = simulate(s)
    assert wire(trace, OUT) == expected
    assert route(trace, "EXCLUS", "EXA").presented_address == expected


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
    assert resolve_basis(trace, OUT) == "DOC Q142309"


def test_dns_comes_before_wins() -> None:
    """DOMAIN 4: DNS A records are asked before WINS (Q142309)."""
    s = with_addresses(only_out(reference().with_stack("EXCLUS", "hostname", "EXA")), "EXA", "10.0.0.10", "10.0.0.11")
    s = with_names(s, hosts=(), dns=(("EXA", "10.0.0.11"),))
    trace = simulate(s)
    assert destination(trace, OUT) == "10.0.0.11"  # WINS would have said 10.0.0.10, the primary
    assert resolve_basis(trace, OUT) == "DOC Q142309"


def test_wins_maps_a_computer_name_to_its_primary_address() -> None:
    """DOMAIN 9: WINS maps each computer name to the host's primary address (last, after HOSTS and DNS)."""
    s = with_addresses(only_out(reference().with_stack("EXCLUS", "hostname", "exa")), "EXA", "10.0.0.10", "10.0.0.11")
    trace = simulate(with_names(s, hosts=()))
    assert destination(trace, OUT) == EXA_IP
    assert resolve_basis(trace, OUT) == "DOC Q142309"


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
    assert (m.status, m.attempts, m.presented_address) == ("ndr", 3, None)


def test_an_unresolvable_name_fails_the_attempt_and_is_retried() -> None:
    """DOMAIN 4 / 9: a name that does not resolve means no connection; the message stays queued, is retried, and the try counts."""
    s = only_in(quick(reference().with_stack("EXA", "hostname", "NOWHERE"), "EXA", retries=3, interval=50))
    trace = simulate(s)
    assert attempt_times(trace, IN) == [0, 50, 100, 150]
    assert "connect" not in kinds(trace, IN)
    assert final_phase(trace, IN) == "failed"
    m = route(trace, "EXA", "EXCLUS")
    assert (m.status, m.attempts, m.presented_address) == ("ndr", 4, None)


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
    assert lookups(trace, IN) == []
    m = route(trace, "EXA", "EXCLUS")
    assert (m.status, m.attempts, m.presented_address) == ("ndr", 3, None)


def test_the_mta_listens_on_all_of_its_hosts_addresses() -> None:
    """DOMAIN 4: the MTA listens on all of its host's addresses (Q197378): a second address of EXA reaches EXA's MTA."""
    s = with_addresses(only_out(reference().with_address("EXCLUS", "10.0.0.11")), "EXA", "10.0.0.10", "10.0.0.11")
    trace = simulate(s.with_override("EXCLUS", VIP))
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
    """DOMAIN 5.3: reverse resolution order is HOSTS, then DNS PTR, then [MODEL] NetBIOS node status."""
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
    assert bases["reverse-node-status"] == "MODEL"
    assert bases["reverse-hosts"].startswith("DOC Q")
    assert bases["reverse-ptr"].startswith("DOC Q")


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
    s = with_names(workaround(only_out(reference())), hosts=hosts).with_ptr(NODE1_IP, "EXCLUS")
    trace = simulate(s)
    assert "reverse-ptr" not in stage_names(trace, OUT)
    assert "reverse-node-status" not in stage_names(trace, OUT)
    assert stage(trace, OUT, "names").names == ("NODE1",)
    assert route(trace, "EXCLUS", "EXA").status == "ndr"


def test_reverse_lookup_stops_at_ptr_before_node_status() -> None:
    """DOMAIN 5.3: a PTR record is asked before node status, and stops the lookup (a PTR gives one name)."""
    trace = simulate(workaround(only_out(reference())).with_ptr(NODE1_IP, "EXCLUS"))
    assert "reverse-node-status" not in stage_names(trace, OUT)
    assert stage(trace, OUT, "reverse-ptr").names == ("EXCLUS",)
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_node_status_answers_computer_name_then_owned_cluster_names() -> None:
    """DOMAIN 5.3 [MODEL]: node status returns the host's computer name first, then the cluster names it owns."""
    trace = simulate(workaround(only_out(reference())))
    assert stage(trace, OUT, "reverse-node-status").names == ("NODE1", "EXCLUS")
    assert stage_bases(trace, OUT)["reverse-node-status"] == "MODEL"
    assert (stage(trace, OUT, "names").outcome, stage(trace, OUT, "names").connector) == ("found", "EXA->EXCLUS")
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_node_status_for_the_virtual_ip_is_answered_by_the_active_node() -> None:
    """DOMAIN 9: node status for a virtual IP is answered by the active node (before and after failover)."""
    s = with_names(only_out(reference().with_build("EXCLUS", "sp2").with_stack("EXA", "hostname", "EXCLUS")), hosts=())
    trace = simulate(s)
    assert wire(trace, OUT) == VIP
    assert stage(trace, OUT, "reverse-node-status").names == ("NODE1", "EXCLUS")
    assert route(trace, "EXCLUS", "EXA").status == "delivered"
    trace = simulate(s.failed_over("WOLFPACK"))
    assert stage(trace, OUT, "reverse-node-status").names == ("NODE2", "EXCLUS")
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_workaround_still_works_after_failover() -> None:
    """DOMAIN 5: after failover the new active node owns the name, so the host-name workaround still works."""
    trace = simulate(workaround(reference()).failed_over("WOLFPACK"))
    assert wire(trace, OUT) == NODE2_IP
    assert stage(trace, OUT, "reverse-node-status").names == ("NODE2", "EXCLUS")
    assert [m.status for m in trace.messages] == ["delivered", "delivered"]


@pytest.mark.parametrize("written", ["exclus", "Exclus", "EXCLUS"])
def test_name_match_is_case_insensitive(written: str) -> None:
    """DOMAIN 5.4 / 9: names compare case-insensitively."""
    trace = simulate(only_out(reference().with_stack("EXA", "hostname", written)))
    assert stage(trace, OUT, "names").outcome == "found"
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


def test_name_match_is_exact_without_fqdn_trimming() -> None:
    """DOMAIN 9: names compare exactly (no FQDN trimming): exclus.example.com does not match EXCLUS."""
    s = with_names(
        only_out(reference().with_stack("EXA", "hostname", "exclus.example.com")),
        hosts=(("EXA", EXA_IP), ("EXCLUS", VIP), ("exclus.example.com", VIP)),
    )
    trace = simulate(s)
    assert stage(trace, OUT, "names").outcome == "not found"
    assert route(trace, "EXCLUS", "EXA").status == "ndr"


def test_a_ptr_record_naming_the_node_breaks_the_workaround() -> None:
    """DOMAIN 5 [MODEL]: a PTR record for the node IP that names the node breaks the workaround."""
    trace = simulate(workaround(only_out(reference())).with_ptr(NODE1_IP, "NODE1"))
    assert stage(trace, OUT, "reverse-ptr").names == ("NODE1",)
    assert stage(trace, OUT, "names").outcome == "not found"
    assert hexes(trace, at=0) == [HEX_NODE1_IP, HEX_NODE1]
    assert route(trace, "EXCLUS", "EXA").status == "ndr"


def test_netbios_off_breaks_the_workaround() -> None:
    """DOMAIN 5 [MODEL]: a broken NetBIOS lookup breaks the workaround (no name is found for the node IP)."""
    trace = simulate(workaround(only_out(reference())).with_netbios(False))
    assert stage(trace, OUT, "reverse-node-status").names == ()
    assert stage(trace, OUT, "names").outcome == "not found"
    assert route(trace, "EXCLUS", "EXA").status == "ndr"


def test_workaround_on_one_side_only() -> None:
    """DOMAIN 5 [MODEL]: setting the host name on one side only breaks the direction that needs it (EXA must name EXCLUS)."""
    only_cluster_side = simulate(reference().with_stack("EXCLUS", "hostname", "EXA"))
    assert route(only_cluster_side, "EXCLUS", "EXA").status == "ndr"
    only_peer_side = simulate(reference().with_stack("EXA", "hostname", "EXCLUS"))
    assert [m.status for m in only_peer_side.messages] == ["delivered", "delivered"]


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
        ("sp2", []),
        ("sp3", [HEX_NODE1]),
        ("sp4", [HEX_NODE1]),
    ],
)
def test_event_9301_per_receiving_build(build: str, expected: list[str]) -> None:
    """DOMAIN 5: RTM/SP1 log both events; 2354-2620 (SP2) none, so the backlog is silent; SP3/SP4 only the second."""
    trace = simulate(only_out(reference().with_build("EXA", build)))
    assert hexes(trace, at=0) == expected
    assert hexes(trace, at=600) == expected
    assert route(trace, "EXCLUS", "EXA").status == "ndr"
    assert {e.server for e in trace.event_log} <= {"EXA"}


@pytest.mark.parametrize(
    ("build", "expected"), [("rtm", [HEX_NODE1_IP]), ("sp1", [HEX_NODE1_IP]), ("sp2", []), ("sp3", []), ("sp4", [])]
)
def test_event_9301_when_found_by_name(build: str, expected: list[str]) -> None:
    """DOMAIN 5.4 / 9: found by name, the first event (RTM/SP1) was harmless; on SP3/SP4 the single 9301 appears only on refusal."""
    trace = simulate(workaround(only_out(reference()).with_build("EXA", build)))
    assert hexes(trace) == expected
    assert route(trace, "EXCLUS", "EXA").status == "delivered"


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
    """DOMAIN 5.5: the sender logs nothing; its queue grows and it retries every open interval."""
    trace = simulate(reference())
    assert trace.event_log
    assert {e.server for e in trace.event_log} == {"EXA"}


# === Sections 6 and 9: retries, queues, NDR =====================================================


def test_first_attempt_at_submission_then_every_open_interval_ndr_after_a_day() -> None:
    """DOMAIN 6: first attempt at submission, retries every 600 s, 144 more; the NDR at 144 x 600 s = 86,400 s."""
    trace = simulate(reference())
    assert attempt_times(trace, OUT) == [600.0 * i for i in range(145)]
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.attempts, m.returned_at, m.delivered_at) == ("ndr", 145, 86400.0, None)
    (ndr,) = [st for st in trace.steps if st.kind == "ndr"]
    assert (ndr.time, ndr.actor, ndr.message) == (86400.0, "EXCLUS", "m1")


@pytest.mark.parametrize(("retries", "interval", "at"), [(3, 100, 0), (3, 100, 50), (0, 600, 7), (5, 2.5, 0)])
def test_custom_override_values(retries: int, interval: float, at: float) -> None:
    """DOMAIN 6 / 9: 1 + max open retries attempts, every open interval; the NDR at the time of the last one."""
    s = with_messages(reference().with_retries("EXCLUS", max_open_retries=retries, open_interval=interval), (at, "EXCLUS", "EXA"))
    trace = simulate(s)
    expected = [at + interval * i for i in range(retries + 1)]
    assert attempt_times(trace, OUT) == expected
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.attempts, m.returned_at) == ("ndr", retries + 1, expected[-1])


def test_everything_scheduled_at_or_before_until_happens() -> None:
    """DOMAIN 9: everything scheduled at or before `until` happens (the NDR at exactly 86,400 s); later, it stays queued."""
    at_the_end = route(simulate(reference(), until=86400), "EXCLUS", "EXA")
    assert (at_the_end.status, at_the_end.attempts) == ("ndr", 145)
    just_before = route(simulate(reference(), until=86399.5), "EXCLUS", "EXA")
    assert (just_before.status, just_before.attempts, just_before.returned_at) == ("queued", 144, None)


def test_a_later_message_joins_the_queue_and_its_retry_schedule() -> None:
    """DOMAIN 9: one queue and one retry schedule per connector; every try counts for each message queued at that moment."""
    s = with_messages(reference(), (0, "EXCLUS", "EXA"), (100, "EXCLUS", "EXA"))
    trace = simulate(s)
    assert 100 not in attempt_times(trace, OUT)  # no attempt of its own: the queue was not empty
    first, second = trace.messages
    assert (first.status, first.attempts, first.returned_at) == ("ndr", 145, 86400.0)
    assert (second.status, second.attempts, second.returned_at) == ("ndr", 145, 87000.0)


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
    s = workaround(reference()).failed_over("WOLFPACK").with_ptr(NODE2_IP, "NODE2")
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
        "bind": lambda: s.with_override("EXA", VIP),
        "refusal": lambda: s.with_address("EXCLUS", "10.0.0.99"),
    }[breakage]()
    trace = simulate(s)
    assert attempt_times(trace, IN) == [0, 10, 20]
    m = route(trace, "EXA", "EXCLUS")
    assert (m.status, m.attempts, m.returned_at) == ("ndr", 3, 20)


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
    assert (m.status, m.attempts, m.presented_address) == ("ndr", 3, None)
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
    assert attempt_times(trace, OUT) == [600.0 * i for i in range(145)]
    m = route(trace, "EXCLUS", "EXA")
    assert (m.status, m.attempts, m.returned_at, m.presented_address) == ("ndr", 145, 86400.0, NODE2_IP)
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
    assert [(m.status, m.attempts, m.presented_address) for m in trace.messages] == [("ndr", 3, None), ("ndr", 3, None)]
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
    s = with_names(workaround(reference()), hosts=()).with_firewall([NODE1_IP, EXA_IP])
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
        "bind": lambda: s.with_override("EXCLUS", NODE2_IP),
    }[breakage]()
    m = route(simulate(s), "EXCLUS", "EXA")
    assert (m.status, m.presented_address) == ("ndr", None)


def test_presented_address_is_the_one_seen_on_the_last_attempt_that_reached_an_mta() -> None:
    """DOMAIN 9 / DESIGN: the presented address is from the last attempt that reached an MTA; later failures keep it."""
    s = with_failovers(only_out(reference().with_override("EXCLUS", NODE1_IP)), 300)
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
    for variant in (s, s.failed_over("C1"), s.failed_over("C2")):
        assert [m.status for m in simulate(variant).messages] == ["delivered", "delivered"]
    trace = simulate(s.failed_over("C2"))
    assert route(trace, "EXC2", "EXC1").presented_address == "10.0.2.12"
    assert stage(trace, "EXC2->EXC1", "reverse-node-status").names == ("N4", "EXC2")


def test_two_clusters_with_the_fix_present_virtual_ips() -> None:
    """DOMAIN 4.2: with the fix each clustered MTA presents its own virtual IP."""
    s = loads_scenario(TWO_CLUSTERS).with_fix("EXC1", True).with_fix("EXC2", True)
    trace = simulate(s)
    assert [(m.status, m.presented_address) for m in trace.messages] == [("delivered", "10.0.1.20"), ("delivered", "10.0.2.20")]


def test_three_servers_each_connector_on_its_own() -> None:
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
    trace = simulate(s)
    statuses = {(m.sender, m.recipient): m.status for m in trace.messages}
    assert statuses == {
        ("EXCLUS", "EXA"): "ndr",  # EXA has only IP-type connectors
        ("EXA", "EXCLUS"): "delivered",
        ("EXA", "EXB"): "delivered",
        ("EXB", "EXA"): "delivered",
        ("EXCLUS", "EXB"): "delivered",  # EXB names EXCLUS on its Stack tab: the workaround, one side
        ("EXB", "EXCLUS"): "delivered",
    }
    assert {e.server for e in trace.event_log} == {"EXA", "EXB"}
    assert set(hexes(trace, server="EXB")) == {HEX_NODE1_IP}  # EXB (SP1) logs only the harmless first event


# --- found by an independent review of the first version -------------------------------------


def test_a_cluster_without_exchange_is_not_called_passive() -> None:
    text = REFERENCE.replace('[servers.EXCLUS]\nsite = "SITEB"\nhost = "EXCLUS"\nbuild = "sp1"\n', "")
    text = text.split('[[connectors]]\nserver = "EXCLUS"')[0] + "\n[names]\n" + text.split("[names]\n", 1)[1]
    text = text.split("[[messages]]")[0] + '[[messages]]\nat = 0\nfrom = "EXA"\nto = "EXCLUS"\n'
    text = text.replace('remote = "EXCLUS"', 'remote = "EXB"').replace('to = "EXCLUS"', 'to = "EXB"')
    text += '[hosts.EXB]\naddresses = ["10.0.2.10"]\n[servers.EXB]\nsite = "SITEC"\nhost = "EXB"\n'
    trace = simulate(loads_scenario(text))
    connect = next(s for s in trace.steps if s.kind == "connect")
    assert "no Exchange server runs on NODE1" in connect.text and "passive" not in connect.text
