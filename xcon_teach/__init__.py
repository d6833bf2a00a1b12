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

TYPE_CHECKING = False  # not typing's: importing typing alone takes longer than all of this module
if TYPE_CHECKING:
    from typing import Any

    from .errors import ScenarioError, UsageError, XconError
    from .lab import Lab
    from .scenario import Scenario, load_scenario, loads_scenario
    from .sim import Step, Trace, simulate

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

_WHERE = {
    "ScenarioError": ".errors",
    "UsageError": ".errors",
    "XconError": ".errors",
    "Scenario": ".scenario",
    "load_scenario": ".scenario",
    "loads_scenario": ".scenario",
    "Step": ".sim",
    "Trace": ".sim",
    "simulate": ".sim",
    "Lab": ".lab",
}
"""Where each name lives, loaded on first use: the command line starts on nothing but this
module and :mod:`._start` (so that an interrupt while it starts is its own one line, not a
traceback), and the lab pulls in ipywidgets and matplotlib only when someone asks for it."""


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'xcon_teach' has no attribute {name!r}")
    import importlib  # here, not at the top: the command line starts without it

    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
