"""A tiny discrete-event engine: a heap keyed ``(time, priority, order, seq)``.

``seq`` is a per-run counter, so equal keys break ties in the order things were scheduled and
two runs of one scenario pop events in the same order. No global state, no wall clock.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable

__all__ = ["ACTION", "ATTEMPT", "DELIVER", "SUBMIT", "Engine"]

# At equal times: scripted actions (failover) first, then submissions, then deliveries on open
# associations, then connection attempts in file order of their connectors (DOMAIN.md section 9).
ACTION, SUBMIT, DELIVER, ATTEMPT = range(4)


class Engine:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, int, int, Hashable]] = []
        self._seq = 0

    def schedule(self, time: float, priority: int, order: int, event: Hashable) -> None:
        if time < 0:
            raise ValueError(f"Negative time {time}")
        heapq.heappush(self._heap, (time, priority, order, self._seq, event))
        self._seq += 1

    def pop(self, until: float) -> tuple[float, Hashable] | None:
        """The next event at or before ``until``, or None when there is none."""
        if not self._heap or self._heap[0][0] > until:
            return None
        time, _, _, _, event = heapq.heappop(self._heap)
        return time, event
