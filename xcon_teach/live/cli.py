"""``xcon-teach live [FILE_OR_NAME] [--json] [--pcap OUT.pcap] [--cleanup]``: the scenario on the real kernel, beside the model.

``__main__`` wires it in with :func:`add_parser` and :func:`run`. Bad input and a missing root
raise :class:`~xcon_teach.errors.UsageError` (one line on stderr, exit status 2); otherwise the
exit status is 0 when every comparison agrees and 1 when one differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from ..files import output_path, write_whole

__all__ = ["add_parser", "run"]

DEFAULT_SCENARIO = "kb-q169113"


def add_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``live`` subcommand to the main parser's subcommands."""
    live = subparsers.add_parser(
        "live",
        help="run a scenario's addressing on the real kernel and compare it with the simulation (root)",
        description=(
            "Build the scenario's hosts as Linux network namespaces on one bridge, start an RFC 1006 MTA on port 102 "
            "where the model runs one, send each message's first attempt on real sockets (again after failing every "
            "cluster over) and print the kernel's source address and outcome beside simulate()'s. Needs root; "
            "deletes its namespaces afterwards. Exit status 0 when all agree, 1 when one differs."
        ),
    )
    live.add_argument(
        "scenario",
        metavar="FILE_OR_NAME",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"a scenario TOML file, or a name from `xcon-teach list` (default {DEFAULT_SCENARIO})",
    )
    live.add_argument("--json", action="store_true", help="print the comparison as JSON instead of a table")
    live.add_argument(
        "--pcap",
        metavar="OUT.pcap",
        help="also record every frame the kernels put on the namespace bridge and write it as a capture "
        "(compare it with `xcon-teach capture`)",
    )
    live.add_argument(
        "--cleanup", action="store_true", help="only delete namespaces (xct-*) that a killed live run left behind, then exit"
    )


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``live`` with parsed ``args``, writing to ``out``; return the exit status.

    Raises
    ------
    UsageError
        Not root, no ``ip`` command, or a scenario the lab cannot build (say, public addresses).
    ScenarioError
        The scenario file is not valid.
    """
    from ..scenario import load_scenario
    from .compare import compare
    from .netns import Interrupted, cleanup_leftovers, require_root

    require_root()
    pcap = output_path(args.pcap, "--pcap", ".pcap", "the classic format that Wireshark and tshark open") if args.pcap else None
    if args.cleanup:
        removed, kept = cleanup_leftovers()
        if args.json:
            out.write(json.dumps({"removed": removed, "kept": kept}, indent=2) + "\n")
        else:
            out.writelines(f"removed {n}\n" for n in removed)
            out.writelines(f"kept {n}: the run that made it is still going\n" for n in kept)
            if not removed and not kept:
                out.write("no leftover namespaces (xct-*)\n")
        return 0
    from ..scenario.warnings import warnings
    from ..text import one_line

    scenario = load_scenario(args.scenario)
    for text in warnings(scenario):
        sys.stderr.write(one_line(f"xcon-teach: warning: {text}") + "\n")
    try:
        report = compare(scenario, record=pcap is not None)
    except Interrupted as exc:
        sys.stderr.write(f"xcon-teach: live: stopped by {exc.name}; its namespaces are deleted\n")
        return 128 + exc.signum
    out.write(report.to_json() if args.json else report.to_text())
    if pcap is not None:
        from .sniff import pcap_of

        write_whole(pcap, pcap_of(list(report.frames)), "--pcap")
        where = sys.stderr if args.json else out
        where.write(f"wrote {args.pcap}: {len(report.frames)} frames the kernels sent on the bridge (tshark -r {args.pcap})\n")
    return 0 if report.agree else 1
