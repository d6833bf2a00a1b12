"""What one frame shows, as plain data: the "portrayal" of a trace step (no matplotlib here).

``portray(view, index)`` turns step ``index`` of a trace into a :class:`Portrayal`: the texts of
every label and panel and a small style record for the connection. The picture only copies these
values onto its artists, and the lab's HTML panels read the same record, so what the figure says
and what the panels say cannot drift apart. Colour is never the only cue: each status has an
Okabe-Ito colour, a line style and a symbol (found = solid and a check mark, not found = dashed
and a cross, in progress = dotted and an ellipsis).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Literal

from ..sim import Step, Trace, basis_label, builds, clock
from ..sim.eventlog import Event
from ..sim.simulate import tries

__all__ = ["OKABE_ITO", "STATUS", "Arrow", "Mark", "Portrayal", "Status", "TraceView", "portray"]

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}


@dataclass(frozen=True, slots=True)
class Status:
    """How a status looks: colour, line style and symbol, so colour is never the only cue."""

    name: str
    color: str
    linestyle: Literal["-", "--", ":"]
    symbol: str
    words: str


STATUS = {
    "pending": Status("pending", OKABE_ITO["blue"], ":", "…", "in progress"),
    "found": Status("found", OKABE_ITO["bluish green"], "-", "✔", "found"),
    "not found": Status("not found", OKABE_ITO["vermillion"], "--", "✖", "not found"),
}

LOOKUP_STAGE_NAMES = {
    "address": "compare the caller's address",
    "event-address": "Event 9301 (the address)",
    "reverse-hosts": "reverse lookup: HOSTS file",
    "reverse-ptr": "reverse lookup: DNS PTR",
    "reverse-node-status": "reverse lookup: NetBIOS node status",
    "names": "compare the caller's names",
    "event-name": "Event 9301 (the name)",
}


@dataclass(frozen=True, slots=True)
class Arrow:
    """The connection in flight: from a host's box to a host's box (or to the firewall, or nowhere)."""

    from_host: str
    to_host: str | None
    """None when the destination IP is held by no host."""
    toward: str | None
    """The remote server's MTA host, for an arrow that ends nowhere or at the firewall."""
    stops_at_firewall: bool
    status: Status
    label: str
    """What is connected to: ``TCP 102 (RFC 1006) to 10.0.0.10``."""


@dataclass(frozen=True, slots=True)
class Mark:
    """The outcome so far, shown beside the box where it happened."""

    text: str
    status: Status
    at_host: str | None
    """The box it stands under; None: at the end of the arrow (a firewall drop)."""


@dataclass(frozen=True, slots=True)
class Portrayal:
    index: int
    total: int
    clock: str
    kind: str
    narration: tuple[str, ...]
    """The step's text, wrapped to at most three lines."""
    basis: str
    basis_text: str
    documented: bool
    active: tuple[tuple[str, str], ...]
    arrow: Arrow | None
    route: tuple[str, str] | None
    """(sender's MTA host, remote's MTA host now): where the connection runs, arrow or not yet."""
    claimed: str | None
    wire: str | None
    wire_differs: bool
    mark: Mark | None
    lookup: str | None
    event_server: str | None
    event_lines: tuple[str, ...]
    """The newest three Event 9301 entries, newest first: ``00:10:00   0A00010B = 10.0.1.11``."""
    event_note: str
    queue_lines: tuple[str, ...]
    frame: int | None = None
    """Position in a storyboard, when the portrayal is of a storyboard frame."""
    frames: int = 0

    @property
    def narration_text(self) -> str:
        return " ".join(self.narration)


class TraceView:
    """A trace with, for every step, what has happened so far (computed once, in one pass)."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        s = trace.scenario
        labels = [c.label for c in s.connectors]
        self.events_so_far: list[int] = []
        self.tallies: list[dict[str, tuple[int, int, int, float | None, bool]]] = []
        """connector -> (delivered, returned, last attempt number, next try time, association open) after each step."""
        delivered = dict.fromkeys(labels, 0)
        returned = dict.fromkeys(labels, 0)
        attempt: dict[str, int] = dict.fromkeys(labels, 0)
        next_try: dict[str, float | None] = dict.fromkeys(labels, None)
        is_open: dict[str, bool] = dict.fromkeys(labels, False)
        route = {(c.server, c.remote): c.label for c in s.connectors}
        messages = {m.id: m for m in trace.messages}
        count = 0
        snapshot: dict[str, tuple[int, int, int, float | None, bool]] | None = None
        for step in trace.steps:
            count += len(step.events)
            changed = True
            if step.kind == "deliver" and step.message:
                m = messages[step.message]
                label = route[(m.sender, m.recipient)]
                delivered[label] += 1
                is_open[label] = is_open[label] and dict(step.queues)[label] > 0
            elif step.kind == "accept" and step.connection:
                is_open[step.connection.connector] = True
            elif step.kind == "drop" and step.connection:
                is_open[step.connection.connector] = False
            elif step.kind == "ndr" and step.message:
                m = messages[step.message]
                returned[route[(m.sender, m.recipient)]] += 1
            elif step.kind == "attempt" and step.connection:
                attempt[step.connection.connector] = step.connection.attempt
                next_try[step.connection.connector] = None
            elif step.kind == "retry" and step.connection:
                next_try[step.connection.connector] = step.next_attempt
            else:
                changed = snapshot is None
            if changed or snapshot is None:
                snapshot = {k: (delivered[k], returned[k], attempt[k], next_try[k], is_open[k]) for k in labels}
            self.events_so_far.append(count)
            self.tallies.append(snapshot)

    def __len__(self) -> int:
        return len(self.trace.steps)

    def events_until(self, index: int) -> tuple[Event, ...]:
        return self.trace.event_log[: self.events_so_far[index]]


def _status_of(step: Step) -> Status:
    cx, lk = step.connection, step.lookup
    if step.kind in ("deliver", "accept"):
        return STATUS["found"]
    if cx is not None and cx.phase in ("refused", "failed", "dropped"):
        return STATUS["not found"]
    if lk is not None and lk.outcome == "found":
        return STATUS["found"]
    if lk is not None and lk.outcome == "not found" and lk.stage in ("names", "event-name"):
        return STATUS["not found"]
    return STATUS["pending"]


def _mark(step: Step, status: Status) -> Mark | None:
    cx, lk = step.connection, step.lookup
    if cx is None:
        return None
    at = cx.to_host or cx.from_host
    kind = step.kind
    if kind == "deliver":
        return Mark(f"✔ {step.message} delivered", STATUS["found"], at)
    if kind == "accept":
        return Mark("✔ association accepted", status, at)
    if kind == "drop":
        return Mark("✖ association dropped by the failover", STATUS["not found"], at)
    if kind == "ndr":
        return Mark(f"✖ {step.message} returned (NDR)", STATUS["not found"], cx.from_host)
    if cx.phase == "failed":
        if cx.destination is None:
            return Mark("✖ name does not resolve", status, cx.from_host)
        if cx.wire is None:
            return Mark("✖ cannot bind the override address", status, cx.from_host)
        if step.kind == "firewall":
            return Mark("✖ dropped by the firewall", status, None)
        if cx.to_host is None:
            return Mark(f"✖ no host at {cx.destination}", status, cx.from_host)
        return Mark(f"✖ no MTA listening on {cx.destination}", status, cx.to_host)
    if cx.phase == "refused" or kind == "retry":
        return Mark("✖ connector not found: refused" if cx.phase == "refused" else "✖ attempt failed", STATUS["not found"], at)
    if lk is not None:
        if lk.outcome == "found":
            return Mark("✔ connector found", status, at)
        if lk.outcome == "not found" and lk.stage in ("names", "event-name"):
            return Mark("✖ connector not found", status, at)
        if lk.outcome == "not found":
            return Mark(f"✖ no connector for {lk.caller}", STATUS["not found"], at)
    return None


def _arrow(step: Step, status: Status) -> Arrow | None:
    cx = step.connection
    if cx is None or cx.destination is None or cx.wire is None:
        return None
    firewall = step.kind == "firewall" and cx.phase == "failed"
    if step.kind in ("attempt", "resolve", "present") and cx.phase != "failed":
        return None  # nothing on the wire yet
    return Arrow(
        from_host=cx.from_host,
        to_host=None if firewall else cx.to_host,
        toward=cx.to_host,
        stops_at_firewall=firewall,
        status=status,
        label=f"TCP 102 (RFC 1006) to {cx.destination}",
    )


def portray(view: TraceView, index: int, *, caption: str | None = None, frame: int | None = None, frames: int = 0) -> Portrayal:
    """The portrayal of step ``index``; ``caption`` replaces the narration (a storyboard summary)."""
    trace = view.trace
    s = trace.scenario
    step = trace.steps[index]
    status = _status_of(step)
    cx, lk = step.connection, step.lookup
    claimed = wire = None
    route = None
    if cx is not None:
        active = dict(step.active)
        remote_cluster = s.cluster_of(cx.remote)
        route = (cx.from_host, active[remote_cluster.name] if remote_cluster else s.server(cx.remote).host)
        cluster = s.cluster_of(cx.sender)
        what = f"virtual IP of {cluster.virtual_name}" if cluster else f"{cx.sender}'s address"
        claimed = f"claimed: {cx.claimed} ({what})"
        if cx.wire is not None:
            wire = f"on the wire: {cx.wire}"
    lookup = None
    if lk is not None:
        lookup = f"{lk.receiver}: {LOOKUP_STAGE_NAMES.get(lk.stage, lk.stage)}"
        if lk.stage.startswith("reverse") and lk.names:
            lookup += f" -> {', '.join(lk.names)}"
    events = view.events_until(index)
    server = lk.receiver if lk else (events[-1].server if events else (cx.receiver if cx and cx.receiver else None))
    shown = [e for e in events if e.server == server]
    lines = tuple(f"{clock(e.time)}   {e.network_address} = {e.decoded}" for e in reversed(shown[-3:]))
    if server is None:
        note = "no Event 9301 logged yet"
    else:
        sv = s.server(server)
        note = f"{len(shown)} event{'s' if len(shown) != 1 else ''} in all; {server} runs {builds.label(sv)}"
        if not shown:
            note = f"no Event 9301 on {server}; it runs {builds.label(sv)}"
            if builds.silent(sv):
                note += ", which logs none"
    tallies = view.tallies[index]
    queue_lines = []
    for c, (label, waiting) in zip(s.connectors, step.queues, strict=True):
        d, r, attempt, next_try, open_now = tallies[label]
        queue_lines.append(f"{c.server} -> {c.remote}: {waiting} waiting, {d} delivered, {r} NDR")
        if waiting and open_now:
            queue_lines.append("      association open: transferring")
        elif waiting and attempt:
            when = f", next try {clock(next_try)}" if next_try is not None else ""
            queue_lines.append(f"      attempt {attempt} of {tries(c)}{when}")
    text = caption or step.text
    return Portrayal(
        index=index,
        total=len(trace.steps),
        clock=clock(step.time),
        kind=step.kind,
        narration=tuple(textwrap.wrap(text, 130, max_lines=3, placeholder=" …")),
        basis=step.basis,
        basis_text=basis_label(step.basis),
        documented=step.basis != "MODEL",
        active=step.active,
        arrow=_arrow(step, status),
        route=route,
        claimed=claimed,
        wire=wire,
        wire_differs=bool(cx and cx.wire and cx.wire != cx.claimed),
        mark=_mark(step, status),
        lookup=lookup,
        event_server=server,
        event_lines=lines,
        event_note=note,
        queue_lines=tuple(queue_lines),
        frame=frame,
        frames=frames,
    )
