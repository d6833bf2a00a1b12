"""RFC 1006 packets: a TPKT header around an ISO 8073 (COTP) class 0 TPDU. Pure: no I/O.

This module only turns values into bytes and bytes into values: no sockets, no clock, no
threads, so it is tested on its own (unit and property tests) and the socket glue in
:mod:`.mta` stays small. It knows the three TPDUs the live lab needs to open or refuse an
X.400 association (DOMAIN.md section 3; RFC 1006, ISO 8073):

- CR, connect request (code 0xE0), and CC, connect confirm (0xD0): destination and source
  references, the class and options byte, and the parameters calling TSAP (0xC1), called TSAP
  (0xC2) and TPDU size (0xC0);
- DR, disconnect request (0x80): references and a reason (136: connection request refused).

Every packet is ``03 00 LL LL`` (TPKT version 3, reserved 0, a 16-bit length that counts the
4-byte header) followed by the TPDU: a length indicator (LI, the bytes of the TPDU header after
it), the code, the fixed part and the parameters. Class 0 carries no user data in CR, CC or DR.

Anything else is refused with :class:`ProtocolError` and a message that says what was wrong:
a truncated packet, a wrong TPKT version, a length that disagrees with the data, an unknown
TPDU code, a parameter that runs past its header. Decoding arbitrary bytes either returns a
TPDU or raises :class:`ProtocolError`, never anything else (a property test checks it).

Examples
--------
>>> packet = encode(ConnectRequest(src_ref=1, calling=b"EXCLUS", called=b"EXA"))
>>> packet.hex(" ")
'03 00 00 18 13 e0 00 00 00 01 00 c1 06 45 58 43 4c 55 53 c2 03 45 58 41'
>>> decode(packet)
ConnectRequest(dst_ref=0, src_ref=1, class_option=0, calling=b'EXCLUS', called=b'EXA', tpdu_size=None)
>>> decode(encode(DisconnectRequest(dst_ref=1, src_ref=7, reason=136))).reason_text
'connection request refused'
>>> decode(bytes.fromhex("04 00 00 0b 06 80 00 01 00 07 88"))
Traceback (most recent call last):
...
xcon_teach.rfc1006.ProtocolError: TPKT version must be 3 (got 4)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "CALLED_TSAP",
    "CALLING_TSAP",
    "CC",
    "CR",
    "DR",
    "DT",
    "HEADER_SIZE",
    "MAX_PACKET",
    "REASONS",
    "REFUSED",
    "TPDU",
    "TPDU_SIZE",
    "TPKT_VERSION",
    "ConnectConfirm",
    "ConnectRequest",
    "DataTransfer",
    "DisconnectRequest",
    "Framer",
    "ProtocolError",
    "decode",
    "encode",
    "next_ref",
    "packet_length",
]

TPKT_VERSION = 3
HEADER_SIZE = 4
"""TPKT header: version, reserved, 16-bit length."""
MAX_PACKET = 0xFFFF
"""The length field has 16 bits and counts the header too."""

CR, CC, DR, DT = 0xE0, 0xD0, 0x80, 0xF0
"""TPDU codes. Class 0 has no credit, so the low nibble of CR and CC is 0."""
CALLING_TSAP, CALLED_TSAP, TPDU_SIZE = 0xC1, 0xC2, 0xC0
"""Parameter codes of CR and CC."""

_FIXED = 6
"""Code, destination reference (2), source reference (2) and class or reason (1): every TPDU here."""
_MAX_LI = 254
"""LI 255 is reserved by ISO 8073, so a TPDU header holds at most 254 bytes after the LI."""
_TPDU_SIZES = range(7, 14)
"""TPDU size parameter: 2**7 = 128 to 2**13 = 8192 bytes."""

REFUSED = 136
"""DR reason: connection request refused on this network connection."""
REASONS = {
    0: "reason not specified",
    1: "congestion at TSAP",
    2: "session entity not attached to TSAP",
    3: "address unknown",
    128: "normal disconnect initiated by the session entity",
    129: "remote transport entity congestion at connect request time",
    130: "connection negotiation failed",
    131: "duplicate source reference",
    132: "mismatched references",
    133: "protocol error",
    135: "reference overflow",
    136: "connection request refused",
    138: "header or parameter length invalid",
}
"""DR reasons of ISO 8073 (X.224); 136 is what a receiving MTA sends when it finds no connector."""

_OTHER_CODES = {0xF0: "DT", 0x10: "ED", 0x60: "AK", 0x20: "EA", 0x50: "RJ", 0xC0: "DC", 0x70: "ER"}
"""Other ISO 8073 TPDUs by the high nibble of their code, named in the error message."""


class ProtocolError(ValueError):
    """Bytes that are not a valid RFC 1006 packet of this endpoint (the message says why)."""


def next_ref(ref: int) -> int:
    """The reference an endpoint gives its next connection after ``ref``: 1 to 65,535, then 1 again.

    References have 16 bits and a CR carries 0 for the reference it does not know yet, so an
    endpoint that has made more than 65,535 connections wraps round past 0.

    >>> next_ref(0), next_ref(41), next_ref(0xFFFF)
    (1, 42, 1)
    """
    return ref % 0xFFFF + 1


def _check_u16(name: str, value: int) -> None:
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"{name} must fit in 16 bits (got {value})")


def _check_u8(name: str, value: int) -> None:
    if not 0 <= value <= 0xFF:
        raise ValueError(f"{name} must fit in 8 bits (got {value})")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Connect:
    """The fields CR and CC share (ISO 8073 13.3 and 13.4)."""

    CODE: ClassVar[int]
    NAME: ClassVar[str]

    dst_ref: int = 0
    """0 in a CR; in a CC the caller's source reference."""
    src_ref: int = 0
    class_option: int = 0
    """Class in the high nibble, options in the low one: 0 is class 0, normal formats."""
    calling: bytes = b""
    """Calling TSAP (parameter 0xC1); empty means the parameter is left out."""
    called: bytes = b""
    """Called TSAP (parameter 0xC2); empty means the parameter is left out."""
    tpdu_size: int | None = None
    """TPDU size parameter (0xC0) as its exponent, 7 to 13 (128 to 8192 bytes); None: left out."""

    def __post_init__(self) -> None:
        _check_u16("dst_ref", self.dst_ref)
        _check_u16("src_ref", self.src_ref)
        _check_u8("class_option", self.class_option)
        if self.tpdu_size is not None and self.tpdu_size not in _TPDU_SIZES:
            raise ValueError(f"tpdu_size must be 7 to 13 (got {self.tpdu_size})")
        for name, value in (("calling", self.calling), ("called", self.called)):
            if len(value) > 255:
                raise ValueError(f"{name} TSAP is longer than 255 bytes (got {len(value)})")
        if len(self._header()) > _MAX_LI:
            raise ValueError(f"{self.NAME} header would be {len(self._header())} bytes; at most {_MAX_LI} fit")

    def _header(self) -> bytes:
        params = b""
        if self.tpdu_size is not None:
            params += bytes((TPDU_SIZE, 1, self.tpdu_size))
        for code, value in ((CALLING_TSAP, self.calling), (CALLED_TSAP, self.called)):
            if value:
                params += bytes((code, len(value))) + value
        return (
            bytes((self.CODE,))
            + self.dst_ref.to_bytes(2, "big")
            + self.src_ref.to_bytes(2, "big")
            + bytes((self.class_option,))
            + params
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectRequest(_Connect):
    """CR: the caller asks for a transport connection (code 0xE0)."""

    CODE: ClassVar[int] = CR
    NAME: ClassVar[str] = "CR"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectConfirm(_Connect):
    """CC: the called side accepts (code 0xD0)."""

    CODE: ClassVar[int] = CC
    NAME: ClassVar[str] = "CC"


@dataclass(frozen=True, slots=True, kw_only=True)
class DisconnectRequest:
    """DR: refuse a connection or end one (code 0x80), with an ISO 8073 reason."""

    CODE: ClassVar[int] = DR
    NAME: ClassVar[str] = "DR"

    dst_ref: int = 0
    src_ref: int = 0
    reason: int = 0

    def __post_init__(self) -> None:
        _check_u16("dst_ref", self.dst_ref)
        _check_u16("src_ref", self.src_ref)
        _check_u8("reason", self.reason)

    @property
    def reason_text(self) -> str:
        """The reason in words, as ISO 8073 names it."""
        return REASONS.get(self.reason, f"reason {self.reason}")

    def _header(self) -> bytes:
        return bytes((self.CODE,)) + self.dst_ref.to_bytes(2, "big") + self.src_ref.to_bytes(2, "big") + bytes((self.reason,))


@dataclass(frozen=True, slots=True, kw_only=True)
class DataTransfer:
    """DT: user data on an open connection (code 0xF0), the last of a unit when ``eot`` is set.

    Only :func:`encode` knows it (the simulated capture carries mail in DTs); the live MTA opens
    and refuses associations but moves no mail, so :func:`decode` turns a DT away.

    >>> encode(DataTransfer(user_data=b"hi")).hex(" ")
    '03 00 00 09 02 f0 80 68 69'
    """

    CODE: ClassVar[int] = DT
    NAME: ClassVar[str] = "DT"

    user_data: bytes = b""
    eot: bool = True
    """End of TSDU: this DT ends the unit of data (the high bit of the byte after the code)."""

    def __post_init__(self) -> None:
        if HEADER_SIZE + 3 + len(self.user_data) > MAX_PACKET:
            raise ValueError(f"a DT holds at most {MAX_PACKET - HEADER_SIZE - 3} bytes of user data (got {len(self.user_data)})")

    def _header(self) -> bytes:
        return bytes((self.CODE, 0x80 if self.eot else 0))


TPDU = ConnectRequest | ConnectConfirm | DisconnectRequest


def encode(tpdu: TPDU | DataTransfer) -> bytes:
    """One RFC 1006 packet: the TPKT header, the LI and the TPDU header, then a DT's user data."""
    header = tpdu._header()
    data = tpdu.user_data if isinstance(tpdu, DataTransfer) else b""
    size = HEADER_SIZE + 1 + len(header) + len(data)
    return bytes((TPKT_VERSION, 0)) + size.to_bytes(2, "big") + bytes((len(header),)) + header + data


def packet_length(head: bytes) -> int | None:
    """Check the start of a packet; return its total length, or None until 4 bytes are there.

    The version and reserved bytes are checked as soon as they arrive, so a peer that speaks
    something else is turned away at its first byte rather than after a timeout.

    Raises
    ------
    ProtocolError
        A wrong version or reserved byte, or a length too short to hold any TPDU.
    """
    if len(head) >= 1 and head[0] != TPKT_VERSION:
        raise ProtocolError(f"TPKT version must be {TPKT_VERSION} (got {head[0]})")
    if len(head) >= 2 and head[1] != 0:
        raise ProtocolError(f"TPKT reserved byte must be 0 (got {head[1]})")
    if len(head) < HEADER_SIZE:
        return None
    length = int.from_bytes(head[2:4], "big")
    if length < HEADER_SIZE + 2:
        raise ProtocolError(f"TPKT length {length} is too short: a packet needs 4 header bytes, an LI and a TPDU code")
    return length


def decode(packet: bytes) -> TPDU:
    """Read exactly one RFC 1006 packet.

    Raises
    ------
    ProtocolError
        The bytes are not one valid CR, CC or DR packet; the message says what is wrong.
    """
    length = packet_length(packet)
    if length is None:
        raise ProtocolError(f"truncated packet: {len(packet)} bytes, not even the 4-byte TPKT header")
    if len(packet) < length:
        raise ProtocolError(f"truncated packet: the TPKT length says {length} bytes but only {len(packet)} arrived")
    if len(packet) > length:
        raise ProtocolError(f"the TPKT length says {length} bytes but the packet has {len(packet)}")
    li = packet[HEADER_SIZE]
    body = packet[HEADER_SIZE + 1 :]
    if li == 255:
        raise ProtocolError("COTP length indicator 255 is reserved")
    if li > len(body):
        raise ProtocolError(f"COTP length indicator {li} runs past the packet ({len(body)} bytes follow it)")
    if li == 0:
        raise ProtocolError("COTP length indicator 0 leaves no room for a TPDU code")
    header, data = body[:li], body[li:]
    code = header[0]
    if code not in (CR, CC, DR):
        high = code & 0xF0
        if high in (CR, CC):
            hint = f" (a {'CR' if high == CR else 'CC'} with credit {code & 0x0F}, which class 0 does not use)"
        elif high in _OTHER_CODES:
            hint = f" ({_OTHER_CODES[high]}, which this endpoint does not speak)"
        else:
            hint = ""
        raise ProtocolError(f"unknown TPDU code 0x{code:02X}{hint}: expected CR 0xE0, CC 0xD0 or DR 0x80")
    what = {CR: "CR", CC: "CC", DR: "DR"}[code]
    if li < _FIXED:
        raise ProtocolError(f"a {what} needs a length indicator of at least {_FIXED} (got {li})")
    if data:
        raise ProtocolError(f"a class 0 {what} carries no user data, but {len(data)} bytes follow its header")
    dst_ref = int.from_bytes(header[1:3], "big")
    src_ref = int.from_bytes(header[3:5], "big")
    params = _parameters(header[_FIXED:], what)
    if code == DR:
        return DisconnectRequest(dst_ref=dst_ref, src_ref=src_ref, reason=header[5])
    size = params.get(TPDU_SIZE)
    if size is not None and (len(size) != 1 or size[0] not in _TPDU_SIZES):
        raise ProtocolError(f"{what} TPDU size parameter must be one byte, 7 to 13 (got {size.hex() or 'nothing'})")
    cls = ConnectRequest if code == CR else ConnectConfirm
    return cls(
        dst_ref=dst_ref,
        src_ref=src_ref,
        class_option=header[5],
        calling=params.get(CALLING_TSAP, b""),
        called=params.get(CALLED_TSAP, b""),
        tpdu_size=size[0] if size is not None else None,
    )


def _parameters(raw: bytes, what: str) -> dict[int, bytes]:
    """The variable part: (code, length, value) triples filling the rest of the header exactly.

    Parameters this endpoint does not use (for instance 0xC6 additional options, or a DR's 0xE0
    additional information) are checked for length and then skipped, since a class 0 entity
    may ignore them; a parameter given twice is an error.
    """
    found: dict[int, bytes] = {}
    i = 0
    while i < len(raw):
        if i + 2 > len(raw):
            raise ProtocolError(f"{what} parameter 0x{raw[i]:02X} is cut off: no length byte before the header ends")
        code, size = raw[i], raw[i + 1]
        value = raw[i + 2 : i + 2 + size]
        if len(value) < size:
            raise ProtocolError(f"{what} parameter 0x{code:02X} says {size} bytes but only {len(value)} are left in the header")
        if code in found:
            raise ProtocolError(f"{what} parameter 0x{code:02X} is given twice")
        found[code] = value
        i += 2 + size
    return found


class Framer:
    """Cut a TCP byte stream into packets (sans-IO: the caller feeds bytes it has read).

    Examples
    --------
    >>> f = Framer()
    >>> wire = encode(DisconnectRequest(reason=128))
    >>> f.feed(wire[:5]); f.next_tpdu() is None
    True
    >>> f.feed(wire[5:]); f.next_tpdu()
    DisconnectRequest(dst_ref=0, src_ref=0, reason=128)
    >>> f.feed(b"\\x03\\x00\\x00\\x30"); f.eof()
    Traceback (most recent call last):
    ...
    xcon_teach.rfc1006.ProtocolError: truncated packet: the connection closed after 4 of 48 bytes
    """

    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a complete packet."""
        return len(self._buffer)

    def feed(self, data: bytes) -> None:
        """Add bytes read from the connection."""
        self._buffer += data

    def next_tpdu(self) -> TPDU | None:
        """The next complete TPDU, or None while more bytes are needed.

        Raises
        ------
        ProtocolError
            The bytes received so far cannot start or form a valid packet.
        """
        length = packet_length(bytes(self._buffer[:HEADER_SIZE]))
        if length is None or len(self._buffer) < length:
            return None
        packet = bytes(self._buffer[:length])
        del self._buffer[:length]
        return decode(packet)

    def eof(self) -> None:
        """The peer closed its side: fine between packets, a truncated packet otherwise.

        Raises
        ------
        ProtocolError
            Part of a packet was left when the connection closed.
        """
        if self._buffer:
            head = bytes(self._buffer[:HEADER_SIZE])
            length = packet_length(head)
            expected = f"{length}" if length is not None else "at least 4"
            raise ProtocolError(f"truncated packet: the connection closed after {len(self._buffer)} of {expected} bytes")
