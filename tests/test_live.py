"""The live lab against the real kernel (issue 7): needs root, as CI here has.

Every test that builds namespaces checks that none is left behind. The refusal without root is
tested everywhere (it fakes the user id).
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from xcon_teach import load_scenario, rfc1006
from xcon_teach.errors import UsageError
from xcon_teach.live import cli, netns
from xcon_teach.live.compare import LiveLab, compare
from xcon_teach.sim.world import World

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None,
    reason="the live lab needs root and iproute2: network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN",
)

FOUR = ("kb-q169113", "workaround", "override", "wrong-fix")


def ours(prefix: str) -> list[str]:
    return [n for n in netns.namespaces() if n.startswith(prefix)]


def root_links() -> list[str]:
    """Interface names in the root namespace (the lab must not add or remove any)."""
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    return sorted(line.split(":")[1].strip().split("@")[0] for line in out.splitlines())


@pytest.fixture
def prefix() -> Iterator[str]:
    """A fresh run prefix; afterwards, no namespace with it may exist."""
    p = netns.new_prefix()
    yield p
    left = ours(p)
    if left:  # clean up for the next test, then fail this one
        subprocess.run(["ip", "-force", "-batch", "-"], input="".join(f"netns del {n}\n" for n in left), text=True, check=False)
    assert left == [], f"namespaces left behind: {left}"


def args(
    scenario: str = "kb-q169113", *, json: bool = False, cleanup: bool = False, pcap: str | None = None
) -> argparse.Namespace:
    return argparse.Namespace(command="live", scenario=scenario, json=json, cleanup=cleanup, pcap=pcap)


# --- the comparison ---------------------------------------------------------------------------


@needs_root
@pytest.mark.parametrize("name", FOUR)
def test_kernel_agrees_with_the_model(name: str, prefix: str) -> None:
    before = root_links()
    report = compare(load_scenario(name), prefix=prefix)
    assert report.agree, report.to_text()
    assert all(r.agree for r in report.rows)
    assert {r.phase for r in report.rows} == {"A", "B"}  # before and after the failover
    assert len(report.rows) == 2 * len(load_scenario(name).messages)
    assert [b.kernel_text for b in report.binds] == ["[Errno 99] EADDRNOTAVAIL"]
    assert all(b.agree for b in report.binds)
    assert report.subnet == "10.0.0.0/23"
    assert root_links() == before  # nothing touched outside the lab's namespaces


@needs_root
@pytest.mark.slow
def test_the_firewall_drops_before_the_mta_sees_anything(prefix: str) -> None:
    # Two dropped SYNs wait out the 2 s socket timeout each, hence "slow".
    report = compare(load_scenario("firewall"), prefix=prefix)
    assert report.agree, report.to_text()
    dropped = [r for r in report.rows if r.route == "EXCLUS->EXA"]
    assert {(r.kernel.outcome, r.kernel.tag, r.model.why) for r in dropped} == {("unreachable", "timed out", "firewall drop")}
    assert all(r.kernel.events == () for r in dropped)  # no 9301: the MTA never saw the caller


@needs_root
def test_the_reference_scenario_in_detail(prefix: str) -> None:
    report = compare(load_scenario("kb-q169113"), prefix=prefix)
    rows = {(r.phase, r.message): r for r in report.rows}
    # Unbound: the kernel picks the node's own (primary) address, never the secondary virtual IP.
    assert rows["A", "m1"].kernel.source == "10.0.1.11"
    assert rows["A", "m1"].kernel.bound is None
    assert (rows["A", "m1"].kernel.outcome, rows["A", "m1"].kernel.tag) == ("refused", "DR 136")
    assert rows["B", "m1"].kernel.source == "10.0.1.12"  # the bug follows the group
    assert rows["A", "m2"].kernel.outcome == "accepted"
    # The live MTA logged the model's two Event 9301 texts for the address it saw.
    assert [e.network_address for e in rows["A", "m1"].kernel.events] == ["0A00010B", "4E4F444531"]
    assert "could not be found" in rows["A", "m1"].kernel.events[0].text


@needs_root
def test_wrong_fix_fails_over_mid_scenario(prefix: str) -> None:
    report = compare(load_scenario("wrong-fix"), prefix=prefix)
    outcomes = [(r.phase, r.message, r.kernel.outcome) for r in report.rows]
    assert ("A", "m4", "no MTA") in outcomes  # after the scripted failover nobody listens on 10.0.1.11
    assert ("B", "m3", "accepted") in outcomes  # phase B's scripted failover brings NODE1 back
    assert report.agree


@needs_root
def test_override_binds_the_virtual_ip(prefix: str) -> None:
    report = compare(load_scenario("override"), prefix=prefix)
    exclus = [r for r in report.rows if r.route == "EXCLUS->EXA"]
    assert {r.kernel.bound for r in exclus} == {"10.0.1.20"}
    assert {r.kernel.source for r in exclus} == {"10.0.1.20"}


@needs_root
def test_a_failing_override_bind_agrees_with_the_model(prefix: str) -> None:
    # Override = NODE1's own address: it binds on NODE1, and fails on NODE2 after the failover.
    report = compare(load_scenario("override").with_override("EXCLUS", "10.0.1.11"), prefix=prefix)
    assert report.agree, report.to_text()
    failed = [(r.phase, r.message) for r in report.rows if r.kernel.outcome == "bind failed"]
    assert failed == [("A", "m3"), ("B", "m1")]
    assert all(r.kernel.tag == "EADDRNOTAVAIL" for r in report.rows if r.kernel.outcome == "bind failed")


@needs_root
def test_the_comparison_can_disagree(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a vacuous check: add the virtual IP *before* the node's own, and the kernel presents it."""
    create = netns.Network.create

    def vip_first(self: netns.Network, addresses: dict[str, tuple[str, ...]]) -> None:
        create(self, {h: tuple(reversed(a)) for h, a in addresses.items()})

    monkeypatch.setattr(netns.Network, "create", vip_first)
    report = compare(load_scenario("kb-q169113"), prefix=prefix)
    assert not report.agree
    row = report.rows[0]
    assert (row.kernel.source, row.kernel.outcome, row.model.source, row.model.outcome) == (
        "10.0.1.20",
        "accepted",
        "10.0.1.11",
        "refused",
    )
    assert "DIFFER" in report.to_text()


@needs_root
def test_addresses_are_on_link_vip_secondary_and_nothing_routed_out(prefix: str) -> None:
    s = load_scenario("kb-q169113")
    with LiveLab(s, prefix=prefix) as lab:
        lab.follow(World.initial(s))
        assert lab.network.addresses("NODE1") == ["10.0.1.11", "10.0.1.20"]
        shown = subprocess.run(
            ["ip", "-n", lab.namespace("NODE1"), "-o", "-4", "addr", "show", "dev", "eth0"], capture_output=True, text=True
        ).stdout
        assert "10.0.1.20/23 scope global secondary" in shown
        for host in ("EXA", "NODE1", "NODE2"):
            routes = subprocess.run(["ip", "-n", lab.namespace(host), "-4", "route"], capture_output=True, text=True).stdout
            assert "default" not in routes
            assert routes.split()[0] == "10.0.0.0/23"
        assert len(ours(prefix)) == 4  # three hosts and the bridge
    assert ours(prefix) == []


# --- the receiving MTA stays up -------------------------------------------------------------------

MALFORMED = {
    "truncated": rfc1006.encode(rfc1006.ConnectRequest(src_ref=1, calling=b"EXCLUS", called=b"EXA"))[:9],
    "wrong version": b"\x02\x00\x00\x0b\x06\x80\x00\x00\x00\x00\x88",
    "length disagrees": b"\x03\x00\x00\x07" + bytes.fromhex("06e00000000100"),
    "unknown TPDU code": b"\x03\x00\x00\x07\x02\xf0\x80",
}


@needs_root
def test_the_listener_keeps_serving_after_malformed_packets(prefix: str) -> None:
    s = load_scenario("kb-q169113")
    with LiveLab(s, prefix=prefix) as lab:
        lab.follow(World.initial(s))
        for payload in MALFORMED.values():
            with netns.socket_in(lab.namespace("NODE1"), 2.0) as sock:
                sock.connect(("10.0.0.10", 102))
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)  # so a truncated packet meets the end of the stream
                try:
                    assert sock.recv(100) == b""  # closed, with no answer
                except ConnectionResetError:
                    pass  # closed with our bytes unread: also closed
        errors = lab.mtas["EXA"].errors
        assert len(errors) == len(MALFORMED)
        assert all("protocol error" in e and "connection closed" in e for e in errors)
        assert "truncated" in errors[0] and "version" in errors[1] and "unknown TPDU code 0xF0" in errors[3]
        # ... and still serves a well-formed association.
        after = lab.send(s.connector("EXCLUS"))
        assert (after.source, after.outcome, after.tag) == ("10.0.1.11", "refused", "DR 136")
        assert lab.send(s.connector("EXA")).outcome == "accepted"


@needs_root
def test_references_wrap_after_65535_connections(prefix: str) -> None:
    """The third attack's 100,000 messages: the MTA's 65,536th reference raised in its thread."""
    s = load_scenario("kb-q169113")
    with LiveLab(s, prefix=prefix, record=True) as lab:
        lab.follow(World.initial(s))
        # Start the caller three references short of the 16-bit limit and each MTA one short, as
        # 65,532 and 65,534 earlier connections would leave them.
        lab._ref = 0xFFFC
        lab.mtas["EXA"]._ref = lab.mtas["EXCLUS"]._ref = 0xFFFE
        seen = [lab.send(s.connector(server)) for server in ("EXCLUS", "EXA", "EXCLUS", "EXA")]
        assert [o.tag for o in seen] == ["DR 136", "CC", "DR 136", "CC"]
        assert all(not m.errors for m in lab.mtas.values())
        capture = lab.capture
    assert capture is not None
    from scapy.layers.inet import TCP
    from scapy.layers.l2 import Ether

    segments = [bytes(Ether(data)[TCP].payload) for _, data in capture.stop() if TCP in Ether(data)]
    tpdus = [rfc1006.decode(b) for b in segments if b]
    assert [t.src_ref for t in tpdus if isinstance(t, rfc1006.ConnectRequest)] == [0xFFFD, 0xFFFE, 0xFFFF, 1]
    answers = [
        t
        for t in tpdus
        if isinstance(t, rfc1006.ConnectConfirm) or (isinstance(t, rfc1006.DisconnectRequest) and t.reason == 136)
    ]
    assert [t.src_ref for t in answers] == [0xFFFF, 0xFFFF, 1, 1]


# --- the live capture ---------------------------------------------------------------------------


@needs_root
@pytest.mark.parametrize("name", ["kb-q169113", "workaround"])
def test_the_live_capture_holds_the_kernels_syns(name: str, prefix: str, tmp_path: Path) -> None:
    """Every attempt the kernel made is in the capture: a SYN to port 102 from the source the comparison reports."""
    from scapy.layers.inet import IP, TCP
    from scapy.utils import rdpcap

    from xcon_teach.live.sniff import pcap_of

    report = compare(load_scenario(name), prefix=prefix, record=True)
    path = tmp_path / "live.pcap"
    path.write_bytes(pcap_of(list(report.frames)))
    syns = [(f[IP].src, f[IP].dst) for f in rdpcap(str(path)) if TCP in f and f[TCP].dport == 102 and f[TCP].flags == "S"]
    sent = [(r.kernel.source, r.kernel.destination) for r in report.rows if r.kernel.tag not in ("", "not sent", "EADDRNOTAVAIL")]
    assert sent and all(pair in syns for pair in sent), (sent, syns)
    cluster_source = "10.0.1.11" if name == "kb-q169113" else "10.0.1.20"  # the node's IP; under S the workaround binds the VIP
    assert (cluster_source, "10.0.0.10") in syns
    if shutil.which("tshark"):
        text = subprocess.run(["tshark", "-r", str(path)], capture_output=True, text=True, check=True).stdout
        assert "CR TPDU" in text and ("DR TPDU" in text)


@needs_root
def test_live_pcap_bad_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "xcon_teach", "live", "--pcap", str(tmp_path / "x.txt")], capture_output=True, text=True
    )
    assert ran.returncode == 2 and len(ran.stderr.strip().splitlines()) == 1 and "--pcap" in ran.stderr
    assert list(tmp_path.iterdir()) == []


@needs_root
def test_cli_writes_the_live_capture(tmp_path: Path) -> None:
    out = io.StringIO()
    path = tmp_path / "live.pcap"
    assert cli.run(args(pcap=str(path)), out) == 0
    assert f"wrote {path}: " in out.getvalue() and path.stat().st_size > 24


# --- the command line ---------------------------------------------------------------------------


@needs_root
def test_cli_prints_the_table_and_exits_0() -> None:
    out = io.StringIO()
    assert cli.run(args(), out) == 0
    text = out.getvalue()
    assert "kernel source  kernel outcome" in text
    assert "EXCLUS->EXA  WOLFPACK=NODE1  10.0.1.11      refused (DR 136)" in text
    assert "EADDRNOTAVAIL check: WOLFPACK failed over to NODE2; bind(10.0.1.20) on NODE1: kernel [Errno 99]" in text
    assert "Not compared: name services" in text
    assert ours(netns.STEM + f"{os.getpid()}-") == []


@needs_root
def test_cli_json() -> None:
    out = io.StringIO()
    assert cli.run(args("wrong-fix", json=True), out) == 0
    data = json.loads(out.getvalue())
    assert data["agree"] is True
    assert [r["verdict"] for r in data["rows"]] == ["agree"] * 8
    assert data["bind_checks"][0]["kernel_errno"] == 99
    assert list(data)[:3] == ["title", "scenario", "prefix"]


@needs_root
def test_cleanup_removes_leftovers_of_killed_runs_only() -> None:
    dead = f"{netns.STEM}99999-beef-h-LEFTOVER"  # its marker names a process that is gone
    busy = f"{netns.STEM}{os.getppid()}-cafe-h-BUSY"  # its marker names a running process, with its start time
    decoy = f"{netns.STEM}decoy"  # not the lab's pattern, no marker: never ours
    stranger = f"{netns.STEM}77777-f00d-h-OTHER"  # the lab's pattern, but no marker: not made by the lab
    squatter = f"{netns.STEM}99999-beef-h-SQUAT"  # inside the dead run's prefix, but not a namespace it made
    netns.MARKERS.mkdir(parents=True, exist_ok=True)
    (netns.MARKERS / f"{netns.STEM}99999-beef").write_text(f"99999 1\n{dead}\n")
    (netns.MARKERS / f"{netns.STEM}{os.getppid()}-cafe").write_text(f"{os.getppid()} {netns._started(os.getppid())}\n{busy}\n")
    for name in (dead, busy, decoy, stranger, squatter):
        subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        out = io.StringIO()
        assert cli.run(args(cleanup=True), out) == 0
        assert f"removed {dead}" in out.getvalue()
        assert f"kept {busy}" in out.getvalue()
        left = netns.namespaces()
        assert dead not in left and busy in left and decoy in left and stranger in left and squatter in left
        assert squatter not in out.getvalue()
        assert not (netns.MARKERS / f"{netns.STEM}99999-beef").exists(), "the marker goes with its namespaces"
    finally:
        subprocess.run(
            ["ip", "-force", "-batch", "-"],
            input="".join(f"netns del {n}\n" for n in (dead, busy, decoy, stranger, squatter)),
            text=True,
        )
        for marker in (f"{netns.STEM}99999-beef", f"{netns.STEM}{os.getppid()}-cafe"):
            (netns.MARKERS / marker).unlink(missing_ok=True)


@needs_root
@pytest.mark.parametrize(
    "sig",
    [
        signal.SIGTERM,
        signal.SIGINT,
        signal.SIGHUP,
        signal.SIGQUIT,
        signal.SIGUSR1,
        signal.SIGALRM,
        signal.SIGXCPU,
        signal.SIGSTKFLT,
        signal.SIGIO,
        signal.SIGRTMIN + 1,
        signal.SIGRTMAX,
    ],
)
def test_a_signal_deletes_the_namespaces(sig: signal.Signals) -> None:
    with holding_namespaces() as (child, prefix):
        assert (netns.MARKERS / prefix).is_file(), "the run marks its namespaces as its own"
        child.send_signal(sig)
        assert child.wait(timeout=10) == 128 + sig
        assert ours(prefix) == [] and not (netns.MARKERS / prefix).exists()


@needs_root
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL])
def test_a_run_killed_by_a_signal_it_cannot_handle_is_cleaned_up_by_its_watcher(sig: signal.Signals) -> None:
    """SIGKILL cannot be caught, and the faults keep their default (a core dump): the third attack
    found their namespaces left behind. The run's watcher deletes them once the process is gone."""
    no_core = functools.partial(resource.setrlimit, resource.RLIMIT_CORE, (0, 0))  # a fault would leave a core file
    with holding_namespaces(preexec_fn=no_core) as (child, prefix):
        child.send_signal(sig)
        assert child.wait(timeout=10) == -sig  # died of it: nothing in the run handled it
        deadline = time.monotonic() + 10
        while (ours(prefix) or (netns.MARKERS / prefix).exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ours(prefix) == [] and not (netns.MARKERS / prefix).exists()


_HOLDER = textwrap.dedent(
    """
    import sys, time
    from xcon_teach import load_scenario
    from xcon_teach.live.compare import LiveLab
    from xcon_teach.live.netns import Interrupted
    from xcon_teach.sim.world import World
    s = load_scenario("kb-q169113")
    try:
        with LiveLab(s) as lab:
            lab.follow(World.initial(s))
            print(lab.network.prefix, flush=True)
            time.sleep(30)
    except Interrupted as exc:
        sys.exit(128 + exc.signum)
    """
)
"""A live lab of the reference scenario that prints its prefix and waits; a caught signal is its exit status."""


@contextmanager
def holding_namespaces(**popen: Any) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A child process running :data:`_HOLDER`, once its four namespaces exist, and their prefix."""
    child = subprocess.Popen([sys.executable, "-c", _HOLDER], stdout=subprocess.PIPE, text=True, **popen)
    try:
        assert child.stdout is not None
        prefix = child.stdout.readline().strip()
        assert len(ours(prefix)) == 4
        yield child, prefix
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@needs_root
def test_a_run_killed_while_it_creates_its_namespaces_leaves_none(tmp_path: Path) -> None:
    """The fourth attack: SIGKILL while `ip` was still adding 100 namespaces left 10-80 of them, and
    no marker for --cleanup: the watcher had cleaned up and gone while the orphaned `ip` went on."""
    kb = (Path(__file__).resolve().parents[1] / "xcon_teach" / "scenarios" / "kb-q169113.toml").read_text()
    hosts = "".join(f'[hosts.X{i}]\naddresses = ["10.0.0.{100 + i}"]\n' for i in range(100))
    path = tmp_path / "hosts100.toml"
    path.write_text(kb.replace("[clusters.WOLFPACK]", hosts + "[clusters.WOLFPACK]"))
    child = subprocess.Popen(
        [sys.executable, "-m", "xcon_teach", "live", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        stem = f"{netns.STEM}{child.pid}-"
        deadline = time.monotonic() + 20
        while not any(n.startswith(stem) for n in os.listdir("/run/netns")) and time.monotonic() < deadline:
            time.sleep(0.001)
        child.kill()  # as the first namespaces appear: `ip` is still adding the rest
        child.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and ([n for n in netns.namespaces() if n.startswith(stem)] or _marked(stem)):
            time.sleep(0.1)
        assert [n for n in netns.namespaces() if n.startswith(stem)] == [] and not _marked(stem)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        left = [n for n in netns.namespaces() if n.startswith(f"{netns.STEM}{child.pid}-")]
        if left:
            subprocess.run(["ip", "-force", "-batch", "-"], input="".join(f"netns del {n}\n" for n in left), text=True)


def _marked(stem: str) -> bool:
    return netns.MARKERS.is_dir() and any(m.name.startswith(stem) for m in netns.MARKERS.iterdir())


def test_non_root_is_refused_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    for a in (args(), args(cleanup=True)):
        with pytest.raises(UsageError) as caught:
            cli.run(a, io.StringIO())
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith("live: needs root")


def test_parser_defaults() -> None:
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["live"])
    assert (parsed.scenario, parsed.json, parsed.cleanup) == ("kb-q169113", False, False)
    assert parser.parse_args(["live", "wrong-fix", "--json"]).scenario == "wrong-fix"


def test_public_addresses_are_refused() -> None:
    from xcon_teach.live.netns import subnet_for

    with pytest.raises(UsageError, match="only private addresses"):
        subnet_for(["10.0.0.1", "145.245.193.27"])
    with pytest.raises(UsageError, match="one private block"):
        subnet_for(["10.0.0.1", "192.168.0.1"])
