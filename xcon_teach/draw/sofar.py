"""What has happened so far, at any step of a trace of any length (pure; no matplotlib).

A picture of step ``i`` shows the tallies of every connector and the last Event 9301 entries of a
server up to that step. :class:`SoFar` answers both without a list per step: it keeps the state at
the start of each stored segment of the trace (:mod:`xcon_teach.sim.compact`), replays a run of
steps from there, and works a stored repetition of an attempt out by arithmetic, so a year of
retries costs memory by its distinct attempts, as the trace does.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from ..sim import Event, Step, Trace
from ..sim.compact import Events, Repeat, Steps, _Block

__all__ = ["SoFar", "Tally"]

Tally = tuple[int, int, int, float | None, bool]
"""(delivered, returned, last attempt number, next try time, association open) of a connector."""


class _State:
    """The tallies and event counts as they stand; ``take`` folds a step in."""

    __slots__ = ("attempt", "delivered", "is_open", "labels", "messages", "next_try", "returned", "route", "snapshot")

    def __init__(self, trace: Trace) -> None:
        s = trace.scenario
        self.labels = [c.label for c in s.connectors]
        self.delivered = dict.fromkeys(self.labels, 0)
        self.returned = dict.fromkeys(self.labels, 0)
        self.attempt: dict[str, int] = dict.fromkeys(self.labels, 0)
        self.next_try: dict[str, float | None] = dict.fromkeys(self.labels, None)
        self.is_open: dict[str, bool] = dict.fromkeys(self.labels, False)
        self.route = {(c.server, c.remote): c.label for c in s.connectors}
        self.messages = {m.id: m for m in trace.messages}
        self.snapshot: dict[str, Tally] | None = None

    def take(self, step: Step) -> dict[str, Tally]:
        changed = True
        if step.kind == "deliver" and step.message:
            m = self.messages[step.message]
            label = self.route[(m.sender, m.recipient)]
            self.delivered[label] += 1
            self.is_open[label] = self.is_open[label] and dict(step.queues)[label] > 0
        elif step.kind == "accept" and step.connection:
            self.is_open[step.connection.connector] = True
        elif step.kind == "drop" and step.connection:
            self.is_open[step.connection.connector] = False
        elif step.kind == "ndr" and step.message:
            m = self.messages[step.message]
            self.returned[self.route[(m.sender, m.recipient)]] += 1
        elif step.kind == "attempt" and step.connection:
            self.attempt[step.connection.connector] = step.connection.attempt
            self.next_try[step.connection.connector] = None
        elif step.kind == "retry" and step.connection:
            self.next_try[step.connection.connector] = step.next_attempt
        else:
            changed = self.snapshot is None
        if changed or self.snapshot is None:
            self.snapshot = {
                k: (self.delivered[k], self.returned[k], self.attempt[k], self.next_try[k], self.is_open[k]) for k in self.labels
            }
        return self.snapshot


class SoFar:
    """Per step of ``trace``: events logged so far, each connector's tally, and each attempt's lookup steps."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        steps = trace.steps
        raw = list(steps.raw()) if isinstance(steps, Steps) else [(0, list(steps))]
        self._starts: list[int] = []
        self._parts: list[
            tuple[array[int], list[dict[str, Tally]]] | tuple[Repeat, int, array[int], int, dict[str, Tally], str]
        ] = []
        self._lookups: dict[int, list[int]] = {}
        self._repeat_lookups: list[tuple[Repeat, int, tuple[int, ...]]] = []
        state, count = _State(trace), 0
        for start, segment in raw:
            self._starts.append(start)
            if isinstance(segment, Repeat):
                chunk = segment.template.steps
                within = array("q", [0] * len(chunk))
                n = 0
                for j, st in enumerate(chunk):
                    n += len(st.events)
                    within[j] = n
                connector = chunk[0].connection.connector  # type: ignore[union-attr]
                before = state.take(chunk[0])  # the attempt step: next try unknown
                self._parts.append((segment, count, within, n, dict(before), connector))
                offsets = tuple(j for j, st in enumerate(chunk) if st.lookup is not None)
                if offsets:
                    self._repeat_lookups.append((segment, start, offsets))
                count += n * len(segment)
                last = len(segment) - 1
                state.attempt[connector] = segment.number + last
                state.next_try[connector] = segment.times[last] + segment.template.interval
                state.snapshot = None
                state.snapshot = {
                    k: (state.delivered[k], state.returned[k], state.attempt[k], state.next_try[k], state.is_open[k])
                    for k in state.labels
                }
                continue
            counts, tallies = array("q"), []
            for i, st in enumerate(segment, start):
                count += len(st.events)
                if st.lookup is not None and st.connection is not None:
                    self._lookups.setdefault(st.connection.serial, []).append(i)
                counts.append(count)
                tallies.append(state.take(st))
            self._parts.append((counts, tallies))
        self._len = len(steps)
        self._events = _EventIndex(trace.event_log)

    def __len__(self) -> int:
        return self._len

    def _find(self, index: int) -> tuple[int, int]:
        if not 0 <= index < self._len:
            raise IndexError(index)
        n = bisect_right(self._starts, index) - 1
        return n, index - self._starts[n]

    def events_so_far(self, index: int) -> int:
        """How many events have been logged by the end of step ``index``."""
        n, off = self._find(index)
        part = self._parts[n]
        if len(part) == 2:
            return part[0][off]
        repeat, count, within, per, _, _ = part
        k, j = divmod(off, len(repeat.template.steps))
        return count + k * per + within[j]

    def tally(self, index: int) -> dict[str, Tally]:
        """connector -> (delivered, returned, last attempt number, next try time, association open) after step ``index``."""
        n, off = self._find(index)
        part = self._parts[n]
        if len(part) == 2:
            return part[1][off]
        repeat, _, _, _, before, connector = part
        width = len(repeat.template.steps)
        k, j = divmod(off, width)
        d, r, _, _, is_open = before[connector]
        next_try = repeat.times[k] + repeat.template.interval if j == width - 1 else None
        return {**before, connector: (d, r, repeat.number + k, next_try, is_open)}

    def lookups(self, serial: int) -> list[int]:
        """The indices of the steps of attempt ``serial`` that carry a lookup stage, in order."""
        if serial in self._lookups:
            return self._lookups[serial]
        for repeat, start, offsets in self._repeat_lookups:
            k = serial - repeat.serial
            if 0 <= k < len(repeat):
                first = start + k * len(repeat.template.steps)
                return [first + j for j in offsets]
        return []

    def server_events(self, index: int, server: str | None, last: int = 3) -> tuple[int, tuple[Event, ...]]:
        """How many events ``server`` has logged by the end of step ``index``, and its ``last`` latest, oldest first."""
        upto = self.events_so_far(index)
        if server is None:
            return 0, ()
        return self._events.count(server, upto), self._events.latest(server, upto, last)

    def last_event(self, index: int) -> Event | None:
        """The latest event logged by the end of step ``index``."""
        upto = self.events_so_far(index)
        return self.trace.event_log[upto - 1] if upto else None


class _EventIndex:
    """Per server, where its events are in an event log: counts and the latest ones before a position."""

    def __init__(self, log: Sequence[Event]) -> None:
        self.log = log
        segments: list[tuple[int, Sequence[Event] | None, int, int, tuple[Event, ...]]] = []
        if isinstance(log, Events):
            for start, seg in zip(log._starts, log._segments, strict=True):
                if isinstance(seg, _Block):
                    segments.append((start, None, seg.count, seg.width, seg.block(0)))
                else:
                    segments.append((start, seg, 1, len(seg), tuple(seg)))
        else:
            segments.append((0, log, 1, len(log), tuple(log)))
        self.starts = [s[0] for s in segments]
        self.segments = segments
        self.where: list[dict[str, list[int]]] = []
        """Per segment: server -> offsets of its events in one block."""
        self.before: list[dict[str, int]] = []
        """Per segment: server -> its events before the segment."""
        total: dict[str, int] = {}
        for _, _, count, _, block in segments:
            self.before.append(dict(total))
            where: dict[str, list[int]] = {}
            for j, e in enumerate(block):
                where.setdefault(e.server, []).append(j)
            self.where.append(where)
            for server, offs in where.items():
                total[server] = total.get(server, 0) + count * len(offs)

    def count(self, server: str, upto: int) -> int:
        if upto <= 0 or not self.segments:
            return 0
        n = bisect_right(self.starts, upto - 1) - 1
        _, _, _, width, _ = self.segments[n]
        k, j = divmod(upto - self.starts[n], width)
        offs = self.where[n].get(server, [])
        return self.before[n].get(server, 0) + k * len(offs) + bisect_left(offs, j)

    def latest(self, server: str, upto: int, last: int) -> tuple[Event, ...]:
        found: list[Event] = []
        if upto <= 0 or not self.segments:
            return ()
        n = bisect_right(self.starts, upto - 1) - 1
        limit = upto - self.starts[n]
        while n >= 0 and len(found) < last:
            offs = self.where[n].get(server)
            if offs:
                start, _, _, width, _ = self.segments[n]
                k, j = divmod(limit, width)
                # positions before `limit` in this segment, newest first
                candidates = [k * width + o for o in reversed(offs) if o < j]
                kk = k - 1
                while len(found) + len(candidates) < last and kk >= 0:
                    candidates.extend(kk * width + o for o in reversed(offs))
                    kk -= 1
                for p in candidates[: last - len(found)]:
                    found.append(self.log[start + p])
            n -= 1
            if n >= 0:
                limit = self.segments[n][2] * self.segments[n][3]
        return tuple(reversed(found))
