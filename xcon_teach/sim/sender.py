"""The sender's rule: which source address does the MTA present? (DOMAIN.md section 4)

:data:`SOURCE_RULES` is the rule, as a table :func:`choose_source` runs top to bottom; the first
row that decides gives the source address of the connection:

1. ``override``: the connector's ``Stack IP Address Override``, if set and the build reads it
   (:mod:`.builds`), bound before connecting; it must be an address the host running the MTA
   holds now, or the bind fails ("address not available") [MODEL];
2. ``fix``: the virtual server's IP, if the build has the Q169113 fix and the server is clustered
   [MODEL: Microsoft only says the bug was "corrected"];
3. ``inaddr-any``: otherwise the socket is unbound (``INADDR_ANY``) and NT 4 answers with the
   primary (first) address of the card of the host running the MTA: the active node's own IP
   (Q169113).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..scenario import Cluster, Connector, Server
from .builds import build_of, has, has_fix
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
    notes: list[Note] = field(default_factory=list)

    def note(self, text: str, basis: str) -> None:
        self.notes.append(Note(kind="present", actor=self.connector.server, text=text, basis=basis))


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
            f"{c.server} runs {build_of(a.server).label}, which ignores Stack IP Address Override (added in SP1)", "DOC Q255991"
        )
        return None
    if ip in a.held:
        a.note(f"{c.server} binds its Stack IP Address Override {ip} before connecting, so it presents {ip}", "DOC Q197378")
        return _Chosen(ip)
    a.note(
        f"{c.server} tries to bind its Stack IP Address Override {ip}, but {a.host} does not hold it now "
        "(address not available): the attempt fails",
        "MODEL",
    )
    return _Chosen(None)


def _fix(a: _Ask) -> _Chosen | None:
    if a.cluster is None or not has_fix(a.server):
        return None
    build = build_of(a.server)
    how = "the Q169113 hotfix applied" if not has("fix", a.server) else f"{build.label}, which includes the Q169113 fix"
    a.note(f"With {how}, {a.connector.server}'s MTA presents the virtual IP {a.cluster.virtual_ip}", "MODEL")
    return _Chosen(a.cluster.virtual_ip)


def _inaddr_any(a: _Ask) -> _Chosen:
    ip, server = a.held[0], a.connector.server
    text = f"{server}'s socket is unbound (INADDR_ANY): NT picks {a.host}'s primary address {ip}"
    if a.cluster is not None:
        text += f", not the virtual IP {a.cluster.virtual_ip}"
    a.note(text, "DOC Q169113")
    return _Chosen(ip)


SOURCE_RULES: tuple[SourceRule, ...] = (
    Rule(
        "override",
        "DOC Q197378",
        "the connector's Stack IP Address Override registry value, if set and the build has it (SP1 on)",
        _override,
    ),
    Rule("fix", "MODEL", "the virtual IP, if the build has the Q169113 fix and the server is clustered", _fix),
    Rule(
        "inaddr-any", "DOC Q169113", "otherwise INADDR_ANY: NT picks the primary address of the host running the MTA", _inaddr_any
    ),
)
"""The sender's rules in order: run by :func:`choose_source`, printed by the notebooks."""


def choose_source(world: World, c: Connector) -> Source:
    """The source address ``c``'s MTA presents on a connection made now: the first rule that decides."""
    host = world.mta_host(c.server)
    ask = _Ask(world, c, world.scenario.server(c.server), host, world.addresses(host), world.cluster_of_server(c.server))
    for rule in SOURCE_RULES:
        chosen = rule.run(ask)
        if chosen is not None:
            return Source(rule.name, chosen.address, tuple(ask.notes))
    raise AssertionError("SOURCE_RULES ends with a rule that always decides")
