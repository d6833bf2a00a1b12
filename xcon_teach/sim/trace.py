"""The trace: what ``simulate`` returns, the steps of a run and what each message ended as.

Its records are in :mod:`.steps`; :meth:`Trace.attempts` groups the steps into connection
attempts (:mod:`.attempts`), the view every reader of "one attempt" uses.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TextIO

from ..text import columns
from .attempts import Attempt, group_attempts
from .compact import Attempts, Events, Steps, render_events, render_steps
from .eventlog import Event
from .steps import Step, clock

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["MessageOutcome", "Status", "Trace"]

Status = Literal["delivered", "queued", "ndr"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageOutcome:
    """How a message ended: delivered, still queued at the end of the run, or returned (NDR)."""

    id: str
    sender: str
    recipient: str
    status: Status
    attempts: int
    delivered_at: float | None = None
    returned_at: float | None = None
    presented_address: str | None = None
    """The source IP the receiving MTA saw on the last attempt that reached one."""
    wire_address: str | None = None
    """The source IP of the last attempt that got as far as choosing one, even if dropped (not in the JSON)."""

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "from": self.sender,
            "to": self.recipient,
            "status": self.status,
            "attempts": self.attempts,
            "delivered_at": self.delivered_at,
            "presented_address": self.presented_address,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Trace:
    """What ``simulate`` returns: the steps, the message outcomes and every event logged.

    ``steps`` and ``event_log`` read like tuples; repeated attempts are stored once
    (:mod:`.compact`), so a year of retries fits in memory, and are made again when read.
    """

    scenario: Scenario = field(repr=False)
    until: float
    steps: Steps
    messages: tuple[MessageOutcome, ...]
    event_log: Events
    _attempts: dict[str | None, Attempts[Attempt]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _ends: dict[str, tuple[int, Step]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _firsts: dict[str, Attempt] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.steps)

    def attempts(self, connector: str | None = None) -> Sequence[Attempt]:
        """Every connection attempt of the run, in order (only ``connector``'s, ``SENDER->REMOTE``, if given).

        >>> from xcon_teach import load_scenario, simulate
        >>> first = simulate(load_scenario("kb-q169113"), until=0).attempts("EXCLUS->EXA")[0]
        >>> first.outcome, first.failure, first.presented, first.messages
        ('refused', 'no connector', '10.0.1.11', ('m1',))
        """
        if connector not in self._attempts:
            if None not in self._attempts:
                self._attempts[None] = group_attempts(self.steps)
            if connector is not None:
                self._attempts[connector] = self._attempts[None].only(connector)
        return self._attempts[connector]

    def ends(self) -> dict[str, tuple[int, Step]]:
        """Message id -> (index, step) of the step that delivered it or returned it (NDR), for those that ended.

        A delivery or an NDR is never a repeated step, so this reads the stored steps alone.
        """
        if not self._ends and any(m.status != "queued" for m in self.messages):
            for start, segment in self.steps.raw():
                if isinstance(segment, list):
                    for i, st in enumerate(segment, start):
                        if st.message and st.kind in ("deliver", "ndr"):
                            self._ends[st.message] = (i, st)
        return self._ends

    def first_attempt(self, message: str) -> Attempt | None:
        """The first attempt that carried ``message`` (an id), or None if it was never tried.

        Found for every message in one pass, the first time any is asked for, so asking for each of
        many messages costs one reading of the attempts in all.
        """
        if not self._firsts and self.messages:
            waiting = {m.id for m in self.messages}
            for a in self.attempts():
                for m in a.messages:
                    if m in waiting:
                        waiting.discard(m)
                        self._firsts[m] = a
                if not waiting:
                    break
        return self._firsts.get(message)

    def steps_of(self, attempt: Attempt) -> tuple[Step, ...]:
        """The steps of one attempt, in order."""
        return tuple(self.steps[i] for i in attempt.steps)

    def message(self, id: str) -> MessageOutcome:
        for m in self.messages:
            if m.id == id:
                return m
        raise KeyError(id)

    def to_dict(self) -> dict[str, object]:
        """The JSON result of DESIGN.md (``xcon-teach run --json``)."""
        return {
            "title": self.scenario.title,
            "hypothesis": self.scenario.hostname_stack,
            "messages": [m.to_dict() for m in self.messages],
            "event_log": [e.to_dict() for e in self.event_log],
            "steps": [s.to_dict() for s in self.steps],
        }

    def to_json(self) -> str:
        """``to_dict()`` as stable JSON text: keys in contract order, two-space indent."""
        out = io.StringIO()
        self.write_json(out)
        return out.getvalue()

    def write_json(self, out: TextIO) -> None:
        """Write ``to_json()`` to ``out`` a step at a time, never holding the whole text."""

        def dumps(value: object, depth: int) -> str:
            return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * depth)

        def items(chunks: Iterable[str]) -> None:
            sep = "[\n    "
            for chunk in chunks:
                out.write(sep + chunk)
                sep = ",\n    "
            out.write("[]" if sep.startswith("[") else "\n  ]")

        between = ",\n    "

        out.write('{\n  "title": ' + dumps(self.scenario.title, 1))
        out.write(',\n  "hypothesis": ' + dumps(self.scenario.hostname_stack, 1))
        out.write(',\n  "messages": ' + dumps([m.to_dict() for m in self.messages], 1))
        out.write(',\n  "event_log": ')
        items(render_events(self.event_log, _event_item, _SCALAR, between))
        out.write(',\n  "steps": ')
        items(render_steps(self.steps, _step_item, _SCALAR, _SCALAR, between))
        out.write("\n}\n")

    def to_text(self) -> str:
        """The transcript: one line a step."""
        text = io.StringIO()
        self.write_text(text)
        return text.getvalue()

    def write_text(self, out: TextIO) -> None:
        """Write ``to_text()`` to ``out`` a stored run of steps or a round of repetitions at a time."""
        for chunk in render_steps(self.steps, Step.line, clock, str, "\n"):
            out.write(chunk + "\n")

    def outcome_table(self) -> str:
        """A small table of message outcomes, for notebooks and the lab (no trailing newline).

        ``on the wire`` is the source address of the last attempt; ``receiver saw`` is what a
        receiving MTA saw, "-" when no MTA saw it (a firewall drop, say).
        """
        rows = [("id", "route", "status", "attempts", "when", "on the wire", "receiver saw")]
        for m in self.messages:
            when = m.delivered_at if m.delivered_at is not None else m.returned_at
            rows.append(
                (
                    m.id,
                    f"{m.sender}->{m.recipient}",
                    m.status,
                    str(m.attempts),
                    clock(when) if when is not None else "-",
                    m.wire_address or "-",
                    m.presented_address or "-",
                )
            )
        return columns(rows)


_SCALAR = json.JSONEncoder(ensure_ascii=False).encode


def _step_item(st: Step) -> str:
    return _flat_object(st.to_dict())


def _event_item(e: Event) -> str:
    return _flat_object(e.to_dict())


def _flat_object(d: dict[str, object]) -> str:
    """``json.dumps(d, indent=2, ensure_ascii=False)`` for a dict of scalars, as an item of a list
    in the top object (six spaces before each key), made faster than the general encoder."""
    if not d:
        return "{}"
    body = ",\n      ".join(_SCALAR(k) + ": " + _SCALAR(v) for k, v in d.items())
    return "{\n      " + body + "\n    }"
