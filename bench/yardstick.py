"""The yardstick for the speed targets that say "x times a naive full redraw".

It redraws a 10-node networkx picture with node and edge labels from scratch (clear the axes,
draw everything, encode a PNG), the way a lab without artist updates would on every change.
Measure your code against it in the same process, so a noisy machine cancels out:

    from yardstick import naive_redraw_seconds
    ratio = my_median_seconds / naive_redraw_seconds()

Run as a script to print the yardstick on this machine.
"""

import io
import statistics
import time


def naive_redraw_seconds(repeats: int = 15) -> float:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    g = nx.Graph()
    g.add_edges_from(
        [
            ("EXA", "LINK"),
            ("LINK", "NODE1"),
            ("LINK", "NODE2"),
            ("NODE1", "EXCLUS"),
            ("NODE2", "EXCLUS"),
            ("EXA", "HOSTS"),
            ("NODE1", "HOSTS"),
            ("EXCLUS", "DNS"),
            ("DNS", "WINS"),
            ("EXA", "FW"),
        ]
    )
    pos = nx.spring_layout(g, seed=1)
    fig, ax = plt.subplots(figsize=(10, 6), dpi=100)

    def redraw() -> None:
        ax.clear()
        nx.draw_networkx(g, pos, ax=ax, node_color="#56B4E9", node_shape="s")
        nx.draw_networkx_edge_labels(g, pos, {e: "10.0.1.11" for e in g.edges}, ax=ax)
        fig.savefig(io.BytesIO(), format="png")

    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        redraw()
        times.append(time.perf_counter() - t)
    plt.close(fig)
    return statistics.median(times)


if __name__ == "__main__":
    print(f"naive full redraw + PNG: {naive_redraw_seconds() * 1000:.1f} ms (median)")
