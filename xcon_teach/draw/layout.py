"""A fixed, readable layout of any scenario's network: sites side by side, boxes in rows.

networkx holds the graph (hosts, virtual servers, the name service, the firewall, the link
between sites); the positions come from a deterministic rule, not a force layout, so the same
scenario always gives the same picture and a failover moves only the virtual server's box.

Each site is a column. Each Exchange server in it is a unit with two rows: the virtual server
(name and virtual IP) on top and the hosts below, so standalone hosts and cluster nodes line up
across sites and the connection arrow runs level between them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import networkx as nx

from ..scenario import Scenario

__all__ = ["Box", "Layout", "layout"]

BOX_W, BOX_H = 156.0, 66.0
NODE_GAP = 22.0
ROW_GAP = 56.0
SITE_PAD = 18.0
SITE_LABEL = 28.0
SITE_GAP = 290.0
NAMES_H = 48.0


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def overlaps(self, other: Box) -> bool:
        return not (
            self.x + self.w <= other.x or other.x + other.w <= self.x or self.y + self.h <= other.y or other.y + other.h <= self.y
        )

    def scaled(self, sx: float, sy: float, dx: float, dy: float) -> Box:
        return Box(self.x * sx + dx, self.y * sy + dy, self.w * sx, self.h * sy)


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    label: str
    box: Box


@dataclass(frozen=True, slots=True)
class Layout:
    """Where everything goes, in the coordinates of the area given to :func:`layout`."""

    sites: tuple[Site, ...]
    hosts: dict[str, Box]
    """Every host: standalone hosts and cluster nodes."""
    virtual: dict[tuple[str, str], Box]
    """(cluster, node) -> where the virtual server's box sits while that node is active."""
    names: Box
    firewall: Box | None
    gaps: tuple[Box, ...]
    """The space between neighbouring sites, where the connection and its labels go."""
    scale: float
    """How much the natural sizes were shrunk to fit (1.0 = not at all); fonts follow it."""
    graph: nx.Graph = field(repr=False)

    def all_boxes(self) -> list[tuple[str, Box]]:
        boxes = [(f"host {h}", b) for h, b in self.hosts.items()]
        boxes += [(f"virtual {c}@{n}", b) for (c, n), b in self.virtual.items()]
        boxes.append(("names", self.names))
        return boxes


def _site_order(s: Scenario) -> list[str]:
    order: list[str] = []
    for sv in s.servers:
        if sv.site not in order:
            order.append(sv.site)
    return order


def layout(s: Scenario, area: Box) -> Layout:
    """Lay ``s`` out inside ``area`` (x, y of the lower-left corner; y grows upwards)."""
    sites = _site_order(s)
    units: dict[str, list[tuple[str, str | None]]] = {site: [] for site in sites}  # (server, cluster or None)
    for sv in s.servers:
        owner = s.cluster_of(sv.name)
        units[sv.site].append((sv.name, owner.name if owner else None))
    placed_clusters = {cl for us in units.values() for _, cl in us if cl}
    # Clusters without an Exchange server and hosts in nothing still get drawn, in a site of their own.
    spare_clusters = [c.name for c in s.clusters if c.name not in placed_clusters]
    used_hosts = {sv.host for sv in s.servers} | {n for c in s.clusters for n in c.nodes}
    spare_hosts = [h.name for h in s.hosts if h.name not in used_hosts]
    if spare_clusters or spare_hosts:
        units["(other)"] = [("", c) for c in spare_clusters] + [(f"host:{h}", None) for h in spare_hosts]
        sites.append("(other)")

    unit_h = BOX_H * 2 + ROW_GAP
    hosts: dict[str, Box] = {}
    virtual: dict[tuple[str, str], Box] = {}
    site_boxes: list[Site] = []
    x = 0.0
    # Every Exchange server is a column, left to right; a site's box is drawn round its columns.
    # Neighbouring columns (in a site or across sites) keep a gap wide enough for the claimed /
    # on-the-wire labels; with many columns the gap shrinks a little.
    columns = sum(len(us) for us in units.values())
    gap = SITE_GAP if columns <= 2 else SITE_GAP * 0.75
    height = unit_h + 2 * SITE_PAD + SITE_LABEL
    host_y = SITE_PAD
    for site in sites:
        start = x
        clusters_here = []
        for k, (server, cl) in enumerate(units[site]):
            x += SITE_PAD if k == 0 else gap
            if cl:
                c = s.cluster(cl)
                clusters_here.append(c.name)
                for i, node in enumerate(c.nodes):
                    hosts[node] = Box(x + i * (BOX_W + NODE_GAP), host_y, BOX_W, BOX_H)
                    virtual[(c.name, node)] = Box(x + i * (BOX_W + NODE_GAP), host_y + BOX_H + ROW_GAP, BOX_W, BOX_H)
                x += 2 * BOX_W + NODE_GAP
            else:
                name = server.removeprefix("host:") if server.startswith("host:") else s.server(server).host
                hosts[name] = Box(x, host_y, BOX_W, BOX_H)
                x += BOX_W
        x += SITE_PAD
        label = site if not clusters_here else f"{site}  (cluster {', '.join(clusters_here)})"
        site_boxes.append(Site(site, label, Box(start, 0.0, x - start, height)))
        x += gap
    total_w = x - gap
    gaps = tuple(
        Box(a.box.x + a.box.w, a.box.y, b.box.x - (a.box.x + a.box.w), a.box.h) for a, b in itertools.pairwise(site_boxes)
    )
    names_w = min(gap - 30, 220.0)
    first_gap = gaps[0] if gaps else Box(0, 0, total_w, height)
    names = Box(first_gap.x + (first_gap.w - names_w) / 2, -NAMES_H - 40, names_w, NAMES_H)
    firewall = None
    left = 0.0
    if s.firewall.allow_sources is not None:
        # In the gap between the first two sites; with one site, in front of it on the left.
        wall_x = first_gap.x + first_gap.w / 2 - 5 if gaps else -60.0
        firewall = Box(wall_x, 0.0, 10.0, height)
        left = min(0.0, wall_x - 110)  # room for the wall's label

    # Fit the natural layout into the area, keeping proportions (and room above for the firewall's label).
    above = 44.0 if firewall else 0.0
    natural = Box(left, names.y, total_w - left, height + above - names.y)
    scale = min(area.w / natural.w, area.h / natural.h, 1.25)
    dx = area.x + (area.w - natural.w * scale) / 2 - natural.x * scale
    dy = area.y + (area.h - natural.h * scale) / 2 - natural.y * scale

    def fit(b: Box) -> Box:
        return b.scaled(scale, scale, dx, dy)

    graph = nx.Graph()
    for placed in site_boxes:
        graph.add_node(("site", placed.name), kind="site")
    for h, b in hosts.items():
        graph.add_node(("host", h), kind="host", pos=fit(b).center)
    for c in s.clusters:
        graph.add_node(("virtual", c.name), kind="virtual", name=c.virtual_name)
        for n in c.nodes:
            graph.add_edge(("virtual", c.name), ("host", n), kind="may own")
    graph.add_node("names", kind="names", pos=fit(names).center)
    for west, east in itertools.pairwise(site_boxes):
        graph.add_edge(("site", west.name), ("site", east.name), kind="link")
    for sv in s.servers:
        cluster = s.cluster_of(sv.name)
        graph.add_edge(("site", sv.site), ("virtual", cluster.name) if cluster else ("host", sv.host), kind="in")
    return Layout(
        sites=tuple(Site(st.name, st.label, fit(st.box)) for st in site_boxes),
        hosts={h: fit(b) for h, b in hosts.items()},
        virtual={k: fit(b) for k, b in virtual.items()},
        names=fit(names),
        firewall=fit(firewall) if firewall else None,
        gaps=tuple(fit(g) for g in gaps),
        scale=scale,
        graph=graph,
    )
