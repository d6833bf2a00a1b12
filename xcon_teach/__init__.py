"""xcon_teach: KB Q169113 as a lesson you can see and play with.

A clustered Exchange 5.5 server sends over its X.400 connector from its node's own IP instead
of the cluster's virtual IP; the peer MTA cannot find the connector, logs Event 9301 and refuses
the mail. This package simulates that, step by step, and draws it.

>>> import xcon_teach
>>> trace = xcon_teach.simulate(xcon_teach.load_scenario("kb-q169113"))
>>> [(m.id, m.status, m.presented_address) for m in trace.messages]
[('m1', 'ndr', '10.0.1.11'), ('m2', 'delivered', '10.0.0.10')]

Importing this package loads neither matplotlib nor ipywidgets: drawing and the lab load them on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ScenarioError, UsageError, XconError
from .scenario import Scenario, load_scenario, loads_scenario
from .sim import Step, Trace, simulate

if TYPE_CHECKING:
    from .lab import Lab

__all__ = [
    "Lab",
    "Scenario",
    "ScenarioError",
    "Step",
    "Trace",
    "UsageError",
    "XconError",
    "load_scenario",
    "loads_scenario",
    "simulate",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The lab pulls in ipywidgets and matplotlib: load it only when someone asks for it.
    if name == "Lab":
        from .lab import Lab

        return Lab
    raise AttributeError(f"module 'xcon_teach' has no attribute {name!r}")
