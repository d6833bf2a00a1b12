"""One connection attempt as a record: the view of a trace that every reader of "an attempt" uses.

An *attempt* is one try of a connector's MTA to open an association (DOMAIN.md section 9): it
starts at an ``attempt`` step, is decided at once (accepted, refused, or failed before any MTA
looked), and ends with the steps it leads to: deliveries on the association, or the retry or NDR
that follows a failure, or a failover dropping the association. Every step of it carries the same
``serial`` in its :class:`~.steps.Connection`; :func:`group_attempts` gathers them, in one pass.
What happened is data here (``outcome``, ``failure``, the addresses), not prose to re-read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .eventlog import Event
from .steps import Connection, Failure, Step

__all__ = ["Attempt", "AttemptOutcome", "Seen", "group_attempts"]

AttemptOutcome = Literal["accepted", "refused", "failed"]
Seen = Literal["accepted", "refused", "unresolved", "bind failed", "unreachable", "no MTA", "not attempted"]
"""An attempt as an observer of the network can tell it (the live lab's words for the model's side)."""

_WHY: dict[str, tuple[Seen, str]] = {
    "unresolved": ("unresolved", "no address for the name"),
    "bind failed": ("bind failed", ""),
    "firewall": ("unreachable", "firewall drop"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """One connection attempt of a run."""

    serial: int
    """Its number in the run, from 1, in the order attempts were made."""
    connector: str
    """The sender's connector, ``SENDER->REMOTE``."""
    number: int
    """Its number on the connector (``attempt N of at most M``; starts again when the queue empties)."""
    time: float
    active: tuple[tuple[str, str], ...]
    """(cluster, active node) for every cluster when it was made."""
    messages: tuple[str, ...]
    """The messages it carried, by id."""
    steps: tuple[int, ...]
    """Indices into ``trace.steps`` of every step of the attempt, in order."""
    decided: int
    """Index of the step that decided it: the acceptance, the refusal, or the failure."""
    outcome: AttemptOutcome
    failure: Failure | None
    """Why it carried no mail (None when accepted)."""
    connection: Connection
    """The connection as it stood when the attempt was decided: addresses, hosts, receiver."""
    events: tuple[Event, ...]
    """The Event 9301 entries logged while it was looked up."""
    dropped: bool
    """Accepted, but a failover dropped the association before every message was across."""

    @property
    def sender(self) -> str:
        return self.connection.sender

    @property
    def remote(self) -> str:
        return self.connection.remote

    @property
    def wire(self) -> str | None:
        """The source address the socket carried; None when nothing was sent (bind failed, no address)."""
        return self.connection.wire

    @property
    def presented(self) -> str | None:
        """The source address a listening MTA saw (None when no MTA accepted the TCP connection)."""
        return self.connection.wire if self.connection.receiver is not None else None

    @property
    def seen_from_the_network(self) -> tuple[Seen, str]:
        """(result, why) as an observer of the network can tell it (the live lab's words).

        ``accepted``, ``refused``, ``unresolved``, ``bind failed``, ``unreachable`` (a firewall
        drop, or no host holds the address) or ``no MTA`` (a host, but nothing listens on port 102).
        """
        if self.outcome != "failed":
            return self.outcome, ""
        assert self.failure is not None
        if self.failure in _WHY:
            return _WHY[self.failure]
        cx = self.connection
        if self.failure == "no host":
            return "unreachable", f"no host holds {cx.destination}"
        return "no MTA", f"{cx.to_host} runs none"


def group_attempts(steps: tuple[Step, ...]) -> tuple[Attempt, ...]:
    """The attempts of a run, in the order they were made, from its steps."""
    members: dict[int, list[int]] = {}
    for i, step in enumerate(steps):
        if step.connection is not None:
            members.setdefault(step.connection.serial, []).append(i)
    out = []
    for serial, indices in members.items():
        decided = next(i for i in indices if _decides(steps[i]))
        cx = steps[decided].connection
        assert cx is not None
        first = steps[indices[0]]
        out.append(
            Attempt(
                serial=serial,
                connector=cx.connector,
                number=cx.attempt,
                time=first.time,
                active=first.active,
                messages=cx.messages,
                steps=tuple(indices),
                decided=decided,
                outcome="accepted" if cx.phase == "accepted" else "refused" if cx.phase == "refused" else "failed",
                failure=cx.failure,
                connection=cx,
                events=tuple(e for i in indices if i <= decided for e in steps[i].events),
                dropped=any(steps[i].kind == "drop" for i in indices),
            )
        )
    return tuple(out)


def _decides(step: Step) -> bool:
    return step.kind in ("accept", "refuse") or (step.connection is not None and step.connection.phase == "failed")
