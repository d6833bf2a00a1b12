"""Is a frame readable? Font sizes and overlaps, measured on the drawn artists (for tests and authors).

:func:`problems` draws a :class:`~xcon_teach.draw.picture.Picture`'s current frame and reports, in
words, every text smaller than the minimum size, every pair of texts that overlap, every text
that crosses a box's border (it must sit wholly inside a box or wholly outside it), every text
that a visible line runs through, and every text that leaves the figure. Lines hidden under a box
drawn above them do not count. An instructor's own scenario can be checked the same way::

    from xcon_teach.draw.readability import frame_problems
    frame_problems(xcon_teach.simulate(xcon_teach.load_scenario("mine.toml")))
"""

from __future__ import annotations

import itertools
from typing import Any

from matplotlib import rc_context
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.text import Text

from ..sim import Trace
from .layout import PX, Box, inside
from .picture import RC, Picture

__all__ = ["frame_problems", "problems"]

Rect = tuple[float, float, float, float]
Segment = tuple[tuple[float, float], tuple[float, float]]


def _rect(bbox: Any) -> Rect:
    return (float(bbox.x0), float(bbox.y0), float(bbox.x1), float(bbox.y1))


def _meets(a: Rect, b: Rect, gap: float = 0.0) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def _within(inner: Rect, outer: Rect, margin: float = 1.0) -> bool:
    return (
        inner[0] >= outer[0] + margin
        and inner[1] >= outer[1] + margin
        and inner[2] <= outer[2] - margin
        and inner[3] <= outer[3] - margin
    )


def _crosses(seg: Segment, r: Rect) -> bool:
    """Whether the segment runs through the rectangle."""
    return inside(Box(r[0], r[1], r[2] - r[0], r[3] - r[1]), *seg) is not None


def _segments(artist: Any) -> list[Segment]:
    """The line's segments in display pixels (NaN breaks respected)."""
    out: list[Segment] = []
    if isinstance(artist, Line2D):
        xy = artist.get_transform().transform(artist.get_xydata())
        for a, b in itertools.pairwise(xy):
            if all(v == v for v in (*a, *b)):  # no NaN
                out.append(((float(a[0]), float(a[1])), (float(b[0]), float(b[1]))))
    elif isinstance(artist, LineCollection):
        transform = artist.get_transform()
        for path in artist.get_segments():
            xy = transform.transform(path)
            for a, b in itertools.pairwise(xy):
                out.append(((float(a[0]), float(a[1])), (float(b[0]), float(b[1]))))
    return out


def _label(t: Text) -> str:
    return repr(t.get_text().replace("\n", " / ")[:60])


def problems(picture: Picture, *, min_px: float = PX) -> list[str]:
    """What is not readable in the frame ``picture`` shows now (an empty list: nothing)."""
    with rc_context(RC):
        picture.full_draw_mode()
        picture.canvas.draw()
        renderer = picture.canvas.get_renderer()
        width, height = picture.canvas.get_width_height()
        texts = [t for ax in (picture.ax, picture.net) for t in ax.texts if t.get_visible() and t.get_text().strip()]
        found: list[str] = []
        boxes: list[tuple[Any, Rect]] = []
        for p in picture.boxes:
            if p.get_visible() and p.axes is not None:
                boxes.append((p, _rect(p.get_window_extent(renderer))))
        extents: list[tuple[Text, Rect]] = []
        for t in texts:
            r = _rect(t.get_window_extent(renderer))
            patch = t.get_bbox_patch()
            if patch is not None:
                pr = _rect(patch.get_window_extent(renderer))
                r = (min(r[0], pr[0]), min(r[1], pr[1]), max(r[2], pr[2]), max(r[3], pr[3]))
            extents.append((t, r))
            size = float(t.get_fontsize()) * picture.dpi / 72.0
            if size < min_px - 0.01:
                found.append(f"text {_label(t)} is {size:.1f} px, smaller than {min_px:g} px")
            if r[0] < 0 or r[1] < 0 or r[2] > width or r[3] > height:
                found.append(f"text {_label(t)} leaves the picture")
        for i, (a, ra) in enumerate(extents):
            for b, rb in extents[i + 1 :]:
                if _meets(ra, rb):
                    found.append(f"texts {_label(a)} and {_label(b)} overlap")
        for t, r in extents:
            for _, pr in boxes:
                if _meets(r, pr) and not _within(r, pr):
                    found.append(f"text {_label(t)} crosses the border of a box at {tuple(round(v) for v in pr)}")
        lines: list[tuple[Any, list[Segment]]] = []
        for ax in (picture.ax, picture.net):
            for artist in [*ax.lines, *ax.collections]:
                if artist.get_visible() and isinstance(artist, (Line2D, LineCollection)):
                    lines.append((artist, _segments(artist)))
        for artist, segments in lines:
            above = [pr for patch, pr in boxes if patch.get_zorder() > artist.get_zorder() and not patch.get_animated()]
            for t, r in extents:
                if any(_within(r, pr, 0.0) for pr in above):
                    continue  # the text sits on a box that covers the line
                for seg in segments:
                    if _crosses(seg, r):
                        found.append(f"text {_label(t)} has a line through it")
                        break
        return list(dict.fromkeys(found))


def frame_problems(trace: Trace, *, panels: bool = True, min_px: float = PX) -> dict[int, list[str]]:
    """:func:`problems` for every storyboard frame of ``trace``, by frame number (from 1); only frames with problems."""
    from .export import storyboard_portrayals

    picture = Picture(trace.scenario, panels=panels)
    out: dict[int, list[str]] = {}
    for k, p in enumerate(storyboard_portrayals(trace), 1):
        picture.show(p)
        found = problems(picture, min_px=min_px)
        if found:
            out[k] = found
    return out
