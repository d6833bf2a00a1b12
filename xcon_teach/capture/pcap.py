"""The capture as a pcap file that Wireshark and tshark open: :func:`pcap_bytes`, :func:`write_pcap`.

The link, IP, TCP, UDP, DNS and NetBIOS name service layers are scapy's (it builds every header
and checksum and writes the pcap format); the TPKT and COTP bytes inside TCP are the package's own
RFC 1006 codec (:mod:`xcon_teach.rfc1006`), made by :mod:`.packets`. scapy is imported only here,
on first use, so the simulation and the lab start without it.

Every field a packet library would fill from the machine it runs on (link addresses, IP ids, the
pcap's timestamps) is set from the trace, so the same scenario gives the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..files import output_path, write_whole
from ..rfc1006 import ProtocolError
from ..sim import Trace
from .packets import MAX_PACKETS, Packet, cotp_info, flag_names, packets

__all__ = ["EPOCH", "check_output", "pcap_bytes", "read_pcap", "write_pcap"]

EPOCH = 883_612_800
"""The simulated time 0 in the capture: 1 January 1998, 00:00 UTC (the hotfix's month), so
Wireshark's clock column reads like the article's era and the bytes do not depend on today."""


def _layers(p: Packet, ip_id: int) -> Any:
    """One packet as scapy layers, every field set from ``p``."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether
    from scapy.layers.netbios import (
        NBNS_ADD_ENTRY,
        NBNSHeader,
        NBNSNodeStatusRequest,
        NBNSNodeStatusResponse,
        NBNSNodeStatusResponseService,
        NBNSQueryRequest,
        NBNSQueryResponse,
    )
    from scapy.packet import Raw

    frame = Ether(src=p.src_mac, dst=p.dst_mac) / IP(src=p.src, dst=p.dst, id=ip_id, ttl=128)
    if p.dns is not None:
        d = p.dns
        question = DNSQR(qname=d.name, qtype=d.qtype)
        if not d.response:
            return frame / UDP(sport=p.sport, dport=p.dport) / DNS(id=d.id, rd=1, qd=question)
        answer = [DNSRR(rrname=d.name, type=d.qtype, ttl=3600, rdata=d.answer)] if d.answer else []
        dns = DNS(id=d.id, qr=1, aa=1, rd=1, ra=1, rcode=0 if d.answer else 3, qd=question, an=answer)
        return frame / UDP(sport=p.sport, dport=p.dport) / dns
    if p.nbns is not None:
        n = p.nbns
        udp = frame / UDP(sport=p.sport, dport=p.dport)
        if n.kind == "status" and not n.response:
            return udp / NBNSHeader(NAME_TRN_ID=n.id, NM_FLAGS=0) / NBNSNodeStatusRequest(SUFFIX=0x4141)  # unicast: no B flag
        if n.kind == "status":
            table = [
                NBNSNodeStatusResponseService(NETBIOS_NAME=name.upper().ljust(15)[:15].encode(), SUFFIX=suffix, NAME_FLAGS=0x64)
                for name in n.names
                for suffix in (0x00, 0x20)
            ]  # NAME_FLAGS 0x64: unique, active, an H-node (WINS first, then broadcast)
            body = NBNSNodeStatusResponse(
                RR_NAME=b"*" + b"\x00" * 14,
                SUFFIX=0x4141,
                RDLENGTH=1 + 18 * len(table) + 6 + 46,
                NODE_NAME=table,
                MAC_ADDRESS=p.src_mac,
                STATISTICS=b"\x00" * 46,
            )
            return udp / NBNSHeader(NAME_TRN_ID=n.id, RESPONSE=1, NM_FLAGS=0x40, ANCOUNT=1) / body
        name = n.name.upper().encode()
        if not n.response:  # to the WINS server: unicast, recursion desired (RD), no broadcast flag
            return udp / NBNSHeader(NAME_TRN_ID=n.id, NM_FLAGS=0x10) / NBNSQueryRequest(QUESTION_NAME=name, SUFFIX=0x4141)
        if not n.answer:  # RFC 1002 4.2.14: a negative response, RCODE 3 (name error), an RR of type NULL
            header = NBNSHeader(NAME_TRN_ID=n.id, RESPONSE=1, NM_FLAGS=0x58, RCODE=3, ANCOUNT=1)
            return (
                udp
                / header
                / NBNSQueryResponse(RR_NAME=name, SUFFIX=0x4141, QUESTION_TYPE=0x000A, TTL=0, RDLENGTH=0, ADDR_ENTRY=[])
            )
        entry = NBNS_ADD_ENTRY(NB_ADDRESS=n.answer)
        return (
            udp
            / NBNSHeader(NAME_TRN_ID=n.id, RESPONSE=1, NM_FLAGS=0x58, ANCOUNT=1)
            / NBNSQueryResponse(RR_NAME=name, SUFFIX=0x4141, ADDR_ENTRY=[entry])
        )
    tcp = TCP(sport=p.sport, dport=p.dport, flags=p.flags, seq=p.seq, ack=p.ack, window=0 if "R" in p.flags else 8760)
    if p.flags == "S":
        tcp.options = [("MSS", 1460)]
    return frame / tcp / Raw(p.payload) if p.payload else frame / tcp


def pcap_bytes(trace: Trace, *, found: tuple[Packet, ...] | None = None) -> bytes:
    """The run's packets as a pcap file (Ethernet link type), timestamps from the trace."""
    from scapy.utils import PcapWriter

    out = io.BytesIO()
    writer = PcapWriter(out, linktype=1, sync=True)
    ids: dict[str, int] = {}
    for p in found if found is not None else packets(trace, limit=MAX_PACKETS):
        ids[p.src_mac] = (
            ids.get(p.src_mac, 0) + 1
        ) % 0x10000  # one 16-bit IP id counter a card, whichever of its addresses sends
        frame = _layers(p, ids[p.src_mac])
        frame.time = EPOCH + round(p.time, 6)
        writer.write(frame)
    writer.flush()
    data = out.getvalue()
    writer.close()
    return data


def check_output(path: str | Path, field: str = "-o") -> Path:
    """The path a capture may be written to, or a :class:`UsageError` naming ``field`` and the value."""
    return output_path(path, field, ".pcap", "the classic format that Wireshark and tshark open")


LAST_TIME = 2**32 - 1 - EPOCH
"""The latest simulated second a classic pcap file can hold (its timestamps have 32-bit seconds)."""


def write_pcap(trace: Trace, path: str | Path, *, field: str = "-o") -> int:
    """Write the run's capture to ``path`` (a ``.pcap``); return how many packets it holds.

    The file appears whole or not at all: it is written beside its place and renamed into it.

    Raises
    ------
    UsageError
        The path does not end in ``.pcap``, is a folder, or cannot be written.
    """
    where = check_output(path, field)
    found = packets(trace, limit=MAX_PACKETS)
    if found and found[-1].time > LAST_TIME:
        raise UsageError(
            f"--until: a pcap file holds times up to {LAST_TIME:.0f} s after the start, but this run sends packets at "
            f"{found[-1].time:.0f} s; give a smaller --until (or move the scenario's events earlier)"
        )
    write_whole(where, pcap_bytes(trace, found=found), field)
    return len(found)


def read_pcap(path: str | Path, *, port: int | None = None) -> list[tuple[str, str, str, str, str, str]]:
    """A capture file's packet list: (No., Time, Source, Destination, Protocol, Info) per IPv4 packet.

    For a class without Wireshark: scapy dissects the file, and RFC 1006 on port 102 is named by
    its COTP type. Times are seconds from the first packet. ``port`` keeps only the packets to or
    from that TCP or UDP port, as Wireshark's display filter ``tcp.port == 102`` does.
    """
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.utils import rdpcap

    rows = []
    frames = rdpcap(str(path))
    start = float(frames[0].time) if frames else 0.0
    for n, frame in enumerate(frames, 1):
        if IP not in frame:
            continue
        ip = frame[IP]
        ends = (ip.payload.sport, ip.payload.dport) if TCP in frame or UDP in frame else ()
        if port is not None and port not in ends:
            continue
        proto, info = "IP", ip.summary()
        if TCP in frame:
            tcp = frame[TCP]
            data = bytes(tcp.payload)
            proto, info = "TCP", f"{tcp.sport} → {tcp.dport} [{flag_names(str(tcp.flags))}]"
            if 102 in (tcp.sport, tcp.dport) and len(data) > 5 and data[0] == 3:
                try:
                    proto, info = "COTP", cotp_info(data)
                except ProtocolError:
                    proto, info = "COTP", f"TPDU 0x{data[5]:02X}"
        elif UDP in frame:
            udp = frame[UDP]
            proto = "DNS" if 53 in (udp.sport, udp.dport) else "NBNS" if 137 in (udp.sport, udp.dport) else "UDP"
            info = udp.payload.summary()
        rows.append((str(n), f"{float(frame.time) - start:.3f}", ip.src, ip.dst, proto, info))
    return rows
