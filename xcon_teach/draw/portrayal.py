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

from ..scenario import Scenario
from ..sim import Connection, Step, Trace, basis_label, builds, clock
from ..sim.simulate import tries
from .sofar import SoFar

__all__ = [
    "OKABE_ITO",
    "STATUS",
    "TEXT",
    "Arrow",
    "Check",
    "Checklist",
    "Envelope",
    "Mark",
    "Portrayal",
    "Query",
    "Status",
    "TraceView",
    "portray",
]

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


TEXT = {
    "blue": "#0072B2",
    "bluish green": "#007A5A",
    "vermillion": "#B34700",
    "reddish purple": "#A5487F",
}
"""Darker shades of the Okabe-Ito hues for text on a light background: at least 4.5:1 contrast (WCAG AA).
Lines and swatches keep :data:`OKABE_ITO` itself."""


@dataclass(frozen=True, slots=True)
class Status:
    """How a status looks: colour, line style and symbol, so colour is never the only cue."""

    name: str
    color: str
    linestyle: Literal["-", "--", ":"]
    symbol: str
    words: str
    text: str = "#000000"
    """The colour for text in this status (a darker shade of ``color``, readable on white)."""


STATUS = {
    "pending": Status("pending", OKABE_ITO["blue"], ":", "…", "in progress", TEXT["blue"]),
    "found": Status("found", OKABE_ITO["bluish green"], "-", "✔", "found", TEXT["bluish green"]),
    "not found": Status("not found", OKABE_ITO["vermillion"], "--", "✖", "not found", TEXT["vermillion"]),
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

NBSP = "\u00a0"
"""Keeps "build 1960" on one line when a panel wraps its note."""

CHECK_STAGES = ("address", "reverse-hosts", "reverse-ptr", "reverse-node-status", "names")
"""The rows of the receiver's lookup checklist, in the order the receiver runs them."""
CHECK_LABELS = {
    "address": "IP match",
    "reverse-hosts": "HOSTS",
    "reverse-ptr": "DNS PTR",
    "reverse-node-status": "node status",
    "names": "name match",
}

HYPOTHESES = {
    "sender": ("hypothesis S", "hypothesis S: the sender sends from its server's address"),
    "receiver": ("hypothesis R", "hypothesis R: the receiver finds the caller by name"),
}


@dataclass(frozen=True, slots=True)
class Arrow:
    """The connection in flight, drawn along its route on the network graph."""

    from_host: str
    to_host: str | None
    """The host the route ends at; None when the destination IP is held by no host."""
    toward: str | None
    """The remote server's MTA host, for a route that ends short of it (the firewall, nobody there)."""
    stops_at_firewall: bool
    status: Status
    label: str
    """What is connected to: ``TCP 102 (RFC 1006) to 10.0.0.10``."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """The packet itself, a small labelled card on the route: what it is, and source -> destination."""

    text: str
    """Two lines: what the packet is (``SYN to port 102``, ``CR: RFC 1006 connect``), then ``src -> dst``."""
    status: Status
    hop: int | None
    """Where it is: 0 in the sender's site, 1 at the router (or the firewall); None: where the step leaves it."""


@dataclass(frozen=True, slots=True)
class Query:
    """A name query on the wire: the receiver's (or the sender's) short trip to a name server or to the caller."""

    origin: str
    """The host that asks."""
    target: str
    """``"dns"``, ``"wins"``, or the host asked (a NetBIOS node status request goes to the caller)."""
    text: str
    """Two lines: the question, then the answer (``DNS PTR? 10.0.1.11`` / ``-> none``)."""


@dataclass(frozen=True, slots=True)
class Check:
    """One row of the lookup checklist."""

    stage: str
    state: Literal["found", "not found", "answer", "skipped", "pending"]
    text: str

    @property
    def symbol(self) -> str:
        return {"found": "✔", "not found": "✖", "answer": "→", "skipped": "–", "pending": "…"}[self.state]


@dataclass(frozen=True, slots=True)
class Checklist:
    """The receiving MTA's connector lookup, stage by stage, as far as it has got."""

    receiver: str
    host: str
    """The receiver's MTA host (the checklist stands under its site)."""
    title: str
    rows: tuple[Check, ...]


@dataclass(frozen=True, slots=True)
class Mark:
    """The outcome so far, shown beside the box where it happened."""

    text: str
    status: Status
    at_host: str | None
    """The host in whose site it stands; None: at the firewall."""


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
    hypothesis: str = "sender"
    hypothesis_matters: bool = True
    """False when no step of the run can depend on the reading (IP stacks only, under S): the frame then does not name it."""
    envelope: Envelope | None = None
    query: Query | None = None
    checklist: Checklist | None = None
    frame: int | None = None
    """Position in a storyboard (0-based), when the portrayal is of a storyboard frame."""
    frames: int = 0
    connector: str | None = None
    """The connector of the attempt in view, if any (its queue is listed first)."""

    @property
    def narration_text(self) -> str:
        return " ".join(self.narration)

    @property
    def hypothesis_short(self) -> str:
        return HYPOTHESES[self.hypothesis][0]

    @property
    def hypothesis_text(self) -> str:
        return HYPOTHESES[self.hypothesis][1]

    @property
    def alt_text(self) -> str:
        """The frame in words, for an image's text alternative: clock, narration, addresses, outcome."""
        parts = [f"{self.clock}: {self.narration_text}"]
        parts += [x for x in (self.claimed, self.wire) if x]
        if self.mark:
            parts.append(self.mark.text)
        if self.checklist:
            parts.append(self.checklist.title + ": " + "; ".join(f"{r.symbol} {r.text}" for r in self.checklist.rows))
        parts.append(f"basis: {self.basis_text}")
        return ". ".join(parts)


class TraceView:
    """A trace with, for every step, what has happened so far (:class:`~.sofar.SoFar`, computed once)."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.so_far = SoFar(trace)

    def __len__(self) -> int:
        return len(self.trace.steps)


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
    """The outcome in a few words, where it happened; none while the lookup runs (the checklist shows it)."""
    cx = step.connection
    if cx is None:
        return None
    at = cx.to_host or cx.from_host
    kind = step.kind
    if kind == "deliver":
        return Mark(f"✔ {step.message} delivered", STATUS["found"], at)
    if kind == "accept":
        return Mark("✔ association accepted", status, at)
    if kind == "drop":
        return Mark("✖ failover dropped it", STATUS["not found"], at)
    if kind == "ndr":
        return Mark(f"✖ {step.message} returned (NDR)", STATUS["not found"], cx.from_host)
    if cx.phase == "failed":
        if cx.destination is None:
            return Mark("✖ name does not resolve", status, cx.from_host)
        if cx.wire is None:
            return Mark("✖ cannot bind the override", status, cx.from_host)
        if cx.failure == "firewall":
            return None  # the packet's envelope, stopped at the firewall, says so
        if cx.to_host is None:
            return Mark(f"✖ nobody at {cx.destination}", status, cx.from_host)
        return Mark(f"✖ no MTA on {cx.destination}", status, cx.to_host)
    if cx.phase == "refused":
        return Mark("✖ not found: refused", STATUS["not found"], at)
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


def _envelope(step: Step, status: Status, hop: int | None) -> Envelope | None:
    """The packet on the route: a SYN on its way (``hop``), then the RFC 1006 connect request, or where it stopped."""
    cx = step.connection
    if cx is None or cx.wire is None or cx.destination is None or step.kind not in ("connect", "firewall"):
        return None
    pair = f"{cx.wire} → {cx.destination}"
    if hop is not None:
        return Envelope(f"SYN to port 102\n{pair}", STATUS["pending"], hop)
    if step.kind == "firewall":
        if cx.failure != "firewall":
            return None  # let through: the connect step shows the packet
        return Envelope(f"✖ dropped by the firewall\n{pair}", STATUS["not found"], 1)
    if cx.phase == "failed":
        if cx.to_host is None:
            return Envelope(f"SYN ✖ nobody answers\n{pair}", STATUS["not found"], 1)
        return Envelope(f"SYN ✖ reset: no MTA\n{pair}", STATUS["not found"], None)
    return Envelope(f"CR: RFC 1006 connect\n{pair}", status, None)


def _query(step: Step) -> Query | None:
    """A name query this step puts on the wire (HOSTS is local and puts nothing)."""
    cx, lk = step.connection, step.lookup
    if cx is None:
        return None
    if step.kind == "resolve" and cx.asked:
        server = cx.asked[-1]
        question = f"{'DNS A' if server == 'dns' else 'WINS'}? {step.text.split(' looks up ', 1)[-1].split(':', 1)[0]}"
        answer = cx.destination if cx.destination and server == ("wins" if "WINS says" in step.text else "dns") else None
        return Query(cx.from_host, server, f"{question}\n→ {answer or 'no answer'}")
    if lk is None or cx.to_host is None:
        return None
    if lk.stage == "reverse-ptr":
        return Query(cx.to_host, "dns", f"DNS PTR? {lk.caller}\n→ {', '.join(lk.names) or 'none'}")
    if lk.stage == "reverse-node-status" and "NetBIOS is off" not in step.text and "nobody answers" not in step.text:
        return Query(cx.to_host, cx.from_host, f"node status? {lk.caller}\n→ {', '.join(lk.names) or 'no name'}")
    return None


def _hop_narration(s: Scenario, cx: Connection, hop: int, to_firewall: bool) -> str:
    """What a hop frame says: the SYN on its way, before the step that says where it arrives."""
    here = s.server(cx.sender).site
    if hop == 0:
        where = "towards the firewall" if to_firewall else f"out of {here}'s LAN"
        return f"{cx.sender}'s MTA sends a TCP SYN from {cx.wire} to {cx.destination}, port 102: it leaves {cx.from_host} {where}"
    there = s.server(cx.remote).site
    return f"The SYN from {cx.wire} leaves {here} through the router, on its way to {cx.destination} in {there}"


def _checklist(view: TraceView, index: int, hypothesis: str, matters: bool) -> Checklist | None:
    """The receiver's lookup of the attempt in view, stage by stage, up to step ``index``."""
    step = view.trace.steps[index]
    cx = step.connection
    if cx is None or cx.receiver is None or cx.to_host is None:
        return None
    seen = [i for i in view.so_far.lookups(cx.serial) if i <= index]
    if not seen:
        return None
    by_stage: dict[str, Step] = {}
    for i in seen:
        st = view.trace.steps[i]
        assert st.lookup is not None
        by_stage.setdefault(st.lookup.stage, st)
    last = view.trace.steps[seen[-1]].lookup
    assert last is not None
    decided = last.outcome is not None and (last.stage in ("names", "event-name") or last.outcome == "found")
    answered = any((hit := by_stage.get(stg)) and hit.lookup and hit.lookup.names for stg in CHECK_STAGES[1:4])
    first = by_stage.get("address")
    by_address = first is not None and first.lookup is not None and first.lookup.outcome == "found"
    rows = []
    for stage in CHECK_STAGES:
        label = CHECK_LABELS[stage]
        at = by_stage.get(stage)
        lk = at.lookup if at is not None else None
        if lk is None:
            done = decided or (answered and stage in CHECK_STAGES[1:4])
            why = "not needed" if by_address else "not asked"
            rows.append(Check(stage, "skipped" if done else "pending", f"{label}: {why}" if done else label))
        elif stage == "address":
            found = lk.outcome == "found"
            against = f" vs {', '.join(lk.compared)}" if lk.compared and not found else ""
            rows.append(Check(stage, "found" if found else "not found", f"{label}: {lk.caller}{against}"))
        elif stage == "names":
            wanted = {n.casefold() for n in lk.compared}
            matched = [n for n in lk.names if n.casefold() in wanted]
            if lk.outcome == "found" and matched:
                rows.append(Check(stage, "found", f"{label}: {matched[0]}"))
            else:
                against = f" vs {', '.join(lk.compared) or 'none'}"
                rows.append(Check(stage, "not found", f"{label}: {', '.join(lk.names) or 'no name'}{against}"))
        elif lk.names:
            mark = f" ({at.basis[-1]})" if at is not None and at.basis.startswith("HYPOTHESIS") else ""
            rows.append(Check(stage, "answer", f"{label}{mark}: {', '.join(lk.names)}"))
        else:
            why = "NetBIOS off" if at is not None and "NetBIOS is off" in at.text else "no name"
            why = "not there" if stage == "reverse-hosts" else ("none" if stage == "reverse-ptr" else why)
            rows.append(Check(stage, "not found", f"{label}: {why}"))
    receiver = cx.receiver
    title = f"{receiver}'s lookup ({HYPOTHESES[hypothesis][0]})" if matters else f"{receiver}'s connector lookup"
    return Checklist(receiver, cx.to_host, title, tuple(rows))


def portray(
    view: TraceView,
    index: int,
    *,
    caption: str | None = None,
    frame: int | None = None,
    frames: int = 0,
    hop: int | None = None,
) -> Portrayal:
    """The portrayal of step ``index``; ``caption`` replaces the narration (a storyboard summary);
    ``hop`` shows the packet of a connect step on its way (a storyboard's hop frame)."""
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
    if lk is not None or cx is not None:
        server = lk.receiver if lk is not None else cx.remote  # type: ignore[union-attr]
    else:
        latest = view.so_far.last_event(index)
        server = latest.server if latest is not None else None
    logged, shown = view.so_far.server_events(index, server)
    lines = tuple(f"{clock(e.time)}   {e.network_address} = {e.decoded}" for e in reversed(shown))
    if server is None:
        note = "no Event 9301 logged yet"
    else:
        sv = s.server(server)
        note = f"{logged} event{'s' if logged != 1 else ''} in all; {server} runs {builds.label(sv).replace(' ', NBSP)}"
        if not logged:
            note = f"no Event 9301 on {server} so far; it runs {builds.label(sv).replace(' ', NBSP)}"
            if builds.silent(sv):
                note += ", taken to log none (a model assumption; KB Q234962: some builds)"
    tallies = view.so_far.tally(index)
    queue_lines = []
    for c, (label, waiting) in zip(s.connectors, step.queues, strict=True):
        d, r, attempt, next_try, open_now = tallies[label]
        queue_lines.append(f"{c.server} -> {c.remote}: {waiting} waiting")
        state = f"{d} delivered, {r} NDR"
        if waiting and open_now:
            state += "; association open"
        elif waiting and attempt:
            state += f"; attempt {attempt} of {tries(c)}" + (f", next {clock(next_try)}" if next_try is not None else "")
        queue_lines.append(f"      {state}")
    envelope = _envelope(step, status, hop)
    matters = s.hostname_stack == "receiver" or any(c.stack == "hostname" for c in s.connectors)
    text = caption or step.text
    if hop is not None and cx is not None:
        text = _hop_narration(s, cx, hop, step.kind == "firewall")
    return Portrayal(
        index=index,
        total=len(trace.steps),
        clock=clock(step.time),
        kind=step.kind,
        narration=tuple(textwrap.wrap(text, 130, max_lines=3, placeholder=" …", break_on_hyphens=False)),
        basis=step.basis,
        basis_text=basis_label(step.basis),
        documented=step.basis.startswith("DOC"),
        active=step.active,
        arrow=_arrow(step, STATUS["pending"] if hop is not None else status),
        route=route,
        claimed=claimed,
        wire=wire,
        wire_differs=bool(cx and cx.wire and cx.wire != cx.claimed),
        mark=None if envelope is not None else _mark(step, status),
        lookup=lookup,
        event_server=server,
        event_lines=lines,
        event_note=note,
        queue_lines=tuple(queue_lines),
        hypothesis=s.hostname_stack,
        hypothesis_matters=matters,
        envelope=envelope,
        query=None if hop is not None else _query(step),
        checklist=None if hop is not None else _checklist(view, index, s.hostname_stack, matters),
        frame=frame,
        frames=frames,
        connector=cx.connector if cx is not None else None,
    )
