"""Name resolution of the NT 4 era, both ways (DOMAIN.md sections 2, 4 and 5).

Forward (a host-name Stack tab): HOSTS file, then DNS A records, then WINS (Q142309), where WINS
knows every computer name and each cluster's network name, registered by its active node
(Q195462). Reverse (the receiver's lookup of the caller's IP): HOSTS, then a DNS PTR record, then
[MODEL] NetBIOS node status, stopping at the first source that knows the address.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..scenario import Connector
from ..scenario.names import fold, is_dotted_ip
from .trace import Note
from .world import World

__all__ = ["REVERSE_SOURCES", "Resolution", "destination", "reverse_lookup"]

REVERSE_SOURCES = (
    ("reverse-hosts", "DOC Q189345", "the HOSTS file: every name mapped to the address, in file order"),
    ("reverse-ptr", "DOC Q189345", "a DNS PTR record: one name"),
    ("reverse-node-status", "MODEL", "NetBIOS node status: the host's computer name, then the cluster names it owns"),
)
"""The reverse lookup's sources in order, as (stage, basis, what it returns)."""


@dataclass(frozen=True, slots=True)
class Resolution:
    ip: str | None
    note: Note


def destination(world: World, c: Connector) -> Resolution:
    """Where ``c``'s MTA connects: the Address as typed, or the name resolved."""
    actor = c.server
    if c.stack == "ip":
        text = f"{c.server}'s Stack tab for {c.remote} says IP address {c.address}: connect there as typed"
        return Resolution(c.address, Note(kind="resolve", actor=actor, text=text, basis="DOC Q152934"))
    if is_dotted_ip(c.address):
        text = f"{c.server}'s Stack tab host name {c.address} is a dotted address: used as an IP, as gethostbyname does"
        return Resolution(c.address, Note(kind="resolve", actor=actor, text=text, basis="MODEL"))
    names = world.scenario.names
    tried: list[str] = []
    for source, table in (("the HOSTS file", names.hosts), ("DNS", names.dns)):
        for name, ip in table:
            if fold(name) == fold(c.address):
                prefix = f"not in {' or '.join(tried)}; " if tried else ""
                text = f"{c.server} looks up {c.address}: {prefix}{source} says {ip}"
                return Resolution(ip, Note(kind="resolve", actor=actor, text=text, basis="DOC Q142309"))
        tried.append("HOSTS" if source == "the HOSTS file" else "DNS")
    if names.netbios:
        for h in world.scenario.hosts:
            if fold(h.name) == fold(c.address):
                text = f"{c.server} looks up {c.address}: not in HOSTS or DNS; WINS says {h.primary} (computer {h.name})"
                return Resolution(h.primary, Note(kind="resolve", actor=actor, text=text, basis="DOC Q142309"))
        for cl in world.scenario.clusters:
            if fold(cl.virtual_name) == fold(c.address):
                node = world.active[cl.name]
                text = (
                    f"{c.server} looks up {c.address}: not in HOSTS or DNS; WINS says {cl.virtual_ip}, "
                    f"the network name of cluster {cl.name}, registered by {node}"
                )
                return Resolution(cl.virtual_ip, Note(kind="resolve", actor=actor, text=text, basis="DOC Q195462"))
        where = "HOSTS, DNS or WINS"
    else:
        where = "HOSTS or DNS (NetBIOS is off, so no WINS)"
    text = f"{c.server} looks up {c.address}: not in {where}; no address, so no connection"
    return Resolution(None, Note(kind="resolve", actor=actor, text=text, basis="DOC Q142309"))


def reverse_lookup(world: World, receiver: str, ip: str) -> tuple[tuple[str, ...], list[tuple[str, Note]]]:
    """Names for ``ip`` from the first source that knows it, and a (stage, note) per source asked."""
    names = world.scenario.names
    asked: list[tuple[str, Note]] = []

    def note(stage: str, basis: str, text: str) -> None:
        asked.append((stage, Note(kind="reverse", actor=receiver, text=text, basis=basis)))

    in_hosts = tuple(name for name, addr in names.hosts if addr == ip)
    if in_hosts:
        note("reverse-hosts", "DOC Q189345", f"{receiver} looks up {ip} in the HOSTS file: {', '.join(in_hosts)}")
        return in_hosts, asked
    note("reverse-hosts", "DOC Q189345", f"{receiver} looks up {ip} in the HOSTS file: not there")
    ptr = next((name for addr, name in names.ptr if addr == ip), None)
    if ptr is not None:
        note("reverse-ptr", "DOC Q189345", f"{receiver} asks DNS for the PTR record of {ip}: {ptr}")
        return (ptr,), asked
    note("reverse-ptr", "DOC Q189345", f"{receiver} asks DNS for the PTR record of {ip}: there is none")
    if not names.netbios:
        note("reverse-node-status", "MODEL", f"NetBIOS is off, so {receiver} cannot ask {ip} for its names: no name found")
        return (), asked
    owner = world.owner(ip)
    if owner is None:
        note("reverse-node-status", "MODEL", f"{receiver} asks {ip} for its NetBIOS names (node status): nobody answers")
        return (), asked
    registered = world.registered_names(owner)
    own = ip in world.scenario.host(owner).addresses
    who = owner if own else f"{owner}, the active node holding that virtual IP,"
    note(
        "reverse-node-status",
        "MODEL",
        f"{receiver} asks {ip} for its NetBIOS names (node status): {who} answers {', '.join(registered)}",
    )
    return registered, asked
