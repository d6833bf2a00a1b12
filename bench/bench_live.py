"""Speed of the live lab (issue 7). Run as root: .venv/bin/python bench/bench_live.py

Target: the live comparison of kb-q169113, workaround, override and wrong-fix (each with its
failover phase and the EADDRNOTAVAIL check) finishes in under 10 s, namespaces created and
deleted included.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from xcon_teach import load_scenario
from xcon_teach.live import netns
from xcon_teach.live.compare import compare

FOUR = ("kb-q169113", "workaround", "override", "wrong-fix")
TARGET = 10.0


def main() -> int:
    if os.geteuid() != 0:
        print("bench_live: skipped: the live lab needs root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)")
        return 0
    scenarios = [load_scenario(n) for n in FOUR]
    runs = []
    per_scenario: dict[str, list[float]] = {n: [] for n in FOUR}
    agree = True
    for _ in range(10):
        start = time.perf_counter()
        for name, s in zip(FOUR, scenarios, strict=True):
            report = compare(s)
            per_scenario[name].append(report.seconds)
            agree = agree and report.agree
        runs.append(time.perf_counter() - start)
    left = [n for n in netns.namespaces() if n.startswith(netns.STEM)]
    for name in FOUR:
        print(f"  {name:<12} median {statistics.median(per_scenario[name]) * 1000:6.1f} ms")
    print(
        f"four-scenario live comparison: median {statistics.median(runs):.2f} s, worst {max(runs):.2f} s "
        f"over {len(runs)} runs  target < {TARGET:.0f} s; all agree: {agree}; leftover namespaces: {len(left)}"
    )
    return 0 if max(runs) < TARGET and agree and not left else 1


if __name__ == "__main__":
    sys.exit(main())
