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

from ..sim import Event, Step, Trace
from ..sim.compact import Events, Repeat, _Block

__all__ = ["SoFar", "Tally"]

Tally = tuple[int, int, int, float | None, bool]
"""(delivered, returned, last attempt number, next try time, association open) of a connector."""


class _State:
    """The tallies and event counts as they stand; ``take`` folds a step in."""

    __slots__ = ("attempt", "delivered", "is_open", "labels", "messages", "next_try", "returned", "route")

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

    def of(self, k: str) -> Tally:
        """Connector ``k``'s tally as it stands."""
        return self.delivered[k], self.returned[k], self.attempt[k], self.next_try[k], self.is_open[k]

    def now(self) -> dict[str, Tally]:
        """Each connector's tally as it stands."""
        return {k: self.of(k) for k in self.labels}

    def take(self, step: Step) -> str | None:
        """Fold ``step`` in; return the connector whose tally it changed (a step changes one at most)."""
        if step.kind == "deliver" and step.message:
            m = self.messages[step.message]
            label = self.route[(m.sender, m.recipient)]
            self.delivered[label] += 1
            self.is_open[label] = self.is_open[label] and dict(step.queues)[label] > 0
            return label
        if step.kind == "ndr" and step.message:
            m = self.messages[step.message]
            label = self.route[(m.sender, m.recipient)]
            self.returned[label] += 1
            return label
        if step.connection is None:
            return None
        label = step.connection.connector
        if step.kind == "accept":
            self.is_open[label] = True
        elif step.kind == "drop":
            self.is_open[label] = False
        elif step.kind == "attempt":
            self.attempt[label] = step.connection.attempt
            self.next_try[label] = None
        elif step.kind == "retry":
            self.next_try[label] = step.next_attempt
        else:
            return None
        return label


class _History:
    """Each connector's tally from each step that changed it on: a tally a change, not a table a step
    (a table of 80 connectors at each of 700,000 steps took over a gigabyte)."""

    __slots__ = ("labels", "steps", "tallies")

    def __init__(self, state: _State) -> None:
        self.labels = state.labels
        self.steps: dict[str, array[int]] = {k: array("q", [-1]) for k in self.labels}
        self.tallies: dict[str, list[Tally]] = {k: [state.of(k)] for k in self.labels}

    def note(self, index: int, label: str, tally: Tally) -> None:
        self.steps[label].append(index)
        self.tallies[label].append(tally)

    def at(self, index: int) -> dict[str, Tally]:
        """Each connector's tally after step ``index`` (-1: before the first)."""
        return {k: self.tallies[k][bisect_right(self.steps[k], index) - 1] for k in self.labels}


class _Rounds:
    """What a stored repeat (:class:`~xcon_teach.sim.compact.Repeat`) changes, round by round."""

    __slots__ = ("connectors", "count", "per", "repeat", "start", "sums", "within")

    def __init__(self, repeat: Repeat, count: int, start: int) -> None:
        self.repeat, self.count, self.start = repeat, count, start
        self.connectors = [t.steps[0].connection.connector for t in repeat.templates]  # type: ignore[union-attr]
        self.within: list[array[int]] = []
        """Per template: events logged by the end of each of its steps."""
        for t in repeat.templates:
            n, marks = 0, array("q")
            for st in t.steps:
                n += len(st.events)
                marks.append(n)
            self.within.append(marks)
        self.sums = [0]
        for marks in self.within:
            self.sums.append(self.sums[-1] + (marks[-1] if marks else 0))
        self.per = self.sums[-1]
        """Events a round."""

    def at(self, off: int) -> tuple[int, int, int]:
        """(round, template, step within the template) of the repeat's step ``off``."""
        return self.repeat.at(off)

    def tally(self, r: int, j: int, within: int, before: dict[str, Tally]) -> dict[str, Tally]:
        """Each connector's tally after step ``within`` of template ``j`` in round ``r``, ``before``
        being the tallies before the repeat's first step."""
        rep, out = self.repeat, dict(before)
        k = len(rep.templates)
        for x in dict.fromkeys(self.connectors):
            # the latest attempt of connector x made by this step: in this round up to j, else in the round before
            mine = [i for i in range(k) if self.connectors[i] == x]
            done = [(r, i) for i in mine if i <= j] or ([(r - 1, max(mine))] if r else [])
            if not done:
                continue
            rr, i = done[-1]
            d, ret, _, _, is_open = before[x]
            t, number, _ = rep.made(rr, i)
            retried = (rr, i) != (r, j) or within == len(rep.templates[j].steps) - 1
            out[x] = (d, ret, number, t + rep.templates[i].interval if retried else None, is_open)
        return out


class SoFar:
    """Per step of ``trace``: events logged so far, each connector's tally, and each attempt's lookup steps."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        steps = trace.steps
        raw = list(steps.raw())
        self._starts: list[int] = []
        self._parts: list[array[int] | _Rounds] = []
        self._lookups: dict[int, list[int]] = {}
        self._repeat_lookups: list[tuple[Repeat, int, list[tuple[int, ...]]]] = []
        state, count = _State(trace), 0
        self._history = history = _History(state)
        for start, segment in raw:
            self._starts.append(start)
            if isinstance(segment, Repeat):
                rounds = _Rounds(segment, count, start)
                self._parts.append(rounds)
                marks = [tuple(i for i, st in enumerate(t.steps) if st.lookup is not None) for t in segment.templates]
                if any(marks):
                    self._repeat_lookups.append((segment, start, marks))
                count += rounds.per * len(segment)
                last = len(segment) - 1
                end = start + len(segment) * segment.width - 1
                for j, x in enumerate(rounds.connectors):  # each connector as its last attempt here left it
                    t, number, _ = segment.made(last, j)
                    state.attempt[x] = number
                    state.next_try[x] = t + segment.templates[j].interval
                for x in dict.fromkeys(rounds.connectors):
                    history.note(end, x, state.of(x))
                continue
            counts = array("q")
            for i, st in enumerate(segment, start):
                count += len(st.events)
                if st.lookup is not None and st.connection is not None:
                    self._lookups.setdefault(st.connection.serial, []).append(i)
                counts.append(count)
                changed = state.take(st)
                if changed is not None:
                    history.note(i, changed, state.of(changed))
            self._parts.append(counts)
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
        if not isinstance(part, _Rounds):
            return part[off]
        r, j, within = part.at(off)
        return part.count + r * part.per + part.sums[j] + part.within[j][within]

    def tally(self, index: int) -> dict[str, Tally]:
        """connector -> (delivered, returned, last attempt number, next try time, association open) after step ``index``."""
        n, off = self._find(index)
        part = self._parts[n]
        if not isinstance(part, _Rounds):
            return self._history.at(index)
        return part.tally(*part.at(off), self._history.at(part.start - 1))

    def lookups(self, serial: int) -> list[int]:
        """The indices of the steps of attempt ``serial`` that carry a lookup stage, in order."""
        if serial in self._lookups:
            return self._lookups[serial]
        for repeat, start, marks in self._repeat_lookups:
            r, j = divmod(serial - repeat.serial, len(repeat.templates))
            if 0 <= r < len(repeat):
                first = start + r * repeat.width + repeat.offsets()[j]
                return [first + o for o in marks[j]]
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

    def __init__(self, log: Events) -> None:
        self.log = log
        segments: list[tuple[int, int, int, tuple[Event, ...]]] = []
        """(start, blocks, block width, the first block's events) per stored segment; a run of events is one block."""
        for start, seg in log.segments():
            if isinstance(seg, _Block):
                segments.append((start, seg.count, seg.width, seg.block(0)))
            else:
                segments.append((start, 1, len(seg), tuple(seg)))
        self.starts = [s[0] for s in segments]
        self.segments = segments
        self.where: list[dict[str, list[int]]] = []
        """Per segment: server -> offsets of its events in one block."""
        self.before: list[dict[str, int]] = []
        """Per segment: server -> its events before the segment."""
        total: dict[str, int] = {}
        for _, count, _, block in segments:
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
        width = self.segments[n][2]
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
                start, _, width, _ = self.segments[n]
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
                limit = self.segments[n][1] * self.segments[n][2]
        return tuple(reversed(found))
