"""Scenario <-> TOML data model, and a small TOML writer (the standard library only reads TOML).

The writer knows just what a scenario needs: scalars, lists of scalars, inline tables of
scalars, tables and arrays of tables.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Scenario

__all__ = ["dumps", "scenario_to_dict"]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
Scalar = str | int | float | bool


def scenario_to_dict(s: Scenario) -> dict[str, object]:
    """The scenario as TOML data, defaults left out where the file may omit them."""
    out: dict[str, object] = {"title": s.title}
    if s.description:
        out["description"] = s.description
    out["org"] = s.org
    out["hosts"] = {h.name: {"addresses": list(h.addresses)} for h in s.hosts}
    if s.clusters:
        out["clusters"] = {
            c.name: {"nodes": list(c.nodes), "active": c.active, "virtual_name": c.virtual_name, "virtual_ip": c.virtual_ip}
            for c in s.clusters
        }
    servers: dict[str, object] = {}
    for sv in s.servers:
        entry: dict[str, object] = {"site": sv.site, "host": sv.host, "build": sv.build}
        if sv.q169113_fix is not None:
            entry["q169113_fix"] = sv.q169113_fix
        servers[sv.name] = entry
    out["servers"] = servers
    connectors = []
    for c in s.connectors:
        item: dict[str, object] = {"server": c.server, "remote": c.remote, "stack": c.stack, "address": c.address}
        if c.stack_ip_override is not None:
            item["stack_ip_override"] = c.stack_ip_override
        from .model import DEFAULT_MAX_OPEN_RETRIES, DEFAULT_OPEN_INTERVAL

        if c.max_open_retries != DEFAULT_MAX_OPEN_RETRIES:
            item["max_open_retries"] = c.max_open_retries
        if c.open_interval != DEFAULT_OPEN_INTERVAL:
            item["open_interval"] = c.open_interval
        connectors.append(item)
    if connectors:
        out["connectors"] = connectors
    out["names"] = {
        "hosts": dict(s.names.hosts),
        "dns": dict(s.names.dns),
        "ptr": dict(s.names.ptr),
        "netbios": s.names.netbios,
    }
    if s.firewall.allow_sources is not None:
        out["firewall"] = {"allow_sources": list(s.firewall.allow_sources)}
    if s.messages:
        out["messages"] = [{"at": m.at, "from": m.sender, "to": m.recipient} for m in s.messages]
    if s.actions:
        out["actions"] = [{"at": a.at, "failover": a.failover} for a in s.actions]
    out["run"] = {"until": s.until}
    return out


def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else _string(k)


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value!r} to TOML")
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_scalar(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _is_inline(value: object) -> bool:
    if isinstance(value, dict):
        return all(not isinstance(v, (dict, list)) or (isinstance(v, list) and _is_inline(v)) for v in value.values())
    if isinstance(value, list):
        return all(not isinstance(v, dict) for v in value)
    return True


def dumps(data: dict[str, object]) -> str:
    """Write ``data`` as TOML text (tables after scalars, blank line between tables)."""
    lines: list[str] = []
    _table(data, [], lines)
    return "\n".join(lines).strip("\n") + "\n"


def _table(data: dict[str, object], prefix: list[str], lines: list[str]) -> None:
    # Top-level tables ([names], [run]...) are always written as sections, never inline.
    def inline(v: object) -> bool:
        return _is_inline(v) and (bool(prefix) or not isinstance(v, dict))

    for k, v in data.items():
        if inline(v):
            lines.append(f"{_key(k)} = {_scalar(v)}")
    for k, v in data.items():
        if inline(v):
            continue
        if isinstance(v, list):
            for item in v:
                assert isinstance(item, dict)
                lines.append("")
                lines.append("[[" + ".".join(_key(p) for p in [*prefix, k]) + "]]")
                _table(item, [*prefix, k], lines)
        elif isinstance(v, dict):
            if all(isinstance(x, dict) for x in v.values()) and v:
                # a table of tables (hosts, servers...): write each as [parent.child]
                for child, sub in v.items():
                    assert isinstance(sub, dict)
                    lines.append("")
                    lines.append("[" + ".".join(_key(p) for p in [*prefix, k, child]) + "]")
                    _table(sub, [*prefix, k, child], lines)
            else:
                lines.append("")
                lines.append("[" + ".".join(_key(p) for p in [*prefix, k]) + "]")
                _table(v, [*prefix, k], lines)
