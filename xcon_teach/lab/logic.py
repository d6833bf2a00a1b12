"""The lab's decisions that need no widgets: what to ask, how to grade it, how two runs differ.

Kept pure (no ipywidgets) so it is tested directly and the widget callbacks stay two lines long.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..scenario import Connector, Scenario
from ..sim import Step, Trace, compact
from ..sim.compact import Repeat
from ..sim.steps import NOTABLE_KINDS

__all__ = [
    "INTERESTING",
    "Difference",
    "Focus",
    "address_after_stack_change",
    "decisive_step",
    "first_difference",
    "focus",
    "grade",
    "interesting_frames",
    "outcomes",
]

INTERESTING = NOTABLE_KINDS
"""Step kinds the "next event" and "previous event" buttons always stop at (the core's table); they
also stop where an attempt failed before any MTA looked (:attr:`xcon_teach.sim.Step.notable`)."""


@dataclass(frozen=True, slots=True)
class Focus:
    """The connection a prediction is about: the first connector sent from a cluster, if any."""

    connector: Connector
    choices: tuple[str, ...]
    """Addresses the receiver might see: the sender's own, its nodes' and the virtual IP."""

    @property
    def sender(self) -> str:
        return self.connector.server

    @property
    def receiver(self) -> str:
        return self.connector.remote

    @property
    def address_question(self) -> str:
        return f"Which address will {self.receiver} see when {self.sender} connects?"

    @property
    def found_question(self) -> str:
        return f"Will {self.receiver} find its connector for {self.sender}?"


def focus(s: Scenario) -> Focus | None:
    """What to ask about in ``s``: the first connector whose sender is clustered, else the first."""
    if not s.connectors:
        return None
    clustered = [c for c in s.connectors if s.cluster_of(c.server) is not None]
    connector = (clustered or list(s.connectors))[0]
    cluster = s.cluster_of(connector.server)
    if cluster is not None:
        choices = (*(a for n in cluster.nodes for a in s.host(n).addresses), cluster.virtual_ip)
    else:
        choices = s.host(s.server(connector.server).host).addresses
    return Focus(connector, choices)


@dataclass(frozen=True, slots=True)
class Grade:
    right: bool
    text: str


def grade(trace: Trace, f: Focus, address: str | None, found: bool | None) -> Grade:
    """Check a learner's prediction against the first attempt on the focus connector, with a one-line why."""
    mine = trace.attempts(f.connector.label)
    if not mine:
        return Grade(False, f"{f.sender} never tried to connect in this run, so there is nothing to check.")
    first = mine[0]
    steps = [s for s in trace.steps_of(first) if s.kind != "deliver"]
    present = next((s for s in steps if s.kind == "present" and s.connection and s.connection.wire), None)
    seen = first.presented
    accepted = first.outcome == "accepted"
    verdicts = []
    right = True
    if address is not None:
        if seen is None:
            right = False
            verdicts.append(f"{f.receiver} never saw {f.sender}: {steps[-1].text}")
        else:
            ok = address == seen
            right &= ok
            how = present.text if present else ""
            verdicts.append(f"{'right' if ok else 'wrong'}: {f.receiver} sees {seen}" + (f" ({how})" if how else ""))
    if found is not None:
        ok = found == accepted
        right &= ok
        outcome = "finds its connector and accepts" if accepted else "finds no connector and refuses"
        if seen is None:
            outcome = "never gets the chance to look"
        verdicts.append(f"{'right' if ok else 'wrong'}: {f.receiver} {outcome}")
    if not verdicts:
        return Grade(False, "Choose an address or an answer first.")
    return Grade(right, "; ".join(verdicts))


@dataclass(frozen=True, slots=True)
class Difference:
    index: int
    before: Step | None
    after: Step | None

    def describe(self) -> str:
        def one(step: Step | None) -> str:
            return f"[{step.kind}] {step.text}" if step else "(the run had already ended)"

        return f"first difference at step {self.index + 1}: before {one(self.before)}; now {one(self.after)}"


def first_difference(before: Trace, after: Trace) -> Difference | None:
    """The first step where two runs differ (time, actor, kind or text), or None if they are the same."""
    i = compact.first_difference(before.steps, after.steps)
    if i is not None:
        return Difference(i, before.steps[i], after.steps[i])
    if len(before.steps) != len(after.steps):
        i = min(len(before.steps), len(after.steps))
        return Difference(i, before.steps[i] if i < len(before.steps) else None, after.steps[i] if i < len(after.steps) else None)
    return None


def outcomes(trace: Trace, *, listed: int = 8) -> str:
    """Each message's status (``m1 ndr; m2 delivered``), or, for more than ``listed`` messages, how
    many ended each way (``5,000 messages: 5,000 ndr``).

    >>> from xcon_teach import load_scenario, simulate
    >>> outcomes(simulate(load_scenario("kb-q169113")))
    'm1 ndr; m2 delivered'
    >>> outcomes(simulate(load_scenario("kb-q169113")), listed=1)
    '2 messages: 1 ndr, 1 delivered'
    """
    if len(trace.messages) <= listed:
        return "; ".join(f"{m.id} {m.status}" for m in trace.messages)
    counts: dict[str, int] = {}
    for m in trace.messages:
        counts[m.status] = counts.get(m.status, 0) + 1
    return f"{len(trace.messages):,} messages: " + ", ".join(f"{n:,} {status}" for status, n in counts.items())


def decisive_step(trace: Trace, f: Focus | None) -> int | None:
    """The step where the focus connector's first attempt is decided (accepted, refused or failed)."""
    mine = trace.attempts(f.connector.label) if f is not None else ()
    return mine[0].decided if mine else None


def interesting_frames(trace: Trace, frame_steps: Sequence[int]) -> list[int]:
    """Positions in ``frame_steps`` whose step is a refusal, a 9301, a delivery, an NDR, an acceptance or a failover.

    With every step as a frame, a stored repetition of an attempt is read once (its notable steps
    sit at the same places in each repetition), not expanded step by step.
    """
    steps = trace.steps
    if frame_steps == range(len(steps)):
        out: list[int] = []
        for start, segment in steps.raw():
            if isinstance(segment, Repeat):
                width = segment.width
                marks = [j for j, st in enumerate(segment.chunk(0)) if st.notable]
                out.extend(start + k * width + j for k in range(len(segment)) for j in marks)
            else:
                out.extend(i for i, st in enumerate(segment, start) if st.notable)
        return out
    return [k for k, i in enumerate(frame_steps) if steps.stored(i).notable]


def address_after_stack_change(s: Scenario, connector: Connector, stack: str, remembered_ip: str | None) -> str:
    """What the Address field holds after the Stack type is switched.

    Remote host name: the remote server's name, as Q169113's workaround says to enter. IP address:
    the IP this field held before (or the remote server's claimed address).
    """
    if stack == "hostname":
        return connector.remote
    if remembered_ip:
        return remembered_ip
    cluster = s.cluster_of(connector.remote)
    return cluster.virtual_ip if cluster else s.host(s.server(connector.remote).host).primary
