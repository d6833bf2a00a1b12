"""The records a run is made of: :class:`Step`, and the :class:`Connection` and :class:`Lookup` it carries.

A step says what happened (``kind``, ``actor``, one line of ``text``), on what authority
(``basis``: ``DOC Qnnnnnn`` for a Knowledge Base article, ``MODEL`` for our own assumption), and
carries the state a picture needs (who owns each virtual IP, the connection in flight, the lookup
stage, the queues, the events just logged), so drawing never re-derives a rule. Every step of one
connection attempt carries the attempt's ``serial`` in its :class:`Connection`, which is how
:mod:`.attempts` groups them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .eventlog import Event

__all__ = [
    "Connection",
    "Failure",
    "Lookup",
    "Note",
    "Outcome",
    "Phase",
    "Step",
    "StepKind",
    "basis_label",
    "clock",
]

BASIS = re.compile(r"DOC (?:Q|KB)\d{6}|MODEL|HYPOTHESIS [SR]")
"""``DOC Qnnnnnn``: an article says it (the step names the claim of ``xcon_teach/sources.toml``);
``MODEL``: our assumption; ``HYPOTHESIS S`` or ``R``: one of the two readings of DOMAIN.md 5b."""

StepKind = Literal[
    "submit",
    "attempt",
    "resolve",
    "present",
    "firewall",
    "connect",
    "caller",
    "lookup",
    "event",
    "reverse",
    "accept",
    "refuse",
    "disconnect",
    "retry",
    "ndr",
    "deliver",
    "drop",
    "failover",
    "addresses",
    "unreached",
    "end",
]
"""What a step is about; a typo in a kind fails type-checking."""
NOTABLE_KINDS: frozenset[str] = frozenset({"accept", "refuse", "event", "deliver", "ndr", "failover", "drop"})
"""Kinds of step that always change what happens to the mail or what the Event Viewer holds; a
step of another kind is notable when it ends an attempt (a firewall drop, a refused TCP connect,
a name that does not resolve, a failed bind): see :attr:`Step.notable`."""

Outcome = Literal["found", "not found"]
Phase = Literal["resolving", "connecting", "connected", "lookup", "accepted", "refused", "failed", "open", "dropped", "done"]
Failure = Literal["unresolved", "bind failed", "firewall", "no host", "no MTA", "no connector", "wrong MTA"]
"""Why an attempt carried no mail: the name did not resolve, the override could not be bound, the
firewall dropped it, no host holds the destination, no MTA listens there (these fail before any MTA
looks), or the receiving MTA refused: no connector for the caller, or it is not the MTA the
caller wanted (wrong remote MTA)."""


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

    >>> basis_label("DOC Q169113"), basis_label("MODEL"), basis_label("HYPOTHESIS S")
    ('documented (KB Q169113)', 'model assumption', 'hypothesis S (one of two readings; not documented)')
    """
    if basis == "MODEL":
        return "model assumption"
    if basis.startswith("HYPOTHESIS"):
        return f"hypothesis {basis[-1]} (one of two readings; not documented)"
    return f"documented (KB {basis.removeprefix('DOC ').removeprefix('KB')})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """One application of one rule, before it is placed in time: what a rule module returns."""

    kind: StepKind
    actor: str
    text: str
    basis: str
    claim: str = ""
    """For a DOC basis: the claim of the source register (``xcon_teach/sources.toml``) it applies."""

    def __post_init__(self) -> None:
        if not BASIS.fullmatch(self.basis):
            raise ValueError(f"basis must be 'DOC Qnnnnnn', 'MODEL' or 'HYPOTHESIS S|R', got {self.basis!r}")
        if self.basis.startswith("DOC") != bool(self.claim):
            raise ValueError(
                f"a DOC basis names its claim of sources.toml, and only a DOC basis does ({self.basis!r}, {self.claim!r})"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection:
    """An association attempt or an open association, as far as it has got."""

    serial: int
    """The attempt's number in the run (1, 2, 3...): every step of one attempt carries the same."""
    connector: str
    """The sender's connector, as ``SENDER->REMOTE``."""
    sender: str
    remote: str
    attempt: int
    """Which attempt on this connector this is (1 for the first; it starts again when the queue empties)."""
    from_host: str
    """The host whose card the connection leaves from (the active node for a cluster)."""
    claimed: str
    """The address Exchange Administrator knows the sender by (the virtual IP on a cluster)."""
    wire: str | None = None
    """The source address the socket really carried; None before it is chosen or if bind failed."""
    source_rule: str | None = None
    """The row of the sender's SOURCE_RULES that chose ``wire`` (``override``, ``fix``, ``own-name``, ``inaddr-any``)."""
    destination: str | None = None
    """The IP connected to; None while a name is being resolved or if it did not resolve."""
    asked: tuple[str, ...] = ()
    """The name servers the sender asked to find ``destination`` (``"dns"``, ``"wins"``), in order."""
    to_host: str | None = None
    """The host that holds ``destination`` now, or None."""
    receiver: str | None = None
    """The server whose MTA answered, or None."""
    messages: tuple[str, ...] = ()
    """The messages this attempt carries, by id."""
    phase: Phase = "resolving"
    failure: Failure | None = None
    """Why the attempt carried no mail, once it is known (``phase`` is then refused or failed)."""


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
    kind: StepKind
    text: str
    basis: str
    claim: str = ""
    """For a DOC basis: the register's claim (``docs/sources.md``) the step applies."""
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

    @property
    def notable(self) -> bool:
        """Whether this step is an event a learner jumps to: an outcome, a 9301, a failover, or where an attempt failed."""
        failed = self.connection is not None and self.connection.phase == "failed" and self.kind != "retry"
        return self.kind in NOTABLE_KINDS or failed

    def line(self) -> str:
        """The step as one line of the transcript."""
        return f"{clock(self.time)}  {self.actor:<8} {self.kind:<10} {self.text}  [{self.basis}]"

    def to_dict(self) -> dict[str, object]:
        return {
            "time": self.time,
            "kind": self.kind,
            "actor": self.actor,
            "text": self.text,
            "basis": self.basis,
            "claim": self.claim or None,
        }
