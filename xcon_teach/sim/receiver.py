"""The receiver's rule: does the MTA find a connector for the caller, and does it accept? (DOMAIN.md section 5)

The documented algorithm (Q189345, Q193380, Q197378) is :data:`STAGES`, a table that
:func:`find_connector` runs top to bottom until a stage finds a connector. When an inbound
association arrives on its TCP stack, the receiving MTA:

1. ``address``: compares the caller's IP with the Address of every local IP-type connector;
   equal means found;
2. ``event-address``: otherwise logs Event 9301 with the caller's IP as 8 hex digits;
3. ``reverse-*``: reverse-resolves the caller's IP (:data:`.resolve.REVERSE_SOURCES`: HOSTS,
   DNS PTR, [MODEL] node status);
4. ``names``: a name equal (any case) to the Address of a host-name connector means found;
5. ``event-name``: otherwise logs a second 9301 with the first name in hex (the IP if no name was
   found) and refuses.

Which events appear depends on the build (:mod:`.builds`): RTM and SP1 log both, SP2 and builds
from 2621 on only the second, other builds of 2354 to 2620 none. :func:`decide` is the whole
decision, accept or refuse, that the simulation and the live lab's MTA both call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..scenario import Connector, Server
from ..scenario.names import fold
from . import resolve
from .builds import has, label, rule_for, silent
from .eventlog import event_9301_text, hex_of_ip, hex_of_name, stack_dn
from .rules import Rule
from .steps import Failure, Note, Outcome, StepKind
from .world import World

__all__ = ["STAGES", "Decision", "LookupResult", "StageResult", "decide", "find_connector"]


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


@dataclass(slots=True)
class _Lookup:
    """One connector lookup under way: what the stages read, and what they have found so far."""

    world: World
    receiver: str
    caller: str
    server: Server
    local: list[Connector]
    dn: str
    out: list[StageResult] = field(default_factory=list)
    names: tuple[str, ...] = ()
    found: Connector | None = None

    def add(self, stage: str, text: str, basis: str, claim: str = "", **kw: object) -> None:
        kind: StepKind = "event" if stage.startswith("event") else "lookup"
        note = Note(kind=kind, actor=self.receiver, text=text, basis=basis, claim=claim)
        self.out.append(StageResult(stage, note, **kw))  # type: ignore[arg-type]

    def build(self) -> str:
        return label(self.server)


def _list(items: tuple[str, ...]) -> str:
    return ", ".join(items) if items else "none"


def _compare_address(k: _Lookup) -> None:
    by_ip = tuple(c.address for c in k.local if c.stack == "ip")
    match = next((c for c in k.local if c.stack == "ip" and c.address == k.caller), None)
    head = f"{k.receiver} compares the caller's address {k.caller} with its connectors' IP addresses ({_list(by_ip)})"
    if match is not None:
        k.add(
            "address",
            f"{head}: match, the connector to {match.remote}",
            "DOC Q193380",
            "compare-stack-address",
            compared=by_ip,
            outcome="found",
            connector=match.label,
        )
        k.found = match
    else:
        k.add("address", f"{head}: no match", "DOC Q193380", "compare-stack-address", compared=by_ip, outcome="not found")


def _event_address(k: _Lookup) -> None:
    if has("first event", k.server):
        hexed = hex_of_ip(k.caller)
        k.add(
            "event-address",
            f"{k.receiver} logs Event 9301: network address {hexed} = {k.caller}",
            "DOC Q189345",
            "first-9301",
            event=(hexed, event_9301_text(hexed, k.dn), k.caller),
        )
        return
    second = rule_for("second event", k.server)
    if second is None:
        text = f"{k.receiver} runs {k.build()}: some builds between 2354 and 2620 log no Event 9301 at all (which ones: a model assumption)"
        k.add("event-address", text, "DOC Q234962", "9301-silent-builds")
    else:
        text = f"{k.receiver} runs {k.build()}, which logs only the second Event 9301, and only when it refuses"
        k.add("event-address", text, second.basis, second.claim)


def _reverse(k: _Lookup) -> None:
    names, asked = resolve.reverse_lookup(k.world, k.receiver, k.caller)
    for stage, note in asked:
        k.out.append(StageResult(stage, note, names=names if note is asked[-1][1] else ()))
    k.names = names


def _compare_names(k: _Lookup) -> None:
    by_name = tuple(c.address for c in k.local if c.stack == "hostname")
    match = next((c for n in k.names for c in k.local if c.stack == "hostname" and fold(c.address) == fold(n)), None)
    head = f"{k.receiver} compares {_list(k.names) if k.names else 'no names'} with its connectors' host names ({_list(by_name)})"
    if match is not None:
        k.add(
            "names",
            f"{head}: match, the connector to {match.remote}",
            "DOC Q189345",
            "name-match",
            compared=by_name,
            names=k.names,
            outcome="found",
            connector=match.label,
        )
        k.found = match
    else:
        k.add("names", f"{head}: no match", "DOC Q189345", "name-match", compared=by_name, names=k.names, outcome="not found")


def _event_name(k: _Lookup) -> None:
    if silent(k.server):
        text = f"{k.receiver} runs {k.build()}, one of the builds that log no Event 9301: this refusal leaves no trace"
        k.add("event-name", text, "DOC Q234962", "9301-silent-builds", names=k.names, outcome="not found")
        return
    if k.names:
        hexed, decoded, logged = hex_of_name(k.names[0]), repr(k.names[0]), k.names[0]
    else:
        hexed, decoded, logged = hex_of_ip(k.caller), k.caller, k.caller
    k.add(
        "event-name",
        f"{k.receiver} logs Event 9301: network address {hexed} = {decoded}",
        "DOC Q189345",
        "second-9301",
        names=k.names,
        outcome="not found",
        event=(hexed, event_9301_text(hexed, k.dn), logged),
    )


Stage = Rule[Callable[[_Lookup], None]]

STAGES: tuple[Stage, ...] = (
    Rule(
        "address",
        "DOC Q193380",
        "compare the caller's IP with the Address of every local IP-type connector: equal means found",
        _compare_address,
        claim="compare-stack-address",
    ),
    Rule(
        "event-address",
        "DOC Q189345",
        "no match: Event 9301 with the caller's IP as 8 hex digits (RTM, SP1; later builds: see the build table)",
        _event_address,
        claim="first-9301",
    ),
    Rule(
        "reverse", "DOC Q193380", "reverse-resolve the caller's IP", _reverse, claim="reverse-order", rows=resolve.REVERSE_SOURCES
    ),
    Rule(
        "names",
        "DOC Q189345",
        "compare each name found with the Address of every local host-name connector (any case): equal means found",
        _compare_names,
        claim="name-match",
    ),
    Rule(
        "event-name",
        "DOC Q189345",
        "no match: a second Event 9301 (the first name found in hex, else the IP), and the association is refused",
        _event_name,
        claim="second-9301",
    ),
)
"""The receiver's stages in order: run by :func:`find_connector` until one finds a connector."""


def find_connector(world: World, receiver: str, caller: str) -> LookupResult:
    """Run the receiver's lookup for an association from ``caller`` (an IP)."""
    s = world.scenario
    server = s.server(receiver)
    k = _Lookup(
        world, receiver, caller, server, [c for c in s.connectors if c.server == receiver], stack_dn(s.org, server.site, receiver)
    )
    for stage in STAGES:
        stage.run(k)
        if k.found is not None:
            break
    return LookupResult(tuple(k.out), k.found)


@dataclass(frozen=True, slots=True)
class Decision:
    """What a receiving MTA does with an inbound association: the lookup, and accept or refuse."""

    receiver: str
    lookup: LookupResult
    accepted: bool
    failure: Failure | None
    """``no connector``, or ``wrong MTA`` when it found one but is not the MTA the caller wanted."""
    wanted: str
    """The MTA the caller asked for."""

    def note(self, sender: str, carrying: str) -> Note:
        """The step that announces the decision; ``carrying`` names the messages that would transfer."""
        found = self.lookup.found
        if self.accepted:
            assert found is not None
            text = f"{self.receiver} accepts the association (connector to {found.remote} found): {carrying} will transfer"
            return Note(kind="accept", actor=self.receiver, text=text, basis="DOC Q189345", claim="accepted-when-found")
        if self.failure == "wrong MTA":
            text = (
                f"{self.receiver} found a connector, but it is not {self.wanted}: wrong remote MTA, so it refuses the association"
            )
            return Note(kind="refuse", actor=self.receiver, text=text, basis="MODEL")
        text = f"{self.receiver} refuses the association; {sender}, the sender with the backlog, logs nothing"
        return Note(kind="refuse", actor=self.receiver, text=text, basis="DOC Q193380", claim="refusal-silent-sender")


def decide(world: World, receiver: str, caller: str, wanted: str) -> Decision:
    """Accept or refuse an association from ``caller`` (an IP) that asks for the MTA ``wanted``.

    The receiver accepts when its lookup finds a connector and it is the MTA the caller wants (a
    caller that reached another MTA is refused: wrong remote MTA, DOMAIN.md section 9).
    """
    lookup = find_connector(world, receiver, caller)
    accepted = lookup.found is not None and fold(wanted) == fold(receiver)
    failure: Failure | None = None if accepted else ("wrong MTA" if lookup.found is not None else "no connector")
    return Decision(receiver, lookup, accepted, failure, wanted)
