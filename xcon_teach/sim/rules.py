"""The shape of a rule table: named rows, each with its basis, that the code runs in order.

Like h11's state tables, the sender's source rules (:data:`.sender.SOURCE_RULES`), the forward
and reverse name resolution (:data:`.resolve.FORWARD_SOURCES`, :data:`.resolve.REVERSE_SOURCES`),
the receiver's stages (:data:`.receiver.STAGES`) and the build table
(:data:`.builds.BUILD_RULES`) are data: the code walks the rows in order, and a notebook prints
the same rows (``xcon_teach.lessons.basics.rule_table``). Changing a row changes behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

__all__ = ["Row", "Rule", "flatten"]

F = TypeVar("F")


class Row(Protocol):
    """What a printed rule table needs of a row."""

    @property
    def name(self) -> str: ...
    @property
    def basis(self) -> str: ...
    @property
    def what(self) -> str: ...
    @property
    def claim(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Rule(Generic[F]):
    """One row of a rule table: a name, its basis (``DOC Qnnnnnn`` or ``MODEL``), what it does, and the code."""

    name: str
    basis: str
    what: str
    run: F = field(repr=False, compare=False)
    claim: str = ""
    """For a DOC basis: the claim of the source register (``xcon_teach/sources.toml``) the row applies."""
    rows: tuple[Row, ...] = ()
    """For a row that runs a table of its own (the receiver's reverse lookup): that table's rows,
    which a printed table shows in its place."""


def flatten(rows: tuple[Row, ...] | list[Row]) -> list[Row]:
    """The rows of a table as printed: a row that runs a table of its own stands for that table's rows."""
    out: list[Row] = []
    for row in rows:
        nested = getattr(row, "rows", ())
        out += flatten(nested) if nested else [row]
    return out
