"""Name resolution of the NT 4 era, both ways (DOMAIN.md sections 2, 4 and 5), as two tables.

:data:`DESTINATION_RULES` is where a connector's MTA connects: an IP-type Stack tab's Address as
typed, a dotted address as an IP, else the name through the HOSTS file, then DNS A records, then
WINS (Q142309), where WINS knows every computer name and each cluster's network name, registered
by its active node (Q195462). :data:`REVERSE_SOURCES` is the receiver's lookup of the caller's IP:
HOSTS, then a DNS PTR record, then [MODEL] NetBIOS node status, stopping at the first source that
knows the address. :func:`destination` and :func:`reverse_lookup` run them top to bottom.
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


@dataclass(frozen=True, slots=True)
class Resolution:
    ip: str | None
    note: Note


# --- forward: where does the connector connect? ------------------------------------------------


@dataclass(slots=True)
class _Forward:
    world: World
    connector: Connector
    tried: list[str] = field(default_factory=list)
    """Short names of the name services asked so far, for "not in HOSTS or DNS"."""
    skipped: str = ""

    def resolution(self, ip: str | None, text: str, basis: str) -> Resolution:
        return Resolution(ip, Note(kind="resolve", actor=self.connector.server, text=text, basis=basis))

    def says(self, service: str, what: str, basis: str, ip: str) -> Resolution:
        c = self.connector
        prefix = f"not in {_either(self.tried)}; " if self.tried else ""
        return self.resolution(ip, f"{c.server} looks up {c.address}: {prefix}{service} says {what}", basis)


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


ForwardRule = Rule[Callable[[_Forward], Resolution | None]]


def _as_typed(f: _Forward) -> Resolution | None:
    c = f.connector
    if c.stack != "ip":
        return None
    return f.resolution(
        c.address, f"{c.server}'s Stack tab for {c.remote} says IP address {c.address}: connect there as typed", "DOC Q152934"
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


def _table(
    service: str, short: str, records: Callable[[World], tuple[tuple[str, str], ...]]
) -> Callable[[_Forward], Resolution | None]:
    def look(f: _Forward) -> Resolution | None:
        for name, ip in records(f.world):
            if fold(name) == fold(f.connector.address):
                return f.says(service, ip, "DOC Q142309", ip)
        f.tried.append(short)
        return None

    return look


def _wins(f: _Forward) -> Resolution | None:
    s, wanted = f.world.scenario, fold(f.connector.address)
    if not s.names.netbios:
        f.skipped = " (NetBIOS is off, so no WINS)"
        return None
    for h in s.hosts:
        if fold(h.name) == wanted:
            return f.says("WINS", f"{h.primary} (computer {h.name})", "DOC Q142309", h.primary)
    for cl in s.clusters:
        if fold(cl.virtual_name) == wanted:
            node = f.world.active[cl.name]
            what = f"{cl.virtual_ip}, the network name of cluster {cl.name}, registered by {node}"
            return f.says("WINS", what, "DOC Q195462", cl.virtual_ip)
    f.tried.append("WINS")
    return None


DESTINATION_RULES: tuple[ForwardRule, ...] = (
    Rule("as-typed", "DOC Q152934", "an IP-type Stack tab: connect to its Address as typed", _as_typed),
    Rule("dotted", "MODEL", "a host name written as a dotted address is used as an IP, as gethostbyname does", _dotted),
    Rule("hosts", "DOC Q142309", "the HOSTS file", _table("the HOSTS file", "HOSTS", lambda w: w.scenario.names.hosts)),
    Rule("dns", "DOC Q142309", "DNS A records", _table("DNS", "DNS", lambda w: w.scenario.names.dns)),
    Rule("wins", "DOC Q142309", "WINS, where NetBIOS works: every computer name, and each cluster's network name", _wins),
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
    return f.resolution(None, text, "DOC Q142309")


# --- reverse: which names does the receiver find for the caller's address? -------------------


@dataclass(slots=True)
class _Reverse:
    world: World
    receiver: str
    ip: str
    asked: list[tuple[str, Note]] = field(default_factory=list)

    def note(self, stage: str, basis: str, text: str) -> None:
        self.asked.append((stage, Note(kind="reverse", actor=self.receiver, text=text, basis=basis)))


ReverseRule = Rule[Callable[[_Reverse], tuple[str, ...] | None]]


def _reverse_hosts(r: _Reverse) -> tuple[str, ...] | None:
    names = tuple(name for name, addr in r.world.scenario.names.hosts if addr == r.ip)
    r.note("reverse-hosts", "DOC Q189345", f"{r.receiver} looks up {r.ip} in the HOSTS file: {', '.join(names) or 'not there'}")
    return names or None


def _reverse_ptr(r: _Reverse) -> tuple[str, ...] | None:
    ptr = next((name for addr, name in r.world.scenario.names.ptr if addr == r.ip), None)
    r.note("reverse-ptr", "DOC Q189345", f"{r.receiver} asks DNS for the PTR record of {r.ip}: {ptr or 'there is none'}")
    return (ptr,) if ptr is not None else None


def _node_status(r: _Reverse) -> tuple[str, ...] | None:
    world, ip, receiver = r.world, r.ip, r.receiver
    if not world.scenario.names.netbios:
        r.note("reverse-node-status", "MODEL", f"NetBIOS is off, so {receiver} cannot ask {ip} for its names: no name found")
        return None
    owner = world.owner(ip)
    if owner is None:
        r.note("reverse-node-status", "MODEL", f"{receiver} asks {ip} for its NetBIOS names (node status): nobody answers")
        return None
    registered = world.registered_names(owner)
    own = ip in world.scenario.host(owner).addresses
    who = owner if own else f"{owner}, the active node holding that virtual IP,"
    r.note(
        "reverse-node-status",
        "MODEL",
        f"{receiver} asks {ip} for its NetBIOS names (node status): {who} answers {', '.join(registered)}",
    )
    return registered


REVERSE_SOURCES: tuple[ReverseRule, ...] = (
    Rule("reverse-hosts", "DOC Q189345", "the HOSTS file: every name mapped to the address, in file order", _reverse_hosts),
    Rule("reverse-ptr", "DOC Q189345", "a DNS PTR record: one name", _reverse_ptr),
    Rule(
        "reverse-node-status",
        "MODEL",
        "NetBIOS node status: the host's computer name, then the cluster names it owns",
        _node_status,
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
