"""The trace: what ``simulate`` returns, the steps of a run and what each message ended as.

Its records are in :mod:`.steps`; :meth:`Trace.attempts` groups the steps into connection
attempts (:mod:`.attempts`), the view every reader of "one attempt" uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ..text import columns
from .attempts import Attempt, group_attempts
from .eventlog import Event
from .steps import Step, clock

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["MessageOutcome", "Status", "Trace"]

Status = Literal["delivered", "queued", "ndr"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageOutcome:
    """How a message ended: delivered, still queued at the end of the run, or returned (NDR)."""

    id: str
    sender: str
    recipient: str
    status: Status
    attempts: int
    delivered_at: float | None = None
    returned_at: float | None = None
    presented_address: str | None = None
    """The source IP the receiving MTA saw on the last attempt that reached one."""
    wire_address: str | None = None
    """The source IP of the last attempt that got as far as choosing one, even if dropped (not in the JSON)."""

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "from": self.sender,
            "to": self.recipient,
            "status": self.status,
            "attempts": self.attempts,
            "delivered_at": self.delivered_at,
            "presented_address": self.presented_address,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Trace:
    """What ``simulate`` returns: the steps, the message outcomes and every event logged."""

    scenario: Scenario = field(repr=False)
    until: float
    steps: tuple[Step, ...]
    messages: tuple[MessageOutcome, ...]
    event_log: tuple[Event, ...]
    _attempts: tuple[Attempt, ...] | None = field(default=None, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.steps)

    def attempts(self, connector: str | None = None) -> tuple[Attempt, ...]:
        """Every connection attempt of the run, in order (only ``connector``'s, ``SENDER->REMOTE``, if given).

        >>> from xcon_teach import load_scenario, simulate
        >>> first = simulate(load_scenario("kb-q169113"), until=0).attempts("EXCLUS->EXA")[0]
        >>> first.outcome, first.failure, first.presented, first.messages
        ('refused', 'no connector', '10.0.1.11', ('m1',))
        """
        if self._attempts is None:
            object.__setattr__(self, "_attempts", group_attempts(self.steps))
        assert self._attempts is not None
        if connector is None:
            return self._attempts
        return tuple(a for a in self._attempts if a.connector == connector)

    def first_attempt(self, message: str) -> Attempt | None:
        """The first attempt that carried ``message`` (an id), or None if it was never tried."""
        return next((a for a in self.attempts() if message in a.messages), None)

    def steps_of(self, attempt: Attempt) -> tuple[Step, ...]:
        """The steps of one attempt, in order."""
        return tuple(self.steps[i] for i in attempt.steps)

    def message(self, id: str) -> MessageOutcome:
        for m in self.messages:
            if m.id == id:
                return m
        raise KeyError(id)

    def to_dict(self) -> dict[str, object]:
        """The JSON result of DESIGN.md (``xcon-teach run --json``)."""
        return {
            "title": self.scenario.title,
            "hypothesis": self.scenario.hostname_stack,
            "messages": [m.to_dict() for m in self.messages],
            "event_log": [e.to_dict() for e in self.event_log],
            "steps": [s.to_dict() for s in self.steps],
        }

    def to_json(self) -> str:
        """``to_dict()`` as stable JSON text: keys in contract order, two-space indent."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        """The transcript: one line a step."""
        return "".join(s.line() + "\n" for s in self.steps)

    def outcome_table(self) -> str:
        """A small table of message outcomes, for notebooks and the lab (no trailing newline).

        ``on the wire`` is the source address of the last attempt; ``receiver saw`` is what a
        receiving MTA saw, "-" when no MTA saw it (a firewall drop, say).
        """
        rows = [("id", "route", "status", "attempts", "when", "on the wire", "receiver saw")]
        for m in self.messages:
            when = m.delivered_at if m.delivered_at is not None else m.returned_at
            rows.append(
                (
                    m.id,
                    f"{m.sender}->{m.recipient}",
                    m.status,
                    str(m.attempts),
                    clock(when) if when is not None else "-",
                    m.wire_address or "-",
                    m.presented_address or "-",
                )
            )
        return columns(rows)
