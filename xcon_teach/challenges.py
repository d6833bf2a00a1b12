"""Troubleshooting challenges: broken scenarios to repair, graded by outcome.

A learner gets a broken scenario, changes settings (in the lab, with ``Scenario.with_*`` or by
editing its TOML) and asks :func:`check` whether it is fixed. The checker grades what happens, not
which knob was turned, so every valid fix passes:

1. mail flows both ways: every message of the scenario is delivered;
2. it survives failover: the same holds with every cluster failed over, one at a time and all
   together, at the start of the run;
3. no name-stage Event 9301 is left: no receiver has to refuse anyone (the harmless first event of
   RTM and SP1 is allowed);
4. all of that under both readings of why Remote host name works (DOMAIN.md 5b): a fix passes
   only if it works whichever is true, which is what Microsoft's "on both servers" buys.

It also refuses "fixes" that change the problem instead of solving it: the hosts, clusters,
servers, sites, messages and the firewall must stay as the challenge set them. On failure it
gives a hint drawn from the first thing that went wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .errors import UsageError
from .scenario import Scenario, load_scenario
from .scenario.elements import Hypothesis
from .scenario.load import loads_scenario
from .sim import Attempt, Trace, simulate

__all__ = ["CHALLENGES", "Challenge", "Verdict", "challenge", "check"]


CITED = {"workaround-both-servers": "Q169113"}
"""The claim behind grading under both hypotheses: Microsoft's workaround is "on both servers"."""


@dataclass(frozen=True, slots=True)
class Challenge:
    name: str
    title: str
    story: str
    """What the learner is told: the symptom, as a help desk would hear it."""
    level: int
    source: str = field(default="", repr=False)
    """A built-in scenario name or a TOML file path (when ``toml`` is empty); left out of the
    repr, since the name of the scenario behind a ticket gives its diagnosis away."""
    toml: str = field(default="", repr=False)
    """The scenario's TOML text, for a challenge with a scenario of its own."""
    hypothesis: Hypothesis | None = None
    """The reading under which the ticket was seen (the lab shows it); None: the scenario's own.
    The grading is under both anyway."""

    @property
    def scenario(self) -> Scenario:
        """The broken scenario as the student meets it: titled and described by the ticket, never by
        its diagnosis (the built-in's own title and description say what is wrong), and named
        ``challenge NAME`` in error messages and saved files."""
        s = loads_scenario(self.toml, source=f"challenge {self.name}") if self.toml else load_scenario(self.source)
        if self.hypothesis:
            s = s.with_hypothesis(self.hypothesis)
        return s.replace(title=f"Ticket: {self.title}", description=self.story, source=f"challenge {self.name}")


_FIREWALLED_PAIR = """
title = "Two clusters behind a firewall that admits only virtual IPs"
description = \"\"\"
Both sites are clustered and a firewall in front of TCP port 102 admits only the two virtual IPs.
The security team will not open it further: the fix must change what the MTAs send from.
\"\"\"
[hosts.NODEA1]
addresses = ["10.0.0.11"]
[hosts.NODEA2]
addresses = ["10.0.0.12"]
[hosts.NODE1]
addresses = ["10.0.1.11"]
[hosts.NODE2]
addresses = ["10.0.1.12"]
[clusters.REDPACK]
nodes = ["NODEA1", "NODEA2"]
active = "NODEA1"
virtual_name = "EXCLA"
virtual_ip = "10.0.0.20"
[clusters.WOLFPACK]
nodes = ["NODE1", "NODE2"]
active = "NODE1"
virtual_name = "EXCLUS"
virtual_ip = "10.0.1.20"
[servers.EXCLA]
site = "SITEA"
host = "EXCLA"
build = "rtm"
[servers.EXCLUS]
site = "SITEB"
host = "EXCLUS"
build = "rtm"
[[connectors]]
server = "EXCLA"
remote = "EXCLUS"
stack = "hostname"
address = "EXCLUS"
[[connectors]]
server = "EXCLUS"
remote = "EXCLA"
stack = "hostname"
address = "EXCLA"
[names]
hosts = { EXCLA = "10.0.0.20", EXCLUS = "10.0.1.20" }
[firewall]
allow_sources = ["10.0.0.20", "10.0.1.20"]
[[messages]]
at = 0
from = "EXCLUS"
to = "EXCLA"
[[messages]]
at = 0
from = "EXCLA"
to = "EXCLUS"
[model]
hostname_stack = "receiver"  # the ticket was seen under hypothesis R; under S the host names would send from the virtual IPs
"""

CHALLENGES = (
    Challenge(
        name="the-kb-case",
        title="Mail to EXA stops",
        story="Since EXCLUS moved onto the new cluster, mail from EXCLUS to EXA sits in a queue. EXCLUS logs nothing.",
        level=1,
        source="kb-q169113",
    ),
    Challenge(
        name="one-side",
        title="We applied the workaround, but...",
        story="A colleague set Remote host name on EXCLUS, as the article says. Mail to EXA still stops.",
        level=2,
        source="workaround-one-side",
        hypothesis="receiver",  # under S the cluster's side alone would have worked: the ticket is from a world of R
    ),
    Challenge(
        name="after-failover",
        title="It worked until the failover",
        story="Someone fixed the queue last week. Tonight the cluster failed over, and mail stopped in both directions.",
        level=3,
        source="wrong-fix",
    ),
    Challenge(
        name="tidy-dns",
        title="The DNS clean-up",
        story="The workaround was in place and mail flowed. Then the DNS team added reverse records for every server.",
        level=3,
        source="ptr-breaks-workaround",
    ),
    Challenge(
        name="two-clusters",
        title="Both sites on clusters",
        story="Both Exchange servers now run on clusters. No mail flows in either direction.",
        level=4,
        source="both-clustered",
    ),
    Challenge(
        name="allowlist",
        title="Only the virtual IPs may pass",
        story="Both sites are clustered and use host names, but a firewall admits TCP 102 only from the virtual IPs, "
        "and the security team will not change it.",
        level=5,
        toml=_FIREWALLED_PAIR,
    ),
)


def challenge(name: str) -> Challenge:
    for c in CHALLENGES:
        if c.name == name:
            return c
    raise UsageError(f"no challenge named {name!r}; choose one of {', '.join(c.name for c in CHALLENGES)}")


RULES = ("mail both ways", "survives failover", "no refusal left", "both hypotheses")
"""The four grading rules, by name (the CSV gradebook has a column each)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    findings: tuple[str, ...]
    """One line per check: what passed and what did not."""
    hint: str
    """Where to look next ("" when passed)."""
    rules: tuple[tuple[str, bool], ...] = ()
    """Each of :data:`RULES` and whether it holds (empty when the attempt changed the problem itself)."""

    @property
    def failed_rules(self) -> tuple[str, ...]:
        return tuple(name for name, ok in self.rules if not ok)

    def __str__(self) -> str:
        if self.passed:
            head = "✔ Fixed: mail flows both ways, survives failover, and nobody refuses, under both readings of the workaround."
        elif self.failed_rules:
            head = "✖ Not fixed yet: fails " + ", ".join(f"'{r}'" for r in self.failed_rules) + "."
        else:
            head = "✖ Not fixed yet."
        lines = ["Graded by outcome, under both readings of the workaround:", head]
        if self.rules:
            lines.append("  rules: " + " · ".join(f"{'✔' if ok else '✖'} {name}" for name, ok in self.rules))
        lines += [f"  - {f}" for f in self.findings]
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)

    def _repr_pretty_(self, p: object, cycle: bool) -> None:
        p.text(str(self))  # type: ignore[attr-defined]


def _unchanged(original: Scenario, attempt: Scenario) -> list[str]:
    """What the attempt changed that a fix may not change (the problem, not the configuration)."""
    problems = []
    if original.hosts != attempt.hosts:
        problems.append("the hosts or their addresses were changed; fix the configuration, not the network")
    topo = [(c.name, c.nodes, c.virtual_name, c.virtual_ip) for c in original.clusters]
    if topo != [(c.name, c.nodes, c.virtual_name, c.virtual_ip) for c in attempt.clusters]:
        problems.append("a cluster's nodes, virtual name or virtual IP were changed")
    if [(s.name, s.site, s.host) for s in original.servers] != [(s.name, s.site, s.host) for s in attempt.servers]:
        problems.append("the Exchange servers, their sites or hosts were changed")
    if original.messages != attempt.messages or original.actions != attempt.actions or original.until != attempt.until:
        problems.append("the messages, scripted failovers or run length were changed")
    if original.firewall != attempt.firewall:
        problems.append("the firewall was changed; the security team will not allow that")
    if [(c.server, c.remote) for c in original.connectors] != [(c.server, c.remote) for c in attempt.connectors]:
        problems.append("connectors were added or removed")
    return problems


def _variants(s: Scenario) -> list[tuple[str, Scenario]]:
    """The scenario as set up (scripted failovers included), then starting on each other node.

    The failed-over variants leave the scenario's own scripted failovers out, so each keeps one
    active node for the whole run.
    """
    note = " (scripted failovers left out)" if s.actions else ""
    out = [("as set up", s)]
    for moved, variant in s.failover_variants()[1:]:
        if len(moved) == 1:
            c = s.cluster(moved[0])
            out.append((f"starting with {c.name} on {c.passive}{note}", variant))
        else:
            out.append((f"starting with every cluster failed over{note}", variant))
    return out


def _refusal_hint(refused: Attempt, trace: Trace) -> str:
    """Say what the receiver compared, by address and by name, and why neither matched."""
    cx = refused.connection
    assert cx.receiver is not None
    s = trace.scenario
    if cx.receiver == cx.sender:  # the Stack tab names the sender itself: it dialled its own MTA
        typed = s.connector(cx.sender, cx.remote).address
        return (
            f"{cx.sender}'s Stack tab for {cx.remote} says {typed}, which is {cx.sender} itself, so {cx.sender} connected "
            f"to its own MTA. Type the name or the address of {cx.remote} there."
        )
    local = [c for c in s.connectors if c.server == cx.receiver]
    by_ip = [c.address for c in local if c.stack == "ip"]
    by_name = [c.address for c in local if c.stack == "hostname"]
    steps = trace.steps_of(refused)
    reverse = next((st for st in reversed(steps) if st.kind == "reverse"), None)
    verdict = trace.steps[refused.decided]
    found = verdict.lookup.names if verdict.lookup else ()
    seen = f"{cx.receiver} saw {cx.sender} arrive from {cx.wire}"
    addresses = f"its IP-type connectors list {', '.join(by_ip)}" if by_ip else "it has no IP-type connector"
    if not by_name:
        names = "and it has no host-name connector, so the names its reverse lookup finds cannot help"
    elif found:
        where = _WHERE.get(reverse.lookup.stage, "") if reverse and reverse.lookup else ""
        names = (
            f"and its reverse lookup found {', '.join(found)}{where}, while its host-name connectors expect {', '.join(by_name)}"
        )
    else:
        names = f"and its reverse lookup found no name at all, while its host-name connectors expect {', '.join(by_name)}"
    return (
        f"{seen}; {addresses}, {names}. Make {cx.sender} send from an address {cx.receiver} lists, "
        f"or make the name {cx.receiver} finds for {cx.wire} match a host-name connector."
    )


_WHERE = {
    "reverse-hosts": " in the HOSTS file",
    "reverse-ptr": " in a DNS PTR record",
    "reverse-node-status": " by NetBIOS node status",
}


def _hint(trouble: Attempt | None, trace: Trace) -> str:
    text = _first_hint(trouble, trace)
    ignored = next((st for st in trace.steps_of(trouble) if st.claim == "override-build"), None) if trouble else None
    if ignored is not None:
        text += f" (Note: {ignored.text.split(': ', 1)[0]}.)"
    return text


def _first_hint(trouble: Attempt | None, trace: Trace) -> str:
    if trouble is None:
        undelivered = [m.id for m in trace.messages if m.status != "delivered"]
        return f"{', '.join(undelivered)} did not arrive before the run ended; look at the transcript."
    cx = trouble.connection
    step = trace.steps[trouble.decided]
    if trouble.outcome == "refused":
        return _refusal_hint(trouble, trace)
    if trouble.failure == "firewall":
        return f"the firewall dropped {cx.wire}: it admits only {', '.join(trace.scenario.firewall.allow_sources or ())}. Which address does {cx.sender} send from, and how could it send from another?"
    if trouble.failure in ("no host", "no MTA"):
        return f"{cx.sender} connected to {cx.destination}, where no MTA answers ({step.text.split(': ', 1)[-1]}). Which address always reaches the MTA, wherever it runs?"
    if trouble.failure == "unresolved":
        return f"{cx.sender} could not resolve its Stack tab's host name: {step.text}"
    return f"{cx.sender} could not bind its Stack IP Address Override: {step.text}"


def check(name_or_challenge: str | Challenge, attempt: Scenario | str | os.PathLike[str] | Any) -> Verdict:
    """Grade ``attempt`` against a challenge, by outcome.

    ``attempt`` is the learner's edited scenario: a :class:`Scenario`, a lab (its current
    scenario is graded), or the path of a TOML file the learner handed in.

    Examples
    --------
    >>> from xcon_teach.challenges import challenge, check
    >>> c = challenge("the-kb-case")
    >>> check(c, c.scenario).passed
    False
    >>> fixed = c.scenario.with_stack("EXA", "hostname", "EXCLUS").with_stack("EXCLUS", "hostname", "EXA")
    >>> check(c, fixed).passed
    True
    """
    c = name_or_challenge if isinstance(name_or_challenge, Challenge) else challenge(name_or_challenge)
    if not isinstance(attempt, Scenario):
        attempt = attempt.scenario if hasattr(attempt, "scenario") else load_scenario(attempt)
    problems = _unchanged(c.scenario, attempt)
    if problems:
        return Verdict(
            False,
            tuple(f"not allowed: {p}" for p in problems),
            "start again from the challenge's scenario and change only settings.",
        )
    findings: list[str] = []
    hints: dict[Hypothesis, str] = {}
    shown = attempt.hostname_stack  # the reading the learner is looking at is graded first
    held = {h: [True, True, True] for h in HYPOTHESES}  # per reading: both ways, after failover, no refusal
    for h in (shown, *(x for x in HYPOTHESES if x != shown)):
        reading = f"hypothesis {READING[h]}"
        for k, (what, variant) in enumerate(_variants(attempt.with_hypothesis(h))):
            trace = simulate(variant)
            undelivered = [m for m in trace.messages if m.status != "delivered"]
            refusals = [a for a in trace.attempts() if a.failure == "no connector"]
            if undelivered:
                held[h][0 if k == 0 else 1] = False
            if refusals:
                held[h][2] = False
            if undelivered:
                routes = ", ".join(f"{m.id} {m.sender}->{m.recipient} ({m.status})" for m in undelivered)
                findings.append(f"{reading}, {what}: not delivered: {routes}")
                trouble = next((a for a in trace.attempts() if a.outcome != "accepted"), None)
                hints.setdefault(h, _hint(trouble, trace))
            elif refusals:
                receiver = refusals[0].connection.receiver
                findings.append(f"{reading}, {what}: mail arrives, but {receiver} still refuses a caller first")
                hints.setdefault(
                    h, "a receiver still refuses before mail gets through; look at the first refusal in the transcript."
                )
            else:
                findings.append(f"{reading}, {what}: every message delivered, no refusals")
    rules = (*zip(RULES[:3], held[shown], strict=True), (RULES[3], all(all(v) for v in held.values())))
    if not hints:
        return Verdict(True, tuple(findings), "", rules)
    if len(hints) == len(HYPOTHESES):  # broken whichever reading is true: the reading is not the point
        return Verdict(False, tuple(findings), hints.get(shown) or next(iter(hints.values())), rules)
    (h, hint), other = next(iter(hints.items())), READING[next(x for x in HYPOTHESES if x not in hints)]
    return Verdict(
        False,
        tuple(findings),
        f"it works under hypothesis {other}, but not under hypothesis {READING[h]} ({WHY[h]}), and nobody knows which is "
        f"true: {hint}",
        rules,
    )


HYPOTHESES: tuple[Hypothesis, ...] = ("sender", "receiver")
READING = {"sender": "S", "receiver": "R"}
WHY = {
    "sender": "a host-name Stack makes the sender send from its server's address",
    "receiver": "the receiver finds the caller by the names node status lists",
}
