"""One connection attempt as a record: the view of a trace that every reader of "an attempt" uses.

An *attempt* is one try of a connector's MTA to open an association (DOMAIN.md section 9): it
starts at an ``attempt`` step, is decided at once (accepted, refused, or failed before any MTA
looked), and ends with the steps it leads to: deliveries on the association, or the retry or NDR
that follows a failure, or a failover dropping the association. Every step of it carries the same
``serial`` in its :class:`~.steps.Connection`; :func:`group_attempts` gathers them, in one pass.
What happened is data here (``outcome``, ``failure``, the addresses), not prose to re-read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from .compact import Attempts, Repeat, Steps
from .eventlog import Event
from .steps import Connection, Failure, Step

__all__ = ["Attempt", "AttemptOutcome", "Seen", "group_attempts", "repeat_of"]

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


def group_attempts(steps: Steps) -> Attempts[Attempt]:
    """The attempts of a run, in the order they were made, from its steps.

    Repeated attempts of a :class:`~.compact.Steps` stay repetitions: each is made when read.
    """
    raw = steps.raw()
    members: dict[int, list[tuple[int, Step]]] = {}
    order: list[int | tuple[int, Repeat]] = []
    for start, segment in raw:
        if isinstance(segment, Repeat):
            order.append((start, segment))
            continue
        for offset, step in enumerate(segment):
            if step.connection is not None:
                serial = step.connection.serial
                if serial not in members:
                    members[serial] = []
                    order.append(serial)
                members[serial].append((start + offset, step))
    made = {serial: _attempt(serial, found) for serial, found in members.items()}
    parts: list[list[Attempt] | tuple[list[Attempt], Repeat, int, tuple[int, ...]]] = []
    run: list[Attempt] = []
    for item in order:
        if isinstance(item, int):
            run.append(made[item])
        else:
            parts.append(run)
            run = []
            start, repeat = item
            templates = [made[t.serial] for t in repeat.templates]
            parts.append((templates, repeat, start, tuple(range(len(templates)))))
    parts.append(run)
    return Attempts(parts, repeat_of)


def _attempt(serial: int, found: list[tuple[int, Step]]) -> Attempt:
    decided, step = next((i, st) for i, st in found if _decides(st))
    cx = step.connection
    assert cx is not None
    first = found[0][1]
    return Attempt(
        serial=serial,
        connector=cx.connector,
        number=cx.attempt,
        time=first.time,
        active=first.active,
        messages=cx.messages,
        steps=tuple(i for i, _ in found),
        decided=decided,
        outcome="accepted" if cx.phase == "accepted" else "refused" if cx.phase == "refused" else "failed",
        failure=cx.failure,
        connection=cx,
        events=tuple(e for i, st in found if i <= decided for e in st.events),
        dropped=any(st.kind == "drop" for _, st in found),
    )


def repeat_of(template: Attempt, repeat: Repeat, start: int, r: int, j: int) -> Attempt:
    """Template ``j``'s repetition in round ``r`` of ``repeat``, whose steps begin at index ``start``."""
    first = start + r * repeat.width + repeat.offsets()[j]
    t, number, serial = repeat.made(r, j)
    return dataclasses.replace(
        template,
        serial=serial,
        number=number,
        time=t,
        steps=tuple(range(first, first + len(repeat.templates[j].steps))),
        decided=first + template.decided - template.steps[0],
        connection=dataclasses.replace(template.connection, serial=serial, attempt=number),
        events=tuple(dataclasses.replace(e, time=t) for e in template.events),
    )


def _decides(step: Step) -> bool:
    return step.kind in ("accept", "refuse") or (step.connection is not None and step.connection.phase == "failed")
