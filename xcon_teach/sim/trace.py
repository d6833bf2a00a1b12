"""The trace: immutable :class:`Step` records, and what a run ended with.

A step says what happened (``kind``, ``actor``, one line of ``text``), on what authority
(``basis``: ``DOC Qnnnnnn`` for a Knowledge Base article, ``MODEL`` for our own assumption), and
carries the state a picture needs (who owns each virtual IP, the connection in flight, the lookup
stage, the queues, the events just logged), so drawing never re-derives a rule.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .eventlog import Event

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["Connection", "Lookup", "MessageOutcome", "Note", "Step", "Trace", "basis_label", "clock"]

BASIS = re.compile(r"DOC Q\d{6}|MODEL")

Outcome = Literal["found", "not found"]
Phase = Literal["resolving", "connecting", "connected", "lookup", "accepted", "refused", "failed", "open", "dropped", "done"]
Status = Literal["delivered", "queued", "ndr"]


def clock(seconds: float) -> str:
    """Simulated time as ``HH:MM:SS`` (hours run past 24), with tenths only when needed.

    >>> clock(0), clock(86400), clock(2.5)
    ('00:00:00', '24:00:00', '00:00:02.5')
    """
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    frac = seconds - whole
    tail = f"{frac:.1f}"[1:] if round(frac, 1) not in (0.0, 1.0) else ""
    return f"{h:02d}:{m:02d}:{s:02d}{tail}"


def basis_label(basis: str) -> str:
    """How a basis reads to a learner.

    >>> basis_label("DOC Q169113"), basis_label("MODEL")
    ('documented (KB Q169113)', 'model assumption')
    """
    return "model assumption" if basis == "MODEL" else f"documented (KB {basis.removeprefix('DOC ')})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """One application of one rule, before it is placed in time: what a rule module returns."""

    kind: str
    actor: str
    text: str
    basis: str

    def __post_init__(self) -> None:
        if not BASIS.fullmatch(self.basis):
            raise ValueError(f"basis must be 'DOC Qnnnnnn' or 'MODEL', got {self.basis!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection:
    """An association attempt or an open association, as far as it has got."""

    connector: str
    """The sender's connector, as ``SENDER->REMOTE``."""
    sender: str
    remote: str
    attempt: int
    """Which attempt on this connector this is (1 for the first)."""
    max_attempts: int
    """1 + the connector's max open retries."""
    from_host: str
    """The host whose card the connection leaves from (the active node for a cluster)."""
    claimed: str
    """The address Exchange Administrator knows the sender by (the virtual IP on a cluster)."""
    wire: str | None = None
    """The source address the socket really carried; None before it is chosen or if bind failed."""
    destination: str | None = None
    """The IP connected to; None while a name is being resolved or if it did not resolve."""
    to_host: str | None = None
    """The host that holds ``destination`` now, or None."""
    receiver: str | None = None
    """The server whose MTA answered, or None."""
    phase: Phase = "resolving"


@dataclass(frozen=True, slots=True, kw_only=True)
class Lookup:
    """Where the receiver is in its connector lookup (DOMAIN.md section 5)."""

    receiver: str
    caller: str
    """The caller's IP (the TCP source address)."""
    stage: str
    """A stage name from ``xcon_teach.sim.receiver.STAGES``."""
    compared: tuple[str, ...] = ()
    """The connector addresses the caller was compared with at this stage."""
    names: tuple[str, ...] = ()
    """Names the reverse lookup has found so far."""
    outcome: Outcome | None = None
    """Set at comparing stages, and carried on once the lookup has decided."""
    connector: str | None = None
    """The connector that was found."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One step of a trace."""

    time: float
    actor: str
    kind: str
    text: str
    basis: str
    active: tuple[tuple[str, str], ...] = ()
    """(cluster, active node) for every cluster: who owns each virtual IP now."""
    queues: tuple[tuple[str, int], ...] = ()
    """(connector label, messages waiting) for every connector, in file order."""
    connection: Connection | None = None
    lookup: Lookup | None = None
    events: tuple[Event, ...] = ()
    """Events logged at this step."""
    message: str | None = None
    """The message this step is about (submit, deliver, NDR), by id."""
    next_attempt: float | None = None
    """On a retry step: when the connector tries again."""

    @property
    def basis_label(self) -> str:
        return basis_label(self.basis)

    def line(self) -> str:
        """The step as one line of the transcript."""
        return f"{clock(self.time)}  {self.actor:<8} {self.kind:<10} {self.text}  [{self.basis}]"

    def to_dict(self) -> dict[str, object]:
        return {"time": self.time, "kind": self.kind, "actor": self.actor, "text": self.text, "basis": self.basis}


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

    def __len__(self) -> int:
        return len(self.steps)

    def message(self, id: str) -> MessageOutcome:
        for m in self.messages:
            if m.id == id:
                return m
        raise KeyError(id)

    def to_dict(self) -> dict[str, object]:
        """The JSON result of DESIGN.md (``xcon-teach run --json``)."""
        return {
            "title": self.scenario.title,
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

        ``on the wire`` is the source address of the last attempt; ``presented`` is what a
        receiving MTA saw, "-" when no MTA saw it (a firewall drop, say).
        """
        rows = [("id", "route", "status", "attempts", "when", "on the wire", "presented")]
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
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
