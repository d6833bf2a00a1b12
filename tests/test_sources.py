"""The source register (xcon_teach/sources.toml, docs/sources.md) and the code agree, both ways.

- every step with a DOC basis, in a wide set of runs, names a claim and an article the register
  lists for that claim; so does every DOC row of the rule tables and every ``CITED`` constant;
- every claim of the register is used by the code, and every article is cited by some claim;
- docs/sources.md is the register as ``python -m xcon_teach.sources`` writes it;
- no learner-facing text (notebooks, guide, README, docs, scenario descriptions, challenge stories)
  cites an article number the register does not know.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from xcon_teach import Scenario, Trace, load_scenario, simulate
from xcon_teach import challenges as challenge_module
from xcon_teach.lessons import today
from xcon_teach.scenario import elements, library
from xcon_teach.sim import builds, eventlog, receiver, resolve, sender
from xcon_teach.sim.rules import flatten
from xcon_teach.sources import check, markdown, register

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = re.compile(r"\b(?:Q|KB)\d{6}\b")


def _variants(s: Scenario) -> Iterator[Scenario]:
    """A scenario under both hypotheses, failed over, on other builds, with the name service changed."""
    for h in ("sender", "receiver"):
        base = s.with_hypothesis(h)
        yield from (v for _, v in base.failover_variants())
        for server in s.servers:
            for build in ("rtm", "sp1", 2431, "sp2", "sp3"):
                yield base.with_build(server.name, build)
        yield base.with_netbios(False)
        for c in s.connectors:
            yield base.with_override(c.server, "10.99.0.1", remote=c.remote)  # an address nobody holds
            yield base.with_stack(c.server, "hostname", "NOSUCHNAME", remote=c.remote)
            yield base.with_retries(c.server, max_open_retries=2, open_interval=60, remote=c.remote)


@cache
def corpus() -> tuple[Trace, ...]:
    runs = []
    for name in library.names():
        for v in _variants(load_scenario(name)):
            runs.append(simulate(v, until=3600))
    own = load_scenario("kb-q169113").with_stack("EXCLUS", "hostname", "NODE1")  # the client's own name (Q172218)
    runs.append(simulate(own, until=0))
    return tuple(runs)


def _doc_steps() -> set[tuple[str, str]]:
    return {(st.claim, st.basis.removeprefix("DOC ")) for t in corpus() for st in t.steps if st.basis.startswith("DOC")}


def _doc_rows() -> set[tuple[str, str]]:
    tables = (sender.SOURCE_RULES, resolve.DESTINATION_RULES, resolve.REVERSE_SOURCES, receiver.STAGES, builds.BUILD_RULES)
    rows = [r for t in tables for r in (*t, *flatten(list(t)))]
    return {(r.claim, r.basis.removeprefix("DOC ")) for r in rows if r.basis.startswith("DOC")}


def _cited() -> set[tuple[str, str]]:
    modules = (eventlog, elements, builds, challenge_module, today)
    return {(claim, article) for m in modules for claim, article in m.CITED.items()}


def test_every_documented_step_names_a_claim_and_an_article_the_register_lists() -> None:
    steps = _doc_steps()
    assert len(steps) >= 20
    problems = sorted(p for claim, article in steps if (p := check(claim, article)))
    assert not problems, problems


def test_every_documented_table_row_and_cited_rule_is_in_the_register() -> None:
    problems = sorted(p for claim, article in _doc_rows() | _cited() if (p := check(claim, article)))
    assert not problems, problems


def test_every_claim_is_used_and_every_article_is_cited() -> None:
    r = register()
    used = {claim for claim, _ in _doc_steps() | _doc_rows() | _cited()}
    assert sorted(set(r.claims) - used) == [], "claims of the register that nothing in the package uses"
    cited = {a for c in r.claims.values() for a in c.articles}
    assert sorted(set(r.articles) - cited) == [], "articles that no claim cites"
    assert sorted(cited - set(r.articles)) == [], "claims citing articles the register does not describe"


def test_a_step_citing_the_wrong_article_is_caught() -> None:
    assert check("reverse-order", "Q138086") is not None
    assert check("no-such-claim", "Q169113") is not None
    assert check("reverse-order", "Q193380") is None


def test_docs_sources_md_is_the_register() -> None:
    assert (ROOT / "docs" / "sources.md").read_text(encoding="utf-8") == markdown(), (
        "docs/sources.md is stale: python -m xcon_teach.sources > docs/sources.md"
    )


def _learner_texts() -> Iterator[tuple[str, str]]:
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(nb.read_text())["cells"]):
            yield f"{nb.name} cell {i}", "".join(cell["source"])
    for doc in ("README.md", "docs/instructor_guide.md", "docs/domain.md", "CONTRIBUTING.md"):
        yield doc, (ROOT / doc).read_text(encoding="utf-8")
    for name in library.names():
        yield f"scenario {name}", library.text(name)
    for c in challenge_module.CHALLENGES:
        yield f"challenge {c.name}", c.story + c.title


@pytest.mark.parametrize(("where", "text"), list(_learner_texts()), ids=lambda x: x if isinstance(x, str) and len(x) < 60 else "")
def test_learner_facing_text_cites_only_articles_the_register_knows(where: str, text: str) -> None:
    unknown = sorted({a for a in ARTICLE.findall(text) if not register().known(a)})
    assert not unknown, f"{where} cites {', '.join(unknown)}, which docs/sources.md does not list"
