"""The built-in scenario library: TOML files shipped in ``xcon_teach/scenarios``.

``xcon-teach list`` shows them, ``xcon-teach show NAME`` prints one to copy and edit, and every
function that takes a scenario file also takes one of these names.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

__all__ = ["ORDER", "canonical", "exists", "names", "summary", "text"]

ORDER = (
    "kb-q169113",
    "baseline",
    "workaround",
    "workaround-one-side",
    "wrong-fix",
    "override",
    "two-vips",
    "hotfix",
    "silent-build",
    "ptr-breaks-workaround",
    "firewall",
    "both-clustered",
)
"""The teaching order; any other file in the folder follows, alphabetically."""


@cache
def _files() -> dict[str, str]:
    folder = resources.files("xcon_teach") / "scenarios"
    found = {f.name[: -len(".toml")]: f.name for f in folder.iterdir() if f.name.endswith(".toml")}
    return {n: found[n] for n in (*[n for n in ORDER if n in found], *sorted(set(found) - set(ORDER)))}


def names() -> tuple[str, ...]:
    """Names of the built-in scenarios, in teaching order."""
    return tuple(_files())


def canonical(name: str) -> str:
    for n in _files():
        if n.casefold() == name.casefold():
            return n
    raise KeyError(name)


def exists(name: str) -> bool:
    return any(n.casefold() == name.casefold() for n in _files())


@cache
def text(name: str) -> str:
    """The TOML text of a built-in scenario, comments and all."""
    return (resources.files("xcon_teach") / "scenarios" / _files()[canonical(name)]).read_text(encoding="utf-8")


def summary(name: str) -> tuple[str, str]:
    """(title, description) of a built-in scenario, read without simulating anything."""
    data = tomllib.loads(text(name))
    return str(data.get("title", name)), str(data.get("description", "")).strip()
