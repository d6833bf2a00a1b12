"""The lab's settings as a table: one row per kind of control, like Mesa's ``model_params``.

A :class:`Control` row says, for one kind of setting: which tab it sits on, which parts of a
scenario get one (every connector, cluster, server, cluster node, or the scenario once), the
widget that shows it, how to read its value from a scenario and how to write a value into a new
scenario. :class:`~xcon_teach.lab.widget.Lab` builds its fields from :data:`CONTROLS` and turns
every change of any field into a new scenario in one place, so a control is added by adding a row.

Keys are ``KIND:TARGET``: ``stack:EXA->EXCLUS`` (a connector; ``stack:EXA`` also names a server's
first connector), ``active:WOLFPACK``, ``build:EXCLUS`` (``"rtm"`` ... ``"sp4"``, or a number such as
2431), ``fix:EXCLUS``, ``ptr:NODE1``, ``netbios``, ``hypothesis`` (``"sender"`` or ``"receiver"``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from ..scenario import BUILDS, Scenario
from ..scenario.elements import build_label, build_spelling
from ..sim.builds import has_fix
from . import logic

__all__ = ["CONTROLS", "Control", "Memory", "Target", "targets_of"]


@dataclass(frozen=True, slots=True)
class Target:
    """What one field sets: a connector (server, remote), a cluster, a server, a node, or the scenario."""

    key: str
    """The part of the field's key after ``KIND:``; "" for a setting of the whole scenario."""
    aliases: tuple[str, ...] = ()
    """Other names for it (``EXA`` for EXA's first connector)."""
    ref: tuple[str, ...] = ()
    label: str = ""


Memory = dict[str, str]
"""What the lab remembers between changes: a connector's IP address while its Stack tab says host name."""


@dataclass(frozen=True, slots=True)
class Control:
    """One kind of setting of the lab."""

    kind: str
    tab: str
    parts: str
    """Which targets get a field: ``connectors``, ``clusters``, ``servers``, ``nodes`` or ``scenario``."""
    widget: Callable[[Scenario, Target, Any], Any]
    """Makes the field, given the scenario, the target and the field's current value."""
    read: Callable[[Scenario, Target], Any]
    write: Callable[[Scenario, Target, Any, Memory], Scenario]
    """A new scenario with the field's value in it (raises ScenarioError on a bad value)."""
    label: Callable[[Target], str] = lambda t: ""

    def key(self, target: Target) -> str:
        return f"{self.kind}:{target.key}" if target.key else self.kind


def targets_of(s: Scenario, parts: str) -> Sequence[Target]:
    """The targets of ``parts`` in ``s``, in file order."""
    if parts == "connectors":
        out, seen = [], set()
        for c in s.connectors:
            # `stack:EXA` names EXA's first connector; `stack:EXA->EXCLUS` always works.
            aliases = () if c.server in seen else (c.server,)
            seen.add(c.server)
            out.append(Target(c.label, aliases, (c.server, c.remote), c.label.replace("->", " → ")))
        return out
    if parts == "clusters":
        return [Target(c.name, (), (c.name,), c.name) for c in s.clusters]
    if parts == "servers":
        return [Target(sv.name, (), (sv.name,), sv.name) for sv in s.servers]
    if parts == "nodes":
        return [Target(n, (), (n,), n) for c in s.clusters for n in c.nodes]
    return [Target("")]


def _stack(s: Scenario, t: Target, stack: str, memory: Memory) -> Scenario:
    server, remote = t.ref
    c = s.connector(server, remote)
    if c.stack == "ip":
        memory[c.label] = c.address
    address = logic.address_after_stack_change(s, c, stack, memory.get(c.label))
    return s.with_stack(server, stack, address, remote=remote)  # type: ignore[arg-type]


def _records(rows: tuple[tuple[str, str], ...]) -> str:
    """A name table as the lab's field shows it: ``EXA=10.0.0.10, EXCLUS=10.0.1.20``."""
    return ", ".join(f"{name}={ip}" for name, ip in rows)


def _with_records(s: Scenario, table: str, text: str) -> Scenario:
    """``s`` with its HOSTS file (or DNS A records) as typed in ``NAME=IP, ...`` form; a bad entry is refused."""
    from ..errors import ScenarioError

    rows: list[tuple[str, str]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, eq, ip = part.partition("=")
        if not eq or not name.strip() or not ip.strip():
            raise ScenarioError(s.source, f"names.{table}", "write each entry as NAME=IP, separated by commas", part)
        rows.append((name.strip(), ip.strip()))
    return s.with_name_table(table, tuple(rows))


def _text(value: str, width: str = "160px", placeholder: str = "") -> Any:
    return w.Text(value=value, placeholder=placeholder, continuous_update=False, layout=w.Layout(width=width))


HYPOTHESES = [
    ("S: the sender sends from its server's address", "sender"),
    ("R: the receiver finds the caller by name", "receiver"),
]
"""The two readings of DOMAIN.md 5b, as the lab offers them."""

NOTABLE_BUILDS = {2431: "the fix of Q197378; logs no 9301"}
"""Builds without a name that the lab offers besides the service packs."""


def _build_options(s: Scenario) -> list[tuple[str, str | int]]:
    """The service packs, the notable hotfix builds, and any other build the scenario's servers run, in build order."""
    numbers = {b.number for b in BUILDS.values()} | set(NOTABLE_BUILDS) | {sv.build for sv in s.servers}
    return [
        (build_label(n) + (f" ({NOTABLE_BUILDS[n]})" if n in NOTABLE_BUILDS else ""), build_spelling(n)) for n in sorted(numbers)
    ]


def _ptr_ip(s: Scenario, node: str) -> str:
    return s.host(node).primary


CONTROLS: tuple[Control, ...] = (
    Control(
        "stack",
        "Stack tab",
        "connectors",
        lambda s, t, v: w.ToggleButtons(
            options=[("IP address", "ip"), ("Remote host name", "hostname")], value=v, style={"button_width": "150px"}
        ),
        lambda s, t: s.connector(*t.ref).stack,
        _stack,
        lambda t: f"Stack tab of {t.label}",
    ),
    Control(
        "address",
        "Stack tab",
        "connectors",
        lambda s, t, v: _text(v),
        lambda s, t: s.connector(*t.ref).address,
        lambda s, t, v, m: s.with_address(t.ref[0], v.strip(), remote=t.ref[1]),
        lambda t: "Address",
    ),
    Control(
        "override",
        "Stack tab",
        "connectors",
        lambda s, t, v: _text(v, placeholder="(not set)"),
        lambda s, t: s.connector(*t.ref).stack_ip_override or "",
        lambda s, t, v, m: s.with_override(t.ref[0], v.strip() or None, remote=t.ref[1]),
        lambda t: "Stack IP Address Override",
    ),
    Control(
        "active",
        "Cluster",
        "clusters",
        lambda s, t, v: w.ToggleButtons(options=list(s.cluster(t.key).nodes), value=v),
        lambda s, t: s.cluster(t.key).active,
        lambda s, t, v, m: s.with_active(t.key, v),
        lambda t: f"{t.label}: active node",
    ),
    Control(
        "build",
        "MTA build",
        "servers",
        lambda s, t, v: w.Dropdown(options=_build_options(s), value=v, layout=w.Layout(width="220px")),
        lambda s, t: build_spelling(s.server(t.key).build),
        lambda s, t, v, m: s.with_build(t.key, v),
        lambda t: f"{t.label} MTA",
    ),
    Control(
        "fix",
        "MTA build",
        "servers",
        lambda s, t, v: w.Checkbox(
            value=v,
            description="Q169113 fix" + (" (no effect: not clustered)" if s.cluster_of(t.key) is None else ""),
            indent=False,
        ),
        lambda s, t: has_fix(s.server(t.key)),
        lambda s, t, v, m: s.with_fix(t.key, v),
    ),
    Control(
        "ptr",
        "Name service",
        "nodes",
        lambda s, t, v: w.Checkbox(value=v, description=f"PTR record {_ptr_ip(s, t.key)} → {t.key}", indent=False),
        lambda s, t: dict(s.names.ptr).get(_ptr_ip(s, t.key)) is not None,
        lambda s, t, v, m: s.with_ptr(_ptr_ip(s, t.key), t.key if v else None),
    ),
    Control(
        "hosts",
        "Name service",
        "scenario",
        lambda s, t, v: _text(v, "420px", "NAME=IP, NAME=IP"),
        lambda s, t: _records(s.names.hosts),
        lambda s, t, v, m: _with_records(s, "hosts", v),
        lambda t: "HOSTS file",
    ),
    Control(
        "dns",
        "Name service",
        "scenario",
        lambda s, t, v: _text(v, "420px", "NAME=IP, NAME=IP"),
        lambda s, t: _records(s.names.dns),
        lambda s, t, v, m: _with_records(s, "dns", v),
        lambda t: "DNS A records",
    ),
    Control(
        "netbios",
        "Name service",
        "scenario",
        lambda s, t, v: w.Checkbox(value=v, description="NetBIOS (WINS and node status)", indent=False),
        lambda s, t: s.names.netbios,
        lambda s, t, v, m: s.with_netbios(v),
    ),
    Control(
        "hypothesis",
        "Hypothesis",
        "scenario",
        lambda s, t, v: w.ToggleButtons(options=HYPOTHESES, value=v, style={"button_width": "330px"}),
        lambda s, t: s.hostname_stack,
        lambda s, t, v, m: s.with_hypothesis(v),
        lambda t: "Why Remote host name works (undocumented: pick a reading)",
    ),
)
"""Every setting of the lab, in the order its tabs show them."""
