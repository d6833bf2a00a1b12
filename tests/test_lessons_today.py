"""Lesson helpers of notebook 07: the recorded live table cannot go stale silently, and the toy
Linux source rule reproduces every measured case of KERNEL.md."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from xcon_teach import load_scenario
from xcon_teach.lessons import today
from xcon_teach.lessons.today import KERNEL_CASES, RECORDED_LIVE, RECORDED_SCENARIO

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("ip") is None,
    reason="the live lab needs root and iproute2: network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN",
)


# --- the recording ----------------------------------------------------------------------------


def test_the_recordings_model_side_is_what_simulate_predicts_today() -> None:
    """If the model changes what it predicts for kb-q169113, re-record the live table."""
    scenario = load_scenario(RECORDED_SCENARIO)
    assert tuple(r.model for r in today.recorded_rows()) == today.model_rows(scenario)
    assert today.recorded_events() == today.model_events(scenario)
    assert today.recording_is_current()


def test_the_recording_shows_the_bug_on_the_kernel_and_the_model_agreeing() -> None:
    rows = today.recorded_rows()
    assert [(r.phase, r.message) for r in rows] == [("A", "m1"), ("A", "m2"), ("B", "m1"), ("B", "m2")]
    assert all(r.verdict == "agree" and r.kernel_source == r.model_source for r in rows)
    # The node's own address on the wire, before and after the failover; the virtual IP never.
    assert [r.kernel_source for r in rows if r.route == "EXCLUS->EXA"] == ["10.0.1.11", "10.0.1.12"]
    assert "10.0.1.20" not in {r.kernel_source for r in rows}
    assert [e[3] for e in today.recorded_events()] == ["0A00010B", "4E4F444531", "0A00010C", "4E4F444532"]
    assert "[Errno 99] EADDRNOTAVAIL" in RECORDED_LIVE


def test_a_changed_model_would_be_noticed() -> None:
    """The staleness check compares real values: a scenario the recording was not made with differs."""
    fixed = load_scenario(RECORDED_SCENARIO).with_build("EXCLUS", "sp2").with_override("EXCLUS", "10.0.1.20")
    assert tuple(r.model for r in today.recorded_rows()) != today.model_rows(fixed)
    assert today.recorded_events() != today.model_events(fixed)


def test_the_recording_has_placeholders_and_no_run_specific_parts() -> None:
    assert today.recorded_live_table() == RECORDED_LIVE
    assert today.with_placeholders(RECORDED_LIVE) == RECORDED_LIVE
    assert f"({today.RUN_PLACEHOLDER}-*)" in RECORDED_LIVE
    assert RECORDED_LIVE.rstrip().endswith(f"({today.SECONDS_PLACEHOLDER} s)")


def test_placeholders_replace_only_the_prefix_and_the_run_time() -> None:
    text = "Kernel: 4 network namespaces (xct-4242-beef-*), one bridge\nsee 10.0.1.11 (1.5 s) here\nResult: ok (12.34 s)\n"
    assert today.with_placeholders(text) == (
        "Kernel: 4 network namespaces (xct-<run>-*), one bridge\nsee 10.0.1.11 (1.5 s) here\nResult: ok (<seconds> s)\n"
    )


def test_recorded_rows_refuses_text_without_a_table() -> None:
    with pytest.raises(ValueError, match="no live table"):
        today.recorded_rows("Live lab: nothing here\n")
    with pytest.raises(ValueError, match="9 columns"):
        today.recorded_rows("phase  msg  route\nA  m1  EXCLUS->EXA\n")


@needs_root
def test_a_live_run_today_prints_the_recording() -> None:
    """The real kernel, now: the same text as the recording, once the placeholders are in."""
    from xcon_teach.live import compare

    report = compare(load_scenario(RECORDED_SCENARIO))
    assert today.with_placeholders(report.to_text()) == RECORDED_LIVE


def test_why_not_live_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(os, "geteuid") or os.uname().sysname != "Linux":
        assert "not Linux" in (today.why_not_live() or "")
        return
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "needs root" in (today.why_not_live() or "")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert "`ip` command" in (today.why_not_live() or "")
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/sbin/ip")
    assert today.why_not_live() is None


# --- the toy Linux rule -----------------------------------------------------------------------


@pytest.mark.parametrize("case", KERNEL_CASES, ids=[c.what for c in KERNEL_CASES])
def test_the_rule_reproduces_each_measured_case(case: today.KernelCase) -> None:
    assert case.pick().shown == case.measured


def test_the_cases_table_shows_every_case_agreeing() -> None:
    table = today.kernel_cases_table()
    assert table.splitlines()[0].split() == ["case", "the", "rule", "says", "measured", "same?"]
    assert len(table.splitlines()) == len(KERNEL_CASES) + 1
    assert all(line.rstrip().endswith("yes") for line in table.splitlines()[1:])


def test_the_rule_explains_primary_and_secondary() -> None:
    pick = today.linux_source(["10.55.0.11/24", "10.55.0.100/24"], "10.55.0.1")
    assert pick.address == "10.55.0.11" and pick.error is None
    assert "10.55.0.100 is secondary" in pick.why
    assert str(pick).startswith("10.55.0.11: ")


def test_the_rule_refuses_what_the_kernel_refuses() -> None:
    refused = today.linux_source(["10.55.0.11/24"], "10.55.0.1", route_src="10.55.0.100")
    assert (refused.address, refused.error) == (None, "route refused")
    unreachable = today.linux_source(["10.55.0.11/24"], "192.0.2.1")
    assert (unreachable.address, unreachable.error) == (None, "ENETUNREACH")
    only_host_route = today.linux_source(["10.55.0.100/32"], "10.55.0.1")
    assert only_host_route.error == "ENETUNREACH"


def test_the_longest_prefix_wins() -> None:
    pick = today.linux_source(["10.55.0.11/16", "10.55.0.100/24"], "10.55.0.1")
    assert pick.address == "10.55.0.100"


def test_ipv6_is_not_modelled() -> None:
    with pytest.raises(ValueError, match="only IPv4"):
        today.linux_source(["2001:db8::11/64"], "2001:db8::1")


def test_importing_the_helper_stays_light() -> None:
    code = (
        "import sys, xcon_teach.lessons.today as t; t.recording_is_current(); "
        "print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
