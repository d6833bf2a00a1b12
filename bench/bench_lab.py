"""Speed, memory and load of the classroom lab (issue 4).

Targets, on the reference scenario (a day of retries: 2041 steps):
- changing any control to an updated lab.trace and lab.figure: median <= 100 ms and <= 1.0x a naive
  full redraw (bench/yardstick.py), in the same process;
- one scrub step: <= 0.5x a naive full redraw;
- 500 rapid control changes: the lab stays consistent, figures are reused, resident memory grows
  by under 30 MB; a process holding one lab stays under 250 MB resident.
Run: python3 run.py bench   (or .venv/bin/python bench/bench_lab.py)
"""

from __future__ import annotations

import gc
import resource
import statistics
import sys
import time
import weakref
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from yardstick import naive_redraw_seconds

from xcon_teach import Lab


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    lab = Lab("kb-q169113")
    # Changes that keep the long run (EXCLUS -> EXA refused for a day), so each one re-simulates 2041 steps.
    changes: list[tuple[str, list[object]]] = [
        ("build:EXA", ["rtm", "sp1", "sp3", "sp4"]),
        ("netbios", [False, True]),
        ("ptr:NODE1", [True, False]),
        ("active:WOLFPACK", ["NODE2", "NODE1"]),
        ("stack:EXA", ["hostname", "ip"]),  # hostname: the short run that flows
        ("address:EXCLUS", ["10.0.0.11", "10.0.0.10"]),  # a real change each time: an equal value is no change
    ]
    times: dict[str, float] = {}
    for key, values in changes:
        samples = []
        for _ in range(5):
            for v in values:
                t = time.perf_counter()
                lab.controls[key].value = v
                samples.append(time.perf_counter() - t)
        times[key] = statistics.median(samples)
    scrub = []
    frame = lab.controls["frame"]
    for k in list(range(1, frame.max + 1)) * 3:
        t = time.perf_counter()
        frame.value = k
        scrub.append(time.perf_counter() - t)
    yard = naive_redraw_seconds()
    overall = statistics.median(times.values())
    print("control change -> new lab.trace and lab.figure (median ms, ratio to a naive full redraw):")
    for key, t in times.items():
        print(f"  {key:18s} {t * 1000:6.1f} ms  {t / yard:.2f}x")
    print(f"  all controls: median {overall * 1000:.1f} ms = {overall / yard:.2f}x   targets: <= 100 ms and <= 1.0x")
    s = statistics.median(scrub)
    print(f"one scrub step: {s * 1000:.1f} ms = {s / yard:.2f}x a naive full redraw ({yard * 1000:.1f} ms)   target <= 0.5x")

    # 500 rapid changes: consistent at the end, figure reused, memory flat.
    figures: weakref.WeakSet[object] = weakref.WeakSet()
    figures.add(lab.figure)
    gc.collect()
    before = rss_mb()
    sequence = ["hostname", "ip"] * 250
    t = time.perf_counter()
    for i, v in enumerate(sequence):
        lab.controls["stack:EXA" if i % 3 else "stack:EXCLUS"].value = v
        figures.add(lab.figure)
    elapsed = time.perf_counter() - t
    gc.collect()
    after = rss_mb()
    consistent = (
        lab.scenario.connector("EXA").stack == lab.controls["stack:EXA"].value
        and lab.scenario.connector("EXCLUS").stack == lab.controls["stack:EXCLUS"].value
    )
    wire_label = lab.portrayal.wire
    print(
        f"500 rapid changes: {elapsed:.1f} s ({elapsed / 500 * 1000:.0f} ms each); consistent: {consistent}; "
        f"figures used: {len(figures)}; resident memory {before:.0f} -> {after:.0f} MB (+{after - before:.1f} MB)   target < +30 MB"
    )
    print(f"   picture shows the last setting: {wire_label!r}, narration {lab.portrayal.narration_text[:60]!r}")
    print(f"this process holding one lab: {rss_mb():.0f} MB resident")
    kernel_rss()


def kernel_rss() -> None:
    """A real Jupyter kernel holding one lab, as on a JupyterHub: its resident memory."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        code = (
            "from xcon_teach import Lab\nlab = Lab('kb-q169113')\n"
            "for v in ['hostname', 'ip'] * 50: lab.controls['stack:EXA'].value = v\n"
            "print(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])"
        )
        out = []

        def hook(msg: dict) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])

        kc.execute_interactive(code, output_hook=hook, timeout=120)
        print(
            f"a Jupyter kernel holding one lab (after 100 changes): {int(''.join(out).strip()) / 1024:.0f} MB resident   target < 250 MB"
        )
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
