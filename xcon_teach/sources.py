"""The source register: which Knowledge Base article says what, read from ``sources.toml``.

Every step with a ``DOC`` basis names a claim of the register and one of that claim's articles
(``Step.claim``, ``Step.basis``); :func:`register` loads the register, :func:`check` says whether a
(claim, article) pair is in it, and :func:`markdown` writes ``docs/sources.md`` for people::

    python -m xcon_teach.sources > docs/sources.md

Parts of the package that rely on an article without a step of their own (the hex drill, the
build numbers, the modern Windows rules of notebook 07) say so in a module constant ``CITED``.

>>> r = register()
>>> r.claims["reverse-order"].articles
('Q193380',)
>>> check("reverse-order", "Q138086")
"claim 'reverse-order' is not supported by Q138086 in the register (it lists Q193380)"
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["Article", "Claim", "Register", "check", "markdown", "register"]


@dataclass(frozen=True, slots=True)
class Article:
    number: str
    title: str
    dated: str
    applies: str
    copy: str
    about: str
    quote: str = ""


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    says: str
    articles: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Register:
    articles: dict[str, Article]
    claims: dict[str, Claim]
    not_cited: dict[str, tuple[str, str]]
    """Articles read and deliberately not cited: number -> (title, why)."""

    def known(self, number: str) -> bool:
        """Whether the register knows the article at all (cited, or read and not cited)."""
        return number in self.articles or number in self.not_cited


@cache
def register() -> Register:
    """The register in ``xcon_teach/sources.toml``."""
    data = tomllib.loads((resources.files("xcon_teach") / "sources.toml").read_text(encoding="utf-8"))
    articles = {n: Article(number=n, **{k: v.strip() for k, v in a.items()}) for n, a in data["articles"].items()}
    claims = {
        c: Claim(id=c, says=v["says"], articles=tuple(v["articles"]), note=v.get("note", "")) for c, v in data["claims"].items()
    }
    not_cited = {n: (v["title"], v["why"]) for n, v in data.get("not_cited", {}).items()}
    return Register(articles, claims, not_cited)


def check(claim: str, article: str) -> str | None:
    """Why the register does not back ``article`` for ``claim``, or None when it does."""
    r = register()
    if claim not in r.claims:
        return f"no claim {claim!r} in the register"
    listed = r.claims[claim].articles
    if article not in listed:
        return f"claim {claim!r} is not supported by {article} in the register (it lists {', '.join(listed)})"
    return None


def markdown() -> str:
    """``docs/sources.md``: the register for people."""
    r = register()
    by_article: dict[str, list[Claim]] = {n: [] for n in r.articles}
    for c in r.claims.values():
        for n in c.articles:
            by_article[n].append(c)
    out = [
        "<!-- Written by `python -m xcon_teach.sources` from xcon_teach/sources.toml: edit that file, then rewrite this one. -->",
        "",
        "# Sources: the articles behind every tag",
        "",
        "Every step of a run says on what authority it stands, in brackets at the end of its line:",
        "",
        "- `[DOC Q193380]`: an article says it. The step applies one *claim* of this register (its id is the step's",
        "  `claim` in `xcon-teach run --json`), and the article is one of those the claim lists. Find the article",
        "  below: what it applies to, what it says in our words, where to read it, and the claims it supports.",
        "- `[MODEL]`: our own assumption, where no article says how Exchange did it.",
        "- `[HYPOTHESIS S]`, `[HYPOTHESIS R]`: one of the two readings of why Remote host name works (notebook 04; docs/domain.md 5b);",
        "  the package implements both and neither is documented.",
        "",
        "Nearly every article can be read in the public repository jeffpar/kbarchive, at",
        "`kb/<first three digits>/Q<number>/README.md`. `tests/test_sources.py` checks that every tag the",
        "package can print is listed here, and that nothing listed here goes unused.",
        "",
        "## Claims",
        "",
        "| claim | what the package relies on | articles |",
        "|---|---|---|",
    ]
    for c in r.claims.values():
        note = f" *({c.note})*" if c.note else ""
        out.append(f"| `{c.id}` | {c.says}{note} | {', '.join(c.articles)} |")
    out += ["", "## Articles", ""]
    for n, a in r.articles.items():
        out += [
            f"### {n}: {a.title}",
            "",
            f"- **Dated:** {a.dated}",
            f"- **Applies to:** {a.applies}",
            f"- **Read it at:** {a.copy}",
            f"- **Claims it supports:** {', '.join(f'`{c.id}`' for c in by_article[n])}",
            "",
            " ".join(a.about.split()),
            "",
        ]
        if a.quote:
            out += [f"> {a.quote}", ""]
    out += ["## Read, and not cited", ""]
    out += [f"- **{n}**, {title}: {why}" for n, (title, why) in r.not_cited.items()]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
