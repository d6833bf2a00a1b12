"""The live lab: a scenario's addressing on the real Linux kernel, beside the simulation (issue 7).

``xcon-teach live [FILE_OR_NAME] [--json] [--cleanup]`` (root only) builds one network namespace
per host of the scenario, joined by veth pairs to a bridge in a namespace of its own, gives each
node its own IP and then the virtual IP on the active node (as a cluster brings up its IP
resource), starts a receiving RFC 1006 MTA on port 102 where the model runs one, and sends each
message's first attempt on real sockets, before and after failing every cluster over. The kernel
chooses the source address of an unbound socket; that is the thing under test. The table puts
the kernel's address and outcome beside ``simulate()``'s.

Modules: :mod:`.rfc1006` the pure TPKT/COTP codec (no I/O); :mod:`.netns` namespaces, entered
with ``setns`` and always deleted; :mod:`.mta` the socket glue of sender and receiver;
:mod:`.compare` the side-by-side comparison; :mod:`.cli` the subcommand.
Nothing here is imported by ``import xcon_teach``.
"""

from ..rfc1006 import ProtocolError
from .compare import LiveLab, LiveReport, compare

__all__ = ["LiveLab", "LiveReport", "ProtocolError", "compare"]
