"""Network namespaces for the live lab: create them, enter them, and always delete them.

Every namespace this module makes is named ``xct-<pid>-<4 hex>-<role>``: the common stem
``xct-`` lets ``--cleanup`` find leftovers of any run, and the pid tells a leftover of a killed
run from a namespace of a run still going. The lab touches nothing else: the veth pairs are
created straight into their namespaces, the bridge lives in a namespace of its own (never the
root namespace), there are no default routes and forwarding stays off, so nothing is routed out.

Namespaces are entered with ``setns(2)`` on the calling thread only (through ``ctypes`` on
Python 3.11; ``os.setns`` from 3.12). A socket belongs to the namespace it was created in for
its whole life, so :func:`socket_in` enters a namespace just long enough to create the socket
and then goes home: the lab needs no ``ip netns exec`` subprocesses and no forked children,
which keeps a whole comparison well under a second.
"""

from __future__ import annotations

import ctypes
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from ..errors import UsageError, XconError

__all__ = [
    "STEM",
    "Interrupted",
    "LabError",
    "Network",
    "cleanup_leftovers",
    "cleanup_on_signals",
    "inside",
    "namespaces",
    "new_prefix",
    "require_root",
    "socket_in",
    "subnet_for",
]

STEM = "xct-"
"""Every namespace of every run starts with this."""
_OURS = re.compile(r"(xct-(\d+)-[0-9a-f]{4})-")
MARKERS = Path("/run/xcon-teach")
"""One file a run, named by its prefix, holding the pid and start time of the process that made its
namespaces, then their names, a line each: ``--cleanup`` removes only namespaces named in such a
marker whose process is gone (not one that someone else made with a name of the same pattern)."""


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot), or None if there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def write_marker(prefix: str, names: Sequence[str]) -> None:
    MARKERS.mkdir(parents=True, exist_ok=True)
    (MARKERS / prefix).write_text(f"{os.getpid()} {_started(os.getpid())}\n" + "".join(n + "\n" for n in names))


def remove_marker(prefix: str) -> None:
    (MARKERS / prefix).unlink(missing_ok=True)


_WATCHER = r"""
import pathlib, signal, subprocess, sys, time
for name in ("SIGINT", "SIGHUP", "SIGQUIT", "SIGTERM", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGPIPE"):
    signal.signal(getattr(signal, name), signal.SIG_IGN)
try:
    sys.stdin.buffer.read()  # until the run's process ends, however it ends
except OSError:
    pass
marker = pathlib.Path(sys.argv[1]) / sys.argv[2]
try:
    made = set(marker.read_text().splitlines()[1:])
except OSError:
    sys.exit(0)  # the run cleaned up after itself
# An `ip` the run started may outlive it and still be adding namespaces: delete what is there until
# none of the run's names has been seen for a second (at most a minute), and only then drop the marker.
quiet, give_up = time.monotonic() + 1.0, time.monotonic() + 60.0
while time.monotonic() < min(quiet, give_up):
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10).stdout
    doomed = [n for n in (line.split()[0] for line in listed.splitlines() if line.strip()) if n in made]
    if doomed:
        subprocess.run(["ip", "-force", "-batch", "-"], input="".join(f"netns del {n}\n" for n in doomed),
                       capture_output=True, text=True, timeout=10)
        quiet = time.monotonic() + 1.0
    time.sleep(0.05)
marker.unlink(missing_ok=True)
"""
"""What :func:`watch` runs: wait for the end of the run's process, then delete what its marker lists."""


def watch(prefix: str) -> subprocess.Popen[bytes] | None:
    """Start a watcher that deletes the run's namespaces if its process dies without doing it.

    A signal handler cannot help against SIGKILL, and SIGSEGV, SIGBUS, SIGFPE and SIGILL report a
    fault in the process itself, whose default (a core dump) is worth keeping. So a small process
    of its own session (a Ctrl-C at the terminal does not reach it) holds the read end of a pipe
    whose write end only the run holds: when the run ends, normally or killed by any signal, the
    kernel closes the pipe, and the watcher deletes the namespaces named in the run's marker if
    they are still there (after a normal end they are gone and it just exits). None if it could
    not start; the signal handlers and ``--cleanup`` still work then.
    """
    try:
        return subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _WATCHER, str(MARKERS), prefix],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return None


_CLONE_NEWNET = 0x40000000
_IP_TIMEOUT = 10.0
"""Seconds an ``ip`` command may take; each takes a few milliseconds."""


class LabError(XconError):
    """The machine could not do what the live lab asked (an ``ip`` command failed, say)."""


class Interrupted(BaseException):
    """A terminating signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1...) arrived during a live run (a BaseException, like KeyboardInterrupt,
    so that no ``except Exception`` on the way can swallow it before the namespaces are gone)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        """SIGTERM, say; a real-time signal as SIGRTMIN+n (the enum names none of them)."""
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"SIGRTMIN+{self.signum - signal.SIGRTMIN}"


def require_root() -> None:
    """Refuse, with one clear line, to run without root or without iproute2.

    Raises
    ------
    UsageError
        Not root, or no ``ip`` command.
    """
    if not hasattr(os, "geteuid") or not os.path.isdir("/proc/self/ns"):
        raise UsageError("live: needs Linux network namespaces; use `xcon-teach run` for the simulation alone")
    if os.geteuid() != 0:
        raise UsageError(
            "live: needs root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN); "
            "run it as root, or use `xcon-teach run` for the simulation alone"
        )
    if shutil.which("ip") is None:
        raise UsageError("live: needs the `ip` command of iproute2, which is not on PATH")


def new_prefix() -> str:
    """A name prefix unique to this run: the stem, our pid and a random tag."""
    return f"{STEM}{os.getpid()}-{secrets.token_hex(2)}"


def _ip(args: Sequence[str], commands: Sequence[str] = (), *, check: bool = True) -> str:
    """Run ``ip ARGS`` (with ``-batch -`` fed by ``commands`` when given); return its output."""
    argv = ["ip", *args, *(["-batch", "-"] if commands else [])]
    try:
        done = subprocess.run(
            argv,
            input="".join(c + "\n" for c in commands),
            capture_output=True,
            text=True,
            timeout=_IP_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"live: `{' '.join(argv)}` failed: {exc}") from None
    if check and done.returncode != 0:
        problem = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
        raise LabError(f"live: `{' '.join(argv)}` failed: {problem}")
    return done.stdout


def namespaces() -> list[str]:
    """Names of all named network namespaces (``ip netns list``)."""
    return [line.split()[0] for line in _ip(["netns", "list"]).splitlines() if line.strip()]


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False  # os.kill(0, ...) would mean our own process group
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cleanup_leftovers() -> tuple[list[str], list[str]]:
    """Delete the namespaces that killed runs left behind.

    Returns
    -------
    removed, kept
        Names deleted, and names kept because the run that made them is still going.
    """
    removed: list[str] = []
    kept: list[str] = []
    prefixes: dict[str, list[str]] = {}
    for name in namespaces():
        match = _OURS.match(name)
        if match is None or not (MARKERS / match.group(1)).is_file():
            continue  # not made by the live lab: never ours to delete
        head, *made = (MARKERS / match.group(1)).read_text().splitlines() or [""]
        if name not in made:
            continue  # the run's pattern, but not one of the namespaces it made
        pid, start = [*head.split(), "", ""][:2]
        owner = int(pid) if pid.isdigit() else 0
        if owner != os.getpid() and _alive(owner) and _started(owner) == start:
            kept.append(name)
        else:
            removed.append(name)
            prefixes[match.group(1)] = made
    if removed:
        _ip(["-force"], [f"netns del {n}" for n in removed], check=False)
    gone = set(namespaces())
    for prefix, made in prefixes.items():
        if not gone.intersection(made):
            remove_marker(prefix)
    return [n for n in removed if n not in gone], kept + [n for n in removed if n in gone]


def _setns(fd: int) -> None:
    setns: Callable[[int, int], None] | None = getattr(os, "setns", None)
    if setns is not None:
        setns(fd, _CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@contextmanager
def inside(name: str) -> Iterator[None]:
    """Run the block with this thread in namespace ``name``; come home afterwards, always."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(f"/run/netns/{name}", os.O_RDONLY | os.O_CLOEXEC)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(home)


def socket_in(name: str, timeout: float, kind: socket.SocketKind = socket.SOCK_STREAM) -> socket.socket:
    """A new IPv4 socket that lives in namespace ``name``, with a timeout (every socket has one)."""
    with inside(name):
        sock = socket.socket(socket.AF_INET, kind)
    sock.settimeout(timeout)
    return sock


TERMINATING = tuple(
    dict.fromkeys(
        [
            getattr(signal, name)
            for name in (
                "SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM",
                "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGPWR", "SIGSYS",
                "SIGSTKFLT", "SIGIO", "SIGPOLL", "SIGTRAP", "SIGABRT",
            )
            if hasattr(signal, name)
        ]
        + (list(range(signal.SIGRTMIN, signal.SIGRTMAX + 1)) if hasattr(signal, "SIGRTMIN") else [])
    )
)  # fmt: skip
"""Every signal whose default action ends the process and that a program may catch, real-time
signals included. SIGKILL cannot be caught, and SIGSEGV, SIGBUS, SIGFPE and SIGILL report a fault
in the process itself and keep their default: for those, the run's watcher (:func:`watch`) deletes
the namespaces once the process is gone, and ``--cleanup`` is there if even that was killed."""


@contextmanager
def cleanup_on_signals(cleanup: Callable[[], None]) -> Iterator[None]:
    """Run the block with every catchable terminating signal (:data:`TERMINATING`) turned into
    :class:`Interrupted`; then ``cleanup()``, always.

    The clean-up runs however the block ends: normally, by an exception, or by a signal (the
    handler raises :class:`Interrupted`, so the block unwinds through its ``finally`` clauses
    first). A signal that arrives during the clean-up does not cut it short: it is kept and
    raised once the clean-up is done and the program's own handlers are back. Outside the
    main thread Python cannot set handlers, so there the clean-up only runs on the way out.
    """
    main = threading.current_thread() is threading.main_thread()
    pending: list[int] = []

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    def defer(signum: int, frame: FrameType | None) -> None:
        pending.append(signum)

    watched = TERMINATING
    previous = {s: signal.signal(s, interrupt) for s in watched} if main else {}
    try:
        yield
    finally:
        for s in previous:
            signal.signal(s, defer)
        try:
            cleanup()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    if pending:
        raise Interrupted(pending[0])


def subnet_for(addresses: Sequence[str], reach: Sequence[str] = ()) -> ipaddress.IPv4Network:
    """One on-link prefix holding every address, inside one RFC 1918 block, at most a /24.

    All of a scenario's addresses on one prefix means every host reaches every other without a
    route, and a virtual IP added after a node's own IP becomes ``secondary`` (KERNEL.md).
    ``reach`` are addresses only connected to (a connector's Address, a HOSTS entry): the prefix
    grows to hold those in the same block too, so that one nobody holds times out on ARP, as the
    model says, rather than failing at once for want of a route.

    Raises
    ------
    UsageError
        An address outside the private blocks, addresses in two blocks, or no prefix in which
        none of them is a network or broadcast address.

    Examples
    --------
    >>> subnet_for(["10.0.0.10", "10.0.1.11", "10.0.1.20"])
    IPv4Network('10.0.0.0/23')
    >>> subnet_for(["10.0.0.10", "10.0.1.11"], reach=["10.0.7.1", "192.168.1.1"])
    IPv4Network('10.0.0.0/21')
    """
    blocks = [ipaddress.IPv4Network(b) for b in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
    ips = [ipaddress.IPv4Address(a) for a in addresses]
    for ip in ips:
        if not any(ip in b for b in blocks):
            raise UsageError(f"live: uses only private addresses (10/8, 172.16/12, 192.168/16) inside its namespaces (got {ip})")
    block = next(b for b in blocks if ips[0] in b)
    if not all(ip in block for ip in ips):
        raise UsageError(f"live: every address of the scenario must be in one private block, {block} here")
    ips += [ip for ip in map(ipaddress.IPv4Address, reach) if ip in block and ip not in ips]
    first = int(ips[0])
    common = min((32 - (first ^ int(ip)).bit_length() for ip in ips), default=32)
    for length in range(min(common, 24), block.prefixlen - 1, -1):
        net = ipaddress.IPv4Network((first, length), strict=False)
        if not any(ip in (net.network_address, net.broadcast_address) for ip in ips):
            return net
    raise UsageError("live: the scenario's addresses include a network or broadcast address of every prefix that holds them")


@dataclass
class Network:
    """One namespace per host, each with ``eth0`` on one bridge that sits in a namespace of its own.

    ``prefix`` names everything; ``subnet`` is the one on-link prefix every address gets.
    """

    prefix: str
    subnet: ipaddress.IPv4Network
    hosts: tuple[str, ...]
    created: list[str] = field(default_factory=list)
    _watcher: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def bridge(self) -> str:
        return f"{self.prefix}-bridge"

    def ns(self, host: str) -> str:
        """The namespace of ``host``."""
        return f"{self.prefix}-h-{host}"

    def _cidr(self, ip: str) -> str:
        return f"{ip}/{self.subnet.prefixlen}"

    def create(self, addresses: Mapping[str, Sequence[str]]) -> None:
        """Make the namespaces, the veth pairs and the bridge; give each host its addresses in order.

        The bridge and its ports come up before the hosts' ends, so the first SYN of a run
        meets a forwarding bridge instead of waiting for a retransmission.
        """
        names = [self.bridge, *(self.ns(h) for h in self.hosts)]
        # Remember the names first: if creation fails half-way, destroy() still finds them; and
        # mark them as this process's, so that --cleanup after a kill knows them for ours.
        write_marker(self.prefix, names)
        self.created = names
        self._watcher = watch(self.prefix)
        _ip(
            [],
            [f"netns add {n}" for n in names]
            + [
                f"link add eth0 netns {self.ns(h)} type veth peer name p{i} netns {self.bridge}" for i, h in enumerate(self.hosts)
            ],
        )
        ports = [f"p{i}" for i in range(len(self.hosts))]
        _ip(
            ["-n", self.bridge],
            [
                "link add br0 type bridge",
                *(f"link set {p} master br0" for p in ports),
                *(f"link set {p} up" for p in ports),
                "link set br0 up",
            ],
        )
        for h in self.hosts:
            # Order matters: the first address in the prefix is primary, later ones secondary.
            _ip(
                ["-n", self.ns(h)],
                ["link set lo up", *(f"addr add {self._cidr(a)} dev eth0" for a in addresses[h]), "link set eth0 up"],
            )

    def move_address(self, ip: str, old: str, new: str) -> None:
        """Failover of an IP resource: take ``ip`` off ``old``, add it after ``new``'s own address.

        Then every host forgets its ARP entries, so the peer asks afresh and reaches the new
        owner at once (a real cluster sends a gratuitous ARP instead; KERNEL.md measured a hang
        of 35-83 s without either).
        """
        _ip(["-n", self.ns(old)], [f"addr del {self._cidr(ip)} dev eth0"])
        _ip(["-n", self.ns(new)], [f"addr add {self._cidr(ip)} dev eth0"])
        for h in self.hosts:
            _ip(["-n", self.ns(h)], ["neigh flush all"])

    def addresses(self, host: str) -> list[str]:
        """The IPv4 addresses on ``host``'s ``eth0`` as the kernel lists them (primary first)."""
        out = _ip(["-n", self.ns(host), "-o", "-4", "addr", "show", "dev", "eth0"])
        return [line.split()[3].split("/")[0] for line in out.splitlines() if " inet " in line]

    def destroy(self) -> None:
        """Delete every namespace this network made (the veths and the bridge go with them)."""
        if not self.created:
            self._stop_watching()
            return
        existing = set(namespaces())
        doomed = [n for n in self.created if n in existing]
        if doomed:
            _ip(["-force"], [f"netns del {n}" for n in doomed], check=False)
        self.created = []
        remove_marker(self.prefix)
        self._stop_watching()

    def _stop_watching(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is None:
            return
        if watcher.stdin is not None:
            watcher.stdin.close()  # the marker is gone: the watcher finds nothing to do and exits
        try:
            watcher.wait(timeout=5)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait()
