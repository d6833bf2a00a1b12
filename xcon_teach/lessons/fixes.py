"""Helpers for the lessons on the workaround, failover, the fixes and the challenges (notebooks 04 to 06).

Each helper turns a scenario, a trace or a challenge into a small piece of deterministic text that
a notebook prints, so nbval can compare it and a cell stays a few lines long. None of them holds a
rule of its own: the rules live in :mod:`xcon_teach.sim`, and these functions only select and lay
out what a run produced. Pure: no I/O, no matplotlib, no ipywidgets.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Collection, Mapping, Sequence

from ..challenges import Challenge
from ..draw.storyboard import storyboard
from ..errors import UsageError
from ..scenario import BUILDS, Scenario
from ..scenario.names import fold
from ..sim import STAGES, Step, Trace, basis_label, clock, simulate

__all__ = [
    "attempt_lines",
    "attempt_steps",
    "failover_table",
    "first_failure_lines",
    "frame_of",
    "lookup_lines",
    "lookup_stages",
    "retry_summary",
    "settings_table",
    "ticket",
]

_FAILED = ("refused", "failed", "dropped")
"""Connection phases that end an attempt without mail."""


def _table(rows: Sequence[Sequence[str]]) -> str:
    """Rows of text as left-aligned columns, two spaces apart, one line a row."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows) + "\n"


def _lines(steps: Sequence[Step]) -> str:
    return "".join(s.line() + "\n" for s in steps)


def _label(scenario: Scenario, connector: str) -> str:
    """The connector's label as the scenario spells it (``"exclus->exa"`` -> ``"EXCLUS->EXA"``)."""
    server, _, remote = connector.partition("->")
    try:
        return scenario.connector(server, remote or None).label
    except KeyError as exc:
        raise UsageError(f"connector: {exc.args[0]} (got {connector!r})") from None


def _steps_of(trace: Trace, start: int) -> tuple[Step, ...]:
    """The steps of the attempt whose ``attempt`` step is ``trace.steps[start]``."""
    first = trace.steps[start]
    assert first.connection is not None
    label, number = first.connection.connector, first.connection.attempt
    out = [first]
    for s in trace.steps[start + 1 :]:
        cx = s.connection
        if cx is None or cx.connector != label:
            continue
        if s.kind == "attempt":
            break  # the next attempt on this connector has begun
        if cx.attempt == number:
            out.append(s)
    return tuple(out)


def attempt_steps(trace: Trace, connector: str, *, at: float = 0.0) -> tuple[Step, ...]:
    """The steps of one association attempt: the first on ``connector`` that starts at or after ``at``.

    Attempts are picked by time rather than by number because a connector counts its attempts
    afresh each time its queue empties: the first attempt after a failover is "attempt 1" again.

    Parameters
    ----------
    trace
        A run of :func:`xcon_teach.simulate`.
    connector
        The connector as ``"SENDER->REMOTE"``, or just ``"SENDER"`` when it owns one connector
        (names in any case).
    at
        Simulated seconds; the attempt chosen is the first one that starts at this time or later.

    Returns
    -------
    tuple of Step
        From the ``attempt`` step to the step that ends the attempt (accept and deliveries, or a
        refusal or failure and the retry or NDR that follows), both sides' steps included.

    Raises
    ------
    UsageError
        If the scenario has no such connector, or the connector makes no attempt at or after ``at``.

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> trace = simulate(load_scenario("workaround"))
    >>> [s.kind for s in attempt_steps(trace, "EXA->EXCLUS", at=3600)][:4]
    ['attempt', 'resolve', 'present', 'connect']
    >>> attempt_steps(trace, "EXA->EXCLUS", at=3600)[0].time
    3600.0
    """
    label = _label(trace.scenario, connector)
    for i, s in enumerate(trace.steps):
        if s.kind == "attempt" and s.connection is not None and s.connection.connector == label and s.time >= at:
            return _steps_of(trace, i)
    raise UsageError(f"at: {label} makes no attempt at or after {clock(at)} in this run (got {at!r})")


def attempt_lines(trace: Trace, connector: str, *, at: float = 0.0, kinds: Collection[str] | None = None) -> str:
    """The transcript lines of one attempt (see :func:`attempt_steps`), optionally only some kinds of step.

    Parameters
    ----------
    trace
        A run of :func:`xcon_teach.simulate`.
    connector
        ``"SENDER->REMOTE"``, or ``"SENDER"`` when it owns one connector.
    at
        The attempt is the first on the connector that starts at or after ``at`` seconds.
    kinds
        Keep only steps of these kinds (``"present"``, ``"connect"``, ``"reverse"``, ``"refuse"``...);
        None keeps every step.

    Returns
    -------
    str
        One line a step, as in ``xcon-teach run``.

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> trace = simulate(load_scenario("override"))
    >>> print(attempt_lines(trace, "EXCLUS", at=3600, kinds={"present"}), end="")
    01:00:00  EXCLUS   present    EXCLUS binds its Stack IP Address Override 10.0.1.20 before connecting, so it presents 10.0.1.20  [DOC Q197378]
    """
    steps = attempt_steps(trace, connector, at=at)
    wanted = None if kinds is None else {fold(k) for k in kinds}
    return _lines([s for s in steps if wanted is None or fold(s.kind) in wanted])


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
    return _lines([s for s in attempt_steps(trace, connector, at=at) if s.lookup is not None])


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
        The index of the storyboard frame showing that step, or of the frame that stands for the
        stretch of repeated attempts it belongs to.

    Raises
    ------
    UsageError
        If the attempt has no such step.

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> from xcon_teach.draw import storyboard
    >>> trace = simulate(load_scenario("workaround"))
    >>> k = frame_of(trace, "EXCLUS->EXA", stage="reverse-node-status")
    >>> trace.steps[storyboard(trace)[k].step].text
    'EXA asks 10.0.1.11 for its NetBIOS names (node status): NODE1 answers NODE1, EXCLUS'
    """
    steps = attempt_steps(trace, connector, at=at)
    target = next(
        (
            s
            for s in steps
            if (kind is None or fold(s.kind) == fold(kind))
            and (stage is None or (s.lookup is not None and s.lookup.stage == stage))
        ),
        None,
    )
    if target is None:
        raise UsageError(
            f"kind, stage: the attempt on {_label(trace.scenario, connector)} at {clock(steps[0].time)} "
            f"has no step of kind {kind!r} at stage {stage!r}"
        )
    index = next(i for i, s in enumerate(trace.steps) if s is target)
    frames = storyboard(trace)
    return next((k for k, f in enumerate(frames) if f.step >= index), len(frames) - 1)


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
    00:00:00  EXCLUS   present    EXCLUS's socket is unbound (INADDR_ANY): NT picks NODE1's primary address 10.0.1.11,
    not the virtual IP 10.0.1.20  [DOC Q169113]
    00:00:00  FIREWALL firewall   The firewall drops 10.0.1.11 -> 10.0.0.10 port 102: only 10.0.1.20, 10.0.0.10 may pass;
    no MTA sees this attempt  [MODEL]
    >>> first_failure_lines(simulate(load_scenario("baseline")))
    ''
    """
    for failed in trace.steps:
        cx = failed.connection
        if cx is not None and cx.phase in _FAILED:
            break
    else:
        return ""
    start = max(
        i
        for i, s in enumerate(trace.steps)
        if s.kind == "attempt"
        and s.connection is not None
        and s.connection.connector == cx.connector
        and s.connection.attempt == cx.attempt
        and s.time <= failed.time
    )
    wanted = None if kinds is None else {fold(k) for k in kinds}
    return _lines([s for s in _steps_of(trace, start) if wanted is None or fold(s.kind) in wanted])


def lookup_stages() -> str:
    """The receiver's lookup stages of the model in order, each with its basis and what it does.

    Returns
    -------
    str
        A table: stage, basis (``documented (KB Qnnnnnn)`` or ``model assumption``), what it does.

    Examples
    --------
    >>> print(lookup_stages().splitlines()[5])  # doctest: +NORMALIZE_WHITESPACE
    5  reverse-node-status  model assumption     NetBIOS node status: the host's computer name, then the cluster names it owns
    """
    rows: list[tuple[str, ...]] = [("#", "stage", "basis", "what it does")]
    for k, (stage, basis, what) in enumerate(STAGES, start=1):
        rows.append((str(k), stage, basis_label(basis), what))
    return _table(rows)


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
        A few lines: the route, the number of attempts and when the first and last were made, the
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
    m1 EXCLUS->EXA: 4 attempts, the first at 00:00:00, the last at 00:15:00, 300 s apart
    Override tab of EXCLUS->EXA: max open retries 3, open interval 300 s; 3 x 300 s = 900 s
    returned to its sender as a non-delivery report (NDR) at 00:15:00
    """
    try:
        m = trace.message(message)
    except KeyError:
        raise UsageError(
            f"message: no message {message!r} in this run; it has {', '.join(x.id for x in trace.messages)}"
        ) from None
    c = trace.scenario.connector(m.sender, m.recipient)
    # Every try on the connector while the message waits counts as one of its attempts (DOMAIN.md section 9).
    submitted = next(s.time for s in trace.steps if s.kind == "submit" and s.message == m.id)
    end = m.delivered_at if m.delivered_at is not None else m.returned_at if m.returned_at is not None else trace.until
    times = [
        s.time
        for s in trace.steps
        if s.kind == "attempt"
        and s.connection is not None
        and s.connection.connector == c.label
        and submitted <= s.time <= end
        and not (m.delivered_at is not None and s.time == m.delivered_at)
    ]
    gaps = sorted({round(b - a, 1) for a, b in itertools.pairwise(times)})
    apart = f", {' or '.join(f'{g:g} s' for g in gaps)} apart" if gaps else ""
    if len(times) > 1:
        when = f"{len(times)} attempts, the first at {clock(times[0])}, the last at {clock(times[-1])}{apart}"
    else:
        when = f"1 attempt, at {clock(times[0])}" if times else "no attempt"
    retries, interval = c.max_open_retries, c.open_interval
    lines = [f"{m.id} {m.sender}->{m.recipient}: {when}"]
    if len(times) > 1 or m.status != "delivered":
        lines.append(
            f"Override tab of {c.label}: max open retries {retries}, open interval {interval:g} s; "
            f"{retries} x {interval:g} s = {retries * interval:,.0f} s"
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


def failover_table(variants: Mapping[str, Scenario]) -> str:
    """Which directions carry mail for each variant, as set up and with each cluster failed over.

    Each variant is run with its cluster groups held still: its own scripted failovers are
    removed, so a column shows one fixed owner for the whole run. The columns are "as set up",
    one column per cluster failed over to its other node, and (with several clusters) every
    cluster failed over. A route counts as working when every message on it is delivered.

    Parameters
    ----------
    variants
        Row label -> scenario. Every scenario must have the same clusters (by name).

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
    """
    if not variants:
        raise UsageError("variants: give at least one scenario")
    scenarios = list(variants.values())
    names = [c.name for c in scenarios[0].clusters]
    for label, s in variants.items():
        if [c.name for c in s.clusters] != names:
            raise UsageError(
                f"variants[{label!r}]: every variant must have the clusters {', '.join(names) or '(none)'} "
                f"(got {', '.join(c.name for c in s.clusters) or '(none)'})"
            )
    header = ["variant", "as set up", *(f"{n} failed over" for n in names)]
    if len(names) > 1:
        header.append("all failed over")
    rows = [header]
    for label, s in variants.items():
        still = s.replace(actions=())
        runs = [still, *(still.failed_over(n) for n in names)]
        if len(names) > 1:
            every = still
            for n in names:
                every = every.failed_over(n)
            runs.append(every)
        rows.append([label, *(_routes_cell(simulate(r)) for r in runs)])
    return _table(rows)


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
    MTA build                  EXA       SP1 (build 2232), Q169113 fix: no          yes
    MTA build                  EXB       SP1 (build 2232), Q169113 fix: no          yes
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
        b = BUILDS[sv.build]
        fix = "yes" if sv.has_fix else "no"
        rows.append(("MTA build", sv.name, f"{b.label} (build {b.number}), Q169113 fix: {fix}", "yes"))
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
    return _table(rows)


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
