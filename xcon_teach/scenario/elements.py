"""The parts a scenario is made of (DOMAIN.md section 2), and the TOML keys that write them.

Leaf records only: frozen, keyword-only dataclasses with no behaviour of their own, the named MTA
builds, the defaults of the file format, and :data:`KEYS`, the one table of TOML keys per table
of the file that loading (:mod:`.load`), validation (:mod:`.validate`) and writing (:mod:`.toml`)
all read. The whole scenario, validated, is :class:`~xcon_teach.scenario.model.Scenario`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "BUILDS",
    "DEFAULT_BUILD",
    "DEFAULT_HYPOTHESIS",
    "DEFAULT_MAX_OPEN_RETRIES",
    "DEFAULT_OPEN_INTERVAL",
    "DEFAULT_ORG",
    "DEFAULT_UNTIL",
    "KEYS",
    "Action",
    "Build",
    "Cluster",
    "Connector",
    "Firewall",
    "Host",
    "Hypothesis",
    "Key",
    "Message",
    "Names",
    "ScenarioFields",
    "Server",
    "Stack",
    "build_label",
    "build_spelling",
    "toml_key",
]

Stack = Literal["ip", "hostname"]
Hypothesis = Literal["sender", "receiver"]
"""Why a Remote host name stack works (DOMAIN.md 5b): hypothesis S, "the sender sends from its server's
address", or hypothesis R, "the receiver finds the caller by name". Neither is documented."""
DEFAULT_HYPOTHESIS: Hypothesis = "sender"

DEFAULT_ORG = "Microsoft"
DEFAULT_UNTIL = 90000.0
"""One day and an hour: long enough to see a day of retries end in an NDR."""
DEFAULT_MAX_OPEN_RETRIES = 144
"""Override tab default, Q234157."""
DEFAULT_OPEN_INTERVAL = 600.0
"""Override tab default in seconds, Q234157."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Build:
    """A named Exchange 5.5 MTA build; what each build does is :mod:`xcon_teach.sim.builds`."""

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
"""The service packs by name. A scenario may also give any build by number (a hotfix such as 2431)."""
DEFAULT_BUILD = BUILDS["rtm"].number
CITED = {"build-numbers": "Q257618"}
"""Claims of the source register this module rests on (the build numbers above)."""


def build_spelling(number: int) -> str | int:
    """How a scenario file writes a build: its name when it has one (``"sp2"``), else its number.

    >>> build_spelling(2448), build_spelling(2431)
    ('sp2', 2431)
    """
    return next((b.key for b in BUILDS.values() if b.number == number), number)


def build_label(number: int) -> str:
    """A build as a learner reads it: ``SP2 (build 2448)``, or ``build 2431`` for a build without a name."""
    named = next((b for b in BUILDS.values() if b.number == number), None)
    return f"{named.label} (build {number})" if named else f"build {number}"


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
    virtual_ips: tuple[str, ...]
    """The group's IP Address resources, one or more (a file writes one as ``virtual_ip``)."""

    @property
    def virtual_ip(self) -> str:
        """The first virtual IP: the one the Network Name depends on (Q195462; "first": MODEL)."""
        return self.virtual_ips[0]

    @property
    def passive(self) -> str:
        return self.nodes[1] if self.active == self.nodes[0] else self.nodes[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class Server:
    """An Exchange server with one MTA. On a cluster, ``host`` is the virtual server's name."""

    name: str
    site: str
    host: str
    build: int = DEFAULT_BUILD
    """The MTA's build number (:data:`BUILDS` names the service packs)."""
    q169113_fix: bool | None = None
    """None: the build's default (:func:`xcon_teach.sim.builds.has_fix`)."""

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
class ScenarioFields:
    """Everything a scenario file holds, as data and not yet checked.

    :class:`~xcon_teach.scenario.model.Scenario` adds the checks (it is only ever made valid),
    the lookups and the edits; validation and writing work on these fields alone.
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
    hostname_stack: Hypothesis = DEFAULT_HYPOTHESIS
    """``[model] hostname_stack``: which reading of the host-name workaround the run follows."""
    source: str = field(default="<scenario>", compare=False)
    """Where the scenario came from (a file or a built-in name); used in error messages."""


# --- the TOML keys of each table ----------------------------------------------------------------

_REQUIRED = object()


@dataclass(frozen=True, slots=True)
class Key:
    """One key of a table in a scenario file, and the record field it fills."""

    toml: str
    """The key as written in the file."""
    field: str
    """The field of the record it fills (``from`` fills ``Message.sender``)."""
    default: object = _REQUIRED
    """What leaving the key out means; :data:`_REQUIRED` for a key the file must give."""
    always: bool = False
    """Written even when it holds the default, so a saved file shows it."""
    shape: Literal["value", "strings", "pairs", "build", "one", "several"] = "value"
    """How the file writes it: as it is, a list of strings, a table of name = address pairs, a build
    (by name or number), or one of a pair of keys for one field (``virtual_ip`` for one address,
    ``virtual_ips`` for several)."""

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED


KEYS: Mapping[str, tuple[Key, ...]] = {
    "": (
        Key("title", "title", None, always=True),  # None: the file's name
        Key("description", "description", ""),
        Key("org", "org", DEFAULT_ORG, always=True),
        Key("hosts", "hosts"),
        Key("clusters", "clusters", ()),
        Key("servers", "servers"),
        Key("connectors", "connectors", ()),
        Key("names", "names", Names(), always=True),
        Key("firewall", "firewall", Firewall()),
        Key("messages", "messages", ()),
        Key("actions", "actions", ()),
        Key("run", "until", DEFAULT_UNTIL, always=True),
        Key("model", "hostname_stack", DEFAULT_HYPOTHESIS),
    ),
    "hosts": (Key("addresses", "addresses", shape="strings"),),
    "clusters": (
        Key("nodes", "nodes", shape="strings"),
        Key("active", "active"),
        Key("virtual_name", "virtual_name"),
        Key("virtual_ip", "virtual_ips", None, shape="one"),
        Key("virtual_ips", "virtual_ips", None, shape="several"),
    ),
    "servers": (
        Key("site", "site"),
        Key("host", "host"),
        Key("build", "build", DEFAULT_BUILD, always=True, shape="build"),
        Key("q169113_fix", "q169113_fix", None),
    ),
    "connectors": (
        Key("server", "server"),
        Key("remote", "remote"),
        Key("stack", "stack"),
        Key("address", "address"),
        Key("stack_ip_override", "stack_ip_override", None),
        Key("max_open_retries", "max_open_retries", DEFAULT_MAX_OPEN_RETRIES),
        Key("open_interval", "open_interval", DEFAULT_OPEN_INTERVAL),
    ),
    "names": (
        Key("hosts", "hosts", (), always=True, shape="pairs"),
        Key("dns", "dns", (), always=True, shape="pairs"),
        Key("ptr", "ptr", (), always=True, shape="pairs"),
        Key("netbios", "netbios", True, always=True),
    ),
    "firewall": (Key("allow_sources", "allow_sources", None, shape="strings"),),
    "messages": (Key("at", "at"), Key("from", "sender"), Key("to", "recipient")),
    "actions": (Key("at", "at"), Key("failover", "failover")),
    "run": (Key("until", "until", DEFAULT_UNTIL, always=True),),
    "model": (Key("hostname_stack", "hostname_stack", DEFAULT_HYPOTHESIS),),
}
"""Per table of the file (``""`` is the top level), its keys in the order a file writes them."""


def toml_key(table: str, field: str) -> str:
    """The key that fills ``field`` in ``table``: ``toml_key("messages", "sender")`` is ``"from"``."""
    return next(k.toml for k in KEYS[table] if k.field == field)
