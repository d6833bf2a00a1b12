"""What the network does with a connection before any MTA looks: the firewall, and who answers.

Both are MODEL rules of DOMAIN.md section 9. The firewall is one filter in front of every MTA's
TCP port 102, checked before anything else: without ``allow_sources`` it passes everything, with
an empty list it drops everything. Then the destination address must be held by a host (else the
connection times out) on which an MTA runs now (else the host answers with a reset: a passive node
runs none). :func:`reach` is the one place the simulation asks; the live lab gives the same list
of sources to the kernel's filter (:func:`admits` is what it stands for).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..scenario import Connector, Firewall
from .steps import Failure, Note
from .world import World

__all__ = ["Reach", "admits", "reach"]


def admits(firewall: Firewall, source: str) -> bool:
    """Whether the firewall lets a connection from ``source`` through to TCP port 102."""
    return firewall.allow_sources is None or source in firewall.allow_sources


@dataclass(frozen=True, slots=True)
class Reach:
    """How far a connection from ``source`` to ``destination`` gets."""

    firewall: Note | None
    """The firewall's verdict, when there is a firewall."""
    connect: Note | None
    """What the connection met: an MTA that answers, a reset, or nothing (None after a firewall drop)."""
    to_host: str | None
    receiver: str | None
    """The server whose MTA answered (None when none did)."""
    failure: Failure | None


def reach(world: World, c: Connector, source: str, destination: str) -> Reach:
    """Follow a connection of ``c``'s MTA from ``source`` to ``destination``, TCP port 102."""
    allowed = world.scenario.firewall.allow_sources
    wall = None
    if allowed is not None:
        if admits(world.scenario.firewall, source):
            text = f"The firewall admits {source} to TCP port 102: it is on the allow list"
            wall = Note(kind="firewall", actor="FIREWALL", text=text, basis="MODEL")
        else:
            if allowed:
                why = f"only {', '.join(allowed)} may pass"
            else:
                why = "its allow list is empty, so nothing may pass"
            text = f"The firewall drops {source} -> {destination} port 102: {why}; no MTA sees this attempt"
            return Reach(Note(kind="firewall", actor="FIREWALL", text=text, basis="MODEL"), None, None, None, "firewall")
    head = f"{c.server} connects from {source} to {destination}"
    to_host = world.owner(destination)
    if to_host is None:
        text = f"{head} port 102: no host holds {destination}, so the connection times out"
        return Reach(wall, Note(kind="connect", actor=c.server, text=text, basis="MODEL"), None, None, "no host")
    receiver = world.mta_on(to_host)
    if receiver is None:
        cluster = world.scenario.cluster_of_node(to_host)
        if cluster is not None and world.active[cluster.name] != to_host:
            why = f"{to_host} is the passive node of {cluster.name} and runs no MTA"
        else:
            why = f"no Exchange server runs on {to_host}"
        text = f"{head} port 102: {why}, so the connection is refused"
        return Reach(wall, Note(kind="connect", actor=c.server, text=text, basis="MODEL"), to_host, None, "no MTA")
    where = "" if to_host == world.scenario.server(receiver).host else f" on {to_host}"
    text = f"{head}, TCP port 102 (RFC 1006): {receiver}'s MTA{where} answers"
    return Reach(
        wall,
        Note(kind="connect", actor=c.server, text=text, basis="DOC Q176466", claim="rfc1006-port-102"),
        to_host,
        receiver,
        None,
    )
