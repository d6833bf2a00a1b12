"""The live MTAs: small socket glue around the pure codec and the model's receiver rule.

A :class:`ReceivingMta` listens on TCP port 102 (all addresses, as an Exchange MTA does,
Q197378) in one namespace. For each inbound connection it reads a CR, takes the caller's IP
from ``getpeername()`` (the address the kernel really delivered), runs the model's connector
decision (:func:`xcon_teach.sim.receiver.decide`, the one the simulation calls) on it, logs the
Event 9301 texts its lookup produces, and answers CC (accepted) or DR 136 "connection request
refused" (refused).
A malformed packet is a :class:`~.rfc1006.ProtocolError`: logged, the connection closed, and
the listener goes on serving, since every connection has a thread of its own.

:func:`associate` is the sending side: it connects (bound or not, as the caller decided from
the model's sender rule), sends a CR and reads the answer. Every socket has a timeout.
"""

from __future__ import annotations

import ctypes
import errno
import selectors
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Literal

from .. import rfc1006
from ..rfc1006 import TPDU, ConnectConfirm, ConnectRequest, DisconnectRequest, Framer, ProtocolError, next_ref
from ..sim.eventlog import Event
from ..sim.receiver import decide
from ..sim.world import World
from .netns import socket_in

__all__ = [
    "Attempt",
    "LiveEvent",
    "ReceivingMta",
    "Seen",
    "Switchboard",
    "associate",
    "errno_name",
    "listen_in",
    "receive",
]

PORT = 102
"""RFC 1006 (Q176466)."""
NORMAL = 128
"""DR reason: normal disconnect, sent by the caller once it has seen the CC."""

Outcome = Literal["accepted", "refused", "disconnected", "no MTA", "unreachable", "bind failed", "protocol error", "no answer"]


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """An Event 9301 a live MTA logged: the same server, network address and text as the model's."""

    server: str
    network_address: str
    text: str

    @classmethod
    def of(cls, event: Event) -> LiveEvent:
        """The live form of an event of the model (what a comparison holds side by side)."""
        return cls(event.server, event.network_address, event.text)

    def to_dict(self) -> dict[str, str]:
        return {"server": self.server, "network_address": self.network_address, "text": self.text}


@dataclass(frozen=True, slots=True)
class Seen:
    """What a receiving MTA saw of one inbound association, and what it answered."""

    server: str
    caller: str
    """The caller's IP, from ``getpeername()``: the TCP source address on the wire."""
    port: int
    called: str
    """The called TSAP of the CR: the MTA the caller meant to reach (this lab puts the server name there)."""
    accepted: bool
    connector: str | None
    """The connector the model's lookup found for the caller, as ``SERVER->REMOTE``."""
    events: tuple[LiveEvent, ...]


class Switchboard:
    """Where receiving MTAs leave what they saw, keyed by the caller's (IP, port), for the sender to pick up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, int], Seen] = {}

    def put(self, seen: Seen) -> None:
        with self._lock:
            self._seen[(seen.caller, seen.port)] = seen

    def take(self, ip: str, port: int) -> Seen | None:
        with self._lock:
            return self._seen.pop((ip, port), None)


def errno_name(exc: OSError) -> str:
    """``EADDRNOTAVAIL``, ``ECONNREFUSED``...: the name a C programmer would look up."""
    if isinstance(exc, TimeoutError) and exc.errno is None:
        return "timed out"
    return errno.errorcode.get(exc.errno or 0, str(exc))


def receive(sock: socket.socket, framer: Framer) -> TPDU | None:
    """The next TPDU from ``sock``, or None when the peer closed cleanly between packets.

    Raises
    ------
    ProtocolError
        Malformed bytes, or a packet cut off by the peer closing.
    TimeoutError
        The socket's timeout passed while waiting for the rest.
    """
    while True:
        tpdu = framer.next_tpdu()
        if tpdu is not None:
            return tpdu
        data = sock.recv(4096)
        if not data:
            framer.eof()
            return None
        framer.feed(data)


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


_SO_ATTACH_FILTER = 26
_LD_W_ABS, _JEQ_K, _RET_K = 0x20, 0x15, 0x06
_NET_SADDR = (0xFFF00000 + 12) & 0xFFFFFFFF
"""SKF_NET_OFF + 12: the IPv4 source address, whatever header the filter starts at."""


def _attach_source_filter(sock: socket.socket, allowed: Sequence[str]) -> None:
    """Let the kernel drop, before the MTA sees it, every packet whose source is not ``allowed``.

    A classic BPF socket filter on the listener: a SYN from any other source is discarded in
    the kernel, so the caller's connect times out, as behind the scenario's firewall. (This
    machine's kernel has no netfilter or tc classifiers, so the filter sits on the MTA's socket
    rather than in front of the host: a host with no MTA still answers with a reset.)
    """
    n = len(allowed)
    code = [_SockFilter(_LD_W_ABS, 0, 0, _NET_SADDR)]
    # Layout: load, one test per allowed address (a match jumps to "accept"), "drop", "accept".
    code += [_SockFilter(_JEQ_K, n - i, 0, int(IPv4Address(ip))) for i, ip in enumerate(allowed)]
    code += [_SockFilter(_RET_K, 0, 0, 0), _SockFilter(_RET_K, 0, 0, 0xFFFFFFFF)]
    program = (_SockFilter * len(code))(*code)
    fprog = _SockFprog(len(code), ctypes.cast(program, ctypes.POINTER(_SockFilter)))
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, bytes(fprog))


def listen_in(ns: str, timeout: float, *, port: int = PORT, allow_sources: Sequence[str] | None = None) -> socket.socket:
    """A listening socket on every address of namespace ``ns``, port 102, behind the firewall if any."""
    sock = socket_in(ns, timeout)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if allow_sources is not None:
            _attach_source_filter(sock, allow_sources)
        sock.bind(("0.0.0.0", port))
        sock.listen(16)
    except BaseException:
        sock.close()
        raise
    return sock


class ReceivingMta:
    """A receiving MTA: a listener thread, and one short-lived thread per inbound connection.

    Parameters
    ----------
    server
        The Exchange server whose MTA this is.
    listener
        A listening socket (from :func:`listen_in`) in the namespace of the host running the MTA.
    world
        Returns the model's state now (who holds which address), for the connector lookup.
    switchboard
        Where to leave what was seen, for the sender.
    timeout
        Seconds any read or write on a connection may wait.
    """

    def __init__(
        self, server: str, listener: socket.socket, world: Callable[[], World], switchboard: Switchboard, *, timeout: float
    ) -> None:
        self.server = server
        self._listener = listener
        self._world = world
        self._switchboard = switchboard
        self._timeout = timeout
        self._lock = threading.Lock()
        self._events: list[LiveEvent] = []
        self._errors: list[str] = []
        self._handlers: list[threading.Thread] = []
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.settimeout(timeout)
        self._wake_w.settimeout(timeout)
        self._ref = 0
        self._thread = threading.Thread(target=self._loop, name=f"mta-{server}", daemon=True)

    @property
    def events(self) -> tuple[LiveEvent, ...]:
        """Every Event 9301 this MTA logged, in order."""
        with self._lock:
            return tuple(self._events)

    @property
    def errors(self) -> tuple[str, ...]:
        """Protocol errors and broken connections, one line each, in order."""
        with self._lock:
            return tuple(self._errors)

    def start(self) -> ReceivingMta:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening (callers now get a reset), finish the connections in hand, close everything."""
        self._stop.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if self._thread.is_alive():
            self._thread.join(self._timeout + 1)
        self._listener.close()
        for t in self._handlers:
            t.join(self._timeout + 1)
        self._wake_r.close()
        self._wake_w.close()

    def _note(self, text: str) -> None:
        with self._lock:
            self._errors.append(text)

    def _loop(self) -> None:
        with selectors.DefaultSelector() as sel:
            sel.register(self._listener, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=self._timeout):
                    if key.fileobj is not self._listener:
                        continue
                    try:
                        conn, peer = self._listener.accept()
                    except (BlockingIOError, TimeoutError, InterruptedError):
                        continue  # another wake-up took it, or the caller gave up
                    except OSError as exc:
                        self._note(f"accept failed: {errno_name(exc)}")
                        continue
                    t = threading.Thread(target=self._serve, args=(conn, peer), name=f"mta-{self.server}-conn", daemon=True)
                    self._handlers = [h for h in self._handlers if h.is_alive()] + [t]
                    t.start()

    def _serve(self, conn: socket.socket, peer: tuple[str, int]) -> None:
        who = f"{peer[0]}:{peer[1]}"
        with conn:
            conn.settimeout(self._timeout)
            framer = Framer()
            try:
                first = receive(conn, framer)
                if first is None:
                    self._note(f"{who} closed the connection before sending a CR")
                    return
                if not isinstance(first, ConnectRequest):
                    raise ProtocolError(f"expected a CR to open the association, got a {first.NAME}")
                seen = self._decide(peer, first)
                self._switchboard.put(seen)
                with self._lock:
                    self._events.extend(seen.events)
                    self._ref = next_ref(self._ref)
                    ref = self._ref
                if seen.accepted:
                    cc = ConnectConfirm(dst_ref=first.src_ref, src_ref=ref, calling=first.calling, called=first.called)
                    conn.sendall(rfc1006.encode(cc))
                    # The lab carries no messages over the association: wait for the caller's DR (or close).
                    receive(conn, framer)
                else:
                    conn.sendall(rfc1006.encode(DisconnectRequest(dst_ref=first.src_ref, src_ref=ref, reason=rfc1006.REFUSED)))
            except ProtocolError as exc:
                self._note(f"protocol error from {who}: {exc}; connection closed")
            except OSError as exc:
                self._note(f"connection from {who} broke: {errno_name(exc)}")
            except Exception as exc:  # a handler thread must not die with a traceback per connection
                self._note(f"connection from {who} failed: {type(exc).__name__}: {exc}; connection closed")

    def _decide(self, peer: tuple[str, int], cr: ConnectRequest) -> Seen:
        """The model's receiver decision (:func:`~xcon_teach.sim.receiver.decide`), applied to the
        address the kernel delivered; this lab's called TSAP names the MTA the caller wants."""
        caller = peer[0]
        called = cr.called.decode("ascii", errors="replace")
        decision = decide(self._world(), self.server, caller, called)
        stages = decision.lookup.stages
        found = decision.lookup.found
        return Seen(
            server=self.server,
            caller=caller,
            port=peer[1],
            called=called,
            accepted=decision.accepted,
            connector=found.label if found is not None else None,
            events=tuple(LiveEvent(self.server, st.event[0], st.event[1]) for st in stages if st.event is not None),
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """What the sending side saw of one association attempt."""

    outcome: Outcome
    source: str | None
    """The local address of the socket (what the kernel chose, or what was bound); None if none."""
    port: int | None
    tag: str
    """A word or two: ``CC``, ``DR 136``, ``ECONNREFUSED``, ``EADDRNOTAVAIL``, ``timed out``."""
    detail: str
    """The same in a sentence."""


def _local(sock: socket.socket) -> tuple[str | None, int | None]:
    try:
        ip, port = sock.getsockname()[:2]
    except OSError:
        return None, None
    return (None, None) if ip == "0.0.0.0" else (str(ip), int(port))


def associate(
    sock: socket.socket, *, bind: str | None, destination: str, calling: str, called: str, src_ref: int, port: int = PORT
) -> Attempt:
    """Open an RFC 1006 association on ``sock`` (which must have a timeout) and close it again.

    ``bind`` None leaves the socket unbound (INADDR_ANY), so the kernel picks the source address:
    that choice is what the live lab tests. The socket is closed on return.
    """
    with sock:
        if bind is not None:
            try:
                sock.bind((bind, 0))
            except OSError as exc:
                return Attempt("bind failed", None, None, errno_name(exc), f"bind({bind}) failed: {exc.strerror or exc}")
        try:
            sock.connect((destination, port))
        except ConnectionRefusedError:
            return Attempt(
                "no MTA",
                *_local(sock),
                "ECONNREFUSED",
                f"{destination} answered the SYN with a reset: nothing listens on port {port}",
            )
        except OSError as exc:
            return Attempt("unreachable", *_local(sock), errno_name(exc), f"connect to {destination}: {exc.strerror or exc}")
        ip, local_port = _local(sock)
        framer = Framer()
        try:
            cr = ConnectRequest(src_ref=src_ref, calling=calling.encode("ascii"), called=called.encode("ascii"))
            sock.sendall(rfc1006.encode(cr))
            reply = receive(sock, framer)
        except ProtocolError as exc:
            return Attempt("protocol error", ip, local_port, "bad reply", str(exc))
        except OSError as exc:
            return Attempt("no answer", ip, local_port, errno_name(exc), f"waiting for CC or DR: {exc.strerror or exc}")
        if isinstance(reply, ConnectConfirm):
            try:
                sock.sendall(rfc1006.encode(DisconnectRequest(dst_ref=reply.src_ref, src_ref=src_ref, reason=NORMAL)))
            except OSError:
                pass  # the association was accepted; how it ends does not change that
            return Attempt("accepted", ip, local_port, "CC", "the MTA confirmed the connection (CC); closed with DR 128")
        if isinstance(reply, DisconnectRequest):
            outcome: Outcome = "refused" if reply.reason == rfc1006.REFUSED else "disconnected"
            return Attempt(
                outcome, ip, local_port, f"DR {reply.reason}", f"the MTA answered DR {reply.reason}: {reply.reason_text}"
            )
        if reply is None:
            return Attempt("no answer", ip, local_port, "closed", "the MTA closed the connection without an answer")
        return Attempt("protocol error", ip, local_port, f"{reply.NAME}", f"expected CC or DR, got a {reply.NAME}")
