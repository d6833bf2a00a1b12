"""The one exception hierarchy of xcon_teach.

Every error a user can cause by typing something (a scenario file, a widget value, a command-line
argument) is an :class:`XconError`; its message is one line that names what was wrong and the
value that was given.
"""

from __future__ import annotations

from typing import Final

from .text import safe

__all__ = ["NO_VALUE", "MachineError", "ScenarioError", "UsageError", "XconError", "show_value"]


class _NoValue:
    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final = _NoValue()
"""Marks an error that has no offending value to show (a missing key, an unreadable file)."""


class XconError(Exception):
    """Base class of every error xcon_teach raises on bad input."""


class ScenarioError(XconError, ValueError):
    """A scenario (a TOML file, a built-in name or an edited copy) is not valid.

    The message has the form ``FILE: KEY.PATH: problem (got VALUE)``. The parts are kept as
    attributes too, so a widget can show the problem beside the field it belongs to.
    """

    def __init__(self, source: str, path: str, problem: str, got: object = NO_VALUE) -> None:
        self.source = source
        self.path = path
        self.problem = problem
        self.got = got
        where, key = middle_cut(source, 100), middle_cut(path, 100)
        super().__init__(f"{where}: {self.short}" if not path else f"{where}: {key}: {self.short}")

    @property
    def short(self) -> str:
        """The problem and the value, without file and key: what a widget shows beside its field."""
        if self.got is NO_VALUE:
            return self.problem
        return f"{self.problem} (got {show_value(self.got)})"


class UsageError(XconError):
    """A command-line or Python argument outside any scenario is not valid."""


class MachineError(XconError):
    """The machine failed a good request: a full disk, an I/O error (exit status 1, one line)."""


MAX_SHOWN = 60
"""Longer values are cut, so a message stays one readable line."""


def middle_cut(text: str, limit: int) -> str:
    """``text`` with its middle cut out if it is longer than ``limit``: a long path keeps its start and its file name.

    >>> middle_cut("a" * 10 + "b" * 10, 9)
    'aaaa…bbbb'
    """
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


def show_value(value: object) -> str:
    """Render a bad value as it would be written in TOML, on one short line, so the user recognises it.

    >>> show_value("10.0.1.300"), show_value(True), show_value(["a", 1])
    ('"10.0.1.300"', 'true', '["a", 1]')
    >>> show_value("two\\nlines")
    '"two\\\\nlines"'
    """
    if isinstance(value, str):
        text = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        text = safe(text)  # every other control or line-breaking character, as the one-line errors show them
        shown = '"' + text + '"'
    elif isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, dict):
        shown = "a table"
    elif isinstance(value, (list, tuple)):
        shown = "[" + ", ".join(show_value(v) for v in value) + "]"
    elif hasattr(value, "isoformat"):
        shown = value.isoformat()  # a TOML date or time
    else:
        shown = repr(value)
    return shown if len(shown) <= MAX_SHOWN else shown[: MAX_SHOWN - 1] + "…"
