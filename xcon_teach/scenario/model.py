"""The whole scenario, validated: :class:`Scenario`, with its lookups and its edited copies.

A :class:`Scenario` is validated as a whole when it is made, so every scenario that exists is a
valid one: loading a file, editing a copy (``with_stack``, ``failed_over``...) and building one in
Python all go through the same checks. Edits return a new scenario and leave the old one as it was.
Its parts are the records of :mod:`.elements`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .elements import Cluster, Connector, Firewall, Host, Hypothesis, ScenarioFields, Server, Stack
from .names import fold
from .toml import dumps, scenario_to_dict
from .validate import validate

__all__ = ["Scenario"]

_Named = TypeVar("_Named", Host, Server, Cluster)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario(ScenarioFields):
    """A whole scenario: what the TOML file of DESIGN.md describes, validated.

    Examples
    --------
    >>> from xcon_teach import load_scenario
    >>> s = load_scenario("kb-q169113")
    >>> s.connector("EXCLUS").address
    '10.0.0.10'
    >>> s.with_stack("EXA", "hostname", "EXCLUS").connector("EXA").stack
    'hostname'
    >>> s.connector("EXA").stack          # the original is unchanged
    'ip'
    """

    _index: dict[str, dict[str, Any]] = field(init=False, repr=False, compare=False, hash=False)
    """The lookups below by folded name, made once: a run asks them for every attempt and failover."""

    def __post_init__(self) -> None:
        # Validation also spells every reference the way its target was defined ("exa" -> "EXA"),
        # so the rest of the package can compare names exactly.
        for name, value in validate(self).items():
            object.__setattr__(self, name, value)
        index: dict[str, dict[str, Any]] = {  # reversed: the first of a name wins, as a scan would find it
            "host": {fold(h.name): h for h in reversed(self.hosts)},
            "server": {fold(sv.name): sv for sv in reversed(self.servers)},
            "cluster": {fold(c.name): c for c in reversed(self.clusters)},
        }
        groups = {fold(c.virtual_name): c for c in reversed(self.clusters)}
        index["cluster_of"] = {fold(sv.name): groups.get(fold(sv.host)) for sv in reversed(self.servers)}
        index["cluster_of_node"] = {fold(n): c for c in reversed(self.clusters) for n in c.nodes}
        object.__setattr__(self, "_index", index)

    # --- lookups (names are case-insensitive) -------------------------------------------------

    def host(self, name: str) -> Host:
        return self._find("host", name, self.hosts)

    def server(self, name: str) -> Server:
        return self._find("server", name, self.servers)

    def cluster(self, name: str) -> Cluster:
        return self._find("cluster", name, self.clusters)

    def _find(self, kind: str, name: str, items: tuple[_Named, ...]) -> _Named:
        found: _Named | None = self._index[kind].get(fold(name))
        if found is None:
            raise KeyError(f"no {kind} named {name!r}")
        return found

    def connector(self, server: str, remote: str | None = None) -> Connector:
        """The connector owned by ``server`` (to ``remote``, needed when it owns several)."""
        found = [
            c for c in self.connectors if fold(c.server) == fold(server) and (remote is None or fold(c.remote) == fold(remote))
        ]
        if len(found) != 1:
            what = "no connector" if not found else "several connectors; name the remote server"
            raise KeyError(f"{server!r} has {what}")
        return found[0]

    def cluster_of(self, server: str) -> Cluster | None:
        """The cluster whose virtual server hosts ``server``, or None for a standalone server."""
        key = fold(server)
        if key not in self._index["cluster_of"]:
            raise KeyError(f"no server named {server!r}")
        found: Cluster | None = self._index["cluster_of"][key]
        return found

    def cluster_of_node(self, host: str) -> Cluster | None:
        found: Cluster | None = self._index["cluster_of_node"].get(fold(host))
        return found

    # --- edited copies ------------------------------------------------------------------------

    def replace(self, **changes: object) -> Scenario:
        """A copy with some fields changed, validated like any scenario."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def _with_connector(self, server: str, remote: str | None, **changes: object) -> Scenario:
        target = self.connector(server, remote)
        connectors = tuple(dataclasses.replace(c, **changes) if c is target else c for c in self.connectors)  # type: ignore[arg-type]
        return self.replace(connectors=connectors)

    def with_stack(self, server: str, stack: Stack, address: str | None = None, *, remote: str | None = None) -> Scenario:
        """Set the Stack tab of ``server``'s connector: ``"ip"`` or ``"hostname"``, and its Address."""
        changes: dict[str, object] = {"stack": stack}
        if address is not None:
            changes["address"] = address
        return self._with_connector(server, remote, **changes)

    def with_address(self, server: str, address: str, *, remote: str | None = None) -> Scenario:
        """Set the Address field on the Stack tab of ``server``'s connector."""
        return self._with_connector(server, remote, address=address)

    def with_override(self, server: str, ip: str | None, *, remote: str | None = None) -> Scenario:
        """Set (or with None remove) the connector's ``Stack IP Address Override`` registry value."""
        return self._with_connector(server, remote, stack_ip_override=ip)

    def with_retries(
        self, server: str, *, max_open_retries: int | None = None, open_interval: float | None = None, remote: str | None = None
    ) -> Scenario:
        """Change the connector's Override tab values."""
        changes: dict[str, object] = {}
        if max_open_retries is not None:
            changes["max_open_retries"] = max_open_retries
        if open_interval is not None:
            changes["open_interval"] = open_interval
        return self._with_connector(server, remote, **changes)

    def _with_server(self, server: str, **changes: object) -> Scenario:
        target = self.server(server)
        servers = tuple(dataclasses.replace(s, **changes) if s is target else s for s in self.servers)  # type: ignore[arg-type]
        return self.replace(servers=servers)

    def with_build(self, server: str, build: str | int) -> Scenario:
        """Put ``server``'s MTA on another build: ``rtm``, ``sp1`` ... ``sp4``, or a build number such as 2431."""
        return self._with_server(server, build=build)

    def with_fix(self, server: str, fix: bool | None) -> Scenario:
        """Apply (True) or remove (False) the Q169113 hotfix; None returns to the build's default."""
        return self._with_server(server, q169113_fix=fix)

    def with_active(self, cluster: str, node: str) -> Scenario:
        """Make ``node`` the active node of ``cluster`` (the group starts there)."""
        target = self.cluster(cluster)
        clusters = tuple(dataclasses.replace(c, active=node) if c is target else c for c in self.clusters)
        return self.replace(clusters=clusters)

    def failed_over(self, *clusters: str) -> Scenario:
        """The groups of ``clusters`` moved to their other node; with no name given, every cluster's."""
        s = self
        for name in clusters or tuple(c.name for c in self.clusters):
            s = s.with_active(name, s.cluster(name).passive)
        return s

    def failover_variants(self) -> tuple[tuple[tuple[str, ...], Scenario], ...]:
        """The scenario held still (its scripted failovers left out), then each cluster failed over,
        then, with several clusters, all of them: (clusters moved, scenario) pairs, in that order."""
        still = self.replace(actions=())
        names = tuple(c.name for c in self.clusters)
        out: list[tuple[tuple[str, ...], Scenario]] = [((), still), *(((n,), still.failed_over(n)) for n in names)]
        if len(names) > 1:
            out.append((names, still.failed_over(*names)))
        return tuple(out)

    def with_ptr(self, ip: str, name: str | None) -> Scenario:
        """Add or replace (or with None remove) the DNS PTR record of ``ip``."""
        ptr = [(k, v) for k, v in self.names.ptr if k != ip]
        if name is not None:
            ptr.append((ip, name))
        return self.replace(names=dataclasses.replace(self.names, ptr=tuple(ptr)))

    def with_hosts(self, name: str, ip: str | None) -> Scenario:
        """Add or replace (or with None remove) the HOSTS file entry for ``name`` (any case)."""
        return self._with_name_record("hosts", name, ip)

    def with_dns(self, name: str, ip: str | None) -> Scenario:
        """Add or replace (or with None remove) the DNS A record for ``name`` (any case)."""
        return self._with_name_record("dns", name, ip)

    def with_name_table(self, table: str, rows: tuple[tuple[str, str], ...]) -> Scenario:
        """The HOSTS file (``table="hosts"``) or the DNS A records (``"dns"``) replaced by ``rows`` (name, IP)."""
        names = dataclasses.replace(self.names, hosts=rows) if table == "hosts" else dataclasses.replace(self.names, dns=rows)
        return self.replace(names=names)

    def _with_name_record(self, table: str, name: str, ip: str | None) -> Scenario:
        rows = [(k, v) for k, v in getattr(self.names, table) if k.casefold() != name.casefold()]
        if ip is not None:
            rows.append((name, ip))
        return self.with_name_table(table, tuple(rows))

    def with_netbios(self, on: bool) -> Scenario:
        """Turn NetBIOS name service (WINS and node status) on or off."""
        return self.replace(names=dataclasses.replace(self.names, netbios=on))

    def with_firewall(self, allow_sources: tuple[str, ...] | list[str] | None) -> Scenario:
        """Put a firewall in front of every MTA that admits only these sources (None: no firewall)."""
        allowed = None if allow_sources is None else tuple(allow_sources)
        return self.replace(firewall=Firewall(allow_sources=allowed))

    def with_until(self, until: float) -> Scenario:
        return self.replace(until=until)

    def with_hypothesis(self, hostname_stack: Hypothesis) -> Scenario:
        """Run under hypothesis S (``"sender"``) or R (``"receiver"``) of DOMAIN.md 5b."""
        return self.replace(hostname_stack=hostname_stack)

    # --- serialisation ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, object]:
        """The scenario in the data model of its TOML file (DESIGN.md); ``from_dict`` reads it back."""
        return scenario_to_dict(self)

    def to_toml(self) -> str:
        """The scenario as a TOML file that loads back to an equal scenario."""
        return dumps(self.to_dict())
