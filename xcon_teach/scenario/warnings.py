"""Scenarios that are valid but probably not what their author meant: a warning each, not a refusal.

Tried as an instructor would: a scenario with no message runs and shows nothing happening; a
firewall whose allow list is empty drops every connection to port 102; two servers of one site
joined by X.400 connectors is not how Exchange 5.5 joins them (servers of one site talk to each
other directly; a connector joins two sites). Each still runs as written; the command line prints
one ``warning:`` line each on stderr, and the lab shows them above the picture.
"""

from __future__ import annotations

from .model import Scenario

__all__ = ["warnings"]


def warnings(s: Scenario) -> tuple[str, ...]:
    """One line per surprise in ``s``, in file order (empty when there is none).

    >>> from xcon_teach import load_scenario
    >>> warnings(load_scenario("kb-q169113"))
    ()
    >>> warnings(load_scenario("kb-q169113").replace(messages=()))
    ('messages: the scenario sends no message, so nothing happens in the run (add a [[messages]] entry)',)
    """
    out = []
    if not s.messages:
        out.append("messages: the scenario sends no message, so nothing happens in the run (add a [[messages]] entry)")
    if s.firewall.allow_sources == ():
        out.append("firewall.allow_sources: the list is empty, so the firewall drops every connection to port 102")
    for i, c in enumerate(s.connectors):
        here, there = s.server(c.server).site, s.server(c.remote).site
        if here == there:
            out.append(
                f"connectors[{i}]: {c.server} and {c.remote} are both in site {here}; an X.400 connector joins two sites "
                "(servers of one site talk to each other directly), but the run treats it as written"
            )
    return tuple(out)
