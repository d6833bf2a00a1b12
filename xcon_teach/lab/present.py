"""Presenter mode: the lab for a projector (Voila: code hidden, large fonts, fits 1280x720).

``python3 run.py present [SCENARIO]`` serves ``presenter/lab.ipynb`` with Voila; that notebook
calls :func:`presenter_lab`, which picks the scenario from the ``?scenario=`` query string or the
``XCON_SCENARIO`` environment variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import parse_qs

from .widget import Lab

__all__ = ["PRESENTER_CSS", "presenter_lab", "requested_scenario"]

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


def requested_scenario(environ: Mapping[str, str] | None = None) -> str:
    """The scenario a presenter asked for: ``?scenario=NAME`` (Voila passes the query string), else
    ``XCON_SCENARIO``, else the reference scenario."""
    env = os.environ if environ is None else environ
    query = parse_qs(env.get("QUERY_STRING", ""))
    return (query.get("scenario") or [""])[0] or env.get("XCON_SCENARIO", "") or DEFAULT


def presenter_lab(scenario: str | None = None) -> Lab:
    """A lab styled for a projector: bigger fonts, the picture and panels side by side."""
    lab = Lab(scenario or requested_scenario(), presenter=True)
    return lab
