"""Scenarios: the objects of DOMAIN.md as frozen dataclasses, TOML files and the built-in library.

This layer knows nothing of simulation, drawing or widgets.
"""

from . import library
from .load import load_scenario, loads_scenario, scenario_from_dict
from .model import (
    BUILDS,
    Action,
    Build,
    Cluster,
    Connector,
    Firewall,
    Host,
    Message,
    Names,
    Scenario,
    Server,
)

__all__ = [
    "BUILDS",
    "Action",
    "Build",
    "Cluster",
    "Connector",
    "Firewall",
    "Host",
    "Message",
    "Names",
    "Scenario",
    "Server",
    "library",
    "load_scenario",
    "loads_scenario",
    "scenario_from_dict",
]
