"""Regressions for problems an independent review found (each test names what went wrong)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ipywidgets
import pytest

from xcon_teach import Lab, load_scenario, loads_scenario, simulate
from xcon_teach.draw.export import storyboard_portrayals
from xcon_teach.draw.layout import Box, layout
from xcon_teach.draw.picture import Picture
from xcon_teach.scenario import library

REFERENCE = library.text("kb-q169113")


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xcon_teach", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_lab_picture_shows_the_name_service_it_simulates() -> None:
    lab = Lab("kb-q169113")
    lab.controls["netbios"].value = False
    lab.controls["ptr:NODE1"].value = True
    label = next(t for t in lab.picture.texts() if t.startswith("name service"))  # type: ignore[union-attr]
    assert "(NetBIOS off)" in label and "PTR 10.0.1.11=NODE1" in label


def test_four_letter_names_decode_as_names_not_ips() -> None:
    trace = simulate(loads_scenario(REFERENCE.replace("NODE1", "NOD1").replace("NODE2", "NOD2")))
    names = [e for e in trace.event_log if e.network_address == "4E4F4431"]
    assert names and names[0].decoded == "'NOD1'"
    refused = next(p for p in storyboard_portrayals(trace) if p.kind == "refuse")
    assert "00:00:00   4E4F4431 = 'NOD1'" in refused.event_lines


def test_a_cluster_without_exchange_is_not_called_passive() -> None:
    text = REFERENCE.replace('[servers.EXCLUS]\nsite = "SITEB"\nhost = "EXCLUS"\nbuild = "sp1"\n', "")
    text = text.split('[[connectors]]\nserver = "EXCLUS"')[0] + "\n[names]\n" + text.split("[names]\n", 1)[1]
    text = text.split("[[messages]]")[0] + '[[messages]]\nat = 0\nfrom = "EXA"\nto = "EXCLUS"\n'
    text = text.replace('remote = "EXCLUS"', 'remote = "EXB"').replace('to = "EXCLUS"', 'to = "EXB"')
    text += '[hosts.EXB]\naddresses = ["10.0.2.10"]\n[servers.EXB]\nsite = "SITEC"\nhost = "EXB"\n'
    trace = simulate(loads_scenario(text))
    connect = next(s for s in trace.steps if s.kind == "connect")
    assert "no Exchange server runs on NODE1" in connect.text and "passive" not in connect.text


def test_bad_values_with_newlines_or_long_text_stay_on_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(REFERENCE.replace("description =", "descripton ="))
    result = cli("run", str(bad))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and "descripton: unknown key" in result.stderr
    bad.write_text(REFERENCE.replace('title = "KB', 'title = "a\\nb KB'))
    result = cli("run", str(bad))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and 'got "a\\nb KB' in result.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1"])
def test_export_refuses_a_non_finite_or_non_positive_frame_time(tmp_path: Path, value: str) -> None:
    result = cli("export", "kb-q169113", "-o", str(tmp_path / "x.gif"), "--seconds-per-frame", value)
    assert result.returncode == 2 and "--seconds-per-frame" in result.stderr and "Traceback" not in result.stderr


def test_frame_is_only_for_png(tmp_path: Path) -> None:
    result = cli("export", "kb-q169113", "-o", str(tmp_path / "x.gif"), "--frame", "3")
    assert result.returncode == 2 and "--frame" in result.stderr


def test_builtin_name_with_toml_suffix_gets_a_hint(tmp_path: Path) -> None:
    result = cli("run", "kb-q169113.toml", cwd=tmp_path)
    assert result.returncode == 2 and "the built-in scenario is called kb-q169113" in result.stderr


def test_a_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + REFERENCE.encode())
    assert load_scenario(path).title.startswith("KB Q169113")


def test_minus_zero_until_gives_the_same_bytes_as_zero() -> None:
    assert cli("run", "kb-q169113", "--json", "--until", "-0").stdout == cli("run", "kb-q169113", "--json", "--until", "0").stdout


def test_reset_and_picking_scenarios_leave_no_widgets_behind() -> None:
    lab = Lab("kb-q169113")
    instances = ipywidgets.widgets.widget._instances
    lab.controls["reset"].click()
    before = len(instances)
    for _ in range(10):
        lab.controls["reset"].click()
    lab.controls["scenario"].value = "baseline"
    lab.controls["scenario"].value = "kb-q169113"
    assert len(instances) <= before, (before, len(instances))


def test_the_labs_own_scenario_stays_reachable_from_the_picker(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(REFERENCE.replace('title = "KB Q169113: X.400 over TCP/IP with a clustered server"', 'title = "Mine"'))
    lab = Lab(mine)
    assert lab.controls["scenario"].value == ""
    lab.controls["scenario"].value = "baseline"
    assert lab.scenario.title.startswith("Baseline")
    lab.controls["scenario"].value = ""
    assert lab.scenario.title == "Mine"


def test_no_stale_message_after_a_field_is_refilled() -> None:
    lab = Lab("kb-q169113")
    lab.controls["address:EXA"].value = "10.0.1.300"
    assert "not a valid IPv4 address" in lab._field_errors["address:EXA"].value
    lab.controls["stack:EXA"].value = "hostname"
    assert lab.controls["address:EXA"].value == "EXCLUS" and lab._field_errors["address:EXA"].value == ""


def test_play_set_from_python_moves_the_picture() -> None:
    lab = Lab("kb-q169113")
    lab.controls["play"].value = 5
    assert lab.controls["frame"].value == 5 and lab.portrayal.index == lab.frame_steps[5]
    lab.controls["step_forward"].click()
    assert lab.controls["play"].value == lab.controls["frame"].value == 6


def test_a_kept_run_is_forgotten_when_the_scenario_changes() -> None:
    lab = Lab("kb-q169113")
    lab.controls["compare:keep"].click()
    lab.controls["scenario"].value = "baseline"
    assert lab.before is None and "Keep a run" in lab.comparison.value


def test_checking_an_empty_prediction_asks_for_one() -> None:
    lab = Lab("kb-q169113")
    lab.controls["predict:check"].click()
    assert "Choose an address or an answer first" in lab.prediction.value and "Not quite" not in lab.prediction.value


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
    lay = layout(loads_scenario(TWO_IN_ONE_SITE), Box(10, 170, 815, 495))
    boxes = lay.all_boxes()
    assert all(not a.overlaps(b) for i, (_, a) in enumerate(boxes) for _, b in boxes[i + 1 :])
    assert lay.hosts["EXA"].y == lay.hosts["NDA1"].y and lay.hosts["EXA"].x + lay.hosts["EXA"].w < lay.hosts["NDA1"].x


def test_single_site_firewall_stands_outside_the_boxes() -> None:
    s = loads_scenario(TWO_IN_ONE_SITE + '[firewall]\nallow_sources = ["10.0.0.20"]\n')
    lay = layout(s, Box(10, 170, 815, 495))
    assert lay.firewall is not None and all(not lay.firewall.overlaps(b) for _, b in lay.all_boxes())
    assert lay.firewall.x + lay.firewall.w <= lay.sites[0].box.x


def test_server_name_different_from_its_host_is_shown() -> None:
    text = REFERENCE.replace("[servers.EXA]\nsite", "[servers.MAILA]\nsite").replace('server = "EXA"', 'server = "MAILA"')
    text = (
        text.replace('remote = "EXA"', 'remote = "MAILA"')
        .replace('to = "EXA"', 'to = "MAILA"')
        .replace('from = "EXA"', 'from = "MAILA"')
    )
    pic = Picture(loads_scenario(text))
    assert "MAILA (EXA)\n10.0.0.10" in pic.texts()
