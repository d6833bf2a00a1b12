"""A run as a packet capture: the packets each attempt puts on the wire (:mod:`.packets`, pure) and
the pcap file Wireshark opens (:mod:`.pcap`, written by scapy).

This layer only reads traces, like the drawing beside it.
"""

from .packets import Packet, name_servers, packets

__all__ = ["Packet", "name_servers", "packets"]
