"""The RFC 1006 codec of the live lab: known bytes, every kind of malformed packet, and properties.

The codec is pure, so none of this needs root or a network.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xcon_teach import rfc1006
from xcon_teach.rfc1006 import (
    TPDU,
    ConnectConfirm,
    ConnectRequest,
    DisconnectRequest,
    Framer,
    ProtocolError,
    decode,
    encode,
)

# A CR as Siemens S7 PLCs send it (ISO-on-TCP, RFC 1006): parameters in the order C1, C2, C0.
S7_CR = bytes.fromhex("0300001611e00000000100c1020100c2020102c0010a")


# --- known bytes ------------------------------------------------------------------------------


def test_cr_encodes_to_tpkt_and_cotp_bytes() -> None:
    packet = encode(ConnectRequest(src_ref=1, calling=b"EXCLUS", called=b"EXA"))
    assert packet[:4] == bytes((3, 0, 0, len(packet)))  # version 3, reserved 0, length with header
    assert packet[4] == len(packet) - 5  # LI counts the TPDU header after itself
    assert packet[5] == 0xE0
    assert packet.hex() == "0300001813e00000000100c106455843" + "4c5553c203455841"


def test_cc_and_dr_codes() -> None:
    assert encode(ConnectConfirm(dst_ref=1, src_ref=2))[5] == 0xD0
    dr = encode(DisconnectRequest(dst_ref=1, src_ref=2, reason=136))
    assert dr.hex() == "0300000b06800001000288"


def test_a_real_world_cr_decodes() -> None:
    cr = decode(S7_CR)
    assert cr == ConnectRequest(dst_ref=0, src_ref=1, class_option=0, calling=b"\x01\x00", called=b"\x01\x02", tpdu_size=10)
    assert decode(encode(cr)) == cr  # our parameter order differs, the meaning does not


def test_dr_reason_names() -> None:
    assert DisconnectRequest(reason=136).reason_text == "connection request refused"
    assert DisconnectRequest(reason=128).reason_text.startswith("normal")
    assert DisconnectRequest(reason=99).reason_text == "reason 99"


def test_unknown_parameters_are_skipped_and_dr_may_carry_additional_information() -> None:
    cr = bytes.fromhex("e0 0000 0001 00 c6 01 01 c1 01 41".replace(" ", ""))
    packet = bytes((3, 0, 0, 5 + len(cr), len(cr))) + cr
    assert decode(packet) == ConnectRequest(src_ref=1, calling=b"A")
    dr = bytes.fromhex("80000100028ae0026869")
    assert decode(bytes((3, 0, 0, 5 + len(dr), len(dr))) + dr) == DisconnectRequest(dst_ref=1, src_ref=2, reason=0x8A)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"src_ref": 70000}, "16 bits"),
        ({"dst_ref": -1}, "16 bits"),
        ({"class_option": 256}, "8 bits"),
        ({"tpdu_size": 14}, "7 to 13"),
        ({"calling": b"x" * 256}, "longer than 255"),
        ({"calling": b"x" * 200, "called": b"y" * 60}, "at most 254"),
    ],
)
def test_encoding_refuses_values_that_do_not_fit(kwargs: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        ConnectRequest(**kwargs)  # type: ignore[arg-type]


# --- every kind of malformed packet is a clear ProtocolError ----------------------------------

GOOD = encode(ConnectRequest(src_ref=7, calling=b"EXCLUS", called=b"EXA"))


def _packet(tpdu_header: bytes, data: bytes = b"") -> bytes:
    """A correctly framed packet around any TPDU header (LI computed) and trailing data."""
    body = bytes((len(tpdu_header),)) + tpdu_header + data
    return bytes((3, 0)) + (4 + len(body)).to_bytes(2, "big") + body


@pytest.mark.parametrize("cut", range(len(GOOD)))
def test_every_truncation_is_a_protocol_error(cut: int) -> None:
    with pytest.raises(ProtocolError, match="truncated"):
        decode(GOOD[:cut])


@pytest.mark.parametrize(
    ("packet", "problem"),
    [
        (b"\x04" + GOOD[1:], "TPKT version must be 3 \\(got 4\\)"),
        (b"\x00" + GOOD[1:], "TPKT version must be 3 \\(got 0\\)"),
        (GOOD[:1] + b"\x01" + GOOD[2:], "reserved byte must be 0"),
        (GOOD[:2] + (len(GOOD) + 5).to_bytes(2, "big") + GOOD[4:], "truncated packet: the TPKT length says 29"),
        (GOOD[:2] + (len(GOOD) - 2).to_bytes(2, "big") + GOOD[4:], "the TPKT length says 22 bytes but the packet has 24"),
        (GOOD + b"\x00", "the TPKT length says 24 bytes but the packet has 25"),
        (b"\x03\x00\x00\x05\x00", "too short"),
        (_packet(bytes.fromhex("f080")), "unknown TPDU code 0xF0 \\(DT"),
        (_packet(bytes.fromhex("70000000")), "unknown TPDU code 0x70 \\(ER"),
        (_packet(bytes.fromhex("e3000000010000")), "0xE3 \\(a CR with credit 3"),
        (_packet(bytes.fromhex("00000000000000")), "unknown TPDU code 0x00: expected CR 0xE0, CC 0xD0 or DR 0x80"),
        (bytes.fromhex("03000007" + "05e000"), "length indicator 5 runs past the packet"),
        (bytes.fromhex("03000006" + "00e0"), "length indicator 0 leaves no room"),
        (bytes.fromhex("03000006" + "ffe0"), "255 is reserved"),
        (_packet(bytes.fromhex("e00000")), "a CR needs a length indicator of at least 6 \\(got 3\\)"),
        (_packet(bytes.fromhex("800001")), "a DR needs a length indicator of at least 6"),
        (_packet(bytes.fromhex("e00000000100"), b"hello"), "carries no user data, but 5 bytes"),
        (_packet(bytes.fromhex("e00000000100c1")), "parameter 0xC1 is cut off"),
        (_packet(bytes.fromhex("e00000000100c10541")), "parameter 0xC1 says 5 bytes but only 1"),
        (_packet(bytes.fromhex("d00001000200c10141c10142")), "CC parameter 0xC1 is given twice"),
        (_packet(bytes.fromhex("e00000000100c00103")), "TPDU size parameter must be one byte, 7 to 13 \\(got 03\\)"),
        (_packet(bytes.fromhex("e00000000100c0020a0a")), "TPDU size parameter must be one byte"),
    ],
)
def test_malformed_packets_are_clear_protocol_errors(packet: bytes, problem: str) -> None:
    with pytest.raises(ProtocolError, match=problem):
        decode(packet)


def test_protocol_error_is_a_value_error_with_one_line() -> None:
    with pytest.raises(ValueError) as caught:
        decode(b"\x04")
    assert isinstance(caught.value, ProtocolError)
    assert "\n" not in str(caught.value)


# --- the stream framer ------------------------------------------------------------------------


def test_framer_rejects_a_wrong_version_at_the_first_byte() -> None:
    f = Framer()
    f.feed(b"\x16")  # a TLS handshake, say: no need to wait for four bytes
    with pytest.raises(ProtocolError, match="version"):
        f.next_tpdu()


def test_framer_eof_between_packets_is_fine_and_inside_one_is_truncation() -> None:
    f = Framer()
    f.feed(GOOD)
    assert f.next_tpdu() is not None
    f.eof()
    f.feed(GOOD[:2])
    with pytest.raises(ProtocolError, match="closed after 2 of at least 4 bytes"):
        f.eof()


def test_framer_leaves_the_next_packet_in_the_buffer() -> None:
    f = Framer()
    f.feed(GOOD + GOOD[:3])
    assert f.next_tpdu() == decode(GOOD)
    assert f.next_tpdu() is None
    assert f.pending == 3


# --- properties -------------------------------------------------------------------------------

refs = st.integers(0, 0xFFFF)
tsaps = st.binary(max_size=40)
connects = st.builds(
    ConnectRequest,
    dst_ref=refs,
    src_ref=refs,
    class_option=st.integers(0, 255),
    calling=tsaps,
    called=tsaps,
    tpdu_size=st.none() | st.integers(7, 13),
)
confirms = st.builds(
    ConnectConfirm,
    dst_ref=refs,
    src_ref=refs,
    class_option=st.integers(0, 255),
    calling=tsaps,
    called=tsaps,
    tpdu_size=st.none() | st.integers(7, 13),
)
disconnects = st.builds(DisconnectRequest, dst_ref=refs, src_ref=refs, reason=st.integers(0, 255))
tpdus: st.SearchStrategy[TPDU] = st.one_of(connects, confirms, disconnects)


@given(tpdus)
def test_round_trip(tpdu: TPDU) -> None:
    packet = encode(tpdu)
    assert decode(packet) == tpdu
    assert int.from_bytes(packet[2:4], "big") == len(packet) <= rfc1006.MAX_PACKET


@given(st.lists(tpdus, max_size=5), st.lists(st.integers(1, 30), min_size=1, max_size=10))
def test_framer_cuts_any_split_of_a_stream_into_the_same_tpdus(sent: list[TPDU], sizes: list[int]) -> None:
    stream = b"".join(encode(t) for t in sent)
    f = Framer()
    got: list[TPDU] = []
    i = 0
    while i < len(stream):
        size = sizes[len(got) % len(sizes)]
        f.feed(stream[i : i + size])
        i += size
        while (t := f.next_tpdu()) is not None:
            got.append(t)
    f.eof()
    assert got == sent


def _decodes_or_protocol_error(data: bytes) -> TPDU | None:
    """The property under test: decode returns a TPDU or raises ProtocolError, never anything else."""
    try:
        return decode(data)
    except ProtocolError as exc:
        assert str(exc) and "\n" not in str(exc)
        return None


@st.composite
def framed(draw: st.DrawFn) -> bytes:
    """Correct TPKT framing around a TPDU of a likely code with random fields, and an LI that is
    right half the time (so that decoding gets past the framing into the parameters)."""
    code = draw(st.sampled_from([0xE0, 0xD0, 0x80, 0xF0, 0xE1, 0x00]))
    rest = draw(st.binary(max_size=40))
    li = draw(st.just(1 + len(rest)) | st.integers(0, 255))
    extra = draw(st.just(b"") | st.binary(max_size=4))
    body = bytes((li, code)) + rest + extra
    return bytes((3, 0)) + (4 + len(body)).to_bytes(2, "big") + body


@given(st.one_of(st.binary(max_size=80), framed(), st.binary(max_size=60).map(lambda b: bytes.fromhex("0300") + b)))
def test_arbitrary_bytes_decode_or_raise_protocol_error(data: bytes) -> None:
    tpdu = _decodes_or_protocol_error(data)
    if tpdu is not None:
        assert decode(encode(tpdu)) == tpdu  # whatever decodes re-encodes to the same meaning


@given(tpdus, st.integers(0, 200), st.integers(0, 255))
def test_a_corrupted_byte_decodes_or_raises_protocol_error(tpdu: TPDU, where: int, value: int) -> None:
    packet = bytearray(encode(tpdu))
    packet[where % len(packet)] = value
    _decodes_or_protocol_error(bytes(packet))


@given(tpdus, st.data())
def test_truncated_or_padded_packets_always_raise(tpdu: TPDU, data: st.DataObject) -> None:
    packet = encode(tpdu)
    cut = data.draw(st.integers(0, len(packet) - 1))
    with pytest.raises(ProtocolError):
        decode(packet[:cut])
    with pytest.raises(ProtocolError):
        decode(packet + data.draw(st.binary(min_size=1, max_size=8)))


@given(st.lists(st.binary(max_size=20), max_size=8))
def test_framer_on_arbitrary_chunks_yields_tpdus_or_protocol_error(chunks: list[bytes]) -> None:
    f = Framer()
    try:
        for chunk in chunks:
            f.feed(chunk)
            while f.next_tpdu() is not None:
                pass
        f.eof()
    except ProtocolError:
        pass
