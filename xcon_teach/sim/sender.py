"""The sender's rule: which source address does the MTA send from? (DOMAIN.md section 4)

:data:`SOURCE_RULES` is the rule, as a table :func:`choose_source` runs top to bottom; the first
row that decides gives the source address of the connection:

1. ``override``: the connector's ``Stack IP Address Override``, if set and the build reads it
   (build 2431 and later, :mod:`.builds`; Q197378), bound before connecting; it must be an address
   the host running the MTA holds now, or the bind fails ("address not available") [MODEL];
2. ``fix``: a virtual IP of the virtual server, if the server is clustered and its MTA carries the
   Q169113 fix [MODEL: Microsoft only says the bug was "corrected"]; with two or more virtual IPs,
   each in turn (Q197378: the transport uses all of them; strict turns: MODEL);
3. ``own-name``: under hypothesis S only, when the Stack names a remote host, the address of the
   MTA's own server name (the first virtual IP on a cluster) [HYPOTHESIS S, DOMAIN.md 5b];
4. ``inaddr-any``: otherwise the socket is unbound (``INADDR_ANY``) and NT takes the adapter of
   the route to the destination and its address (Q175396): on a cluster node, the node's own IP,
   not the virtual IP (Q169113); of several addresses on one adapter, the first [MODEL].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..scenario import Cluster, Connector, Server
from .builds import has, has_fix, label
from .rules import Rule
from .steps import Note
from .world import World

__all__ = ["SOURCE_RULES", "Source", "choose_source"]


@dataclass(frozen=True, slots=True)
class Source:
    rule: str
    """Which row of SOURCE_RULES decided."""
    address: str | None
    """The source address; None when the bind failed."""
    notes: tuple[Note, ...]


@dataclass(slots=True)
class _Ask:
    """What a source rule looks at, and the notes the rules leave on the way."""

    world: World
    connector: Connector
    server: Server
    host: str
    """The host running the MTA now."""
    held: tuple[str, ...]
    """The addresses on that host's card now, in order."""
    cluster: Cluster | None
    destination: str
    turn: int
    """How many earlier tries of this server presented a virtual IP by the fix (for the turns of rule 2)."""
    notes: list[Note] = field(default_factory=list)

    def note(self, text: str, basis: str, claim: str = "") -> None:
        self.notes.append(Note(kind="present", actor=self.connector.server, text=text, basis=basis, claim=claim))


@dataclass(frozen=True, slots=True)
class _Chosen:
    address: str | None


SourceRule = Rule[Callable[[_Ask], _Chosen | None]]


def _override(a: _Ask) -> _Chosen | None:
    c, ip = a.connector, a.connector.stack_ip_override
    if ip is None:
        return None
    if not has("override", a.server):
        a.note(
            f"{c.server} runs {label(a.server)}, which does not read Stack IP Address Override: it came with build 2431, "
            "the fix of Q197378, first in SP2 (Q255991 and Q256844 say SP1)",
            "DOC Q197378",
            "override-build",
        )
        return None
    if ip in a.held:
        a.note(
            f"{c.server} binds its Stack IP Address Override {ip} before connecting: it is the From IP address, so it sends from {ip}",
            "DOC Q197378",
            "override-from-address",
        )
        return _Chosen(ip)
    a.note(
        f"{c.server} tries to bind its Stack IP Address Override {ip}, but {a.host} does not hold it now "
        "(address not available): the attempt fails",
        "MODEL",
    )
    return _Chosen(None)


def _fix(a: _Ask) -> _Chosen | None:
    if a.cluster is None:
        return None
    if not has_fix(a.server):
        why = (
            "with its Q169113 fix switched off"
            if has("fix", a.server)
            else "without the Q169113 fix (SP1, build 2232, and later carry it: a model assumption)"
        )
        a.note(f"{a.connector.server} runs {label(a.server)} {why}, so no fix picks the virtual IP", "MODEL")
        return None
    how = "the 1998 Q169113 hotfix applied" if not has("fix", a.server) else f"{label(a.server)}, which carries the Q169113 fix"
    vips = a.cluster.virtual_ips
    server = a.connector.server
    if len(vips) == 1:
        a.note(f"With {how}, {server}'s MTA sends from the virtual IP {vips[0]}, not {a.host}'s own address", "MODEL")
        return _Chosen(vips[0])
    ip = vips[a.turn % len(vips)]
    a.note(f"With {how}, {server}'s MTA sends from a virtual IP of {a.cluster.virtual_name}, not {a.host}'s own address", "MODEL")
    a.note(
        f"The transport uses each of {server}'s virtual IPs, {', '.join(vips)}; taken in turn (the turns are a model "
        f"assumption), this try sends from {ip}",
        "DOC Q197378",
        "multi-vip-all-used",
    )
    return _Chosen(ip)


def _own_name(a: _Ask) -> _Chosen | None:
    s = a.world.scenario
    if s.hostname_stack != "sender" or a.connector.stack != "hostname":
        return None
    server = a.connector.server
    ip = a.cluster.virtual_ip if a.cluster is not None else s.host(a.server.host).primary
    a.note(
        f"{server}'s Stack tab names a remote host, so its MTA sends from the address of its own server name {server}, {ip} "
        "(hypothesis S, one of two readings of why Remote host name works)",
        "HYPOTHESIS S",
    )
    return _Chosen(ip)


def _inaddr_any(a: _Ask) -> _Chosen:
    server = a.connector.server
    own = a.world.scenario.host(a.host).addresses
    ip = own[0]
    card = f"{a.host}'s card" if len(a.held) > 1 else f"{a.host}'s card, {ip}"
    a.note(
        f"{server}'s socket is unbound (INADDR_ANY), so NT chooses: the route to {a.destination} leaves by {card}",
        "DOC Q175396",
        "weak-end-system",
    )
    if len(a.held) > len(own):
        vips = [v for v in a.held if v not in own]
        first = " (the first of its own addresses: a model assumption)" if len(own) > 1 else ""
        a.note(
            f"On the active cluster node NT answers with {a.host}'s own IP {ip}{first}, not the virtual IP {', '.join(vips)}",
            "DOC Q169113",
            "inaddr-any-node-ip",
        )
    elif len(own) > 1:
        a.note(f"The card holds {', '.join(own)}: NT takes the first, {ip}", "MODEL")
    return _Chosen(ip)


SOURCE_RULES: tuple[SourceRule, ...] = (
    Rule(
        "override",
        "DOC Q197378",
        "the connector's Stack IP Address Override registry value, if set and the build reads it (2431 and later)",
        _override,
        claim="override-from-address",
    ),
    Rule("fix", "MODEL", "a virtual IP, if the server is clustered and its MTA carries the Q169113 fix (several: in turn)", _fix),
    Rule(
        "own-name", "HYPOTHESIS S", "under hypothesis S, a host-name Stack: the address of the MTA's own server name", _own_name
    ),
    Rule(
        "inaddr-any",
        "DOC Q175396",
        "otherwise INADDR_ANY: the address of the adapter on the route; on a cluster node its own IP, not the virtual IP",
        _inaddr_any,
        claim="weak-end-system",
    ),
)
"""The sender's rules in order: run by :func:`choose_source`, printed by the notebooks."""


def choose_source(world: World, c: Connector, destination: str, *, turn: int = 0) -> Source:
    """The source address ``c``'s MTA presents on a connection to ``destination`` made now: the first rule that decides.

    ``turn`` counts the earlier tries of ``c``'s server that presented a virtual IP by the fix, so
    a server with several virtual IPs sends from them in turn (DOMAIN.md section 9).
    """
    host = world.mta_host(c.server)
    ask = _Ask(
        world,
        c,
        world.scenario.server(c.server),
        host,
        world.addresses(host),
        world.cluster_of_server(c.server),
        destination,
        turn,
    )
    for rule in SOURCE_RULES:
        chosen = rule.run(ask)
        if chosen is not None:
            return Source(rule.name, chosen.address, tuple(ask.notes))
    raise AssertionError("SOURCE_RULES ends with a rule that always decides")
