"""Helpers for the first lessons (notebooks 01 to 03): the symptom, INADDR_ANY, Event 9301.

Each helper turns a scenario or a trace into a small piece of deterministic text that a notebook
prints, so nbval can compare it and a cell stays a few lines long. None of them holds a rule of
its own: the rules live in :mod:`xcon_teach.sim`, and these functions only select and lay out
what a run produced. Pure: no I/O, no matplotlib, no ipywidgets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..errors import UsageError
from ..scenario import BUILDS, Message, Scenario
from ..scenario.elements import build_label
from ..sim import Step, Trace, basis_label, clock, decode_network_address, simulate
from ..sim.rules import Row, flatten
from ..sim.sender import choose_source
from ..sim.world import World
from ..text import columns
from .attempts import connector_label

__all__ = [
    "check_decoding",
    "compare_source_choice",
    "event_viewer",
    "events_by_build",
    "queue_timeline",
    "rule_table",
    "with_mail_every",
]


def with_mail_every(scenario: Scenario, sender: str, recipient: str, *, every: float, count: int, start: float = 0.0) -> Scenario:
    """A copy of ``scenario`` whose users on ``sender`` also send ``count`` messages to ``recipient``.

    The new messages go at ``start``, ``start + every``, ... after the scenario's own messages, so
    a lesson can watch a queue grow.

    Parameters
    ----------
    scenario
        The scenario to extend; it is left as it was.
    sender, recipient
        Server names; a connector must lead from ``sender`` to ``recipient``.
    every
        Seconds between two messages (more than 0).
    count
        How many messages to add (at least 1).
    start
        When the first added message is sent, in seconds.

    Returns
    -------
    Scenario
        The validated copy.

    Raises
    ------
    UsageError
        If ``every`` or ``count`` is out of range.
    ScenarioError
        If the result is not a valid scenario (an unknown server, no connector for the route).

    Examples
    --------
    >>> from xcon_teach import load_scenario
    >>> busy = with_mail_every(load_scenario("kb-q169113"), "EXCLUS", "EXA", every=3600, count=3, start=3600)
    >>> [(m.at, m.sender, m.recipient) for m in busy.messages[2:]]
    [(3600.0, 'EXCLUS', 'EXA'), (7200.0, 'EXCLUS', 'EXA'), (10800.0, 'EXCLUS', 'EXA')]
    """
    if not every > 0:
        raise UsageError(f"every: must be more than 0 seconds (got {every!r})")
    if count < 1:
        raise UsageError(f"count: must be at least 1 (got {count!r})")
    added = tuple(Message(at=float(start + k * every), sender=sender, recipient=recipient) for k in range(count))
    return scenario.replace(messages=(*scenario.messages, *added))


def _last_step_at(steps: Sequence[Step], t: float) -> Step | None:
    last = None
    for s in steps:
        if s.time > t:
            break
        last = s
    return last


def queue_timeline(trace: Trace, connector: str, *, every: float = 3600.0) -> str:
    """What the sender's and the receiver's administrators could see, sampled every ``every`` seconds.

    Columns: the simulated time; messages waiting in the connector's queue; delivered and returned
    (NDR) so far; connection attempts so far; and how many Event 9301 entries each server's Event
    Viewer holds by then. A row is taken after everything that happens at its time.

    Parameters
    ----------
    trace
        A run of :func:`xcon_teach.simulate`.
    connector
        ``"SENDER->REMOTE"``, or ``"SENDER"`` when it owns one connector.
    every
        Seconds between two rows (more than 0). The end of the run gets a row of its own.

    Returns
    -------
    str
        A table, one line a row.

    Raises
    ------
    UsageError
        If ``every`` is not more than 0.

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> print(queue_timeline(simulate(load_scenario("kb-q169113"), until=1200), "EXCLUS->EXA", every=600), end="")
    time      waiting  delivered  NDR  attempts  9301 on EXCLUS  9301 on EXA
    00:00:00  1        0          0    1         0               2
    00:10:00  1        0          0    2         0               4
    00:20:00  1        0          0    3         0               6
    """
    if not every > 0:
        raise UsageError(f"every: must be more than 0 seconds (got {every!r})")
    label = connector_label(trace.scenario, connector)
    c = trace.scenario.connector(*label.split("->"))
    mine = [m for m in trace.messages if (m.sender, m.recipient) == (c.server, c.remote)]
    times: list[float] = []
    k = 0
    while k * every <= trace.until:
        times.append(k * every)
        k += 1
    if times[-1] != trace.until:
        times.append(trace.until)
    rows = [("time", "waiting", "delivered", "NDR", "attempts", f"9301 on {c.server}", f"9301 on {c.remote}")]
    for t in times:
        last = _last_step_at(trace.steps, t)
        waiting = dict(last.queues).get(label, 0) if last is not None else 0
        attempts = sum(1 for a in trace.attempts(label) if a.time <= t)
        rows.append(
            (
                clock(t),
                str(waiting),
                str(sum(1 for m in mine if m.delivered_at is not None and m.delivered_at <= t)),
                str(sum(1 for m in mine if m.returned_at is not None and m.returned_at <= t)),
                str(attempts),
                str(sum(1 for e in trace.event_log if e.server == c.server and e.time <= t)),
                str(sum(1 for e in trace.event_log if e.server == c.remote and e.time <= t)),
            )
        )
    return columns(rows) + "\n"


def event_viewer(trace: Trace, server: str, *, limit: int | None = None) -> str:
    """``server``'s Application log as Event Viewer lists it, oldest first, with each hex decoded.

    Parameters
    ----------
    trace
        A run of :func:`xcon_teach.simulate`.
    server
        The server whose log to show (any case).
    limit
        Show at most this many entries (the oldest); None shows all.

    Returns
    -------
    str
        A table of time, source, category, event ID, the network address and what it decodes to,
        then a line that counts the entries; or one line saying the log is empty.

    Examples
    --------
    >>> from xcon_teach import load_scenario, simulate
    >>> print(event_viewer(simulate(load_scenario("kb-q169113"), until=0), "EXA"), end="")
    time      source         category       event  network address  decoded
    00:00:00  MSExchangeMTA  Configuration  9301   0A00010B         10.0.1.11
    00:00:00  MSExchangeMTA  Configuration  9301   4E4F444531       'NODE1'
    2 events in all on EXA.
    >>> print(event_viewer(simulate(load_scenario("kb-q169113"), until=0), "EXCLUS"), end="")
    EXCLUS: no MSExchangeMTA events at all.
    """
    name = trace.scenario.server(server).name
    events = [e for e in trace.event_log if e.server == name]
    if not events:
        return f"{name}: no MSExchangeMTA events at all.\n"
    shown = events if limit is None else events[: max(limit, 0)]
    rows = [("time", "source", "category", "event", "network address", "decoded")]
    rows += [(clock(e.time), e.source, e.category, str(e.id), e.network_address, e.decoded) for e in shown]
    counted = f"{len(events)} event{'s' if len(events) != 1 else ''} in all on {name}"
    tail = counted + (f"; the first {len(shown)} shown.\n" if len(shown) < len(events) else ".\n")
    return columns(rows) + "\n" + tail


def events_by_build(scenario: Scenario, server: str, *, builds: Sequence[str | int] = (*BUILDS, 2431)) -> str:
    """What ``server``'s Event Viewer holds after the first attempts of ``scenario`` on each MTA build.

    The scenario runs once per build, with only ``server``'s build changed and ``until=0``; each
    row counts the Event 9301 entries logged at time 0 and gives the basis the trace gave for them
    (the build table of :mod:`xcon_teach.sim.builds`, never a rule of its own).

    Examples
    --------
    >>> from xcon_teach import load_scenario
    >>> print(events_by_build(load_scenario("kb-q169113"), "EXA", builds=("rtm", "sp2", 2431)), end="")
    build             events  logged                                      basis
    RTM (build 1960)  2       0A00010B = 10.0.1.11, 4E4F444531 = 'NODE1'  documented (KB Q189345)
    build 2431        0       (none)                                      documented (KB Q234962)
    SP2 (build 2448)  1       4E4F444531 = 'NODE1'                        documented (KB Q189345)
    """
    name = scenario.server(server).name
    rows = [("build", "events", "logged", "basis")]
    for build in sorted(builds, key=lambda b: BUILDS[b].number if isinstance(b, str) else b):
        run = simulate(scenario.with_build(name, build), until=0)
        logged = [f"{e.network_address} = {e.decoded}" for e in run.event_log if e.server == name]
        bases = dict.fromkeys(st.basis for st in run.steps if st.actor == name and st.kind == "event")
        articles = [b.removeprefix("DOC ") for b in bases if b.startswith("DOC ")]
        shown = [f"documented (KB {', '.join(articles)})"] if articles else []
        shown += [basis_label(b) for b in bases if not b.startswith("DOC ")]
        number = run.scenario.server(name).build
        rows.append((build_label(number), str(len(logged)), ", ".join(logged) or "(none)", "; ".join(shown)))
    return columns(rows) + "\n"


def rule_table(rules: Sequence[Row], *, heading: str = "rule") -> str:
    """A rule table of the package (``SOURCE_RULES``, ``STAGES``...) as a numbered table.

    Each row has a name, a basis and what it does; the basis is shown as a learner reads it:
    *documented (KB Qnnnnnn)* or *model assumption*. These are the tables the simulation runs,
    row by row, so what the table says is what the package does. A row that runs a table of its
    own (the receiver's reverse lookup) is shown as that table's rows.

    Parameters
    ----------
    rules
        The rows in the order the package applies them.
    heading
        The title of the name column (``"stage"`` suits ``STAGES``).

    Returns
    -------
    str
        A table, one line a rule, numbered from 1.

    Examples
    --------
    >>> from xcon_teach.sim import SOURCE_RULES
    >>> print(rule_table(SOURCE_RULES[1:]), end="")
    #  rule        basis                                               what it does
    1  fix         model assumption                                    a virtual IP, if the server is clustered and its MTA carries the Q169113 fix (several: in turn)
    2  own-name    hypothesis S (one of two readings; not documented)  under hypothesis S, a host-name Stack: the address of the MTA's own server name
    3  inaddr-any  documented (KB Q175396)                             otherwise INADDR_ANY: the address of the adapter on the route; on a cluster node its own IP, not the virtual IP
    """
    rows = [("#", heading, "basis", "what it does")]
    rows += [(str(i), r.name, basis_label(r.basis), r.what) for i, r in enumerate(flatten(list(rules)), 1)]
    return columns(rows) + "\n"


def compare_source_choice(scenario: Scenario, pick: Callable[[list[str]], str]) -> str:
    """Check a hand-written "which address would the OS pick?" function against the package.

    For the scenario as it is and with each cluster failed over, and for every connector, one
    row: the host the sending MTA runs on, the addresses on its card in order
    (:meth:`World.addresses`), what ``pick`` returns for that list, what the package's sender
    rule chooses (:func:`xcon_teach.sim.sender.choose_source`), and the source address on the
    wire in a run where that connector sends one message at time 0.

    Parameters
    ----------
    scenario
        Any valid scenario; its own messages and scripted actions are ignored.
    pick
        The learner's function: an ordered list of addresses in, one address out.

    Returns
    -------
    str
        A table with a last column ``agree``: ``yes``, or ``no`` with the rule that decided.

    Examples
    --------
    >>> from xcon_teach import load_scenario
    >>> print(compare_source_choice(load_scenario("kb-q169113"), lambda card: card[0]), end="")
    situation             connector    MTA on  card                  your pick  package    on the wire  agree
    as loaded             EXA->EXCLUS  EXA     10.0.0.10             10.0.0.10  10.0.0.10  10.0.0.10    yes
    as loaded             EXCLUS->EXA  NODE1   10.0.1.11, 10.0.1.20  10.0.1.11  10.0.1.11  10.0.1.11    yes
    WOLFPACK failed over  EXA->EXCLUS  EXA     10.0.0.10             10.0.0.10  10.0.0.10  10.0.0.10    yes
    WOLFPACK failed over  EXCLUS->EXA  NODE2   10.0.1.12, 10.0.1.20  10.0.1.12  10.0.1.12  10.0.1.12    yes
    """
    situations = [("as loaded", scenario), *((f"{c.name} failed over", scenario.failed_over(c.name)) for c in scenario.clusters)]
    rows = [("situation", "connector", "MTA on", "card", "your pick", "package", "on the wire", "agree")]
    for title, s in situations:
        world = World.initial(s)
        one_each = tuple(Message(at=0.0, sender=c.server, recipient=c.remote) for c in s.connectors)
        trace = simulate(s.replace(messages=one_each, actions=(), until=0.0))
        for c in s.connectors:
            host = world.mta_host(c.server)
            card = list(world.addresses(host))
            mine = pick(list(card))
            first = trace.attempts(c.label)[0]
            source = choose_source(world, c, first.connection.destination or c.address)
            wire = first.wire
            same = mine == source.address == wire
            agree = "yes" if same else f"no (rule {source.rule})"
            rows.append((title, c.label, host, ", ".join(card), mine, source.address or "-", wire or "-", agree))
    return columns(rows) + "\n"


def _plain(text: str) -> str:
    return text.strip().strip("'\"")


def check_decoding(answers: Mapping[str, str]) -> str:
    """Grade a learner's decoding of Event 9301 network addresses against the package.

    Each answer is compared with :func:`xcon_teach.sim.decode_network_address` (KB Q193380: 8 hex
    digits are an IPv4 address, longer strings ASCII), ignoring surrounding spaces and quotes.

    Parameters
    ----------
    answers
        Hex network address -> what the learner reads in it (an IP, or a name).

    Returns
    -------
    str
        A table of hex, the learner's answer, the package's reading and ``right`` or ``check again``,
        then a count.

    Examples
    --------
    >>> print(check_decoding({"0A00010B": "10.0.1.11", "4E4F444531": "NODE"}), end="")
    hex         your answer  package    mark
    0A00010B    10.0.1.11    10.0.1.11  right
    4E4F444531  NODE         'NODE1'    check again
    1 of 2 right.
    """
    rows = [("hex", "your answer", "package", "mark")]
    right = 0
    for hex_text, answer in answers.items():
        decoded = decode_network_address(hex_text)
        ok = _plain(answer) == _plain(decoded)
        right += ok
        rows.append((hex_text, answer, decoded, "right" if ok else "check again"))
    return columns(rows) + "\n" + f"{right} of {len(answers)} right.\n"
