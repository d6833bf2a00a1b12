"""The side-by-side comparison: what the real kernel did against what ``simulate()`` predicted.

For each message of a scenario the live lab replays the message's *first* attempt on real
sockets, in the state the model had at that attempt (who is active on each cluster), and sets
the source address and outcome the kernel produced beside the ones in the model's trace.

- Phase A: the scenario as written (its own scripted ``[[actions]]`` included).
- Phase B: every cluster failed over (``Scenario.failed_over``), compared with the model run on
  that scenario; the virtual IP moves to the other node, after its own address. Then the
  teaching extra: binding the virtual IP on the old node fails with EADDRNOTAVAIL.

What decides, and who decides it: the destination comes from the model's name resolution
(:func:`~xcon_teach.sim.resolve.destination`; name services are model-only); whether to bind,
and what, from the model's sender rule (:func:`~xcon_teach.sim.sender.choose_source`); the
source address of an unbound socket from the **kernel** (the thing under test); whether a
connection gets through from the kernel; the receiver's decision from the model's lookup
(:func:`~xcon_teach.sim.receiver.find_connector`) run on the address the kernel delivered.
"""

from __future__ import annotations

import bisect
import errno
import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Literal

from ..rfc1006 import next_ref
from ..scenario import Connector, Scenario
from ..scenario.names import ip_problem
from ..sim import Trace, simulate
from ..sim.expect import Expectation, expect
from ..sim.resolve import destination
from ..sim.sender import choose_source
from ..sim.world import World
from ..text import columns
from .mta import PORT, Attempt, LiveEvent, ReceivingMta, Switchboard, associate, listen_in
from .netns import Network, cleanup_on_signals, new_prefix, socket_in, subnet_for
from .sniff import BridgeCapture

__all__ = [
    "COMPARED",
    "NOT_COMPARED",
    "BindCheck",
    "LiveLab",
    "LiveReport",
    "Observation",
    "Row",
    "compare",
]

COMPARED = "the kernel's source address selection, TCP reachability, and the RFC 1006 CR/CC/DR handshake"
NOT_COMPARED = (
    "name services (HOSTS, DNS, WINS, NetBIOS node status) and timing (open interval, retries, NDRs) are the model's, "
    "used on both sides"
)
TIMEOUT = 2.0
"""Seconds any socket operation may wait."""

Code = Literal[
    "accepted",
    "refused",
    "disconnected",
    "no MTA",
    "unreachable",
    "bind failed",
    "protocol error",
    "no answer",
    "unresolved",
    "not attempted",
]


# --- the model's side -------------------------------------------------------------------------


# --- the kernel's side ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Observation:
    """What the kernel and the live MTAs did with one attempt."""

    destination: str | None
    bound: str | None
    """The address the sender bound before connecting; None: unbound (INADDR_ANY)."""
    source: str | None
    """The caller's address as the receiving MTA saw it (``getpeername``), else the sender's own view."""
    outcome: Code
    tag: str
    """A word or two for the table: ``CC``, ``DR 136``, ``ECONNREFUSED``, ``EADDRNOTAVAIL``, ``timed out``."""
    detail: str
    events: tuple[LiveEvent, ...]

    @property
    def shown(self) -> str:
        return f"{self.outcome} ({self.tag})" if self.tag else self.outcome

    def to_dict(self) -> dict[str, object]:
        return {
            "destination": self.destination,
            "bound": self.bound,
            "source": self.source,
            "outcome": self.outcome,
            "tag": self.tag,
            "detail": self.detail,
            "events": [e.to_dict() for e in self.events],
        }


class LiveLab:
    """A scenario's hosts as network namespaces and its MTAs as live listeners, following a World.

    Use it as a context manager: the namespaces are deleted on the way out, also on SIGINT and
    SIGTERM (see :func:`~.netns.cleanup_on_signals`). :meth:`follow` brings the kernel to the
    model's state (creating everything the first time, failing clusters over after that);
    :meth:`send` makes one association attempt on a connector.
    """

    def __init__(
        self, scenario: Scenario, *, timeout: float = TIMEOUT, port: int = PORT, prefix: str | None = None, record: bool = False
    ) -> None:
        self.scenario = scenario
        self.record = record
        """Record every frame on the bridge (:class:`~.sniff.BridgeCapture`) from the moment the network exists."""
        self.capture: BridgeCapture | None = None
        self.timeout = timeout
        self.port = port
        held = [a for h in scenario.hosts for a in h.addresses] + [v for c in scenario.clusters for v in c.virtual_ips]
        names = scenario.names
        reach = [c.address for c in scenario.connectors if ip_problem(c.address) is None] + [
            ip for _, ip in (*names.hosts, *names.dns) if ip_problem(ip) is None
        ]
        self.network = Network(prefix or new_prefix(), subnet_for(held, reach), tuple(h.name for h in scenario.hosts))
        self.switchboard = Switchboard()
        self.mtas: dict[str, ReceivingMta] = {}
        self._world: World | None = None
        self._ref = 0
        self._stack = ExitStack()

    def __enter__(self) -> LiveLab:
        self._stack.enter_context(cleanup_on_signals(self.close))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def world(self) -> World:
        if self._world is None:
            raise RuntimeError("the lab follows no world yet: call follow() first")
        return self._world

    def namespace(self, host: str) -> str:
        """The namespace of a host of the scenario."""
        return self.network.ns(self.scenario.host(host).name)

    def follow(self, world: World) -> None:
        """Make the kernel hold what ``world`` says: addresses in order, MTAs on the active nodes."""
        if self._world is None:
            self.network.create({h.name: world.addresses(h.name) for h in self.scenario.hosts})
            if self.record:
                self.capture = BridgeCapture(self.network.bridge)
            self._world = world
            for sv in self.scenario.servers:
                self._start_mta(sv.name, world.mta_host(sv.name))
            return
        old = self._world
        for c in self.scenario.clusters:
            was, now = old.active[c.name], world.active[c.name]
            if was == now:
                continue
            moving = [
                sv.name
                for sv in self.scenario.servers
                if (on := world.cluster_of_server(sv.name)) is not None and on.name == c.name
            ]
            for name in moving:
                self.mtas.pop(name).stop()
            for vip in c.virtual_ips:  # in the group's order, after the new node's own address
                self.network.move_address(vip, was, now)
            for name in moving:
                self._start_mta(name, now)
        self._world = world

    def _start_mta(self, server: str, host: str) -> None:
        listener = listen_in(
            self.network.ns(host), self.timeout, port=self.port, allow_sources=self.scenario.firewall.allow_sources
        )
        self.mtas[server] = ReceivingMta(server, listener, lambda: self.world, self.switchboard, timeout=self.timeout).start()

    def send(self, connector: Connector, *, turn: int = 0) -> Observation:
        """One association attempt on ``connector`` from the host that runs its MTA now.

        ``turn`` is the model's count of this server's earlier tries by the fix (which virtual IP
        a server with several presents, DOMAIN.md 9).
        """
        world = self.world
        where = destination(world, connector)
        if where.ip is None:
            return Observation(
                None, None, None, "unresolved", "not sent", "the name does not resolve (name services are model-only)", ()
            )
        source = choose_source(world, connector, where.ip, turn=turn)
        if source.rule == "inaddr-any":
            bind = None  # the kernel chooses: the thing under test
        elif source.rule == "override":
            bind = connector.stack_ip_override  # bound even when the model expects the bind to fail: the kernel decides
        else:
            bind = source.address  # the fix's virtual IP, or (hypothesis S) the server's own name's address
        sock = socket_in(self.network.ns(world.mta_host(connector.server)), self.timeout)
        attempt: Attempt = associate(
            sock,
            bind=bind,
            destination=where.ip,
            calling=connector.server,
            called=connector.remote,
            src_ref=self._next_ref(),
            port=self.port,
        )
        seen = self.switchboard.take(attempt.source, attempt.port) if attempt.source and attempt.port else None
        return Observation(
            destination=where.ip,
            bound=bind,
            source=seen.caller if seen is not None else attempt.source,
            outcome=attempt.outcome,
            tag=attempt.tag,
            detail=attempt.detail,
            events=seen.events if seen is not None else (),
        )

    def _next_ref(self) -> int:
        self._ref = next_ref(self._ref)
        return self._ref

    def try_bind(self, host: str, ip: str) -> int | None:
        """Bind ``ip`` on ``host``: None if the kernel allows it, else the errno."""
        with socket_in(self.network.ns(host), self.timeout) as sock:
            try:
                sock.bind((ip, 0))
            except OSError as exc:
                return exc.errno
        return None

    def close(self) -> None:
        """Stop every MTA and delete every namespace (safe to call twice)."""
        try:
            for mta in self.mtas.values():
                mta.stop()
            if self.capture is not None:
                self.capture.stop()
        finally:
            # Even if an MTA would not stop cleanly, the namespaces must go.
            self.mtas.clear()
            self.network.destroy()


# --- the comparison ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One message in one phase: the kernel's result beside the model's."""

    phase: str
    message: str
    route: str
    active: tuple[tuple[str, str], ...]
    kernel: Observation
    model: Expectation

    @property
    def events_agree(self) -> bool:
        return self.kernel.events == tuple(LiveEvent.of(e) for e in self.model.events)

    @property
    def agree(self) -> bool:
        k, m = self.kernel, self.model
        return k.outcome == m.outcome and k.source == m.source and self.events_agree

    def to_dict(self) -> dict[str, object]:
        return {
            "phase": self.phase,
            "message": self.message,
            "route": self.route,
            "active": dict(self.active),
            "kernel": self.kernel.to_dict(),
            "model": self.model.to_dict(),
            "verdict": "agree" if self.agree else "DIFFER",
        }


@dataclass(frozen=True, slots=True)
class BindCheck:
    """The teaching extra: after a failover, bind the virtual IP on the node that lost it."""

    cluster: str
    node: str
    owner: str
    address: str
    kernel_errno: int | None
    """None when the kernel let the bind pass."""
    model_fails: bool
    """True when the model says the node does not hold the address, so a bind fails (DOMAIN.md 9)."""

    @property
    def agree(self) -> bool:
        if self.model_fails:
            return self.kernel_errno == errno.EADDRNOTAVAIL
        return self.kernel_errno is None

    @property
    def kernel_text(self) -> str:
        if self.kernel_errno is None:
            return "bind succeeds"
        return f"[Errno {self.kernel_errno}] {errno.errorcode.get(self.kernel_errno, '?')}"

    @property
    def model_text(self) -> str:
        if self.model_fails:
            return f"{self.node} no longer holds {self.address}, so the bind fails (address not available)"
        return f"{self.node} holds {self.address}, so the bind passes"

    def line(self) -> str:
        return (
            f"EADDRNOTAVAIL check: {self.cluster} failed over to {self.owner}; bind({self.address}) on {self.node}: "
            f"kernel {self.kernel_text}; model: {self.model_text}  {'agree' if self.agree else 'DIFFER'}"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "cluster": self.cluster,
            "node": self.node,
            "owner": self.owner,
            "address": self.address,
            "kernel": self.kernel_text,
            "kernel_errno": self.kernel_errno,
            "model": self.model_text,
            "verdict": "agree" if self.agree else "DIFFER",
        }


@dataclass(frozen=True, slots=True)
class LiveReport:
    """Everything one live comparison found."""

    title: str
    source: str
    prefix: str
    """The name prefix of this run's namespaces."""
    subnet: str
    namespaces: tuple[str, ...]
    phases: tuple[tuple[str, str], ...]
    """(label, what the phase is)."""
    rows: tuple[Row, ...]
    binds: tuple[BindCheck, ...]
    seconds: float
    frames: tuple[tuple[float, bytes], ...] = ()
    """With ``record``: every frame that entered the bridge, (time, bytes), in order."""

    @property
    def agree(self) -> bool:
        return all(r.agree for r in self.rows) and all(b.agree for b in self.binds)

    def to_dict(self) -> dict[str, object]:
        return {
            "title": self.title,
            "scenario": self.source,
            "prefix": self.prefix,
            "subnet": self.subnet,
            "namespaces": list(self.namespaces),
            "phases": dict(self.phases),
            "rows": [r.to_dict() for r in self.rows],
            "bind_checks": [b.to_dict() for b in self.binds],
            "compared": COMPARED,
            "not_compared": NOT_COMPARED,
            "agree": self.agree,
            "seconds": round(self.seconds, 3),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        out = [
            f"Live lab: {self.title}",
            f"Kernel: {len(self.namespaces)} network namespaces ({self.prefix}-*), one bridge "
            f"in its own namespace, {self.subnet} on-link, no default route",
            *(f"Phase {label}: {what}" for label, what in self.phases),
            "",
        ]
        table = [
            ("phase", "msg", "route", "active", "kernel source", "kernel outcome", "model source", "model outcome", "verdict")
        ]
        for r in self.rows:
            table.append(
                (
                    r.phase,
                    r.message,
                    r.route,
                    ",".join(f"{c}={n}" for c, n in r.active) or "-",
                    r.kernel.source or "-",
                    r.kernel.shown,
                    r.model.source or "-",
                    r.model.shown,
                    "agree" if r.agree else "DIFFER",
                )
            )
        out += columns(table).split("\n")
        logged = [(r, e) for r in self.rows for e in r.kernel.events]
        if logged:
            out += ["", "Events the live MTAs logged (the model's Event 9301 text, for the address the kernel delivered):"]
            out += [f"  {r.phase} {r.message}  {e.server}: network address {e.network_address}: {e.text}" for r, e in logged]
        differ = [r for r in self.rows if not r.events_agree]
        for r in differ:
            out.append(
                f"  {r.phase} {r.message}: the model logged {len(r.model.events)} events, the live MTA {len(r.kernel.events)}"
            )
        out.append("")
        out += [b.line() for b in self.binds] or ["EADDRNOTAVAIL check: no cluster, so no failover to test"]
        out.append(f"Compared: {COMPARED}. Not compared: {NOT_COMPARED}.")
        total = len(self.rows) + len(self.binds)
        agreeing = sum(r.agree for r in self.rows) + sum(b.agree for b in self.binds)
        verdict = "all agree" if self.agree else f"{total - agreeing} DIFFER"
        out.append(f"Result: {agreeing} of {total} comparisons agree, {verdict} ({self.seconds:.2f} s)")
        return "\n".join(out) + "\n"


def compare(
    scenario: Scenario, *, timeout: float = TIMEOUT, port: int = PORT, prefix: str | None = None, record: bool = False
) -> LiveReport:
    """Run a scenario's addressing on the real kernel and compare it with ``simulate()``.

    Needs root; creates and always deletes its namespaces. With ``record``, the report holds every
    frame the kernels put on the bridge (``frames``). See the module docstring.
    """
    phases: list[tuple[str, str, Scenario]] = [("A", "the scenario's initial state (and its own scripted failovers)", scenario)]
    if scenario.clusters:
        moved = ", ".join(f"{c.name} to {c.passive}" for c in scenario.clusters)
        phases.append(("B", f"every cluster failed over ({moved}), then the messages sent again", scenario.failed_over()))
    rows: list[Row] = []
    binds: list[BindCheck] = []
    started = time.perf_counter()
    with LiveLab(scenario, timeout=timeout, port=port, prefix=prefix, record=record) as lab:
        for label, _, s in phases:
            trace = simulate(s)
            turn = _turns(trace)
            if label == "B":
                start = World.initial(s)
                lab.follow(start)
                binds += _bind_checks(lab, scenario, start)
            for i, m in enumerate(s.messages):
                prediction = expect(trace, f"m{i + 1}")
                world = World(s, dict(prediction.active))
                lab.follow(world)
                connector = s.connector(m.sender, m.recipient)
                if prediction.outcome == "not attempted":
                    kernel = Observation(
                        None, None, None, "not attempted", "", "the model never attempts it before the run ends", ()
                    )
                else:
                    kernel = lab.send(connector, turn=turn(m.sender, f"m{i + 1}"))
                rows.append(Row(label, f"m{i + 1}", connector.label, prediction.active, kernel, prediction))
        namespaces = tuple(lab.network.created)
        subnet = str(lab.network.subnet)
        used = lab.network.prefix
        capture = lab.capture
    frames = tuple(capture.stop()) if capture is not None else ()
    return LiveReport(
        title=scenario.title,
        source=scenario.source,
        prefix=used,
        subnet=subnet,
        namespaces=namespaces,
        phases=tuple((label, what) for label, what, _ in phases),
        rows=tuple(rows),
        binds=tuple(binds),
        seconds=time.perf_counter() - started,
        frames=frames,
    )


def _turns(trace: Trace) -> Callable[[str, str], int]:
    """``turn(server, message)``: how many of ``server``'s tries before ``message``'s first
    presented a virtual IP by the fix (the attempts are read once, for every message)."""
    by_fix: dict[str, list[int]] = {}
    for a in trace.attempts():
        if a.connection.source_rule == "fix":
            by_fix.setdefault(a.sender, []).append(a.serial)

    def turn(server: str, message: str) -> int:
        first = trace.first_attempt(message)
        return bisect.bisect_left(by_fix.get(server, []), first.serial) if first is not None else 0

    return turn


def _bind_checks(lab: LiveLab, original: Scenario, world: World) -> list[BindCheck]:
    checks = []
    for c in original.clusters:
        old, new = c.active, world.active[c.name]
        if old == new:
            continue
        checks.append(
            BindCheck(
                cluster=c.name,
                node=old,
                owner=new,
                address=c.virtual_ip,
                kernel_errno=lab.try_bind(old, c.virtual_ip),
                model_fails=c.virtual_ip not in world.addresses(old),
            )
        )
    return checks
