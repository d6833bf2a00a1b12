"""Speed of the simulation core (issue 2). Run: python3 run.py bench  (or .venv/bin/python bench/bench_core.py)

Targets:
- the reference scenario run to the NDR (a day of retries, two messages): under 50 ms;
- cost grows linearly with work: 200 messages cost at most 250x one message;
- `import xcon_teach`: under 150 ms, without matplotlib.
"""

from __future__ import annotations

import functools
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from xcon_teach import load_scenario, simulate
from xcon_teach.scenario import Message, Scenario


def median_seconds(fn: Callable[[], object], repeats: int = 15) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def with_messages(s: Scenario, n: int, spacing: float, route: int) -> Scenario:
    c = s.connectors[route]
    msgs = tuple(Message(at=i * spacing, sender=c.server, recipient=c.remote) for i in range(n))
    return s.replace(messages=msgs, actions=(), until=max(s.until, n * spacing + 90000))


def main() -> None:
    ref = load_scenario("kb-q169113")
    run_ref = median_seconds(lambda: simulate(ref))
    load_and_run = median_seconds(lambda: simulate(load_scenario("kb-q169113")))
    print(
        f"reference scenario to the NDR ({len(simulate(ref))} steps): {run_ref * 1000:.1f} ms "
        f"(with loading the TOML: {load_and_run * 1000:.1f} ms)  target < 50 ms"
    )

    # Work per message: 200 messages 10 s apart, each delivered on an association of its own
    # (workaround), against one message.
    base = load_scenario("workaround")
    series = []
    for n in (1, 10, 50, 200):
        s = with_messages(base, n, 10.0, route=0)
        series.append((n, median_seconds(functools.partial(simulate, s), 301 if n == 1 else 21), len(simulate(s))))
    t1, t200 = series[0][1], series[-1][1]
    per = ", ".join(f"{n}: {t * 1e6 / n:.0f} us" for n, t, _ in series)
    print(
        f"200 messages vs 1 (workaround): {t200 * 1000:.1f} ms vs {t1 * 1000:.3f} ms: ratio {t200 / t1:.0f}x  "
        f"target <= 250x   [per message: {per}]"
    )

    # Refused messages share a day of retries, so work is counted in steps: time per 1000 steps
    # stays flat from a few to many messages (each message a day after the last).
    base = load_scenario("kb-q169113")
    rows = []
    for n in (1, 3, 10):
        s = with_messages(base, n, 87000.0, route=1)
        steps = len(simulate(s))
        rows.append(f"{n} refused: {median_seconds(functools.partial(simulate, s), 5) * 1e6 / steps:.1f} us/step ({steps} steps)")
    print("refused messages, cost per step: " + ", ".join(rows))

    code = "import time; t = time.perf_counter(); import xcon_teach, sys; d = time.perf_counter() - t; print(d, 'matplotlib' in sys.modules)"
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() for _ in range(7)
    ]
    imp = statistics.median(float(r[0]) for r in runs)
    print(f"import xcon_teach: {imp * 1000:.1f} ms (matplotlib loaded: {runs[0][1]})  target < 150 ms")


if __name__ == "__main__":
    main()
