"""The picture: the network graph of one scenario, drawn once, and updated artist by artist per frame.

``Picture(scenario)`` draws the fixed parts once: the sites, each site's LAN (a bus with a tap per
host), the routers between sites, the firewall, the DNS and WINS servers, the standalone hosts,
and (in the full picture) the panel frames and the legend. The links are the topology's edges,
drawn with ``networkx.draw_networkx_edges``. ``show(portrayal)`` changes only what moves: the
cluster nodes and the virtual server (on failover), the connection's route (a line along the
graph's shortest path, in the status's colour and dash), the packet's envelope (``src -> dst``),
a name query's short trip (to the DNS server, or back to the caller), the receiver's lookup
checklist, the outcome, the header (claimed, on the wire, the hypothesis in force) and the panels.
``render()`` redraws just those over a cached background (blitting), which keeps scrubbing cheap.
``png()`` encodes the canvas without metadata, so the same frame always gives the same bytes.

Every text is at least 14 px (:data:`~xcon_teach.draw.layout.PX`), and every label has its own
slot, so that nothing overlaps (:mod:`.readability` checks it). matplotlib is imported here and by
the exporters, never by the simulation core.
"""

from __future__ import annotations

import io
import itertools
from typing import Any, Literal

import networkx as nx
import numpy as np
from matplotlib import rc_context
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Rectangle
from matplotlib.text import Text

from ..errors import UsageError
from ..scenario import Scenario
from .layout import ENVELOPE_H, PX, Box, Layout, firewall_label, host_label, inside, layout, node_labels, virtual_label
from .metrics import LINE, fit, text_width, wrap
from .portrayal import OKABE_ITO, STATUS, TEXT, Portrayal

__all__ = ["FULL_SIZE", "Picture"]

FULL_SIZE = (1280.0, 720.0)
MAX_PIXELS = 16_000_000
"""The largest picture drawn (about 18 times 1280 x 720: a few sites of a few hosts each fit many
times over): each buffer of it is 4 bytes a pixel, and drawing keeps a few, so a scenario of
thousands of hosts is refused with a message instead of exhausting memory."""
"""The full picture (network and panels) at its smallest: 16:9, for slides and presenter screens."""
FONT = "DejaVu Sans"
RC: dict[Any, Any] = {"text.hinting": "no_hinting", "pdf.fonttype": 42}
"""Unhinted glyphs draw about 40% faster and look the same at these sizes; PDFs keep real text."""
GREY = "#555555"
LINK = "#9A9A9A"
ACTIVE_FILL = "#F7D899"  # Okabe-Ito orange, light
PASSIVE_FILL = "#FFFFFF"
HOST_FILL = "#CDE8F6"  # Okabe-Ito sky blue, light
VIP_FILL = "#F8F1A0"  # Okabe-Ito yellow, light
SITE_FILL = "#F4F4F4"
QUERY = OKABE_ITO["sky blue"]
MARGIN = 10.0
PANEL_W = 318.0
NARRATION_H = 150.0
LEGEND_STEP = 138.0
BIG = 16.0
"""The narration and the outcome, in pixels."""

Point = tuple[float, float]
Rect = tuple[int, int, int, int]


def _pt(px: float, dpi: float) -> float:
    """A size in pixels as points, which matplotlib's fontsize takes."""
    return px * 72.0 / dpi


class Picture:
    """A figure for one scenario; ``panels=False`` draws the network only (the lab puts HTML panels beside it)."""

    def __init__(self, scenario: Scenario, *, panels: bool = True, dpi: float = 100.0, compress: int = 6) -> None:
        self.compress = compress
        """PNG compression level (0-9): the lab uses 1, which encodes about twice as fast for 10% more bytes."""
        self.scenario = scenario
        self.panels = panels
        self.dpi = dpi
        self.layout: Layout = layout(scenario)
        lay = self.layout
        if panels:
            net_w = max(lay.width, FULL_SIZE[0] - 2 * MARGIN - 12 - PANEL_W)
            width = 2 * MARGIN + net_w + 12 + PANEL_W
            height = max(FULL_SIZE[1], width * 9 / 16, NARRATION_H + lay.height + 3 * MARGIN)
            self.origin = (
                MARGIN + (net_w - lay.width) / 2,
                NARRATION_H + 2 * MARGIN + (height - NARRATION_H - 3 * MARGIN - lay.height) / 2,
            )
            self.panel_x = MARGIN + net_w + 12
        else:
            width, height = lay.width + 2 * MARGIN, lay.height + 2 * MARGIN
            self.origin = (MARGIN, MARGIN)
            self.panel_x = width
        self.size = (width, height)
        if width * height > MAX_PIXELS:
            raise UsageError(
                f"hosts: this scenario ({len(scenario.hosts)} hosts in {len(lay.sites)} sites) would be drawn "
                f"{width:,.0f} x {height:,.0f} px, more than the {MAX_PIXELS:,} pixels a picture holds; "
                "draw fewer hosts (the simulation alone, `xcon-teach run`, has no such limit)"
            )
        self.fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        ax = self.fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(0, width)
        ax.set_ylim(0, height)
        ax.set_axis_off()
        self.ax = ax
        ox, oy = self.origin
        net = self.fig.add_axes((ox / width, oy / height, lay.width / width, lay.height / height))
        net.set_xlim(0, lay.width)
        net.set_ylim(0, lay.height)
        net.set_axis_off()
        self.net: Axes = net
        self.dynamic: list[Artist] = []
        self.boxes: list[Artist] = []
        """Every box patch (sites, hosts, routers, panels...): what a label must not cross."""
        self._background: Any = None
        self._backgrounds: dict[tuple[tuple[str, str], ...], Any] = {}
        """One cached background per cluster state (who is active), so a failover costs one full draw."""
        self._background_state: tuple[tuple[str, str], ...] = ()
        self._active: dict[str, str] = {c.name: c.active for c in scenario.clusters}
        self._drawn: dict[Artist, tuple[tuple[object, ...], Rect]] = {}
        self._draw_static()
        self._make_dynamic()

    # --- building -----------------------------------------------------------------------------

    def _text(self, ax: Axes, x: float, y: float, s: str, px: float = PX, *, dynamic: bool = False, **kw: Any) -> Text:
        t = ax.text(x, y, s, fontsize=_pt(px, self.dpi), family=FONT, **kw)
        if dynamic:
            self._animate(t)
        return t

    def _animate(self, artist: Artist) -> None:
        # Animated artists are left out of full draws and drawn over the cached background.
        artist.set_animated(True)
        self.dynamic.append(artist)

    def _box(
        self,
        ax: Axes,
        b: Box,
        *,
        face: str,
        edge: str = "black",
        lw: float = 1.5,
        pad: float = 6.0,
        dynamic: bool = False,
        z: float = 2,
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
        ax.add_patch(p)
        self.boxes.append(p)
        if dynamic:
            self._animate(p)
        return p

    def _draw_static(self) -> None:
        s, lay, net = self.scenario, self.layout, self.net
        for site in lay.sites:
            b = site.box
            self._box(net, b, face=SITE_FILL, edge=LINK, lw=1.0, pad=4, z=0)
            self._text(net, b.x + 10, b.top - 8, site.label, PX, color=GREY, va="top", zorder=1)
        pos = {n: d["pos"] for n, d in lay.graph.nodes(data=True)}
        widths = {"bus": 6.0, "drop": 2.5, "uplink": 5.0, "service": 2.0}
        for kind, width in widths.items():
            edges = [(a, b) for a, b, k in lay.graph.edges(data="kind") if k == kind]
            if edges:
                links = nx.draw_networkx_edges(
                    lay.graph, pos, edgelist=edges, ax=net, width=width, edge_color=LINK, arrows=False, hide_ticks=False
                )
                assert isinstance(links, LineCollection)
                links.set_zorder(0.5)
        for name, b in lay.routers.items():
            if name == lay.firewall_node:
                net.add_patch(Rectangle((b.x, b.y), b.w, b.h, facecolor="#DDDDDD", edgecolor=GREY, hatch="///", lw=1.0, zorder=2))
                net.add_patch(Rectangle((b.x + 4, b.y + 4), b.w - 8, b.h - 8, facecolor="white", edgecolor="none", zorder=2.1))
                self.boxes.append(net.patches[-2])
                self._text(
                    net,
                    *b.center,
                    firewall_label(s.firewall.allow_sources),
                    PX,
                    ha="center",
                    va="center",
                    zorder=3,
                    linespacing=LINE,
                )
            else:
                self._box(net, b, face="white", lw=1.2, pad=4)
                self._text(net, *b.center, "router", PX, ha="center", va="center", zorder=3)
        self.server_label: dict[str, Text] = {}
        for name, b in lay.servers.items():
            self._box(net, b, face="white", lw=1.2)
            # What the name servers hold changes with settings (a PTR record, NetBIOS), so their
            # labels are moving artists: a change repaints them alone, not the whole background.
            self.server_label[name] = self._text(
                net, *b.center, "", PX, ha="center", va="center", zorder=3, linespacing=LINE, dynamic=True
            )
        clustered = {n for c in s.clusters for n in c.nodes}
        for host in s.hosts:
            if host.name in clustered:
                continue
            b = lay.hosts[host.name]
            self._box(net, b, face=HOST_FILL)
            self._text(net, *b.center, host_label(s, host.name), 14, ha="center", va="center", zorder=3, linespacing=LINE)
        self.configure(s)
        if self.panels:
            h = self.size[1]
            self.events_box = Box(self.panel_x, h - MARGIN - 230, PANEL_W, 230)
            self.queues_box = Box(
                self.panel_x, NARRATION_H + 2 * MARGIN, PANEL_W, self.events_box.y - 10 - NARRATION_H - 2 * MARGIN
            )
            self._box(self.ax, self.events_box, face="white", lw=1.2, pad=8)
            self._box(self.ax, self.queues_box, face="white", lw=1.2, pad=8)
            e, q = self.events_box, self.queues_box
            self._text(self.ax, e.x + 14, e.top - 44, "ID 9301 · MSExchangeMTA · Configuration", PX, color=GREY, va="top")
            self._text(self.ax, q.x + 14, q.top - 12, "Queues on each connector", BIG, weight="bold", va="top")
            self.narration_box = Box(MARGIN, MARGIN, self.size[0] - 2 * MARGIN, NARRATION_H)
            self._box(self.ax, self.narration_box, face="#FAFAFA", lw=1.2, pad=8)
            self._legend(self.narration_box.right - 4 * LEGEND_STEP - 8, MARGIN + 22)

    def _legend(self, x: float, y: float) -> None:
        items: list[tuple[str, Literal["-", "--", ":", "-."], str]] = [
            (STATUS[k].color, STATUS[k].linestyle, f"{STATUS[k].symbol} {STATUS[k].words}")
            for k in ("found", "not found", "pending")
        ]
        items.append((QUERY, "-.", "name query"))
        for i, (colour, style, words) in enumerate(items):
            x0 = x + i * LEGEND_STEP
            self.ax.add_line(Line2D([x0, x0 + 30], [y, y], color=colour, linestyle=style, lw=2.5))
            self._text(self.ax, x0 + 36, y, words, PX, va="center")

    def _make_dynamic(self) -> None:
        s, lay, net = self.scenario, self.layout, self.net
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
                self.node_patch[node] = self._box(net, b, face=PASSIVE_FILL)
                self.node_label[node] = self._text(net, *b.center, node, 14, ha="center", va="center", zorder=3, linespacing=LINE)
            b = lay.virtual[(c.name, c.active)]
            self.vip_patch[c.name] = self._box(net, b, face=VIP_FILL)
            self.vip_label[c.name] = self._text(
                net,
                *b.center,
                virtual_label(s, c.virtual_name, c.virtual_ips),
                15,
                ha="center",
                va="center",
                zorder=3,
                linespacing=LINE,
            )
            link = Line2D([0, 0], [0, 0], color="black", lw=1.5, zorder=1)
            net.add_line(link)
            self.vip_link[c.name] = link
        self.arrow = Line2D([0, 1], [0, 1], lw=3.5, zorder=1.5, solid_capstyle="butt", dash_capstyle="butt")
        net.add_line(self.arrow)
        self._animate(self.arrow)
        self.query_line = Line2D([0, 1], [0, 1], lw=3.0, color=QUERY, linestyle="-.", zorder=1.6)
        net.add_line(self.query_line)
        self._animate(self.query_line)
        card = {"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": "black", "linewidth": 2.0}
        self.envelope = self._text(
            net, 0, 0, "", PX, ha="center", va="center", dynamic=True, zorder=6, bbox=dict(card), linespacing=LINE
        )
        self.query = self._text(
            net,
            0,
            0,
            "",
            PX,
            ha="center",
            va="center",
            dynamic=True,
            zorder=6,
            bbox=dict(card, edgecolor=QUERY),
            linespacing=LINE,
        )
        hy = lay.header.center[1]
        self.claimed = self._text(net, 10, hy, "", PX, ha="left", va="center", color=GREY, dynamic=True, zorder=5)
        self.wire = self._text(net, 10, hy, "", PX, ha="left", va="center", weight="bold", dynamic=True, zorder=5)
        self.hypothesis = self._text(net, lay.width - 10, hy, "", PX, ha="right", va="center", color=GREY, dynamic=True, zorder=5)
        self.mark = self._text(net, 0, 0, "", BIG, ha="center", va="center", weight="bold", dynamic=True, zorder=5)
        self.check_patch = self._box(net, Box(0, 0, 10, 10), face="white", edge=GREY, lw=1.2, pad=6, dynamic=True, z=4)
        self.check_title = self._text(net, 0, 0, "", PX, weight="bold", va="top", dynamic=True, zorder=5)
        self.check_rows = [self._text(net, 0, 0, "", PX, va="top", dynamic=True, zorder=5) for _ in range(5)]
        if self.panels:
            e, q, n = self.events_box, self.queues_box, self.narration_box
            self.event_title = self._text(self.ax, e.x + 14, e.top - 12, "", BIG, weight="bold", va="top", dynamic=True)
            self.event_rows = [
                self._text(self.ax, e.x + 14, e.top - 76 - 26 * i, "", PX, va="top", dynamic=True) for i in range(3)
            ]
            self.event_note = [
                self._text(self.ax, e.x + 14, e.y + 12 + PX * LINE * (1 - i), "", PX, color=GREY, va="bottom", dynamic=True)
                for i in range(2)
            ]
            rows = int((q.h - 48) // (PX * LINE + 2))
            self.queue_rows = [
                self._text(self.ax, q.x + 14, q.top - 44 - (PX * LINE + 2) * i, "", PX, va="top", dynamic=True)
                for i in range(rows)
            ]
            self.clock = self._text(self.ax, n.x + 14, n.top - 12, "", PX, color=GREY, va="top", dynamic=True)
            self.hypothesis_line = self._text(
                self.ax, n.right - 14, n.top - 12, "", PX, color=GREY, va="top", ha="right", dynamic=True
            )
            self.narration = self._text(self.ax, n.x + 14, n.top - 36, "", BIG, va="top", dynamic=True, linespacing=LINE)
            self.basis = self._text(self.ax, n.x + 14, n.y + 22, "", PX, va="center", dynamic=True, weight="bold")

    def fits(self, scenario: Scenario) -> bool:
        """True if ``scenario`` has the same layout (hosts, clusters, servers, firewall) as this picture's."""
        a, b = self.scenario, scenario
        return (
            a.hosts == b.hosts
            and [(c.name, c.nodes, c.virtual_name, c.virtual_ips) for c in a.clusters]
            == [(c.name, c.nodes, c.virtual_name, c.virtual_ips) for c in b.clusters]
            and [(v.name, v.site, v.host) for v in a.servers] == [(v.name, v.site, v.host) for v in b.servers]
            and a.firewall.allow_sources == b.firewall.allow_sources
        )

    def configure(self, scenario: Scenario) -> None:
        """Show ``scenario``'s settings that are drawn in the fixed part (the name servers).

        Only for a scenario that :meth:`fits`.
        """
        names = scenario.names
        ptr = len(names.ptr)
        self.server_label["dns"].set_text(f"DNS server\nPTR: {ptr or 'none'}")
        self.server_label["wins"].set_text("WINS server\n" + ("NetBIOS on" if names.netbios else "NetBIOS off"))
        self.server_label["wins"].set_color("black" if names.netbios else GREY)
        self.scenario = scenario

    # --- per frame ----------------------------------------------------------------------------

    def show(self, p: Portrayal) -> None:
        """Set every moving artist to what portrayal ``p`` says (no drawing yet)."""
        self._show_cluster_state(dict(p.active))
        self._show_header(p)
        self._show_route(p)
        self._show_packets(p)
        self._show_checklist(p)
        self._show_mark(p)
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
                self.node_label[node].set_text(node_labels(self.scenario, node, c.virtual_ips)[0 if on else 1])
            b = lay.virtual[(c.name, now)]
            self.vip_patch[c.name].set_bounds(b.x, b.y, b.w, b.h)
            self.vip_label[c.name].set_position(b.center)
            node_box = lay.hosts[now]
            self.vip_link[c.name].set_data([b.center[0], b.center[0]], [b.y, node_box.top])

    def _show_header(self, p: Portrayal) -> None:
        self.claimed.set_text(p.claimed or "")
        if p.wire:
            self.wire.set_text(f"{p.wire}  ≠ claimed" if p.wire_differs else f"{p.wire}  = claimed")
            self.wire.set_color(TEXT["vermillion"] if p.wire_differs else "black")
        else:
            self.wire.set_text("")
        x = 10 + (text_width(p.claimed, PX) + 28 if p.claimed else 0)
        self.wire.set_x(x)
        self.hypothesis.set_text(p.hypothesis_short if p.hypothesis_matters else "")

    def _route(self, p: Portrayal) -> list[str] | None:
        a = p.arrow
        if a is None:
            return None
        lay = self.layout
        if a.stops_at_firewall and lay.firewall_node is not None:
            return lay.route(a.from_host, lay.firewall_node)
        if a.to_host is None:
            toward = a.toward or (p.route[1] if p.route else None)
            path = lay.route(a.from_host, toward) if toward else lay.route(a.from_host, a.from_host)
            routers = [k for k, n in enumerate(path) if n.startswith("router:")]
            return path[: routers[0] + 1] if routers else path[: max(2, len(path) // 2)]
        return lay.route(a.from_host, a.to_host)

    def _show_route(self, p: Portrayal) -> None:
        path = self._route(p)
        if path is None or len(path) < 2:
            self.arrow.set_visible(False)
            self._path: list[str] = []
            return
        assert p.arrow is not None
        env = p.envelope
        if env is not None and env.hop is not None:  # the part travelled so far
            routers = self.layout.routers
            ends = [k for k, n in enumerate(path) if (n.startswith("port:") if env.hop == 0 else n in routers)]
            if ends:
                path = path[: ends[0] + 1]
        xs, ys = self._clipped(self.layout.polyline(path))
        self.arrow.set_data(xs, ys)
        self.arrow.set_color(p.arrow.status.color)
        self.arrow.set_linestyle(p.arrow.status.linestyle)
        self.arrow.set_visible(True)
        self._path = path

    def _clipped(self, points: list[Point]) -> tuple[list[float], list[float]]:
        """The polyline through ``points``, broken (NaN) where it passes under a router's or a server's box."""
        boxes = [*self.layout.routers.values(), *self.layout.servers.values()]
        xs: list[float] = []
        ys: list[float] = []
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            pieces = [(0.0, 1.0)]
            for b in boxes:
                cut = inside(b, (x0, y0), (x1, y1))
                if cut is not None:
                    pieces = [q for a, c in pieces for q in ((a, min(c, cut[0])), (max(a, cut[1]), c)) if q[1] - q[0] > 1e-6]
            for a, c in pieces:
                xs += [x0 + (x1 - x0) * a, x0 + (x1 - x0) * c, float("nan")]
                ys += [y0 + (y1 - y0) * a, y0 + (y1 - y0) * c, float("nan")]
        return xs[:-1], ys[:-1]

    def _strip_point(self, host: str, width: float) -> Point:
        """Where a card of ``width`` pixels stands in ``host``'s site, under the bus below the host."""
        lay = self.layout
        site = lay.site(lay.site_of[host])
        x = lay.hosts[host].center[0]
        half = width / 2 + 10
        x = min(max(x, site.box.x + half), site.box.right - half)
        return (x, site.bus[2] - 10 - ENVELOPE_H / 2)  # below the bus, clear of a query's line under it

    def _router_slot(self, path: list[str]) -> Point | None:
        lay = self.layout
        for n in path:
            if n in lay.envelope_slots:
                return lay.envelope_slots[n]
        return None

    def _show_packets(self, p: Portrayal) -> None:
        lay = self.layout
        env = p.envelope
        if env is not None and p.arrow is not None:
            width = text_width(env.text, PX) + 16
            path = self._path or lay.route(p.arrow.from_host, p.arrow.toward or p.arrow.from_host)
            if env.hop == 1:
                at = self._router_slot(path) or self._strip_point(p.arrow.from_host, width)
            elif env.hop == 0 or p.arrow.to_host is None:
                at = self._strip_point(p.arrow.from_host, width)
            else:
                at = self._strip_point(p.arrow.to_host, width)
            self.envelope.set_text(env.text)
            self.envelope.set_position(at)
            self.envelope.get_bbox_patch().set_edgecolor(env.status.color)  # type: ignore[union-attr]
            self.envelope.set_visible(True)
        else:
            self.envelope.set_visible(False)
        q = p.query
        if q is not None:
            target = q.target if q.target in ("dns", "wins") else f"host:{q.target}"
            path = lay.route(q.origin, target)
            points = lay.polyline(path)
            shifted = [(x + 7, y if k in (0, len(points) - 1) else y - 7) for k, (x, y) in enumerate(points)]
            xs, ys = self._clipped(shifted)
            self.query_line.set_data(xs, ys)
            self.query_line.set_visible(True)
            width = text_width(q.text, PX) + 16
            slot = self._router_slot(list(reversed(path)))
            where = slot or self._strip_point(q.target if q.target not in ("dns", "wins") else q.origin, width)
            self.query.set_text(q.text)
            self.query.set_position(where)
            self.query.set_visible(True)
        else:
            self.query_line.set_visible(False)
            self.query.set_visible(False)

    def _show_checklist(self, p: Portrayal) -> None:
        c = p.checklist
        parts = [self.check_patch, self.check_title, *self.check_rows]
        if c is None:
            for a in parts:
                a.set_visible(False)
            return
        lay = self.layout
        slot = lay.site(lay.site_of[c.host]).check
        self.check_patch.set_bounds(slot.x, slot.y, slot.w, slot.h)
        inner = slot.w - 24
        title = c.title if text_width(c.title, PX, bold=True) <= inner else c.title.replace("hypothesis ", "")
        self.check_title.set_text(fit(title, PX, inner, bold=True))
        self.check_title.set_position((slot.x + 12, slot.top - 8))
        colours = {"found": TEXT["bluish green"], "not found": TEXT["vermillion"], "answer": TEXT["blue"]}
        # the row that decided, in bold: the stage that found the connector, or the name match that failed
        found = [i for i, row in enumerate(c.rows) if row.state == "found"]
        failed = [i for i, row in enumerate(c.rows) if row.stage == "names" and row.state == "not found"]
        deciding = (found or failed or [-1])[0]
        for i, row in enumerate(c.rows[: len(self.check_rows)]):
            t = self.check_rows[i]
            t.set_text(fit(f"{row.symbol} {row.text}", PX, inner, bold=i == deciding))
            t.set_fontweight("bold" if i == deciding else "normal")
            t.set_color(colours.get(row.state, GREY))
            t.set_position((slot.x + 12, slot.top - 8 - (i + 1) * PX * LINE))
        for a in parts:
            a.set_visible(True)

    def _show_mark(self, p: Portrayal) -> None:
        m = p.mark
        if m is None or m.at_host is None:
            self.mark.set_visible(False)
            return
        self.mark.set_text(m.text)
        self.mark.set_color(m.status.text)
        self.mark.set_position(self._strip_point(m.at_host, text_width(m.text, BIG, bold=True)))
        self.mark.set_visible(True)

    def _show_panels(self, p: Portrayal) -> None:
        inner = PANEL_W - 28
        self.event_title.set_text(
            fit(f"Event Viewer on {p.event_server}" if p.event_server else "Event Viewer", BIG, inner, bold=True)
        )
        rows = p.event_lines or ("(no Event 9301 here yet)",)
        for i, row in enumerate(self.event_rows):
            row.set_text(fit(rows[i], PX, inner) if i < len(rows) else "")
        note = wrap(p.event_note, PX, inner, lines=2)
        for i, t in enumerate(self.event_note):
            t.set_text(note[i] if i < len(note) else "")
        lines = list(p.queue_lines)
        if p.connector is not None:  # the connector in view first, so it is never the one cut off
            first = p.connector.replace("->", " -> ") + ":"
            k = next((i for i, line in enumerate(lines) if line.startswith(first)), 0)
            end = next((j for j in range(k + 1, len(lines)) if not lines[j].startswith(" ")), len(lines))
            lines = lines[k:end] + lines[:k] + lines[end:]
        if len(lines) > len(self.queue_rows):
            lines = [*lines[: len(self.queue_rows) - 1], f"… and {len(lines) - len(self.queue_rows) + 1} more lines"]
        for i, row in enumerate(self.queue_rows):
            row.set_text(fit(lines[i].strip() if lines[i].startswith(" ") else lines[i], PX, inner) if i < len(lines) else "")
            row.set_x(self.queues_box.x + (34 if i < len(lines) and lines[i].startswith(" ") else 14))
        where = f" · frame {p.frame + 1} of {p.frames}" if p.frame is not None else ""
        self.clock.set_text(f"{p.clock} · step {p.index + 1} of {p.total}{where}")
        self.hypothesis_line.set_text(p.hypothesis_text if p.hypothesis_matters else "")
        n = self.narration_box
        self.narration.set_text("\n".join(wrap(p.narration_text, BIG, n.w - 28, lines=3)))
        self.basis.set_text(fit(f"basis: {p.basis_text}", PX, n.w - 4 * LEGEND_STEP - 60, bold=True))
        colour = TEXT["blue"] if p.documented else TEXT["reddish purple"]
        self.basis.set_color(colour)

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
        for a in sorted((a for a in self.dynamic if a in redraw), key=lambda a: a.get_zorder()):
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
        image.save(out, format="png", compress_level=self.compress)
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
        return [t.get_text() for ax in (self.ax, self.net) for t in ax.texts if t.get_visible() and t.get_text()]


def _signature(a: Artist) -> tuple[object, ...]:
    """What a moving artist looks like now: if this and its extent are unchanged, it needs no repaint."""
    if isinstance(a, Text):
        patch = a.get_bbox_patch()
        return (
            "text",
            a.get_text(),
            a.get_position(),
            a.get_color(),
            a.get_horizontalalignment(),
            a.get_fontweight(),
            patch.get_edgecolor() if patch is not None else None,
        )
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
        return ("line", tuple(a.get_xdata()), tuple(a.get_ydata()), a.get_color(), a.get_linestyle())  # type: ignore[arg-type]
    raise TypeError(f"no signature for {type(a).__name__}")


def _extent(a: Artist, renderer: Any) -> Rect:
    """The artist's extent in pixels, padded for antialiasing, line widths and label backgrounds."""
    box = a.get_window_extent(renderer)
    pad = 4
    if isinstance(a, Text) and a.get_bbox_patch() is not None:
        pad = 8
    elif isinstance(a, (FancyBboxPatch, Line2D)):
        pad = 6
    return (int(box.x0) - pad, int(box.y0) - pad, int(box.x1) + pad + 1, int(box.y1) + pad + 1)


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


__all__ += ["LINK", "QUERY"]
_ = np  # numpy backs the canvas buffers the tests compare
