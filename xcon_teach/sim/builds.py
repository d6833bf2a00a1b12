"""What each Exchange 5.5 MTA build does, as one table (DOMAIN.md sections 2, 4 and 5).

Every question "does this build ...?" in the package is answered here, by :data:`BUILD_RULES`:
a row says that builds ``first`` to ``last`` (inclusive; None: and every later one) have a
feature, on the row's basis. A feature several rows name is had by a build any of them covers.
A build that logs neither Event 9301 is one of the silent builds between 2354 and 2620 that
Q234962 reports ("some"; which ones is our assumption). The service packs by name and number are
:data:`xcon_teach.scenario.BUILDS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..scenario import Server
from ..scenario.elements import build_label

__all__ = ["BUILD_RULES", "BuildRule", "Feature", "has", "has_fix", "label", "rule_for", "silent"]

Feature = Literal["fix", "override", "first event", "second event"]


@dataclass(frozen=True, slots=True)
class BuildRule:
    """Builds ``first`` to ``last`` have ``feature``."""

    feature: Feature
    first: int
    last: int | None
    basis: str
    what: str
    claim: str = ""

    @property
    def name(self) -> str:
        return self.feature

    def covers(self, number: int) -> bool:
        return self.first <= number and (self.last is None or number <= self.last)


CITED = {"fix-corrected": "Q169113"}
"""The claim behind the "fix" row: the bug was corrected in a service pack (which one is our assumption)."""

BUILD_RULES = (
    BuildRule(
        "fix", 2232, None, "MODEL", "the Q169113 fix is in SP1 (build 2232) and later; RTM has it only with the 1998 hotfix"
    ),
    BuildRule(
        "override",
        2431,
        None,
        "DOC Q197378",
        "Stack IP Address Override is read from build 2431 (the fix of Q197378, first in SP2) on; Q255991 and Q256844 say SP1",
        "override-build",
    ),
    BuildRule(
        "first event",
        1,
        2353,
        "DOC Q189345",
        "builds before 2354 (RTM, SP1) log the first Event 9301, the caller's IP",
        "9301-pair",
    ),
    BuildRule(
        "second event", 1, 2353, "DOC Q189345", "builds before 2354 also log the second Event 9301, when they refuse", "9301-pair"
    ),
    BuildRule("second event", 2448, 2448, "DOC Q189345", "SP2 (build 2448) logs only the second Event 9301", "9301-second-only"),
    BuildRule(
        "second event",
        2621,
        None,
        "DOC Q234962",
        "builds 2621 and later (SP3, SP4) log Event 9301 again: the second",
        "9301-from-2621",
    ),
)
"""The build table, run by :func:`has`; builds of 2354 to 2620 that no event row covers log no 9301."""


def label(server: Server) -> str:
    """``SP2 (build 2448)``, or ``build 2431`` for a build without a name."""
    return build_label(server.build)


def rule_for(feature: Feature, server: Server) -> BuildRule | None:
    """The row that gives ``server``'s build ``feature``, or None when it does not have it."""
    return next((r for r in BUILD_RULES if r.feature == feature and r.covers(server.build)), None)


def has(feature: Feature, server: Server) -> bool:
    """Whether ``server``'s MTA build has ``feature`` (for ``"fix"``, see :func:`has_fix`).

    >>> from xcon_teach import load_scenario
    >>> s = load_scenario("kb-q169113")
    >>> has("first event", s.server("EXA")), has("first event", s.with_build("EXA", "sp2").server("EXA"))
    (True, False)
    """
    return rule_for(feature, server) is not None


def silent(server: Server) -> bool:
    """Whether ``server``'s build logs no Event 9301 at all (one of the silent builds of Q234962)."""
    return not has("first event", server) and not has("second event", server)


def has_fix(server: Server) -> bool:
    """Whether ``server``'s MTA carries the Q169113 fix: its ``q169113_fix`` switch, else its build's default."""
    if server.q169113_fix is not None:
        return server.q169113_fix
    return has("fix", server)
