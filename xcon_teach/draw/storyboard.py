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

from dataclasses import dataclass

from ..sim import Step, Trace, clock

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


def _segments(steps: tuple[Step, ...]) -> list[tuple[int, int]]:
    """(start, end) index ranges: one per attempt episode, one per other step."""
    out = []
    i = 0
    while i < len(steps):
        st = steps[i]
        if st.kind == "attempt" and st.connection is not None:
            serial = st.connection.serial
            j = i + 1
            while j < len(steps) and steps[j].kind in _EPISODE_KINDS and _serial(steps[j]) == serial:
                j += 1
            out.append((i, j))
            i = j
        else:
            out.append((i, i + 1))
            i += 1
    return out


def _serial(step: Step) -> int | None:
    return None if step.connection is None else step.connection.serial


def _signature(steps: tuple[Step, ...]) -> tuple[object, ...]:
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
    """The key frames of ``trace``, in order."""
    steps = trace.steps
    frames: list[Frame] = []
    seen: dict[str, set[tuple[object, ...]]] = {}
    """Per connector, the episodes shown so far (as signatures): a repeat of any of them is collapsed."""
    run: list[tuple[int, int]] = []  # a stretch of repeated episodes not shown yet

    def flush() -> None:
        if not run:
            return
        per: dict[str, list[tuple[int, int]]] = {}
        for a, b in run:
            cx = steps[a].connection
            assert cx is not None
            per.setdefault(cx.connector, []).append((a, b))
        parts = []
        for connector, eps in per.items():
            first, last = steps[eps[0][0]], steps[eps[-1][0]]
            outcomes = [_outcome_word(steps[x:y]) for x, y in eps]
            times = f"{clock(first.time)} to {clock(last.time)}"
            interval = trace.scenario.connector(*connector.split("->")).open_interval
            route = connector.replace("->", " -> ")
            if len(eps) == 1:
                parts.append(f"one more {outcomes[0]} attempt on {route} at {clock(first.time)}")
            elif len(set(outcomes)) == 1:
                parts.append(f"{len(eps)} more {outcomes[0]} attempts on {route}, every {interval:g} s ({times})")
            else:
                counts = ", ".join(f"{outcomes.count(o)} {o}" for o in dict.fromkeys(outcomes))
                parts.append(f"{len(eps)} more attempts on {route} ({counts}), {times}")
        a, b = run[-1]
        shown = max(i for i in range(a, b) if steps[i].kind != "retry") if b - a > 1 else a
        if len(run) == 1:
            same = "the same steps again"
        elif len({_outcome_word(steps[x:y]) for x, y in run}) == 1:
            same = "the same steps each time"
        else:
            same = "each repeats an attempt shown before; this frame shows the last"
        frames.append(Frame(shown, "… " + "; ".join(parts) + ": " + same, repeats=len(run)))
        run.clear()

    for a, b in _segments(steps):
        st = steps[a]
        if st.kind == "attempt" and st.connection is not None:
            sig = _signature(steps[a:b])
            mine = seen.setdefault(st.connection.connector, set())
            if sig in mine:
                run.append((a, b))
                continue
            mine.add(sig)
        flush()
        for i in range(a, b):
            frames.extend(Frame(i, hop=k) for k in _hops(trace, steps[i]))
            frames.append(Frame(i))
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


def _outcome_word(steps: tuple[Step, ...]) -> str:
    kinds = {s.kind for s in steps}
    if "refuse" in kinds:
        return "refused"
    if "accept" in kinds:
        return "accepted"
    return "failed"


def key_frame(frames: tuple[Frame, ...], trace: Trace) -> int:
    """The frame that tells the story best: the first refusal or failure, else the first delivery."""
    for k, f in enumerate(frames):
        st = trace.steps[f.step]
        if f.hop is None and (st.kind == "refuse" or (st.connection is not None and st.connection.phase == "failed")):
            return k
    for k, f in enumerate(frames):
        if f.hop is None and trace.steps[f.step].kind == "deliver":
            return k
    return 0
