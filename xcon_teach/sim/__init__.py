"""The simulation core: sender and receiver rules, name resolution, queues, retries, failover.

Pure and deterministic (sans-IO, like h11): :func:`simulate` takes a scenario and returns a
:class:`Trace` of immutable :class:`Step` records. It imports no matplotlib or ipywidgets.

Where each rule lives: :mod:`.sender` (which source address), :mod:`.resolve` (names, both
ways), :mod:`.network` (firewall, who answers), :mod:`.receiver` (the connector lookup and the
decision), :mod:`.builds` (what each MTA build does), :mod:`.world` (who holds which address),
:mod:`.simulate` (queues and time). The rule tables (``SOURCE_RULES``, ``DESTINATION_RULES``,
``REVERSE_SOURCES``, ``STAGES``, ``BUILD_RULES``) are what that code runs.
"""

from .attempts import Attempt
from .builds import BUILD_RULES
from .eventlog import Event, decode_network_address, hex_of_ip, hex_of_name
from .receiver import STAGES
from .resolve import DESTINATION_RULES, REVERSE_SOURCES
from .sender import SOURCE_RULES, choose_source
from .simulate import simulate
from .steps import Connection, Lookup, Step, StepKind, basis_label, clock
from .trace import MessageOutcome, Trace
from .world import World

__all__ = [
    "BUILD_RULES",
    "DESTINATION_RULES",
    "REVERSE_SOURCES",
    "SOURCE_RULES",
    "STAGES",
    "Attempt",
    "Connection",
    "Event",
    "Lookup",
    "MessageOutcome",
    "Step",
    "StepKind",
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
