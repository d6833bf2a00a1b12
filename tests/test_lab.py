"""The classroom lab, driven from Python exactly as clicks drive it (set .value, call .click())."""

from __future__ import annotations

from pathlib import Path

import ipywidgets
import pytest

from xcon_teach import Lab, load_scenario
from xcon_teach.lab import logic
from xcon_teach.scenario import library

REFERENCE = library.text("kb-q169113")


def statuses(lab: Lab) -> list[str]:
    return [m.status for m in lab.trace.messages]


def go_to(lab: Lab, kind: str, sender: str | None = None) -> None:
    """Move the slider to the first frame whose step is ``kind`` (for ``sender``'s connection)."""
    lab.controls["every_step"].value = True
    for k, i in enumerate(lab.frame_steps):
        st = lab.trace.steps[i]
        if st.kind == kind and (sender is None or (st.connection and st.connection.sender == sender)):
            lab.controls["frame"].value = k + 1  # frames are numbered from 1
            return
    raise AssertionError(f"no {kind} step")


@pytest.fixture
def lab() -> Lab:
    return Lab("kb-q169113")


def test_the_kb_case_refuses(lab: Lab) -> None:
    assert statuses(lab) == ["ndr", "delivered"]
    go_to(lab, "refuse")
    texts = lab.picture.texts()  # type: ignore[union-attr]
    assert "✖ not found: refused" in texts and "on the wire: 10.0.1.11  ≠ claimed" in texts
    assert "EXA refuses the association" in lab.narration.value
    assert "4E4F444531 = &#x27;NODE1&#x27;" in lab.events.value or "4E4F444531 = 'NODE1'" in lab.events.value


def test_remote_host_name_on_exa_makes_mail_flow_only_under_hypothesis_r(lab: Lab) -> None:
    lab.controls["stack:EXA"].value = "hostname"
    assert lab.scenario.connector("EXA").stack == "hostname"
    assert lab.controls["address:EXA"].value == "EXCLUS" == lab.scenario.connector("EXA").address
    assert statuses(lab) == ["ndr", "delivered"]  # hypothesis S: node status names NODE1 only
    lab.controls["hypothesis"].value = "receiver"
    assert lab.scenario.hostname_stack == "receiver" and statuses(lab) == ["delivered", "delivered"]
    go_to(lab, "accept", sender="EXCLUS")
    assert "✔ association accepted" in lab.picture.texts()  # type: ignore[union-attr]


def test_the_workaround_on_both_servers_works_under_both_hypotheses_and_after_failover(lab: Lab) -> None:
    lab.controls["stack:EXA"].value = "hostname"
    lab.controls["stack:EXCLUS"].value = "hostname"
    assert lab.controls["address:EXCLUS"].value == "EXA"
    for hypothesis, wire in (("sender", "10.0.1.20"), ("receiver", "10.0.1.12")):
        lab.controls["hypothesis"].value = hypothesis
        lab.controls["failover:WOLFPACK"].click()
        assert statuses(lab) == ["delivered", "delivered"]
        if lab.scenario.cluster("WOLFPACK").active == "NODE2":
            assert lab.trace.message("m1").presented_address == wire
    assert lab.scenario.cluster("WOLFPACK").active == "NODE1" == lab.controls["active:WOLFPACK"].value


def test_failing_over_keeps_the_workaround_flowing(lab: Lab) -> None:
    lab.controls["hypothesis"].value = "receiver"
    lab.controls["stack:EXA"].value = "hostname"
    lab.controls["failover:WOLFPACK"].click()
    assert lab.scenario.cluster("WOLFPACK").active == "NODE2" == lab.controls["active:WOLFPACK"].value
    assert statuses(lab) == ["delivered", "delivered"]
    assert lab.trace.message("m1").presented_address == "10.0.1.12"
    go_to(lab, "caller", sender="EXCLUS")
    assert "NODE2 (active)\n10.0.1.12\n+ VIP 10.0.1.20" in lab.picture.texts()  # type: ignore[union-attr]


def test_pointing_exa_at_the_node_ip_works_until_a_failover(lab: Lab) -> None:
    lab.controls["address:EXA"].value = "10.0.1.11"
    assert statuses(lab) == ["delivered", "delivered"]
    lab.controls["failover:WOLFPACK"].click()
    assert statuses(lab) == ["ndr", "ndr"]
    go_to(lab, "connect", sender="EXA")
    assert "SYN ✖ reset: no MTA\n10.0.0.10 → 10.0.1.11" in lab.picture.texts()  # type: ignore[union-attr]


@pytest.mark.parametrize(("key", "value"), [("fix:EXCLUS", True), ("build:EXCLUS", "sp1"), ("build:EXCLUS", "sp2")])
def test_the_fix_makes_the_ip_stack_work(lab: Lab, key: str, value: object) -> None:
    lab.controls[key].value = value
    assert statuses(lab) == ["delivered", "delivered"]
    assert lab.trace.message("m1").presented_address == "10.0.1.20"


def test_the_override_needs_build_2431(lab: Lab) -> None:
    lab.controls["override:EXCLUS"].value = "10.0.1.20"
    assert statuses(lab) == ["ndr", "delivered"]  # RTM does not read it
    lab.controls["build:EXCLUS"].value = 2431
    assert lab.controls["build:EXCLUS"].value == 2431 and statuses(lab) == ["delivered", "delivered"]
    assert lab.trace.attempts("EXCLUS->EXA")[0].connection.source_rule == "override"


def test_build_change_updates_the_fix_box(lab: Lab) -> None:
    lab.controls["build:EXCLUS"].value = "sp3"
    assert lab.controls["fix:EXCLUS"].value is True
    lab.controls["fix:EXCLUS"].value = False
    assert statuses(lab) == ["ndr", "delivered"]
    assert lab.scenario.server("EXCLUS").q169113_fix is False


def test_name_service_controls_break_the_workaround(lab: Lab) -> None:
    lab.controls["hypothesis"].value = "receiver"
    lab.controls["stack:EXA"].value = "hostname"
    lab.controls["ptr:NODE1"].value = True
    assert dict(lab.scenario.names.ptr) == {"10.0.1.11": "NODE1"} and statuses(lab)[0] == "ndr"
    lab.controls["ptr:NODE1"].value = False
    assert statuses(lab)[0] == "delivered"
    lab.controls["netbios"].value = False
    assert statuses(lab)[0] == "ndr"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("address:EXA", "10.0.1.300", "not a valid IPv4 address"),
        ("override:EXCLUS", "VIP", "not a valid IPv4 address"),
        ("address:EXA", "", "must not be empty"),
    ],
)
def test_bad_input_shows_a_message_and_changes_nothing(lab: Lab, key: str, value: str, message: str) -> None:
    lab.controls["frame"].value = 5
    scenario, trace, figure, png = lab.scenario, lab.trace, lab.figure, lab.image.value
    lab.controls[key].value = value
    assert lab.scenario is scenario and lab.trace is trace and lab.figure is figure and lab.image.value == png
    assert message in lab._field_errors[key].value
    assert "Traceback" not in lab.status.value and "kept its last good settings" in lab.status.value
    # a good value afterwards clears the message and applies
    lab.controls[key].value = "10.0.1.21"
    assert lab._field_errors[key].value == "" and lab.scenario is not scenario
    # and typing back what the scenario holds clears the message without a re-run
    lab.controls[key].value = "10.0.1.300"
    lab.controls[key].value = "10.0.1.21"
    assert lab._field_errors[key].value == "" and lab.status.value == ""


def test_host_name_with_spaces_is_refused(lab: Lab) -> None:
    lab.controls["stack:EXA"].value = "hostname"
    before = lab.scenario
    lab.controls["address:EXA"].value = "EX CLUS"
    assert "a name cannot contain spaces" in lab._field_errors["address:EXA"].value and lab.scenario is before


def test_a_callback_error_is_shown_in_the_lab_not_lost(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    import xcon_teach.lab.widget as widget

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(widget, "simulate", broken)
    before = lab.scenario
    lab.controls["netbios"].value = False
    assert "Something went wrong" in lab.status.value and "disk on fire" in lab.status.value
    assert lab.scenario is before


def test_playback_controls(lab: Lab) -> None:
    frame, play = lab.controls["frame"], lab.controls["play"]
    assert frame.min == play.min == 1 and frame.max == play.max == len(lab.frame_steps) and frame.value == 1
    lab.controls["step_forward"].click()
    lab.controls["step_forward"].click()
    lab.controls["step_back"].click()
    assert frame.value == 2
    lab.controls["next_event"].click()
    assert lab.trace.steps[lab.frame_steps[frame.value - 1]].kind in logic.INTERESTING
    here = frame.value
    lab.controls["next_event"].click()
    lab.controls["prev_event"].click()
    assert frame.value == here
    lab.controls["every_step"].value = True
    assert frame.max == len(lab.trace.steps)
    assert lab.trace.steps[lab.frame_steps[frame.value - 1]].kind in logic.INTERESTING  # same step kept
    lab.controls["speed"].value = 500
    assert lab.controls["speed"].value == 500


def test_scrubbing_does_not_resimulate(lab: Lab) -> None:
    trace = lab.trace
    for k in range(1, lab.controls["frame"].max + 1):
        lab.controls["frame"].value = k
    assert lab.trace is trace


def test_scenario_picker_and_reset(lab: Lab) -> None:
    lab.controls["scenario"].value = "both-clustered"
    assert lab.scenario.title == "Both servers clustered" and "stack:EXCLA" in lab.controls and "active:REDPACK" in lab.controls
    lab.controls["stack:EXCLA"].value = "hostname"
    lab.controls["stack:EXCLUS"].value = "hostname"
    assert statuses(lab) == ["delivered", "delivered"]
    lab.controls["reset"].click()
    assert lab.scenario == load_scenario("both-clustered") and statuses(lab) == ["ndr", "ndr"]


def test_predict_then_reveal(lab: Lab) -> None:
    assert lab.controls["predict:address"].options[1:] == (
        ("10.0.1.11", "10.0.1.11"),
        ("10.0.1.12", "10.0.1.12"),
        ("10.0.1.20", "10.0.1.20"),
    )
    lab.controls["predict:address"].value = "10.0.1.20"
    lab.controls["predict:found"].value = True
    lab.controls["predict:check"].click()
    assert "Not quite" in lab.prediction.value and "EXA sees 10.0.1.11" in lab.prediction.value
    lab.controls["predict:address"].value = "10.0.1.11"
    lab.controls["predict:found"].value = False
    lab.controls["predict:check"].click()
    assert "Right" in lab.prediction.value and "finds no connector" in lab.prediction.value
    lab.controls["stack:EXA"].value = "hostname"
    assert lab.prediction.value == ""  # a new configuration asks again


def test_compare_with_a_kept_run(lab: Lab) -> None:
    lab.controls["compare:keep"].click()
    assert "The two runs are the same." in lab.comparison.value
    lab.controls["stack:EXCLUS"].value = "hostname"
    assert "first difference at step" in lab.comparison.value
    assert "before: m1 ndr; m2 delivered" in lab.comparison.value and "now: m1 delivered; m2 delivered" in lab.comparison.value
    lab.controls["compare:jump"].click()
    assert lab.controls["every_step"].value and lab.frame_steps[lab.controls["frame"].value - 1] == lab._difference.index  # type: ignore[union-attr]


def test_rapid_changes_leave_the_lab_consistent_and_reuse_the_figure(lab: Lab) -> None:
    figure = lab.figure
    for i in range(60):
        lab.controls["stack:EXA" if i % 3 else "stack:EXCLUS"].value = "hostname" if i % 2 else "ip"
    assert lab.figure is figure
    assert lab.scenario.connector("EXA").stack == lab.controls["stack:EXA"].value
    assert lab.scenario.connector("EXCLUS").stack == lab.controls["stack:EXCLUS"].value
    assert statuses(lab) == [m.status for m in __import__("xcon_teach").simulate(lab.scenario).messages]


def test_static_snapshot_for_places_without_a_kernel(lab: Lab) -> None:
    html = lab.static_html()
    assert "data:image/png;base64," in html and "xcon-static" in html and "alt=" in html
    # the decisive frame (the first refusal), not the empty first one, and the live frame is left as it was
    assert "EXA refuses the association" in html and "on the wire: 10.0.1.11" in html
    assert lab.portrayal.index == lab.frame_steps[lab.controls["frame"].value - 1]


def test_works_with_any_scenario_not_just_the_reference() -> None:
    from xcon_teach import loads_scenario

    from .test_draw import THREE_SERVERS

    lab = Lab(loads_scenario(THREE_SERVERS))
    assert {"stack:HUB", "stack:HUB->V1", "stack:V1", "stack:V2", "active:C1", "active:C2"} <= set(lab.controls)
    lab.controls["stack:V1"].value = "hostname"
    assert lab.scenario.connector("V1").address == "HUB"


# --- found by an independent review of the first version -------------------------------------


def test_lab_picture_shows_the_name_service_it_simulates() -> None:
    lab = Lab("kb-q169113")
    lab.controls["netbios"].value = False
    lab.controls["ptr:NODE1"].value = True
    texts = lab.picture.texts()  # type: ignore[union-attr]
    assert "DNS server\nPTR: 1" in texts and "WINS server\nNetBIOS off" in texts


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
    assert lab.controls["frame"].value == 5 and lab.portrayal.index == lab.frame_steps[4]
    lab.controls["step_forward"].click()
    assert lab.controls["play"].value == lab.controls["frame"].value == 6


def test_a_kept_run_is_forgotten_when_the_scenario_changes() -> None:
    lab = Lab("kb-q169113")
    lab.controls["compare:keep"].click()
    lab.controls["scenario"].value = "baseline"
    assert lab.before is None and "Keep a run" in lab.comparison.value


def test_keeping_a_long_run_compares_its_rounds_not_its_every_step() -> None:
    """The third attack: "Compare with a kept run" on 5,000 messages a day apart blocked for 95 s,
    reading all 12 million steps of both runs. Now identical rounds are compared by their times."""
    from xcon_teach.scenario import Message

    from .test_compact import count_expansions

    base = load_scenario("kb-q169113")
    c = base.connectors[1]
    s = base.replace(
        messages=tuple(Message(at=i * 86400.0, sender=c.server, recipient=c.remote) for i in range(40)),
        actions=(),
        until=40 * 86400.0 + 90000,
    )
    lab = Lab(s)
    with count_expansions() as made:
        lab.controls["compare:keep"].click()
    assert "The two runs are the same." in lab.comparison.value
    assert "40 messages: 40 ndr" in lab.comparison.value  # counted, not listed one by one
    assert len(made) < 100, len(made)  # 40 x 141 repetitions, none of them expanded to compare
    lab.controls["build:EXCLUS"].value = "sp1"
    assert "first difference at step" in lab.comparison.value


def test_checking_an_empty_prediction_asks_for_one() -> None:
    lab = Lab("kb-q169113")
    lab.controls["predict:check"].click()
    assert "Choose an address or an answer first" in lab.prediction.value and "Not quite" not in lab.prediction.value


# -- hardening (issue 16) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("build:EXA", "sp9"),
        ("stack:EXA", "tcp"),
        ("active:WOLFPACK", "EXA"),
        ("scenario", "no-such-scenario"),
        ("predict:address", "10.9.9.9"),
    ],
)
def test_a_value_that_is_not_a_choice_is_refused_in_the_lab_not_by_a_traceback(key: str, bad: str) -> None:
    lab = Lab("kb-q169113")
    before, good = lab.scenario, lab.controls[key].value
    lab.controls[key].value = bad  # no TraitError
    assert lab.controls[key].value == good and lab.scenario is before
    shown = {
        "scenario": lab.status.value,
        "predict:address": lab.prediction.value,
    }.get(key) or lab._field_errors[key].value
    assert "not one of the choices" in shown and "kept" in shown


@pytest.mark.parametrize(
    ("key", "bad", "why"),
    [
        ("netbios", None, "on or off only"),
        ("netbios", "yes", "on or off only"),
        ("ptr:NODE1", 1.5, "on or off only"),
        ("address:EXA", 5, "text only"),
        ("every_step", None, "on or off only"),
        ("frame", "x", "a whole number only"),
        ("speed", None, "a whole number only"),
        ("save:path", 5, "text only"),
        ("stack:EXA", None, "not one of the choices"),  # ipywidgets alone would empty the choice
        ("active:WOLFPACK", None, "not one of the choices"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_beside_the_field_not_by_a_traceback(key: str, bad: object, why: str) -> None:
    """Python can give a checkbox None or a text field a number (a browser cannot): issue 16."""
    lab = Lab("kb-q169113")
    before, good = lab.scenario, lab.controls[key].value
    lab.controls[key].value = bad  # no TraitError
    assert lab.controls[key].value == good and lab.scenario is before
    shown = lab._field_errors[key].value if key in lab._field_errors else lab.status.value
    assert why in shown and "kept" in shown
    other = {"stack:EXA": "hostname", "active:WOLFPACK": "NODE2", "address:EXA": "10.0.1.99"}
    lab.controls[key].value = other.get(key, not good if isinstance(good, bool) else good)
    assert key in ("frame", "speed", "every_step", "save:path") or lab.scenario is not before  # a good value still works


def test_widgets_closed_by_a_scenario_switch_no_longer_change_anything() -> None:
    lab = Lab("kb-q169113")
    old = dict(lab.controls)
    lab.controls["scenario"].value = "both-clustered"
    now = lab.scenario
    old["netbios"].value = False
    old["address:EXA->EXCLUS"].value = "10.0.1.99"
    old["reset"].click()
    assert lab.scenario is now and "Something went wrong" not in lab.status.value
