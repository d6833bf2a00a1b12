"""Speed of the picture (issue 3): updating to another frame and drawing the canvas.

Target: at most 0.5x a naive full redraw (bench/yardstick.py: clear the axes, nx.draw_networkx
with labels, encode a PNG), measured in the same process so machine noise cancels.
Run: python3 run.py bench   (or .venv/bin/python bench/bench_draw.py)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from yardstick import naive_redraw_seconds

from xcon_teach import load_scenario, simulate
from xcon_teach.draw import TraceView, portray, storyboard
from xcon_teach.draw.picture import Picture


def main() -> None:
    trace = simulate(load_scenario("kb-q169113"))
    view = TraceView(trace)
    frames = storyboard(trace)
    portrayals = [portray(view, f.step, caption=f.caption, frame=k, frames=len(frames)) for k, f in enumerate(frames)]
    for panels in (True, False):
        picture = Picture(trace.scenario, panels=panels)
        picture.show(portrayals[0])
        picture.render()  # the first render caches the background
        sequential, jumps, with_png = [], [], []
        for k in range(1, len(portrayals)):
            t = time.perf_counter()
            picture.show(portrayals[k])
            picture.render()
            sequential.append(time.perf_counter() - t)
        order = [(k * 7) % len(portrayals) for k in range(len(portrayals))]  # far jumps across the storyboard
        for k in order:
            t = time.perf_counter()
            picture.show(portrayals[k])
            picture.render()
            jumps.append(time.perf_counter() - t)
            t = time.perf_counter()
            picture.png()
            with_png.append(time.perf_counter() - t)
        yard = naive_redraw_seconds()
        step, jump, png = statistics.median(sequential), statistics.median(jumps), statistics.median(with_png)
        what = "full frame with panels (export)" if panels else "network only (lab)"
        print(
            f"{what}: next frame {step * 1000:.1f} ms = {step / yard:.2f}x, far jump {jump * 1000:.1f} ms = {jump / yard:.2f}x "
            f"a naive full redraw ({yard * 1000:.1f} ms); PNG encoding adds {png * 1000:.1f} ms  target <= 0.5x"
        )
    t = time.perf_counter()
    Picture(trace.scenario)
    print(f"building the figure for a scenario (once): {(time.perf_counter() - t) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
