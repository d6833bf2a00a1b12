"""The key frames of a trace, for teaching and export (pure; no matplotlib).

An *episode* is one connection attempt (one ``serial``, :mod:`xcon_teach.sim.attempts`): its steps
from ``attempt`` to the acceptance or refusal (and the ``retry`` that follows). An episode that repeats the previous episode of the same
connector step for step (same addresses, same stages, same events; only the clock and the attempt
number differ; it may be the one before, or any earlier one, as with two virtual IPs taken in
turn) teaches nothing new, so a stretch of such repeats becomes one frame that says so:
"... 144 more refused attempts on EXCLUS -> EXA, every 600 s". Everything else is a frame of its
own, so a day of retries fits in a few dozen frames.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..sim import Step, Trace, clock
from ..sim.compact import Repeat, Steps

__all__ = ["Frame", "key_frame", "storyboard"]

_EPISODE_KINDS = {
    "attempt",
    "resolve",
    "present",
    "firewall",
    "connect",
    "caller",
    "lookup",
    "event",
    "reverse",
    "accept",
    "refuse",
    "disconnect",
    "retry",
}


@dataclass(frozen=True, slots=True)
class Frame:
    step: int
    """Index of the step shown, in ``trace.steps``."""
    caption: str | None = None
    """Replaces the step's narration on a frame that stands for a collapsed stretch."""
    repeats: int = 0
    """How many repeated attempts this frame stands for (0 for an ordinary frame)."""
    hop: int | None = None
    """On a frame before a connect step: where the packet is on its way (0: leaving the sender's
    site, 1: at the router between the sites); None on every other frame."""


def _segments(steps: Sequence[Step], lo: int = 0, hi: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) index ranges of ``steps[lo:hi]``: one per attempt episode, one per other step."""
    i, hi = lo, len(steps) if hi is None else hi
    while i < hi:
        st = steps[i]
        if st.kind == "attempt" and st.connection is not None:
            serial = st.connection.serial
            j = i + 1
            while j < hi and steps[j].kind in _EPISODE_KINDS and _serial(steps[j]) == serial:
                j += 1
            yield i, j
            i = j
        else:
            yield i, i + 1
            i += 1


def _units(steps: Steps) -> Iterator[tuple[int, int] | tuple[int, Repeat]]:
    """The episodes and single steps of ``steps``; a stored repetition of an attempt (:mod:`xcon_teach.sim.compact`) as one unit."""
    for start, segment in steps.raw():
        if isinstance(segment, Repeat):
            yield start, segment
        else:
            yield from _segments(steps, start, start + len(segment))


@dataclass(frozen=True, slots=True)
class _Stretch:
    """Repeated episodes of one connector, not shown yet: ``count`` of them, the last at ``last``."""

    connector: str
    count: int
    first_time: float
    last_time: float
    outcome: str
    last: tuple[int, int]


def _serial(step: Step) -> int | None:
    return None if step.connection is None else step.connection.serial


def _signature(steps: Sequence[Step]) -> tuple[object, ...]:
    sig = []
    for st in steps:
        if st.kind == "retry":
            continue
        cx, lk = st.connection, st.lookup
        sig.append(
            (
                st.kind,
                st.actor,
                st.basis,
                cx and (cx.from_host, cx.wire, cx.destination, cx.to_host, cx.receiver, cx.phase),
                lk and (lk.stage, lk.names, lk.outcome),
                tuple(e.network_address for e in st.events),
            )
        )
    return tuple(sig)


def storyboard(trace: Trace) -> tuple[Frame, ...]:
    """The key frames of ``trace``, in order.

    A stored repetition of an attempt (a day of identical retries) is read as one unit, without
    expanding its steps, so a year of retries takes about as long as its distinct attempts.
    """
    steps = trace.steps
    frames: list[Frame] = []
    seen: dict[str, set[tuple[object, ...]]] = {}
    """Per connector, the episodes shown so far (as signatures): a repeat of any of them is collapsed."""
    run: list[_Stretch] = []  # a stretch of repeated episodes not shown yet

    def flush() -> None:
        if not run:
            return
        per: dict[str, list[_Stretch]] = {}
        for r in run:
            per.setdefault(r.connector, []).append(r)
        parts = []
        for connector, eps in per.items():
            n = sum(e.count for e in eps)
            outcomes: dict[str, int] = {}
            for e in eps:
                outcomes[e.outcome] = outcomes.get(e.outcome, 0) + e.count
            times = f"{clock(eps[0].first_time)} to {clock(eps[-1].last_time)}"
            interval = trace.scenario.connector(*connector.split("->")).open_interval
            route = connector.replace("->", " -> ")
            if n == 1:
                parts.append(f"one more {eps[0].outcome} attempt on {route} at {clock(eps[0].first_time)}")
            elif len(outcomes) == 1:
                parts.append(f"{n} more {eps[0].outcome} attempts on {route}, every {interval:g} s ({times})")
            else:
                counts = ", ".join(f"{c} {o}" for o, c in outcomes.items())
                parts.append(f"{n} more attempts on {route} ({counts}), {times}")
        a, b = run[-1].last
        shown = max(i for i in range(a, b) if steps.stored(i).kind != "retry") if b - a > 1 else a
        total = sum(r.count for r in run)
        if total == 1:
            same = "the same steps again"
        elif len({r.outcome for r in run}) == 1:
            same = "the same steps each time"
        else:
            same = "each repeats an attempt shown before; this frame shows the last"
        frames.append(Frame(shown, "… " + "; ".join(parts) + ": " + same, repeats=total))
        run.clear()

    def show(a: int, b: int) -> None:
        flush()
        for i in range(a, b):
            frames.extend(Frame(i, hop=k) for k in _hops(trace, steps[i]))
            frames.append(Frame(i))

    def episode(a: int, b: int) -> None:
        st = steps[a]
        if st.kind == "attempt" and st.connection is not None:
            chunk = steps[a:b]
            sig = _signature(chunk)
            mine = seen.setdefault(st.connection.connector, set())
            if sig in mine:
                run.append(_Stretch(st.connection.connector, 1, st.time, st.time, _outcome_word(chunk), (a, b)))
                return
            mine.add(sig)
        show(a, b)

    for a, b in _units(steps):
        if isinstance(b, Repeat):
            chunks = [t.steps for t in b.templates]
            connectors = [c[0].connection.connector for c in chunks]  # type: ignore[union-attr]
            signatures = [_signature(c) for c in chunks]
            if not all(sig in seen.get(x, set()) for x, sig in zip(connectors, signatures, strict=True)):
                # never so in a trace from simulate (each attempt repeated came first): read it step by step
                for x, y in _segments(steps, a, a + len(b) * b.width):
                    episode(x, y)
                continue
            offsets, rounds, width = b.offsets(), len(b), b.width
            for j, chunk in enumerate(chunks):
                last = a + (rounds - 1) * width + offsets[j]
                times = b.times[j]
                run.append(_Stretch(connectors[j], rounds, times[0], times[-1], _outcome_word(chunk), (last, last + len(chunk))))
            continue
        episode(a, b)
    flush()
    return tuple(frames)


def _hops(trace: Trace, step: Step) -> range:
    """The hop frames before a step that puts a packet on the wire: the SYN leaving the sender's
    site, then at the router between two sites (not when the packet stops there: a firewall drop,
    or nobody at the address)."""
    cx = step.connection
    if cx is None or cx.wire is None or cx.destination is None or step.kind not in ("connect", "firewall"):
        return range(0)
    if step.kind == "firewall" and cx.failure != "firewall":
        return range(0)  # let through: the connect step that follows shows the packet
    s = trace.scenario
    across = s.server(cx.sender).site != s.server(cx.remote).site
    stops = cx.failure == "firewall" or (cx.phase == "failed" and cx.to_host is None)
    return range(2 if across and not stops else 1)


def _outcome_word(steps: Sequence[Step]) -> str:
    kinds = {s.kind for s in steps}
    if "refuse" in kinds:
        return "refused"
    if "accept" in kinds:
        return "accepted"
    return "failed"


def key_frame(frames: tuple[Frame, ...], trace: Trace) -> int:
    """The frame that tells the story best: the first refusal or failure, else the first delivery."""
    for k, f in enumerate(frames):
        st = trace.steps.stored(f.step)
        if f.hop is None and (st.kind == "refuse" or (st.connection is not None and st.connection.phase == "failed")):
            return k
    for k, f in enumerate(frames):
        if f.hop is None and trace.steps.stored(f.step).kind == "deliver":
            return k
    return 0
