"""The simulation core: sender and receiver rules, name resolution, queues, retries, failover.

Pure and deterministic (sans-IO, like h11): :func:`simulate` takes a scenario and returns a
:class:`Trace` of immutable :class:`Step` records. It imports no matplotlib or ipywidgets.
"""

from .eventlog import Event, decode_network_address, hex_of_ip, hex_of_name
from .receiver import STAGES
from .sender import SOURCE_RULES, choose_source
from .simulate import simulate
from .trace import Connection, Lookup, MessageOutcome, Step, Trace, basis_label, clock
from .world import World

__all__ = [
    "SOURCE_RULES",
    "STAGES",
    "Connection",
    "Event",
    "Lookup",
    "MessageOutcome",
    "Step",
    "Trace",
    "World",
    "basis_label",
    "choose_source",
    "clock",
    "decode_network_address",
    "hex_of_ip",
    "hex_of_name",
    "simulate",
]
