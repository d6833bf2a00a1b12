"""Helpers for the lessons on the workaround, failover, the fixes and the challenges (notebooks 04 to 06).

Each helper turns a scenario, a trace or a challenge into a small piece of deterministic text that
a notebook prints, so nbval can compare it and a cell stays a few lines long. None of them holds a
rule of its own: the rules live in :mod:`xcon_teach.sim`, and these functions only select and lay
out what a run produced. Pure: no I/O, no matplotlib, no ipywidgets.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Mapping

from ..challenges import Challenge
from ..draw.storyboard import storyboard
from ..errors import UsageError
from ..scenario import Scenario
from ..scenario.elements import Hypothesis
from ..scenario.names import fold
from ..sim import Trace, clock, simulate
from ..sim.builds import has_fix, label
from ..sim.simulate import tries
from ..text import columns
from .attempts import connector_label, find_attempt

__all__ = [
    "failover_table",
    "frame_of",
    "retry_summary",
    "settings_table",
    "ticket",
]


def frame_of(trace: Trace, connector: str, *, at: float = 0.0, kind: str | None = None, stage: str | None = None) -> int:
    """The storyboard frame that shows one step of an attempt, for ``xcon_teach.draw.still(trace, frame)``.

    Parameters
    ----------
    trace
        A run of :func:`xcon_teach.simulate`.
    connector
        ``"SENDER->REMOTE"``, or ``"SENDER"`` when it owns one connector.
    at
        The attempt is the first on the connector that starts at or after ``at`` seconds.
    kind
        The first step of this kind in the attempt (``"present"``, ``"refuse"``...); None: any kind.
    stage
        The first step at this receiver lookup stage (a stage of ``xcon_teach.sim.STAGES``, such as
        ``"reverse-node-status"``); None: any step.

    Returns
    -------
    int
        The number (from 1) of the storyboard frame showing that step, or of the frame that stands for the
        stretch of repeated attempts it belongs to.

    Raises
    ------
    UsageError
        If the attempt has no such step.

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> from xcon_teach.draw import storyboard
    >>> trace = simulate(load_scenario("workaround").with_hypothesis("receiver"))
    >>> k = frame_of(trace, "EXCLUS->EXA", stage="reverse-node-status")
    >>> trace.steps[storyboard(trace)[k - 1].step].text  # doctest: +ELLIPSIS
    'EXA sends 10.0.1.11 a NetBIOS node status request: NODE1 answers with every name it has registered, NODE1, EXCLUS, ...'
    """
    attempt = find_attempt(trace, connector, at=at)
    index = next(
        (
            i
            for i in attempt.steps
            if (kind is None or fold(trace.steps[i].kind) == fold(kind))
            and (stage is None or (trace.steps[i].lookup is not None and trace.steps[i].lookup.stage == stage))  # type: ignore[union-attr]
        ),
        None,
    )
    if index is None:
        raise UsageError(
            f"kind, stage: the attempt on {connector_label(trace.scenario, connector)} at {clock(attempt.time)} "
            f"has no step of kind {kind!r} at stage {stage!r}"
        )
    frames = storyboard(trace)
    return next((k for k, f in enumerate(frames) if f.step >= index and f.hop is None), len(frames) - 1) + 1


def retry_summary(trace: Trace, message: str) -> str:
    """How often and when a message was tried, and how it ended, read from the trace.

    Parameters
    ----------
    trace
        A run of :func:`xcon_teach.simulate`.
    message
        A message id (``"m1"``).

    Returns
    -------
    str
        A few lines (the first names the message, so a collapsed output gives nothing away): the route, the number of attempts and when the first and last were made, the
        gaps between attempts, the connector's Override tab values, and the ending (delivered,
        returned as an NDR, or still queued).

    Raises
    ------
    UsageError
        If the trace has no such message.

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> s = load_scenario("kb-q169113").with_retries("EXCLUS", max_open_retries=3, open_interval=300)
    >>> print(retry_summary(simulate(s), "m1"), end="")
    m1, from EXCLUS to EXA:
    3 attempts, the first at 00:00:00, the last at 00:10:00, 300 s apart
    Override tab of EXCLUS->EXA: max open retries 3 (the tries in all), open interval 300 s; the last try 2 x 300 s = 600 s after the first
    returned to its sender as a non-delivery report (NDR) at 00:10:00
    """
    try:
        m = trace.message(message)
    except KeyError:
        raise UsageError(
            f"message: no message {message!r} in this run; it has {', '.join(x.id for x in trace.messages)}"
        ) from None
    c = trace.scenario.connector(m.sender, m.recipient)
    # Every try on the connector while the message waits counts as one of its attempts (DOMAIN.md section 9).
    times = [a.time for a in trace.attempts(c.label) if m.id in a.messages]
    gaps = sorted({round(b - a, 1) for a, b in itertools.pairwise(times)})
    apart = f", {' or '.join(f'{g:g} s' for g in gaps)} apart" if gaps else ""
    if len(times) > 1:
        when = f"{len(times)} attempts, the first at {clock(times[0])}, the last at {clock(times[-1])}{apart}"
    else:
        when = f"1 attempt, at {clock(times[0])}" if times else "no attempt"
    retries, interval, n = c.max_open_retries, c.open_interval, tries(c)
    lines = [f"{m.id}, from {m.sender} to {m.recipient}:", when[0].upper() + when[1:]]
    if len(times) > 1 or m.status != "delivered":
        read = "" if retries else ", read as 1"
        lines.append(
            f"Override tab of {c.label}: max open retries {retries}{read} (the tries in all), open interval {interval:g} s; "
            f"the last try {n - 1} x {interval:g} s = {(n - 1) * interval:,.0f} s after the first"
        )
    if m.status == "delivered" and m.delivered_at is not None:
        lines.append(f"delivered at {clock(m.delivered_at)}")
    elif m.status == "ndr" and m.returned_at is not None:
        lines.append(f"returned to its sender as a non-delivery report (NDR) at {clock(m.returned_at)}")
    else:
        lines.append(f"still queued when the run ends at {clock(trace.until)}")
    return "\n".join(lines) + "\n"


def _routes_cell(trace: Trace) -> str:
    """Which routes carried all their mail: ``both ways``, ``neither way`` or ``only A->B``."""
    routes: dict[tuple[str, str], bool] = {}
    for m in trace.messages:
        key = (m.sender, m.recipient)
        routes[key] = routes.get(key, True) and m.status == "delivered"
    working = [f"{a}->{b}" for (a, b), ok in routes.items() if ok]
    if len(working) == len(routes):
        return "both ways" if len(routes) == 2 else "every route"
    if not working:
        return "neither way" if len(routes) == 2 else "no route"
    return "only " + ", ".join(working)


def failover_table(variants: Mapping[str, Scenario], *, by_hypothesis: bool = False, hypothesis: Hypothesis | None = None) -> str:
    """Which directions carry mail for each variant, as set up and with each cluster failed over.

    Each variant is run with its cluster groups held still: its own scripted failovers are
    removed, so a column shows one fixed owner for the whole run. The columns are "as set up",
    one column per cluster failed over to its other node, and (with several clusters) every
    cluster failed over. A route counts as working when every message on it is delivered.

    Parameters
    ----------
    variants
        Row label -> scenario. Every scenario must have the same clusters (by name).
    by_hypothesis
        Run every column under hypothesis S and again under hypothesis R (DOMAIN.md 5b), the
        columns marked ``S:`` and ``R:``; otherwise under each scenario's own hypothesis.
    hypothesis
        Run every variant under this one hypothesis (``"sender"`` or ``"receiver"``), named in the
        header; None: each scenario's own (ignored with ``by_hypothesis``).

    Returns
    -------
    str
        A table, one row a variant; each cell says ``both ways``, ``neither way`` or
        ``only SENDER->REMOTE``.

    Raises
    ------
    UsageError
        If ``variants`` is empty or the scenarios do not share their clusters.

    Examples
    --------
    >>> from xcon_teach import load_scenario
    >>> kb = load_scenario("kb-q169113")
    >>> print(failover_table({"as in the KB": kb, "EXA lists 10.0.1.11": kb.with_address("EXA", "10.0.1.11")}), end="")
    variant              as set up         WOLFPACK failed over
    as in the KB         only EXA->EXCLUS  only EXA->EXCLUS
    EXA lists 10.0.1.11  both ways         neither way
    >>> one_side = {"host name on EXA only": kb.with_stack("EXA", "hostname", "EXCLUS")}
    >>> print(failover_table(one_side, by_hypothesis=True), end="")
    variant                S: as set up      S: WOLFPACK failed over  R: as set up  R: WOLFPACK failed over
    host name on EXA only  only EXA->EXCLUS  only EXA->EXCLUS         both ways     both ways
    """
    if not variants:
        raise UsageError("variants: give at least one scenario")
    if hypothesis not in (None, "sender", "receiver"):
        raise UsageError(f"hypothesis: must be 'sender' or 'receiver' (got {hypothesis!r})")
    scenarios = list(variants.values())
    names = [c.name for c in scenarios[0].clusters]
    for name, s in variants.items():
        if [c.name for c in s.clusters] != names:
            raise UsageError(
                f"variants[{name!r}]: every variant must have the clusters {', '.join(names) or '(none)'} "
                f"(got {', '.join(c.name for c in s.clusters) or '(none)'})"
            )
    columns_ = ["as set up", *(f"{n} failed over" for n in names)] + (["all failed over"] if len(names) > 1 else [])
    readings: tuple[Hypothesis | None, ...] = ("sender", "receiver") if by_hypothesis else (hypothesis,)
    letter = {"sender": "S", "receiver": "R"}
    if by_hypothesis:
        header = ["variant"] + [f"{letter[h]}: {c}" for h in readings if h for c in columns_]
    else:
        header = [f"variant (hypothesis {letter[hypothesis]})" if hypothesis else "variant", *columns_]
    rows = [header]
    for name, s in variants.items():
        cells = []
        for h in readings:
            under = s.with_hypothesis(h) if h else s
            cells += [_routes_cell(simulate(v)) for _, v in under.failover_variants()]
        rows.append([name, *cells])
    return columns(rows) + "\n"


def settings_table(scenario: Scenario) -> str:
    """The settings of a scenario that a troubleshooter looks at, and whether a fix may change them.

    One row a setting: each connector's Stack tab, registry override and Override tab retries;
    each server's MTA build and Q169113 fix; each cluster's active node; the name service (HOSTS
    file, DNS A and PTR records, NetBIOS); the firewall. The last column follows the rules of
    :func:`xcon_teach.challenges.check`: configuration may change, the network (hosts, clusters'
    addresses, the firewall) may not.

    Parameters
    ----------
    scenario
        Any scenario.

    Returns
    -------
    str
        A table: setting, where, value, may a fix change it.

    Examples
    --------
    >>> from xcon_teach import load_scenario
    >>> print(settings_table(load_scenario("baseline")), end="")  # doctest: +NORMALIZE_WHITESPACE
    setting                    where     value                                      a fix may change it
    Stack tab                  EXA->EXB  IP address 10.0.1.10                       yes
    Stack IP Address Override  EXA->EXB  (not set)                                  yes
    Override tab               EXA->EXB  max open retries 144, open interval 600 s  yes
    Stack tab                  EXB->EXA  IP address 10.0.0.10                       yes
    Stack IP Address Override  EXB->EXA  (not set)                                  yes
    Override tab               EXB->EXA  max open retries 144, open interval 600 s  yes
    MTA build                  EXA       RTM (build 1960), Q169113 fix: no          yes
    MTA build                  EXB       RTM (build 1960), Q169113 fix: no          yes
    HOSTS file                 names     EXA = 10.0.0.10, EXB = 10.0.1.10           yes
    DNS A records              names     (none)                                     yes
    DNS PTR records            names     (none)                                     yes
    NetBIOS (WINS, node status) names    on                                         yes
    Firewall on TCP 102        network   (none: everything passes)                  no
    """
    rows: list[tuple[str, ...]] = [("setting", "where", "value", "a fix may change it")]
    for c in scenario.connectors:
        kind = "IP address" if c.stack == "ip" else "Remote host name"
        rows.append(("Stack tab", c.label, f"{kind} {c.address}", "yes"))
        rows.append(("Stack IP Address Override", c.label, c.stack_ip_override or "(not set)", "yes"))
        rows.append(
            ("Override tab", c.label, f"max open retries {c.max_open_retries}, open interval {c.open_interval:g} s", "yes")
        )
    for sv in scenario.servers:
        fix = "yes" if has_fix(sv) else "no"
        rows.append(("MTA build", sv.name, f"{label(sv)}, Q169113 fix: {fix}", "yes"))
    for cl in scenario.clusters:
        rows.append(("Active node", cl.name, f"{cl.active} (nodes {', '.join(cl.nodes)})", "yes (every node is tested)"))
        rows.append(("Virtual server", cl.name, f"{cl.virtual_name} at {cl.virtual_ip}", "no (network)"))
    names = scenario.names

    def pairs(items: tuple[tuple[str, str], ...]) -> str:
        return ", ".join(f"{k} = {v}" for k, v in items) or "(none)"

    rows.append(("HOSTS file", "names", pairs(names.hosts), "yes"))
    rows.append(("DNS A records", "names", pairs(names.dns), "yes"))
    rows.append(("DNS PTR records", "names", pairs(names.ptr), "yes"))
    rows.append(("NetBIOS (WINS, node status)", "names", "on" if names.netbios else "off", "yes"))
    allowed = scenario.firewall.allow_sources
    if allowed is None:
        wall = "(none: everything passes)"
    else:
        wall = f"admits only {', '.join(allowed)}" if allowed else "drops everything"
    rows.append(("Firewall on TCP 102", "network", wall, "no"))
    return columns(rows) + "\n"


def ticket(challenge: Challenge, *, width: int = 100) -> str:
    """A challenge as the help desk ticket a learner reads: level, title and story.

    Parameters
    ----------
    challenge
        One of :data:`xcon_teach.challenges.CHALLENGES`.
    width
        Wrap the story at this many characters.

    Returns
    -------
    str
        Two or more lines.

    Examples
    --------
    >>> from xcon_teach.challenges import challenge
    >>> print(ticket(challenge("the-kb-case")), end="")
    Ticket the-kb-case (level 1): Mail to EXA stops
      Since EXCLUS moved onto the new cluster, mail from EXCLUS to EXA sits in a queue. EXCLUS logs
      nothing.
    """
    story = textwrap.fill(challenge.story, width=width, initial_indent="  ", subsequent_indent="  ")
    return f"Ticket {challenge.name} (level {challenge.level}): {challenge.title}\n{story}\n"
