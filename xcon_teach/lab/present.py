"""Presenter mode: the lab for a projector (Voila: code hidden, large fonts, fits 1280x720).

``python3 run.py present [SCENARIO]`` serves ``presenter/lab.ipynb`` with Voila; that notebook
calls :func:`presenter_lab`, which picks the scenario from the ``?scenario=`` query string or the
``XCON_SCENARIO`` environment variable. The presenter's arrangement of the lab is
:func:`presenter_layout`, here and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as w

from .widget import Lab

__all__ = ["PRESENTER_CSS", "presenter_lab", "presenter_layout", "requested_scenario"]

DEFAULT = "kb-q169113"

PRESENTER_CSS = """
<style>
.xcon-presenter { font-size: 18px; max-width: 1270px; }
.xcon-presenter .widget-toggle-button { width: auto !important; min-width: 120px; padding: 0 8px; }
.xcon-presenter .widget-image { max-width: 100% !important; min-width: 0 !important; }
.xcon-presenter .widget-label, .xcon-presenter .widget-button, .xcon-presenter .widget-toggle-button,
.xcon-presenter .widget-dropdown select, .xcon-presenter input, .xcon-presenter .lm-TabBar-tabLabel { font-size: 16px !important; }
.xcon-presenter .widget-html-content div { font-size: 17px !important; line-height: 1.35; }
.xcon-presenter .widget-button, .xcon-presenter .widget-toggle-button { height: 34px; }
.xcon-presenter .widget-button { min-width: 48px; }
</style>
"""


def presenter_layout(lab: Lab) -> list[Any]:
    """One 1280x720 screen: picture and playback on the left, narration and settings on the right."""
    lab.widget.add_class("xcon-presenter")
    left = w.VBox([lab.image, lab.playback], layout=w.Layout(width="62%"))
    right = w.VBox([lab.narration, lab.readout, lab.settings], layout=w.Layout(width="38%"))
    return [
        w.HTML(PRESENTER_CSS),
        w.HBox([lab.header, lab.status]),
        w.HBox([left, right], layout=w.Layout(width="100%", align_items="flex-start")),
        w.HBox([lab.events, lab.queues]),
        lab.extras,
    ]


def requested_scenario(environ: Mapping[str, str] | None = None) -> str:
    """The scenario a presenter asked for: ``?scenario=NAME`` (Voila passes the query string), else
    ``XCON_SCENARIO``, else the reference scenario."""
    env = os.environ if environ is None else environ
    query = parse_qs(env.get("QUERY_STRING", ""))
    return (query.get("scenario") or [""])[0] or env.get("XCON_SCENARIO", "") or DEFAULT


def presenter_lab(scenario: str | None = None) -> Lab:
    """A lab styled for a projector: bigger fonts, the picture and panels side by side."""
    return Lab(scenario or requested_scenario(), layout=presenter_layout)
