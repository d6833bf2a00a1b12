"""Who holds which address right now, and where each MTA runs (changes only on failover).

A :class:`World` is an immutable snapshot; a failover makes a new one. Everything here follows
DOMAIN.md sections 2 and 9: the virtual IPs are *additional* addresses of the active node, after
its own, in the order the group lists them (MODEL for the order); the MTA of a clustered server runs on the active node and listens
on all of that node's addresses (Q197378).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..scenario import Cluster, Scenario

__all__ = ["World"]


@dataclass(frozen=True, slots=True)
class World:
    scenario: Scenario
    active: Mapping[str, str]
    """cluster name -> name of its active node."""
    _addresses: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _owner: dict[str, str] = field(init=False, repr=False, compare=False)
    _mta_host: dict[str, str] = field(init=False, repr=False, compare=False)
    _mta_on: dict[str, str] = field(init=False, repr=False, compare=False)

    @classmethod
    def initial(cls, scenario: Scenario) -> World:
        return cls(scenario, {c.name: c.active for c in scenario.clusters})

    @classmethod
    def at(cls, scenario: Scenario, t: float) -> World:
        """The world at time ``t`` of a run: every scripted failover at or before ``t`` has happened."""
        world = cls.initial(scenario)
        for a in sorted(scenario.actions, key=lambda a: a.at):
            if a.at <= t:
                world = world.failed_over(a.failover)
        return world

    def __post_init__(self) -> None:
        s = self.scenario
        addresses = {h.name: h.addresses for h in s.hosts}
        owner = {a: h.name for h in s.hosts for a in h.addresses}
        for c in s.clusters:
            node = self.active[c.name]
            addresses[node] = (*addresses[node], *c.virtual_ips)
            owner.update(dict.fromkeys(c.virtual_ips, node))
        mta_host = {}
        for sv in s.servers:
            cluster = s.cluster_of(sv.name)
            mta_host[sv.name] = self.active[cluster.name] if cluster else sv.host
        object.__setattr__(self, "_addresses", addresses)
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_mta_host", mta_host)
        object.__setattr__(self, "_mta_on", {h: sv for sv, h in mta_host.items()})

    def failed_over(self, cluster: str) -> World:
        """The world after ``cluster``'s group moves to its other node.

        Made from this one by changing only what the move changes (the two nodes' cards, the
        owner of the group's virtual IPs, where the group's servers run), so that a run of many
        failovers costs little for each; it is the world ``World(scenario, active)`` would make
        (the tests compare the two after random failovers).
        """
        s = self.scenario
        c = s.cluster(cluster)
        old = self.active[c.name]
        new = c.nodes[1] if old == c.nodes[0] else c.nodes[0]
        active = {**self.active, c.name: new}
        world = object.__new__(World)
        put = object.__setattr__
        put(world, "scenario", s)
        put(world, "active", active)
        addresses = dict(self._addresses)
        for node in (old, new):
            held = [v for other in s.clusters if active[other.name] == node for v in other.virtual_ips]
            addresses[node] = (*s.host(node).addresses, *held)
        owner = dict(self._owner)
        owner.update(dict.fromkeys(c.virtual_ips, new))
        mta_host = dict(self._mta_host)
        for server, host in self._mta_host.items():
            if host == old and (group := s.cluster_of(server)) is not None and group.name == c.name:
                mta_host[server] = new
        put(world, "_addresses", addresses)
        put(world, "_owner", owner)
        put(world, "_mta_host", mta_host)
        put(world, "_mta_on", {h: sv for sv, h in mta_host.items()})
        return world

    def cluster_of_server(self, server: str) -> Cluster | None:
        return self.scenario.cluster_of(server)

    def addresses(self, host: str) -> tuple[str, ...]:
        """The addresses on ``host``'s card now, in order: its own first, then virtual IPs it holds."""
        return self._addresses[host]

    def owner(self, ip: str) -> str | None:
        """The host that holds ``ip`` now, or None if nobody does."""
        return self._owner.get(ip)

    def mta_host(self, server: str) -> str:
        """The host on which ``server``'s MTA runs now (the active node for a clustered server)."""
        return self._mta_host[server]

    def mta_on(self, host: str) -> str | None:
        """The server whose MTA runs on ``host`` now, or None (a passive node runs none)."""
        return self._mta_on.get(host)

    def claimed(self, server: str) -> str:
        """The address Exchange Administrator knows ``server`` by: the (first) virtual IP on a cluster."""
        cluster = self.cluster_of_server(server)
        if cluster:
            return cluster.virtual_ip
        return self.scenario.host(self.scenario.server(server).host).primary

    def owned_groups(self, host: str) -> tuple[Cluster, ...]:
        """The clusters whose group ``host`` owns now (it holds their virtual IPs and network names)."""
        return tuple(c for c in self.scenario.clusters if self.active[c.name] == host)

    def group_at(self, ip: str) -> Cluster | None:
        """The cluster one of whose virtual IPs ``ip`` is, or None for a host's own address."""
        return next((c for c in self.scenario.clusters if ip in c.virtual_ips), None)

    def active_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.active.items())
