"""The ``xcon-teach`` console script: an interrupt while the command line itself loads is its one line too.

The script pip writes imports the function it names before calling it, so an entry point in
:mod:`xcon_teach.__main__` left a Ctrl-C during that module's imports (argparse, pathlib...) to
Python's traceback. This module imports nothing but :mod:`sys`; it loads the command line inside
the ``try``. What remains is Python's own start-up, before any code of ours runs.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> int:
    """Load the command line and run it; 130 if interrupted while it loads."""
    try:
        from .__main__ import main as run
    except KeyboardInterrupt:
        try:
            sys.stderr.write("xcon-teach: interrupted\n")
        except (AttributeError, OSError, ValueError):
            pass  # no stderr to say it on: the status still does
        return 130
    return run()
