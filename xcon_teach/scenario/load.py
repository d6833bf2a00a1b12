"""Read scenario files (TOML, with the standard library's ``tomllib``) into a :class:`Scenario`.

The loader checks the shape of the file (tables, unknown and missing keys); the values themselves
are checked by :mod:`.validate` when the scenario is made. Either way the error names the file,
the key path and the bad value, and a half-valid file never becomes a scenario.
"""

from __future__ import annotations

import difflib
import errno
import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import NO_VALUE, ScenarioError
from . import library
from .elements import DEFAULT_ORG, KEYS, Action, Cluster, Connector, Firewall, Host, Key, Message, Names, Server
from .model import Scenario
from .validate import key_path, sub_path

__all__ = ["load_scenario", "loads_scenario", "scenario_from_dict"]


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
    if source == "":
        raise ScenarioError('""', "", "no scenario given: name a TOML file or a built-in scenario (`xcon-teach list`)")
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        mode = None
        if exc.errno == errno.ENAMETOOLONG:
            raise ScenarioError(source, "", "the file name is too long for this system") from None
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise ScenarioError(source, "", "is not a regular file (a device, a pipe or a socket): give a scenario file")
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
    except RecursionError:
        raise ScenarioError(source, "", "TOML nested too deeply to read (arrays or tables inside each other)") from None
    except ValueError as exc:  # Python refuses to read an integer of more than 4,300 digits
        raise ScenarioError(source, "", f"a number in the file is too long to read ({exc})") from None
    return scenario_from_dict(data, source=source)


def scenario_from_dict(data: Mapping[str, Any], *, source: str = "<dict>") -> Scenario:
    """Build a scenario from TOML data (what ``tomllib`` returns, or ``Scenario.to_dict()``)."""
    return _Reader(source).scenario(data)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str, got: object = NO_VALUE) -> ScenarioError:
        return ScenarioError(self.source, path, problem, got)

    def table(self, value: object, path: str, table: str) -> Mapping[str, Any]:
        """``value`` as a table of the file whose keys :data:`KEYS[table] <.elements.KEYS>` allows."""
        if not isinstance(value, Mapping):
            raise self.fail(path, "must be a table", value)
        allowed = [k.toml for k in KEYS[table]]
        for key in value:
            if key not in allowed:
                near = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean {near[0]}?" if near else "; expected one of " + ", ".join(allowed)
                raise self.fail(sub_path(path, key), "unknown key" + hint, value[key])
        for k in KEYS[table]:
            if k.required and k.toml not in value:
                raise self.fail(sub_path(path, k.toml), "required key is missing")
        return value

    def fields(self, value: object, path: str, table: str) -> dict[str, Any]:
        """The record fields a table of the file gives, defaults filled in, lists and pairs in shape."""
        t = self.table(value, path, table)
        out: dict[str, Any] = {}
        for k in KEYS[table]:  # two keys may fill one field (virtual_ip, virtual_ips): the one given wins
            if k.toml in t:
                out[k.field] = self.shaped(k, t[k.toml], sub_path(path, k.toml))
            else:
                out.setdefault(k.field, k.default)
        return out

    def shaped(self, key: Key, value: object, path: str) -> Any:
        if key.shape in ("strings", "several"):
            return self.strings(value, path)
        if key.shape == "pairs":
            return self.mapping(value, path)
        if key.shape == "one":
            return (value,)
        return value

    def cluster(self, name: str, path: str, value: object) -> Cluster:
        """A cluster: its one virtual IP is written ``virtual_ip``, several ``virtual_ips`` (never both)."""
        t = self.table(value, path, "clusters")
        given = [k for k in ("virtual_ip", "virtual_ips") if k in t]
        if len(given) != 1:
            problem = "give one of virtual_ip (one address) or virtual_ips (two or more), not both"
            raise (
                self.fail(sub_path(path, "virtual_ips"), problem, t["virtual_ips"])
                if given
                else self.fail(
                    sub_path(path, "virtual_ip"), "required key is missing (or virtual_ips, for two or more addresses)"
                )
            )
        fields = self.fields(t, path, "clusters")
        if given == ["virtual_ips"] and len(fields["virtual_ips"]) < 2:
            raise self.fail(
                sub_path(path, "virtual_ips"), "holds two or more addresses; write one address as virtual_ip", t["virtual_ips"]
            )
        return Cluster(name=name, **fields)

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
        top = self.table(data, "", "")

        def named(table: str) -> list[tuple[str, dict[str, Any]]]:
            return [
                (name, self.fields(t, key_path(table, name), table)) for name, t in self.tables(top.get(table, {}), table).items()
            ]

        def listed(table: str) -> list[dict[str, Any]]:
            return [self.fields(t, key_path(table, i), table) for i, t in enumerate(self.array(top.get(table, []), table))]

        def one(table: str) -> dict[str, Any]:
            return self.fields(top.get(table, {}), table, table)

        default_title = Path(self.source).name if self.source and not self.source.startswith("<") else "Untitled scenario"
        return Scenario(
            title=top.get("title", default_title),
            description=top.get("description", ""),
            org=top.get("org", DEFAULT_ORG),
            hosts=tuple(Host(name=name, **f) for name, f in named("hosts")),
            clusters=tuple(
                self.cluster(name, key_path("clusters", name), t)
                for name, t in self.tables(top.get("clusters", {}), "clusters").items()
            ),
            servers=tuple(Server(name=name, **f) for name, f in named("servers")),
            connectors=tuple(Connector(**f) for f in listed("connectors")),
            names=Names(**one("names")),
            firewall=Firewall(**one("firewall")),
            messages=tuple(Message(**f) for f in listed("messages")),
            actions=tuple(Action(**f) for f in listed("actions")),
            until=one("run")["until"],
            hostname_stack=one("model")["hostname_stack"],
            source=self.source,
        )
