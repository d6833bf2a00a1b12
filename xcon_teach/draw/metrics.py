"""How wide a line of text is, without matplotlib: the advance widths of DejaVu Sans (pure).

The layout sizes its boxes and slots from the labels they must hold, so that no label spills out
of its box at the fonts the picture uses; measuring with matplotlib would make the layout depend on
a renderer. The widths are DejaVu Sans's own advances (in em), read once from the font; a
character outside the table counts as one em, which errs on the wide side. Bold is about 10%
wider.
"""

from __future__ import annotations

__all__ = ["LINE", "fit", "text_width"]

LINE = 1.3
"""Line height as a multiple of the font size (matplotlib's default line spacing, a little over 1.2)."""

_EM = {
    " ": 0.318, "!": 0.401, '"': 0.46, "#": 0.838, "$": 0.636, "%": 0.95, "&": 0.78, "'": 0.275, "(": 0.39, ")": 0.39,
    "*": 0.5, "+": 0.838, ",": 0.318, "-": 0.361, ".": 0.318, "/": 0.337, ":": 0.337, ";": 0.337, "<": 0.838,
    "=": 0.838, ">": 0.838, "?": 0.531, "@": 1.0, "[": 0.39, "\\": 0.337, "]": 0.39, "^": 0.838, "_": 0.5, "`": 0.5,
    "{": 0.636, "|": 0.337, "}": 0.636, "~": 0.838, "✔": 0.838, "✖": 0.838, "…": 1.0, "→": 0.838, "≠": 0.838,
    "·": 0.318, "–": 0.5, "\u00a0": 0.318,
    "A": 0.684, "B": 0.686, "C": 0.698, "D": 0.77, "E": 0.632, "F": 0.575, "G": 0.775, "H": 0.752, "I": 0.295,
    "J": 0.295, "K": 0.656, "L": 0.557, "M": 0.863, "N": 0.748, "O": 0.787, "P": 0.603, "Q": 0.787, "R": 0.695,
    "S": 0.635, "T": 0.611, "U": 0.732, "V": 0.684, "W": 0.989, "X": 0.685, "Y": 0.611, "Z": 0.685,
    "a": 0.613, "b": 0.635, "c": 0.55, "d": 0.635, "e": 0.615, "f": 0.352, "g": 0.635, "h": 0.634, "i": 0.278,
    "j": 0.278, "k": 0.579, "l": 0.278, "m": 0.974, "n": 0.634, "o": 0.612, "p": 0.635, "q": 0.635, "r": 0.411,
    "s": 0.521, "t": 0.392, "u": 0.634, "v": 0.592, "w": 0.818, "x": 0.592, "y": 0.592, "z": 0.525,
}  # fmt: skip
_EM.update(dict.fromkeys("0123456789", 0.636))


def text_width(text: str, px: float, *, bold: bool = False) -> float:
    """The width in pixels of the widest line of ``text`` at a font size of ``px`` pixels.

    >>> round(text_width("10.0.1.11", 14))
    67
    """
    em = max((sum(_EM.get(ch, 1.0) for ch in line) for line in text.split("\n")), default=0.0)
    return em * px * (1.1 if bold else 1.0)


def fit(text: str, px: float, width: float, *, bold: bool = False) -> str:
    """``text`` cut to fit ``width`` pixels, ending in an ellipsis when it was cut.

    >>> fit("node status: NODE1, EXCLUS, WOLFPACK", 14, 200)
    'node status: NODE1, EXC…'
    """
    if text_width(text, px, bold=bold) <= width:
        return text
    cut = text
    while cut and text_width(cut + "…", px, bold=bold) > width:
        cut = cut[:-1]
    return cut.rstrip() + "…"


def wrap(text: str, px: float, width: float, *, lines: int = 3, bold: bool = False) -> list[str]:
    """``text`` broken at spaces into at most ``lines`` lines of at most ``width`` pixels (the last one cut to fit).

    >>> wrap("EXA refuses the association; EXCLUS, the sender with the backlog, logs nothing", 14, 260)
    ['EXA refuses the association;', 'EXCLUS, the sender with the', 'backlog, logs nothing']
    """
    out: list[str] = []
    words = text.split(" ")
    line = ""
    for k, word in enumerate(words):
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, px, bold=bold) <= width or not line:
            line = candidate
            continue
        out.append(line)
        line = word
        if len(out) == lines - 1:
            line = " ".join(words[k:])
            break
    if line:
        out.append(fit(line, px, width, bold=bold))
    return out[:lines]
