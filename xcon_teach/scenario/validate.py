"""Checks that make a :class:`~xcon_teach.scenario.model.Scenario` valid (DESIGN.md, bad input).

The checks read the fields alone (:class:`~.elements.ScenarioFields`) and the key names of
:data:`~.elements.KEYS`, so a key path in a message is the key the file wrote.

One function, :func:`validate`, runs every check in file order and raises the first
:class:`~xcon_teach.errors.ScenarioError`, whose key path points into the TOML file. It also
returns the scenario's fields with every reference spelled as its target was defined, so names
compare exactly everywhere else.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Sequence

from ..errors import ScenarioError
from .elements import BUILDS, Action, Cluster, Connector, Host, Message, Names, ScenarioFields, Server, toml_key
from .names import fold, ip_problem, is_dotted_ip, name_problem

__all__ = ["MAX_ACTIONS", "MAX_MESSAGES", "MAX_OPEN_RETRIES_LIMIT", "MIN_OPEN_INTERVAL", "key_path", "sub_path", "validate"]

MAX_OPEN_RETRIES_LIMIT = 1000
"""Our limit (MODEL), so every run stays small: 1000 retries at 600 s is about a week."""
MIN_OPEN_INTERVAL = 1.0
"""The Override tab counts whole seconds; below one second a run would be mostly retries."""

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def key_path(*parts: str | int) -> str:
    """Join key parts the TOML way.

    >>> key_path("hosts", "EXA", "addresses", 0)
    'hosts.EXA.addresses[0]'
    >>> key_path("names", "ptr", "10.0.1.11")
    'names.ptr."10.0.1.11"'
    """
    out = ""
    for part in parts:
        out = sub_path(out, part)
    return out


def sub_path(prefix: str, part: str | int) -> str:
    """Extend a key path that is already written (``sub_path("hosts.EXA", "addresses")``)."""
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    piece = part if _BARE.fullmatch(part) else '"' + part.replace('"', '\\"') + '"'
    return f"{prefix}.{piece}" if prefix else piece


class _Checker:
    def __init__(self, scenario: ScenarioFields) -> None:
        self.s = scenario
        self.source = scenario.source

    def fail(self, path: str, problem: str, got: object) -> ScenarioError:
        return ScenarioError(self.source, path, problem, got)

    # --- scalars ------------------------------------------------------------------------------

    def text(self, path: str, value: object, *, empty: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(path, "must be a string", value)
        if not empty and not value.strip():
            raise self.fail(path, "must not be empty", value)
        if "\n" in value and not path.endswith("description"):
            raise self.fail(path, "must be one line", value)
        return value

    def ident(self, path: str, value: object) -> str:
        text = self.text(path, value)
        problem = name_problem(text)
        if problem:
            raise self.fail(path, problem, value)
        return text

    def ip(self, path: str, value: object) -> str:
        text = self.text(path, value)
        problem = ip_problem(text)
        if problem:
            raise self.fail(path, problem, value)
        return text

    def host_name(self, path: str, value: object) -> str:
        """A name for HOSTS, DNS or a host-name Stack tab; a dotted IP must be a valid one."""
        text = self.text(path, value)
        if is_dotted_ip(text):
            return self.ip(path, text)
        problem = name_problem(text, dotted=True)
        if problem:
            raise self.fail(path, problem, value)
        return text

    def seconds(self, path: str, value: object, *, minimum: float = 0.0) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(path, "must be a number of seconds", value)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(path, "must be a finite number of seconds", value)
        if abs(value) > MAX_SECONDS:  # checked before any arithmetic: an int may be too big for a float
            raise self.fail(path, f"must be at most a simulated century ({MAX_SECONDS:,} s)", value)
        if value < minimum:
            problem = "must not be negative" if minimum == 0 else f"must be at least {minimum:g} s"
            raise self.fail(path, problem, value)
        return float(value) + 0.0  # + 0.0 turns -0.0 into 0.0, so "-0" and "0" give the same bytes

    def flag(self, path: str, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, "must be true or false", value)
        return value

    def build(self, path: str, value: object) -> int:
        """A build by name (``rtm`` ... ``sp4``, any case) or by number (a whole number from 1)."""
        if isinstance(value, str) and value.lower() in BUILDS:
            return BUILDS[value.lower()].number
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        problem = f"must be {', '.join(BUILDS)} or a build number from 1, such as 2431"
        raise self.fail(path, problem, value)

    def choice(self, path: str, value: object, choices: Iterable[str]) -> str:
        options = list(choices)
        if isinstance(value, str) and value.lower() in options:
            return value.lower()
        raise self.fail(path, "must be one of " + ", ".join(options), value)

    def unique_name(self, path: str, name: str, seen: dict[str, str], what: str) -> None:
        other = seen.get(fold(name))
        if other is not None:
            problem = f"{what} {other} is already defined" if other == name else f"equals {what} {other} but for case"
            raise self.fail(path, problem, name)
        seen[fold(name)] = name

    # --- the scenario, in file order ----------------------------------------------------------

    def run(self) -> dict[str, object]:
        s = self.s
        self.text("title", s.title)
        self.text("description", s.description, empty=True)
        org = self.ident("org", s.org)
        hosts = self.check_hosts(s.hosts)
        clusters = self.check_clusters(s.clusters, hosts)
        servers = self.check_servers(s.servers, hosts, clusters)
        connectors = self.check_connectors(s.connectors, servers)
        self.check_names(s.names)
        self.check_firewall(s.firewall.allow_sources)
        messages = self.check_messages(s.messages, servers, connectors)
        actions = self.check_actions(s.actions, clusters)
        until = self.seconds(key_path("run", toml_key("run", "until")), s.until)
        hypothesis = self.choice(key_path("model", "hostname_stack"), s.hostname_stack, ("sender", "receiver"))
        return {
            "org": org,
            "hosts": hosts,
            "clusters": clusters,
            "servers": servers,
            "connectors": connectors,
            "messages": messages,
            "actions": actions,
            "until": until,
            "hostname_stack": hypothesis,
        }

    def check_hosts(self, hosts: Sequence[Host]) -> tuple[Host, ...]:
        if not hosts:
            raise ScenarioError(self.source, "hosts", "a scenario needs at least one host")
        names: dict[str, str] = {}
        owner: dict[str, str] = {}
        for h in hosts:
            self.ident(key_path("hosts", h.name), h.name)
            self.unique_name(key_path("hosts", h.name), h.name, names, "host")
            if not h.addresses:
                raise self.fail(key_path("hosts", h.name, "addresses"), "a host needs at least one address", [])
            for i, a in enumerate(h.addresses):
                path = key_path("hosts", h.name, "addresses", i)
                self.ip(path, a)
                if a in owner:
                    whose = "this host" if owner[a] == h.name else f"host {owner[a]}"
                    raise self.fail(path, f"address already belongs to {whose}", a)
                owner[a] = h.name
        self.host_of_address = owner
        self.host_names = names
        return tuple(hosts)

    def check_clusters(self, clusters: Sequence[Cluster], hosts: Sequence[Host]) -> tuple[Cluster, ...]:
        names: dict[str, str] = {}
        node_of: dict[str, str] = {}
        computer_names = dict(self.host_names)
        vips: dict[str, str] = {}
        out = []
        for c in clusters:
            base = ("clusters", c.name)
            self.ident(key_path(*base), c.name)
            self.unique_name(key_path(*base), c.name, names, "cluster")
            if len(c.nodes) != 2:
                raise self.fail(key_path(*base, "nodes"), "an MSCS 1.0 cluster has exactly two nodes", list(c.nodes))
            nodes = []
            for i, n in enumerate(c.nodes):
                path = key_path(*base, "nodes", i)
                canonical = self.host_names.get(fold(self.text(path, n)))
                if canonical is None:
                    raise self.fail(path, "not a host of this scenario", n)
                if fold(canonical) in node_of:
                    other = node_of[fold(canonical)]
                    where = "this cluster already" if other == c.name else f"cluster {other}"
                    raise self.fail(path, f"host is a node of {where}", n)
                node_of[fold(canonical)] = c.name
                nodes.append(canonical)
            active_path = key_path(*base, "active")
            active = next((n for n in nodes if fold(n) == fold(self.text(active_path, c.active))), None)
            if active is None:
                raise self.fail(active_path, f"the active node must be one of the cluster's nodes ({', '.join(nodes)})", c.active)
            vname_path = key_path(*base, "virtual_name")
            vname = self.ident(vname_path, c.virtual_name)
            if fold(vname) in computer_names:
                other = computer_names[fold(vname)]
                what = "a host's name" if fold(other) in self.host_names else "another cluster's virtual name"
                raise self.fail(vname_path, f"clashes with {what} ({other}); the virtual server needs a name of its own", vname)
            computer_names[fold(vname)] = vname
            if not isinstance(c.virtual_ips, tuple) or not c.virtual_ips:
                raise self.fail(key_path(*base, "virtual_ip"), "a cluster needs a virtual IP", c.virtual_ips)
            for k, vip in enumerate(c.virtual_ips):
                vip_path = key_path(*base, "virtual_ip") if len(c.virtual_ips) == 1 else key_path(*base, "virtual_ips", k)
                self.ip(vip_path, vip)
                if vip in self.host_of_address:
                    raise self.fail(
                        vip_path,
                        f"clashes with an address of host {self.host_of_address[vip]}; a virtual IP is an address of its own",
                        vip,
                    )
                if vip in vips:
                    whose = "this cluster" if vips[vip] == c.name else f"cluster {vips[vip]}"
                    raise self.fail(vip_path, f"is already a virtual IP of {whose}", vip)
                vips[vip] = c.name
            out.append(dataclasses.replace(c, nodes=(nodes[0], nodes[1]), active=active))
        self.node_of = node_of
        self.virtual_names = {fold(c.virtual_name): c for c in out}
        return tuple(out)

    def check_servers(self, servers: Sequence[Server], hosts: Sequence[Host], clusters: Sequence[Cluster]) -> tuple[Server, ...]:
        if not servers:
            raise ScenarioError(self.source, "servers", "a scenario needs at least one Exchange server")
        names: dict[str, str] = {}
        on_host: dict[str, str] = {}
        out = []
        for sv in servers:
            base = ("servers", sv.name)
            self.ident(key_path(*base), sv.name)
            self.unique_name(key_path(*base), sv.name, names, "server")
            self.ident(key_path(*base, "site"), sv.site)
            host_path = key_path(*base, "host")
            wanted = fold(self.text(host_path, sv.host))
            if wanted in self.node_of:
                cl = next(c for c in clusters if c.name == self.node_of[wanted])
                raise self.fail(
                    host_path,
                    f"is a node of cluster {cl.name}; a clustered server runs on its virtual server {cl.virtual_name}",
                    sv.host,
                )
            if wanted in self.host_names:
                host = self.host_names[wanted]
            elif wanted in self.virtual_names:
                host = self.virtual_names[wanted].virtual_name
            else:
                raise self.fail(host_path, "not a host or a cluster's virtual name in this scenario", sv.host)
            if fold(host) in on_host:
                raise self.fail(host_path, f"server {on_host[fold(host)]} already runs there; one MTA a host", sv.host)
            on_host[fold(host)] = sv.name
            build = self.build(key_path(*base, "build"), sv.build)
            if sv.q169113_fix is not None:
                self.flag(key_path(*base, "q169113_fix"), sv.q169113_fix)
            out.append(dataclasses.replace(sv, host=host, build=build))
        self.server_names = names
        return tuple(out)

    def server_ref(self, path: str, value: object) -> str:
        canonical = self.server_names.get(fold(self.text(path, value)))
        if canonical is None:
            raise self.fail(path, "not a server of this scenario", value)
        return canonical

    def check_connectors(self, connectors: Sequence[Connector], servers: Sequence[Server]) -> tuple[Connector, ...]:
        pairs: dict[tuple[str, str], int] = {}
        out = []
        for i, c in enumerate(connectors):
            server = self.server_ref(key_path("connectors", i, "server"), c.server)
            remote = self.server_ref(key_path("connectors", i, "remote"), c.remote)
            if server == remote:
                raise self.fail(key_path("connectors", i, "remote"), "a connector cannot point at its own server", c.remote)
            if (server, remote) in pairs:
                raise self.fail(
                    key_path("connectors", i, "remote"),
                    f"connectors[{pairs[(server, remote)]}] already connects {server} to {remote}; one connector a direction",
                    c.remote,
                )
            pairs[(server, remote)] = i
            stack = self.choice(key_path("connectors", i, "stack"), c.stack, ("ip", "hostname"))
            address_path = key_path("connectors", i, "address")
            if stack == "ip":
                self.ip(address_path, c.address)
            else:
                self.host_name(address_path, c.address)
            if c.stack_ip_override is not None:
                self.ip(key_path("connectors", i, "stack_ip_override"), c.stack_ip_override)
            retries_path = key_path("connectors", i, "max_open_retries")
            if isinstance(c.max_open_retries, bool) or not isinstance(c.max_open_retries, int):
                raise self.fail(retries_path, "must be a whole number", c.max_open_retries)
            if not 0 <= c.max_open_retries <= MAX_OPEN_RETRIES_LIMIT:
                raise self.fail(retries_path, f"must be between 0 and {MAX_OPEN_RETRIES_LIMIT}", c.max_open_retries)
            interval_path = key_path("connectors", i, "open_interval")
            interval = self.seconds(interval_path, c.open_interval)
            if interval < MIN_OPEN_INTERVAL:
                problem = "must be positive" if interval <= 0 else f"must be at least {MIN_OPEN_INTERVAL:g} s"
                raise self.fail(interval_path, problem, c.open_interval)
            out.append(dataclasses.replace(c, server=server, remote=remote, stack=stack, open_interval=interval))  # type: ignore[arg-type]
        self.routes = pairs
        return tuple(out)

    def check_names(self, names: Names) -> None:
        for table in ("hosts", "dns"):
            seen: dict[str, str] = {}
            for name, ip in getattr(names, table):
                path = key_path("names", table, name)
                self.host_name(path, name)
                if is_dotted_ip(name):
                    raise self.fail(path, "a name, not an address, goes on the left", name)
                self.unique_name(path, name, seen, "name")
                self.ip(path, ip)
        seen_ip: set[str] = set()
        for ip, name in names.ptr:
            path = key_path("names", "ptr", ip)
            self.ip(path, ip)
            if ip in seen_ip:
                raise self.fail(path, "one PTR record an address", ip)
            seen_ip.add(ip)
            self.host_name(path, name)
        self.flag(key_path("names", "netbios"), names.netbios)

    def check_firewall(self, allowed: tuple[str, ...] | None) -> None:
        for i, ip in enumerate(allowed or ()):
            self.ip(key_path("firewall", "allow_sources", i), ip)

    def check_messages(
        self, messages: Sequence[Message], servers: Sequence[Server], connectors: Sequence[Connector]
    ) -> tuple[Message, ...]:
        if len(messages) > MAX_MESSAGES:
            raise self.fail(
                "messages",
                f"at most {MAX_MESSAGES:,} messages in a scenario (split the run into several, or send fewer)",
                len(messages),
            )
        out = []
        for i, m in enumerate(messages):
            at = self.seconds(key_path("messages", i, "at"), m.at)
            sender = self.server_ref(key_path("messages", i, toml_key("messages", "sender")), m.sender)
            to_path = key_path("messages", i, toml_key("messages", "recipient"))
            recipient = self.server_ref(to_path, m.recipient)
            if sender == recipient:
                raise self.fail(to_path, "a message to its own server never crosses a connector", m.recipient)
            if (sender, recipient) not in self.routes:
                raise self.fail(to_path, f"{sender} has no connector to {recipient}", m.recipient)
            out.append(Message(at=at, sender=sender, recipient=recipient))
        return tuple(out)

    def check_actions(self, actions: Sequence[Action], clusters: Sequence[Cluster]) -> tuple[Action, ...]:
        if len(actions) > MAX_ACTIONS:
            raise self.fail(
                "actions",
                f"at most {MAX_ACTIONS:,} scripted failovers in a scenario (fail over less often)",
                len(actions),
            )
        names = {fold(c.name): c.name for c in clusters}
        out = []
        for i, a in enumerate(actions):
            at = self.seconds(key_path("actions", i, "at"), a.at)
            path = key_path("actions", i, "failover")
            cluster = names.get(fold(self.text(path, a.failover)))
            if cluster is None:
                hint = " (name the cluster, not a node or the virtual server)" if names else " (this scenario has no cluster)"
                raise self.fail(path, "not a cluster of this scenario" + hint, a.failover)
            out.append(Action(at=at, failover=cluster))
        return tuple(out)


MAX_MESSAGES = 10_000
"""The most messages a scenario may hold. Each message retried on its own costs about 17 KB of
trace, and the live lab opens a real connection for each: 10,000 keep a run, its export and its
live comparison well under 500 MB and a minute (100,000 took 312 s and 911 MB in the live lab)."""

MAX_ACTIONS = 100_000
"""The most scripted failovers a scenario may hold (a failover every 5 s for nearly 6 days): 86,400
of them, one a second, run in 6.5 s at 165 MB; at 200,000 the lab took 64 s and over a gigabyte."""

MAX_SECONDS = 3_155_760_000
"""A simulated century, in seconds: the latest time a scenario may name (``at``, ``until``, ``open_interval``)."""


def validate(scenario: ScenarioFields) -> dict[str, object]:
    """Check ``scenario``; return its fields with references spelled canonically.

    Raises
    ------
    ScenarioError
        At the first problem, in file order, naming the key path and the bad value.
    """
    return _Checker(scenario).run()
