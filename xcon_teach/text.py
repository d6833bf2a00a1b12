"""Plain-text tables, the one way the package lays out rows for a terminal or a notebook.

>>> print(columns([("id", "status"), ("m1", "delivered")]))
id  status
m1  delivered
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["columns"]


def columns(rows: Sequence[Sequence[str]]) -> str:
    """Rows of text as left-aligned columns, two spaces apart, one line a row (no trailing newline)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
