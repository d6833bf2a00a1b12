"""What the model expects the network to show of a message's first attempt: the live lab's model side.

The live lab (:mod:`xcon_teach.live`) replays each message's first attempt on a real kernel and
sets what it saw beside this, and the recorded table of notebook 07 is checked against it, so
both read the same pure query of a trace. No sockets here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .attempts import Seen
from .eventlog import Event
from .trace import Trace
from .world import World

__all__ = ["Expectation", "expect"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Expectation:
    """What the model expects the network to show of a message's first attempt (the live lab's model side)."""

    time: float | None
    """When the attempt is made; None when the run ends before it is."""
    active: tuple[tuple[str, str], ...]
    """(cluster, active node) at that attempt."""
    destination: str | None
    source: str | None
    """The address on the wire; None when the bind failed or nothing was sent."""
    rule: str | None
    """The sender's rule that chose it (``override``, ``fix``, ``own-name``, ``inaddr-any``): what the live lab binds."""
    outcome: Seen
    why: str
    """A few words on a failure: ``firewall drop``, ``no host holds 10.0.1.99``..."""
    events: tuple[Event, ...]

    @property
    def shown(self) -> str:
        return f"{self.outcome} ({self.why})" if self.why else self.outcome

    def to_dict(self) -> dict[str, object]:
        return {
            "time": self.time,
            "destination": self.destination,
            "source": self.source,
            "outcome": self.outcome,
            "why": self.why,
            "events": [{"server": e.server, "network_address": e.network_address, "text": e.text} for e in self.events],
        }


def expect(trace: Trace, message: str) -> Expectation:
    """The first attempt that carries ``message`` (an id), as the network would show it.

    >>> from xcon_teach import load_scenario, simulate
    >>> e = expect(simulate(load_scenario("kb-q169113"), until=0), "m1")
    >>> e.source, e.shown, len(e.events)
    ('10.0.1.11', 'refused', 2)
    """
    first = trace.first_attempt(message)
    if first is None:
        submitted = trace.scenario.messages[trace.messages.index(trace.message(message))].at
        active = tuple(World.at(trace.scenario, submitted).active.items())
        return Expectation(
            time=None,
            active=active,
            destination=None,
            source=None,
            rule=None,
            outcome="not attempted",
            why="before the run ended",
            events=(),
        )
    outcome, why = first.seen_from_the_network
    cx = first.connection
    return Expectation(
        time=first.time,
        active=first.active,
        destination=cx.destination,
        source=cx.wire,
        rule=cx.source_rule,
        outcome=outcome,
        why=why,
        events=first.events,
    )
