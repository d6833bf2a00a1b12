"""Scenario -> TOML: the data model of a scenario file, and a writer that lays it out for people.

``tomli_w`` (the standard companion of ``tomllib``) writes every key and every value, so escaping
is the library's, not ours. The layout is ours: ``tomli_w`` alone writes arrays of tables inline
at the top of the file and each list one item a line, which would make a saved scenario read
unlike the files an instructor copies with ``xcon-teach show``. Here tables come in the order of
the file format (:data:`~.elements.KEYS`), short lists stay on one line, and every connector,
message and action gets a ``[[...]]`` table of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

import tomli_w

from .elements import KEYS, ScenarioFields, build_spelling

__all__ = ["dumps", "scenario_to_dict"]

Data = dict[str, object]


def _value(value: object, shape: str = "value") -> object:
    """A field's value as TOML data: tuples as lists, pairs as a table, whole floats as ints (``at = 0``)."""
    if shape == "pairs":
        assert isinstance(value, tuple)
        return {str(k): v for k, v in value}
    if shape == "build":
        assert isinstance(value, int)
        return build_spelling(value)
    if shape == "one":
        assert isinstance(value, tuple)
        return value[0]
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _record(record: object, table: str) -> Data:
    """A record's fields as a TOML table: every required key, and the others unless they hold the default."""
    out: Data = {}
    for key in KEYS[table]:
        value = getattr(record, key.field)
        if key.shape in ("one", "several") and (len(value) == 1) != (key.shape == "one"):
            continue  # one virtual IP is written virtual_ip, several virtual_ips
        if key.required or key.always or value != key.default:
            out[key.toml] = _value(value, key.shape)
    return out


def scenario_to_dict(s: ScenarioFields) -> Data:
    """The scenario as TOML data, defaults left out where the file may omit them."""
    scalars = _record(s, "")
    tables: Data = {
        "hosts": {h.name: _record(h, "hosts") for h in s.hosts},
        "clusters": {c.name: _record(c, "clusters") for c in s.clusters},
        "servers": {sv.name: _record(sv, "servers") for sv in s.servers},
        "connectors": [_record(c, "connectors") for c in s.connectors],
        "names": _record(s.names, "names"),
        "firewall": _record(s.firewall, "firewall"),
        "messages": [_record(m, "messages") for m in s.messages],
        "actions": [_record(a, "actions") for a in s.actions],
        "run": _record(s, "run"),
        "model": _record(s, "model"),
    }
    out: Data = {}
    for key in KEYS[""]:
        if key.toml not in tables:
            if key.toml in scalars:
                out[key.toml] = scalars[key.toml]
        elif tables[key.toml] or key.always:
            out[key.toml] = tables[key.toml]
    return out


def _key(key: str) -> str:
    return tomli_w.dumps({key: 0}).split(" = ", 1)[0]


def _literal(value: object) -> str:
    """One value on one line: a scalar as tomli_w writes it, a list or table of scalars inline."""
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_literal(v)}" for k, v in value.items()) + " }" if value else "{}"
    return tomli_w.dumps({"x": value}).removeprefix("x = ").removesuffix("\n")


def _section(header: str, body: Data) -> Iterable[str]:
    yield ""
    yield header
    yield from (f"{_key(k)} = {_literal(v)}" for k, v in body.items())


def dumps(data: Data) -> str:
    """Write scenario data (:func:`scenario_to_dict`) as a TOML file, for people to read and edit.

    Scalars first, then ``[hosts.NAME]``-style tables, ``[table]`` sections and ``[[array]]``
    tables, in the order they come in ``data``.
    """
    lines = [f"{_key(k)} = {_literal(v)}" for k, v in data.items() if not isinstance(v, (dict, list))]
    for k, v in data.items():
        if isinstance(v, list):
            for item in v:
                assert isinstance(item, dict)
                lines += _section(f"[[{_key(k)}]]", item)
        elif isinstance(v, dict) and v and all(isinstance(sub, dict) for sub in v.values()):
            for name, sub in v.items():
                assert isinstance(sub, dict)
                lines += _section(f"[{_key(k)}.{_key(name)}]", sub)
        elif isinstance(v, dict):
            lines += _section(f"[{_key(k)}]", v)
    return "\n".join(lines).strip("\n") + "\n"
