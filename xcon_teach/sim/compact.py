"""Repeated retries stored once: how a trace keeps a year of refusals in bounded memory.

A connector refused for a day makes 144 attempts that differ only in their time, their number and
their serial: the same addresses, lookups, events and verdicts. The simulation records the first
such attempt as it happened and each identical one after it as a :class:`Repeat` of it (a
run-length record: one time a repetition, 8 bytes), so memory grows with the distinct behaviour
of a run, not with simulated time (issue 16). :class:`Steps`, :class:`Events` and
:class:`Attempts` are the read-only sequences a :class:`~.trace.Trace` hands its readers: they
expand a repetition when it is read, into exactly the steps the attempt would have emitted (the
simulation checks that on the first repetition of every attempt, and the tests against a run
that stores every step), so no reader can tell them from a tuple. A short trace is expanded once
and kept; a long one is expanded as it is read.

Only the text of two steps of an attempt changes from one repetition to the next: the attempt
line's tail (``attempt N of at most M``) and the retry line's (``at HH:MM:SS: attempt N+1 ...``);
:func:`attempt_tail` and :func:`retry_tail` write both, for the simulation and for expansion.
"""

from __future__ import annotations

import dataclasses
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from .eventlog import Event
from .steps import Connection, Step, clock

__all__ = [
    "FLAT_LIMIT",
    "Attempts",
    "Events",
    "Repeat",
    "StepLog",
    "Steps",
    "Template",
    "attempt_tail",
    "expand",
    "first_difference",
    "render_events",
    "render_steps",
    "retry_tail",
]

FLAT_LIMIT = 50_000
"""A sequence of at most this many items is expanded once, on first read, and kept (a day of the
reference scenario is about 2,000 steps); a longer one is expanded each time it is read."""

_T = TypeVar("_T")


def attempt_tail(number: int, limit: int) -> str:
    """The end of an attempt step's text: `` (attempt 3 of at most 144)``."""
    return f" (attempt {number} of at most {limit})"


def retry_tail(at: float, number: int, limit: int) -> str:
    """The end of a retry step's text: ``00:20:00: attempt 3 of at most 144``."""
    return f"{clock(at)}: attempt {number} of at most {limit}"


_CONNECTION_FIELDS = tuple(f.name for f in dataclasses.fields(Connection) if f.name not in ("serial", "attempt"))
_EVENT_FIELDS = tuple(f.name for f in dataclasses.fields(Event) if f.name != "time")


@dataclass(frozen=True, slots=True, eq=False)
class Template:
    """A failed attempt, as it was emitted, that later attempts repeat."""

    steps: tuple[Step, ...]
    start: int
    """The index in the trace of its first step."""
    number: int
    serial: int
    interval: float
    """The connector's open interval: each step's ``next_attempt`` is its time plus this."""
    limit: int
    heads: tuple[str | None, ...]
    """Per step: the text before the tail that changes (attempt and retry steps), or None."""
    connections: tuple[dict[str, Any], ...] = ()
    """Per step: its connection's fields but the serial and the attempt number."""

    @classmethod
    def of(cls, steps: Sequence[Step], start: int, interval: float, limit: int) -> Template | None:
        """The template of a failed attempt's steps, or None if they cannot be repeated exactly."""
        first = steps[0].connection
        if first is None or steps[0].kind != "attempt" or steps[-1].kind != "retry":
            return None
        t, number = steps[0].time, first.attempt
        heads: list[str | None] = []
        for st in steps:
            if (
                st.time != t
                or st.connection is None
                or st.connection.serial != first.serial
                or st.kind in ("ndr", "accept", "deliver")
            ):
                return None
            tail = attempt_tail(number, limit) if st.kind == "attempt" else None
            if st.kind == "retry":
                tail = retry_tail(t + interval, number + 1, limit)
                if st.next_attempt != t + interval:
                    return None
            if tail is None:
                heads.append(None)
            elif st.text.endswith(tail):
                heads.append(st.text[: len(st.text) - len(tail)])
            else:
                return None
        fields: dict[int, dict[str, Any]] = {}  # one record for the steps that share a connection
        for st in steps:
            if id(st.connection) not in fields:
                fields[id(st.connection)] = {k: getattr(st.connection, k) for k in _CONNECTION_FIELDS}
        connections = tuple(fields[id(st.connection)] for st in steps)
        return cls(tuple(steps), start, number, first.serial, interval, limit, tuple(heads), connections)


def expand(template: Template, time: float, number: int, serial: int) -> tuple[Step, ...]:
    """The steps of a repetition of ``template`` made at ``time`` as attempt ``number``, run serial ``serial``."""
    at = time + template.interval
    made: dict[int, Connection] = {}
    out = []
    for st, head, fields in zip(template.steps, template.heads, template.connections, strict=True):
        cx = st.connection
        assert cx is not None
        new = made.get(id(cx))
        if new is None:
            new = made[id(cx)] = Connection(serial=serial, attempt=number, **fields)
        if head is None:
            text = st.text
        elif st.kind == "attempt":
            text = head + attempt_tail(number, template.limit)
        else:
            text = head + retry_tail(at, number + 1, template.limit)
        out.append(
            Step(
                time=time,
                actor=st.actor,
                kind=st.kind,
                text=text,
                basis=st.basis,
                claim=st.claim,
                active=st.active,
                queues=st.queues,
                connection=new,
                lookup=st.lookup,
                events=tuple(Event(time=time, **_event_fields(e)) for e in st.events) if st.events else (),
                message=st.message,
                next_attempt=at if st.next_attempt is not None else None,
            )
        )
    return tuple(out)


def _event_fields(e: Event) -> dict[str, Any]:
    return {k: getattr(e, k) for k in _EVENT_FIELDS}


class Repeat:
    """Rounds of repetitions of ``k`` templates made in turn (``k`` connectors retrying side by side;
    ``k`` is 1 for one): in round ``r``, template ``j`` is made at ``times[j][r]`` as attempt
    ``numbers[j] + r``, with serial ``serial + r * k + j``. Every template has the same number of rounds."""

    __slots__ = ("numbers", "serial", "templates", "times")

    def __init__(self, templates: list[Template], numbers: list[int], serial: int, times: list[array[float]]) -> None:
        self.templates, self.numbers, self.serial, self.times = templates, numbers, serial, times

    def __len__(self) -> int:
        """The rounds."""
        return len(self.times[0])

    @property
    def width(self) -> int:
        """Steps in a round."""
        return sum(len(t.steps) for t in self.templates)

    def offsets(self) -> list[int]:
        """Where each template's steps start within a round."""
        out, n = [], 0
        for t in self.templates:
            out.append(n)
            n += len(t.steps)
        return out

    def at(self, off: int) -> tuple[int, int, int]:
        """(round, template, step within the template) of the repeat's step ``off``."""
        r, rest = divmod(off, self.width)
        offsets = self.offsets()
        j = bisect_right(offsets, rest) - 1
        return r, j, rest - offsets[j]

    def made(self, r: int, j: int) -> tuple[float, int, int]:
        """(time, attempt number, serial) of template ``j`` in round ``r``."""
        return self.times[j][r], self.numbers[j] + r, self.serial + r * len(self.templates) + j

    def chunk(self, r: int) -> tuple[Step, ...]:
        """The steps of round ``r``."""
        out: list[Step] = []
        for j, t in enumerate(self.templates):
            out.extend(expand(t, *self.made(r, j)))
        return tuple(out)


class _Blocks(Sequence[_T], Generic[_T]):
    """A read-only sequence made of runs of items and of repeated blocks, expanded when read."""

    __slots__ = ("_cached", "_flat", "_len", "_segments", "_starts")

    def __init__(self, segments: Iterable[Sequence[_T] | _Block[_T]]) -> None:
        self._segments: list[Sequence[_T] | _Block[_T]] = [s for s in segments if _size(s)]
        self._starts: list[int] = []
        n = 0
        for s in self._segments:
            self._starts.append(n)
            n += _size(s)
        self._len = n
        self._flat: tuple[_T, ...] | None = None
        self._cached: tuple[int, int, tuple[_T, ...]] | None = None

    def __len__(self) -> int:
        return self._len

    def _expanded(self) -> Iterator[_T]:
        for s in self._segments:
            if isinstance(s, _Block):
                for k in range(s.count):
                    yield from s.block(k)
            else:
                yield from s

    def _small(self) -> tuple[_T, ...] | None:
        if self._flat is None and self._len <= FLAT_LIMIT:
            self._flat = tuple(self._expanded())
        return self._flat

    def __iter__(self) -> Iterator[_T]:
        flat = self._small()
        return iter(flat) if flat is not None else self._expanded()

    @overload
    def __getitem__(self, i: int) -> _T: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[_T, ...]: ...
    def __getitem__(self, i: int | slice) -> _T | tuple[_T, ...]:
        flat = self._small()
        if flat is not None:
            return flat[i]
        if isinstance(i, slice):
            return tuple(self._get(j) for j in range(*i.indices(self._len)))
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError("index out of range")
        return self._get(i)

    def _get(self, i: int) -> _T:
        n = bisect_right(self._starts, i) - 1
        s, off = self._segments[n], i - self._starts[n]
        if not isinstance(s, _Block):
            return s[off]
        k, j = divmod(off, s.width)
        if self._cached is None or self._cached[:2] != (n, k):
            self._cached = (n, k, s.block(k))
        return self._cached[2][j]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (_Blocks, tuple, list)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(self._len)

    def __repr__(self) -> str:
        blocks = sum(s.count for s in self._segments if isinstance(s, _Block))
        return f"<{type(self).__name__}: {self._len} items, {blocks} stored as repetitions>"

    def segments(self) -> Iterator[tuple[int, Sequence[_T] | _Block[_T]]]:
        """(index of the first item, segment) for each stored segment: a run of items, or repeated blocks."""
        return zip(self._starts, self._segments, strict=True)

    @property
    def repetitions(self) -> int:
        """How many blocks are stored as repetitions rather than item by item."""
        return sum(s.count for s in self._segments if isinstance(s, _Block))


class _Block(Generic[_T]):
    """``count`` blocks of ``width`` items, the k-th made by ``block(k)``."""

    __slots__ = ("count", "make", "width")

    def __init__(self, count: int, width: int, make: Callable[[int], tuple[_T, ...]]) -> None:
        self.count, self.width, self.make = count, width, make

    def block(self, k: int) -> tuple[_T, ...]:
        return self.make(k)


def _size(s: Sequence[Any] | _Block[Any]) -> int:
    return s.count * s.width if isinstance(s, _Block) else len(s)


class Steps(_Blocks[Step]):
    """The steps of a trace: a tuple to every reader, repeated attempts stored once."""

    __slots__ = ("_raw",)

    def __init__(self, raw: list[list[Step] | Repeat]) -> None:
        self._raw = raw
        super().__init__(_Block(len(r), r.width, r.chunk) if isinstance(r, Repeat) else r for r in raw)

    @property
    def repetitions(self) -> int:
        """How many attempts are stored as repetitions rather than step by step."""
        return sum(len(r) * len(r.templates) for r in self._raw if isinstance(r, Repeat))

    def stored(self, i: int) -> Step:
        """The stored step that step ``i`` is, or repeats: the same kind, actor, connection phase,
        lookup and events as ``self[i]``, without making it (its time, serial, attempt number and
        the tail of its text may differ). For readers that ask what kind of step it is."""
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError("index out of range")
        n = bisect_right(self._starts, i) - 1
        segment, off = self._raw[n], i - self._starts[n]
        if not isinstance(segment, Repeat):
            return segment[off]
        _, j, within = segment.at(off)
        return segment.templates[j].steps[within]

    def raw(self) -> Iterator[tuple[int, list[Step] | Repeat]]:
        """(index of the first step, segment) for each stored segment: lists of steps, or repeats."""
        n = 0
        for r in self._raw:
            yield n, r
            n += len(r) * r.width if isinstance(r, Repeat) else len(r)


def _seen(st: Step) -> tuple[float, str, str, str]:
    """What two runs are compared by, step by step: when, who, what and the sentence."""
    return st.time, st.actor, st.kind, st.text


def _shape(t: Template) -> tuple[object, ...]:
    """All of a template that decides its repetitions' :func:`_seen` but their time and number."""
    return (
        t.interval,
        t.limit,
        tuple((st.actor, st.kind, st.text if h is None else h) for st, h in zip(t.steps, t.heads, strict=True)),
    )


def first_difference(a: Steps, b: Steps) -> int | None:
    """The index of the first step at which ``a`` and ``b`` differ in time, actor, kind or text
    (over the steps both have), or None if they agree on all of those.

    Where both are in rounds of repetitions of the same shape, whole rounds are compared by their
    times and attempt numbers alone, so two year-long runs are compared in about the time it takes
    to read their distinct attempts, not their millions of steps.
    """
    segments = [list(a.raw()), list(b.raw())]
    starts = [[start for start, _ in seg] for seg in segments]
    n, i = min(len(a), len(b)), 0
    while i < n:
        at: list[tuple[int, list[Step] | Repeat]] = []
        for seg, st in zip(segments, starts, strict=True):
            k = bisect_right(st, i) - 1
            at.append((st[k + 1] if k + 1 < len(st) else n, seg[k][1]))
        (end_a, ra), (end_b, rb) = at
        if isinstance(ra, Repeat) and isinstance(rb, Repeat):
            ia, ib = i - starts[0][bisect_right(starts[0], i) - 1], i - starts[1][bisect_right(starts[1], i) - 1]
            if ia % ra.width == 0 and ib % rb.width == 0 and len(ra.templates) == len(rb.templates):
                r0, q0 = ia // ra.width, ib // rb.width
                rounds = min(len(ra) - r0, len(rb) - q0, (n - i) // ra.width)
                same = rounds > 0 and all(
                    ra.numbers[j] + r0 == rb.numbers[j] + q0 and _shape(ra.templates[j]) == _shape(rb.templates[j])
                    for j in range(len(ra.templates))
                )
                if same:
                    agree = rounds
                    for ta, tb in zip(ra.times, rb.times, strict=True):
                        if ta[r0 : r0 + agree] != tb[q0 : q0 + agree]:
                            agree = next(r for r in range(agree) if ta[r0 + r] != tb[q0 + r])
                    i += agree * ra.width
                    if agree == rounds:
                        continue
        stop = min(end_a, end_b, n)
        for j in range(i, max(stop, i + 1)):
            if _seen(a[j]) != _seen(b[j]):
                return j
        i = max(stop, i + 1)
    return None


def _pieces(shown: str, when: str, said: str | None) -> tuple[str, str, str] | None:
    """``shown`` cut around its time (``when``) and then its text (``said``): (before the time,
    between, after the text); None if they are not there in that order."""
    i = shown.find(when)
    if i < 0:
        return None
    if said is None:
        return shown[:i], shown[i + len(when) :], ""
    j = shown.find(said, i + len(when))
    if j < 0:
        return None
    return shown[:i], shown[i + len(when) : j], shown[j + len(said) :]


_Plan = list[tuple[str, str, str, str, str | None]]
"""Per step of a template: before its time, between, after its text, the text or its head, the kind
whose tail is added (None for a text that does not change)."""


def render_steps(
    steps: Steps,
    render: Callable[[Step], str],
    when: Callable[[float], str],
    say: Callable[[str], str],
    sep: str,
) -> Iterator[str]:
    """``render(step)`` of every step, in chunks of items joined by ``sep`` (a stored run of steps,
    or a round of repetitions at a time), for the transcript and the JSON of a long trace.

    ``render(step)`` must show the step's time as ``when(time)`` and, after it, its text as
    ``say(text)``, the rest fixed: then a round of repetitions is written from its templates'
    renderings, cut around those two, without making its steps (about ten times faster). The
    cut is checked on each template's first repetition, made in full; where it does not hold,
    the steps are made.
    """
    for _, r in steps.raw():
        if not isinstance(r, Repeat):
            if r:
                yield sep.join(map(render, r))
            continue
        plans: list[_Plan] | None = []
        for j, t in enumerate(r.templates):
            plan: _Plan = []
            for st, head in zip(t.steps, t.heads, strict=True):
                cut = _pieces(render(st), when(st.time), say(st.text))
                if cut is None:
                    break
                plan.append((*cut, st.text if head is None else head, None if head is None else st.kind))
            first = expand(t, *r.made(0, j)) if len(plan) == len(t.steps) else ()
            if plans is not None and first and _round(t, plan, *r.made(0, j)[:2], when, say) == list(map(render, first)):
                plans.append(plan)
            else:
                plans = None
        if plans is None:
            for k in range(len(r)):
                yield sep.join(map(render, r.chunk(k)))
            continue
        for k in range(len(r)):
            out: list[str] = []
            for j, (t, plan) in enumerate(zip(r.templates, plans, strict=True)):
                out += _round(t, plan, r.times[j][k], r.numbers[j] + k, when, say)
            yield sep.join(out)


def _round(
    t: Template,
    plan: _Plan,
    time: float,
    number: int,
    when: Callable[[float], str],
    say: Callable[[str], str],
) -> list[str]:
    """The renderings of template ``t``'s steps made at ``time`` as attempt ``number`` (see :func:`expand`)."""
    w = when(time)
    out = []
    for before, between, after, text, kind in plan:
        if kind == "attempt":
            text += attempt_tail(number, t.limit)
        elif kind is not None:
            text += retry_tail(time + t.interval, number + 1, t.limit)
        out.append(before + w + between + say(text) + after)
    return out


def render_events(events: Events, render: Callable[[Event], str], when: Callable[[float], str], sep: str) -> Iterator[str]:
    """``render(event)`` of every event, in chunks joined by ``sep``, a round of repetitions at a time
    written from its templates' renderings cut around ``when(time)`` (as :func:`render_steps`)."""
    for _, seg in events.segments():
        if not isinstance(seg, _Block) or not isinstance(seg.make, _Retimed):
            if isinstance(seg, _Block):
                for k in range(seg.count):
                    yield sep.join(map(render, seg.block(k)))
            elif seg:
                yield sep.join(map(render, seg))
            continue
        retimed = seg.make
        cuts = [[_pieces(render(e), when(e.time), None) for e in logged] for logged in retimed.events]
        if any(c is None for cut in cuts for c in cut) or sep.join(
            [c[0] + when(times[0]) + c[1] for cut, times in zip(cuts, retimed.times, strict=True) for c in cut if c]
        ) != sep.join(map(render, seg.block(0))):
            for k in range(seg.count):
                yield sep.join(map(render, seg.block(k)))
            continue
        plans = [[c for c in cut if c is not None] for cut in cuts]
        for k in range(seg.count):
            out = []
            for plan, times in zip(plans, retimed.times, strict=True):
                w = when(times[k])
                out += [before + w + between for before, between, _ in plan]
            yield sep.join(out)


class Events(_Blocks[Event]):
    """The event log of a trace: the events of its steps, in order."""

    __slots__ = ()

    @classmethod
    def of(cls, steps: Steps) -> Events:
        segments: list[Sequence[Event] | _Block[Event]] = []
        run: list[Event] = []
        for _, r in steps.raw():
            if isinstance(r, Repeat):
                logged = [tuple(e for st in t.steps for e in st.events) for t in r.templates]
                if any(logged):
                    segments.append(run)
                    run = []
                    segments.append(_Block(len(r), sum(map(len, logged)), _Retimed(logged, r.times)))
            else:
                run.extend(e for st in r for e in st.events)
        segments.append(run)
        return cls(segments)


class _Retimed:
    """The events of round ``k``: each template's, at its time in that round."""

    __slots__ = ("events", "times")

    def __init__(self, events: list[tuple[Event, ...]], times: list[array[float]]) -> None:
        self.events, self.times = events, times

    def __call__(self, k: int) -> tuple[Event, ...]:
        out: list[Event] = []
        for logged, times in zip(self.events, self.times, strict=True):
            t = times[k]
            out.extend(Event(time=t, **_event_fields(e)) for e in logged)
        return tuple(out)


class Attempts(_Blocks[_T]):
    """The attempts of a trace (see :mod:`.attempts`), repeated ones made when read.

    ``parts`` are runs of attempts and ``(attempts, repeat, start, kept)`` tuples: the attempt each
    template of a repeat stands for, the repeat, the index of its first step, and which of its
    templates are kept (all, or one connector's); ``make(attempt, repeat, start, r, j)`` makes
    template ``j``'s repetition in round ``r``.
    """

    __slots__ = ("_make", "_parts")

    def __init__(
        self,
        parts: list[list[_T] | tuple[list[_T], Repeat, int, tuple[int, ...]]],
        make: Callable[[_T, Repeat, int, int, int], _T],
    ) -> None:
        self._parts, self._make = parts, make
        super().__init__(_Block(len(p[1]), len(p[3]), _Repeated(make, p)) if isinstance(p, tuple) else p for p in parts)

    def only(self, connector: str) -> Attempts[_T]:
        """Those of one connector (``SENDER->REMOTE``)."""
        kept: list[list[_T] | tuple[list[_T], Repeat, int, tuple[int, ...]]] = []
        for p in self._parts:
            if isinstance(p, tuple):
                js = tuple(j for j in p[3] if p[0][j].connector == connector)  # type: ignore[attr-defined]
                if js:
                    kept.append((p[0], p[1], p[2], js))
            else:
                kept.append([a for a in p if a.connector == connector])  # type: ignore[attr-defined]
        return Attempts(kept, self._make)


class _Repeated(Generic[_T]):
    __slots__ = ("make", "part")

    def __init__(
        self, make: Callable[[_T, Repeat, int, int, int], _T], part: tuple[list[_T], Repeat, int, tuple[int, ...]]
    ) -> None:
        self.make, self.part = make, part

    def __call__(self, r: int) -> tuple[_T, ...]:
        attempts, repeat, start, kept = self.part
        return tuple(self.make(attempts[j], repeat, start, r, j) for j in kept)


class StepLog:
    """What the simulation appends to: steps one by one, and repetitions of templates.

    Repetitions that follow each other (serials in a row) are gathered into one :class:`Repeat`:
    the first round takes each new template in turn, and from the moment the first comes again,
    rounds must repeat them in the same order. Anything else closes the repeat (an unfinished last
    round becomes a repeat of its own) and starts another.
    """

    __slots__ = ("_forming", "_len", "_next", "_open", "_pos", "_segments", "_tail")

    def __init__(self) -> None:
        self._segments: list[list[Step] | Repeat] = []
        self._tail: list[Step] | None = None
        self._len = 0
        self._open: Repeat | None = None
        self._forming = False
        """The open repeat is in its first round, still taking new templates."""
        self._pos = 0
        """Which template of the open repeat comes next."""
        self._next = 0
        """The serial the open repeat takes next."""

    def __len__(self) -> int:
        return self._len

    def append(self, step: Step) -> None:
        if self._open is not None:
            self._close()
        if self._tail is None:
            self._tail = []
            self._segments.append(self._tail)
        self._tail.append(step)
        self._len += 1

    def since(self, start: int) -> list[Step]:
        """The steps appended since the log held ``start`` (they must all follow the last repetition)."""
        assert self._tail is not None and self._len - start <= len(self._tail)
        return self._tail[len(self._tail) - (self._len - start) :]

    def truncate(self, start: int) -> None:
        """Forget the steps appended since the log held ``start``."""
        gone = self._len - start
        assert self._tail is not None and gone <= len(self._tail)
        del self._tail[len(self._tail) - gone :]
        self._len = start

    def _close(self) -> None:
        c, pos = self._open, self._pos
        assert c is not None
        self._open = None
        if self._forming or pos == 0:
            return
        # An unfinished round: its first `pos` templates have one time too many; they become a repeat of their own.
        rounds = len(c.times[pos])
        part = Repeat(
            c.templates[:pos],
            [c.numbers[j] + rounds for j in range(pos)],
            c.serial + rounds * len(c.templates),
            [array("d", [c.times[j].pop()]) for j in range(pos)],
        )
        self._segments.append(part)

    def repeat(self, template: Template, time: float, number: int, serial: int) -> None:
        if self._tail is not None and not self._tail:
            self._segments.pop()  # an emptied run of steps
        self._tail = None
        self._len += len(template.steps)
        c = self._open
        if c is not None and serial == self._next:
            if self._forming and all(t is not template for t in c.templates):
                c.templates.append(template)
                c.numbers.append(number)
                c.times.append(array("d", [time]))
                self._next += 1
                return
            if self._forming and template is c.templates[0]:
                self._forming, self._pos = False, 0
            j = self._pos
            if not self._forming and template is c.templates[j] and number == c.numbers[j] + len(c.times[j]):
                c.times[j].append(time)
                self._pos = (j + 1) % len(c.templates)
                self._next += 1
                return
        if c is not None:
            self._close()
        self._open = Repeat([template], [number], serial, [array("d", [time])])
        self._segments.append(self._open)
        self._forming, self._pos, self._next = True, 0, serial + 1

    def freeze(self) -> Steps:
        if self._open is not None:
            self._close()
        return Steps([s for s in self._segments if (len(s) if isinstance(s, Repeat) else s)])
