"""Name resolution of the NT 4 era, both ways (DOMAIN.md sections 2, 4, 5 and 5b), as two tables.

:data:`DESTINATION_RULES` is where a connector's MTA connects: an IP-type Stack tab's Address as
typed [MODEL], a dotted address as an IP [MODEL], else the name in Winsock's order (Q172218): the
computer's own name, the HOSTS file, DNS A records, then NetBIOS as a backup, where WINS knows
every computer name and each cluster's network name, registered by the node that owns it
(Q195462). :data:`REVERSE_SOURCES` is the receiver's lookup of the caller's IP: the HOSTS file,
then a DNS PTR record (Q193380), then a NetBIOS node status request to the address (Q138086),
stopping at the first source that knows it. What node status answers depends on the hypothesis
(DOMAIN.md 5b): the computer name (as Q138086 says; hypothesis S), or every name the node has
registered (hypothesis R). :func:`destination` and :func:`reverse_lookup` run the tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..scenario import Connector
from ..scenario.names import fold, is_dotted_ip
from .rules import Rule
from .steps import Note
from .world import World

__all__ = ["DESTINATION_RULES", "REVERSE_SOURCES", "Resolution", "destination", "reverse_lookup"]


HOSTS_FILE = "the HOSTS file"
"""A file on the computer itself: looking a name or an address up in it sends nothing on the network."""


@dataclass(frozen=True, slots=True)
class Resolution:
    ip: str | None
    note: Note
    asked: tuple[str, ...] = ()
    """The name servers asked over the network, in order (``"dns"``, ``"wins"``); HOSTS is local."""


# --- forward: where does the connector connect? ------------------------------------------------


@dataclass(slots=True)
class _Forward:
    world: World
    connector: Connector
    tried: list[str] = field(default_factory=list)
    """Short names of the name services asked so far, for "not in HOSTS or DNS"."""
    skipped: str = ""
    asked: list[str] = field(default_factory=list)
    """The name servers asked over the network so far (the picture draws their queries)."""

    def resolution(self, ip: str | None, text: str, basis: str, claim: str = "") -> Resolution:
        note = Note(kind="resolve", actor=self.connector.server, text=text, basis=basis, claim=claim)
        return Resolution(ip, note, tuple(self.asked))

    def says(self, service: str, what: str, ip: str, claim: str = "forward-order") -> Resolution:
        c = self.connector
        prefix = f"not in {_either(self.tried)}; " if self.tried else ""
        article = "DOC Q195462" if claim == "wins-cluster-name" else "DOC Q172218"
        local = " (a local file: nothing goes on the wire)" if service == HOSTS_FILE else ""
        return self.resolution(ip, f"{c.server} looks up {c.address}: {prefix}{service} says {what}{local}", article, claim)


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


ForwardRule = Rule[Callable[[_Forward], Resolution | None]]


def _as_typed(f: _Forward) -> Resolution | None:
    c = f.connector
    if c.stack != "ip":
        return None
    return f.resolution(
        c.address, f"{c.server}'s Stack tab for {c.remote} says IP address {c.address}: connect there as typed", "MODEL"
    )


def _dotted(f: _Forward) -> Resolution | None:
    c = f.connector
    if not is_dotted_ip(c.address):
        return None
    return f.resolution(
        c.address,
        f"{c.server}'s Stack tab host name {c.address} is a dotted address: used as an IP, as gethostbyname does",
        "MODEL",
    )


def _own_name(f: _Forward) -> Resolution | None:
    host = f.world.mta_host(f.connector.server)
    if fold(host) != fold(f.connector.address):
        return None
    ip = f.world.scenario.host(host).primary
    c = f.connector
    return f.resolution(
        ip, f"{c.server} looks up {c.address}: it is the name of this computer, so {ip}", "DOC Q172218", "forward-order"
    )


def _table(
    service: str, short: str, records: Callable[[World], tuple[tuple[str, str], ...]], server: str | None = None
) -> Callable[[_Forward], Resolution | None]:
    def look(f: _Forward) -> Resolution | None:
        if server is not None:
            f.asked.append(server)
        for name, ip in records(f.world):
            if fold(name) == fold(f.connector.address):
                return f.says(service, ip, ip)
        f.tried.append(short)
        return None

    return look


def _wins(f: _Forward) -> Resolution | None:
    s, wanted = f.world.scenario, fold(f.connector.address)
    if not s.names.netbios:
        f.skipped = " (NetBIOS is off, so no WINS)"
        return None
    f.asked.append("wins")
    for h in s.hosts:
        if fold(h.name) == wanted:
            return f.says("WINS", f"{h.primary} (computer {h.name})", h.primary)
    for cl in s.clusters:
        if fold(cl.virtual_name) == wanted:
            node = f.world.active[cl.name]
            what = f"{cl.virtual_ip}, the network name of cluster {cl.name}, registered by {node}"
            return f.says("WINS", what, cl.virtual_ip, "wins-cluster-name")
    f.tried.append("WINS")
    return None


DESTINATION_RULES: tuple[ForwardRule, ...] = (
    Rule("as-typed", "MODEL", "an IP-type Stack tab: connect to its Address as typed", _as_typed),
    Rule("dotted", "MODEL", "a host name written as a dotted address is used as an IP, as gethostbyname does", _dotted),
    Rule("own-name", "DOC Q172218", "the computer's own name", _own_name, claim="forward-order"),
    Rule(
        "hosts",
        "DOC Q172218",
        "the HOSTS file",
        _table(HOSTS_FILE, "HOSTS", lambda w: w.scenario.names.hosts),
        claim="forward-order",
    ),
    Rule(
        "dns", "DOC Q172218", "DNS A records", _table("DNS", "DNS", lambda w: w.scenario.names.dns, "dns"), claim="forward-order"
    ),
    Rule(
        "wins",
        "DOC Q172218",
        "NetBIOS (WINS) as a backup, where it works: every computer name, and each cluster's network name",
        _wins,
        claim="forward-order",
    ),
)
"""Where a connector's MTA connects, in order: run by :func:`destination`."""


def destination(world: World, c: Connector) -> Resolution:
    """Where ``c``'s MTA connects: the first rule of :data:`DESTINATION_RULES` that answers, else nowhere."""
    f = _Forward(world, c)
    for rule in DESTINATION_RULES:
        found = rule.run(f)
        if found is not None:
            return found
    text = f"{c.server} looks up {c.address}: not in {_either(f.tried)}{f.skipped}; no address, so no connection"
    return f.resolution(None, text, "DOC Q172218", "forward-order")


# --- reverse: which names does the receiver find for the caller's address? -------------------


@dataclass(slots=True)
class _Reverse:
    world: World
    receiver: str
    ip: str
    asked: list[tuple[str, Note]] = field(default_factory=list)

    def note(self, stage: str, basis: str, text: str, claim: str = "") -> None:
        self.asked.append((stage, Note(kind="reverse", actor=self.receiver, text=text, basis=basis, claim=claim)))


ReverseRule = Rule[Callable[[_Reverse], tuple[str, ...] | None]]


def _reverse_hosts(r: _Reverse) -> tuple[str, ...] | None:
    names = tuple(name for name, addr in r.world.scenario.names.hosts if addr == r.ip)
    r.note(
        "reverse-hosts",
        "DOC Q193380",
        f"{r.receiver} looks up {r.ip} in its HOSTS file (a local file: nothing goes on the wire): {', '.join(names) or 'not there'}",
        "reverse-order",
    )
    return names or None


def _reverse_ptr(r: _Reverse) -> tuple[str, ...] | None:
    ptr = next((name for addr, name in r.world.scenario.names.ptr if addr == r.ip), None)
    r.note(
        "reverse-ptr",
        "DOC Q193380",
        f"{r.receiver} asks DNS for the PTR record of {r.ip}: {ptr or 'there is none'}",
        "reverse-order",
    )
    return (ptr,) if ptr is not None else None


def _node_status(r: _Reverse) -> tuple[str, ...] | None:
    world, ip, receiver = r.world, r.ip, r.receiver
    stage = "reverse-node-status"
    asks = f"{receiver} sends {ip} a NetBIOS node status request"
    if not world.scenario.names.netbios:
        r.note(stage, "MODEL", f"NetBIOS is off, so {receiver} cannot ask {ip} for its names: no name found")
        return None
    owner = world.owner(ip)
    if owner is None:
        r.note(stage, "MODEL", f"{asks}: nobody answers")
        return None
    group = world.group_at(ip)
    if group is not None:
        # At a virtual IP the group's own NetBIOS name answers, under both readings (DOMAIN.md 9).
        text = f"{asks}: {owner}, which holds that virtual IP for {group.name}, answers the virtual server's name {group.virtual_name}"
        r.note(stage, "MODEL", text)
        return (group.virtual_name,)
    if world.scenario.hostname_stack == "receiver":
        names = (owner, *(c.virtual_name for c in world.owned_groups(owner)))
        text = (
            f"{asks}: {owner} answers with every name it has registered, {', '.join(names)}, and the MTA compares "
            "each (hypothesis R, one of two readings; Q138086 says the computer name alone)"
        )
        r.note(stage, "HYPOTHESIS R", text)
        return names
    text = f"{asks}: {owner} answers with its name table, and the lookup returns the computer name, {owner}"
    r.note(stage, "DOC Q138086", text, "node-status-fallback")
    return (owner,)


REVERSE_SOURCES: tuple[ReverseRule, ...] = (
    Rule(
        "reverse-hosts",
        "DOC Q193380",
        "the HOSTS file first: every name mapped to the address, in file order",
        _reverse_hosts,
        claim="reverse-order",
    ),
    Rule("reverse-ptr", "DOC Q193380", "then DNS: a PTR record gives one name", _reverse_ptr, claim="reverse-order"),
    Rule(
        "reverse-node-status",
        "DOC Q138086",
        "then NetBIOS node status: the computer name (under hypothesis R, every name the node has registered)",
        _node_status,
        claim="node-status-fallback",
    ),
)
"""The reverse lookup's sources in order: run by :func:`reverse_lookup`, which stops at the first that knows the address."""


def reverse_lookup(world: World, receiver: str, ip: str) -> tuple[tuple[str, ...], list[tuple[str, Note]]]:
    """Names for ``ip`` from the first source that knows it, and a (stage, note) per source asked."""
    r = _Reverse(world, receiver, ip)
    for rule in REVERSE_SOURCES:
        names = rule.run(r)
        if names:
            return names, r.asked
    return (), r.asked
