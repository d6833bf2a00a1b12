"""The sender's rule: which source address does the MTA present? (DOMAIN.md section 4)

For each outbound connection, in this order:

1. the connector's ``Stack IP Address Override``, if set and the build has the feature (Q197378;
   SP1 and later per Q255991), bound before connecting; it must be an address the host running
   the MTA holds now, or the bind fails ("address not available") [MODEL];
2. the virtual server's IP, if the build has the Q169113 fix and the server is clustered [MODEL:
   Microsoft only says the bug was "corrected"];
3. otherwise the socket is unbound (``INADDR_ANY``) and NT 4 answers with the primary (first)
   address of the card of the host running the MTA: the active node's own IP (Q169113).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..scenario import BUILDS, Connector
from .trace import Note
from .world import World

__all__ = ["SOURCE_RULES", "Source", "choose_source", "has_override_feature"]

SOURCE_RULES = (
    ("override", "DOC Q197378", "the connector's Stack IP Address Override registry value, if set and the build has it (SP1 on)"),
    ("fix", "MODEL", "the virtual IP, if the build has the Q169113 fix and the server is clustered"),
    ("inaddr-any", "DOC Q169113", "otherwise INADDR_ANY: NT picks the primary address of the host running the MTA"),
)
"""The sender's rules in order, as (name, basis, what it picks): what a notebook shows."""


def has_override_feature(build: str) -> bool:
    """Stack IP Address Override works from SP1 on (Q255991; Q197378 says SP2)."""
    return BUILDS[build].number >= BUILDS["sp1"].number


@dataclass(frozen=True, slots=True)
class Source:
    rule: str
    """Which rule of SOURCE_RULES decided."""
    address: str | None
    """The source address; None when the bind failed."""
    notes: tuple[Note, ...]


def choose_source(world: World, c: Connector) -> Source:
    """The source address ``c``'s MTA presents on a connection made now."""
    server = world.scenario.server(c.server)
    host = world.mta_host(c.server)
    held = world.addresses(host)
    cluster = world.cluster_of_server(c.server)
    notes: list[Note] = []

    def note(text: str, basis: str) -> None:
        notes.append(Note(kind="present", actor=c.server, text=text, basis=basis))

    if c.stack_ip_override is not None:
        if has_override_feature(server.build):
            ip = c.stack_ip_override
            if ip in held:
                note(f"{c.server} binds its Stack IP Address Override {ip} before connecting, so it presents {ip}", "DOC Q197378")
                return Source("override", ip, tuple(notes))
            note(
                f"{c.server} tries to bind its Stack IP Address Override {ip}, but {host} does not hold it now "
                "(address not available): the attempt fails",
                "MODEL",
            )
            return Source("override", None, tuple(notes))
        note(
            f"{c.server} runs {BUILDS[server.build].label}, which ignores Stack IP Address Override (added in SP1)", "DOC Q255991"
        )
    if cluster is not None and server.has_fix:
        build = BUILDS[server.build]
        how = (
            "the Q169113 hotfix applied"
            if build.number < BUILDS["sp2"].number
            else f"{build.label}, which includes the Q169113 fix"
        )
        note(f"With {how}, {c.server}'s MTA presents the virtual IP {cluster.virtual_ip}", "MODEL")
        return Source("fix", cluster.virtual_ip, tuple(notes))
    ip = held[0]
    if cluster is not None:
        text = (
            f"{c.server}'s socket is unbound (INADDR_ANY): NT picks {host}'s primary address {ip}, "
            f"not the virtual IP {cluster.virtual_ip}"
        )
    else:
        text = f"{c.server}'s socket is unbound (INADDR_ANY): NT picks {host}'s primary address {ip}"
    note(text, "DOC Q169113")
    return Source("inaddr-any", ip, tuple(notes))
