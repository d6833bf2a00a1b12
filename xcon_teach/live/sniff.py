"""The live lab's real packets: every frame that enters the namespace bridge, recorded during a run.

A raw packet socket (``AF_PACKET``, all protocols) opened in the bridge's namespace sees each
frame on the bridge port it arrives by, and again on the port it leaves by; only arrivals are kept,
so each frame is recorded once, as the kernel of the sending namespace put it on the wire (ARP
included). Nothing is synthesised: these are the kernel's own packets. :func:`pcap_of` writes them
with scapy's pcap writer, so a student can hold the real capture beside the simulated one
(``xcon-teach capture``).
"""

from __future__ import annotations

import io
import socket
import threading
import time

from .netns import inside

__all__ = ["BridgeCapture", "pcap_of"]

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
"""``sll_pkttype`` of a frame the bridge sends out of a port (the copy that is not kept)."""


class BridgeCapture:
    """Record the frames entering the bridge ports in namespace ``namespace`` until :meth:`stop`."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.frames: list[tuple[float, bytes]] = []
        self._stop = threading.Event()
        with inside(namespace):
            self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._loop, name=f"capture {namespace}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                data, where = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            port, pkttype = where[0], where[2]
            if port != "br0" and pkttype != PACKET_OUTGOING:
                self.frames.append((time.time(), data))

    def stop(self) -> list[tuple[float, bytes]]:
        """Stop recording (safe to call twice) and return the frames, in the order they arrived."""
        if not self._stop.is_set():
            time.sleep(0.05)  # the last frames of a run are still on their way through the bridge
            self._stop.set()
            self._thread.join(timeout=1.0)
            self._sock.close()
        return self.frames


def pcap_of(frames: list[tuple[float, bytes]]) -> bytes:
    """Ethernet frames as recorded, (time, bytes), as a pcap file."""
    from scapy.layers.l2 import Ether
    from scapy.utils import PcapWriter

    out = io.BytesIO()
    writer = PcapWriter(out, linktype=1, sync=True)
    for t, data in frames:
        frame = Ether(data)
        frame.time = t
        writer.write(frame)
    writer.flush()
    return out.getvalue()
