"""Scenarios: the objects of DOMAIN.md as frozen dataclasses, TOML files and the built-in library.

This layer knows nothing of simulation, drawing or widgets. :mod:`.elements` holds the parts and
the file format's keys, :mod:`.model` the validated whole, :mod:`.load` and :mod:`.toml` the two
directions of a file, :mod:`.library` the built-in scenarios.
"""

from . import library
from .elements import BUILDS, Action, Build, Cluster, Connector, Firewall, Host, Message, Names, Server
from .load import load_scenario, loads_scenario, scenario_from_dict
from .model import Scenario

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
