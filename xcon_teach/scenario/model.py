"""The objects of a scenario (DOMAIN.md section 2) as frozen, keyword-only dataclasses.

A :class:`Scenario` is validated as a whole when it is made, so every scenario that exists is a
valid one: loading a file, editing a copy (``with_stack``, ``failed_over``...) and building one in
Python all go through the same checks. Edits return a new scenario and leave the old one as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from .names import fold

__all__ = [
    "BUILDS",
    "DEFAULT_MAX_OPEN_RETRIES",
    "DEFAULT_OPEN_INTERVAL",
    "DEFAULT_ORG",
    "DEFAULT_UNTIL",
    "Action",
    "Build",
    "Cluster",
    "Connector",
    "Firewall",
    "Host",
    "Message",
    "Names",
    "Scenario",
    "Server",
]

Stack = Literal["ip", "hostname"]
_Named = TypeVar("_Named", "Host", "Server", "Cluster")

DEFAULT_ORG = "Microsoft"
DEFAULT_UNTIL = 90000.0
"""One day and an hour: long enough to see a day of retries end in an NDR."""
DEFAULT_MAX_OPEN_RETRIES = 144
"""Override tab default, Q234157."""
DEFAULT_OPEN_INTERVAL = 600.0
"""Override tab default in seconds, Q234157."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Build:
    """An Exchange 5.5 MTA build (Q189345, Q234962)."""

    key: str
    label: str
    number: int


BUILDS: Mapping[str, Build] = {
    b.key: b
    for b in (
        Build(key="rtm", label="RTM", number=1960),
        Build(key="sp1", label="SP1", number=2232),
        Build(key="sp2", label="SP2", number=2448),
        Build(key="sp3", label="SP3", number=2650),
        Build(key="sp4", label="SP4", number=2653),
    )
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Host:
    """A Windows NT machine: a computer name and one card's IP addresses, primary first."""

    name: str
    addresses: tuple[str, ...]

    @property
    def primary(self) -> str:
        return self.addresses[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class Cluster:
    """An MSCS cluster: two nodes and one group holding the virtual IP and the virtual name."""

    name: str
    nodes: tuple[str, ...]
    """Exactly two hosts (MSCS 1.0)."""
    active: str
    virtual_name: str
    virtual_ip: str

    @property
    def passive(self) -> str:
        return self.nodes[1] if self.active == self.nodes[0] else self.nodes[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class Server:
    """An Exchange server with one MTA. On a cluster, ``host`` is the virtual server's name."""

    name: str
    site: str
    host: str
    build: str = "sp1"
    q169113_fix: bool | None = None
    """None: the build's default (the fix ships from SP2 on, a MODEL assumption)."""

    @property
    def has_fix(self) -> bool:
        if self.q169113_fix is not None:
            return self.q169113_fix
        return BUILDS[self.build].number >= BUILDS["sp2"].number

    @property
    def stack_name(self) -> str:
        """The MTA transport stack's name, as in the Event 9301 text."""
        return f"TCP ({self.name})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Connector:
    """An X.400 connector on ``server`` pointing at ``remote`` (one per direction)."""

    server: str
    remote: str
    stack: Stack = "ip"
    address: str
    stack_ip_override: str | None = None
    """Registry value ``Stack IP Address Override`` (Q197378); None when not set."""
    max_open_retries: int = DEFAULT_MAX_OPEN_RETRIES
    open_interval: float = DEFAULT_OPEN_INTERVAL

    @property
    def label(self) -> str:
        return f"{self.server}->{self.remote}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Names:
    """The name service every machine sees: HOSTS file, DNS A and PTR records, NetBIOS/WINS."""

    hosts: tuple[tuple[str, str], ...] = ()
    """HOSTS file entries, name -> IP, in file order."""
    dns: tuple[tuple[str, str], ...] = ()
    """DNS A records, name -> IP."""
    ptr: tuple[tuple[str, str], ...] = ()
    """DNS PTR records, IP -> name."""
    netbios: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Firewall:
    """One filter in front of every MTA's TCP port 102 (a MODEL element).

    ``allow_sources`` None passes everything; an empty tuple drops everything.
    """

    allow_sources: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A message submitted at ``at`` seconds by a user on ``sender`` for a user on ``recipient``."""

    at: float
    sender: str
    recipient: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """A scripted change during a run. The only kind so far: fail a cluster over."""

    at: float
    failover: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
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

    title: str
    description: str = ""
    org: str = DEFAULT_ORG
    hosts: tuple[Host, ...]
    clusters: tuple[Cluster, ...] = ()
    servers: tuple[Server, ...]
    connectors: tuple[Connector, ...] = ()
    names: Names = Names()
    firewall: Firewall = Firewall()
    messages: tuple[Message, ...] = ()
    actions: tuple[Action, ...] = ()
    until: float = DEFAULT_UNTIL
    source: str = field(default="<scenario>", compare=False)
    """Where the scenario came from (a file or a built-in name); used in error messages."""

    def __post_init__(self) -> None:
        from .validate import validate

        # Validation also spells every reference the way its target was defined ("exa" -> "EXA"),
        # so the rest of the package can compare names exactly.
        for name, value in validate(self).items():
            object.__setattr__(self, name, value)

    # --- lookups (names are case-insensitive) -------------------------------------------------

    def host(self, name: str) -> Host:
        return self._find("host", name, self.hosts)

    def server(self, name: str) -> Server:
        return self._find("server", name, self.servers)

    def cluster(self, name: str) -> Cluster:
        return self._find("cluster", name, self.clusters)

    def _find(self, kind: str, name: str, items: tuple[_Named, ...]) -> _Named:
        for item in items:
            if fold(item.name) == fold(name):
                return item
        raise KeyError(f"no {kind} named {name!r}")

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
        host = self.server(server).host
        for c in self.clusters:
            if fold(c.virtual_name) == fold(host):
                return c
        return None

    def cluster_of_node(self, host: str) -> Cluster | None:
        for c in self.clusters:
            if any(fold(n) == fold(host) for n in c.nodes):
                return c
        return None

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

    def with_build(self, server: str, build: str) -> Scenario:
        """Put ``server``'s MTA on another build: ``rtm``, ``sp1`` ... ``sp4``."""
        return self._with_server(server, build=build)

    def with_fix(self, server: str, fix: bool | None) -> Scenario:
        """Apply (True) or remove (False) the Q169113 hotfix; None returns to the build's default."""
        return self._with_server(server, q169113_fix=fix)

    def with_active(self, cluster: str, node: str) -> Scenario:
        """Make ``node`` the active node of ``cluster`` (the group starts there)."""
        target = self.cluster(cluster)
        clusters = tuple(dataclasses.replace(c, active=node) if c is target else c for c in self.clusters)
        return self.replace(clusters=clusters)

    def failed_over(self, cluster: str) -> Scenario:
        """The group of ``cluster`` moved to its other node."""
        return self.with_active(cluster, self.cluster(cluster).passive)

    def with_ptr(self, ip: str, name: str | None) -> Scenario:
        """Add or replace (or with None remove) the DNS PTR record of ``ip``."""
        ptr = [(k, v) for k, v in self.names.ptr if k != ip]
        if name is not None:
            ptr.append((ip, name))
        return self.replace(names=dataclasses.replace(self.names, ptr=tuple(ptr)))

    def with_netbios(self, on: bool) -> Scenario:
        """Turn NetBIOS name service (WINS and node status) on or off."""
        return self.replace(names=dataclasses.replace(self.names, netbios=on))

    def with_firewall(self, allow_sources: tuple[str, ...] | list[str] | None) -> Scenario:
        """Put a firewall in front of every MTA that admits only these sources (None: no firewall)."""
        allowed = None if allow_sources is None else tuple(allow_sources)
        return self.replace(firewall=Firewall(allow_sources=allowed))

    def with_until(self, until: float) -> Scenario:
        return self.replace(until=until)

    # --- serialisation ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, object]:
        """The scenario in the data model of its TOML file (DESIGN.md); ``from_dict`` reads it back."""
        from .toml import scenario_to_dict

        return scenario_to_dict(self)

    def to_toml(self) -> str:
        """The scenario as a TOML file that loads back to an equal scenario."""
        from .toml import dumps

        return dumps(self.to_dict())
