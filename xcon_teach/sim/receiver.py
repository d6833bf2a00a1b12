"""The receiver's rule: does the MTA find a connector for the caller? (DOMAIN.md section 5)

The documented algorithm (Q189345, Q193380, Q197378) as a sequence of named stages. When an
inbound association arrives on its TCP stack, the receiving MTA:

1. ``address``: compares the caller's IP with the Address of every local IP-type connector;
   equal means found;
2. ``event-address``: otherwise logs Event 9301 with the caller's IP as 8 hex digits;
3. ``reverse-*``: reverse-resolves the caller's IP (HOSTS, DNS PTR, [MODEL] node status);
4. ``names``: a name equal (any case) to the Address of a host-name connector means found;
5. ``event-name``: otherwise logs a second 9301 with the first name in hex (the IP if no name was
   found) and refuses.

Which events appear depends on the build (Q189345, Q234962): before 2354 (RTM, SP1) both; 2354
to 2620 (SP2) none at all; 2621 and later (SP3, SP4) only the second.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..scenario import BUILDS, Connector
from ..scenario.names import fold
from .eventlog import event_9301_text, hex_of_ip, hex_of_name, stack_dn
from .resolve import REVERSE_SOURCES, reverse_lookup
from .trace import Note, Outcome
from .world import World

__all__ = ["STAGES", "LookupResult", "StageResult", "find_connector", "logs_address_event", "logs_name_event"]

STAGES = (
    ("address", "DOC Q193380", "compare the caller's IP with the Address of every local IP-type connector: equal means found"),
    ("event-address", "DOC Q189345", "builds before 2354 log Event 9301 with the caller's IP as 8 hex digits"),
    *REVERSE_SOURCES,
    (
        "names",
        "DOC Q189345",
        "compare each name with the Address of every local host-name connector (any case): equal means found",
    ),
    (
        "event-name",
        "DOC Q189345",
        "builds before 2354 and from 2621 log Event 9301 with the first name in hex (the IP if none); refuse",
    ),
)
"""The receiver's stages in order, as (stage, basis, what it does): what a notebook shows."""

_SILENT_FROM, _SECOND_ONLY_FROM = 2354, 2621


def logs_address_event(build: str) -> bool:
    """Builds before 2354 log the first, harmless 9301 (Q189345)."""
    return BUILDS[build].number < _SILENT_FROM


def logs_name_event(build: str) -> bool:
    """Builds before 2354, and from 2621 on, log the second 9301; 2354 to 2620 log none."""
    n = BUILDS[build].number
    return n < _SILENT_FROM or n >= _SECOND_ONLY_FROM


@dataclass(frozen=True, slots=True)
class StageResult:
    stage: str
    note: Note
    compared: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    outcome: Outcome | None = None
    connector: str | None = None
    event: tuple[str, str, str] | None = None
    """(network address, text, what was encoded) of an Event 9301 logged at this stage."""


@dataclass(frozen=True, slots=True)
class LookupResult:
    stages: tuple[StageResult, ...]
    found: Connector | None


def _list(items: tuple[str, ...]) -> str:
    return ", ".join(items) if items else "none"


def find_connector(world: World, receiver: str, caller: str) -> LookupResult:
    """Run the receiver's lookup for an association from ``caller`` (an IP)."""
    s = world.scenario
    server = s.server(receiver)
    build = BUILDS[server.build]
    local = [c for c in s.connectors if c.server == receiver]
    dn = stack_dn(s.org, server.site, receiver)
    out: list[StageResult] = []

    def add(stage: str, text: str, basis: str, **kw: object) -> None:
        kind = "event" if stage.startswith("event") else "lookup"
        out.append(StageResult(stage, Note(kind=kind, actor=receiver, text=text, basis=basis), **kw))  # type: ignore[arg-type]

    # 1. the caller's address against every IP-type connector
    by_ip = tuple(c.address for c in local if c.stack == "ip")
    match = next((c for c in local if c.stack == "ip" and c.address == caller), None)
    if match is not None:
        add(
            "address",
            f"{receiver} compares the caller's address {caller} with its connectors' IP addresses ({_list(by_ip)}): "
            f"match, the connector to {match.remote}",
            "DOC Q193380",
            compared=by_ip,
            outcome="found",
            connector=match.label,
        )
        return LookupResult(tuple(out), match)
    add(
        "address",
        f"{receiver} compares the caller's address {caller} with its connectors' IP addresses ({_list(by_ip)}): no match",
        "DOC Q193380",
        compared=by_ip,
        outcome="not found",
    )

    # 2. the first, harmless event
    if logs_address_event(server.build):
        hexed = hex_of_ip(caller)
        add(
            "event-address",
            f"{receiver} logs Event 9301: network address {hexed} = {caller}",
            "DOC Q189345",
            event=(hexed, event_9301_text(hexed, dn), caller),
        )
    else:
        why = "logs no 9301 at all" if not logs_name_event(server.build) else "no longer logs this first 9301"
        add("event-address", f"{receiver} runs {build.label} (build {build.number}), which {why}", "DOC Q189345")

    # 3. reverse lookup of the caller's address
    names, asked = reverse_lookup(world, receiver, caller)
    for stage, note in asked:
        out.append(StageResult(stage, note, names=names if note is asked[-1][1] else ()))

    # 4. the names against every host-name connector
    by_name = tuple(c.address for c in local if c.stack == "hostname")
    match = next((c for n in names for c in local if c.stack == "hostname" and fold(c.address) == fold(n)), None)
    shown = _list(names) if names else "no names"
    if match is not None:
        add(
            "names",
            f"{receiver} compares {shown} with its connectors' host names ({_list(by_name)}): "
            f"match, the connector to {match.remote}",
            "DOC Q189345",
            compared=by_name,
            names=names,
            outcome="found",
            connector=match.label,
        )
        return LookupResult(tuple(out), match)
    add(
        "names",
        f"{receiver} compares {shown} with its connectors' host names ({_list(by_name)}): no match",
        "DOC Q189345",
        compared=by_name,
        names=names,
        outcome="not found",
    )

    # 5. the second event, and the refusal that follows
    if logs_name_event(server.build):
        if names:
            hexed, decoded, logged = hex_of_name(names[0]), repr(names[0]), names[0]
        else:
            hexed, decoded, logged = hex_of_ip(caller), caller, caller
        add(
            "event-name",
            f"{receiver} logs Event 9301: network address {hexed} = {decoded}",
            "DOC Q189345",
            names=names,
            outcome="not found",
            event=(hexed, event_9301_text(hexed, dn), logged),
        )
    else:
        add(
            "event-name",
            f"{receiver} runs {build.label} (build {build.number}): builds 2354 to 2620 log no 9301, "
            "so this refusal leaves no trace",
            "DOC Q189345",
            names=names,
            outcome="not found",
        )
    return LookupResult(tuple(out), None)
