"""The packets a run puts on the wire, as plain records: :func:`packets` (pure, no packet library).

Every step of a trace that sends something on the network becomes one or more :class:`Packet`
records, in order, with simulated timestamps (DOMAIN.md sections 3 to 5; what the articles do not
say is MODEL and written here once):

- a name lookup that asks a server: a DNS query and its answer (A forward, PTR reverse; "no such
  name" when the scenario holds no record), a WINS name query (UDP 137) and its answer; the HOSTS
  file is local and sends nothing;
- the receiver's NetBIOS node status request goes to the caller's address (UDP 137) and the host
  that holds it answers with its name table: the names the trace's lookup found;
- a connection: the TCP handshake from the address on the wire to port 102, the RFC 1006 CR, then
  the CC and one DT per message carried (the message's content is not modelled) and the TCP close
  (class 0 releases by closing the connection); or, after a refusal, a DR with reason 136 (how
  Exchange refused on the wire is not documented: MODEL, as the live lab sends it) and the close,
  begun by the caller; a SYN answered by a reset where no MTA listens; a SYN and two
  retransmissions (3 s and 9 s later, NT 4's defaults) without an answer at a firewall drop or
  where no host holds the address; after a failover drops an association, the caller's next
  segment and the reset from the node that now holds the address. Nothing after the run's end.

Times: each packet at its step's time, 1 ms after the packet before it when steps share a time
(a LAN round trip), so the capture's order is the trace's. Ports: each source address counts its
ephemeral ports from 1025, as NT 4 does. The scenario names no name servers, so the DNS server stands at
``.53`` and the WINS server at ``.137`` of the first host's /24 (the next free address if taken):
:func:`name_servers`. Link addresses are made from a card's primary IP (``02:00:`` and its four
bytes); one capture shows every segment at once, so a router's rewriting of link addresses is not
shown.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from .. import rfc1006
from ..errors import UsageError
from ..scenario import Scenario
from ..sim import Trace
from ..sim.steps import Connection, Step

__all__ = ["DnsPart", "NbnsPart", "Packet", "cotp_info", "flag_names", "mac_of", "name_servers", "packets"]

PORT = 102
"""RFC 1006's TCP port (DOMAIN.md 3)."""
WINDOW = 8760
"""NT 4's default TCP receive window on Ethernet."""
GAP = 0.001
"""Seconds between packets of steps that share a time: a LAN round trip (MODEL)."""
SYN_RETRIES = (3.0, 9.0)
"""When an unanswered SYN is sent again, after the first (NT 4: two retransmissions, 3 s then 6 s apart)."""
FIRST_PORT = 1025
ROUTER_MAC = "02:00:00:00:00:fe"
"""The link address a packet to an address no host holds is sent to (the way out of the LAN)."""

Protocol = Literal["TCP", "COTP", "DNS", "NBNS"]


@dataclass(frozen=True, slots=True)
class DnsPart:
    """A DNS query (``answer`` is None) or its response (``answer`` empty: no such name)."""

    id: int
    name: str
    qtype: Literal["A", "PTR"]
    response: bool = False
    answer: str = ""


@dataclass(frozen=True, slots=True)
class NbnsPart:
    """A NetBIOS name service packet: a WINS name query or a node status request, or a response."""

    id: int
    kind: Literal["query", "status"]
    name: str = "*"
    """The name asked for (``*`` for a node status request)."""
    response: bool = False
    answer: str = ""
    """A name query's answer, the IP ("" with ``response``: no such name)."""
    names: tuple[str, ...] = ()
    """A node status response's name table (each name registered as ``<00>`` and ``<20>``)."""


@dataclass(frozen=True, slots=True)
class Packet:
    """One packet on the wire."""

    number: int
    """Its number in the capture, from 1 (Wireshark's No.)."""
    time: float
    step: int
    """The index in ``trace.steps`` of the step that sent it."""
    serial: int | None
    """The connection attempt it belongs to (:class:`~xcon_teach.sim.attempts.Attempt` ``serial``)."""
    src: str
    dst: str
    sport: int
    dport: int
    src_mac: str
    dst_mac: str
    protocol: Protocol
    info: str
    """The Info column, in Wireshark's words where it has them (relative sequence numbers)."""
    flags: str = ""
    """TCP flags, as scapy writes them: ``S``, ``SA``, ``A``, ``PA``, ``FA``, ``RA``."""
    seq: int = 0
    ack: int = 0
    payload: bytes = b""
    """TCP payload: the RFC 1006 packet (TPKT and COTP)."""
    dns: DnsPart | None = None
    nbns: NbnsPart | None = None

    def row(self) -> tuple[str, str, str, str, str, str]:
        """(No., Time, Source, Destination, Protocol, Info), as Wireshark's packet list shows it."""
        return (str(self.number), f"{self.time:.3f}", self.src, self.dst, self.protocol, self.info)


def mac_of(ip: str) -> str:
    """The link address of the card whose primary address is ``ip``.

    >>> mac_of("10.0.1.11")
    '02:00:0a:00:01:0b'
    """
    return "02:00:" + ":".join(f"{b:02x}" for b in ipaddress.IPv4Address(ip).packed)


def name_servers(s: Scenario) -> dict[str, str]:
    """Where the DNS and WINS servers stand: ``{"dns": ip, "wins": ip}`` (MODEL; the scenario names none).

    >>> from xcon_teach import load_scenario
    >>> name_servers(load_scenario("kb-q169113"))
    {'dns': '10.0.0.53', 'wins': '10.0.0.137'}
    """
    taken = {a for h in s.hosts for a in h.addresses} | {v for c in s.clusters for v in c.virtual_ips}
    net = ipaddress.IPv4Network(f"{s.hosts[0].primary}/24", strict=False)
    out: dict[str, str] = {}
    for service, last in (("dns", 53), ("wins", 137)):
        for k in range(254):
            ip = str(net.network_address + (last - 1 + k) % 254 + 1)
            if ip not in taken:
                break
        taken.add(ip)
        out[service] = ip
    return out


def _ptr_name(ip: str) -> str:
    return ".".join(reversed(ip.split("."))) + ".in-addr.arpa"


@dataclass(slots=True)
class _Flow:
    """One TCP connection's sequence numbers, caller side first."""

    sport: int
    isn: tuple[int, int]
    sent: list[int] = field(default_factory=lambda: [0, 0])
    """Bytes (and SYN/FIN) each side has sent so far."""

    def seq(self, side: int) -> int:
        return self.isn[side] + self.sent[side]

    def ack(self, side: int) -> int:
        other = 1 - side
        return self.isn[other] + self.sent[other] if self.sent[other] else 0


@dataclass(slots=True)
class _Capture:
    trace: Trace
    servers: dict[str, str]
    out: list[tuple[float, int, dict[str, object]]] = field(default_factory=list)
    clock: float = -1.0
    ports: dict[str, int] = field(default_factory=dict)
    ids: int = 0
    flows: dict[int, _Flow] = field(default_factory=dict)
    refs: dict[int, int] = field(default_factory=dict)
    later: set[int] = field(default_factory=set)
    """Which packets (by their place in ``out``) are sent seconds after their step: a SYN's retransmissions."""
    limit: int | None = None

    # --- placing packets ---------------------------------------------------------------------

    def at(self, t: float) -> float:
        self.clock = max(t, self.clock + GAP)
        return self.clock

    def add(self, t: float, step: int, serial: int | None, **fields: object) -> None:
        if self.limit is not None and len(self.out) >= self.limit:
            raise UsageError(
                f"--until: this run puts more than {self.limit:,} packets on the wire, the most a capture holds "
                f"(a day of the reference refusal is about 1,700); give a smaller --until"
            )
        self.out.append((t, len(self.out), {"step": step, "serial": serial, **fields}))

    def port(self, host: str) -> int:
        self.ports[host] = self.ports.get(host, FIRST_PORT - 1) + 1
        if self.ports[host] > 5000:  # NT 4 wraps its ephemeral range at 5000
            self.ports[host] = FIRST_PORT
        return self.ports[host]

    def next_id(self) -> int:
        self.ids = self.ids % 0xFFFF + 1  # a 16-bit transaction id, 1 to 65535, wrapping
        return self.ids

    def primary(self, host: str) -> str:
        return self.trace.scenario.host(host).primary

    def holder(self, ip: str | None, step: Step) -> str | None:
        """The host that holds ``ip`` at ``step`` (a virtual IP: its cluster's active node then)."""
        s, active = self.trace.scenario, dict(step.active)
        for cluster in s.clusters:
            if ip in cluster.virtual_ips:
                return active.get(cluster.name, cluster.active)
        return next((h.name for h in s.hosts if ip in h.addresses), None)

    def card(self, host: str | None) -> str:
        return mac_of(self.primary(host)) if host is not None else ROUTER_MAC

    # --- name services -----------------------------------------------------------------------

    def udp(
        self, t: float, i: int, serial: int | None, src: tuple[str, str, int], dst: tuple[str, str, int], **part: object
    ) -> None:
        """One UDP packet from (ip, mac, port) to (ip, mac, port)."""
        self.add(
            t, i, serial, src=src[0], src_mac=src[1], sport=src[2], dst=dst[0], dst_mac=dst[1], dport=dst[2],
            info=_name_info(part.get("dns"), part.get("nbns")), **part,
        )  # fmt: skip

    def dns(self, t: float, i: int, serial: int | None, host: str, name: str, qtype: Literal["A", "PTR"], answer: str) -> None:
        me = (self.primary(host), self.card(host), self.port(host))
        server = (self.servers["dns"], mac_of(self.servers["dns"]), 53)
        qid = self.next_id()
        self.udp(self.at(t), i, serial, me, server, protocol="DNS", dns=DnsPart(qid, name, qtype))
        self.udp(self.at(t), i, serial, server, me, protocol="DNS", dns=DnsPart(qid, name, qtype, True, answer))

    def wins(self, t: float, i: int, serial: int | None, host: str, name: str, answer: str) -> None:
        me = (self.primary(host), self.card(host), 137)
        server = (self.servers["wins"], mac_of(self.servers["wins"]), 137)
        qid = self.next_id()
        self.udp(self.at(t), i, serial, me, server, protocol="NBNS", nbns=NbnsPart(qid, "query", name))
        self.udp(self.at(t), i, serial, server, me, protocol="NBNS", nbns=NbnsPart(qid, "query", name, True, answer))

    def forward(self, i: int, step: Step, cx: Connection) -> None:
        """The name servers the sender asked: each but the last had no record; the last gave the address, if any."""
        name = self.trace.scenario.connector(cx.sender, cx.remote).address
        for k, service in enumerate(cx.asked):
            answer = cx.destination or "" if k == len(cx.asked) - 1 else ""
            if service == "dns":
                self.dns(step.time, i, cx.serial, cx.from_host, name, "A", answer)
            else:
                self.wins(step.time, i, cx.serial, cx.from_host, name, answer)

    def reverse(self, i: int, step: Step, cx: Connection) -> None:
        lk = step.lookup
        assert lk is not None and cx.to_host is not None
        if lk.stage == "reverse-ptr":
            self.dns(step.time, i, cx.serial, cx.to_host, _ptr_name(lk.caller), "PTR", lk.names[0] if lk.names else "")
        elif lk.stage == "reverse-node-status" and self.trace.scenario.names.netbios:
            me = (self.primary(cx.to_host), self.card(cx.to_host), 137)
            caller = (lk.caller, self.card(cx.from_host), 137)
            qid = self.next_id()
            self.udp(self.at(step.time), i, cx.serial, me, caller, protocol="NBNS", nbns=NbnsPart(qid, "status"))
            if lk.names:  # nobody answers at an address no host holds
                part = NbnsPart(qid, "status", response=True, names=lk.names)
                self.udp(self.at(step.time), i, cx.serial, caller, me, protocol="NBNS", nbns=part)

    # --- TCP and RFC 1006 --------------------------------------------------------------------

    def tcp(
        self, t: float, i: int, cx: Connection, side: int, flags: str, payload: bytes = b"", protocol: Protocol = "TCP", *,
        again: bool = False, reset: bool = False,
    ) -> None:  # fmt: skip
        """A TCP segment of attempt ``cx`` from the caller (``side`` 0) or the receiver (1); ``again``: a
        retransmission; ``reset``: the answer to a SYN where nothing listens (sequence number 0, RFC 793)."""
        flow = self.flows[cx.serial]
        assert cx.wire is not None and cx.destination is not None
        ends = [(cx.wire, self.card(cx.from_host), flow.sport), (cx.destination, self.card(cx.to_host), PORT)]
        (src, smac, sport), (dst, dmac, dport) = ends[side], ends[1 - side]
        if again:
            flow.sent[side] = 0
        seq, ack = (0 if reset else flow.seq(side)), flow.ack(side) if "A" in flags else 0
        relative = (flow.sent[side], flow.sent[1 - side])
        flow.sent[side] += len(payload) + ("S" in flags) + ("F" in flags)
        if protocol == "COTP":
            text = cotp_info(payload)
        else:
            names = flag_names(flags)
            acked = f" Ack={relative[1]}" if "A" in flags else ""
            window = 0 if "R" in flags else WINDOW
            text = f"{'[TCP Retransmission] ' if again else ''}{sport} → {dport} [{names}] Seq={relative[0]}{acked} Win={window} Len=0"
        self.add(
            t, i, cx.serial, src=src, dst=dst, sport=sport, dport=dport, src_mac=smac, dst_mac=dmac,
            protocol=protocol, flags=flags, seq=seq, ack=ack, payload=payload, info=text,
        )  # fmt: skip

    def cotp(self, t: float, i: int, cx: Connection, side: int, tpdu: rfc1006.TPDU | rfc1006.DataTransfer) -> None:
        self.tcp(self.at(t), i, cx, side, "PA", rfc1006.encode(tpdu), "COTP")

    def open(self, i: int, step: Step, cx: Connection) -> None:
        """The SYN, and what answers it: the handshake and the CR, a reset, or nothing."""
        assert cx.wire is not None
        # Counted per source address, so a virtual IP that moves to the other node never reuses a 4-tuple.
        self.flows[cx.serial] = _Flow(self.port(cx.wire), (cx.serial * 64000 % 2**32, (cx.serial * 64000 + 32000) % 2**32))
        t = self.at(step.time)
        self.tcp(t, i, cx, 0, "S")
        if cx.failure in ("firewall", "no host"):
            for later in SYN_RETRIES:
                self.later.add(len(self.out))
                self.tcp(t + later, i, cx, 0, "S", again=True)
            return
        if cx.failure == "no MTA":
            self.tcp(self.at(step.time), i, cx, 1, "RA", reset=True)
            return
        self.tcp(self.at(step.time), i, cx, 1, "SA")
        self.tcp(self.at(step.time), i, cx, 0, "A")
        self.refs[cx.serial] = cx.serial & 0xFFFF
        cr = rfc1006.ConnectRequest(src_ref=self.refs[cx.serial], calling=cx.sender.encode(), called=cx.remote.encode())
        self.cotp(step.time, i, cx, 0, cr)

    def close(self, t: float, i: int, cx: Connection, first: int) -> None:
        """The TCP close, begun by ``first`` (0 the caller, 1 the receiver)."""
        self.tcp(self.at(t), i, cx, first, "FA")
        self.tcp(self.at(t), i, cx, 1 - first, "FA")
        self.tcp(self.at(t), i, cx, first, "A")

    def run(self) -> tuple[Packet, ...]:
        steps = self.trace.steps
        last_delivery: dict[int, int] = {}  # attempt serial -> the index of its last delivery
        for i, st in sorted(self.trace.ends().values(), key=lambda e: e[0]):
            if st.kind == "deliver" and st.connection is not None:
                last_delivery[st.connection.serial] = i
        for i, step in enumerate(steps):
            cx = step.connection
            if cx is None:
                continue
            ref = self.refs.get(cx.serial, 0)
            kind = step.kind
            if kind == "resolve" and cx.asked:
                self.forward(i, step, cx)
            elif (kind == "firewall" and cx.failure == "firewall") or kind == "connect":
                self.open(i, step, cx)
            elif kind == "reverse":
                self.reverse(i, step, cx)
            elif kind == "accept":
                cc = rfc1006.ConnectConfirm(
                    dst_ref=ref, src_ref=ref | 0x8000, calling=cx.sender.encode(), called=cx.remote.encode()
                )  # the TSAPs of the CR, as the live MTA confirms them
                self.cotp(step.time, i, cx, 1, cc)
            elif kind == "refuse":
                # A DR that refuses a CR has no reference of its own yet (ISO 8073): source reference 0.
                self.cotp(step.time, i, cx, 1, rfc1006.DisconnectRequest(dst_ref=ref, src_ref=0, reason=rfc1006.REFUSED))
            elif kind == "disconnect" and cx.serial in self.flows:
                self.close(step.time, i, cx, 0)  # the caller closes, as the live lab's does
            elif kind == "drop" and cx.serial in self.flows:
                # The virtual IP moved: the new node knows no such connection and answers the caller's next segment with a reset.
                moved = dataclasses.replace(cx, to_host=self.holder(cx.destination, step))
                self.tcp(self.at(step.time), i, moved, 0, "A")
                self.tcp(self.at(step.time), i, moved, 1, "R")
            elif kind == "deliver" and step.message is not None:
                self.cotp(step.time, i, cx, 0, rfc1006.DataTransfer(user_data=f"X.400 message {step.message}".encode()))
                if last_delivery.get(cx.serial) == i:
                    self.close(step.time, i, cx, 0)  # class 0 releases by closing the TCP connection
        until = self.trace.scenario.until  # a retransmission due after the run's end is not sent
        kept = (item for item in self.out if item[1] not in self.later or item[0] <= until)
        ordered = sorted(kept, key=lambda item: (item[0], item[1]))
        return tuple(_packet(n, t, f) for n, (t, _, f) in enumerate(ordered, 1))


def _packet(number: int, t: float, f: dict[str, object]) -> Packet:
    return Packet(number=number, time=t, **f)  # type: ignore[arg-type]


_FLAGS = {"S": "SYN", "A": "ACK", "F": "FIN", "R": "RST", "P": "PSH"}
_ORDER = "FSRPA"


def flag_names(flags: str) -> str:
    """TCP flags as Wireshark names them, in its order.

    >>> flag_names("SA"), flag_names("FA")
    ('SYN, ACK', 'FIN, ACK')
    """
    return ", ".join(_FLAGS[c] for c in _ORDER if c in flags)


def _name_info(dns: object, nbns: object) -> str:
    """The Info column of a name service packet, in Wireshark's words."""
    if isinstance(dns, DnsPart):
        d = dns
        if not d.response:
            return f"Standard query 0x{d.id:04x} {d.qtype} {d.name}"
        if not d.answer:
            return f"Standard query response 0x{d.id:04x} No such name {d.qtype} {d.name}"
        return f"Standard query response 0x{d.id:04x} {d.qtype} {d.name} {d.qtype} {d.answer}"
    assert isinstance(nbns, NbnsPart)
    n = nbns
    if n.kind == "status":
        return "Name query response NBSTAT " + " ".join(_table(n.names)) if n.response else "Name query NBSTAT *"
    if not n.response:
        return f"Name query NB {n.name}<00>"
    return (
        f"Name query response NB {n.answer}" if n.answer else f"Name query response, Requested name does not exist {n.name}<00>"
    )


def _table(names: tuple[str, ...]) -> Iterator[str]:
    for name in names:
        yield f"{name}<00>"
        yield f"{name}<20>"


def cotp_info(payload: bytes) -> str:
    """The Info column of an RFC 1006 packet (TPKT and COTP bytes)."""
    li, code = payload[4], payload[5]
    if code == rfc1006.DT:
        return f"DT TPDU (0) EOT: {payload[5 + li :].decode()}"
    tpdu = rfc1006.decode(payload)
    refs = f"src-ref: 0x{tpdu.src_ref:04x} dst-ref: 0x{tpdu.dst_ref:04x}"
    if isinstance(tpdu, rfc1006.DisconnectRequest):
        return f"DR TPDU {refs} (reason {tpdu.reason}: {tpdu.reason_text})"
    return f"{tpdu.NAME} TPDU {refs}"


MAX_PACKETS = 50_000
"""The most packets a capture holds (measured: about 0.6 ms and 1 KB a packet to plan and build,
so 50,000 take about 30 s); a longer run is refused with a hint to shorten it."""


def packets(trace: Trace, *, limit: int | None = None) -> tuple[Packet, ...]:
    """Every packet the run puts on the wire, in the order of time (see the module docstring).

    With ``limit``, a run that puts more packets than that on the wire raises a
    :class:`~xcon_teach.errors.UsageError` as soon as it does, before the rest is planned.

    >>> from xcon_teach import load_scenario, simulate
    >>> for p in packets(simulate(load_scenario("kb-q169113"), until=0))[5:9]:
    ...     print(*p.row()[2:], sep="  ")
    10.0.1.11  10.0.0.10  TCP  1025 → 102 [SYN] Seq=0 Win=8760 Len=0
    10.0.0.10  10.0.1.11  TCP  102 → 1025 [SYN, ACK] Seq=0 Ack=1 Win=8760 Len=0
    10.0.1.11  10.0.0.10  TCP  1025 → 102 [ACK] Seq=1 Ack=1 Win=8760 Len=0
    10.0.1.11  10.0.0.10  COTP  CR TPDU src-ref: 0x0002 dst-ref: 0x0000
    """
    return _Capture(trace, name_servers(trace.scenario), limit=limit).run()
