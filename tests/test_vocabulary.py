"""One set of words (issue 13): the glossary's terms, and none of the retired synonyms, in learner-facing text.

The package says *claimed address* (what Exchange is configured with), *address on the wire* (the
TCP source address the peer sees) and *association* (the MTA-to-MTA connection over RFC 1006). An
MTA "sends from" an address. The retired words: an MTA that "presents" an address, the "presented"
address (the JSON key ``presented_address`` and the step kind ``present`` are code, not prose).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from xcon_teach import load_scenario, simulate
from xcon_teach.challenges import CHALLENGES, challenge, check
from xcon_teach.draw.export import storyboard_portrayals
from xcon_teach.scenario import library

ROOT = Path(__file__).resolve().parents[1]
RETIRED = re.compile(r"\bpresent(?:s|ed|ing)?\b(?!_|er\b)", re.I)
GLOSSARY = ("claimed address", "address on the wire", "association", "connector", "Stack tab", "virtual IP", "node IP")


def _prose(text: str) -> str:
    """Text without code: backticked spans, the kind column of transcript lines, code identifiers."""
    text = re.sub(r"`[^`]*`", "", text)
    text = re.sub(r"(\d\d:\d\d:\d\d(?:\.\d)?  \S+\s+)present(\s)", r"\1\2", text)
    text = re.sub(r'"present(?:s|ed)"', "", text)  # naming the retired words is not using them
    text = re.sub(r"\bpresent[- ]it\b", "", text, flags=re.I)  # presenting a topic in class, not an address
    return text.replace("presented_address", "").replace(".presented", "")


def _notebook_text(path: Path) -> str:
    nb = json.loads(path.read_text())
    parts = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            parts.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def _learner_texts() -> dict[str, str]:
    texts = {p.name: _notebook_text(p) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    texts["README.md"] = (ROOT / "README.md").read_text()
    texts["instructor_guide.md"] = (ROOT / "docs" / "instructor_guide.md").read_text()
    for name in library.names():
        s = load_scenario(name)
        trace = simulate(s)
        texts[f"scenario {name}"] = "\n".join([s.title, s.description, *(st.text for st in trace.steps)])
        texts[f"picture {name}"] = "\n".join(
            "\n".join(filter(None, [p.claimed, p.wire, p.mark.text if p.mark else None, p.event_note, *p.queue_lines]))
            for p in storyboard_portrayals(trace)[:12]
        )
    for c in CHALLENGES:
        texts[f"challenge {c.name}"] = f"{c.title}\n{c.story}\n{check(c, c.scenario)}"
    return texts


@pytest.mark.parametrize(("where", "text"), sorted(_learner_texts().items()))
def test_no_retired_synonym_in_learner_facing_text(where: str, text: str) -> None:
    found = sorted({m.group(0) for m in RETIRED.finditer(_prose(text))})
    assert found == [], f"{where}: say 'sends from' or 'address on the wire', not {found}"


def test_the_glossary_defines_every_term_in_notebook_00_and_the_guide() -> None:
    start = _notebook_text(ROOT / "notebooks" / "00_start_here.ipynb")
    guide = (ROOT / "docs" / "instructor_guide.md").read_text()
    for term in GLOSSARY:
        assert f"**{term}**" in start, f"notebook 00 does not define {term!r}"
        assert f"**{term}**" in guide, f"the guide does not define {term!r}"


def test_the_sender_side_of_a_refusal_is_told() -> None:
    """The sender sees its association closed, records no reason, and logs nothing."""
    trace = simulate(load_scenario("kb-q169113"), until=0)
    refused = next(a for a in trace.attempts("EXCLUS->EXA") if a.outcome == "refused")
    closed = [st for st in trace.steps_of(refused) if st.kind == "disconnect"]
    assert len(closed) == 1 and closed[0].actor == "EXCLUS" and closed[0].basis == "MODEL"
    assert "logs nothing" in closed[0].text and "not documented" in closed[0].text
    assert challenge("the-kb-case").story.endswith("EXCLUS logs nothing.")
