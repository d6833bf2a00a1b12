"""What each Exchange 5.5 MTA build does, as one table (DOMAIN.md sections 2, 4 and 5).

Every question "does this build ...?" in the package is answered here, by :data:`BUILD_RULES`:
a row says that builds ``first`` to ``last`` (inclusive; None: and every later one) have a
feature, on the row's basis. A feature several rows name is had by a build any of them covers.
The builds themselves (names and numbers) are :data:`xcon_teach.scenario.BUILDS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..scenario import BUILDS, Build, Server

__all__ = ["BUILD_RULES", "BuildRule", "Feature", "build_of", "has", "has_fix"]

Feature = Literal["override", "fix", "first event", "second event"]


@dataclass(frozen=True, slots=True)
class BuildRule:
    """Builds ``first`` to ``last`` have ``feature``."""

    feature: Feature
    first: int
    last: int | None
    basis: str
    what: str

    @property
    def name(self) -> str:
        return self.feature

    def covers(self, number: int) -> bool:
        return self.first <= number and (self.last is None or number <= self.last)


BUILD_RULES = (
    BuildRule("override", 2232, None, "DOC Q255991", "Stack IP Address Override is read from SP1 (2232) on; Q197378 says SP2"),
    BuildRule("fix", 2448, None, "MODEL", "the Q169113 fix is in SP2 (2448) and later; before that only as the hotfix"),
    BuildRule("first event", 0, 2353, "DOC Q189345", "builds before 2354 log the first Event 9301, with the caller's IP"),
    BuildRule("second event", 0, 2353, "DOC Q189345", "builds before 2354 log the second Event 9301 when they refuse"),
    BuildRule("second event", 2621, None, "DOC Q189345", "builds from 2621 on log only the second Event 9301"),
)
"""The build table, run by :func:`has`."""


def build_of(server: Server) -> Build:
    return BUILDS[server.build]


def has(feature: Feature, server: Server) -> bool:
    """Whether ``server``'s MTA build has ``feature`` (for ``"fix"``, see :func:`has_fix`).

    >>> from xcon_teach import load_scenario
    >>> s = load_scenario("kb-q169113")
    >>> has("first event", s.server("EXA")), has("first event", s.with_build("EXA", "sp3").server("EXA"))
    (True, False)
    """
    number = build_of(server).number
    return any(rule.feature == feature and rule.covers(number) for rule in BUILD_RULES)


def has_fix(server: Server) -> bool:
    """Whether ``server``'s MTA carries the Q169113 fix: its ``q169113_fix`` switch, else its build's default."""
    if server.q169113_fix is not None:
        return server.q169113_fix
    return has("fix", server)
