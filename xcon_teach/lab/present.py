"""Presenter mode: the lab for a projector (Voila: code hidden, large fonts, one screen).

``python3 run.py present [SCENARIO]`` serves ``presenter/lab.ipynb`` with Voila; that notebook
calls :func:`presenter_lab`, which picks the scenario from the ``?scenario=`` query string or the
``XCON_SCENARIO`` environment variable. The presenter's arrangement of the lab is
:func:`presenter_layout`, here and nowhere else: at 1280x720 the picture (at its own size, so its
smallest text stays 14 px), the playback row, the narration, claimed vs on the wire, the Event
Viewer, the queues and the settings (a connector's Stack tab in one row) are all on the screen at
once, each panel at a fixed height so that nothing moves when values change; on a wider screen
the picture grows with the width. A scenario that cannot be loaded shows its one-line error on the
page instead of a failed cell.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as w

from ..errors import XconError
from .widget import Lab

__all__ = ["PRESENTER_CSS", "presenter_lab", "presenter_layout", "requested_scenario"]

DEFAULT = "kb-q169113"

PRESENTER_CSS = """
<style>
.xcon-presenter { font-size: 16px; width: 100%; box-sizing: border-box; }
.xcon-presenter .xcon-title { font-size: 18px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.xcon-presenter .xcon-left { flex: 0 0 70%; max-width: 70%; }
.xcon-presenter .xcon-right { flex: 1 1 30%; min-width: 0; }
.xcon-presenter .xcon-picture { width: 100% !important; max-width: none !important; min-width: 0 !important; height: auto; }
.xcon-presenter .xcon-panel { overflow: hidden; }
.xcon-presenter .lm-TabBar-tab, .xcon-presenter .jupyter-widget-Collapse-header { color: #111 !important; }
.xcon-presenter .xcon-playback { flex-wrap: nowrap !important; }
.xcon-presenter .xcon-playback .widget-button { min-width: 36px !important; width: 36px !important; }
.xcon-presenter .xcon-playback .xcon-frame { width: 270px !important; min-width: 0 !important; }
.xcon-presenter .xcon-playback .xcon-speed { width: 220px !important; min-width: 0 !important; }
.xcon-presenter .xcon-playback .widget-hslider .widget-label { width: 60px !important; }
.xcon-presenter .xcon-playback .widget-checkbox { width: auto !important; }
.xcon-presenter .xcon-panel .widget-html-content div, .xcon-presenter .xcon-panel td, .xcon-presenter .xcon-panel li { font-size: 15px !important; line-height: 1.3; }
.xcon-presenter .xcon-panel div[role=status] { font-size: 16px !important; }
.xcon-presenter .xcon-panel td { padding-top: 0; padding-bottom: 0; }
.xcon-presenter .xcon-connector { flex-direction: row !important; flex-wrap: nowrap; align-items: center; }
.xcon-presenter .xcon-connector > .widget-hbox { margin-right: 12px; }
.xcon-presenter .widget-toggle-button { width: auto !important; min-width: 110px; padding: 0 8px; }
.xcon-presenter .widget-label, .xcon-presenter .widget-button, .xcon-presenter .widget-toggle-button,
.xcon-presenter .widget-dropdown select, .xcon-presenter input, .xcon-presenter .lm-TabBar-tabLabel { font-size: 15px !important; }
.xcon-presenter .widget-button, .xcon-presenter .widget-toggle-button { height: 32px; }
.xcon-presenter .widget-button { min-width: 44px; }
.xcon-presenter .xcon-settings .widget-tab-contents, .xcon-presenter .xcon-settings .lm-TabPanel-stackedPanel { height: 96px; overflow-y: auto; }
@media (min-width: 1600px) { .xcon-presenter .xcon-panel .widget-html-content div, .xcon-presenter .xcon-panel td, .xcon-presenter .xcon-panel li { font-size: 18px !important; } }
</style>
"""


def _panel(widget: w.Widget, height: str) -> w.Widget:
    widget.layout.height = height
    widget.add_class("xcon-panel")
    return widget


def presenter_layout(lab: Lab) -> list[Any]:
    """One 1280x720 screen: the picture and playback on the left, the panels on the right, the settings below."""
    lab.widget.add_class("xcon-presenter")
    lab.image.add_class("xcon-picture")
    lab.settings.add_class("xcon-settings")
    # On the projector: pick and reset only (saving a hand-in is the student's lab, not the class's screen).
    lab.header.children = [lab.controls[k] for k in ("scenario", "reset") if k in lab.controls]
    if "scenario" in lab.controls:
        lab.controls["scenario"].layout.width = "340px"
    heading = f"Ticket: {lab.challenge.title}" if lab.challenge else lab.scenario.title
    title = w.HTML(f"<div class='xcon-title'><b>{escape(heading)}</b></div>", layout=w.Layout(width="40%"))
    right = w.VBox(
        [
            _panel(lab.narration, "124px"),
            _panel(lab.readout, "116px"),
            _panel(lab.events, "128px"),
            _panel(lab.queues, "100px"),
        ],
        layout=w.Layout(width="30%"),
    )
    right.add_class("xcon-right")
    left = w.VBox([lab.image, lab.playback], layout=w.Layout(width="70%"))
    left.add_class("xcon-left")
    return [
        w.HTML(PRESENTER_CSS),
        w.HBox([lab.header, title, lab.status], layout=w.Layout(align_items="center")),
        w.HBox([left, right], layout=w.Layout(width="100%", align_items="flex-start")),
        lab.settings,
        lab.extras,
    ]


def requested_scenario(environ: Mapping[str, str] | None = None) -> str:
    """The scenario a presenter asked for: ``?scenario=NAME`` (Voila passes the query string), else
    ``XCON_SCENARIO``, else the reference scenario."""
    env = os.environ if environ is None else environ
    query = parse_qs(env.get("QUERY_STRING", ""))
    return (query.get("scenario") or [""])[0] or env.get("XCON_SCENARIO", "") or DEFAULT


def presenter_lab(scenario: str | None = None) -> Lab | w.Widget:
    """A lab styled for a projector, or, when the scenario cannot be loaded, its one-line error on the page."""
    wanted = scenario or requested_scenario()
    try:
        return Lab(wanted, layout=presenter_layout)
    except XconError as exc:
        message = escape(f"xcon-teach: {exc}")
        hint = "Fix the file (or pick a name from <code>xcon-teach list</code>) and reload the page."
        return w.HTML(
            f"<div role='alert' style='font-size:20px;color:#B34700;padding:16px'><b>{message}</b>"
            f"<div style='font-size:16px;color:#333;margin-top:8px'>{hint}</div></div>"
        )
