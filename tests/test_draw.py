"""The picture: layout, storyboard, frames that say what the trace says, fast and exact blitting, export."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xcon_teach import load_scenario, loads_scenario, simulate
from xcon_teach.draw import STATUS, TraceView, key_frame, portray, storyboard
from xcon_teach.draw.export import export, storyboard_portrayals
from xcon_teach.draw.layout import layout
from xcon_teach.draw.picture import FULL_SIZE, Picture
from xcon_teach.draw.readability import frame_problems, problems
from xcon_teach.scenario import library

KB = simulate(load_scenario("kb-q169113"))
REFERENCE = library.text("kb-q169113")


def picture_at(trace, kind: str, nth: int = 0, **match: object) -> tuple[Picture, int]:
    """A picture showing the nth step of ``kind`` whose connection matches ``match``."""
    steps = [
        i
        for i, st in enumerate(trace.steps)
        if st.kind == kind and all(getattr(st.connection, k, None) == v for k, v in match.items())
    ]
    pic = Picture(trace.scenario)
    pic.show(portray(TraceView(trace), steps[nth]))
    pic.render()
    return pic, steps[nth]


# --- storyboard (pure) -----------------------------------------------------------------------------


def test_a_day_of_retries_fits_in_a_few_dozen_frames() -> None:
    frames = storyboard(KB)
    assert len(frames) <= 45
    assert [f.step for f in frames] == sorted(f.step for f in frames)
    assert frames[0].step == 0 and frames[-1].step == len(KB.steps) - 1
    collapsed = [f for f in frames if f.caption]
    assert len(collapsed) == 1 and collapsed[0].repeats == 143  # 144 tries in all (Q234157): the first shown, 143 more
    assert "143 more refused attempts on EXCLUS -> EXA, every 600 s (00:10:00 to 23:50:00)" in (collapsed[0].caption or "")
    kinds = {KB.steps[f.step].kind for f in frames}
    assert {"present", "lookup", "reverse", "event", "refuse", "accept", "deliver", "ndr", "end"} <= kinds


@pytest.mark.parametrize("name", library.names())
def test_every_storyboard_is_short_and_keeps_every_distinct_attempt(name: str) -> None:
    trace = simulate(load_scenario(name))
    frames = storyboard(trace)
    assert len(frames) <= 80, len(frames)
    shown = {f.step for f in frames}
    # every step that is not part of a repeated attempt is a frame
    for kind in ("submit", "deliver", "ndr", "failover", "addresses", "drop", "end"):
        assert all(i in shown for i, st in enumerate(trace.steps) if st.kind == kind), kind


def test_a_packet_travels_hop_by_hop_before_it_arrives() -> None:
    """Issue 12: the SYN leaves the sender's site, crosses the router, then the connect request arrives."""
    frames = storyboard(KB)
    connect = next(k for k, f in enumerate(frames) if KB.steps[f.step].kind == "connect" and f.hop is None)
    assert [f.hop for f in frames[connect - 2 : connect + 1]] == [0, 1, None]
    assert len({f.step for f in frames[connect - 2 : connect + 1]}) == 1
    p = storyboard_portrayals(KB)
    assert p[connect - 2].envelope.text == "SYN to port 102\n10.0.0.10 → 10.0.1.20"  # type: ignore[union-attr]
    assert "leaves SITEA through the router, on its way to 10.0.1.20 in SITEB" in p[connect - 1].narration_text
    assert p[connect].envelope.text == "CR: RFC 1006 connect\n10.0.0.10 → 10.0.1.20"  # type: ignore[union-attr]
    fw = simulate(load_scenario("firewall"))
    drop = next(
        k
        for k, f in enumerate(storyboard(fw))
        if f.hop is None
        and fw.steps[f.step].kind == "firewall"
        and getattr(fw.steps[f.step].connection, "failure", None) == "firewall"
    )
    assert storyboard(fw)[drop - 1].hop == 0 and storyboard(fw)[drop - 2].hop is None  # no hop past the wall


def test_key_frame_is_the_first_refusal_or_failure() -> None:
    frames = storyboard(KB)
    assert KB.steps[frames[key_frame(frames, KB)].step].kind == "refuse"
    baseline = simulate(load_scenario("baseline"))
    assert baseline.steps[storyboard(baseline)[key_frame(storyboard(baseline), baseline)].step].kind == "deliver"


# --- what a frame says -----------------------------------------------------------------------------


def test_refused_frame_shows_claimed_wire_outcome_events_and_clock() -> None:
    pic, i = picture_at(KB, "refuse")
    texts = pic.texts()
    assert "claimed: 10.0.1.20 (virtual IP of EXCLUS)" in texts
    assert "on the wire: 10.0.1.11  ≠ claimed" in texts
    assert "✖ not found: refused" in texts and "hypothesis S" not in texts  # IP stacks under S: no step depends on it
    assert "00:00:00   4E4F444531 = 'NODE1'" in texts and "00:00:00   0A00010B = 10.0.1.11" in texts
    assert "Event Viewer on EXA" in texts
    assert any(t.startswith(f"00:00:00 · step {i + 1} of {len(KB.steps)}") for t in texts)
    assert KB.steps[i].text in texts and "basis: documented (KB Q193380)" in texts
    assert "NODE1 (active)\n10.0.1.11\n+ VIP 10.0.1.20" in texts and "NODE2 (passive)\n10.0.1.12" in texts


def test_one_frame_shows_the_wire_address_the_failing_stage_and_the_name_found() -> None:
    """Issue 12, done when: on one frame, the address on the wire, the stage where the lookup failed and the name it found."""
    pic, _ = picture_at(KB, "refuse")
    texts = pic.texts()
    assert "EXA's connector lookup" in texts
    assert [t.get_text() for t in pic.check_rows] == [
        "✖ IP match: 10.0.1.11 vs 10.0.1.20",
        "✖ HOSTS: not there",
        "✖ DNS PTR: none",
        "→ node status: NODE1",
        "✖ name match: NODE1 vs none",
    ]
    assert [t.get_fontweight() for t in pic.check_rows][-1] == "bold"  # the stage that decided
    wa = simulate(load_scenario("workaround").with_hypothesis("receiver"))
    shown, _ = picture_at(wa, "accept", sender="EXCLUS")
    assert "hypothesis R" in shown.texts() and "EXA's lookup (hypothesis R)" in shown.texts()
    assert "→ node status (R): NODE1, EXCLUS" in [t.get_text() for t in shown.check_rows]
    assert pic.arrow.get_visible() and pic.arrow.get_linestyle() == "--"


def test_the_lookup_checklist_fills_in_stage_by_stage_and_says_what_was_not_asked() -> None:
    ps = [p for p in storyboard_portrayals(KB) if p.checklist and p.checklist.receiver == "EXA"]
    states = [tuple(r.state for r in p.checklist.rows) for p in ps]  # type: ignore[union-attr]
    assert states[0] == ("not found", "pending", "pending", "pending", "pending")
    assert ("not found", "not found", "not found", "answer", "not found") in states
    baseline = storyboard_portrayals(simulate(load_scenario("baseline")))
    found = next(p for p in baseline if p.checklist and p.kind == "accept")
    assert [r.text for r in found.checklist.rows] == [  # type: ignore[union-attr]
        "IP match: 10.0.0.10",
        "HOSTS: not needed",
        "DNS PTR: not needed",
        "node status: not needed",
        "name match: not needed",
    ]
    under_r = storyboard_portrayals(simulate(load_scenario("workaround").with_hypothesis("receiver")))
    rows = next(p for p in under_r if p.kind == "accept" and p.checklist and p.checklist.receiver == "EXA").checklist.rows  # type: ignore[union-attr]
    assert [f"{r.symbol} {r.text}" for r in rows][3:] == ["→ node status (R): NODE1, EXCLUS", "✔ name match: EXCLUS"]


def test_name_queries_travel_to_the_dns_server_or_back_to_the_caller() -> None:
    """Issue 12: the reverse lookup's queries are their own short trips (what makes hypothesis R visible)."""
    ps = storyboard_portrayals(KB)
    ptr = next(p for p in ps if p.query and p.query.target == "dns")
    assert ptr.query.origin == "EXA" and ptr.query.text == "DNS PTR? 10.0.1.11\n→ none"  # type: ignore[union-attr]
    back = next(p for p in ps if p.query and p.query.target == "NODE1")
    assert back.query.text == "node status? 10.0.1.11\n→ NODE1"  # type: ignore[union-attr]
    pic = Picture(KB.scenario)
    pic.show(back)
    xs = [float(x) for x in pic.query_line.get_xdata() if x == x]  # type: ignore[union-attr, arg-type]
    assert pic.query_line.get_visible() and min(xs) < pic.layout.hosts["EXA"].center[0] + 10
    assert max(xs) > pic.layout.hosts["NODE1"].center[0]
    # forward lookups by name go to the name servers too; a HOSTS answer is local and sends nothing
    wa = storyboard_portrayals(simulate(load_scenario("workaround")))
    assert not any(p.query and p.kind == "resolve" for p in wa)
    dns = load_scenario("workaround").replace(
        names=load_scenario("workaround").names.__class__(
            hosts=(), dns=(("EXA", "10.0.0.10"), ("EXCLUS", "10.0.1.20")), ptr=(), netbios=True
        )
    )
    q = next(p.query for p in storyboard_portrayals(simulate(dns)) if p.query and p.kind == "resolve")
    assert q.target == "dns" and q.text.startswith("DNS A? ")


def test_found_frame_shows_the_match() -> None:
    pic, _ = picture_at(KB, "accept")
    texts = pic.texts()
    assert "claimed: 10.0.0.10 (EXA's address)" in texts and "on the wire: 10.0.0.10  = claimed" in texts
    assert "✔ association accepted" in texts


def test_found_and_refused_differ_in_line_style_and_symbol_not_only_colour() -> None:
    found, _ = picture_at(KB, "accept")
    refused, _ = picture_at(KB, "refuse")
    assert found.arrow.get_linestyle() == "-" and refused.arrow.get_linestyle() == "--"
    assert found.mark.get_text().startswith("✔") and refused.mark.get_text().startswith("✖")
    assert found.arrow.get_color() != refused.arrow.get_color()
    pending, _ = picture_at(KB, "caller")
    assert pending.arrow.get_linestyle() == ":"
    assert {s.linestyle for s in STATUS.values()} == {"-", "--", ":"} and len({s.symbol for s in STATUS.values()}) == 3


def test_collapsed_frame_and_reverse_lookup_frame() -> None:
    portrayals = storyboard_portrayals(KB)
    collapsed = next(p for p in portrayals if "more refused attempts" in p.narration_text)
    assert collapsed.clock == "23:50:00"
    reverse = next(p for p in portrayals if p.lookup and "node status" in p.lookup)
    assert reverse.lookup == "EXA: reverse lookup: NetBIOS node status -> NODE1"
    assert reverse.basis == "DOC Q138086" and reverse.basis_text == "documented (KB Q138086)"


def test_failover_moves_the_virtual_server_box() -> None:
    trace = simulate(load_scenario("wrong-fix"))
    before, _ = picture_at(trace, "submit")
    after, _ = picture_at(trace, "addresses")
    vip_before = before.vip_patch["WOLFPACK"].get_x()
    vip_after = after.vip_patch["WOLFPACK"].get_x()
    assert vip_after > vip_before  # above NODE2 now
    assert after.node_patch["NODE2"].get_linestyle() == "-" and after.node_patch["NODE1"].get_linestyle() == "--"
    assert "NODE2 (active)\n10.0.1.12\n+ VIP 10.0.1.20" in after.texts()


def test_dropped_by_firewall_and_no_mta_frames() -> None:
    fw = simulate(load_scenario("firewall"))
    pic, _ = picture_at(fw, "firewall", sender="EXCLUS", failure="firewall")
    assert "✖ dropped by the firewall\n10.0.1.11 → 10.0.0.10" in pic.texts()
    wrong = simulate(load_scenario("wrong-fix"))
    pic, _ = picture_at(wrong, "connect", phase="failed")
    assert "SYN ✖ reset: no MTA\n10.0.0.10 → 10.0.1.11" in pic.texts()


# --- layout --------------------------------------------------------------------------------------

THREE_SERVERS = """
[hosts.N1]
addresses = ["10.1.0.11"]
[hosts.N2]
addresses = ["10.1.0.12"]
[hosts.M1]
addresses = ["10.2.0.11"]
[hosts.M2]
addresses = ["10.2.0.12"]
[hosts.HUB]
addresses = ["10.3.0.10"]
[clusters.C1]
nodes = ["N1", "N2"]
active = "N1"
virtual_name = "V1"
virtual_ip = "10.1.0.20"
[clusters.C2]
nodes = ["M1", "M2"]
active = "M2"
virtual_name = "V2"
virtual_ip = "10.2.0.20"
[servers.V1]
site = "EAST"
host = "V1"
[servers.V2]
site = "WEST"
host = "V2"
[servers.HUB]
site = "CENTRE"
host = "HUB"
[[connectors]]
server = "HUB"
remote = "V1"
stack = "ip"
address = "10.1.0.20"
[[connectors]]
server = "V1"
remote = "HUB"
stack = "ip"
address = "10.3.0.10"
[[connectors]]
server = "V2"
remote = "HUB"
stack = "hostname"
address = "HUB"
[[messages]]
at = 0
from = "V2"
to = "HUB"
"""


def test_two_clusters_three_servers_no_overlapping_boxes() -> None:
    s = loads_scenario(THREE_SERVERS)
    lay = layout(s)
    boxes = lay.all_boxes()
    for i, (name_a, a) in enumerate(boxes):
        for name_b, b in boxes[i + 1 :]:
            assert not a.overlaps(b), (name_a, name_b)
        assert 0 <= a.x and a.right <= lay.width, name_a
    assert [site.name for site in lay.sites] == ["EAST", "WEST", "CENTRE"]
    # and the scenario draws every frame
    trace = simulate(s)
    pic = Picture(s)
    for p in storyboard_portrayals(trace):
        pic.show(p)
        pic.render()


def test_the_topology_is_a_graph_and_a_connection_takes_its_shortest_path() -> None:
    """Issue 12: hosts on their site's LAN, a router between the sites, the name servers; routes are shortest paths."""
    lay = layout(load_scenario("kb-q169113"))
    kinds = {k for _, k in lay.graph.nodes(data="kind")}
    assert kinds == {"host", "tap", "port", "router", "server"}
    assert {"dns", "wins", "router:0", "tap:EXA", "tap:NODE1", "host:NODE2"} <= set(lay.graph.nodes)
    path = lay.route("NODE1", "EXA")
    assert path == ["host:NODE1", "tap:NODE1", "port:SITEB:L", "router:0", "port:SITEA:R", "tap:EXA", "host:EXA"]
    assert "tap:NODE2" not in path  # the passive node is not on the way
    fw = layout(load_scenario("firewall"))
    assert fw.firewall_node == "router:0" and fw.graph.nodes["router:0"]["kind"] == "firewall"
    assert "router:0" in fw.route("NODE1", "EXA")


def test_layout_is_deterministic_and_a_failover_moves_only_the_virtual_server() -> None:
    a = layout(load_scenario("both-clustered"))
    b = layout(load_scenario("both-clustered"))
    assert a.hosts == b.hosts and a.virtual == b.virtual and a.routers == b.routers and a.servers == b.servers
    moved = layout(load_scenario("kb-q169113").failed_over())
    still_there = layout(load_scenario("kb-q169113"))
    assert moved.hosts == still_there.hosts and moved.routers == still_there.routers and moved.virtual == still_there.virtual
    wrong = simulate(load_scenario("wrong-fix"))
    before, _ = picture_at(wrong, "submit")
    after, _ = picture_at(wrong, "addresses")
    assert before.node_patch["NODE1"].get_x() == after.node_patch["NODE1"].get_x()  # the hosts stay


# --- readable on a projector: sizes and overlaps, on every frame --------------------------------------


@pytest.mark.parametrize("name", library.names())
def test_every_frame_is_readable(name: str) -> None:
    """Issue 12: no text under 14 px, none over another text, a line or a box border, on any storyboard frame."""
    assert frame_problems(simulate(load_scenario(name))) == {}


def test_a_three_site_two_cluster_scenario_is_readable_in_both_sizes() -> None:
    trace = simulate(loads_scenario(THREE_SERVERS))
    assert frame_problems(trace) == {} and frame_problems(trace, panels=False) == {}
    assert frame_problems(KB, panels=False) == {}


def test_the_readability_check_finds_what_it_looks_for() -> None:
    pic, _ = picture_at(KB, "refuse")
    assert problems(pic) == []
    pic.mark.set_position(pic.check_title.get_position())  # onto the checklist's title
    found = problems(pic)
    assert any("overlap" in f for f in found) and any("crosses the border" in f for f in found)
    pic.mark.set_fontsize(8)
    assert any("smaller than 14 px" in f for f in problems(pic))


# --- every frame of every scenario, and blitting that equals a full draw ------------------------------


@pytest.mark.parametrize("name", library.names())
def test_every_built_in_scenario_draws_every_storyboard_frame(name: str) -> None:
    trace = simulate(load_scenario(name))
    pic = Picture(trace.scenario)
    for p in storyboard_portrayals(trace):
        pic.show(p)
        pic.render()
        assert p.narration and pic.narration.get_text().replace("\n", " ") in p.narration_text


@pytest.mark.parametrize("name", ["kb-q169113", "wrong-fix", "firewall"])
def test_partial_redraw_equals_a_full_redraw_pixel_for_pixel(name: str) -> None:
    trace = simulate(load_scenario(name))
    portrayals = storyboard_portrayals(trace)
    fast, slow = Picture(trace.scenario), Picture(trace.scenario)
    order = list(range(len(portrayals))) + [(k * 7) % len(portrayals) for k in range(len(portrayals))]
    for k in order:
        fast.show(portrayals[k])
        fast.render()
        slow.show(portrayals[k])
        slow._full_render()
        assert np.array_equal(np.asarray(fast.canvas.buffer_rgba()), np.asarray(slow.canvas.buffer_rgba())), k


# --- PNG determinism and export --------------------------------------------------------------------


def test_same_frame_same_png_bytes() -> None:
    p = storyboard_portrayals(KB)[21]
    assert Picture(KB.scenario).frame_png(p) == Picture(KB.scenario).frame_png(p)


def test_export_png_is_byte_identical_across_processes(tmp_path: Path) -> None:
    for name in ("a.png", "b.png"):
        result = subprocess.run(
            [sys.executable, "-m", "xcon_teach", "export", "kb-q169113", "-o", str(tmp_path / name), "--frame", "5"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    with Image.open(tmp_path / "a.png") as im:
        assert im.size == (int(FULL_SIZE[0]), int(FULL_SIZE[1])) and im.format == "PNG"


def test_export_gif_keeps_one_palette_with_the_exact_colours(tmp_path: Path) -> None:
    """Issue 12: legend and statuses keep their colours from frame to frame (one global palette)."""
    frames = len(storyboard(KB))
    gif = export(KB, tmp_path / "kb.gif")
    palettes = []
    with Image.open(gif) as im:
        assert im.format == "GIF" and getattr(im, "n_frames", 1) == frames
        for k in range(frames):
            im.seek(k)
            palettes.append(bytes(im.getpalette() or []))
            if k == 0:
                colours = {c for _, c in im.convert("RGB").getcolors(maxcolors=1 << 20) or ()}
    assert len({p for p in palettes if p}) == 1  # later frames carry no palette of their own: they use the global one
    from xcon_teach.draw import OKABE_ITO

    vermillion = tuple(int(OKABE_ITO["vermillion"][i : i + 2], 16) for i in (1, 3, 5))
    assert vermillion in {tuple(palettes[0][i : i + 3]) for i in range(0, len(palettes[0]), 3)}
    assert len(colours) > 8


def test_export_html_is_self_contained_accessible_and_deterministic(tmp_path: Path) -> None:
    """Issue 12: no external URL of any kind; buttons as text with labels; a text alternative per frame."""
    frames = len(storyboard(KB))
    a = export(KB, tmp_path / "a.html").read_text()
    b = export(KB, tmp_path / "b.html").read_text()
    assert a == b
    assert a.count("data:image/png;base64") == frames + 1 and "<script" in a  # the first also as the img src
    assert (
        "http" not in a.replace("data:image", "")
        and "//" not in a.replace("data:image/png;base64,", "").split("<script>")[0].split("<style>")[0]
    )
    assert 'src="http' not in a and "url(" not in a and "@import" not in a
    for label in ("First frame", "Previous frame", "Play", "Next frame", "Last frame"):
        assert f'aria-label="{label}"' in a
    assert 'alt="Frame 1 of ' in a and "on the wire: 10.0.1.11" in a
    assert (tmp_path / "a.html").stat().st_size < 5_000_000


def test_export_pdf_is_a_deck_of_key_frames(tmp_path: Path) -> None:
    """Issue 12: one key frame a page at 16:9, with its narration as text; the same input gives the same bytes."""
    a = export(KB, tmp_path / "a.pdf").read_bytes()
    b = export(KB, tmp_path / "b.pdf").read_bytes()
    assert a == b and a.startswith(b"%PDF")
    pages = len([f for f in storyboard(KB) if f.hop is None])
    assert (
        a.count(b"/Type /Page\n") + a.count(b"/Type /Page ") == pages
        or a.count(b"/Type /Page") - a.count(b"/Type /Pages") == pages
    )
    assert b"/MediaBox [ 0 0 921.6 518.4 ]" in a  # 1280 x 720 px at 100 dpi, in points: 16:9
    assert b"DejaVuSans" in a


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("kb.svg", "-o: cannot write .svg; use .gif, .html, .pdf or .png"),
        ("kb", "-o: cannot write a file without an extension"),
        ("missing/kb.gif", "the folder 'missing' does not exist"),
        (".", "-o: cannot write"),
    ],
)
def test_export_bad_output_exits_2_with_one_line(tmp_path: Path, output: str, expected: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "xcon_teach", "export", "kb-q169113", "-o", output],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert expected in result.stderr and len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


def test_export_bad_frame_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "xcon_teach", "export", "kb-q169113", "-o", "x.png", "--frame", "999"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    last = len(storyboard(KB))
    assert result.returncode == 2 and f"--frame: must be between 1 and {last}" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_drawing_layer_alone_imports_matplotlib() -> None:
    code = "import sys, xcon_teach.draw; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
    root = Path(__file__).resolve().parent.parent / "xcon_teach"
    importers = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "import matplotlib" in p.read_text() or "from matplotlib" in p.read_text()
    )
    assert all(p.startswith(("draw/", "lab/")) for p in importers), importers


# --- found by an independent review of the first version -------------------------------------


def test_four_letter_names_decode_as_names_not_ips() -> None:
    trace = simulate(loads_scenario(REFERENCE.replace("NODE1", "NOD1").replace("NODE2", "NOD2")))
    names = [e for e in trace.event_log if e.network_address == "4E4F4431"]
    assert names and names[0].decoded == "'NOD1'"
    refused = next(p for p in storyboard_portrayals(trace) if p.kind == "refuse")
    assert "00:00:00   4E4F4431 = 'NOD1'" in refused.event_lines


TWO_IN_ONE_SITE = """
[hosts.EXA]
addresses = ["10.0.0.10"]
[hosts.NDA1]
addresses = ["10.0.0.11"]
[hosts.NDA2]
addresses = ["10.0.0.12"]
[clusters.CL]
nodes = ["NDA1", "NDA2"]
active = "NDA1"
virtual_name = "EXCL"
virtual_ip = "10.0.0.20"
[servers.EXA]
site = "SITEA"
host = "EXA"
[servers.EXCL]
site = "SITEA"
host = "EXCL"
[[connectors]]
server = "EXCL"
remote = "EXA"
stack = "ip"
address = "10.0.0.10"
[[messages]]
at = 0
from = "EXCL"
to = "EXA"
"""


def test_two_servers_in_one_site_sit_side_by_side() -> None:
    lay = layout(loads_scenario(TWO_IN_ONE_SITE))
    boxes = lay.all_boxes()
    assert all(not a.overlaps(b) for i, (_, a) in enumerate(boxes) for _, b in boxes[i + 1 :])
    assert lay.hosts["EXA"].y == lay.hosts["NDA1"].y and lay.hosts["EXA"].x + lay.hosts["EXA"].w < lay.hosts["NDA1"].x


def test_single_site_firewall_stands_outside_the_boxes() -> None:
    s = loads_scenario(TWO_IN_ONE_SITE + '[firewall]\nallow_sources = ["10.0.0.20"]\n')
    lay = layout(s)
    assert lay.firewall is not None and all(
        not lay.firewall.overlaps(b) for n, b in lay.all_boxes() if not n.startswith("router")
    )
    assert lay.firewall.x >= lay.sites[0].box.right  # in the routers' column beside the site


def test_server_name_different_from_its_host_is_shown() -> None:
    text = REFERENCE.replace("[servers.EXA]\nsite", "[servers.MAILA]\nsite").replace('server = "EXA"', 'server = "MAILA"')
    text = (
        text.replace('remote = "EXA"', 'remote = "MAILA"')
        .replace('to = "EXA"', 'to = "MAILA"')
        .replace('from = "EXA"', 'from = "MAILA"')
    )
    pic = Picture(loads_scenario(text))
    assert "MAILA (EXA)\n10.0.0.10" in pic.texts()


# --- found by a review of the picture as an instructor would project it --------------------------


def test_a_collapsed_stretch_of_mixed_outcomes_says_so() -> None:
    """Two virtual IPs in turn: refused and accepted attempts repeat; the caption must not call them all refused."""
    trace = simulate(load_scenario("two-vips").with_until(4 * 3600 + 1200))
    captions = [f.caption for f in storyboard(trace) if f.caption]
    assert captions and all("refused attempts" not in c or "accepted" not in c for c in captions)
    mixed = [c for c in captions if "refused" in c and "accepted" in c]
    assert mixed
    assert all("each repeats an attempt shown before" in c for c in mixed)


def test_frames_name_the_receiver_of_the_connection_in_view_and_hops_are_in_progress() -> None:
    ps = storyboard_portrayals(simulate(loads_scenario(THREE_SERVERS)))
    for p in ps:
        if p.connector is not None:
            assert p.event_server == p.connector.split("->")[1], (p.index, p.connector, p.event_server)
    hops = [p for p in storyboard_portrayals(simulate(load_scenario("wrong-fix"))) if p.envelope and p.envelope.hop is not None]
    assert hops and all(p.arrow is not None and p.arrow.status.name == "pending" and p.mark is None for p in hops)


def test_a_silent_build_is_called_an_assumption_and_the_deck_numbers_its_own_pages() -> None:
    silent = storyboard_portrayals(simulate(load_scenario("silent-build")))
    notes = {p.event_note for p in silent if p.event_server == "EXA"}
    assert any("taken to log none (a model assumption" in n for n in notes)
    keys = storyboard_portrayals(KB, hops=False)
    assert [p.frame for p in keys] == list(range(len(keys))) and {p.frames for p in keys} == {len(keys)}
    assert all(p.envelope is None or p.envelope.hop is None for p in keys)
