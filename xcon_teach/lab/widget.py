"""The classroom lab: ipywidgets that change the scenario, and a picture that replays the run.

``Lab(scenario_or_name)`` builds one set of controls for whatever scenario it holds (a Stack tab
per connector, the active node per cluster, build and fix per server, the name service), runs the
simulation on every change and shows the run frame by frame. The browser animates: Play is
linked to the frame slider with ``jslink``, so there are no Python threads or sleeps, and scrubbing
never re-simulates. Every callback is guarded: a bad value shows a message beside its field and
the lab keeps its last good scenario, trace and picture.

Setting a control's ``.value`` from Python does exactly what a click does, which is how the tests
and the notebooks drive it.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import contextlib
import copy
import functools
import gc
import os
import re
from collections.abc import Callable, Iterator, Sequence
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as w
import traitlets
from IPython.display import HTML, Javascript, display

from ..capture import Packet, packets
from ..capture.packets import MAX_PACKETS
from ..challenges import Challenge
from ..draw import TraceView, key_frame, portray, storyboard
from ..draw.picture import Picture
from ..errors import ScenarioError, UsageError, XconError, show_value
from ..files import output_path, write_whole
from ..scenario import Scenario, library, load_scenario
from ..sim import Trace, simulate
from . import logic, panels
from .controls import CONTROLS, Control, Memory, Target, targets_of

__all__ = ["Lab", "Layout", "classroom_layout"]

SPEEDS_MS = (200, 4000, 1500)  # Play interval: fastest, slowest, default
PACKETS_PANEL = 3
"""The packet list's place in the lab's accordion."""
PACKETS_TITLE = "Packets on the wire (Wireshark view)"

A11Y_JS = """
(function () {
  if (window.__xconA11y) { window.__xconA11y(); return; }
  const icons = {"fa-play": "Play", "fa-pause": "Pause", "fa-stop": "Stop", "fa-retweet": "Repeat", "fa-repeat": "Repeat"};
  function fix() {
    document.querySelectorAll(".xcon-lab").forEach(function (lab) {
      lab.querySelectorAll(".widget-play button").forEach(function (b) {
        const i = b.querySelector("i");
        const name = i ? Array.from(i.classList).map(function (c) { return icons[c]; }).find(Boolean) : null;
        if (b.getAttribute("aria-label") !== (name || "Playback")) b.setAttribute("aria-label", name || "Playback");
      });
      lab.querySelectorAll(".widget-slider").forEach(function (s) {
        const label = (s.querySelector(".widget-label") || {}).textContent || "slider";
        s.querySelectorAll("[role=slider]").forEach(function (h) { if (!h.getAttribute("aria-label")) h.setAttribute("aria-label", label.trim()); });
      });
      lab.querySelectorAll("button").forEach(function (b) {
        if (!b.getAttribute("aria-label") && !b.textContent.trim() && b.title) b.setAttribute("aria-label", b.title);
      });
      const status = lab.querySelector("[role=status]");
      lab.querySelectorAll("img.xcon-picture").forEach(function (img) {
        const text = "The network at this step: " + (status ? status.textContent.trim() : "");
        if (img.alt !== text) img.alt = text;
      });
    });
  }
  window.__xconA11y = fix;
  new MutationObserver(fix).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["src", "class"]});
  fix();
})();
"""
"""Names for the parts ipywidgets leaves unnamed (Play's buttons, the slider handles, the picture), kept
up to date as the lab redraws: a screen reader then reads the narration as the picture's text."""

Layout = Callable[["Lab"], list[Any]]
"""Arranges a lab's parts (``header``, ``title``, ``status``, ``settings``, ``image``, ``narration``,
``readout``, ``events``, ``queues``, ``playback``, ``extras``) into the children of ``lab.widget``."""


def classroom_layout(lab: Lab) -> list[Any]:
    """The notebook layout: settings above, the picture with its panels beside it, playback below."""
    panels = w.VBox([lab.narration, lab.readout, lab.events, lab.queues], layout=w.Layout(width="40%", min_width="300px"))
    picture = w.HBox([lab.image, panels], layout=w.Layout(width="100%", align_items="flex-start"))
    return [w.VBox([lab.header, lab.title, lab.status]), lab.settings, picture, lab.playback, lab.extras]


def _warnings_html(s: Scenario) -> str:
    """The scenario's warnings (:func:`xcon_teach.scenario.warnings.warnings`), one line each, above the picture."""
    from ..scenario.warnings import warnings

    return "".join(f"<div style='color:#8A5A00' role='status'>⚠ warning: {escape(text)}</div>" for text in warnings(s))


def _refuse_bad_values(widget: w.Widget, error: w.HTML) -> None:
    """A value a field cannot hold is refused beside the field, as every bad value is, and the widget
    keeps its last good value. ipywidgets alone raises a TraitError at the assignment: for an option
    that is not a choice, or a value of the wrong type (``None`` for a checkbox, a number for a text
    field), and empties a choice given ``None``; a browser can never send one, Python can."""
    if "value" not in widget.traits():
        return
    widget.__class__ = _guarded(type(widget))  # type: ignore[arg-type]
    choice = isinstance(widget, w.widgets.widget_selection._Selection)

    def refused(value: object, why: str) -> None:
        if choice:
            why = f"not one of the choices ({', '.join(show_value(v) for v in widget._options_values)})"
        error.value = _kept(why, value, widget.value)

    widget._xct_refused = refused


def _kept(why: str, got: object, kept: object) -> str:
    return f"<span style='color:#B34700' role='alert'>✖ {escape(why)} (got {escape(show_value(got))}); kept {escape(show_value(kept))}</span>"


_WHY = {traitlets.Bool: "on or off only (True or False)", traitlets.Unicode: "text only", traitlets.CInt: "a whole number only"}


@functools.cache
def _guarded(cls: type[w.Widget]) -> type[w.Widget]:
    """``cls`` with a ``value`` trait that, given a value it cannot hold (of the wrong type, not a
    choice, or None once the field holds a value), tells the widget (its ``_xct_refused``) and keeps
    the value it holds, instead of raising or emptying the field."""
    trait = cls.class_traits()["value"]
    why = next((text for kind, text in _WHY.items() if isinstance(trait, kind)), "not a value this field holds")

    def _validate(self: traitlets.TraitType[Any, Any], obj: Any, value: Any) -> Any:
        refused = getattr(obj, "_xct_refused", None)
        if refused is None or "value" not in obj._trait_values:
            return type(trait)._validate(self, obj, value)  # being built: ipywidgets' own rules
        try:
            if value is None and obj.value is not None:
                raise traitlets.TraitError("a field that holds a value is not emptied")
            return type(trait)._validate(self, obj, value)
        except traitlets.TraitError:
            refused(value, why)
            return obj.value

    kept = copy.copy(trait)
    kept.__class__ = type(f"Kept{type(trait).__name__}", (type(trait),), {"_validate": _validate})
    return type(cls.__name__, (cls,), {"value": kept, "__module__": cls.__module__})


@contextlib.contextmanager
def _collect_after() -> Iterator[None]:
    """Run the block without Python's cyclic garbage collector, and collect once the picture is on its way.

    A day of retries makes some hundred thousand objects; a full collection that starts in the
    middle of a change doubled that change's time (measured: 35 ms became 70). Reference counting
    still frees almost everything at once; the cycles wait for one collection after the kernel
    has sent the new picture (at once when no event loop runs, as in a script or a test).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
            try:
                asyncio.get_running_loop().call_later(0.05, gc.collect)
            except RuntimeError:  # no event loop: nothing to wait for
                gc.collect(1)


class Lab:
    """The classroom lab for one scenario (a :class:`Scenario`, a built-in name or a TOML path).

    Given a troubleshooting :class:`~xcon_teach.challenges.Challenge`, the lab is the student's
    view of it: it shows the ticket's symptom, never the scenario's title or description (they
    state the diagnosis), and offers no other scenario to pick. ``lab.save(path)`` (or the Save
    button) writes the scenario the lab holds as TOML, a hand-in for ``xcon-teach grade``.

    Attributes
    ----------
    scenario, trace
        The current (always valid) scenario and its run.
    figure
        The matplotlib Figure of the picture; updated in place, frame by frame.
    controls
        The ipywidgets by stable name: ``stack:<server>``, ``address:<server>``,
        ``override:<server>`` (a server's connector; ``...:<server>-><remote>`` names one of
        several), ``active:<cluster>``, ``failover:<cluster>``, ``build:<server>``,
        ``fix:<server>``, ``ptr:<node>``, ``netbios``, ``hypothesis``, ``scenario``, ``reset``, ``frame``,
        ``play``, ``speed``, ``every_step``, ``step_back``, ``step_forward``, ``prev_event``,
        ``next_event``, ``predict:address``, ``predict:found``, ``predict:check``,
        ``compare:keep``, ``compare:jump``, ``save:path``, ``save``, ``capture:download``.
    widget
        The top-level widget (what a notebook displays).

    Examples
    --------
    >>> lab = Lab("kb-q169113")
    >>> lab.controls["stack:EXA"].value = "hostname"
    >>> lab.scenario.connector("EXA").address
    'EXCLUS'
    >>> [m.status for m in lab.trace.messages]  # hypothesis S: EXCLUS still sends from 10.0.1.11, named NODE1
    ['ndr', 'delivered']
    >>> lab.controls["hypothesis"].value = "receiver"
    >>> [m.status for m in lab.trace.messages]  # hypothesis R: node status also lists EXCLUS
    ['delivered', 'delivered']
    """

    def __init__(
        self,
        scenario_or_name: Scenario | Challenge | str | os.PathLike[str] = "kb-q169113",
        *,
        layout: Layout | None = None,
    ) -> None:
        self._layout = layout or classroom_layout
        self.widget = w.VBox(layout=w.Layout(width="100%"))
        self.widget.add_class("xcon-lab")
        self.controls: dict[str, Any] = {}
        self._field_errors: dict[str, w.HTML] = {}
        self._memory: Memory = {}
        self._fields: list[tuple[Control, Target]] = []
        self._drawn: tuple[int, int] | None = None
        self._portrayal: Any = None
        self._packets: tuple[Packet, ...] | None = None
        self._generation = 0
        self.before: Trace | None = None
        self.picture: Picture | None = None
        self._frame_steps: Sequence[int] = []
        self._hops: Sequence[int | None] = []
        self._extras: w.Accordion | None = None
        self._captions: Sequence[str | None] = []
        self._links: list[Any] = []
        self.challenge: Challenge | None = None
        """The ticket this lab is the student's view of, if any."""
        if isinstance(scenario_or_name, Challenge):
            self.challenge = scenario_or_name
            self._initial = scenario_or_name.scenario
        elif isinstance(scenario_or_name, Scenario | str | os.PathLike):
            self._initial = load_scenario(scenario_or_name)
        else:
            raise UsageError(
                "Lab: give a scenario, a challenge, a built-in scenario's name or a TOML file's path "
                f"(got {show_value(repr(scenario_or_name))})"
            )
        """The scenario the lab was made with: "(this lab's own scenario)" in the picker goes back to it."""
        self._load(self._initial)

    # --- public state ---------------------------------------------------------------------------

    @property
    def figure(self) -> Any:
        assert self.picture is not None
        return self.picture.fig

    @property
    def frame_steps(self) -> Sequence[int]:
        """The trace step shown at each frame: ``frame_steps[k]`` for slider position ``k + 1``
        (frames are numbered from 1, as the picture says "frame 5 of N")."""
        return self._frame_steps

    @property
    def portrayal(self) -> Any:
        """What the current frame shows (the same record the picture and the panels are drawn from)."""
        return self._portrayal

    # --- building ---------------------------------------------------------------------------------

    def _load(self, scenario: Scenario) -> None:
        """Build the controls and the picture for ``scenario`` (a new topology), then run it."""
        self._origin = scenario
        self._close_tree()
        self.before = None  # a kept run of another scenario is no comparison
        self.controls = {}
        self._field_errors = {}
        self._memory = {c.label: c.address for c in scenario.connectors if c.stack == "ip"}
        self._fields = []
        self.scenario = scenario
        self.picture = Picture(scenario, panels=False, compress=1)
        self.status = w.HTML(_warnings_html(scenario))
        natural = f"{round(self.picture.size[0])}px"
        self.image = w.Image(format="png", layout=w.Layout(width="100%", max_width=natural, min_width="420px"))
        self.image.add_class("xcon-picture")
        self.narration = w.HTML()
        self.readout = w.HTML()
        self.events = w.HTML()
        self.queues = w.HTML()
        self.transcript = w.HTML()
        self.prediction = w.HTML()
        self.comparison = w.HTML()
        self.packet_list = w.HTML()
        self.capture_link = w.HTML()
        self.header = self._header()
        self.settings = self._settings(scenario)
        self.settings.add_class("xcon-settings")
        self.playback = self._playback()
        extras = w.Accordion(
            children=[self._predict_panel(), self._compare_panel(), self.transcript, self._packets_panel()], selected_index=None
        )
        self._extras = extras
        self.extras = extras
        titles = ("Predict, then reveal", "Compare with a kept run", "Transcript around this step", PACKETS_TITLE)
        for i, title in enumerate(titles):
            extras.set_title(i, title)
        extras.observe(self._guard("extras", lambda change: self._show_packets()), names="selected_index")
        self.widget.children = self._layout(self)
        self._run(scenario, first=True)

    def _close_tree(self) -> None:
        """Close every widget the last scenario's build made (and their layouts and styles), so
        switching scenarios many times leaves no widgets behind in the kernel or the browser."""
        seen: set[int] = set()
        stack: list[Any] = [*self.widget.children, *self.controls.values(), *self._links]
        while stack:
            widget = stack.pop()
            if id(widget) in seen or not isinstance(widget, w.Widget):
                continue
            seen.add(id(widget))
            stack.extend(getattr(widget, "children", ()))
            for part in ("layout", "style"):
                stack.append(getattr(widget, part, None))
            # Disconnected as well as closed: a closed widget that Python still holds must not
            # change the next scenario (traitlets keeps its observers, a button its click handlers).
            widget.unobserve_all()
            if isinstance(widget, w.Button):
                widget._click_handlers.callbacks.clear()
            widget.close()
        self._links = []

    def _header(self) -> w.Widget:
        reset = w.Button(description="Reset", icon="undo", tooltip="Back to the scenario as it was loaded")
        self.controls["reset"] = reset
        reset.on_click(self._guard("reset", lambda _: self._on_reset()))
        where = w.Text(
            value=self._save_name(), description="Save as", style={"description_width": "60px"}, layout=w.Layout(width="260px")
        )
        save = w.Button(description="Save", icon="save", tooltip="Write the scenario as it is now to a TOML file (a hand-in)")
        self.controls["save:path"] = where
        self.controls["save"] = save
        _refuse_bad_values(where, self.status)
        save.on_click(self._guard("save", lambda _: self._on_save()))
        c = self.challenge
        if c is not None:
            # The student's view of a ticket: its symptom, not the scenario's title and description
            # (which state the diagnosis), and no other scenario to pick (some are already fixed).
            self.title = w.HTML(f"<b>Ticket {escape(c.name)} (level {c.level}): {escape(c.title)}</b><br>{escape(c.story)}")
            return w.HBox([reset, where, save])
        picker = w.Dropdown(
            options=[(f"{n}: {library.summary(n)[0]}", n) for n in library.names()] + [("(this lab's own scenario)", "")],
            value=self._origin.source
            if library.exists(self._origin.source) and self._origin is not self._initial
            else (self._initial.source if library.exists(self._initial.source) and self._origin is self._initial else ""),
            description="Scenario",
            layout=w.Layout(width="60%"),
        )
        self.controls["scenario"] = picker
        _refuse_bad_values(picker, self.status)
        picker.observe(self._guard("scenario", self._on_pick), names="value")
        self.title = w.HTML(
            f"<b>{escape(self._origin.title)}</b><br><span style='color:#555'>{escape(self._origin.description)}</span>"
        )
        return w.HBox([picker, reset, where, save])

    def _save_name(self) -> str:
        return f"{self.challenge.name if self.challenge else 'my-scenario'}.toml"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the scenario the lab holds now as TOML (it loads back with ``xcon_teach.load_scenario``).

        The file is written whole or not at all; a path that cannot hold it (not ``.toml``, a folder,
        a pipe, an unwritable place) raises a one-line :class:`UsageError` named ``save:path``.
        """
        if not isinstance(path, str | os.PathLike):
            raise UsageError(f"save:path: give a file name ending in .toml (got {show_value(repr(path))})")
        if Path(path).suffix != ".toml":
            raise UsageError(f"save:path: a hand-in is a .toml file (got {show_value(str(path))})")
        where = output_path(path, "save:path", ".toml", "a hand-in")
        write_whole(where, self.scenario.to_toml().encode("utf-8"), "save:path")
        return where

    def _on_save(self) -> None:
        out = self.save(self.controls["save:path"].value.strip() or self._save_name())
        self.status.value = f"<span role='status'>Saved the scenario as it is now to <code>{escape(str(out))}</code>.</span>"

    def _field(self, control: Control, target: Target, s: Scenario) -> w.Widget:
        """One setting's widget, registered under its key (and aliases), with its own error line beside it."""
        key = control.key(target)
        widget = control.widget(s, target, control.read(s, target))
        error = w.HTML()
        for name in (key, *(f"{control.kind}:{a}" for a in target.aliases)):
            self.controls[name] = widget
            self._field_errors[name] = error
        self._fields.append((control, target))
        _refuse_bad_values(widget, error)
        widget.observe(self._guard(key, lambda change: self._edit(control, target, change["new"])), names="value")
        label = control.label(target)
        if label and isinstance(widget, (w.Text, w.Dropdown)):
            # The widget's own description is a <label> tied to its input, which screen readers announce.
            widget.description = label
            widget.style.description_width = "140px"
            widget.layout.width = f"calc(140px + {widget.layout.width or '160px'})"
            return w.HBox([widget, error])
        parts = [w.HTML(f"<span style='min-width:140px;display:inline-block'>{escape(label)}</span>")] if label else []
        return w.HBox([*parts, widget, error])

    def _settings(self, s: Scenario) -> w.Widget:
        """The settings tabs, built from the control table: a box per target, a field per control."""
        tabs: dict[str, list[w.Widget]] = {}
        for tab in dict.fromkeys(c.tab for c in CONTROLS):
            rows = [c for c in CONTROLS if c.tab == tab]
            boxes: list[w.Widget] = []
            for parts in dict.fromkeys(c.parts for c in rows):
                of_parts = [c for c in rows if c.parts == parts]
                for target in targets_of(s, parts):
                    fields = [self._field(c, target, s) for c in of_parts]
                    boxes.append(self._target_box(parts, target, fields))
            tabs[tab] = boxes
        sections = [(title, w.VBox(boxes or [w.HTML("<i>No cluster in this scenario.</i>")])) for title, boxes in tabs.items()]
        widget = w.Tab(children=[body for _, body in sections])
        for i, (title, _) in enumerate(sections):
            widget.set_title(i, title)
        return widget

    def _target_box(self, parts: str, target: Target, fields: list[w.Widget]) -> w.Widget:
        if parts == "connectors":
            box = w.VBox(fields, layout=w.Layout(border="1px solid #ddd", padding="4px", margin="2px"))
            box.add_class("xcon-connector")  # presenter mode lays a connector's fields out in one row
            return box
        if parts == "clusters":
            cluster = target.key
            fail = w.Button(description="Fail over", icon="exchange", tooltip=f"Move {cluster}'s group to the other node")
            self.controls[f"failover:{cluster}"] = fail
            fail.on_click(self._guard(f"failover:{cluster}", functools.partial(self._on_failover, cluster)))
            return w.HBox([*fields, fail])
        return w.HBox(fields) if len(fields) > 1 else fields[0]

    def _playback(self) -> w.Widget:
        frame = w.IntSlider(
            value=1, min=1, max=1, description="Frame", continuous_update=True, layout=w.Layout(width="45%", min_width="260px")
        )
        play = w.Play(value=1, min=1, max=1, interval=SPEEDS_MS[2], description="Play")
        speed = w.IntSlider(
            value=SPEEDS_MS[2],
            min=SPEEDS_MS[0],
            max=SPEEDS_MS[1],
            step=100,
            description="ms/frame",
            layout=w.Layout(width="260px"),
        )
        frame.add_class("xcon-frame")
        speed.add_class("xcon-speed")
        every = w.Checkbox(
            value=False, description="every step", indent=False, tooltip="Slide over every step, not just the key frames"
        )
        # The browser animates; Python only draws. Play set from Python (a script, a test) moves the
        # slider too, through the observer below.
        self._links += [w.jslink((play, "value"), (frame, "value")), w.jslink((speed, "value"), (play, "interval"))]
        play.observe(self._guard("play", lambda change: self._follow_play(change["new"])), names="value")
        tips = {
            "prev_event": ("fast-backward", "Previous event: refusal, 9301, delivery"),
            "step_back": ("step-backward", "Step back"),
            "step_forward": ("step-forward", "Step forward"),
            "next_event": ("fast-forward", "Next event: refusal, 9301, delivery"),
        }
        buttons = {
            k: w.Button(description="", icon=icon, tooltip=tip, layout=w.Layout(width="42px")) for k, (icon, tip) in tips.items()
        }
        self.controls.update({"frame": frame, "play": play, "speed": speed, "every_step": every, **buttons})
        for widget in (frame, play, speed, every):
            _refuse_bad_values(widget, self.status)
        frame.observe(self._guard("frame", lambda change: self._show(change["new"])), names="value")
        every.observe(self._guard("every_step", lambda change: self._set_frames(keep_step=True)), names="value")
        buttons["step_back"].on_click(self._guard("step_back", lambda _: self._move(-1)))
        buttons["step_forward"].on_click(self._guard("step_forward", lambda _: self._move(+1)))
        buttons["prev_event"].on_click(self._guard("prev_event", lambda _: self._jump_event(-1)))
        buttons["next_event"].on_click(self._guard("next_event", lambda _: self._jump_event(+1)))
        row = w.HBox(
            [
                buttons["prev_event"],
                buttons["step_back"],
                play,
                buttons["step_forward"],
                buttons["next_event"],
                frame,
                speed,
                every,
            ],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        row.add_class("xcon-playback")
        return row

    def _predict_panel(self) -> w.Widget:
        f = logic.focus(self.scenario)
        if f is None:
            return w.HTML("<i>This scenario has no connector to predict about.</i>")
        address = w.Dropdown(
            options=[("(choose)", None)] + [(a, a) for a in f.choices], description="", layout=w.Layout(width="160px")
        )
        found = w.ToggleButtons(options=[("yes", True), ("no", False)], value=None)
        check = w.Button(description="Check my prediction", icon="check")
        self.controls.update({"predict:address": address, "predict:found": found, "predict:check": check})
        _refuse_bad_values(found, self.prediction)
        _refuse_bad_values(address, self.prediction)
        check.on_click(self._guard("predict:check", lambda _: self._check_prediction()))
        return w.VBox(
            [
                w.HBox([w.HTML(escape(f.address_question)), address]),
                w.HBox([w.HTML(escape(f.found_question)), found]),
                check,
                self.prediction,
            ]
        )

    def _compare_panel(self) -> w.Widget:
        keep = w.Button(description="Keep this run as 'before'", icon="bookmark")
        jump = w.Button(description="Show the first difference", icon="search")
        self.controls.update({"compare:keep": keep, "compare:jump": jump})
        keep.on_click(self._guard("compare:keep", lambda _: self._keep()))
        jump.on_click(self._guard("compare:jump", lambda _: self._jump_to_difference()))
        return w.VBox([w.HBox([keep, jump]), self.comparison])

    def _packets_panel(self) -> w.Widget:
        download = w.Button(description="Download capture (.pcap)", icon="download", layout=w.Layout(width="auto"))
        self.controls["capture:download"] = download
        download.on_click(self._guard("capture:download", lambda _: self._offer_capture()))
        return w.VBox([self.packet_list, w.HBox([download, self.capture_link], layout=w.Layout(align_items="center"))])

    @property
    def packets(self) -> tuple[Packet, ...]:
        """Every packet the current run puts on the wire (:func:`xcon_teach.capture.packets`), made when first asked for."""
        if self._packets is None:
            self._packets = packets(self.trace, limit=MAX_PACKETS)  # a UsageError for a run too long to capture
        return self._packets

    def _show_packets(self) -> None:
        """Fill the packet list for the frame in view, only while its panel is open (it costs nothing closed)."""
        if self._extras is None or self._extras.selected_index != PACKETS_PANEL or self._portrayal is None:
            return
        try:
            found = self.packets
        except UsageError as e:
            self.packet_list.value = f'<div style="color:#555">{escape(str(e).removeprefix("--until: "))}</div>'
            return
        self.packet_list.value = panels.packets_html(found, self.trace, self._portrayal.index)

    def _offer_capture(self) -> None:
        from ..capture.pcap import pcap_bytes

        data = pcap_bytes(self.trace, found=self.packets)
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(self._save_name()).stem).strip("-") or "capture"
        uri = "data:application/vnd.tcpdump.pcap;base64," + base64.b64encode(data).decode("ascii")
        self.capture_link.value = (
            f'<a href="{uri}" download="{name}.pcap">Save {escape(name)}.pcap</a> '
            f"({len(self.packets)} packets, {len(data) // 1024 + 1} KB; open it in Wireshark)"
        )

    # --- running ----------------------------------------------------------------------------------

    def _run(self, scenario: Scenario, *, first: bool = False) -> None:
        """Adopt a valid scenario and simulate it.

        A new lab starts at the first frame. After a change it shows the moment the change
        matters (the cluster's first attempt accepted, refused or failed), so one click shows its
        effect, unless the learner is predicting, who then starts from the beginning.
        """
        with _collect_after():
            self._adopt(scenario, first=first)

    def _adopt(self, scenario: Scenario, *, first: bool) -> None:
        trace = simulate(scenario)
        self.scenario, self.trace = scenario, trace
        self._packets = None
        self.capture_link.value = ""  # a link to the last run's capture would be stale
        assert self.picture is not None
        if self.picture.fits(scenario):
            self.picture.configure(scenario)  # the name service box shows PTR records and NetBIOS
        else:
            self.picture = Picture(scenario, panels=False, compress=1)
        if not first:
            self._sync_fields()
        self._view = TraceView(trace)
        self._storyboard = storyboard(trace)
        self.prediction.value = ""
        predicting = self._extras is not None and self._extras.selected_index == 0
        decisive = None if first or predicting else logic.decisive_step(trace, logic.focus(scenario))
        self._set_frames(keep_step=False, at_step=decisive)
        self._update_comparison()

    def _set_frames(self, *, keep_step: bool, at_step: int | None = None) -> None:
        """Point the slider at key frames (or every step) and show the frame at (or before) a step."""
        old_step = self._frame_steps[self.controls["frame"].value - 1] if keep_step and self._frame_steps else 0
        if at_step is not None:
            old_step = at_step
        if self.controls["every_step"].value:
            self._frame_steps = range(len(self.trace.steps))  # a range, not a list: a year of retries has millions
            self._captions = _Nones(len(self._frame_steps))
            self._hops = _Nones(len(self._frame_steps))
        else:
            self._frame_steps = [f.step for f in self._storyboard]
            self._captions = [f.caption for f in self._storyboard]
            self._hops = [f.hop for f in self._storyboard]
        self._interesting = logic.interesting_frames(self.trace, self._frame_steps)
        position = max(bisect.bisect_right(self._frame_steps, old_step), 1)  # the last frame at or before the step
        frame, play = self.controls["frame"], self.controls["play"]
        self._generation += 1  # the frames changed: frame k may be another step now
        # Held, so the slider and Play announce only their final values (one redraw, not one per trait).
        with frame.hold_trait_notifications(), play.hold_trait_notifications():
            frame.max = play.max = len(self._frame_steps)
            frame.value = play.value = position
        self._show(position)  # drawn already if the slider moved; drawn here if it stayed

    def _show(self, number: int) -> None:
        """Draw frame ``number`` (from 1): the picture (artists updated, blitted) and the panels; once per frame."""
        assert self.picture is not None
        k = max(0, min(number - 1, len(self._frame_steps) - 1))
        if self._drawn == (self._generation, k):
            return
        self._drawn = (self._generation, k)
        every = self.controls["every_step"].value
        p = portray(
            self._view,
            self._frame_steps[k],
            caption=self._captions[k],
            frame=None if every else k,
            frames=0 if every else len(self._frame_steps),
            hop=self._hops[k],
        )
        self._portrayal = p
        self.image.value = self.picture.frame_png(p)
        self.narration.value = panels.narration_html(p)
        self.readout.value = panels.readout_html(p)
        self.events.value = panels.events_html(p)
        self.queues.value = panels.queues_html(p, self.trace)
        lo, hi = max(0, p.index - 4), min(len(self.trace.steps), p.index + 5)
        lines = [
            ("<b>&gt; " if i == p.index else "&nbsp;&nbsp;")
            + escape(self.trace.steps[i].line())
            + ("</b>" if i == p.index else "")
            for i in range(lo, hi)
        ]
        self.transcript.value = "<pre style='font-size:11px;white-space:pre-wrap'>" + "\n".join(lines) + "</pre>"
        self._show_packets()

    def _follow_play(self, k: int) -> None:
        self.controls["frame"].value = k  # no change (and no redraw) when the slider is there already

    def _goto(self, k: int) -> None:
        """Move to frame ``k`` from Python: the slider and Play together (only final values, so the
        browser's jslink echo cannot pull them apart)."""
        self.controls["frame"].value = k
        self.controls["play"].value = k

    def _move(self, delta: int) -> None:
        frame = self.controls["frame"]
        self._goto(max(frame.min, min(frame.max, frame.value + delta)))

    def _jump_event(self, direction: int) -> None:
        frame = self.controls["frame"]
        here = frame.value
        candidates = [k + 1 for k in self._interesting if (k + 1 > here if direction > 0 else k + 1 < here)]
        if candidates:
            self._goto(candidates[0] if direction > 0 else candidates[-1])

    # --- edits (each: compute the new scenario, then adopt it; a refused edit changes nothing) ------

    def _edit(self, control: Control, target: Target, value: Any) -> None:
        """A field changed: write its value into a new scenario and adopt it, or show why not.

        A field set to what the scenario already holds is no change: nothing re-runs (this is how
        refreshing the fields after a change never runs the simulation again), and a message left
        beside the field by a bad value typed before goes away.
        """
        key = control.key(target)
        if value == control.read(self.scenario, target):
            if self._field_errors[key].value:
                self._field_errors[key].value = self.status.value = ""
            return
        try:
            scenario = control.write(self.scenario, target, value, self._memory)
        except ScenarioError as exc:
            self._field_errors[key].value = f"<span style='color:{'#B34700'}' role='alert'>✖ {escape(exc.short)}</span>"
            self.status.value = f"<span style='color:#B34700'>Not applied: {escape(exc.path)}: {escape(exc.short)}. The lab kept its last good settings.</span>"
            return
        self._field_errors[key].value = ""
        self.status.value = ""
        self._run(scenario)

    def _on_failover(self, cluster: str, _button: object = None) -> None:
        self.controls[f"active:{cluster}"].value = self.scenario.cluster(cluster).passive  # its field's edit re-runs

    def _on_pick(self, change: dict[str, Any]) -> None:
        self._load(load_scenario(change["new"]) if change["new"] else self._initial)

    def _on_reset(self) -> None:
        self._load(self._origin)

    def _sync_fields(self) -> None:
        """Make every field show the scenario the lab now holds, and clear their messages.

        After a good change nothing stale stays on screen: an Address refilled by a Stack switch, a
        fix box that follows a new build, a message beside a field that no longer holds that value.
        """
        for control, target in self._fields:
            widget = self.controls[control.key(target)]
            value = control.read(self.scenario, target)
            if widget.value != value:
                widget.value = value  # its edit sees the scenario's own value: no change
        for error in self._field_errors.values():
            error.value = ""

    # --- predict and compare ------------------------------------------------------------------------

    def _check_prediction(self) -> None:
        f = logic.focus(self.scenario)
        if f is None:
            return
        address, found = self.controls["predict:address"].value, self.controls["predict:found"].value
        if address is None and found is None:
            self.prediction.value = "<div role='status'><i>Choose an address or an answer first, then check.</i></div>"
            return
        result = logic.grade(self.trace, f, address, found)
        colour, symbol = ("#007A5A", "✔") if result.right else ("#B34700", "✖")
        self.prediction.value = f"<div style='color:{colour}' role='status'><b>{symbol} {'Right' if result.right else 'Not quite'}</b>: {escape(result.text)}</div>"

    def _keep(self) -> None:
        self.before = self.trace
        self._update_comparison()

    def _update_comparison(self) -> None:
        if self.before is None:
            self.comparison.value = "<i>Keep a run, change a setting, and see where the two runs part.</i>"
            return
        diff = logic.first_difference(self.before, self.trace)
        outcome, was = logic.outcomes(self.trace), logic.outcomes(self.before)
        text = "The two runs are the same." if diff is None else diff.describe()
        self.comparison.value = f"<div>{escape(text)}</div><div>before: {escape(was)}</div><div>now: {escape(outcome)}</div>"
        self._difference = diff

    def _jump_to_difference(self) -> None:
        diff = getattr(self, "_difference", None)
        if diff is None:
            return
        if not self.controls["every_step"].value:
            self.controls["every_step"].value = True
        self._goto(min(diff.index, len(self._frame_steps) - 1) + 1)

    # --- errors -------------------------------------------------------------------------------------

    def _guard(self, key: str, fn: Callable[..., None]) -> Callable[..., None]:
        """Run a callback so that no error escapes to the browser console: show it in the lab instead."""

        @functools.wraps(fn)
        def guarded(*args: Any) -> None:
            try:
                fn(*args)
            except XconError as exc:
                self.status.value = f"<span style='color:#B34700' role='alert'>✖ {escape(str(exc))}</span>"
            except Exception as exc:
                self.status.value = (
                    f"<span style='color:#B34700' role='alert'>✖ Something went wrong in {escape(key)}: "
                    f"{escape(type(exc).__name__)}: {escape(str(exc))}. The lab kept its last good state.</span>"
                )

        return guarded

    # --- display ------------------------------------------------------------------------------------

    def _snapshot_png(self) -> bytes:
        """The frame that tells the story best (the first refusal, else a delivery), drawn for the static view."""
        assert self.picture is not None
        frames = self._storyboard
        k = key_frame(frames, self.trace)
        f = frames[k]
        self._snapshot = portray(self._view, f.step, caption=f.caption, frame=k, frames=len(frames), hop=f.hop)
        png = self.picture.frame_png(self._snapshot)
        self.picture.frame_png(self._portrayal)  # the live picture goes back to the frame in view
        return png

    def _ipython_display_(self) -> None:
        display(self.widget)
        display(Javascript(A11Y_JS))
        display(HTML(self.static_html()))

    def static_html(self) -> str:
        """The current frame as an image, for places without a live kernel (nbconvert, GitHub).

        In a live notebook the CSS hides it once the widget above it has rendered.
        """
        png = base64.b64encode(self._snapshot_png()).decode("ascii")
        style = (
            "<style>.jp-OutputArea-child:has(.widget-vbox) ~ .jp-OutputArea-child .xcon-static,"
            ".output_area:has(.widget-vbox) ~ .output_area .xcon-static{display:none}</style>"
        )
        p = self._snapshot
        caption = escape(p.alt_text, quote=True)
        return (
            f"{style}<div class='xcon-static'><img alt='{caption}' src='data:image/png;base64,{png}' style='max-width:{round(self.picture.size[0]) if self.picture else 880}px;width:100%'/>"
            f"<div style='font-size:12px;color:#555'>Static snapshot (run the notebook for the live lab): {caption}</div></div>"
        )


class _Nones(Sequence[None]):
    """``n`` times None, without a list of them."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, k):  # type: ignore[no-untyped-def]
        if isinstance(k, slice):
            return [None] * len(range(*k.indices(self.n)))
        if not -self.n <= k < self.n:
            raise IndexError(k)
        return None
