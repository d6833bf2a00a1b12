"""Event 9301 and its "network address" (DOMAIN.md section 5; Q169113, Q189345, Q193380)."""

from __future__ import annotations

import ipaddress
import string
from dataclasses import dataclass

from ..scenario.names import is_dotted_ip

__all__ = ["Event", "decode_network_address", "event_9301_text", "hex_of_ip", "hex_of_name", "stack_dn"]

CITED = {"event-9301-text": "Q169113", "hex-ip-8-digits": "Q193380"}
"""Claims of the source register this module's rules rest on (the text of the event; the hex drill)."""

TRAILER = "[BASE IL TCP/IP DRVR 36 218] (10)"
"""The diagnostic trailer of the Q169113 text; its numbers are undocumented, so we copy them."""


def hex_of_ip(ip: str) -> str:
    """The IP as 8 uppercase hex digits, byte by byte (Q193380).

    >>> hex_of_ip("10.0.1.11")
    '0A00010B'
    """
    return f"{int(ipaddress.IPv4Address(ip)):08X}"


def hex_of_name(name: str) -> str:
    """A name as the uppercase hex of its ASCII bytes, as written (Q193380).

    >>> hex_of_name("NCOSTEST")
    '4E434F5354455354'
    """
    return name.encode("ascii").hex().upper()


def decode_network_address(hex_text: str) -> str:
    """Read a 9301 network address the way Q193380 says: 8 digits are an IP, longer ones ASCII.

    >>> decode_network_address("91F5C11B")
    '145.245.193.27'
    >>> decode_network_address("52656D6F74654D5441")
    "'RemoteMTA'"

    A four-letter name also has 8 digits, so it reads as an IP: the rule is ambiguous there.
    """
    text = hex_text.strip()
    if len(text) % 2 or not text or any(c not in string.hexdigits for c in text):
        raise ValueError(f"not a hex network address: {hex_text!r}")
    raw = bytes.fromhex(text)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw))
    return repr(raw.decode("ascii", errors="replace"))


def stack_dn(org: str, site: str, server: str) -> str:
    """The DN of a server's TCP/IP MTA transport stack."""
    return f"/o={org}/ou={site}/cn=Configuration/cn=Servers/cn={server}/cn=TCP ({server})"


def event_9301_text(network_address: str, dn: str) -> str:
    """The text of Event 9301 as Q169113 prints it, with our values filled in."""
    return (
        f"The message transfer gateway that uses the network address {network_address} and the transport stack "
        f"{dn} could not be found. Check the configuration of the mail gateway. {TRAILER}"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One Windows event logged by a receiving MTA."""

    time: float
    server: str
    network_address: str
    text: str
    source: str = "MSExchangeMTA"
    id: int = 9301
    category: str = "Configuration"
    logged: str = ""
    """What the MTA encoded: the caller's IP, or the name it found (not in the JSON)."""

    @property
    def decoded(self) -> str:
        """The network address read back: ``10.0.1.11`` or ``'NODE1'``.

        The MTA knows what it logged, so this is exact; reading the hex alone (Q193380's rule,
        :func:`decode_network_address`) takes a four-letter name for an IP.
        """
        if self.logged:
            return self.logged if is_dotted_ip(self.logged) else repr(self.logged)
        return decode_network_address(self.network_address)

    def to_dict(self) -> dict[str, object]:
        return {
            "time": self.time,
            "server": self.server,
            "source": self.source,
            "id": self.id,
            "category": self.category,
            "network_address": self.network_address,
            "text": self.text,
        }
