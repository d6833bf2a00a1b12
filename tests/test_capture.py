"""The simulated capture, read back by a real dissector: Wireshark's tshark.

Each built-in scenario's capture is written by ``xcon-teach capture`` and read with ``tshark``;
every check compares what tshark sees with the trace (not with the packet planner): the source and
destination of each TCP SYN to port 102, the COTP type of each RFC 1006 packet, the DNS PTR and
NetBIOS node status packets exactly where the trace looks an address up that way, and the times.
tshark comes from Debian (``.ci/run`` installs it); without it these tests skip, except in CI
(``XCON_REQUIRE_TSHARK=1``), where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from xcon_teach import load_scenario, simulate
from xcon_teach.capture import name_servers, packets
from xcon_teach.capture.pcap import EPOCH, pcap_bytes, read_pcap, write_pcap
from xcon_teach.scenario import library, scenario_from_dict
from xcon_teach.sim import Trace

from .strategies import scenario_data

ROOT = Path(__file__).resolve().parent.parent
UNTIL = 1300.0
"""Long enough for three tries a connector (the first and two retries): every kind of packet, small files."""
NAMES = library.names()

TSHARK = shutil.which("tshark")
if TSHARK is None and (os.environ.get("XCON_REQUIRE_TSHARK") or os.environ.get("CI")):
    raise RuntimeError("tshark is required in CI (.ci/run installs Debian's tshark)")
needs_tshark = pytest.mark.skipif(TSHARK is None, reason="Wireshark's tshark is not installed (apt-get install tshark)")

FIELDS = (
    "frame.time_epoch",
    "ip.src",
    "ip.dst",
    "tcp.dstport",
    "tcp.flags.syn",
    "tcp.flags.ack",
    "tcp.flags.reset",
    "tcp.analysis.retransmission",
    "cotp.type",
    "cotp.cause",
    "dns.qry.type",
    "dns.qry.name",
    "dns.flags.response",
    "nbns.type",
    "nbns.flags.response",
)


def tshark(path: Path) -> list[dict[str, str]]:
    assert TSHARK is not None
    ran = subprocess.run(
        [TSHARK, "-r", str(path), "-T", "fields", "-E", "separator=\t", *(a for f in FIELDS for a in ("-e", f))],
        capture_output=True,
        text=True,
        check=True,
    )
    return [dict(zip(FIELDS, line.split("\t"), strict=True)) for line in ran.stdout.splitlines()]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xcon_teach", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Trace, list[dict[str, str]]]]:
    out = {}
    folder = tmp_path_factory.mktemp("captures")
    for name in NAMES:
        trace = simulate(load_scenario(name), until=UNTIL)
        path = folder / f"{name}.pcap"
        write_pcap(trace, path)
        out[name] = (trace, tshark(path) if TSHARK else [])
    return out


def _t(row: dict[str, str]) -> float:
    return float(row["frame.time_epoch"]) - EPOCH


@needs_tshark
@pytest.mark.parametrize("name", NAMES)
def test_every_syn_to_port_102_carries_the_traces_addresses(name: str, captures) -> None:
    trace, rows = captures[name]
    syns = [r for r in rows if r["tcp.flags.syn"] == "1" and r["tcp.flags.ack"] == "0" and not r["tcp.analysis.retransmission"]]
    sent = [a for a in trace.attempts() if a.failure not in ("unresolved", "bind failed")]
    assert [(r["ip.src"], r["ip.dst"], r["tcp.dstport"]) for r in syns] == [
        (a.wire, a.connection.destination, "102") for a in sent
    ]
    for row, a in zip(syns, sent, strict=True):
        assert a.time <= _t(row) < a.time + 1, "the SYN goes out when the trace makes the attempt"


@needs_tshark
@pytest.mark.parametrize("name", NAMES)
def test_each_attempt_shows_the_cotp_it_should(name: str, captures) -> None:
    trace, rows = captures[name]
    cotp = [(r["cotp.type"], r["cotp.cause"]) for r in rows if r["cotp.type"]]
    expected: list[tuple[str, str]] = []
    for a in trace.attempts():
        if a.outcome == "refused":
            expected += [("0x0e", ""), ("0x08", "136")]  # CR, then DR 136: connection request refused
        elif a.outcome == "accepted":
            carried = sum(trace.steps[i].kind == "deliver" for i in a.steps)
            expected += [("0x0e", ""), ("0x0d", "")] + [("0x0f", "")] * carried  # class 0 releases by closing TCP
    # Attempts overlap in time (two connectors at 0 s), so compare as multisets, then per kind.
    assert sorted(cotp) == sorted(expected)
    resets = [r for r in rows if r["tcp.flags.reset"] == "1"]
    assert len(resets) == sum(a.failure == "no MTA" for a in trace.attempts()), "a reset where no MTA listens, only there"


@needs_tshark
@pytest.mark.parametrize("name", NAMES)
def test_name_service_packets_are_where_the_trace_looks_up_and_only_there(name: str, captures) -> None:
    trace, rows = captures[name]
    ptr = [st for st in trace.steps if st.kind == "reverse" and st.lookup and st.lookup.stage == "reverse-ptr"]
    status = [
        st
        for st in trace.steps
        if st.kind == "reverse" and st.lookup and st.lookup.stage == "reverse-node-status" and trace.scenario.names.netbios
    ]
    ptr_queries = [r for r in rows if r["dns.qry.type"] == "12" and r["dns.flags.response"] == "0"]
    assert len(ptr_queries) == len(ptr)
    for row, st in zip(ptr_queries, ptr, strict=True):
        assert st.lookup is not None
        assert row["dns.qry.name"] == ".".join(reversed(st.lookup.caller.split("."))) + ".in-addr.arpa"
        assert row["ip.dst"] == name_servers(trace.scenario)["dns"] and st.time <= _t(row) < st.time + 1
    status_requests = [r for r in rows if r["nbns.type"] == "33" and r["nbns.flags.response"] == "0"]
    assert len(status_requests) == len(status)
    for row, st in zip(status_requests, status, strict=True):
        assert st.lookup is not None
        assert row["ip.dst"] == st.lookup.caller, "node status goes back to the caller's address"
        assert st.time <= _t(row) < st.time + 1
    forward = [st for st in trace.steps if st.kind == "resolve" and st.connection and st.connection.asked]
    a_queries = [r for r in rows if r["dns.qry.type"] == "1" and r["dns.flags.response"] == "0"]
    assert len(a_queries) == sum(st.connection.asked.count("dns") for st in forward if st.connection)
    hosts_only = [st for st in trace.steps if "HOSTS file" in st.text]
    assert all("nothing goes on the wire" in st.text for st in hosts_only if "says" in st.text or "looks up" in st.text)


@needs_tshark
@pytest.mark.parametrize("name", NAMES)
def test_times_run_forward_and_nothing_is_malformed(name: str, captures, tmp_path: Path) -> None:
    _, rows = captures[name]
    times = [_t(r) for r in rows]
    assert times == sorted(times) and times[0] >= 0
    path = tmp_path / "c.pcap"
    write_pcap(simulate(load_scenario(name), until=UNTIL), path)
    assert TSHARK is not None
    bad = subprocess.run(
        [TSHARK, "-r", str(path), "-Y", "_ws.malformed || _ws.expert.severity >= warning"], capture_output=True, text=True
    )
    assert bad.returncode == 0 and bad.stdout == "", bad.stdout


@needs_tshark
def test_the_done_when_of_issue_14(tmp_path: Path) -> None:
    """The SYN from the node's IP, the CR, the node status query back to it, the DR; with the workaround under S, the VIP."""
    kb = tmp_path / "kb.pcap"
    ran = cli("capture", "kb-q169113", "-o", str(kb))
    assert ran.returncode == 0, ran.stderr
    assert TSHARK is not None
    text = subprocess.run([TSHARK, "-r", str(kb), "-c", "20"], capture_output=True, text=True, check=True).stdout
    assert "10.0.1.11 → 10.0.0.10    TCP 58 1025 → 102 [SYN]" in text
    assert "CR TPDU" in text and "DR TPDU" in text
    assert "10.0.0.10 → 10.0.1.11    NBNS" in text and "Name query NBSTAT" in text
    fixed = tmp_path / "w.pcap"
    assert cli("capture", "workaround", "--hypothesis", "sender", "-o", str(fixed)).returncode == 0
    syns = [r for r in tshark(fixed) if r["tcp.flags.syn"] == "1" and r["tcp.flags.ack"] == "0" and r["ip.dst"] == "10.0.0.10"]
    assert syns and {r["ip.src"] for r in syns} == {"10.0.1.20"}


@needs_tshark
def test_hypothesis_r_shows_the_node_ip_then_node_status_back_to_it(tmp_path: Path) -> None:
    path = tmp_path / "r.pcap"
    assert cli("capture", "workaround", "--hypothesis", "receiver", "--until", "0", "-o", str(path)).returncode == 0
    rows = tshark(path)
    syn = next(r for r in rows if r["tcp.flags.syn"] == "1" and r["tcp.flags.ack"] == "0" and r["ip.dst"] == "10.0.0.10")
    assert syn["ip.src"] == "10.0.1.11"
    assert any(r["nbns.type"] == "33" and r["ip.dst"] == "10.0.1.11" for r in rows)


# -- without tshark: the bytes, the planner's invariants, bad input --------------------------------


def test_the_same_scenario_gives_the_same_bytes_in_another_process(tmp_path: Path) -> None:
    here = pcap_bytes(simulate(load_scenario("kb-q169113"), until=UNTIL))
    path = tmp_path / "again.pcap"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    ran = subprocess.run(
        [sys.executable, "-m", "xcon_teach", "capture", "kb-q169113", "--until", str(UNTIL), "-o", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert ran.returncode == 0, ran.stderr
    assert path.read_bytes() == here


def test_the_package_reads_its_capture_back(tmp_path: Path) -> None:
    path = tmp_path / "kb.pcap"
    write_pcap(simulate(load_scenario("kb-q169113"), until=0), path)
    rows = read_pcap(path)
    first_syn = next(r for r in rows if r[2] == "10.0.1.11")
    assert first_syn[3] == "10.0.0.10" and "[SYN]" in first_syn[5]
    assert [r[4] for r in rows].count("COTP") == 4 and any(r[4] == "NBNS" for r in rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_data(with_actions=True))
def test_packets_follow_the_trace_for_any_scenario(data) -> None:
    trace = simulate(scenario_from_dict(data), until=1300)
    found = packets(trace)
    assert [p.number for p in found] == list(range(1, len(found) + 1))
    assert [p.time for p in found] == sorted(p.time for p in found)
    for p in found:
        step = trace.steps[p.step]
        assert step.time <= p.time < step.time + 10, "a packet belongs to the step that sent it (SYN retries within 9 s)"
    syns = [p for p in found if p.flags == "S" and not p.info.startswith("[TCP Retransmission]")]
    sent = [a for a in trace.attempts() if a.failure not in ("unresolved", "bind failed")]
    assert [(p.src, p.dst) for p in syns] == [(a.wire, a.connection.destination) for a in sent]


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("kb.txt", "needs a file name ending in .pcap"),
        ("DIR", "is a folder"),
        ("/nonexistent/kb.pcap", "does not exist"),
        ("/proc/kb.pcap", "cannot be written"),
    ],
)
def test_bad_output_is_one_line_exit_2_and_no_file(tmp_path: Path, output: str, message: str) -> None:
    target = str(tmp_path / "d.pcap") if output == "DIR" else output if output.startswith("/") else str(tmp_path / output)
    if output == "DIR":
        Path(target).mkdir()
    before = set(tmp_path.rglob("*"))
    ran = cli("capture", "kb-q169113", "--until", "0", "-o", target)
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert len(ran.stderr.strip().splitlines()) == 1 and message in ran.stderr and "-o" in ran.stderr
    assert set(tmp_path.rglob("*")) == before, "no partial file left behind"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever stops the write (a full disk, a lost permission), the old capture stays and no partial file is left."""
    from xcon_teach.errors import MachineError

    path = tmp_path / "kept.pcap"
    path.write_bytes(b"old")

    def full(src: str, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(MachineError, match=r"-o: .*kept.pcap' cannot be written \(No space left on device\)"):
        write_pcap(simulate(load_scenario("kb-q169113"), until=0), path)
    assert path.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["kept.pcap"]


# -- the lab's packet list and the downloads -------------------------------------------------------


def test_the_labs_packet_list_shows_the_attempt_in_view_up_to_this_step() -> None:
    from xcon_teach import Lab
    from xcon_teach.lab.widget import PACKETS_PANEL

    lab = Lab("kb-q169113")
    assert lab.packet_list.value == "", "closed, the panel costs nothing"
    lab.extras.selected_index = PACKETS_PANEL
    connect = next(i for i, st in enumerate(lab.trace.steps) if st.kind == "connect" and st.actor == "EXCLUS")
    lab.controls["every_step"].value = True
    lab.controls["frame"].value = connect + 1
    html = lab.packet_list.value
    assert "attempt 1 on EXCLUS-&gt;EXA" in html
    assert '<tr style="background:#fff3c4;font-weight:bold"><td style="padding:0 6px">▶ 6</td>' in html
    assert "10.0.1.11" in html and "[SYN]" in html and "CR TPDU" in html
    assert "DR TPDU" not in html and "NBSTAT" not in html, "nothing after this step: no spoiler"
    assert "more packet" not in html, "not even how many: the count would tell refused from accepted"
    refuse = next(i for i, st in enumerate(lab.trace.steps) if st.kind == "refuse")
    lab.controls["frame"].value = refuse + 1
    assert "DR TPDU" in lab.packet_list.value and "NBSTAT" in lab.packet_list.value


def test_the_lab_offers_the_runs_capture_and_drops_a_stale_one() -> None:
    import base64
    import re

    from xcon_teach import Lab

    lab = Lab("kb-q169113")
    lab.controls["capture:download"].click()
    found = re.search(r'href="data:application/vnd.tcpdump.pcap;base64,([^"]+)" download="([^"]+)"', lab.capture_link.value)
    assert found and found.group(2).endswith(".pcap")
    assert base64.b64decode(found.group(1)) == pcap_bytes(lab.trace)
    lab.controls["stack:EXA"].value = "hostname"
    assert lab.capture_link.value == "", "a link to the last run's packets would be stale"


def test_the_html_export_carries_a_download_capture_link(tmp_path: Path) -> None:
    import base64
    import re

    out = tmp_path / "kb.html"
    ran = cli("export", "kb-q169113", "--until", "700", "-o", str(out))
    assert ran.returncode == 0, ran.stderr
    page = out.read_text()
    found = re.search(r'<a href="data:application/vnd.tcpdump.pcap;base64,([^"]+)" download="kb.pcap">Download capture</a>', page)
    assert found, "the exported page offers the run's packets"
    assert base64.b64decode(found.group(1)) == pcap_bytes(simulate(load_scenario("kb-q169113"), until=700))


# -- what a review in Wireshark found ---------------------------------------------------------------


def _expert(path: Path, what: str) -> str:
    assert TSHARK is not None
    return subprocess.run([TSHARK, "-r", str(path), "-Y", what], capture_output=True, text=True, check=True).stdout


@needs_tshark
def test_a_name_wins_does_not_know_is_a_clean_negative_answer(tmp_path: Path) -> None:
    ghost = load_scenario("workaround").with_name_table("hosts", ()).with_dns("EXA", "10.0.0.10").with_address("EXA", "GHOST")
    path = tmp_path / "g.pcap"
    write_pcap(simulate(ghost, until=0), path)
    assert "Name query response, Requested name does not exist" in _expert(path, "nbns")
    assert _expert(path, "_ws.malformed") == ""
    assert _expert(path, "nbns.flags.broadcast == 1") == "", "a query to the WINS server is unicast"


@needs_tshark
def test_a_failover_that_drops_an_association_resets_it_and_no_port_is_reused(tmp_path: Path) -> None:
    data = tomllib.loads(load_scenario("workaround").to_toml())
    data["actions"][0]["at"] = 1
    path = tmp_path / "fo.pcap"
    write_pcap(simulate(scenario_from_dict(data), until=700), path)
    assert _expert(path, "tcp.flags.reset == 1 && ip.src == 10.0.1.20") != ""
    assert _expert(path, "tcp.analysis.reused_ports") == ""


@needs_tshark
def test_the_cc_names_both_tsaps_and_a_refusing_dr_has_no_reference_yet(tmp_path: Path) -> None:
    path = tmp_path / "kb.pcap"
    write_pcap(simulate(load_scenario("kb-q169113"), until=0), path)
    assert _expert(path, "cotp.type == 0x0d && cotp.src-tsap && cotp.dst-tsap") != ""
    assert _expert(path, "cotp.type == 0x08 && cotp.srcref == 0x0000 && cotp.cause == 136") != ""


def test_nothing_after_the_runs_end_and_too_late_a_time_is_one_line(tmp_path: Path) -> None:
    assert max(p.time for p in packets(simulate(load_scenario("firewall"), until=1))) <= 1
    text = load_scenario("kb-q169113").to_toml().replace("at = 0", "at = 4000000000")
    late = tmp_path / "late.toml"
    late.write_text(text)  # beyond a simulated century, and beyond pcap's 32-bit seconds after 1998
    ran = cli("capture", str(late), "-o", str(tmp_path / "l.pcap"))
    assert ran.returncode == 2 and "Traceback" not in ran.stderr and len(ran.stderr.strip().splitlines()) == 1
    assert "must be at most a simulated century" in ran.stderr and not (tmp_path / "l.pcap").exists()


def test_a_capture_is_readable_by_its_owners_wireshark(tmp_path: Path) -> None:
    path = tmp_path / "kb.pcap"
    write_pcap(simulate(load_scenario("kb-q169113"), until=0), path)
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


@needs_tshark
def test_the_readme_shows_what_tshark_prints(tmp_path: Path) -> None:
    path = tmp_path / "kb.pcap"
    assert cli("capture", "kb-q169113", "-o", str(path)).returncode == 0
    assert TSHARK is not None
    shown = subprocess.run([TSHARK, "-r", str(path), "-c", "17"], capture_output=True, text=True, check=True).stdout
    readme = (ROOT / "README.md").read_text()
    assert shown in readme, "paste `tshark -r kb.pcap -c 17` into the README's capture section"
    assert f"wrote kb.pcap: {len(packets(simulate(load_scenario('kb-q169113'))))} packets" in readme
