"""The picture: one matplotlib figure per scenario, updated artist by artist for each frame.

``Picture(scenario)`` draws the fixed parts once (sites, standalone hosts, the name service, the
firewall, panel frames, the legend). ``show(portrayal)`` only changes the artists that move (the
cluster nodes, the virtual server's box, the connection arrow, the labels and panel texts), and
``render()`` redraws just those over a cached background (blitting), which is what keeps scrubbing
cheap. ``png()`` encodes the canvas as it is, with no metadata, so the same frame always gives the
same bytes.

matplotlib is imported here (and by the exporters), never by the simulation core.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.text import Text

from ..scenario import Scenario
from .layout import Box, Layout, layout
from .portrayal import OKABE_ITO, STATUS, Portrayal

__all__ = ["FULL_SIZE", "LAB_SIZE", "Picture"]

FULL_SIZE = (1200.0, 675.0)  # 12 x 6.75 in at 100 dpi: 16:9 for slides
LAB_SIZE = (840.0, 430.0)
QUEUE_ROWS = 8
FONT = "DejaVu Sans"
RC: dict[Any, Any] = {"text.hinting": "no_hinting"}
"""Unhinted glyphs draw about 40% faster and look the same at these sizes; every draw uses this."""
GREY = "#555555"
ACTIVE_FILL = "#F7D899"  # Okabe-Ito orange, light
PASSIVE_FILL = "#FFFFFF"
HOST_FILL = "#CDE8F6"  # Okabe-Ito sky blue, light
VIP_FILL = "#F8F1A0"  # Okabe-Ito yellow, light

Point = tuple[float, float]
Rect = tuple[int, int, int, int]


class Picture:
    """A figure for one scenario; ``panels=False`` draws the network only (the lab puts HTML panels beside it)."""

    def __init__(self, scenario: Scenario, *, panels: bool = True, dpi: float = 100.0) -> None:
        self.scenario = scenario
        self.panels = panels
        width, height = FULL_SIZE if panels else LAB_SIZE
        self.fig = Figure(figsize=(width / 100.0, height / 100.0), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        ax = self.fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(0, width)
        ax.set_ylim(0, height)
        ax.set_axis_off()
        self.ax = ax
        area = Box(10, 170, 815, 495) if panels else Box(8, 8, width - 16, height - 16)
        self.layout: Layout = layout(scenario, area)
        self.k = min(1.0, self.layout.scale)  # font scale for crowded scenarios
        self.dynamic: list[Artist] = []
        self._background: Any = None
        self._backgrounds: dict[tuple[tuple[str, str], ...], Any] = {}
        """One cached background per cluster state (who is active), so a failover costs one full draw."""
        self._background_state: tuple[tuple[str, str], ...] = ()
        self._active: dict[str, str] = {c.name: c.active for c in scenario.clusters}
        self._drawn: dict[Artist, tuple[tuple[object, ...], Rect]] = {}
        self._draw_static()
        self._make_dynamic()

    # --- building -----------------------------------------------------------------------------

    def _text(self, x: float, y: float, s: str, size: float, *, dynamic: bool = False, fixed: bool = False, **kw: Any) -> Text:
        t = self.ax.text(x, y, s, fontsize=size if fixed else size * self.k, family=FONT, **kw)
        if dynamic:
            self._animate(t)
        return t

    def _animate(self, artist: Artist) -> None:
        # Animated artists are left out of full draws and drawn over the cached background.
        artist.set_animated(True)
        self.dynamic.append(artist)

    def _box(
        self, b: Box, *, face: str, edge: str = "black", lw: float = 1.5, pad: float = 6.0, dynamic: bool = False, z: float = 2
    ) -> FancyBboxPatch:
        p = FancyBboxPatch(
            (b.x, b.y),
            b.w,
            b.h,
            boxstyle=f"round,pad=0,rounding_size={pad}",
            facecolor=face,
            edgecolor=edge,
            linewidth=lw,
            zorder=z,
        )
        self.ax.add_patch(p)
        if dynamic:
            self._animate(p)
        return p

    def _draw_static(self) -> None:
        s, lay = self.scenario, self.layout
        for site in lay.sites:
            b = site.box
            self._box(b, face="#F4F4F4", edge="#9A9A9A", lw=1.0, pad=4, z=0)
            self._text(b.x + 10, b.y + b.h - 20, site.label, 10, color=GREY, zorder=1)
        clustered = {n for c in s.clusters for n in c.nodes}
        for host in s.hosts:
            if host.name in clustered:
                continue
            b = lay.hosts[host.name]
            self._box(b, face=HOST_FILL)
            self._text(*b.center, f"{_named(s, host.name)}\n{', '.join(host.addresses)}", 11, ha="center", va="center", zorder=3)
        n = lay.names
        self._box(n, face="white", lw=1.2)
        # The name service and firewall labels change with settings (a PTR record, NetBIOS), so
        # they are moving artists: a change repaints them alone, not the whole background.
        self.names_label = self._text(*n.center, "", 8.5, ha="center", va="center", zorder=3, linespacing=1.3, dynamic=True)
        self.firewall_label: Text | None = None
        if lay.firewall is not None:
            f = lay.firewall
            self.ax.add_patch(Rectangle((f.x, f.y), f.w, f.h, facecolor="#DDDDDD", edgecolor=GREY, hatch="///", lw=1.0, zorder=1))
            self.firewall_label = self._text(
                f.center[0], f.y + f.h + 6, "", 8.5, ha="center", va="bottom", color=GREY, zorder=3, dynamic=True
            )
        self.configure(s)
        if self.panels:
            self._box(Box(840, 410, 350, 255), face="white", lw=1.2, pad=8)
            self._box(Box(840, 170, 350, 228), face="white", lw=1.2, pad=8)
            self._text(855, 375, "Queues on each connector", 11.5, weight="bold", fixed=True)
            self._text(855, 612, "ID 9301 · MSExchangeMTA · Configuration", 8.5, color=GREY, fixed=True)
            self._box(Box(10, 10, 1180, 148), face="#FAFAFA", lw=1.2, pad=8)
            self._legend(700, 24)

    def _legend(self, x: float, y: float) -> None:
        for i, key in enumerate(("found", "not found", "pending")):
            st = STATUS[key]
            x0 = x + i * 165
            self.ax.add_line(Line2D([x0, x0 + 34], [y, y], color=st.color, linestyle=st.linestyle, lw=2.5))
            self._text(x0 + 40, y, f"{st.symbol} {st.words}", 9.5, va="center", fixed=True)

    def _make_dynamic(self) -> None:
        s, lay = self.scenario, self.layout
        self.node_patch: dict[str, FancyBboxPatch] = {}
        self.node_label: dict[str, Text] = {}
        self.vip_patch: dict[str, FancyBboxPatch] = {}
        self.vip_label: dict[str, Text] = {}
        self.vip_link: dict[str, Line2D] = {}
        for c in s.clusters:
            # Who is active changes only on failover, so the cluster's artists belong to the
            # background, which is cached once per cluster state (see render).
            for node in c.nodes:
                b = lay.hosts[node]
                self.node_patch[node] = self._box(b, face=PASSIVE_FILL)
                self.node_label[node] = self._text(*b.center, node, 11, ha="center", va="center", zorder=3)
            b = lay.virtual[(c.name, c.active)]
            self.vip_patch[c.name] = self._box(b, face=VIP_FILL)
            self.vip_label[c.name] = self._text(
                *b.center, f"{_named(s, c.virtual_name)}\nVIP {c.virtual_ip}", 11, ha="center", va="center", zorder=3
            )
            link = Line2D([0, 0], [0, 0], color="black", lw=1.5, zorder=1)
            self.ax.add_line(link)
            self.vip_link[c.name] = link
        self.arrow = FancyArrowPatch((0, 0), (1, 1), arrowstyle="-|>", mutation_scale=22, lw=2.6, zorder=4)
        self.ax.add_patch(self.arrow)
        self._animate(self.arrow)
        label_box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.9}
        self.claimed = self._text(0, 0, "", 10, ha="center", va="bottom", color=GREY, dynamic=True, zorder=5, bbox=label_box)
        self.wire = self._text(0, 0, "", 11, ha="center", va="bottom", weight="bold", dynamic=True, zorder=5, bbox=label_box)
        self.path = self._text(0, 0, "", 9, ha="center", va="top", color=GREY, dynamic=True, zorder=5)
        self.mark = self._text(0, 0, "", 11.5, ha="center", va="top", weight="bold", dynamic=True, zorder=5)
        self.lookup = self._text(0, 0, "", 9.5, ha="center", va="top", color=GREY, dynamic=True, zorder=5)
        if self.panels:
            self.event_title = self._text(855, 640, "", 11.5, weight="bold", dynamic=True, fixed=True)
            self.event_rows = [self._text(855, 584 - 26 * i, "", 10, dynamic=True, fixed=True) for i in range(3)]
            self.event_note = self._text(855, 422, "", 8.5, color=GREY, dynamic=True, fixed=True)
            self.queue_rows = [self._text(855, 340 - 21 * i, "", 9.5, dynamic=True, fixed=True) for i in range(QUEUE_ROWS)]
            self.clock = self._text(25, 133, "", 10, color=GREY, dynamic=True, fixed=True)
            self.narration = self._text(25, 112, "", 12, va="top", dynamic=True, fixed=True, linespacing=1.35)
            self.basis = self._text(25, 24, "", 10.5, va="center", dynamic=True, fixed=True, weight="bold")

    def fits(self, scenario: Scenario) -> bool:
        """True if ``scenario`` has the same layout (hosts, clusters, servers, firewall or not) as this picture's."""
        a, b = self.scenario, scenario
        return (
            a.hosts == b.hosts
            and [(c.name, c.nodes, c.virtual_name, c.virtual_ip) for c in a.clusters]
            == [(c.name, c.nodes, c.virtual_name, c.virtual_ip) for c in b.clusters]
            and [(v.name, v.site, v.host) for v in a.servers] == [(v.name, v.site, v.host) for v in b.servers]
            and (a.firewall.allow_sources is None) == (b.firewall.allow_sources is None)
        )

    def configure(self, scenario: Scenario) -> None:
        """Show ``scenario``'s settings that are drawn in the fixed part (name service, firewall list).

        Only for a scenario that :meth:`fits`.
        """
        names = scenario.names
        detail = "HOSTS  DNS  " + ("WINS" if names.netbios else "(NetBIOS off)")
        if names.ptr:
            detail += "\nPTR " + ", ".join(f"{ip}={name}" for ip, name in names.ptr)
        texts = [(self.names_label, "name service\n" + detail)]
        if self.firewall_label is not None:
            allowed = scenario.firewall.allow_sources or ()
            texts.append((self.firewall_label, "firewall: TCP 102 only from\n" + (", ".join(allowed) if allowed else "nobody")))
        for label, text in texts:
            label.set_text(text)
        self.scenario = scenario

    # --- per frame ----------------------------------------------------------------------------

    def show(self, p: Portrayal) -> None:
        """Set every moving artist to what portrayal ``p`` says (no drawing yet)."""
        self._show_cluster_state(dict(p.active))
        end_point, label_at = self._show_connection(p)
        self._show_outcome(p, end_point, label_at)
        if self.panels:
            self._show_panels(p)

    def _show_cluster_state(self, active: dict[str, str]) -> None:
        lay = self.layout
        self._active = {c.name: active.get(c.name, c.active) for c in self.scenario.clusters}
        for c in self.scenario.clusters:
            now = active.get(c.name, c.active)
            for node in c.nodes:
                on = node == now
                patch = self.node_patch[node]
                patch.set_facecolor(ACTIVE_FILL if on else PASSIVE_FILL)
                patch.set_linestyle("-" if on else "--")
                patch.set_linewidth(2.8 if on else 1.4)
                patch.set_edgecolor("black" if on else GREY)
                addresses = ", ".join(self.scenario.host(node).addresses)
                self.node_label[node].set_text(f"{node} ({'active' if on else 'passive'})\n{addresses}")
            b = lay.virtual[(c.name, now)]
            self.vip_patch[c.name].set_bounds(b.x, b.y, b.w, b.h)
            self.vip_label[c.name].set_position(b.center)
            node_box = lay.hosts[now]
            self.vip_link[c.name].set_data([b.center[0], b.center[0]], [b.y, node_box.y + node_box.h])

    def _show_connection(self, p: Portrayal) -> tuple[Point | None, Point | None]:
        """The arrow and its labels; returns where the arrow ends and where its labels sit."""
        lay = self.layout
        # Labels sit at the middle of the route even before the arrow exists; an arrow that would
        # cross another host's box bows over it.
        label_at = None
        bulge = 0.0
        ends: tuple[str, str | None] | None = p.route
        if p.arrow is not None:
            ends = (p.arrow.from_host, p.arrow.to_host or p.arrow.toward or (p.route[1] if p.route else None))
        if ends is not None and ends[1] is not None:
            (x0, y0), (x1, y1) = _edge_points(lay.hosts[ends[0]], lay.hosts[ends[1]])
            bulge = self._bulge(((x0, y0), (x1, y1)), (ends[0], ends[1]))
            label_at = ((x0 + x1) / 2, (y0 + y1) / 2 + bulge)
        end_point = None
        if p.arrow is not None:
            a = p.arrow
            start_box = lay.hosts[a.from_host]
            target = lay.hosts.get(a.to_host or a.toward or "") or (lay.hosts[p.route[1]] if p.route else start_box)
            start, end = _edge_points(start_box, target)
            arc = bulge
            if a.stops_at_firewall and lay.firewall is not None:
                wall = lay.firewall
                end = (wall.x if end[0] > start[0] else wall.x + wall.w, start[1])
                arc = 0.0
            elif a.to_host is None:
                end = (start[0] + 0.6 * (end[0] - start[0]), start[1] + 0.6 * (end[1] - start[1]))
            length = max(1.0, ((end[0] - start[0]) ** 2 + (end[1] - start[1]) ** 2) ** 0.5)
            sign = -1 if end[0] > start[0] else 1  # arc3's positive rad bows to the right of the direction of travel
            self.arrow.set_connectionstyle(f"arc3,rad={sign * 2 * arc / length:.3f}")
            self.arrow.set_positions(start, end)
            self.arrow.set_color(a.status.color)
            self.arrow.set_linestyle(a.status.linestyle)
            self.arrow.set_visible(True)
            self.path.set_text(a.label)
            end_point = end
        else:
            self.arrow.set_visible(False)
            self.path.set_text("")
        if label_at is not None:
            mx, my = label_at
            self.claimed.set_position((mx, my + 44 * self.k))
            self.wire.set_position((mx, my + 16 * self.k))
            self.path.set_position((mx, my - bulge - 10 * self.k))  # under the chord, clear of a bowed arrow
        self.claimed.set_text(p.claimed or "")
        if p.wire:
            self.wire.set_text(f"{p.wire}  ≠ claimed" if p.wire_differs else f"{p.wire}  = claimed")
            self.wire.set_color(OKABE_ITO["vermillion"] if p.wire_differs else "black")
        else:
            self.wire.set_text("")
        return end_point, label_at

    def _show_outcome(self, p: Portrayal, end_point: Point | None, label_at: Point | None) -> None:
        lay = self.layout
        self.lookup.set_text(p.lookup or "")
        if p.mark is not None:
            if p.mark.at_host is not None:
                b = lay.hosts[p.mark.at_host]
                x, y = b.center[0], b.y - 8
            else:  # at the end of the arrow (the firewall), under the route's labels
                x, y = end_point or label_at or (0.0, 0.0)
                y -= 36 * self.k
            self.mark.set_text(p.mark.text)
            self.mark.set_color(p.mark.status.color)
            self._place(self.mark, x, y)
            self._place(self.lookup, x, y - 22 * self.k)
        else:
            self.mark.set_text("")
            if p.lookup and p.arrow is not None and p.arrow.to_host:
                b = lay.hosts[p.arrow.to_host]
                self._place(self.lookup, b.center[0], b.y - 8)

    def _show_panels(self, p: Portrayal) -> None:
        self.event_title.set_text(f"Event Viewer on {p.event_server}" if p.event_server else "Event Viewer")
        rows = p.event_lines or ("(no Event 9301 here yet)",)
        for i, row in enumerate(self.event_rows):
            row.set_text(rows[i] if i < len(rows) else "")
        self.event_note.set_text(p.event_note)
        lines = p.queue_lines if len(p.queue_lines) <= QUEUE_ROWS else (*p.queue_lines[: QUEUE_ROWS - 1], "...")
        for i, row in enumerate(self.queue_rows):
            row.set_text(lines[i] if i < len(lines) else "")
        where = f"    frame {p.frame + 1} of {p.frames}" if p.frame is not None else ""
        self.clock.set_text(f"{p.clock}    step {p.index + 1} of {p.total}{where}")
        self.narration.set_text("\n".join(p.narration))
        self.basis.set_text(f"basis: {p.basis_text}")
        self.basis.set_color(OKABE_ITO["blue"] if p.documented else OKABE_ITO["reddish purple"])

    def _place(self, text: Text, x: float, y: float) -> None:
        """Put a label under a box, centred but shifted to stay inside the network area."""
        left = self.layout.sites[0].box.x
        right = self.layout.sites[-1].box.x + self.layout.sites[-1].box.w
        text.set_position((x, y))
        text.set_horizontalalignment("center")
        if text.get_text():
            with rc_context(RC):
                extent = text.get_window_extent(self.canvas.get_renderer())
            half = extent.width / 2 * (self.ax.get_xlim()[1] / self.fig.bbox.width)
            x = min(max(x, left + half), right - half) if right - left > 2 * half else (left + right) / 2
            text.set_position((x, y))

    def _bulge(self, route: tuple[Point, Point], ends: tuple[str, str]) -> float:
        """How far the connection must bow upwards to clear every box between its two ends (0: none)."""
        (x0, y0), (x1, y1) = route
        lay = self.layout
        boxes = [b for name, b in lay.hosts.items() if name not in ends]
        boxes += [lay.virtual[(c, node)] for c, node in self._active.items()]
        boxes.append(lay.names)
        top = None
        for k in range(1, 40):  # sample the straight line; boxes are large, so 40 points find every crossing
            x, y = x0 + (x1 - x0) * k / 40, y0 + (y1 - y0) * k / 40
            for b in boxes:
                if b.x - 4 <= x <= b.x + b.w + 4 and b.y - 4 <= y <= b.y + b.h + 4:
                    top = max(top or b.y + b.h, b.y + b.h)
        return 0.0 if top is None else top - max(y0, y1) + 24.0 * self.k

    def render(self) -> None:
        """Draw the current frame onto the canvas.

        The fixed parts come from a cached background. Only the regions of moving artists that
        changed since the last render are restored and redrawn (with every moving artist that
        overlaps them, so nothing is drawn twice over itself): a step forward usually repaints the
        narration, the clock and the connection, not the panels.
        """
        with rc_context(RC):
            self._render()

    def _render(self) -> None:
        renderer = self.canvas.get_renderer()
        state = tuple(self._active.items())
        if self._background is None or self._background_state != state:
            background = self._backgrounds.get(state)
            if background is None:
                self.canvas.draw()  # animated (moving) artists are left out of a full draw
                background = self._backgrounds[state] = self.canvas.copy_from_bbox(self.fig.bbox)
            self._background, self._background_state = background, state
            self.canvas.restore_region(background)
            self._drawn = {}
        now = {a: (_signature(a), _extent(a, renderer)) for a in self.dynamic if a.get_visible()}
        if not self._drawn:
            redraw = set(now)
            dirty: list[Rect] = []
        else:
            dirty = [old[1] for a, old in self._drawn.items() if now.get(a) != old]
            dirty += [new[1] for a, new in now.items() if self._drawn.get(a) != new]
            redraw = set()
        grown = True
        while grown:  # take in every artist that overlaps a dirty region, and its whole extent
            grown = False
            for a, (_, ext) in now.items():
                if a not in redraw and any(_overlap(ext, d) for d in dirty):
                    redraw.add(a)
                    dirty.append(ext)
                    grown = True
        height = self.canvas.get_width_height()[1]
        for x0, y0, x1, y1 in dict.fromkeys(dirty):  # restoring overlapping regions twice is harmless
            self.canvas.restore_region(self._background, bbox=(x0, height - y1, x1, height - y0), xy=(0, 0))
        for a in self.dynamic:
            if a in redraw:
                a.draw(renderer)
        self._drawn = now

    def _full_render(self) -> None:
        """Draw everything from scratch (what render() must equal, pixel for pixel; tests compare them)."""
        self._backgrounds.clear()
        self._background = None
        self.render()

    def png(self) -> bytes:
        """The canvas as PNG bytes, without metadata: the same frame always gives the same bytes."""
        from PIL import Image

        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
        out = io.BytesIO()
        image.save(out, format="png", compress_level=6)
        return out.getvalue()

    def frame_png(self, p: Portrayal) -> bytes:
        self.show(p)
        self.render()
        return self.png()

    def full_draw_mode(self) -> None:
        """Make the moving artists part of ordinary draws (for savefig and animation writers)."""
        for artist in self.dynamic:
            artist.set_animated(False)
        self._backgrounds.clear()
        self._background = None

    def texts(self) -> list[str]:
        """Every visible, non-empty text in the figure: what tests read."""
        return [t.get_text() for t in self.ax.texts if t.get_visible() and t.get_text()]


def _named(s: Scenario, host: str) -> str:
    """A host's (or virtual server's) name, with the Exchange server's when the two differ."""
    server = next((v.name for v in s.servers if v.host == host), host)
    return host if server == host else f"{server} ({host})"


def _edge_points(a: Box, b: Box) -> tuple[Point, Point]:
    (ax_, ay), (bx, by) = a.center, b.center
    if abs(bx - ax_) >= (a.w + b.w) / 2:
        sign = 1 if bx > ax_ else -1
        return (ax_ + sign * a.w / 2, ay), (bx - sign * b.w / 2, by)
    sign = 1 if by > ay else -1
    return (ax_, ay + sign * a.h / 2), (bx, by - sign * b.h / 2)


def _signature(a: Artist) -> tuple[object, ...]:
    """What a moving artist looks like now: if this and its extent are unchanged, it needs no repaint."""
    if isinstance(a, Text):
        return ("text", a.get_text(), a.get_position(), a.get_color(), a.get_horizontalalignment(), a.get_fontweight())
    if isinstance(a, FancyArrowPatch):
        path = a.get_path()
        return ("arrow", np.asarray(path.vertices).tobytes(), a.get_edgecolor(), a.get_linestyle())
    if isinstance(a, FancyBboxPatch):
        return (
            "box",
            a.get_x(),
            a.get_y(),
            a.get_width(),
            a.get_height(),
            a.get_facecolor(),
            a.get_edgecolor(),
            a.get_linewidth(),
            a.get_linestyle(),
        )
    if isinstance(a, Line2D):
        return ("line", tuple(a.get_xdata()), tuple(a.get_ydata()))  # type: ignore[arg-type]
    raise TypeError(f"no signature for {type(a).__name__}")


def _extent(a: Artist, renderer: Any) -> Rect:
    """The artist's extent in pixels, padded for antialiasing, line widths and label backgrounds."""
    box = a.get_window_extent(renderer)
    pad = 4
    if isinstance(a, Text) and a.get_bbox_patch() is not None:
        pad = 8
    elif isinstance(a, (FancyArrowPatch, FancyBboxPatch, Line2D)):
        pad = 6
    return (int(box.x0) - pad, int(box.y0) - pad, int(box.x1) + pad + 1, int(box.y1) + pad + 1)


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
