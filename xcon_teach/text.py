"""Plain-text tables, the one way the package lays out rows for a terminal or a notebook.

>>> print(columns([("id", "status"), ("m1", "delivered")]))
id  status
m1  delivered
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

__all__ = ["MAX_LINE", "columns", "one_line", "safe"]

MAX_LINE = 400
"""An error line is cut here (with an ellipsis), so a 10,000-character name cannot flood a terminal."""


def safe(text: str) -> str:
    r"""``text`` with every control, format and line-breaking character escaped (names from files reach
    terminals: an ESC sequence must not recolour or clear one), and undecodable bytes shown as escapes.

    >>> safe("bad\x1b[31m name\u2028here")
    'bad\\x1b[31m name\\u2028here'
    """
    out = []
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs"):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def one_line(text: str) -> str:
    """A message as one safe line: newlines joined, control characters escaped, long text cut at :data:`MAX_LINE`."""
    line = safe(" ".join(text.split("\n")))
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


def columns(rows: Sequence[Sequence[str]]) -> str:
    """Rows of text as left-aligned columns, two spaces apart, one line a row (no trailing newline)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
