"""The simulation: ``simulate(scenario) -> Trace``. Pure and deterministic; no I/O, no clock.

Like h11, this core does no I/O: a scenario goes in, a trace of immutable steps comes out, and the
same scenario always gives the same trace. The rules themselves live in :mod:`.sender`,
:mod:`.resolve` and :mod:`.receiver`; this module only places them in time (DOMAIN.md sections 6
and 9, all MODEL): one queue and one retry schedule per connector; an attempt at once when a
message enters an empty queue; after a failure, another every open interval; an accepted
association opens in 1 s and carries each queued message in 1 s; a message whose last allowed
attempt fails is returned as an NDR; a failover drops associations in flight and keeps queues.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..scenario import Connector, Scenario
from .compact import Events, StepLog, Template, attempt_tail, expand, retry_tail
from .engine import ACTION, ATTEMPT, DELIVER, SUBMIT, Engine
from .eventlog import Event
from .network import reach
from .receiver import decide
from .resolve import destination
from .sender import choose_source
from .steps import Connection, Lookup, Note, Step, clock
from .trace import MessageOutcome, Status, Trace
from .world import World

__all__ = ["simulate"]

_T = TypeVar("_T")


def tries(c: Connector) -> int:
    """How many tries a message gets on ``c``: max open retries is the number of tries in all
    (Q234157), and 0 is read as 1, since the try at submission always happens (MODEL)."""
    return max(1, c.max_open_retries)


OPEN_SECONDS = 1.0
"""Opening an accepted association takes 1 s (MODEL)."""
TRANSFER_SECONDS = 1.0
"""Each message takes 1 s to transfer (MODEL)."""


def simulate(scenario: Scenario, until: float | None = None) -> Trace:
    """Run ``scenario`` until ``until`` seconds (default: its ``[run] until``) and return the trace.

    Everything scheduled at or before ``until`` happens; messages not delivered or returned by
    then end as ``queued``.

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> trace = simulate(load_scenario("kb-q169113"))
    >>> trace.message("m1").status, trace.message("m1").attempts, trace.event_log[0].network_address
    ('ndr', 144, '0A00010B')
    >>> simulate(load_scenario("workaround")).message("m1").status
    'delivered'
    """
    if until is not None:
        scenario = scenario.with_until(until)
    return _Run(scenario).run()


@dataclass(slots=True)
class _Association:
    serial: int
    connection: Connection
    receiver: str
    carried: list[int]


RECENT_STATES = 4
"""Failed attempts a connector remembers, by their state, to repeat (two worlds that alternate
as a cluster fails over between tries need two)."""

_UNSET = "\x00unset"
"""Marks a message address an attempt did not set (never an address: those are checked IPs)."""


@dataclass(frozen=True, slots=True)
class _Known:
    """A failed attempt remembered by its state: its template, whether a repetition of it has been
    checked against one made in full, and what it set of each message's addresses."""

    template: Template
    checked: bool
    addresses: tuple[tuple[str | None, str | None], ...]


class _Run:
    def __init__(self, s: Scenario, *, repeat: bool = True) -> None:
        self.s = s
        self.repeat = repeat
        """Store identical attempts as repetitions (the tests compare a run made with False, step by step)."""
        self.mismatches = 0
        """Repetitions that, made in full, differed from their template's expansion (0, or the state key misses something)."""
        self.world = World.initial(s)
        self.engine = Engine()
        self.log = StepLog()
        self.ids = [f"m{i + 1}" for i in range(len(s.messages))]
        self.route = {(c.server, c.remote): i for i, c in enumerate(s.connectors)}
        self.queue: list[list[int]] = [[] for _ in s.connectors]
        self.attempts = [0] * len(s.messages)
        self.status: list[Status] = ["queued"] * len(s.messages)
        self.delivered_at: list[float | None] = [None] * len(s.messages)
        self.returned_at: list[float | None] = [None] * len(s.messages)
        self.presented: list[str | None] = [None] * len(s.messages)
        self.wire: list[str | None] = [None] * len(s.messages)
        self.assoc: list[_Association | None] = [None] * len(s.connectors)
        self.serial = 0
        self.turns: dict[str, int] = {}
        """Per server: the tries that presented a virtual IP by the fix so far (its turns, DOMAIN.md 9)."""
        self._queues: tuple[tuple[str, int], ...] | None = None
        self._shared: dict[object, object] = {}
        """One copy of each value a run makes again and again (the active nodes, a failover's texts,
        the queue lengths): a cluster failing over every few seconds otherwise stores the same ones
        a million times."""
        self._active = self._one(self.world.active_pairs())
        self._memo: dict[tuple[object, ...], object] = {}
        """The rules' answers in the current world, by their arguments: the rules are pure, and a day
        of retries asks the same questions 144 times. A failover makes a new world and empties it, so
        it never holds more than one world's answers, however often clusters fail over."""
        self._recent: dict[int, dict[tuple[object, ...], _Known]] = {}
        """Per connector: the states of its last few failed attempts (at most RECENT_STATES), each
        with that attempt as a template (see :class:`_Known`)."""

    def _one(self, value: _T) -> _T:
        """``value``, or the equal one stored before (see ``_shared``)."""
        return self._shared.setdefault(value, value)  # type: ignore[return-value]

    def _rule(self, fn: Callable[..., _T], *args: object, **kwargs: object) -> _T:
        """``fn(self.world, *args, **kwargs)``, asked once per world and arguments (see ``_memo``)."""
        key = (fn, args, tuple(kwargs.items()))
        if key not in self._memo:
            self._memo[key] = fn(self.world, *args, **kwargs)
        return self._memo[key]  # type: ignore[return-value]

    # --- the loop -----------------------------------------------------------------------------

    def run(self) -> Trace:
        s = self.s
        for i, a in enumerate(s.actions):
            self.engine.schedule(a.at, ACTION, i, ("action", i))
        for i, m in enumerate(s.messages):
            self.engine.schedule(m.at, SUBMIT, i, ("submit", i))
        while (item := self.engine.pop(s.until)) is not None:
            t, event = item
            assert isinstance(event, tuple)
            kind, arg = event[0], event[1]
            if kind == "action":
                self.failover(t, s.actions[arg].failover)
            elif kind == "submit":
                self.submit(t, arg)
            elif kind == "attempt":
                self.attempt(t, arg)
            else:
                self.deliver(t, arg, event[2])
        self.unreached()
        statuses: tuple[Status, ...] = ("delivered", "ndr", "queued")
        counts = {k: self.status.count(k) for k in statuses}
        self.emit(
            s.until,
            Note(
                kind="end",
                actor="RUN",
                text=f"The run ends at {clock(s.until)}: {counts['delivered']} delivered, "
                f"{counts['ndr']} returned as NDR, {counts['queued']} still queued",
                basis="MODEL",
            ),
        )
        messages = tuple(
            MessageOutcome(
                id=self.ids[i],
                sender=m.sender,
                recipient=m.recipient,
                status=self.status[i],
                attempts=self.attempts[i],
                delivered_at=self.delivered_at[i],
                returned_at=self.returned_at[i],
                presented_address=self.presented[i],
                wire_address=self.wire[i],
            )
            for i, m in enumerate(s.messages)
        )
        steps = self.log.freeze()
        return Trace(scenario=s, until=s.until, steps=steps, messages=messages, event_log=Events.of(steps))

    def unreached(self) -> None:
        """Say what was scheduled after the end of the run, so nothing in the file is silently dropped."""
        s, end = self.s, clock(self.s.until)
        for a in s.actions:
            if a.at > s.until:
                text = f"The scripted failover of {a.failover} at {clock(a.at)} comes after the run ends at {end}: it does not happen in this run"
                self.emit(s.until, Note(kind="unreached", actor="RUN", text=text, basis="MODEL"))
        for i, m in enumerate(s.messages):
            if m.at > s.until:
                text = f"{self.ids[i]} is to be sent at {clock(m.at)}, after the run ends at {end}: it is never submitted"
                self.emit(s.until, Note(kind="unreached", actor="RUN", text=text, basis="MODEL"), message=self.ids[i])

    def emit(
        self,
        t: float,
        note: Note,
        connection: Connection | None = None,
        lookup: Lookup | None = None,
        events: tuple[Event, ...] = (),
        message: str | None = None,
        next_attempt: float | None = None,
    ) -> None:
        self.log.append(
            Step(
                time=t,
                actor=note.actor,
                kind=note.kind,
                text=self._one(note.text),
                basis=note.basis,
                claim=note.claim,
                active=self._active,
                queues=self._queue_lengths(),
                connection=connection,
                lookup=lookup,
                events=events,
                message=message,
                next_attempt=next_attempt,
            )
        )

    def _queue_changed(self) -> None:
        self._queues = None

    def _queue_lengths(self) -> tuple[tuple[str, int], ...]:
        """(connector label, messages waiting) for every connector, made again only after a queue changed."""
        if self._queues is None:
            self._queues = self._one(
                tuple(self._one((c.label, len(q))) for c, q in zip(self.s.connectors, self.queue, strict=True))
            )
        return self._queues

    def _list(self, msgs: list[int]) -> str:
        if len(msgs) > 3:
            return f"{len(msgs)} messages"
        return ", ".join(self.ids[m] for m in msgs)

    # --- what happens -------------------------------------------------------------------------

    def submit(self, t: float, i: int) -> None:
        m = self.s.messages[i]
        c = self.route[(m.sender, m.recipient)]
        was_empty = not self.queue[c]
        self.queue[c].append(i)
        self._queue_changed()
        text = (
            f"A user on {m.sender} sends {self.ids[i]} to {m.recipient}: it waits in the queue of "
            f"the connector to {m.recipient} ({len(self.queue[c])} waiting)"
        )
        self.emit(t, Note(kind="submit", actor=m.sender, text=text, basis="MODEL"), message=self.ids[i])
        if was_empty:
            self.engine.schedule(t, ATTEMPT, c, ("attempt", c))

    def attempt(self, t: float, c: int) -> None:
        """Connector ``c`` tries to open an association for its queue.

        An attempt made in the same state as one of the connector's last few failed ones (the
        same world, turn, messages and queues) and that will not be any message's last is the
        same attempt again, a later time and number aside: it is stored as a repetition of that
        one (:mod:`.compact`) without asking the rules again. Remembering a few states, not only
        the last, lets a connector whose cluster fails over between its tries (the world
        alternating) repeat too. The first repetition of each attempt is made in full and
        compared with its expansion, so a repetition is only ever stored where it is exact.
        """
        conn = self.s.connectors[c]
        msgs = list(self.queue[c])
        if not msgs or self.assoc[c] is not None:
            return
        state = (self._active, self.turns.get(conn.server, 0), tuple(msgs), self._queue_lengths())
        limit = tries(conn)
        recent = self._recent.setdefault(c, {})
        known = recent.pop(state, None)
        start, number, serial = len(self.log), self.attempts[msgs[0]] + 1, self.serial + 1
        if self.repeat and known is not None and all(self.attempts[m] + 1 < limit for m in msgs):
            if known.checked:
                for m in msgs:
                    self.attempts[m] += 1
                self.serial = serial
                self._set_addresses(msgs, known.addresses)
                self.log.repeat(known.template, t, number, serial)
                self.engine.schedule(t + conn.open_interval, ATTEMPT, c, ("attempt", c))
                self._remember(recent, state, known)
                return
            addresses = self._attempt_tracked(t, c, conn, msgs, limit)
            if self.log.since(start) == list(expand(known.template, t, number, serial)) and addresses == known.addresses:
                self.log.truncate(start)
                self.log.repeat(known.template, t, number, serial)
                self._remember(recent, state, dataclasses.replace(known, checked=True))
                return
            self.mismatches += 1
        else:
            addresses = self._attempt_tracked(t, c, conn, msgs, limit)
        made = Template.of(self.log.since(start), start, conn.open_interval, limit) if len(self.log) > start else None
        if made is not None:
            self._remember(recent, state, _Known(made, False, addresses))

    def _remember(self, recent: dict[tuple[object, ...], _Known], state: tuple[object, ...], known: _Known) -> None:
        recent[state] = known  # the most recent last
        while len(recent) > RECENT_STATES:
            del recent[next(iter(recent))]

    def _attempt_tracked(
        self, t: float, c: int, conn: Connector, msgs: list[int], limit: int
    ) -> tuple[tuple[str | None, str | None], ...]:
        """Make the attempt in full; return what it set of each message's addresses (wire, presented:
        :data:`_UNSET` where it set nothing), so that a repetition of it can set the same."""
        before = [(self.wire[m], self.presented[m]) for m in msgs]
        for m in msgs:
            self.wire[m] = self.presented[m] = _UNSET
        self._attempt(t, c, conn, msgs, limit)
        addresses = tuple((self.wire[m], self.presented[m]) for m in msgs)
        for m, (wire, presented) in zip(msgs, before, strict=True):
            if self.wire[m] is _UNSET:
                self.wire[m] = wire
            if self.presented[m] is _UNSET:
                self.presented[m] = presented
        return addresses

    def _set_addresses(self, msgs: list[int], addresses: tuple[tuple[str | None, str | None], ...]) -> None:
        for m, (wire, presented) in zip(msgs, addresses, strict=True):
            if wire is not _UNSET:
                self.wire[m] = wire
            if presented is not _UNSET:
                self.presented[m] = presented

    def _attempt(self, t: float, c: int, conn: Connector, msgs: list[int], limit: int) -> None:
        for m in msgs:
            self.attempts[m] += 1
        world = self.world
        number = self.attempts[msgs[0]]
        self.serial += 1
        cx = Connection(
            serial=self.serial,
            connector=conn.label,
            sender=conn.server,
            remote=conn.remote,
            attempt=number,
            from_host=world.mta_host(conn.server),
            claimed=world.claimed(conn.server),
            messages=tuple(self.ids[m] for m in msgs),
        )
        text = f"{conn.server} opens an association to {conn.remote} for {self._list(msgs)}" + attempt_tail(number, limit)
        self.emit(t, Note(kind="attempt", actor=conn.server, text=text, basis="MODEL"), cx)

        res = self._rule(destination, conn)
        if res.ip is None:
            cx = dataclasses.replace(cx, phase="failed", failure="unresolved", asked=res.asked)
            self.emit(t, res.note, cx)
            return self.fail(t, c, msgs, cx)
        cx = dataclasses.replace(cx, destination=res.ip, phase="connecting", asked=res.asked)
        self.emit(t, res.note, cx)

        source = self._rule(choose_source, conn, res.ip, turn=self.turns.get(conn.server, 0))
        if source.rule == "fix":  # the next try of this server takes the next virtual IP (DOMAIN.md 9)
            self.turns[conn.server] = self.turns.get(conn.server, 0) + 1
        wire = source.address
        cx = dataclasses.replace(cx, source_rule=source.rule)
        if wire is None:
            cx = dataclasses.replace(cx, phase="failed", failure="bind failed")
        else:
            cx = dataclasses.replace(cx, wire=wire)
        for note in source.notes:
            self.emit(t, note, cx)
        if wire is None:
            return self.fail(t, c, msgs, cx)
        for m in msgs:
            self.wire[m] = wire

        way = self._rule(reach, conn, wire, res.ip)
        if way.firewall is not None:
            if way.failure == "firewall":
                cx = dataclasses.replace(cx, phase="failed", failure="firewall")
            self.emit(t, way.firewall, cx)
        if way.connect is None:
            return self.fail(t, c, msgs, cx)
        cx = dataclasses.replace(cx, to_host=way.to_host, receiver=way.receiver)
        if way.receiver is None:
            cx = dataclasses.replace(cx, phase="failed", failure=way.failure)
            self.emit(t, way.connect, cx)
            return self.fail(t, c, msgs, cx)
        receiver = way.receiver

        for m in msgs:
            self.presented[m] = wire
        cx = dataclasses.replace(cx, phase="connected")
        self.emit(t, way.connect, cx)
        head = f"{receiver} takes the connection's source address, the From IP address, as the caller's network address: {wire}"
        if wire == cx.claimed:
            text = f"{head}, the address {conn.server} is known by"
        else:
            text = f"{head}; the address {conn.server} is known by, {cx.claimed}, never reaches it"
        self.emit(t, Note(kind="caller", actor=receiver, text=text, basis="DOC Q197378", claim="caller-address"), cx)

        cx = dataclasses.replace(cx, phase="lookup")
        decision = self._rule(decide, receiver, wire, conn.remote)
        names: tuple[str, ...] = ()
        outcome = None
        connector = None
        lookup = None
        for stage in decision.lookup.stages:
            names = stage.names or names
            outcome = stage.outcome or outcome
            connector = stage.connector or connector
            lookup = Lookup(
                receiver=receiver,
                caller=wire,
                stage=stage.stage,
                compared=stage.compared,
                names=names,
                outcome=outcome,
                connector=connector,
            )
            events: tuple[Event, ...] = ()
            if stage.event is not None:
                hexed, text, logged = stage.event
                events = (Event(time=t, server=receiver, network_address=hexed, text=text, logged=logged),)
            self.emit(t, stage.note, cx, lookup, events)

        verdict = decision.note(conn.server, self._list(msgs))
        if decision.accepted:
            cx = dataclasses.replace(cx, phase="accepted")
            self.emit(t, verdict, cx, lookup)
            self.assoc[c] = _Association(cx.serial, dataclasses.replace(cx, phase="open"), receiver, msgs)
            self.engine.schedule(t + OPEN_SECONDS + TRANSFER_SECONDS, DELIVER, c, ("deliver", c, cx.serial))
            return None
        cx = dataclasses.replace(cx, phase="refused", failure=decision.failure)
        self.emit(t, verdict, cx, lookup)
        # The sender's side of the refusal, as the sender sees it: the association closes on it.
        text = (
            f"{conn.server}'s MTA sees the association closed by {receiver} and records no reason: it logs nothing "
            "(how Exchange refused on the wire is not documented; the live lab sends an RFC 1006 disconnect, reason 136)"
        )
        self.emit(t, Note(kind="disconnect", actor=conn.server, text=text, basis="MODEL"), cx)
        return self.fail(t, c, msgs, cx)

    def fail(self, t: float, c: int, msgs: list[int], cx: Connection) -> None:
        """The attempt carrying ``msgs`` failed: NDR those out of attempts, retry the rest."""
        conn = self.s.connectors[c]
        limit = tries(conn)
        for m in msgs:
            if self.attempts[m] >= limit:
                self.status[m] = "ndr"
                self.returned_at[m] = t
                self.queue[c].remove(m)
                self._queue_changed()
                read = "" if conn.max_open_retries else ", read as 1"
                text = (
                    f"{self.ids[m]} has failed {self.attempts[m]} attempts, the connector's max open retries "
                    f"({conn.max_open_retries}{read}, the tries in all): {conn.server} returns it to its sender as a "
                    "non-delivery report (NDR)"
                )
                note = Note(kind="ndr", actor=conn.server, text=text, basis="DOC Q234157", claim="max-open-retries")
                self.emit(t, note, cx, message=self.ids[m])
        if self.queue[c]:
            self.retry(t, c, cx)

    def retry(self, t: float, c: int, cx: Connection) -> None:
        conn = self.s.connectors[c]
        at = t + conn.open_interval
        number = self.attempts[self.queue[c][0]] + 1
        text = f"{conn.server} will try again in {conn.open_interval:g} s (open interval), at " + retry_tail(
            at, number, tries(conn)
        )
        note = Note(kind="retry", actor=conn.server, text=text, basis="DOC Q234157", claim="open-interval")
        self.emit(t, note, cx, next_attempt=at)
        self.engine.schedule(at, ATTEMPT, c, ("attempt", c))

    def deliver(self, t: float, c: int, serial: int) -> None:
        assoc = self.assoc[c]
        if assoc is None or assoc.serial != serial:
            return  # the association was dropped by a failover
        m = assoc.carried.pop(0)
        self.queue[c].remove(m)
        self._queue_changed()
        self.status[m] = "delivered"
        self.delivered_at[m] = t
        msg = self.s.messages[m]
        text = f"{self.ids[m]} is delivered to {msg.recipient} over the association from {msg.sender}"
        self.emit(t, Note(kind="deliver", actor=assoc.receiver, text=text, basis="MODEL"), assoc.connection, message=self.ids[m])
        if assoc.carried:
            self.engine.schedule(t + TRANSFER_SECONDS, DELIVER, c, ("deliver", c, serial))
            return
        self.assoc[c] = None
        if self.queue[c]:  # messages that arrived while the association was busy
            self.engine.schedule(t, ATTEMPT, c, ("attempt", c))

    def failover(self, t: float, cluster_name: str) -> None:
        cluster = self.s.cluster(cluster_name)
        old = self.world.active[cluster.name]
        self.world = self.world.failed_over(cluster.name)
        self._memo.clear()
        self._active = self._one(tuple(self._one(pair) for pair in self.world.active_pairs()))
        new = self.world.active[cluster.name]
        text = (
            f"Cluster {cluster.name} fails over: {new} takes the group (network name {cluster.virtual_name}, "
            f"virtual IP {cluster.virtual_ip}) from {old} and registers {cluster.virtual_name} with WINS"
        )
        self.emit(
            t, Note(kind="failover", actor=cluster.name, text=self._one(text), basis="DOC Q195462", claim="wins-cluster-name")
        )
        held = self.world.addresses(new)
        text = (
            f"{new}'s card now holds {', '.join(held)}: the virtual IP comes after {new}'s own address, "
            f"so an unbound socket on {new} gets {held[0]}"
        )
        self.emit(t, Note(kind="addresses", actor=new, text=self._one(text), basis="MODEL"))
        for c, assoc in enumerate(self.assoc):
            if assoc is None:
                continue
            conn = self.s.connectors[c]
            touched = {self.world.cluster_of_server(conn.server), self.world.cluster_of_server(assoc.receiver)}
            if any(x is not None and x.name == cluster.name for x in touched):
                # The association fails like a refused attempt: messages stay queued and are
                # retried, unless this was their last allowed attempt (then NDR), so no message
                # ever gets more than 1 + max open retries attempts.
                self.assoc[c] = None
                cx = dataclasses.replace(assoc.connection, phase="dropped")
                text = f"The failover drops the association {conn.label}; {self._list(assoc.carried)} stay in the queue"
                self.emit(t, Note(kind="drop", actor=conn.server, text=text, basis="MODEL"), cx)
                self.fail(t, c, assoc.carried, cx)
