"""The network as a graph, and where everything goes: a fixed, deterministic layout (no matplotlib).

The topology is a networkx graph: every host (standalone servers and cluster nodes) hangs off its
site's LAN, a segment drawn as a bus with one tap per host; neighbouring sites are joined by a
router in the gap between them (the firewall, when the scenario has one, stands in the first gap
instead of the router); the name servers that exist (a DNS server always, a WINS server) hang off
the first router. A connection's route is ``networkx.shortest_path`` on this graph, so a packet
travels host -> tap -> along the bus -> router -> the other bus -> host, and a query to the DNS
server or back to the caller (NetBIOS node status) travels its own short path.

Positions come from a rule, not a force layout: each site is a column of Exchange servers (a
cluster's two nodes side by side, its virtual server in the row above the active node), the gaps
hold the routers, and under each site a slot is kept free for the receiver's lookup checklist. Every
box and slot is sized from the text it must hold (:mod:`.metrics`), at fonts no smaller than 14 px,
so nothing spills; a failover moves only the virtual server's box. Coordinates are pixels of the
network area, y upwards; :class:`~xcon_teach.draw.picture.Picture` places the area in its figure.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import networkx as nx

from ..scenario import Scenario
from .metrics import LINE, text_width

__all__ = ["BOX_PX", "PX", "Box", "Layout", "Site", "inside", "layout"]

PX = 14.0
"""The smallest text in the picture, in pixels (labels, the checklist, the envelope)."""
BOX_PX = 14.0
"""Text in the host and virtual-server boxes."""
PAD = 12.0
SITE_PAD = 16.0
COL_GAP = 14.0
LABEL_H = 30.0
ROW_GAP = 28.0
DROP = 34.0
STRIP = 66.0
"""Below the bus, inside the site: where an outcome mark or the packet's envelope stands."""
HEADER_H = 32.0
CHECK_GAP = 12.0
CHECK_ROWS = 6
CHECK_H = CHECK_ROWS * PX * LINE + 18.0
CHECK_W = 296.0
GAP_W = 230.0
ROUTER = (84.0, 34.0)
SERVER = (102.0, 2 * PX * LINE + 14.0)
ENVELOPE_H = 2 * PX * LINE + 12.0
MIN_BOX_W = 140.0


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    @property
    def top(self) -> float:
        return self.y + self.h

    @property
    def right(self) -> float:
        return self.x + self.w

    def overlaps(self, other: Box) -> bool:
        return not (self.right <= other.x or other.right <= self.x or self.top <= other.y or other.top <= self.y)

    def moved(self, dx: float, dy: float) -> Box:
        return Box(self.x + dx, self.y + dy, self.w, self.h)


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    label: str
    box: Box
    bus: tuple[float, float, float]
    """(x from, x to, y) of the site's LAN."""
    check: Box
    """The slot under the site where its receiver's lookup checklist is drawn."""
    strip: Box
    """The band below the bus, inside the site (outcome marks, the packet's envelope)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """Where everything goes, in pixels of the network area (``width`` x ``height``, y upwards)."""

    width: float
    height: float
    sites: tuple[Site, ...]
    hosts: dict[str, Box]
    """Every host: standalone hosts and cluster nodes."""
    site_of: dict[str, str]
    """host -> the site it stands in."""
    virtual: dict[tuple[str, str], Box]
    """(cluster, node) -> where the virtual server's box sits while that node is active."""
    routers: dict[str, Box]
    """graph node -> its box: the routers (and the firewall) in the gaps between sites."""
    servers: dict[str, Box]
    """``"dns"`` and ``"wins"`` -> the name servers' boxes."""
    firewall: Box | None
    firewall_node: str | None
    envelope_slots: dict[str, tuple[float, float]]
    """router or firewall node -> the centre of the slot above it where a packet's envelope stands."""
    header: Box
    """The band on top: what the sender claims, what is on the wire, the hypothesis in force."""
    graph: nx.Graph = field(repr=False)
    """The topology; each node has ``kind`` and ``pos`` (the point its links attach to)."""

    def all_boxes(self) -> list[tuple[str, Box]]:
        boxes = [(f"host {h}", b) for h, b in self.hosts.items()]
        boxes += [(f"virtual {c}@{n}", b) for (c, n), b in self.virtual.items()]
        boxes += [(f"router {r}", b) for r, b in self.routers.items()]
        boxes += [(f"server {s}", b) for s, b in self.servers.items()]
        return boxes

    def route(self, start: str, end: str) -> list[str]:
        """The graph nodes a packet passes from ``start`` to ``end`` (hosts, or any graph node)."""
        return list(nx.shortest_path(self.graph, _node(start), _node(end), weight="length"))

    def polyline(self, path: list[str]) -> list[tuple[float, float]]:
        """The points of ``path``: along drops, buses and links (where a packet is drawn)."""
        return [self.graph.nodes[n]["pos"] for n in path]

    def site(self, name: str) -> Site:
        return next(s for s in self.sites if s.name == name)


def inside(b: Box, p0: tuple[float, float], p1: tuple[float, float]) -> tuple[float, float] | None:
    """The part (t0, t1) of the segment p0-p1 that lies inside box ``b``, if any (Liang-Barsky clipping).

    >>> inside(Box(0, 0, 10, 10), (-5, 5), (15, 5))
    (0.25, 0.75)
    """
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = x1 - x0, y1 - y0
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x0 - b.x), (dx, b.right - x0), (-dy, y0 - b.y), (dy, b.top - y0)):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo > hi:
            return None
    return (lo, hi) if hi - lo > 1e-9 else None


def _node(name: str) -> str:
    return name if ":" in name or name in ("dns", "wins") else f"host:{name}"


def _site_order(s: Scenario) -> list[str]:
    order: list[str] = []
    for sv in s.servers:
        if sv.site not in order:
            order.append(sv.site)
    return order


def _named(s: Scenario, host: str) -> str:
    """A host's (or virtual server's) name, with the Exchange server's when the two differ."""
    server = next((v.name for v in s.servers if v.host == host), host)
    return host if server == host else f"{server} ({host})"


def host_label(s: Scenario, host: str) -> str:
    return f"{_named(s, host)}\n{', '.join(s.host(host).addresses)}"


def node_labels(s: Scenario, node: str, vips: tuple[str, ...]) -> tuple[str, str]:
    """A cluster node's label while active (its card: its own address, then each virtual IP) and while passive."""
    own = ", ".join(s.host(node).addresses)
    plus = "".join(f"\n+ VIP {v}" for v in vips)
    return f"{node} (active)\n{own}{plus}", f"{node} (passive)\n{own}"


def virtual_label(s: Scenario, virtual_name: str, vips: tuple[str, ...]) -> str:
    return _named(s, virtual_name) + "".join(f"\nVIP {v}" for v in vips)


def firewall_label(allowed: tuple[str, ...] | None) -> str:
    if not allowed:
        return "firewall\nTCP 102 from nobody"
    rows = [", ".join(allowed[i : i + 2]) for i in range(0, len(allowed), 2)]
    return "firewall: TCP 102\nonly from\n" + "\n".join(rows)


def _box_w(*labels: str, px: float = BOX_PX) -> float:
    return max(MIN_BOX_W, max(text_width(t, px) for t in labels) + 2 * PAD)


def layout(s: Scenario) -> Layout:
    """Lay out ``s``'s network."""
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

    most = max((len(c.virtual_ips) for c in s.clusters), default=0)
    host_h = (2 + most) * BOX_PX * LINE + 16.0  # a node's card: name, own address, each virtual IP
    vbox_h = (1 + max(most, 1)) * BOX_PX * LINE + 14.0
    site_h = LABEL_H + vbox_h + ROW_GAP + host_h + DROP + STRIP
    y0 = CHECK_H + CHECK_GAP  # the bottom of every site box
    bus_y = y0 + STRIP
    host_y = bus_y + DROP
    vrow_y = host_y + host_h + ROW_GAP
    top = y0 + site_h
    hosts: dict[str, Box] = {}
    site_of: dict[str, str] = {}
    virtual: dict[tuple[str, str], Box] = {}
    placed: list[Site] = []
    x = 0.0
    allowed = s.firewall.allow_sources
    fw_label = firewall_label(allowed) if allowed is not None else ""
    fw_size = (text_width(fw_label, PX) + 2 * PAD, len(fw_label.split("\n")) * PX * LINE + 12) if fw_label else ROUTER
    gap_w = max(GAP_W, fw_size[0] + 2 * PAD)
    for site in sites:
        start = x
        clusters_here = []
        cx = start + SITE_PAD
        for server, cl in units[site]:
            if cl:
                c = s.cluster(cl)
                clusters_here.append(c.name)
                w = _box_w(*node_labels(s, c.nodes[0], c.virtual_ips), *node_labels(s, c.nodes[1], c.virtual_ips))
                w = max(w, _box_w(virtual_label(s, c.virtual_name, c.virtual_ips)))
                for i, node in enumerate(c.nodes):
                    hosts[node] = Box(cx + i * (w + COL_GAP), host_y, w, host_h)
                    virtual[(c.name, node)] = Box(cx + i * (w + COL_GAP), vrow_y, w, vbox_h)
                    site_of[node] = site
                cx += 2 * w + COL_GAP + COL_GAP
            else:
                name = server.removeprefix("host:") if server.startswith("host:") else s.server(server).host
                w = _box_w(host_label(s, name))
                hosts[name] = Box(cx, host_y, w, host_h)
                site_of[name] = site
                cx += w + COL_GAP
        label = site if not clusters_here else f"{site} · cluster {', '.join(clusters_here)}"
        inner = cx - COL_GAP - start + SITE_PAD
        width = max(inner, CHECK_W, text_width(label, PX) + 2 * PAD)
        if width > inner:  # centre the columns in a site widened for its checklist or label
            shift = (width - inner) / 2
            for h, b in list(hosts.items()):
                if site_of.get(h) == site:
                    hosts[h] = b.moved(shift, 0)
            for key, b in list(virtual.items()):
                if site_of.get(key[1]) == site:
                    virtual[key] = b.moved(shift, 0)
        box = Box(start, y0, width, site_h)
        placed.append(
            Site(
                site,
                label,
                box,
                (start, start + width, bus_y),
                Box(start, 0.0, width, CHECK_H),
                Box(start, y0, width, STRIP),
            )
        )
        x = start + width + gap_w
    # With one site, the routers' column (the name servers, a firewall) stands to its right.
    columns_x = [(a.box.right, b.box.x) for a, b in itertools.pairwise(placed)] or [(placed[-1].box.right, x)]
    width_total = columns_x[-1][1] if len(placed) == 1 else placed[-1].box.right

    graph = nx.Graph()
    for h, hb in hosts.items():
        graph.add_node(f"host:{h}", kind="host", pos=(hb.center[0], hb.y))
    for placed_site in placed:
        left, right, by = placed_site.bus
        here = placed_site.name
        taps = sorted((hosts[h].center[0], h) for h, st in site_of.items() if st == here)
        chain = [f"port:{here}:L"] + [f"tap:{h}" for _, h in taps] + [f"port:{here}:R"]
        graph.add_node(chain[0], kind="port", pos=(left, by))
        graph.add_node(chain[-1], kind="port", pos=(right, by))
        for tx, h in taps:
            graph.add_node(f"tap:{h}", kind="tap", pos=(tx, by))
            graph.add_edge(f"host:{h}", f"tap:{h}", kind="drop")
        for a, b_ in itertools.pairwise(chain):
            graph.add_edge(a, b_, kind="bus")
    routers: dict[str, Box] = {}
    envelope_slots: dict[str, tuple[float, float]] = {}
    firewall: Box | None = None
    firewall_node: str | None = None
    for k, (gx0, gx1) in enumerate(columns_x):
        name = f"router:{k}"
        mid = (gx0 + gx1) / 2
        is_fw = k == 0 and allowed is not None
        rw, rh = fw_size if is_fw else ROUTER
        rbox = Box(mid - rw / 2, bus_y - rh / 2, rw, rh)
        routers[name] = rbox
        graph.add_node(name, kind="firewall" if is_fw else "router", pos=(mid, bus_y))
        envelope_slots[name] = (mid, bus_y + rh / 2 + 10 + ENVELOPE_H / 2)
        if is_fw:
            firewall, firewall_node = rbox, name
        if len(placed) == 1:
            graph.add_edge(f"port:{placed[0].name}:R", name, kind="uplink")
        else:
            graph.add_edge(f"port:{placed[k].name}:R", name, kind="uplink")
            graph.add_edge(name, f"port:{placed[k + 1].name}:L", kind="uplink")
    gx0, gx1 = columns_x[0]
    mid = (gx0 + gx1) / 2
    servers: dict[str, Box] = {}
    service_y = y0 - 46 - SERVER[1]
    for i, name in enumerate(("dns", "wins")):
        sx = mid - SERVER[0] - 5 if i == 0 else mid + 5
        servers[name] = Box(sx, service_y, *SERVER)
        graph.add_node(name, kind="server", pos=(sx + SERVER[0] / 2, service_y + SERVER[1]))
        graph.add_edge("router:0", name, kind="service")
    for a, b in graph.edges:
        (xa, ya), (xb, yb) = graph.nodes[a]["pos"], graph.nodes[b]["pos"]
        graph.edges[a, b]["length"] = math.hypot(xb - xa, yb - ya)
    height = top + HEADER_H
    return Layout(
        width=width_total,
        height=height,
        sites=tuple(placed),
        hosts=hosts,
        site_of=site_of,
        virtual=virtual,
        routers=routers,
        servers=servers,
        firewall=firewall,
        firewall_node=firewall_node,
        envelope_slots=envelope_slots,
        header=Box(0.0, top, width_total, HEADER_H),
        graph=graph,
    )
