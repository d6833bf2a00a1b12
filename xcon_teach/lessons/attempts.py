"""One attempt's lines of the transcript, the way every lesson prints them (notebooks 01 to 06).

All of these read :meth:`xcon_teach.Trace.attempts`: an attempt is picked on its connector by
when it starts (``at``) or by its place among the connector's attempts (``nth``), never by its
attempt number, which starts again at 1 whenever the connector's queue empties. Pure: no I/O, no
matplotlib, no ipywidgets.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ..errors import UsageError
from ..scenario import Scenario
from ..scenario.names import fold
from ..sim import Attempt, Step, Trace, clock
from ..text import columns

__all__ = [
    "attempt_lines",
    "attempt_steps",
    "capture_lines",
    "find_attempt",
    "first_failure_lines",
    "lines",
    "lookup_lines",
    "pcap_table",
]


def lines(steps: Sequence[Step]) -> str:
    """Steps as transcript lines, one a step, each ending in a newline."""
    return "".join(s.line() + "\n" for s in steps)


def connector_label(scenario: Scenario, connector: str) -> str:
    """The connector's label as the scenario spells it (``"exclus->exa"`` -> ``"EXCLUS->EXA"``)."""
    server, _, remote = connector.partition("->")
    try:
        return scenario.connector(server, remote or None).label
    except KeyError as exc:
        raise UsageError(f"connector: {exc.args[0]} (got {connector!r})") from None


def find_attempt(trace: Trace, connector: str, *, at: float = 0.0, nth: int | None = None) -> Attempt:
    """An attempt on ``connector``: the ``nth`` (from 1) if given, else the first that starts at or after ``at``.

    Raises
    ------
    UsageError
        If the scenario has no such connector, or the connector makes no such attempt.
    """
    label = connector_label(trace.scenario, connector)
    mine = trace.attempts(label)
    if nth is not None:
        if not 1 <= nth <= len(mine):
            raise UsageError(f"nth: {label} makes {len(mine)} attempts in this run (got {nth!r})")
        return mine[nth - 1]
    found = next((a for a in mine if a.time >= at), None)
    if found is None:
        raise UsageError(f"at: {label} makes no attempt at or after {clock(at)} in this run (got {at!r})")
    return found


def attempt_steps(trace: Trace, connector: str, *, at: float = 0.0, nth: int | None = None) -> tuple[Step, ...]:
    """The steps of one association attempt (see :func:`find_attempt`), both sides' steps included.

    Parameters
    ----------
    trace
        A run of :func:`xcon_teach.simulate`.
    connector
        The connector as ``"SENDER->REMOTE"``, or just ``"SENDER"`` when it owns one connector
        (names in any case).
    at
        Simulated seconds; the attempt chosen is the first one that starts at this time or later.
    nth
        Instead of ``at``: the attempt's place among the connector's attempts, from 1.

    Returns
    -------
    tuple of Step
        From the ``attempt`` step to the step that ends the attempt (accept and deliveries, or a
        refusal or failure and the retry or NDR that follows).

    Raises
    ------
    UsageError
        If the scenario has no such connector, or the connector makes no such attempt.

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> trace = simulate(load_scenario("workaround"))
    >>> [s.kind for s in attempt_steps(trace, "EXA->EXCLUS", at=3600)][:4]
    ['attempt', 'resolve', 'present', 'connect']
    >>> attempt_steps(trace, "EXA->EXCLUS", at=3600)[0].time
    3600.0
    """
    return trace.steps_of(find_attempt(trace, connector, at=at, nth=nth))


def attempt_lines(
    trace: Trace,
    connector: str,
    *,
    at: float = 0.0,
    nth: int | None = None,
    kinds: Collection[str] | None = None,
    actor: str | None = None,
) -> str:
    """The transcript lines of one attempt (see :func:`attempt_steps`), optionally only some of them.

    Parameters
    ----------
    trace, connector, at, nth
        As for :func:`attempt_steps`.
    kinds
        Keep only steps of these kinds (``"present"``, ``"connect"``, ``"reverse"``, ``"refuse"``...);
        None keeps every step.
    actor
        Keep only the steps this server (or ``"FIREWALL"``) took, in any case; None keeps everyone's.

    Returns
    -------
    str
        One line a step, as in ``xcon-teach run``.

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> trace = simulate(load_scenario("override"))
    >>> print(attempt_lines(trace, "EXCLUS", at=3600, kinds={"present"}), end="")
    01:00:00  EXCLUS   present    EXCLUS binds its Stack IP Address Override 10.0.1.20 before connecting: it is the From IP address, so it sends from 10.0.1.20  [DOC Q197378]
    >>> kb = simulate(load_scenario("kb-q169113"), until=0)
    >>> print(attempt_lines(kb, "EXCLUS->EXA", actor="EXCLUS"), end="")  # doctest: +ELLIPSIS
    00:00:00  EXCLUS   attempt    EXCLUS opens an association to EXA for m1 (attempt 1 of at most 144)  [MODEL]
    00:00:00  EXCLUS   resolve    ...
    00:00:00  EXCLUS   present    ...
    00:00:00  EXCLUS   present    ...
    00:00:00  EXCLUS   present    ...
    00:00:00  EXCLUS   connect    ...
    00:00:00  EXCLUS   disconnect ...
    00:00:00  EXCLUS   retry      EXCLUS will try again in 600 s (open interval), at 00:10:00: attempt 2 of at most 144  [DOC Q234157]
    """
    wanted = None if kinds is None else {fold(k) for k in kinds}
    return lines(
        [
            s
            for s in attempt_steps(trace, connector, at=at, nth=nth)
            if (wanted is None or fold(s.kind) in wanted) and (actor is None or fold(s.actor) == fold(actor))
        ]
    )


def lookup_lines(trace: Trace, connector: str, *, at: float = 0.0) -> str:
    """The receiver's connector lookup during one attempt, stage by stage, and its verdict.

    These are the steps of :func:`attempt_steps` that carry a lookup stage: the address
    comparison, the first Event 9301, each reverse-lookup source asked, the name comparison, the
    second Event 9301, and the accept or refuse that ends it.

    Parameters
    ----------
    trace
        A run of :func:`xcon_teach.simulate`.
    connector
        The *sender's* connector, ``"SENDER->REMOTE"`` (or ``"SENDER"``).
    at
        The attempt is the first on the connector that starts at or after ``at`` seconds.

    Returns
    -------
    str
        One line a step; empty if the attempt never reached a receiving MTA (a firewall drop,
        nobody listening, a name that did not resolve, a failed bind).

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> print(lookup_lines(simulate(load_scenario("baseline")), "EXB->EXA"), end="")  # doctest: +NORMALIZE_WHITESPACE
    00:00:00  EXA      lookup     EXA compares the caller's address 10.0.1.10 with its connectors' IP addresses (10.0.1.10):
    match, the connector to EXB  [DOC Q193380]
    00:00:00  EXA      accept     EXA accepts the association (connector to EXB found): m1 will transfer  [DOC Q189345]
    """
    return lines([s for s in attempt_steps(trace, connector, at=at) if s.lookup is not None])


def capture_lines(trace: Trace, connector: str, *, at: float = 0.0) -> str:
    """What a packet capture on the receiving server shows of one attempt, as Wireshark lists it.

    The packets come from :func:`xcon_teach.capture.packets`, the same ones ``xcon-teach
    capture`` writes to a pcap file: the caller's TCP connection to port 102 (its source address),
    the RFC 1006 CR and the answer, the receiver's DNS PTR query and its NetBIOS node status
    request back to the caller, if its reverse lookup got that far (a HOSTS lookup is local and
    sends nothing), and the end of the association. The sender's own name lookups are not seen on
    the receiver. A capture shows packets, not what the MTA made of them: the lines of the run say
    that, each with its basis. This is the evidence that tells the two hypotheses of DOMAIN.md 5b
    apart.

    Parameters
    ----------
    trace, connector, at
        As for :func:`attempt_steps` (the *sender's* connector).

    Returns
    -------
    str
        Wireshark's columns, one row a packet; or one line saying that nothing reached a
        receiving MTA (a firewall drop, nobody listening, a name that did not resolve).

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> print(capture_lines(simulate(load_scenario("kb-q169113"), until=0), "EXCLUS->EXA"), end="")
    No.  Time   Source     Destination  Protocol  Info
    6    0.005  10.0.1.11  10.0.0.10    TCP       1025 → 102 [SYN] Seq=0 Win=8760 Len=0
    7    0.006  10.0.0.10  10.0.1.11    TCP       102 → 1025 [SYN, ACK] Seq=0 Ack=1 Win=8760 Len=0
    8    0.007  10.0.1.11  10.0.0.10    TCP       1025 → 102 [ACK] Seq=1 Ack=1 Win=8760 Len=0
    9    0.008  10.0.1.11  10.0.0.10    COTP      CR TPDU src-ref: 0x0002 dst-ref: 0x0000
    10   0.009  10.0.0.10  10.0.0.53    DNS       Standard query 0x0001 PTR 11.1.0.10.in-addr.arpa
    11   0.010  10.0.0.53  10.0.0.10    DNS       Standard query response 0x0001 No such name PTR 11.1.0.10.in-addr.arpa
    12   0.011  10.0.0.10  10.0.1.11    NBNS      Name query NBSTAT *
    13   0.012  10.0.1.11  10.0.0.10    NBNS      Name query response NBSTAT NODE1<00> NODE1<20>
    14   0.013  10.0.0.10  10.0.1.11    COTP      DR TPDU src-ref: 0x0000 dst-ref: 0x0002 (reason 136: connection request refused)
    15   0.014  10.0.1.11  10.0.0.10    TCP       1025 → 102 [FIN, ACK] Seq=25 Ack=12 Win=8760 Len=0
    16   0.015  10.0.0.10  10.0.1.11    TCP       102 → 1025 [FIN, ACK] Seq=12 Ack=26 Win=8760 Len=0
    17   0.016  10.0.1.11  10.0.0.10    TCP       1025 → 102 [ACK] Seq=26 Ack=13 Win=8760 Len=0
    """
    from ..capture import packets

    attempt = find_attempt(trace, connector, at=at)
    if attempt.connection.receiver is None:
        return f"Nothing of this attempt on {attempt.connector} reached a receiving MTA.\n"
    seen = [p for p in packets(trace) if p.serial == attempt.serial and trace.steps[p.step].kind != "resolve"]
    return columns([("No.", "Time", "Source", "Destination", "Protocol", "Info"), *(p.row() for p in seen)]) + "\n"


def pcap_table(path: str, *, port: int | None = None) -> str:
    """A capture file read back by the package, as Wireshark's packet list; ``port`` keeps only
    packets to or from that TCP or UDP port (Wireshark's display filter ``tcp.port == 102``)."""
    from ..capture.pcap import read_pcap

    rows = read_pcap(path, port=port)
    return columns([("No.", "Time", "Source", "Destination", "Protocol", "Info"), *rows]) + "\n"


def first_failure_lines(trace: Trace, *, kinds: Collection[str] | None = None) -> str:
    """The transcript lines of the first attempt in the run that ended without mail.

    An attempt ends without mail when the receiver refuses it, the firewall drops it, nobody
    listens at the destination, the name does not resolve, the override cannot be bound, or a
    failover drops the association.

    Parameters
    ----------
    trace
        A run of :func:`xcon_teach.simulate`.
    kinds
        Keep only steps of these kinds; None keeps every step.

    Returns
    -------
    str
        One line a step; empty if every attempt succeeded.

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> print(first_failure_lines(simulate(load_scenario("firewall")), kinds={"present", "firewall"}), end="")
    ... # doctest: +NORMALIZE_WHITESPACE
    00:00:00  EXCLUS   present    EXCLUS runs RTM (build 1960) without the Q169113 fix (SP1, build 2232, and later carry it:
    a model assumption), so no fix picks the virtual IP  [MODEL]
    00:00:00  EXCLUS   present    EXCLUS's socket is unbound (INADDR_ANY), so NT chooses: the route to 10.0.0.10 leaves by
    NODE1's card  [DOC Q175396]
    00:00:00  EXCLUS   present    On the active cluster node NT answers with NODE1's own IP 10.0.1.11, not the virtual IP
    10.0.1.20  [DOC Q169113]
    00:00:00  FIREWALL firewall   The firewall drops 10.0.1.11 -> 10.0.0.10 port 102: only 10.0.1.20, 10.0.0.10 may pass;
    no MTA sees this attempt  [MODEL]
    >>> first_failure_lines(simulate(load_scenario("baseline")))
    ''
    """
    failed = [a for a in trace.attempts() if a.outcome != "accepted" or a.dropped]
    if not failed:
        return ""
    # The first to fail, by the step where it failed: a dropped association fails at its drop.
    first = min(failed, key=lambda a: a.decided if a.outcome != "accepted" else _drop(trace, a))
    wanted = None if kinds is None else {fold(k) for k in kinds}
    return lines([s for s in trace.steps_of(first) if wanted is None or fold(s.kind) in wanted])


def _drop(trace: Trace, attempt: Attempt) -> int:
    return next(i for i in attempt.steps if trace.steps[i].kind == "drop")
