"""Read scenario files (TOML, with the standard library's ``tomllib``) into a :class:`Scenario`.

The loader checks the shape of the file (tables, unknown and missing keys); the values themselves
are checked by :mod:`.validate` when the scenario is made. Either way the error names the file,
the key path and the bad value, and a half-valid file never becomes a scenario.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import NO_VALUE, ScenarioError
from . import library
from .model import (
    DEFAULT_MAX_OPEN_RETRIES,
    DEFAULT_OPEN_INTERVAL,
    DEFAULT_ORG,
    DEFAULT_UNTIL,
    Action,
    Cluster,
    Connector,
    Firewall,
    Host,
    Message,
    Names,
    Scenario,
    Server,
)
from .validate import key_path, sub_path

__all__ = ["load_scenario", "loads_scenario", "scenario_from_dict"]

_TOP = (
    "title",
    "description",
    "org",
    "hosts",
    "clusters",
    "servers",
    "connectors",
    "names",
    "firewall",
    "messages",
    "actions",
    "run",
)
_HOST = ("addresses",)
_CLUSTER = ("nodes", "active", "virtual_name", "virtual_ip")
_SERVER = ("site", "host", "build", "q169113_fix")
_CONNECTOR = ("server", "remote", "stack", "address", "stack_ip_override", "max_open_retries", "open_interval")
_NAMES = ("hosts", "dns", "ptr", "netbios")
_FIREWALL = ("allow_sources",)
_MESSAGE = ("at", "from", "to")
_ACTION = ("at", "failover")
_RUN = ("until",)


def load_scenario(path_or_name: str | os.PathLike[str] | Scenario) -> Scenario:
    """Load a scenario from a TOML file or by the name of a built-in one.

    An existing file wins over a built-in scenario of the same name.

    Examples
    --------
    >>> from xcon_teach import load_scenario
    >>> load_scenario("kb-q169113").title
    'KB Q169113: X.400 over TCP/IP with a clustered server'
    >>> load_scenario("no-such-thing")
    Traceback (most recent call last):
    ...
    xcon_teach.errors.ScenarioError: no-such-thing: no such file or built-in scenario (`xcon-teach list` shows the built-in ones)
    """
    if isinstance(path_or_name, Scenario):
        return path_or_name
    path = Path(path_or_name)
    source = os.fspath(path_or_name)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8-sig")  # Windows Notepad may start the file with a BOM
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(source, "", f"cannot read the file: {getattr(exc, 'strerror', None) or exc}") from None
        return loads_scenario(text, source=source)
    if path.is_dir():
        raise ScenarioError(source, "", "is a folder, not a scenario file")
    if isinstance(path_or_name, str) and library.exists(path_or_name):
        return loads_scenario(library.text(path_or_name), source=library.canonical(path_or_name))
    stem = path.name.removesuffix(".toml")
    if stem != path.name and library.exists(stem):
        raise ScenarioError(
            source, "", f"no such file; the built-in scenario is called {library.canonical(stem)} (without .toml)"
        )
    raise ScenarioError(source, "", "no such file or built-in scenario (`xcon-teach list` shows the built-in ones)")


def loads_scenario(text: str, *, source: str = "<string>") -> Scenario:
    """Load a scenario from TOML text; ``source`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", f"TOML syntax error: {exc}") from None
    return scenario_from_dict(data, source=source)


def scenario_from_dict(data: Mapping[str, Any], *, source: str = "<dict>") -> Scenario:
    """Build a scenario from TOML data (what ``tomllib`` returns, or ``Scenario.to_dict()``)."""
    return _Reader(source).scenario(data)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str, got: object = NO_VALUE) -> ScenarioError:
        return ScenarioError(self.source, path, problem, got)

    def table(self, value: object, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, "must be a table", value)
        for key in value:
            if key not in allowed:
                near = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean {near[0]}?" if near else "; expected one of " + ", ".join(allowed)
                raise self.fail(sub_path(path, key), "unknown key" + hint, value[key])
        for key in required:
            if key not in value:
                raise self.fail(sub_path(path, key), "required key is missing")
        return value

    def tables(self, value: object, path: str) -> Mapping[str, Any]:
        """A table of named tables, like [hosts.EXA] and [hosts.NODE1]."""
        if not isinstance(value, Mapping):
            raise self.fail(path, "must be a table of named tables, like [" + path + ".NAME]", value)
        return value

    def array(self, value: object, path: str) -> list[Any]:
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(path, f"must be an array of tables, written [[{path}]]", value)
        return value

    def strings(self, value: object, path: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(path, "must be a list of strings", value)
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(sub_path(path, i), "must be a string", item)
        return tuple(value)

    def mapping(self, value: object, path: str) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, Mapping):
            raise self.fail(path, "must be a table of name = address pairs", value)
        for k, v in value.items():
            if not isinstance(v, str):
                raise self.fail(sub_path(path, k), "must be a string", v)
        return tuple(value.items())

    def scenario(self, data: Mapping[str, Any]) -> Scenario:
        top = self.table(data, "", _TOP, ("hosts", "servers"))
        hosts = tuple(
            Host(
                name=name,
                addresses=self.strings(
                    self.table(t, key_path("hosts", name), _HOST, _HOST)["addresses"], key_path("hosts", name, "addresses")
                ),
            )
            for name, t in self.tables(top["hosts"], "hosts").items()
        )
        clusters = []
        for name, t in self.tables(top.get("clusters", {}), "clusters").items():
            path = key_path("clusters", name)
            t = self.table(t, path, _CLUSTER, _CLUSTER)
            nodes = self.strings(t["nodes"], sub_path(path, "nodes"))
            clusters.append(
                Cluster(name=name, nodes=nodes, active=t["active"], virtual_name=t["virtual_name"], virtual_ip=t["virtual_ip"])
            )
        servers = []
        for name, t in self.tables(top["servers"], "servers").items():
            t = self.table(t, key_path("servers", name), _SERVER, ("site", "host"))
            servers.append(
                Server(name=name, site=t["site"], host=t["host"], build=t.get("build", "sp1"), q169113_fix=t.get("q169113_fix"))
            )
        connectors = []
        for i, t in enumerate(self.array(top.get("connectors", []), "connectors")):
            t = self.table(t, key_path("connectors", i), _CONNECTOR, ("server", "remote", "stack", "address"))
            connectors.append(
                Connector(
                    server=t["server"],
                    remote=t["remote"],
                    stack=t["stack"],
                    address=t["address"],
                    stack_ip_override=t.get("stack_ip_override"),
                    max_open_retries=t.get("max_open_retries", DEFAULT_MAX_OPEN_RETRIES),
                    open_interval=t.get("open_interval", DEFAULT_OPEN_INTERVAL),
                )
            )
        n = self.table(top.get("names", {}), "names", _NAMES)
        names = Names(
            hosts=self.mapping(n.get("hosts", {}), "names.hosts"),
            dns=self.mapping(n.get("dns", {}), "names.dns"),
            ptr=self.mapping(n.get("ptr", {}), "names.ptr"),
            netbios=n.get("netbios", True),
        )
        fw = self.table(top.get("firewall", {}), "firewall", _FIREWALL)
        firewall = Firewall(
            allow_sources=self.strings(fw["allow_sources"], "firewall.allow_sources") if "allow_sources" in fw else None
        )
        messages = []
        for i, t in enumerate(self.array(top.get("messages", []), "messages")):
            t = self.table(t, key_path("messages", i), _MESSAGE, _MESSAGE)
            messages.append(Message(at=t["at"], sender=t["from"], recipient=t["to"]))
        actions = []
        for i, t in enumerate(self.array(top.get("actions", []), "actions")):
            t = self.table(t, key_path("actions", i), _ACTION, _ACTION)
            actions.append(Action(at=t["at"], failover=t["failover"]))
        run = self.table(top.get("run", {}), "run", _RUN)
        default_title = Path(self.source).name if self.source and not self.source.startswith("<") else "Untitled scenario"
        return Scenario(
            title=top.get("title", default_title),
            description=top.get("description", ""),
            org=top.get("org", DEFAULT_ORG),
            hosts=hosts,
            clusters=tuple(clusters),
            servers=tuple(servers),
            connectors=tuple(connectors),
            names=names,
            firewall=firewall,
            messages=tuple(messages),
            actions=tuple(actions),
            until=run.get("until", DEFAULT_UNTIL),
            source=self.source,
        )
