"""Memory and time at scale (issue 16). Run: python3 run.py bench  (or .venv/bin/python bench/bench_scale.py)

Targets, for the reference refusal (EXCLUS -> EXA refused, each message retried for a day and
returned), messages one day apart:
- 5,000 messages (13.7 years of simulated time): simulate in under 60 s and under 500 MB peak resident;
- 200 messages cost at most 250x one message (time);
- reading the trace back stays bounded: the outcome table, the event log, the attempts and the
  whole transcript and JSON streamed to /dev/null (the CLI's ``run``) without holding it in memory.

Each case runs in a process of its own so that its peak resident memory (VmHWM) is its own.
``--quick`` stops at 1,000 messages; the streamed transcript and JSON are timed for 1,000 messages
(2.4 million steps; ``--stream N`` for another count: 5,000 took 6.8 s and 15.1 s, peak 155 MB;
before rounds were written from their templates, 72 s and 111 s).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

PARALLEL = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from tests.test_compact import hub
from xcon_teach import simulate

def hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024

s = hub(30, interval=600, retries=1000, until=31_536_000, weeks=52)
t = time.perf_counter()
trace = simulate(s)
print(f"30 connectors refused side by side, a message a week each for a year: simulate {time.perf_counter() - t:.1f} s, "
      f"{len(trace.attempts()):,} attempts, {len(trace.steps):,} steps, peak {hwm():.0f} MB resident")
"""

CHILD = r"""
import json, sys, time
from xcon_teach import load_scenario, simulate
from xcon_teach.scenario import Message

def hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024

n, stream = int(sys.argv[1]), sys.argv[2] == '1'
base = load_scenario('kb-q169113')
c = base.connectors[1]
day = 86400.0
s = base.replace(messages=tuple(Message(at=i * day, sender=c.server, recipient=c.remote) for i in range(n)),
                 actions=(), until=n * day + 90000)
before = hwm()
t = time.perf_counter()
trace = simulate(s)
sim = time.perf_counter() - t
out = {'n': n, 'seconds': sim, 'steps': len(trace.steps), 'start_mb': before, 'peak_mb': hwm(),
       'ndr': sum(m.status == 'ndr' for m in trace.messages)}
t = time.perf_counter()
out['events'] = len(trace.event_log)
out['attempts'] = len(trace.attempts())
trace.outcome_table()
out['read_seconds'] = time.perf_counter() - t
if stream:
    with open('/dev/null', 'w') as sink:
        t = time.perf_counter()
        trace.write_text(sink)
        out['transcript_seconds'] = time.perf_counter() - t
        t = time.perf_counter()
        trace.write_json(sink)
        out['json_seconds'] = time.perf_counter() - t
out['peak_after_mb'] = hwm()
print(json.dumps(out))
"""


def case(n: int, stream: bool) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), "1" if stream else "0"], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = (1, 200, 1000) if quick else (1, 200, 1000, 5000)
    rows = {}
    for n in sizes:
        best = min((case(n, stream=False) for _ in range(3 if n <= 200 else 1)), key=lambda r: r["seconds"])
        rows[n] = best
        print(
            f"{n:>5} messages a day apart: simulate {best['seconds']:.2f} s, {best['steps']:,} steps, "
            f"peak {best['peak_mb']:.0f} MB resident (at start {best['start_mb']:.0f} MB); "
            f"{best['attempts']:,} attempts, {best['events']:,} events counted in {best['read_seconds']:.2f} s"
        )
    ratio = rows[200]["seconds"] / rows[1]["seconds"]
    print(f"200 messages vs 1: {ratio:.0f}x  target <= 250x")
    big = rows[max(sizes)]
    print(
        f"{big['n']:,} messages: {big['seconds']:.1f} s, peak {big['peak_after_mb']:.0f} MB  "
        f"target < 60 s and < 500 MB (for 5,000)"
    )
    root = str(__import__("pathlib").Path(__file__).resolve().parent.parent)
    print(subprocess.run([sys.executable, "-c", PARALLEL, root], capture_output=True, text=True, check=True).stdout.strip())
    t = time.perf_counter()
    streamed = case(int(sys.argv[sys.argv.index("--stream") + 1]) if "--stream" in sys.argv else 1000, stream=True)
    print(
        f"{streamed['n']:,} messages, the whole transcript and JSON streamed to /dev/null: "
        f"{streamed['transcript_seconds']:.1f} s and {streamed['json_seconds']:.1f} s, "
        f"peak {streamed['peak_after_mb']:.0f} MB ({time.perf_counter() - t:.0f} s in all)"
    )


if __name__ == "__main__":
    main()
