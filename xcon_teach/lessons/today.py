"""Lesson helpers for notebook 07, "The bug today": the recorded live table and Linux's source rule.

Two things live here, both pure unless a docstring says otherwise:

- **The recorded live table.** :data:`RECORDED_LIVE` is what ``xcon-teach live kb-q169113``
  printed on a Linux 6.x kernel, with the run-specific parts (the namespace prefix and the run
  time) replaced by placeholders (:func:`with_placeholders`), so the notebook can show the real
  kernel's answer without root. :func:`recording_is_current` checks that the recording's model
  columns, Event 9301 lines and bind check still agree with what ``simulate()`` predicts today,
  so the recording cannot go stale silently; :func:`why_not_live` says whether this machine can
  run the live comparison itself.
- **Linux's rule for an unbound IPv4 socket, as a toy.** :func:`linux_source` reproduces the
  cases measured in ``KERNEL.md`` (:data:`KERNEL_CASES`): the route to the destination supplies
  the source, and a connected route takes the *first* address added in its prefix (the
  primary); later ones are ``secondary`` and never chosen unless a route's ``src`` or a
  ``bind()`` says so. It is a teaching model of those measurements, not the kernel's full
  algorithm (no gateways, scopes, policy routing or IPv6).

Nothing here imports matplotlib or ipywidgets.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

from ..scenario import Scenario, load_scenario
from ..sim import simulate
from ..sim.expect import expect
from ..text import columns

__all__ = [
    "KERNEL_CASES",
    "RECORDED_LIVE",
    "RECORDED_SCENARIO",
    "RUN_PLACEHOLDER",
    "SECONDS_PLACEHOLDER",
    "THEN_AND_NOW",
    "KernelCase",
    "Pick",
    "RecordedRow",
    "kernel_cases_table",
    "linux_source",
    "model_events",
    "model_rows",
    "recorded_events",
    "recorded_live_table",
    "recorded_rows",
    "recording_is_current",
    "then_and_now",
    "why_not_live",
    "with_placeholders",
]

CITED = {"windows-source-selection": "KB969029", "skipassource": "KB975808"}
"""Claims of the source register behind the modern Windows rules that notebook 07 teaches."""

# --- the recorded live table ------------------------------------------------------------------

RECORDED_SCENARIO = "kb-q169113"
"""The built-in scenario the recording was made with."""

RUN_PLACEHOLDER = "xct-<run>"
"""Stands for this run's namespace prefix (``xct-<pid>-<4 hex>``)."""

SECONDS_PLACEHOLDER = "<seconds>"
"""Stands for the run time, in seconds, on the last line."""

RECORDED_LIVE = """\
Live lab: KB Q169113: X.400 over TCP/IP with a clustered server
Kernel: 4 network namespaces (xct-<run>-*), one bridge in its own namespace, 10.0.0.0/23 on-link, no default route
Phase A: the scenario's initial state (and its own scripted failovers)
Phase B: every cluster failed over (WOLFPACK to NODE2), then the messages sent again

phase  msg  route        active          kernel source  kernel outcome    model source  model outcome  verdict
A      m1   EXCLUS->EXA  WOLFPACK=NODE1  10.0.1.11      refused (DR 136)  10.0.1.11     refused        agree
A      m2   EXA->EXCLUS  WOLFPACK=NODE1  10.0.0.10      accepted (CC)     10.0.0.10     accepted       agree
B      m1   EXCLUS->EXA  WOLFPACK=NODE2  10.0.1.12      refused (DR 136)  10.0.1.12     refused        agree
B      m2   EXA->EXCLUS  WOLFPACK=NODE2  10.0.0.10      accepted (CC)     10.0.0.10     accepted       agree

Events the live MTAs logged (the model's Event 9301 text, for the address the kernel delivered):
  A m1  EXA: network address 0A00010B: The message transfer gateway that uses the network address 0A00010B and the transport stack /o=Microsoft/ou=SITEA/cn=Configuration/cn=Servers/cn=EXA/cn=TCP (EXA) could not be found. Check the configuration of the mail gateway. [BASE IL TCP/IP DRVR 36 218] (10)
  A m1  EXA: network address 4E4F444531: The message transfer gateway that uses the network address 4E4F444531 and the transport stack /o=Microsoft/ou=SITEA/cn=Configuration/cn=Servers/cn=EXA/cn=TCP (EXA) could not be found. Check the configuration of the mail gateway. [BASE IL TCP/IP DRVR 36 218] (10)
  B m1  EXA: network address 0A00010C: The message transfer gateway that uses the network address 0A00010C and the transport stack /o=Microsoft/ou=SITEA/cn=Configuration/cn=Servers/cn=EXA/cn=TCP (EXA) could not be found. Check the configuration of the mail gateway. [BASE IL TCP/IP DRVR 36 218] (10)
  B m1  EXA: network address 4E4F444532: The message transfer gateway that uses the network address 4E4F444532 and the transport stack /o=Microsoft/ou=SITEA/cn=Configuration/cn=Servers/cn=EXA/cn=TCP (EXA) could not be found. Check the configuration of the mail gateway. [BASE IL TCP/IP DRVR 36 218] (10)

EADDRNOTAVAIL check: WOLFPACK failed over to NODE2; bind(10.0.1.20) on NODE1: kernel [Errno 99] EADDRNOTAVAIL; model: NODE1 no longer holds 10.0.1.20, so the bind fails (address not available)  agree
Compared: the kernel's source address selection, TCP reachability, and the RFC 1006 CR/CC/DR handshake. Not compared: name services (HOSTS, DNS, WINS, NetBIOS node status) and timing (open interval, retries, NDRs) are the model's, used on both sides.
Result: 5 of 5 comparisons agree, all agree (<seconds> s)
"""
"""``xcon-teach live kb-q169113`` as printed on a Linux 6.x kernel (root, iproute2), placeholders in."""

_PREFIX = re.compile(r"xct-\d+-[0-9a-f]+")
_SECONDS = re.compile(r"\(\d+(?:\.\d+)? s\)$", re.MULTILINE)
_TABLE_HEAD = "phase  msg  route"
_EVENT_LINE = re.compile(r"^  (?P<phase>\S+) (?P<msg>\S+)  (?P<server>[^:]+): network address (?P<hex>[0-9A-F]+): (?P<text>.*)$")


def with_placeholders(text: str) -> str:
    """Replace the run-specific parts of a live report's text with placeholders.

    Parameters
    ----------
    text : str
        The output of ``xcon-teach live`` (``LiveReport.to_text()``).

    Returns
    -------
    str
        The same text with the namespace prefix replaced by :data:`RUN_PLACEHOLDER` and the run
        time on the last line by :data:`SECONDS_PLACEHOLDER`.

    Examples
    --------
    >>> with_placeholders("Kernel: 4 network namespaces (xct-20862-d800-*), one bridge")
    'Kernel: 4 network namespaces (xct-<run>-*), one bridge'
    >>> with_placeholders("Result: 5 of 5 comparisons agree, all agree (0.11 s)")
    'Result: 5 of 5 comparisons agree, all agree (<seconds> s)'
    """
    return _SECONDS.sub(f"({SECONDS_PLACEHOLDER} s)", _PREFIX.sub(RUN_PLACEHOLDER, text))


def recorded_live_table() -> str:
    """The recorded output of ``xcon-teach live kb-q169113`` (see :data:`RECORDED_LIVE`).

    Returns
    -------
    str
        The recording, with placeholders for the namespace prefix and the run time.
    """
    return RECORDED_LIVE


@dataclass(frozen=True, slots=True)
class RecordedRow:
    """One row of a live table: a message in one phase, the kernel's columns beside the model's."""

    phase: str
    message: str
    route: str
    active: str
    kernel_source: str
    kernel_outcome: str
    model_source: str
    model_outcome: str
    verdict: str

    @property
    def model(self) -> tuple[str, str, str, str, str, str]:
        """The columns that come from ``simulate()``: phase, message, route, active, source, outcome."""
        return (self.phase, self.message, self.route, self.active, self.model_source, self.model_outcome)


def recorded_rows(text: str = RECORDED_LIVE) -> tuple[RecordedRow, ...]:
    """The rows of the table in a live report's text.

    Parameters
    ----------
    text : str
        A live report's text; by default the recording.

    Returns
    -------
    tuple of RecordedRow
        One per message and phase, in the order printed.

    Raises
    ------
    ValueError
        The text has no table, or a row does not have nine columns.
    """
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith(_TABLE_HEAD))
    except StopIteration:
        raise ValueError("no live table in the text (no line starts with 'phase  msg  route')") from None
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) != 9:
            raise ValueError(f"a table row should have 9 columns, this one has {len(cells)}: {line!r}")
        rows.append(RecordedRow(*cells))
    return tuple(rows)


def recorded_events(text: str = RECORDED_LIVE) -> tuple[tuple[str, str, str, str, str], ...]:
    """The Event 9301 lines of a live report's text: (phase, message, server, hex address, text).

    Parameters
    ----------
    text : str
        A live report's text; by default the recording.

    Returns
    -------
    tuple of tuple of str
        One per logged event, in the order printed.
    """
    found = (_EVENT_LINE.match(line) for line in text.splitlines())
    return tuple((m["phase"], m["msg"], m["server"], m["hex"], m["text"]) for m in found if m is not None)


def _phases(scenario: Scenario) -> list[tuple[str, Scenario]]:
    """The live lab's phases: A as written, B with every cluster failed over (as ``compare()`` does)."""
    return [("A", scenario), ("B", scenario.failed_over())] if scenario.clusters else [("A", scenario)]


def model_rows(scenario: Scenario) -> tuple[tuple[str, str, str, str, str, str], ...]:
    """The model's columns of the live table, computed now with ``simulate()``.

    Parameters
    ----------
    scenario : Scenario
        The scenario the live lab compares.

    Returns
    -------
    tuple of tuple of str
        (phase, message, route, active, model source, model outcome) per message and phase,
        formatted as the live table prints them.
    """
    out = []
    for label, s in _phases(scenario):
        trace = simulate(s)
        for i, m in enumerate(s.messages):
            p = expect(trace, f"m{i + 1}")
            route = s.connector(m.sender, m.recipient).label
            active = ",".join(f"{c}={n}" for c, n in p.active) or "-"
            out.append((label, f"m{i + 1}", route, active, p.source or "-", p.shown))
    return tuple(out)


def model_events(scenario: Scenario) -> tuple[tuple[str, str, str, str, str], ...]:
    """The Event 9301s the model predicts for each message's first attempt, in the live table's order.

    Parameters
    ----------
    scenario : Scenario
        The scenario the live lab compares.

    Returns
    -------
    tuple of tuple of str
        (phase, message, server, hex address, text) per event.
    """
    out = []
    for label, s in _phases(scenario):
        trace = simulate(s)
        for i in range(len(s.messages)):
            out += [(label, f"m{i + 1}", e.server, e.network_address, e.text) for e in expect(trace, f"m{i + 1}").events]
    return tuple(out)


def recording_is_current() -> bool:
    """Whether the recording's model side still matches what ``simulate()`` predicts today.

    Compares the model columns of every row, every Event 9301 line, and the model's half of the
    bind check with a fresh simulation of :data:`RECORDED_SCENARIO`. The kernel's columns cannot
    be checked without root; :func:`why_not_live` says whether a live run can check them.

    Returns
    -------
    bool
        True when every model-side part of the recording is what the model says today.
    """
    scenario = load_scenario(RECORDED_SCENARIO)
    rows_ok = tuple(r.model for r in recorded_rows()) == model_rows(scenario)
    events_ok = recorded_events() == model_events(scenario)
    bind_ok = all(_bind_model_text(scenario, c.name) in RECORDED_LIVE for c in scenario.clusters)
    return rows_ok and events_ok and bind_ok


def _bind_model_text(scenario: Scenario, cluster: str) -> str:
    """The model's half of the EADDRNOTAVAIL line for ``cluster`` after its failover."""
    c = scenario.cluster(cluster)
    return f"model: {c.active} no longer holds {c.virtual_ip}, so the bind fails (address not available)"


def why_not_live() -> str | None:
    """Why this machine cannot run the live lab now, or None when it can.

    The live lab builds Linux network namespaces: it needs Linux, root and the ``ip`` command.
    This looks at the machine (user id, PATH) but changes nothing.

    Returns
    -------
    str or None
        One line naming what is missing, or None when ``compare()`` can run.
    """
    if not hasattr(os, "geteuid") or os.uname().sysname != "Linux":
        return "the live lab needs Linux network namespaces, and this is not Linux"
    if os.geteuid() != 0:
        return "the live lab needs root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN); the recording above stands in"
    if shutil.which("ip") is None:
        return "the live lab needs the `ip` command of iproute2, which is not on PATH"
    return None


# --- Linux's source address for an unbound IPv4 socket (a toy of the measured cases) ----------


@dataclass(frozen=True, slots=True)
class Pick:
    """The source address a connection would present, or the error it gets instead."""

    address: str | None
    error: str | None
    """An errno name (``EADDRNOTAVAIL``, ``ENETUNREACH``) or ``route refused``; None on success."""
    why: str

    def __str__(self) -> str:
        return f"{self.address or self.error}: {self.why}"

    @property
    def shown(self) -> str:
        """The address, or the error's name."""
        return self.address or self.error or "-"


def _interfaces(addresses: Sequence[str]) -> list[ipaddress.IPv4Interface]:
    out = []
    for a in addresses:
        iface = ipaddress.ip_interface(a)
        if not isinstance(iface, ipaddress.IPv4Interface):
            raise ValueError(f"only IPv4 is modelled here (got {a!r}); for IPv6 the most recently added address wins")
        out.append(iface)
    return out


def linux_source(addresses: Sequence[str], destination: str, *, bind: str | None = None, route_src: str | None = None) -> Pick:
    """The source address Linux gives a TCP connection to an on-link ``destination``.

    A teaching model of the cases measured in ``KERNEL.md`` (one interface, no default route):

    1. a socket bound with ``bind()`` to an address uses it, if the host holds it (else ``EADDRNOTAVAIL``);
    2. otherwise the route to the destination decides: its ``src`` if one is set (the host must
       hold it, or the kernel refuses the route);
    3. otherwise the connected route of the prefix that contains the destination, whose source is
       the *first* address added in that prefix (the primary; later ones are ``secondary``). A
       ``/32`` adds no prefix route, so it is never chosen this way;
    4. no prefix contains the destination: no route (``ENETUNREACH``).

    Parameters
    ----------
    addresses : sequence of str
        The host's IPv4 addresses with prefix length (``"10.55.0.11/24"``), in the order added.
    destination : str
        The peer's IPv4 address.
    bind : str, optional
        The address the program binds before ``connect()``; None for an unbound socket.
    route_src : str, optional
        A ``src`` set on the route to the destination (``ip route change ... src ADDR``).

    Returns
    -------
    Pick
        The address the peer would see, or the error, and why.

    Raises
    ------
    ValueError
        An address is not IPv4 with a prefix length.

    Examples
    --------
    >>> linux_source(["10.55.0.11/24", "10.55.0.100/24"], "10.55.0.1").address
    '10.55.0.11'
    >>> linux_source(["10.55.0.11/24", "10.55.0.100/24"], "10.55.0.1", route_src="10.55.0.100").address
    '10.55.0.100'
    >>> linux_source(["10.55.0.12/24"], "10.55.0.1", bind="10.55.0.100").error
    'EADDRNOTAVAIL'
    """
    ifaces = _interfaces(addresses)
    held = [str(i.ip) for i in ifaces]
    dst = ipaddress.IPv4Address(destination)
    if bind is not None:
        if bind not in held:
            return Pick(None, "EADDRNOTAVAIL", f"bind({bind}) fails: this host does not hold {bind}")
        return Pick(bind, None, f"the program bound {bind} before connect(), so the kernel does not choose")
    if route_src is not None:
        if route_src not in held:
            return Pick(None, "route refused", f"the kernel refuses a route whose src {route_src} this host does not hold")
        return Pick(route_src, None, f"the route to {dst} carries src {route_src}")
    primaries: dict[ipaddress.IPv4Network, ipaddress.IPv4Interface] = {}
    for i in ifaces:
        if i.network.prefixlen < 32:
            primaries.setdefault(i.network, i)
    routes = sorted((n for n in primaries if dst in n), key=lambda n: n.prefixlen, reverse=True)
    if not routes:
        return Pick(None, "ENETUNREACH", f"no route to {dst} (no prefix holds it, and there is no default route)")
    net = routes[0]
    first = primaries[net]
    later = [str(i.ip) for i in ifaces if i.network == net and i is not first]
    rest = f"; {', '.join(later)} {'is' if len(later) == 1 else 'are'} secondary" if later else ""
    return Pick(str(first.ip), None, f"the route to {net} takes the first address added in it, {first.ip} (primary){rest}")


@dataclass(frozen=True, slots=True)
class KernelCase:
    """One case measured on a real Linux kernel (``KERNEL.md``), as input to :func:`linux_source`."""

    what: str
    addresses: tuple[str, ...]
    destination: str
    measured: str
    """The source address the peer saw, or the errno name the kernel returned."""
    bind: str | None = None
    route_src: str | None = None

    def pick(self) -> Pick:
        """What :func:`linux_source` says for this case."""
        return linux_source(self.addresses, self.destination, bind=self.bind, route_src=self.route_src)


_PEER = "10.55.0.1"
_NODE_A, _NODE_B, _VIP = "10.55.0.11", "10.55.0.12", "10.55.0.100"

KERNEL_CASES = (
    KernelCase("node IP /24 first, VIP /24 second; unbound", (f"{_NODE_A}/24", f"{_VIP}/24"), _PEER, _NODE_A),
    KernelCase("node IP /24, VIP as /32 after it; unbound", (f"{_NODE_A}/24", f"{_VIP}/32"), _PEER, _NODE_A),
    KernelCase("VIP as /32 first, node IP /24 after it; unbound", (f"{_VIP}/32", f"{_NODE_A}/24"), _PEER, _NODE_A),
    KernelCase("VIP /24 added first, node IP /24 second; unbound", (f"{_VIP}/24", f"{_NODE_A}/24"), _PEER, _VIP),
    KernelCase("node IP first; program binds the VIP", (f"{_NODE_A}/24", f"{_VIP}/24"), _PEER, _VIP, bind=_VIP),
    KernelCase("node IP first; route to the peer has src VIP", (f"{_NODE_A}/24", f"{_VIP}/24"), _PEER, _VIP, route_src=_VIP),
    KernelCase("after failover: node B's own IP, then the VIP; unbound", (f"{_NODE_B}/24", f"{_VIP}/24"), _PEER, _NODE_B),
    KernelCase("after failover: old node A binds the VIP", (f"{_NODE_A}/24",), _PEER, "EADDRNOTAVAIL", bind=_VIP),
)
"""The IPv4 cases of ``KERNEL.md`` (node 10.55.0.11, node B 10.55.0.12, VIP 10.55.0.100, peer 10.55.0.1)."""


def kernel_cases_table(cases: Sequence[KernelCase] = KERNEL_CASES) -> str:
    """A text table: each measured case, what :func:`linux_source` says, and what the kernel did.

    Parameters
    ----------
    cases : sequence of KernelCase
        The cases to show; by default all of :data:`KERNEL_CASES`.

    Returns
    -------
    str
        One line per case under a header, ending with a newline.
    """
    table = [("case", "the rule says", "measured", "same?")]
    table += [(c.what, c.pick().shown, c.measured, "yes" if c.pick().shown == c.measured else "NO") for c in cases]
    return columns(table) + "\n"


THEN_AND_NOW = """\
| in KB Q169113 (1997-98) | today |
|---|---|
| the active node's own IP, which NT picks for an unbound socket (`INADDR_ANY`) | the node IP or pod IP: what the route's `src`, the prefix rules or SNAT pick |
| the cluster's virtual IP, typed in Exchange Administrator | a VIP, an egress IP or a NAT gateway's address |
| the receiver's Stack-tab check, Event 9301 and the refusal | an allowlist, an SPF record or a PTR check, and a rejection or a timeout |
| Stack IP Address Override, the Q169113 fix | `bind()` (Postfix `smtp_bind_address`), a route `src` (Pacemaker IPsrcaddr), an egress IP; on Windows, `skipassource` on the other addresses |
| failover moves the VIP, not the choice | a pod moves to another node; traffic leaves through another NAT address |
| the host-name workaround: identity by name | identity by name or by credential (certificate, token) instead of by address |
| the sender logs nothing while its queue grows | the client sees timeouts or refusals; the evidence is in the receiver's logs |
"""
"""Notebook 07's closing table (Markdown): each part of KB Q169113 and what plays its role today."""


def then_and_now() -> str:
    """The table of notebook 07, section 6, as Markdown: what each part of the 1997-98 case is today.

    >>> then_and_now().splitlines()[0]
    '| in KB Q169113 (1997-98) | today |'
    """
    return THEN_AND_NOW
